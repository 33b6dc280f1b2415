/** A task's budget on its page: how far it got, a pause when it was reached, and a person's change. */
import { useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { budgetLabel } from '../usage'

export function BudgetLine({ task }: { task: SpecTask }) {
  const b = task.budget
  const label = budgetLabel(b)
  const finished = ['done', 'rejected', 'cancelled', 'failed'].includes(task.status)
  return (
    <section aria-label="Budget" className={`budget budget-${b.level}`} data-testid="budget">
      {b.paused ? (
        <p role="alert" className="failure">
          Paused: budget reached ({label}). Its sessions wait until you raise the budget or cancel the task.
        </p>
      ) : (
        label && (
          <p className="meta">
            Budget: {label}
            {b.set_by ? `, set by ${b.set_by}` : ', the default'}
            {b.level === 'warning' ? ' — nearly spent' : ''}
          </p>
        )
      )}
      {!finished && (
        <BudgetForm
          limits={b}
          open={b.paused}
          summary={b.paused ? 'Raise the budget' : 'Change the budget'}
          submit="Save budget"
          refresh={keys.task(task.id)}
          save={async (body) =>
            unwrap(await api.PUT('/api/v1/spec-tasks/{id}/budget', { params: { path: { id: task.id } }, body }))
          }
        />
      )}
    </section>
  )
}

type Limits = { tokens?: number | null; cost?: { amount: number; currency: string } | null }
type BudgetBody = { tokens?: number; cost?: number; currency?: string }

/** Sets a budget (a task's, or a repository's daily one): empty fields are no limit. */
export function BudgetForm({
  limits,
  open,
  summary,
  per = '',
  submit,
  save: send,
  refresh,
}: {
  limits: Limits
  open: boolean
  summary: string
  /** After the field names: '' or ' a day'. */
  per?: string
  submit: string
  save: (body: BudgetBody) => Promise<unknown>
  refresh: readonly unknown[]
}) {
  const client = useQueryClient()
  const [tokens, setTokens] = useState(limits.tokens != null ? String(limits.tokens) : '')
  const [cost, setCost] = useState(limits.cost ? String(limits.cost.amount) : '')
  const save = useMutation({
    mutationFn: () =>
      send({
        tokens: tokens.trim() === '' ? undefined : Number(tokens),
        cost: cost.trim() === '' ? undefined : Number(cost),
        currency: limits.cost?.currency,
      }),
    onSuccess: () => void client.invalidateQueries({ queryKey: refresh }),
  })
  return (
    <details open={open}>
      <summary>{summary}</summary>
      <form
        className="budget-form"
        onSubmit={(e) => {
          e.preventDefault()
          save.mutate()
        }}
      >
        <label>
          Tokens{per}{' '}
          <input type="number" min={0} step={1000} value={tokens} onChange={(e) => setTokens(e.target.value)} placeholder="no limit" />
        </label>
        <label>
          Cost{per} ({limits.cost?.currency ?? 'USD'}){' '}
          <input type="number" min={0} step={0.01} value={cost} onChange={(e) => setCost(e.target.value)} placeholder="no limit" />
        </label>
        <button type="submit" disabled={save.isPending}>
          {submit}
        </button>
        {save.isError && <span role="alert">{save.error.message}</span>}
      </form>
    </details>
  )
}
