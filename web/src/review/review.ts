// The pure logic of the implementation review screen: how each acceptance criterion stands (its
// commits and its sessions' latest checks), and the diff's totals.
import type { Schemas } from '../api/client'

export type Review = Schemas['ImplementationReviewDto']
export type Criterion = Schemas['CriterionReviewDto']
export type SessionReview = Schemas['SessionReviewDto']
export type Check = Schemas['CheckResultDto']

/** How a criterion stands: nothing implements it, its commits are in, a check of it fails or passes. */
export type CriterionState = 'not_implemented' | 'implemented' | 'checks_pass' | 'check_fails'

/** Each session's newest check: what counts for the criterion it implements. */
export function latestCheck(session: SessionReview): Check | undefined {
  return session.checks.at(-1)
}

export function criterionState(criterion: Criterion, sessions: SessionReview[]): CriterionState {
  if (criterion.commits.length === 0) return 'not_implemented'
  const checks = sessions
    .filter((s) => criterion.work_session_ids.includes(s.id))
    .map(latestCheck)
    .filter((c): c is Check => c !== undefined)
  if (checks.length === 0) return 'implemented'
  return checks.every((c) => c.passed) ? 'checks_pass' : 'check_fails'
}

export const criterionStateLabel: Record<CriterionState, string> = {
  not_implemented: 'no commit implements it',
  implemented: 'implemented (no check ran)',
  checks_pass: 'implemented, checks pass',
  check_fails: 'implemented, a check fails',
}

export function diffTotals(review: Pick<Review, 'files' | 'files_left_out'>): { files: number; additions: number; deletions: number } {
  return review.files.reduce(
    (t, f) => ({ files: t.files, additions: t.additions + f.additions, deletions: t.deletions + f.deletions }),
    { files: review.files.length + review.files_left_out, additions: 0, deletions: 0 },
  )
}

/** The abbreviated commit id people read (git's default length). */
export function shortCommit(id: string): string {
  return id.slice(0, 7)
}

/** What one check said, in words: `passed`, `failed (exit 1), sent back`, `timed out`. */
export function checkLabel(check: Check): string {
  const then = check.outcome === 'sent_back' ? ', sent back to the agent' : check.outcome === 'failed' ? ', session failed' : ''
  if (check.passed) return check.expects_failure ? `passed, so no test shows the bug yet${then}` : 'passed'
  const ending = check.timed_out ? 'timed out' : check.exit_code == null ? 'no exit status' : `exit ${check.exit_code}`
  if (check.outcome === 'reproduced') return `failed (${ending}): the bug is reproduced`
  return `failed (${ending})${then}`
}

/** Whether a check ended as it should: passing, or failing when it is a bugfix's reproduction. */
export function checkAsWanted(check: Check): boolean {
  return check.expects_failure ? check.outcome === 'reproduced' : check.passed
}
