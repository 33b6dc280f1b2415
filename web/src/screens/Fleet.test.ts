import { expect, test } from 'vitest'
import { planKinds, waitingSessions } from './Fleet'

test('every plan task in progress is highlighted, not only the first', () => {
  const pending = { state: 'pending' as const, sessions: [] }
  const running = { state: 'in_progress' as const, sessions: ['s1'] }
  const done = { state: 'done' as const, sessions: [] }
  expect(planKinds([done, running, pending, running, pending])).toEqual(['before', 'current', 'next', 'current', 'after'])
  expect(planKinds([])).toEqual([])
  // A later plan task done while an earlier one runs is faded as done, not shown as next.
  expect(planKinds([done, running, done, pending])).toEqual(['before', 'current', 'before', 'next'])
  // With nothing in progress (the agent stopped), nothing is highlighted.
  expect(planKinds([done, pending, pending])).toEqual(['before', 'next', 'after'])
})

test('a plan task whose session waits for a person is not highlighted as at work', () => {
  const asking = { state: 'in_progress' as const, sessions: ['s1'] }
  const working = { state: 'in_progress' as const, sessions: ['s2'] }
  const waiting = waitingSessions([
    { needs_you: true, work_session_id: 's1' },
    { needs_you: true, work_session_id: null },
    { needs_you: false, work_session_id: 's2' },
  ])
  expect([...waiting]).toEqual(['s1'])
  expect(planKinds([asking, working], waiting)).toEqual(['waiting', 'current'])
})

test('a task a budget paused shows its plan tasks paused, not at work', () => {
  const running = { state: 'in_progress' as const, sessions: ['s1'] }
  const done = { state: 'done' as const, sessions: [] }
  const pending = { state: 'pending' as const, sessions: [] }
  expect(planKinds([done, running, pending], new Set(), true)).toEqual(['before', 'paused', 'next'])
  // A session that waits for a person still says so.
  expect(planKinds([running], new Set(['s1']), true)).toEqual(['waiting'])
})
