// The board's columns: a SpecTask's status grouped into the phases people think in.
import type { SpecTaskStatus } from './api/client'

export type Phase = 'backlog' | 'planning' | 'review' | 'implementation' | 'done' | 'failed'

export const PHASES: { phase: Phase; label: string }[] = [
  { phase: 'backlog', label: 'Backlog' },
  { phase: 'planning', label: 'Planning' },
  { phase: 'review', label: 'Review' },
  { phase: 'implementation', label: 'Implementation' },
  { phase: 'done', label: 'Done' },
  { phase: 'failed', label: 'Failed' },
]

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
      return 'failed'
  }
}

/** Whether an agent works on the task right now (the card's live indicator). */
export function agentAtWork(status: SpecTaskStatus): boolean {
  return status === 'spec_generation' || status === 'spec_revision' || status === 'implementation'
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
