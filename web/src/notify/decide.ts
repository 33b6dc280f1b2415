// Which live event tells a person that a task needs them: the same decision as the server's
// (spectask_core::notification::kind_of), for browser notifications.
import type { ApiEvent } from '../api/client'

export type NotificationKind =
  | 'spec_ready'
  | 'implementation_ready'
  | 'permission_waiting'
  | 'budget'
  | 'stalled'
  | 'check_failed'
  | 'session_failed'
  | 'failed'

/** A notification of a task: its kind and the line shown, given the task's title. */
export interface BrowserNotice {
  kind: NotificationKind
  taskId: string
  text: (title: string) => string
}

/** What the notification says beyond its kind: the tool call waiting, or the budget reached. */
interface Found {
  kind: NotificationKind
  detail?: string
}

/** The notification `event` makes, or null. */
export function noticeOf(event: ApiEvent): BrowserNotice | null {
  const taskId = event.spec_task_id
  if (!taskId) return null
  const found = kindOf(event)
  if (!found) return null
  return { kind: found.kind, taskId, text: (title) => textOf(found, title) }
}

/** The event's notification, read from its kind's typed payload. */
function kindOf(event: ApiEvent): Found | null {
  switch (event.kind) {
    case 'spec_task.transitioned': {
      const to = event.payload.to
      if (to === 'spec_review') return { kind: 'spec_ready' }
      if (to === 'implementation_review') return { kind: 'implementation_ready' }
      return to === 'failed' ? { kind: 'failed' } : null
    }
    case 'work_session.transitioned':
      return event.payload.to === 'failed' ? { kind: 'session_failed' } : null
    case 'work_session.permission': {
      const p = event.payload
      if (p.decided) return null
      return { kind: 'permission_waiting', detail: 'title' in p && p.title ? p.title : undefined }
    }
    case 'work_session.check':
      return event.payload.outcome === 'failed' ? { kind: 'check_failed' } : null
    case 'spec_task.budget': {
      const level = event.payload.level
      return level === 'warning' || level === 'reached' ? { kind: 'budget', detail: level } : null
    }
    case 'work_session.stalled':
      return event.payload.stalled ? { kind: 'stalled' } : null
    default:
      return null
  }
}

function textOf({ kind, detail }: Found, title: string): string {
  switch (kind) {
    case 'spec_ready':
      return `The spec of “${title}” is ready for review`
    case 'implementation_ready':
      return `The implementation of “${title}” is ready for review`
    case 'permission_waiting':
      return `“${title}” waits for permission: ${detail ?? 'a tool call'}`
    case 'budget':
      return detail === 'reached' ? `“${title}” reached its budget` : `“${title}” spent 80% of its budget`
    case 'stalled':
      return `An agent of “${title}” went silent`
    case 'check_failed':
      return `The check of a session of “${title}” failed for good`
    case 'session_failed':
      return `A work session of “${title}” failed`
    case 'failed':
      return `“${title}” failed`
  }
}
