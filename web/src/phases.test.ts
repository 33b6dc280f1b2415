import { expect, test } from 'vitest'
import { PHASES, failureLabel, phaseOf } from './phases'

test('a failure says where the task failed and why', () => {
  expect(failureLabel({ from: 'implementation', reason: 'work session Login failed: agent crashed' })).toBe(
    'Failed in implementation: work session Login failed: agent crashed',
  )
})

test("a done task whose merge failed says it is not merged, and sits with the ended tasks", () => {
  const reason = 'merge_task_branch failed: branch main is checked out at /repo with local changes: README.md'
  expect(failureLabel({ from: 'done', reason })).toBe(`Done, but not merged: ${reason}`)
  expect(phaseOf('failed')).toBe('ended')
})

test('rejected and cancelled tasks sit apart from the columns, with the failed ones', () => {
  expect(phaseOf('rejected')).toBe('ended')
  expect(phaseOf('cancelled')).toBe('ended')
  expect(PHASES.map((p) => p.label)).toEqual(['Backlog', 'Planning', 'Review', 'Implementation', 'Done'])
})
