import { expect, test } from 'vitest'
import { ActionKey, IDEMPOTENCY_KEY, newKey } from './actionKey'
import { ApiFailure } from './client'

test('an action keeps its key until the server answers, and a new body is a new action', () => {
  const action = new ActionKey()
  const first = action.headers({ prompt: 'a' })[IDEMPOTENCY_KEY]
  // The network failed: sending it again is the same action.
  action.settled(new TypeError('Failed to fetch'))
  expect(action.headers({ prompt: 'a' })[IDEMPOTENCY_KEY]).toBe(first)
  // Edited meanwhile: another request, another key.
  const edited = action.headers({ prompt: 'b' })[IDEMPOTENCY_KEY]
  expect(edited).not.toBe(first)
  // Answered (a refusal too): the next click is a new action.
  action.settled(new ApiFailure(409, 'conflict', 'no'))
  expect(action.headers({ prompt: 'b' })[IDEMPOTENCY_KEY]).not.toBe(edited)
})

test('keys are unique', () => {
  expect(new Set(Array.from({ length: 100 }, newKey)).size).toBe(100)
})
