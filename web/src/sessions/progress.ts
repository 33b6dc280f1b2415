// The Progress card's numbers, derived from the same facts the session rows show: a plan task is
// done when its plan says so or a session of it completed, and in progress only while a session
// of it runs (a stopped agent's interrupted session is not progress). Pure.
import type { Schemas, WorkSession } from '../api/client'

type Progress = Pick<Schemas['ProgressDto'], 'tasks'>

export type PlanCounts = { done: number; inProgress: number; total: number; percent: number }

export function planCounts(progress: Progress, sessions: Pick<WorkSession, 'id' | 'status'>[]): PlanCounts {
  const statusOf = new Map(sessions.map((s) => [s.id, s.status]))
  let done = 0
  let inProgress = 0
  let required = 0
  let requiredDone = 0
  for (const task of progress.tasks) {
    const statuses = task.sessions.map((id) => statusOf.get(id))
    const isDone = task.state === 'done' || statuses.includes('completed')
    if (isDone) done++
    else if (statuses.some((s) => s === 'running' || s === 'blocked')) inProgress++
    if (!task.optional) {
      required++
      if (isDone) requiredDone++
    }
  }
  const percent = required === 0 ? 0 : Math.round((100 * requiredDone) / required)
  return { done, inProgress, total: progress.tasks.length, percent }
}
