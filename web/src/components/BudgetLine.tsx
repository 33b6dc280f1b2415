/** A task's budget on its page: how far it got, a pause when it was reached, and a person's change. */
import { useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { budgetLabel } from '../usage'
import { budgetBody, budgetErrors, hasErrors, type BudgetInput } from '../budgetInput'
import { BudgetFields } from './BudgetFields'

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
  const currency = task.budget.cost?.currency ?? 'USD'
  const [input, setInput] = useState<BudgetInput>({
    tokens: task.budget.tokens != null ? String(task.budget.tokens) : '',
    cost: task.budget.cost ? String(task.budget.cost.amount) : '',
  })
  const errors = budgetErrors(input)
  const save = useMutation({
    mutationFn: async () => {
      const body = budgetBody(input, currency) ?? {}
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
          if (!hasErrors(errors)) save.mutate()
        }}
      >
        <BudgetFields value={input} errors={errors} onChange={setInput} currency={currency} />
        <button type="submit" disabled={save.isPending || hasErrors(errors)}>
          Save budget
        </button>
        {save.isError && <span role="alert">{save.error.message}</span>}
      </form>
    </details>
  )
}
