// Browser notifications, opt-in: the choice is kept in localStorage; when on and allowed, each thing
// that newly waits for the person (the server's attention list) raises a notification whose click
// opens its page.
import { arrived, itemKey, type AttentionList } from '../attention/attention'

const KEY = 'spectask.notifications'

/** Whether the browser can notify at all. */
export function supported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window
}

/** Whether the person turned notifications on (and the browser still allows them). */
export function enabled(): boolean {
  return supported() && Notification.permission === 'granted' && localStorage.getItem(KEY) === 'on'
}

/** Asks the browser's permission and keeps the choice; answers whether notifications are on. */
export async function turnOn(): Promise<boolean> {
  if (!supported()) return false
  const permission = await Notification.requestPermission()
  localStorage.setItem(KEY, permission === 'granted' ? 'on' : 'off')
  return permission === 'granted'
}

export function turnOff(): void {
  localStorage.setItem(KEY, 'off')
}

/**
 * Raises a notification for each item newly needing the person in `list` (an `attention` frame of
 * the live stream: the server already narrowed it to the person's tasks); `seen` keeps the items
 * told, and is filled without telling on the first list, so that a reload tells nothing old.
 */
export function notifyOfAttention(list: AttentionList, seen: Set<string>, first: boolean): void {
  const fresh = arrived(list, seen)
  for (const item of fresh) seen.add(itemKey(item))
  if (first || !enabled()) return
  for (const item of fresh) {
    const shown = new Notification(`spectask: ${item.label}`, { body: item.text, tag: `spectask-${itemKey(item)}` })
    shown.onclick = () => {
      window.focus()
      window.location.assign(item.path)
      shown.close()
    }
  }
}
