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

type Payload = Record<string, unknown>

/** The notification `event` makes, or null. */
export function noticeOf(event: ApiEvent): BrowserNotice | null {
  const taskId = event.spec_task_id
  if (!taskId) return null
  const payload = (event.payload ?? {}) as Payload
  const kind = kindOf(event.kind, payload)
  if (!kind) return null
  return { kind, taskId, text: (title) => textOf(kind, title, payload) }
}

function kindOf(kind: ApiEvent['kind'], p: Payload): NotificationKind | null {
  switch (kind) {
    case 'spec_task.transitioned':
      if (p.to === 'spec_review') return 'spec_ready'
      if (p.to === 'implementation_review') return 'implementation_ready'
      return p.to === 'failed' ? 'failed' : null
    case 'work_session.transitioned':
      return p.to === 'failed' ? 'session_failed' : null
    case 'work_session.permission':
      return p.decided === false ? 'permission_waiting' : null
    case 'work_session.check':
      return p.outcome === 'failed' ? 'check_failed' : null
    case 'spec_task.budget':
      return p.level === 'warning' || p.level === 'reached' ? 'budget' : null
    case 'work_session.stalled':
      return p.stalled === true ? 'stalled' : null
    default:
      return null
  }
}

function textOf(kind: NotificationKind, title: string, p: Payload): string {
  switch (kind) {
    case 'spec_ready':
      return `The spec of “${title}” is ready for review`
    case 'implementation_ready':
      return `The implementation of “${title}” is ready for review`
    case 'permission_waiting':
      return `“${title}” waits for permission: ${typeof p.title === 'string' ? p.title : 'a tool call'}`
    case 'budget':
      return p.level === 'reached' ? `“${title}” reached its budget` : `“${title}” spent 80% of its budget`
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
