import { describe, expect, it } from 'vitest'
import { compact, usageLabel, type Usage } from './usage'

const none: Usage = { input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost: null, context: null }

describe('usage', () => {
  it('shows tokens, cost and context fill', () => {
    const u: Usage = {
      input_tokens: 12345,
      output_tokens: 350,
      cached_tokens: 300,
      cost: { amount: 0.0123, currency: 'USD' },
      context: { used: 40, size: 100 },
    }
    expect(usageLabel(u)).toBe('12.3k in (300 cached) · 350 out · $0.0123 · context 40%')
  })

  it('says a cost is unknown rather than guess it, and shows nothing for nothing', () => {
    expect(usageLabel({ ...none, input_tokens: 5, output_tokens: 1 })).toBe('5 in · 1 out · cost unknown')
    expect(usageLabel(none)).toBe('')
    expect(usageLabel({ ...none, input_tokens: 1, cost: { amount: 2.5, currency: 'EUR' } })).toBe('1 in · 0 out · 2.50 EUR')
  })

  it('shortens large counts', () => {
    expect([compact(950), compact(1000), compact(123456), compact(2_500_000)]).toEqual(['950', '1k', '123k', '2.5M'])
  })
})

describe('budget', () => {
  const base = { tokens: null, cost: null, set_by: null, spent_tokens: 0, share: 0, level: 'within', paused: false, cost_unknown: false } as const
  it('says how far a task got through its limits, and nothing without one', async () => {
    const { budgetLabel } = await import('./usage')
    expect(budgetLabel(base)).toBe('')
    expect(budgetLabel({ ...base, tokens: 100000, share: 0.456 })).toBe('46% of 100k tokens')
    expect(budgetLabel({ ...base, tokens: 100000, cost: { amount: 5, currency: 'USD' }, share: 0.8, cost_unknown: true })).toBe(
      '80% of 100k tokens or $5.00 (cost unknown: tokens counted)',
    )
  })
})
