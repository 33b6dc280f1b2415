// A task's or session's usage (the API's `usage`) as people read it.
import type { Schemas } from './api/client'

export type Usage = Schemas['UsageDto']

/** `1.2k in (300 cached) · 350 out`; empty when nothing was used. */
export function tokensLabel(u: Usage): string {
  if (u.input_tokens + u.output_tokens === 0) return ''
  const cached = u.cached_tokens > 0 ? ` (${compact(u.cached_tokens)} cached)` : ''
  return `${compact(u.input_tokens)} in${cached} · ${compact(u.output_tokens)} out`
}

/** `$0.0123`, `0.50 EUR`, or `cost unknown` when tokens were used that nobody could price. */
export function costLabel(u: Usage): string {
  if (u.cost) {
    const digits = u.cost.amount >= 1 ? 2 : 4
    const amount = u.cost.amount.toFixed(digits)
    return u.cost.currency === 'USD' ? `$${amount}` : `${amount} ${u.cost.currency}`
  }
  return u.input_tokens + u.output_tokens > 0 ? 'cost unknown' : ''
}

/** `context 40%`, when the agent reported its context window. */
export function contextLabel(u: Usage): string {
  if (!u.context || u.context.size === 0) return ''
  return `context ${Math.round((u.context.used * 100) / u.context.size)}%`
}

/** Everything in one line, parts joined by ` · `. */
export function usageLabel(u: Usage): string {
  return [tokensLabel(u), costLabel(u), contextLabel(u)].filter(Boolean).join(' · ')
}

/** 950 → `950`, 12345 → `12.3k`, 2500000 → `2.5M`. */
export function compact(n: number): string {
  if (n < 1000) return String(n)
  if (n < 1_000_000) return `${trim(n / 1000)}k`
  return `${trim(n / 1_000_000)}M`
}

function trim(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, '')
}

export type Budget = Schemas['BudgetDto']

/** `45% of 100k tokens`, `80% of 100k tokens or $5.00`; empty when the task has no limit. */
export function budgetLabel(b: Budget): string {
  const limits = [
    b.tokens != null ? `${compact(b.tokens)} tokens` : '',
    b.cost ? (b.cost.currency === 'USD' ? `$${b.cost.amount.toFixed(2)}` : `${b.cost.amount.toFixed(2)} ${b.cost.currency}`) : '',
  ].filter(Boolean)
  if (limits.length === 0) return ''
  const unknown = b.cost_unknown ? ' (cost unknown: tokens counted)' : ''
  return `${Math.round(b.share * 100)}% of ${limits.join(' or ')}${unknown}`
}
