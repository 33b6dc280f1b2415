// The earlier rounds of a task's implementation review, read from its coordination log, where
// each decision is recorded (`review_decision`, its data the decision, the comments and the
// reviewer). Pure.
import type { Schemas } from '../api/client'

type LogEntry = Pick<Schemas['CoordinationEvent'], 'seq' | 'kind' | 'message' | 'data' | 'at'>

export type ReviewRound = { seq: number; at: string; decision: string; comments: string; reviewer: string }

/** Every implementation review decision of the log, oldest first. */
export function implementationRounds(log: LogEntry[]): ReviewRound[] {
  return log
    .filter((e) => e.kind === 'review_decision' && e.message.startsWith('implementation review'))
    .map((e) => {
      const data = (e.data ?? {}) as Record<string, unknown>
      const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : '')
      return {
        seq: e.seq,
        at: e.at,
        decision: text('decision').replace(/_/g, ' ') || e.message.replace(/^implementation review: /, ''),
        comments: text('comments'),
        reviewer: text('reviewer'),
      }
    })
}
