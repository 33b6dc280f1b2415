import { expect, test } from 'vitest'
import { kindsAfter } from './Fleet'

test('every plan task in progress is highlighted, not only the first', () => {
  const pending = { state: 'pending' as const }
  const running = { state: 'in_progress' as const }
  expect(kindsAfter([running, pending, pending])).toEqual(['current', 'next', 'after'])
  expect(kindsAfter([pending, running, pending])).toEqual(['next', 'current', 'after'])
  expect(kindsAfter([])).toEqual([])
})
