import { expect, test } from 'vitest'
import { planKinds } from './Fleet'

test('every plan task in progress is highlighted, not only the first', () => {
  const pending = { state: 'pending' as const }
  const running = { state: 'in_progress' as const }
  const done = { state: 'done' as const }
  expect(planKinds([done, running, pending, running, pending])).toEqual(['before', 'current', 'next', 'current', 'after'])
  expect(planKinds([])).toEqual([])
  // A later plan task done while an earlier one runs is faded as done, not shown as next.
  expect(planKinds([done, running, done, pending])).toEqual(['before', 'current', 'before', 'next'])
  // With nothing in progress (the agent stopped), nothing is highlighted.
  expect(planKinds([done, pending, pending])).toEqual(['before', 'next', 'after'])
})
