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
