/** What a task or session waits for, as a badge in the attention tone: its own colour and icon,
 * never the in-progress highlight. The label and sentence are the server's. */
import { CircleX, Hand, Link2Off, PauseCircle, Unplug, type LucideIcon } from 'lucide-react'
import type { AttentionItem } from './attention'
import { inWords } from '../words'

const ICONS: Record<AttentionItem['kind'], LucideIcon> = {
  permission: Hand,
  questions: Hand,
  spec_review: Hand,
  implementation_review: Hand,
  budget: PauseCircle,
  stalled: Unplug,
  failed: CircleX,
  held: Link2Off,
}

/** The badge of `item`: `Waiting for you`, `Paused by budget`, `Stalled`, `Failed` or `Held`. Its
 * sentence follows it (`text`), or is its tooltip and read to screen readers (`hidden`, the default),
 * or only its tooltip (`tooltip`: where the row already names what it is about). */
export function AttentionBadge({
  item,
  sentence = 'hidden',
  testId,
}: {
  item: AttentionItem
  sentence?: 'text' | 'hidden' | 'tooltip'
  testId?: string
}) {
  const Icon = ICONS[item.kind]
  const tone = item.needs_you ? 'you' : 'held'
  return (
    <span className="attention" data-attention={item.kind} data-needs-you={item.needs_you}>
      <span className={`badge tone-${tone}`} title={sentence === 'text' ? undefined : `${inWords(item.text)} ${item.action}`} data-testid={testId}>
        <Icon className="icon" size={14} aria-hidden="true" />
        {item.label}
      </span>
      {sentence === 'text' && <span className="attention-text">{inWords(item.text)}</span>}
      {sentence === 'hidden' && <span className="visually-hidden">: {inWords(item.text)}</span>}
    </span>
  )
}
