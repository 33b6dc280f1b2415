import { describe, expect, it } from 'vitest'
import { budgetBody, budgetErrors, hasErrors } from './budgetInput'

describe('budgetErrors', () => {
  it('takes empty fields (no limit), whole tokens and amounts of money', () => {
    expect(budgetErrors({ tokens: '', cost: '' })).toEqual({})
    expect(budgetErrors({ tokens: '200,000', cost: '2.50' })).toEqual({})
  })

  it('names what is wrong with each field', () => {
    const errors = budgetErrors({ tokens: '1.5', cost: '-3' })
    expect(errors.tokens).toMatch(/whole number/)
    expect(errors.cost).toMatch(/negative/)
    expect(hasErrors(errors)).toBe(true)
    expect(budgetErrors({ tokens: '-1', cost: 'five' })).toEqual({
      tokens: 'A budget cannot be negative.',
      cost: 'The cost is an amount, like 5 or 2.50.',
    })
    expect(budgetErrors({ tokens: '9'.repeat(20), cost: '1e13' }).tokens).toMatch(/more tokens/)
  })
})

describe('budgetBody', () => {
  it('is left out when nothing is typed', () => {
    expect(budgetBody({ tokens: ' ', cost: '' })).toBeUndefined()
  })

  it('sends the limits typed, the currency with a cost', () => {
    expect(budgetBody({ tokens: '500 000', cost: '' })).toEqual({ tokens: 500000, cost: undefined, currency: undefined })
    expect(budgetBody({ tokens: '', cost: '2.5' }, 'EUR')).toEqual({ tokens: undefined, cost: 2.5, currency: 'EUR' })
  })
})
