import { useEffect } from 'react'
import { NavLink, useLocation, useNavigate } from 'react-router'
import { Inbox } from 'lucide-react'
import { typing } from '../screens/Inbox'
import { needingYou, nextItem, titleWith } from './attention'
import { useAttention } from './useAttention'

/**
 * The header's "Needs you (N)": the inbox from every page, its count also in the tab's title; `n`
 * (outside a field) opens the next thing that waits for the person, `i` the inbox.
 */
export function NeedsYouLink() {
  const attention = useAttention()
  const count = needingYou(attention.data).length
  const navigate = useNavigate()
  const { pathname } = useLocation()
  useEffect(() => {
    document.title = titleWith(count)
  }, [count])
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || typing(e.target) || document.querySelector('dialog[open]')) return
      if (e.key === 'i') {
        e.preventDefault()
        void navigate('/inbox')
      } else if (e.key === 'n') {
        const next = nextItem(attention.data, pathname)
        if (!next) return
        e.preventDefault()
        void navigate(next.path)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [attention.data, navigate, pathname])
  return (
    <NavLink to="/inbox" className={count > 0 ? 'needs-you' : undefined} data-testid="needs-you" aria-keyshortcuts="i">
      <Inbox className="icon" size={16} aria-hidden="true" /> Needs you
      <span className={count > 0 ? 'nav-count' : 'count'} aria-label={`${count} item${count === 1 ? '' : 's'}`}>
        {count}
      </span>
    </NavLink>
  )
}
