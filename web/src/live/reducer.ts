// What one live event means for the query caches: the keys whose data it changed. Pure, so that
// the stream (stream.ts) stays a thin loop and this is tested on its own.
import type { QueryKey } from '@tanstack/react-query'
import type { ApiEvent } from '../api/client'
import { keys } from '../api/keys'

export function keysChangedBy(event: Pick<ApiEvent, 'kind' | 'spec_task_id' | 'work_session_id'>): QueryKey[] {
  const task = event.spec_task_id ?? undefined
  const session = event.work_session_id ?? undefined
  const out: QueryKey[] = []
  const taskAll = () => task && out.push(keys.task(task))
  switch (event.kind) {
    case 'spec_task.created':
    case 'spec_task.transitioned':
    case 'spec_task.hidden':
      out.push(keys.tasks, keys.fleet)
      taskAll()
      break
    case 'spec_review.recorded':
      taskAll()
      break
    case 'spec_task.prerequisites_changed':
    case 'spec_task.held':
    case 'spec_task.budget':
      // The board says what a task waits for (or that its budget paused it); its page says why.
      out.push(keys.tasks)
      taskAll()
      break
    case 'work_session.stalled':
      // A stalled session is marked on the fleet, its task's page and its own page.
      out.push(keys.fleet)
      taskAll()
      if (session) out.push(keys.session(session))
      break
    case 'work_session.created':
    case 'work_session.transitioned':
      // The board's cards say whether a session runs, from the list.
      out.push(keys.tasks, keys.fleet, keys.approvals)
      taskAll()
      if (session) out.push(keys.session(session))
      break
    case 'plan_progress.detected':
      // A plan task done moves the card's progress.
      out.push(keys.tasks)
      out.push(keys.fleet)
      taskAll()
      if (session) out.push(keys.session(session))
      break
    case 'work_session.plan':
      out.push(keys.fleet)
      taskAll()
      if (session) out.push(keys.session(session))
      break
    case 'coordination.recorded':
      taskAll()
      break
    case 'pull_request.updated':
      // The board's card and the task page show the pull request and its state.
      out.push(keys.tasks)
      taskAll()
      break
    case 'repository.registered':
      out.push(keys.repos)
      break
    case 'agent.sandbox':
      if (session) out.push(keys.session(session))
      break
    case 'work_session.check':
      // The implementation review and the task's sessions show each session's check rounds.
      taskAll()
      if (session) out.push(keys.session(session))
      break
    case 'work_session.history':
      // New entries of a transcript: only they are read (the session itself did not change).
      if (session) out.push(keys.history(session))
      break
    case 'work_session.permission':
      out.push(keys.approvals)
      if (session) out.push(keys.session(session))
      break
  }
  return out
}

/** Collects changed keys and hands them over once per flush, each key once (no refetch storms). */
export class KeyBatch {
  private pending = new Map<string, QueryKey>()

  add(changed: QueryKey[]): void {
    for (const key of changed) this.pending.set(JSON.stringify(key), key)
  }

  /** The keys gathered since the last call, without those another key already covers. */
  take(): QueryKey[] {
    const all = [...this.pending.values()]
    this.pending.clear()
    return all.filter((key) => !all.some((other) => other !== key && isPrefix(other, key)))
  }

  get size(): number {
    return this.pending.size
  }
}

function isPrefix(prefix: QueryKey, key: QueryKey): boolean {
  return prefix.length < key.length && prefix.every((part, i) => part === key[i])
}
