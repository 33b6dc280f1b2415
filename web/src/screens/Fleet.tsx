import { Link } from 'react-router'
import type { Schemas } from '../api/client'
import { useFleet } from '../api/queries'
import { ProgressBar } from '../components/Progress'
import { repoName } from './Board'
import { usageLabel } from '../usage'
import { When } from '../components/When'
import { PlanStateIcon } from '../components/icons'

type Agent = Schemas['FleetAgentDto']
type Item = Schemas['PlanTaskProgressDto']

/** Which plan tasks each live agent instance is on right now (each one highlighted): one card per instance. */
export function Fleet() {
  const fleet = useFleet()
  const agents = fleet.data?.agents ?? []
  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet: agents at work</h1>
      {fleet.isError && <p role="alert">{fleet.error.message}</p>}
      {fleet.data && agents.length === 0 && <p role="status">No agent is implementing a task right now.</p>}
      <ul className="fleet">
        {agents.map((a) => (
          <li key={a.agent_id}>
            <AgentCard agent={a} />
          </li>
        ))}
      </ul>
    </section>
  )
}

function AgentCard({ agent }: { agent: Agent }) {
  const kinds = kindsAfter(agent.tasks_after)
  return (
    <article className="fleet-card" aria-labelledby={`agent-${agent.agent_id}`} data-task={agent.task_id}>
      <h2 id={`agent-${agent.agent_id}`}>
        <Link to={`/tasks/${agent.task_id}`}>{agent.task_name}</Link>
      </h2>
      <p className="meta">
        {agent.profile ?? 'default agent'} · {repoName(agent.repository)}
        {agent.in_progress > 1 && <> · {agent.in_progress} tasks in parallel</>}
      </p>
      {usageLabel(agent.usage) && <p className="meta usage">{usageLabel(agent.usage)}</p>}
      {agent.budget.paused && <p className="failure">Paused: budget reached</p>}
      {agent.stalled.map((s) => (
        <p key={s.work_session_id} className="queued" data-testid="stalled">
          Stalled: {s.name}, its agent last heard <When at={s.stall.last_activity_at} />
        </p>
      ))}
      <ProgressBar percent={agent.percent} label={`${agent.task_name}: plan done`} />
      <ol className="plan-window">
        {agent.tasks_before.map((t) => (
          <PlanItem key={t.index} item={t} kind="before" />
        ))}
        {agent.current_task && <PlanItem item={agent.current_task} kind="current" />}
        {agent.tasks_after.map((t, i) => (
          <PlanItem key={t.index} item={t} kind={kinds[i]} />
        ))}
      </ol>
    </article>
  )
}

type Kind = 'before' | 'current' | 'next' | 'after'

/**
 * How the plan tasks after the agent's current one are shown: highlighted too while in progress
 * (plan tasks run in parallel), the first of the others as next, the rest after it.
 */
export function kindsAfter(items: Pick<Item, 'state'>[]): Kind[] {
  const next = items.findIndex((t) => t.state !== 'in_progress')
  return items.map((t, i) => (t.state === 'in_progress' ? 'current' : i === next ? 'next' : 'after'))
}

function PlanItem({ item, kind }: { item: Item; kind: Kind }) {
  const label = item.state === 'done' ? 'done' : item.state === 'in_progress' ? 'in progress' : 'to do'
  return (
    <li className={`plan-item plan-${kind}`} aria-current={kind === 'current' ? 'step' : undefined} value={item.index + 1}>
      <span className="plan-icon">
        <PlanStateIcon state={item.state} />
      </span>
      <span className="visually-hidden">{label}: </span>
      {item.id && <span className="plan-id">{item.id}</span>} {item.title}
    </li>
  )
}
