import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { Link } from 'react-router'
import { Bell } from 'lucide-react'
import { api, unwrap, type Schemas } from '../api/client'
import { keys } from '../api/keys'
import { NotifyToggle } from './NotifyToggle'
import { When } from '../components/When'
import { needingYou } from '../attention/attention'
import { useAttention } from '../attention/useAttention'

/** Notifications shown in the menu. */
const SHOWN = 10

/** The header's notifications menu: how many things wait for the person (on the bell), the
 * browser-notification switch and the recent notifications. */
export function NotificationsMenu() {
  const [open, setOpen] = useState(false)
  const count = needingYou(useAttention().data).length
  return (
    <details className="notifications-menu" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <Bell className="icon" size={16} aria-hidden="true" /> Notifications
        {count > 0 && (
          <span className="bell-count" data-testid="bell-count" aria-label={`${count} waiting for you`}>
            {count}
          </span>
        )}
      </summary>
      <div className="notifications-panel">
        <p className="notifications-head">
          <Link to="/inbox">Needs you ({count})</Link>
          <NotifyToggle />
        </p>
        {open && <Recent />}
      </div>
    </details>
  )
}

/** The newest notifications of the person's tasks, read each time the menu opens. */
function Recent() {
  const listed = useQuery({
    queryKey: keys.notifications,
    queryFn: async () => unwrap(await api.GET('/api/v1/notifications')),
    staleTime: 0,
  })
  if (listed.isPending) return <p role="status">Loading…</p>
  if (listed.isError) return <p role="alert">{listed.error.message}</p>
  if (listed.data.length === 0) return <p className="hint">Nothing yet.</p>
  return (
    <ul className="notifications-list">
      {listed.data.slice(0, SHOWN).map((n) => (
        <li key={n.id}>
          <Link to={n.path}>{n.text}</Link>{' '}
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
