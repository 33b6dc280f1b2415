// Browser notifications, opt-in: the choice is kept in localStorage; when on and allowed, a live
// event that needs the person raises a notification whose click opens the task.
import { api, unwrap, type ApiEvent } from '../api/client'
import { noticeOf } from './decide'

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
 * Raises the notification of `event` if it makes one, for a task of `me` (the live stream carries
 * only the caller's tasks' events, but everyone's for a user who sees all).
 */
export async function notifyOf(event: ApiEvent, me: { name: string; open: boolean }): Promise<void> {
  if (!enabled()) return
  const notice = noticeOf(event)
  if (!notice) return
  let task
  try {
    task = unwrap(await api.GET('/api/v1/spec-tasks/{id}', { params: { path: { id: notice.taskId } } }))
  } catch {
    return
  }
  if (!me.open && task.created_by !== me.name) return
  const shown = new Notification('spectask', { body: notice.text(task.title), tag: `spectask-${event.seq}` })
  shown.onclick = () => {
    window.focus()
    window.location.assign(`/tasks/${notice.taskId}`)
    shown.close()
  }
}
