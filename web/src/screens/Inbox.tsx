import { useRef } from 'react'
import { Link } from 'react-router'
import { Inbox as InboxIcon } from 'lucide-react'
import { AttentionBadge } from '../attention/AttentionBadge'
import { itemKey, needingYou, type AttentionItem } from '../attention/attention'
import { useAttention } from '../attention/useAttention'
import { When } from '../components/When'
import { inWords } from '../words'
import { useListKeys } from '../keys/useListKeys'

/**
 * "Needs you": everything that waits for the person, longest waiting first, each with what
 * happened and what to do; below, the tasks held by a prerequisite still at work. `j`/`k` (or the
 * arrows) move between items, Enter opens one; `n` anywhere opens the next one.
 */
export function Inbox() {
  const attention = useAttention()
  const items = needingYou(attention.data)
  const waiting = (attention.data?.items ?? []).filter((a) => !a.needs_you)
  const list = useRef<HTMLOListElement>(null)
  useListKeys(list, 'a.inbox-open')
  return (
    <section aria-labelledby="inbox-title">
      <div className="toolbar">
        <h1 id="inbox-title">
          <InboxIcon className="icon" size={20} aria-hidden="true" /> Needs you ({items.length})
        </h1>
        <p className="hint">
          <span className="kbd">j</span> <span className="kbd">k</span> move · <span className="kbd">Enter</span> open ·{' '}
          <span className="kbd">n</span> next item from any page · <span className="kbd">?</span> all shortcuts
        </p>
      </div>
      {attention.isPending && <p role="status">Loading…</p>}
      {attention.isError && (
        <p role="alert" className="error-box">
          Cannot read what waits for you: {attention.error.message}. It comes back once the server answers.
        </p>
      )}
      {attention.data && items.length === 0 && (
        <p role="status" className="hint">
          Nothing waits for you. Agents at work carry on by themselves; this page fills when one asks you.
        </p>
      )}
      <ol className="inbox" ref={list} aria-label="What needs you">
        {items.map((a) => (
          <InboxItem key={itemKey(a)} item={a} />
        ))}
      </ol>
      {waiting.length > 0 && (
        <section className="inbox-section" aria-labelledby="inbox-waiting">
          <h2 id="inbox-waiting">Waiting on other tasks ({waiting.length})</h2>
          <ol className="inbox">
            {waiting.map((a) => (
              <InboxItem key={itemKey(a)} item={a} />
            ))}
          </ol>
        </section>
      )}
    </section>
  )
}

function InboxItem({ item }: { item: AttentionItem }) {
  const where = item.session_name ? `${item.task_title} · ${item.session_name}` : item.task_title
  return (
    <li className="inbox-item" data-kind={item.kind} data-task={item.spec_task_id}>
      <AttentionBadge item={item} sentence="tooltip" />
      <h2 className="truncate" title={where}>
        <Link className="inbox-open" to={item.path}>
          {where}
        </Link>
      </h2>
      <When at={item.since} />
      <p className="inbox-text">{inWords(item.text)}</p>
      <p className="inbox-action">{item.action}</p>
    </li>
  )
}
