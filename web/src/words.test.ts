import { expect, test } from 'vitest'
import { errorWords, failureWords, inWords } from './words'
import { ApiFailure } from './api/client'

test("a step's failure names what the step does, not its job kind", () => {
  const words = failureWords({ from: 'spec_generation', reason: 'run_planner failed: the planning agent did not write bugfix.md' })
  expect(words).toEqual({
    heading: 'Planning failed',
    sentence: 'Planning failed: the planning agent did not write bugfix.md.',
    recorded: 'run_planner failed: the planning agent did not write bugfix.md',
  })
  expect(failureWords({ from: 'done', reason: 'merge_task_branch failed: main has local changes' }).heading).toBe('Done, but not merged')
  expect(inWords('work session Login failed: agent crashed')).toBe('The session “Login” failed: agent crashed.')
  // The attention item's sentence of a failed task.
  expect(inWords('The task failed: run_planner failed: no spec')).toBe('Planning failed: no spec.')
  expect(inWords('“Login” failed: start_thread failed: no agent')).toBe('“Login” failed: starting the session\'s agent failed: no agent.')
})

test('settings and API routes stay out of the sentence', () => {
  const review = inWords(
    'run_planner failed: agent profile x asks a person before it writes, and a review task\'s agent has no work session to ask in: review with a profile whose permission_policy is not ask',
  )
  expect(review).not.toMatch(/permission_policy|run_planner/)
  const budget = inWords("the task reached its budget of 10 tokens (spent 12): raise it (PUT /api/v1/spec-tasks/abc/budget) or cancel the task")
  expect(budget).toBe('The task reached its budget of 10 tokens (spent 12): raise it or cancel the task.')
  expect(budget).not.toMatch(/\/api\//)
})

test("a refusal in plain words is shown as it is, with no details; a rewritten one keeps the server's words in the details", () => {
  expect(errorWords(new ApiFailure(404, 'not_found', 'there is no branch named `nope`'))).toEqual({
    sentence: 'There is no branch named `nope`.',
    detail: undefined,
  })
  expect(errorWords(new ApiFailure(409, 'budget_reached', 'the budget is reached: raise it (PUT /api/v1/repos/r/budget) first'))).toEqual({
    sentence: 'The budget is reached: raise it first.',
    detail: 'HTTP 409 · budget_reached · the budget is reached: raise it (PUT /api/v1/repos/r/budget) first',
  })
  expect(errorWords(new ApiFailure(409, 'x', 'It moved on.'))).toEqual({ sentence: 'It moved on.', detail: undefined })
  expect(errorWords(new TypeError('Failed to fetch')).sentence).toMatch(/^spectask did not answer/)
})
