// The board's columns: a SpecTask's status grouped into the phases people think in; the tasks that
// ended short of done (failed, rejected, cancelled) have a place of their own.
import type { SpecTaskStatus } from './api/client'

export type Phase = 'backlog' | 'planning' | 'review' | 'implementation' | 'done' | 'ended'

/** The board's columns, in the order work moves through them. */
export const PHASES: { phase: Phase; label: string }[] = [
  { phase: 'backlog', label: 'Backlog' },
  { phase: 'planning', label: 'Planning' },
  { phase: 'review', label: 'Review' },
  { phase: 'implementation', label: 'Implementation' },
  { phase: 'done', label: 'Done' },
]

/** Tasks that stopped short of done, shown apart from the columns (each with its own status). */
export const ENDED = { phase: 'ended' as Phase, label: 'Failed, rejected or cancelled' }

export function phaseOf(status: SpecTaskStatus): Phase {
  switch (status) {
    case 'backlog':
      return 'backlog'
    case 'spec_generation':
    case 'spec_revision':
      return 'planning'
    case 'spec_review':
    case 'implementation_review':
    case 'pull_request':
      return 'review'
    case 'spec_approved':
    case 'implementation_queued':
    case 'implementation':
      return 'implementation'
    case 'done':
      return 'done'
    case 'failed':
    case 'rejected':
    case 'cancelled':
      return 'ended'
  }
}

/** Whether a planner works on the task in this status (the card's live indicator; in implementation the card asks the task's sessions). */
export function plannerAtWork(status: SpecTaskStatus): boolean {
  return status === 'spec_generation' || status === 'spec_revision'
}

/** A status as words. */
export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ')
}

/** A task's failure in words: where it failed and why; a done task whose merge failed says so. */
export function failureLabel(failure: { from: SpecTaskStatus; reason: string }): string {
  return failure.from === 'done'
    ? `Done, but not merged: ${failure.reason}`
    : `Failed in ${statusLabel(failure.from)}: ${failure.reason}`
}
