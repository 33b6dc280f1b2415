/** A repository's daily budget on a task's page: shown when it is limited, an alert when it is
 * reached (every task of the repository pauses), and a member's change. */
import { useQuery } from '@tanstack/react-query'
import { api, unwrap, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { budgetLabel } from '../usage'
import { BudgetForm } from './BudgetLine'

export function RepositoryBudgetLine({ task }: { task: SpecTask }) {
  const repo = task.repository.id
  const daily = useQuery({
    // Under the task's key: the live stream refreshes it with the task's budget news.
    queryKey: keys.taskPart(task.id, 'repository-budget'),
    queryFn: async () => unwrap(await api.GET('/api/v1/repos/{id}/budget', { params: { path: { id: repo } } })),
  })
  const b = daily.data
  const label = b ? budgetLabel(b) : ''
  if (!b || !label) return null
  const finished = ['done', 'rejected', 'cancelled', 'failed'].includes(task.status)
  return (
    <section aria-label="Repository budget" className={`budget budget-${b.level}`} data-testid="repository-budget">
      {b.paused ? (
        <p role="alert" className="failure">
          Paused: the repository's daily budget is reached ({label} on {b.day}). Its tasks go on when the day ends (UTC) or
          when you raise it.
        </p>
      ) : (
        <p className="meta">
          Repository today: {label} a day{b.set_by ? `, set by ${b.set_by}` : ', the default'}
        </p>
      )}
      {!finished && (
        <BudgetForm
          limits={b}
          open={b.paused}
          per=" a day"
          summary={b.paused ? "Raise the repository's daily budget" : "Change the repository's daily budget"}
          submit="Save daily budget"
          refresh={keys.task(task.id)}
          save={async (body) => unwrap(await api.PUT('/api/v1/repos/{id}/budget', { params: { path: { id: repo } }, body }))}
        />
      )}
    </section>
  )
}

