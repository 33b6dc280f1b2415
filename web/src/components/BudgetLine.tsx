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
      {!finished && <BudgetForm task={task} open={b.paused} />}
    </section>
  )
}

/** Sets the task's budget: empty fields are no limit. */
function BudgetForm({ task, open }: { task: SpecTask; open: boolean }) {
  const client = useQueryClient()
  const [tokens, setTokens] = useState(task.budget.tokens != null ? String(task.budget.tokens) : '')
  const [cost, setCost] = useState(task.budget.cost ? String(task.budget.cost.amount) : '')
  const save = useMutation({
    mutationFn: async () => {
      const body = {
        tokens: tokens.trim() === '' ? undefined : Number(tokens),
        cost: cost.trim() === '' ? undefined : Number(cost),
        currency: task.budget.cost?.currency,
      }
      return unwrap(await api.PUT('/api/v1/spec-tasks/{id}/budget', { params: { path: { id: task.id } }, body }))
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.task(task.id) }),
  })
  return (
    <details open={open}>
      <summary>{open ? 'Raise the budget' : 'Change the budget'}</summary>
      <form
        className="budget-form"
        onSubmit={(e) => {
          e.preventDefault()
          save.mutate()
        }}
      >
        <label>
          Tokens{' '}
          <input type="number" min={0} step={1000} value={tokens} onChange={(e) => setTokens(e.target.value)} placeholder="no limit" />
        </label>
        <label>
          Cost ({task.budget.cost?.currency ?? 'USD'}){' '}
          <input type="number" min={0} step={0.01} value={cost} onChange={(e) => setCost(e.target.value)} placeholder="no limit" />
        </label>
        <button type="submit" disabled={save.isPending}>
          Save budget
        </button>
        {save.isError && <span role="alert">{save.error.message}</span>}
      </form>
    </details>
  )
}
