import { useState } from 'react'
import { enabled, supported, turnOff, turnOn } from './browser'

/** The header's switch for browser notifications (off until the person turns them on). */
export function NotifyToggle() {
  const [on, setOn] = useState(enabled)
  if (!supported()) return null
  const denied = Notification.permission === 'denied'
  return (
    <button
      type="button"
      className="notify-toggle"
      aria-pressed={on}
      disabled={denied && !on}
      title={denied ? 'The browser blocks notifications for this site' : 'Be told when a task needs you'}
      onClick={() => {
        if (on) {
          turnOff()
          setOn(false)
        } else {
          void turnOn().then(setOn)
        }
      }}
    >
      {on ? 'Notifications on' : 'Notify me'}
    </button>
  )
}
