/** The budget's two fields (tokens, cost), each with its error under it; shared by the Create
 * SpecTask dialog and the task page's budget form. */
import { useId } from 'react'
import type { BudgetErrors, BudgetInput } from '../budgetInput'

export function BudgetFields(props: {
  value: BudgetInput
  errors: BudgetErrors
  onChange: (value: BudgetInput) => void
  currency?: string
  /** After the field names: '' or ' a day'. */
  per?: string
}) {
  const id = useId()
  const { value, errors, onChange } = props
  const fields = [
    { name: 'tokens', label: `Tokens${props.per ?? ''}`, mode: 'numeric' },
    { name: 'cost', label: `Cost${props.per ?? ''} (${props.currency ?? 'USD'})`, mode: 'decimal' },
  ] as const
  return (
    <div className="budget-fields">
      {fields.map(({ name, label, mode }) => {
        const error = errors[name]
        return (
          <div key={name} className="field">
            <label htmlFor={`${id}-${name}`}>{label}</label>
            <input
              id={`${id}-${name}`}
              inputMode={mode}
              autoComplete="off"
              value={value[name]}
              onChange={(e) => onChange({ ...value, [name]: e.target.value })}
              placeholder="no limit"
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-${name}-error` : undefined}
            />
            {error && (
              <p id={`${id}-${name}-error`} className="field-error">
                {error}
              </p>
            )}
          </div>
        )
      })}
    </div>
  )
}
