import { useQuery } from '@tanstack/react-query'
import { api, unwrap, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { When } from '../components/When'
import { implementationRounds } from '../review/rounds'

/** The implementation review's earlier rounds: each decision, by whom, when, and what was asked. */
export function ReviewRounds({ task }: { task: SpecTask }) {
  const log = useQuery({
    queryKey: keys.taskPart(task.id, 'coordination-log'),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/spec-tasks/{id}/coordination-log', { params: { path: { id: task.id } } })),
  })
  const rounds = implementationRounds(log.data ?? [])
  if (rounds.length === 0) return null
  return (
    <section className="review-rounds" aria-labelledby="review-rounds">
      <h3 id="review-rounds">Earlier review rounds</h3>
      <ol>
        {rounds.map((r) => (
          <li key={r.seq}>
            <strong>{r.decision}</strong>
            {r.reviewer && <> by {r.reviewer}</>}, <When at={r.at} />
            {r.comments && <blockquote>{r.comments}</blockquote>}
          </li>
        ))}
      </ol>
    </section>
  )
}
