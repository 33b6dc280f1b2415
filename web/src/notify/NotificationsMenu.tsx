import { useState } from 'react'
import { useQuery, type UseQueryResult } from '@tanstack/react-query'
import { Link } from 'react-router'
import { Bell } from 'lucide-react'
import { api, unwrap, type Schemas } from '../api/client'
import { keys } from '../api/keys'
import { NotifyToggle } from './NotifyToggle'
import { When } from '../components/When'
import { needingYou } from '../attention/attention'
import { useAttention } from '../attention/useAttention'
import { Problem } from '../components/Problem'
import { inWords } from '../words'

/** Notifications shown in the menu. */
const SHOWN = 10

/** Where the newest notification the person has seen is kept: those after it are unread. */
const READ_KEY = 'spectask:notifications-read'

/** Whether `at` is after `upTo` (an empty `upTo`: nothing is read yet). */
function newer(at: string, upTo: string): boolean {
  return !upTo || Date.parse(at) > Date.parse(upTo)
}

function readUpTo(): string {
  try {
    return localStorage.getItem(READ_KEY) ?? ''
  } catch {
    return ''
  }
}

/** The header's notifications menu: how many things wait for the person (on the bell), whether
 * notifications arrived since the menu was last opened, the browser-notification switch and the
 * recent notifications, each new one marked until the menu closes. */
export function NotificationsMenu() {
  const [open, setOpen] = useState(false)
  const count = needingYou(useAttention().data).length
  const listed = useQuery({
    queryKey: keys.notifications,
    queryFn: async () => unwrap(await api.GET('/api/v1/notifications')),
    staleTime: 0,
  })
  // Read up to the newest shown when the menu was last closed; kept across reloads.
  const [readUpToAt, setReadUpToAt] = useState(readUpTo)
  const shown = listed.data?.slice(0, SHOWN) ?? []
  const unread = shown.filter((n) => newer(n.at, readUpToAt)).length
  const toggle = (now: boolean) => {
    setOpen(now)
    if (now) void listed.refetch()
    else if (shown[0] && newer(shown[0].at, readUpToAt)) {
      // Closed: what was shown is read.
      setReadUpToAt(shown[0].at)
      try {
        localStorage.setItem(READ_KEY, shown[0].at)
      } catch {
        // Without storage, read only while the page is open.
      }
    }
  }
  return (
    <details className="notifications-menu" onToggle={(e) => toggle(e.currentTarget.open)}>
      <summary>
        <Bell className="icon" size={16} aria-hidden="true" /> Notifications
        {count > 0 && (
          <span className="bell-count" data-testid="bell-count" aria-label={`${count} waiting for you`}>
            {count}
          </span>
        )}
        {unread > 0 && (
          <span className="unread-dot" data-testid="unread-dot" title={`${unread} new`}>
            <span className="visually-hidden">{unread} new</span>
          </span>
        )}
      </summary>
      <div className="notifications-panel">
        <p className="notifications-head">
          <Link to="/inbox">Needs you ({count})</Link>
          <NotifyToggle />
        </p>
        {open && <Recent listed={listed} readUpTo={readUpToAt} />}
      </div>
    </details>
  )
}

/** The newest notifications of the person's tasks, read each time the menu opens; those newer than
 * `readUpTo` marked new. */
function Recent({ listed, readUpTo }: { listed: UseQueryResult<Schemas['NotificationDto'][]>; readUpTo: string }) {
  if (listed.isPending) return <p role="status">Loading…</p>
  if (listed.isError) return <Problem error={listed.error} />
  if (listed.data.length === 0) return <p className="hint">Nothing yet.</p>
  return (
    <ul className="notifications-list">
      {listed.data.slice(0, SHOWN).map((n) => (
        <li key={n.id} className={newer(n.at, readUpTo) ? 'unread' : undefined}>
          {newer(n.at, readUpTo) && <span className="visually-hidden">New: </span>}
          <Link to={n.path} title={inWords(n.text)}>
            {inWords(n.text)}
          </Link>{' '}
          <When at={n.at} />
          <Deliveries deliveries={n.deliveries} />
        </li>
      ))}
    </ul>
  )
}

/** A webhook delivery that is not (yet) delivered is named with its state. */
function Deliveries({ deliveries }: { deliveries: Schemas['DeliveryDto'][] }) {
  const notDelivered = deliveries.filter((d) => d.status !== 'delivered')
  if (notDelivered.length === 0) return null
  return (
    <span className="hint">
      {' '}
      {notDelivered
        .map((d) => `${d.webhook}: ${d.status}${d.last_error ? ` (${d.last_error})` : ''}`)
        .join(', ')}
    </span>
  )
}
