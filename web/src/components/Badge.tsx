/** A state in a pill, toned by what it means (see tones.ts); the class names its kind and value. */
import type { HTMLAttributes } from 'react'
import { statusLabel } from '../phases'
import { toneOf, type Tone } from './tones'

type Props = HTMLAttributes<HTMLSpanElement> & { tone?: Tone; 'data-testid'?: string }

export function Badge({ tone = 'neutral', className, ...rest }: Props) {
  return <span className={`badge tone-${tone}${className ? ` ${className}` : ''}`} {...rest} />
}

/** A task's or session's status (or a pull request's, check's, verdict's), in words and toned. */
export function StatusBadge({ status, kind = 'status', ...rest }: { status: string; kind?: string } & Omit<Props, 'tone' | 'children'>) {
  return (
    <Badge tone={toneOf(status)} className={`${kind}-${status}`} {...rest}>
      {statusLabel(status)}
    </Badge>
  )
}
