import { expect, test } from 'vitest'
import { ApiFailure } from '../api/client'
import { lintRefused } from './SpecDecision'

test('only an approval refused for lint errors offers approving despite them, with a reason', () => {
  expect(lintRefused(new ApiFailure(409, 'lint_errors', 'tasks.md:3: error[T001]: duplicate task id 2'))).toBe(true)
  expect(lintRefused(new ApiFailure(409, 'questions_unanswered', 'answer them first'))).toBe(false)
  expect(lintRefused(new Error('network'))).toBe(false)
  expect(lintRefused(null)).toBe(false)
})
