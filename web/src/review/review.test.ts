import { describe, expect, test } from 'vitest'
import { checkAsWanted, checkLabel, criterionState, diffTotals, type Check, type Criterion, type SessionReview } from './review'

const check = (passed: boolean, extra: Partial<Check> = {}): Check => ({
  at: '2026-01-01T00:00:00Z',
  command: 'npm test',
  passed,
  outcome: passed ? 'passed' : 'sent_back',
  expects_failure: false,
  exit_code: passed ? 0 : 1,
  timed_out: false,
  output: '',
  round: 1,
  rounds: 4,
  ...extra,
})
const session = (id: string, checks: Check[]): SessionReview => ({
  id,
  name: id,
  status: 'completed',
  checks,
  commits: [],
})
const criterion = (commits: string[], sessions: string[]): Criterion => ({
  id: '1.1',
  requirement_id: '1',
  text: 'WHEN … THEN the system SHALL …',
  plan_tasks: [],
  work_session_ids: sessions,
  commits,
})

describe('criterionState', () => {
  test('no commit: not implemented, whatever the checks say', () => {
    expect(criterionState(criterion([], ['a']), [session('a', [check(true)])])).toBe('not_implemented')
  })
  test('commits and no check: implemented', () => {
    expect(criterionState(criterion(['c1'], ['a']), [session('a', [])])).toBe('implemented')
  })
  test("each session's newest check counts: a failure sent back and then fixed passes", () => {
    expect(criterionState(criterion(['c1'], ['a']), [session('a', [check(false), check(true)])])).toBe('checks_pass')
  })
  test('one session whose newest check fails makes the criterion fail', () => {
    const sessions = [session('a', [check(true)]), session('b', [check(true), check(false)]), session('other', [check(false)])]
    expect(criterionState(criterion(['c1'], ['a', 'b']), sessions)).toBe('check_fails')
    expect(criterionState(criterion(['c1'], ['a']), sessions)).toBe('checks_pass')
  })
})

test('diffTotals counts the files left out and sums the lines', () => {
  const file = (additions: number, deletions: number) => ({ path: 'f', change: 'modified' as const, binary: false, additions, deletions, hunks: [], truncated: false })
  expect(diffTotals({ files: [file(3, 1), file(2, 0)], files_left_out: 4 })).toEqual({ files: 6, additions: 5, deletions: 1 })
})

test('checkLabel says how a check ended', () => {
  expect(checkLabel(check(true))).toBe('passed')
  expect(checkLabel(check(false))).toBe('failed (exit 1), sent back to the agent')
  expect(checkLabel(check(false, { timed_out: true, exit_code: null, outcome: 'failed' }))).toBe('failed (timed out), session failed')
})

test('a reproduction check is as wanted when it fails on the test', () => {
  const reproduced = check(false, { expects_failure: true, outcome: 'reproduced' })
  expect(checkLabel(reproduced)).toBe('failed (exit 1): the bug is reproduced')
  expect(checkAsWanted(reproduced)).toBe(true)
  const passing = check(true, { expects_failure: true, outcome: 'sent_back' })
  expect(checkLabel(passing)).toBe('passed, so no test shows the bug yet, sent back to the agent')
  expect(checkAsWanted(passing)).toBe(false)
  expect(checkAsWanted(check(true))).toBe(true)
})
