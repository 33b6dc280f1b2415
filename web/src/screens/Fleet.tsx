import { Link } from 'react-router'
import type { Schemas } from '../api/client'
import { useFleet } from '../api/queries'
import { ProgressBar } from '../components/Progress'
import { repoName } from './Board'
import { usageLabel } from '../usage'
import { When } from '../components/When'
import { PlanStateIcon } from '../components/icons'
import { Hand, Pause } from 'lucide-react'
import { AttentionBadge } from '../attention/AttentionBadge'
import { firstOf, itemKey, ofTask, type AttentionItem } from '../attention/attention'
import { useAttention } from '../attention/useAttention'
import { Problem } from '../components/Problem'
import { inWords } from '../words'

type Agent = Schemas['FleetAgentDto']
type Item = Schemas['PlanTaskProgressDto']

/** Which plan tasks each agent instance is on right now (each one highlighted): one card per instance. */
export function Fleet() {
  const fleet = useFleet()
  const agents = fleet.data?.agents ?? []
  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet: agents at work</h1>
      {fleet.isError && <Problem error={fleet.error} />}
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
  // What the card's task waits for, as the live attention list says (the card's own copy until then).
  const live = useAttention().data
  const waits = live ? ofTask(live, agent.task_id) : agent.attention
  const kinds = planKinds(agent.plan_window, waitingSessions(waits), agent.budget.paused)
  const first = firstOf(waits)
  return (
    <article
      className={`fleet-card${first?.needs_you ? ' waiting' : ''}`}
      aria-labelledby={`agent-${agent.agent_id}`}
      data-task={agent.task_id}
      data-attention={first?.kind}
    >
      <h2 id={`agent-${agent.agent_id}`}>
        <Link to={`/tasks/${agent.task_id}`}>{agent.task_name}</Link>
      </h2>
      <p className="meta">
        {agent.profile ?? 'default agent'} · {repoName(agent.repository)}
        {agent.in_progress > 1 && <> · {agent.in_progress} tasks in parallel</>}
        {agent.in_progress === 0 && <> · no plan task in progress</>}
      </p>
      {usageLabel(agent.usage) && <p className="meta usage">{usageLabel(agent.usage)}</p>}
      {waits.map((a) => (
        <p key={itemKey(a)} className="attention-line" data-testid="fleet-attention">
          <AttentionBadge item={a} sentence="tooltip" /> {inWords(a.text)}
        </p>
      ))}
      {agent.stalled.filter((s) => !waits.some((a) => a.kind === 'stalled' && a.work_session_id === s.work_session_id)).map((s) => (
        <p key={s.work_session_id} className="queued" data-testid="stalled">
          Stalled: {s.name}, its agent last heard <When at={s.stall.last_activity_at} />
        </p>
      ))}
      <ProgressBar percent={agent.percent} label={`${agent.task_name}: plan done`} />
      <ol className="plan-window">
        {agent.plan_window.map((t, i) => (
          <PlanItem key={t.index} item={t} kind={kinds[i]} />
        ))}
      </ol>
    </article>
  )
}

type Kind = 'before' | 'current' | 'waiting' | 'paused' | 'next' | 'after'

/** The sessions that wait for a person (their plan tasks are not shown at work). */
export function waitingSessions(items: Pick<AttentionItem, 'needs_you' | 'work_session_id'>[]): Set<string> {
  return new Set(items.filter((a) => a.needs_you && a.work_session_id).map((a) => a.work_session_id as string))
}

/**
 * How a card shows each plan task of its window, by the state the server gives it: highlighted
 * while in progress (every one: plan tasks run in parallel) unless a session of it waits for a
 * person (then in the attention colour, never the in-progress highlight) or a budget paused the
 * task (its own, its repository's or its user's daily: nothing of it is at work), faded once done,
 * the first to do as next and the rest after it.
 */
export function planKinds(
  items: Pick<Item, 'state' | 'sessions'>[],
  waiting: Set<string> = new Set(),
  paused = false,
): Kind[] {
  const next = items.findIndex((t) => t.state === 'pending')
  return items.map((t, i) => {
    if (t.state === 'in_progress' && t.sessions.some((s) => waiting.has(s))) return 'waiting'
    if (t.state === 'in_progress' && paused) return 'paused'
    if (t.state === 'in_progress') return 'current'
    if (t.state === 'done') return 'before'
    return i === next ? 'next' : 'after'
  })
}

function PlanItem({ item, kind }: { item: Item; kind: Kind }) {
  const label =
    kind === 'waiting'
      ? 'waiting for you'
      : kind === 'paused'
        ? 'paused by budget'
        : item.state === 'done'
          ? 'done'
          : item.state === 'in_progress'
            ? 'in progress'
            : 'to do'
  const icon =
    kind === 'waiting' ? (
      <Hand className="icon" size={16} aria-hidden="true" />
    ) : kind === 'paused' ? (
      <Pause className="icon" size={16} aria-hidden="true" />
    ) : (
      <PlanStateIcon state={item.state} />
    )
  return (
    <li className={`plan-item plan-${kind}`} aria-current={kind === 'current' ? 'step' : undefined} value={item.index + 1}>
      <span className="plan-icon">{icon}</span>
      <span className="visually-hidden">{label}: </span>
      {item.id && <span className="plan-id">{item.id}</span>} {item.title}
    </li>
  )
}
