/** A task's budget on its page: how far it got, a pause when it was reached, and a person's change. */
import { useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type Schemas, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { budgetLabel } from '../usage'
import { budgetBody, budgetErrors, hasErrors, type BudgetInput } from '../budgetInput'
import { BudgetFields } from './BudgetFields'
import { Problem } from './Problem'

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
  save: (body: Schemas['BudgetBody']) => Promise<unknown>
  refresh: readonly unknown[]
}) {
  const client = useQueryClient()
  const currency = limits.cost?.currency ?? 'USD'
  const [input, setInput] = useState<BudgetInput>({
    tokens: limits.tokens != null ? String(limits.tokens) : '',
    cost: limits.cost ? String(limits.cost.amount) : '',
  })
  const errors = budgetErrors(input)
  const save = useMutation({
    mutationFn: () => send(budgetBody(input, currency) ?? {}),
    onSuccess: () => void client.invalidateQueries({ queryKey: refresh }),
  })
  return (
    <details open={open}>
      <summary>{summary}</summary>
      <form
        className="budget-form"
        onSubmit={(e) => {
          e.preventDefault()
          if (!hasErrors(errors)) save.mutate()
        }}
      >
        <BudgetFields value={input} errors={errors} onChange={setInput} currency={currency} per={per} />
        <button type="submit" disabled={save.isPending || hasErrors(errors)}>
          {submit}
        </button>
        {save.isError && <Problem error={save.error} inline />}
      </form>
    </details>
  )
}
