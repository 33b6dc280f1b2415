// A budget as a person types it (tokens and cost as text), checked before it is sent.
import type { Schemas } from './api/client'

export type BudgetInput = { tokens: string; cost: string }
export type BudgetErrors = { tokens?: string; cost?: string }

export const NO_BUDGET: BudgetInput = { tokens: '', cost: '' }

/** The largest money limit the server takes. */
const MAX_COST = 1e12

/** `200000`, `200,000` and `200 000` are the same number of tokens. */
function digits(text: string): string {
  return text.trim().replace(/[\s,_]/g, '')
}

/** What is wrong with each field, in words; empty fields are no limit. */
export function budgetErrors(input: BudgetInput): BudgetErrors {
  const errors: BudgetErrors = {}
  const tokens = digits(input.tokens)
  if (tokens.startsWith('-')) errors.tokens = 'A budget cannot be negative.'
  else if (tokens !== '' && !/^\d+$/.test(tokens)) errors.tokens = 'Tokens are a whole number, like 200000.'
  else if (tokens !== '' && !Number.isSafeInteger(Number(tokens))) errors.tokens = 'That is more tokens than can be counted.'
  const cost = input.cost.trim()
  if (cost.startsWith('-')) errors.cost = 'A budget cannot be negative.'
  else if (cost !== '' && !/^\d+(\.\d+)?$/.test(cost)) errors.cost = 'The cost is an amount, like 5 or 2.50.'
  else if (cost !== '' && Number(cost) > MAX_COST) errors.cost = 'That is more than a budget can be.'
  return errors
}

export function hasErrors(errors: BudgetErrors): boolean {
  return errors.tokens !== undefined || errors.cost !== undefined
}

/** The request's budget, or undefined when no limit is typed (the server's default holds). */
export function budgetBody(input: BudgetInput, currency = 'USD'): Schemas['BudgetBody'] | undefined {
  const tokens = digits(input.tokens)
  const cost = input.cost.trim()
  if (tokens === '' && cost === '') return undefined
  return {
    tokens: tokens === '' ? undefined : Number(tokens),
    cost: cost === '' ? undefined : Number(cost),
    currency: cost === '' ? undefined : currency,
  }
}
