import { expect, test } from 'vitest'
import { planCounts } from './progress'

const task = (index: number, state: 'pending' | 'in_progress' | 'done', sessions: string[], optional = false) => ({
  index,
  title: `Task ${index}`,
  state,
  sessions,
  optional,
})

test('a plan task whose session completed is done, whatever the plan file says yet', () => {
  const tasks = [task(0, 'in_progress', ['a']), task(1, 'in_progress', ['b']), task(2, 'pending', [])]
  const sessions = [
    { id: 'a', status: 'completed' as const },
    { id: 'b', status: 'completed' as const },
  ]
  expect(planCounts({ tasks }, sessions)).toEqual({ done: 2, inProgress: 0, total: 3, percent: 67 })
})

test('only a running or blocked session makes a plan task in progress', () => {
  const tasks = [task(0, 'in_progress', ['a']), task(1, 'in_progress', ['b']), task(2, 'pending', ['c'], true)]
  const sessions = [
    { id: 'a', status: 'interrupted' as const },
    { id: 'b', status: 'running' as const },
    { id: 'c', status: 'completed' as const },
  ]
  expect(planCounts({ tasks }, sessions)).toEqual({ done: 1, inProgress: 1, total: 3, percent: 0 })
})
