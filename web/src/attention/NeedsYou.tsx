import { useEffect } from 'react'
import { NavLink } from 'react-router'
import { Inbox } from 'lucide-react'
import { needingYou, titleWith } from './attention'
import { useAttention } from './useAttention'

/**
 * The header's "Needs you (N)": the inbox from every page, its count also in the tab's title. Its
 * keys (`n` the next thing that waits for the person, `i` or `g i` the inbox) are in keys/Shortcuts.
 */
export function NeedsYouLink() {
  const attention = useAttention()
  const count = needingYou(attention.data).length
  useEffect(() => {
    document.title = titleWith(count)
  }, [count])
  return (
    <NavLink to="/inbox" className={count > 0 ? 'needs-you' : undefined} data-testid="needs-you" aria-keyshortcuts="i">
      <Inbox className="icon" size={16} aria-hidden="true" /> Needs you
      <span className={count > 0 ? 'nav-count' : 'count'} aria-label={`${count} item${count === 1 ? '' : 's'}`}>
        {count}
      </span>
    </NavLink>
  )
}
