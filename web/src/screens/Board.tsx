import { useMemo, useRef, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { Plus } from 'lucide-react'
import type { SpecTask } from '../api/client'
import { useSpecTasks } from '../api/queries'
import { ProgressBar } from '../components/Progress'
import { AdoptSpec } from './AdoptSpec'
import { CreateTask } from './CreateTask'
import { shownTitle } from '../titles'
import { ENDED, PHASES, plannerAtWork, phaseOf, statusLabel, type Phase } from '../phases'
import { usageLabel } from '../usage'
import { StatusBadge } from '../components/Badge'
import { When } from '../components/When'
import { AttentionBadge } from '../attention/AttentionBadge'
import { firstOf, ofTask } from '../attention/attention'
import { useAttention } from '../attention/useAttention'
import { FailureNote, Problem } from '../components/Problem'
import { inWords } from '../words'
import { useListKeys } from '../keys/useListKeys'
import { Select } from '../components/Select'

/** The filters, kept in the URL so that a filtered board can be reloaded and shared. */
const FILTERS = ['repo', 'state', 'owner'] as const

/** Every SpecTask by phase, with filters by repository, state and owner; the ended ones apart. */
export function Board() {
  const tasks = useSpecTasks()
  const [params, setParams] = useSearchParams()
  const [repo, status, owner] = FILTERS.map((f) => params.get(f) ?? '')
  const filter = (name: (typeof FILTERS)[number]) => (value: string) =>
    setParams(
      (p) => {
        if (value) p.set(name, value)
        else p.delete(name)
        return p
      },
      { replace: true },
    )
  const [creating, setCreating] = useState(false)
  const [adopting, setAdopting] = useState(false)
  // j and k move through the cards, column by column, the ended ones last.
  const cards = useRef<HTMLDivElement>(null)
  useListKeys(cards, 'a.card-open', false)

  const items = useMemo(() => tasks.data?.items ?? [], [tasks.data])
  const repos = useMemo(() => [...new Set(items.map((t) => t.repository.path))].sort(), [items])
  const owners = useMemo(() => [...new Set(items.map((t) => t.created_by))].sort(), [items])
  const statuses = useMemo(() => [...new Set(items.map((t) => t.status))].sort(), [items])
  const shown = items.filter(
    (t) => (!repo || t.repository.path === repo) && (!status || t.status === status) && (!owner || t.created_by === owner),
  )
  const byPhase = new Map<Phase, SpecTask[]>([...PHASES, ENDED].map((p) => [p.phase, []]))
  for (const task of shown) byPhase.get(phaseOf(task.status))?.push(task)
  const ended = byPhase.get(ENDED.phase) ?? []

  return (
    <section aria-labelledby="board-title">
      <div className="toolbar">
        <h1 id="board-title">SpecTasks</h1>
        <div className="filters" role="group" aria-label="Filters">
          <Filter label="Repository" value={repo} onChange={filter('repo')} options={repos} display={repoName} />
          <Filter label="State" value={status} onChange={filter('state')} options={statuses} display={statusLabel} />
          <Filter label="Owner" value={owner} onChange={filter('owner')} options={owners} />
          <button onClick={() => setAdopting(true)}>Adopt a spec</button>
          <button className="primary" onClick={() => setCreating(true)}>
            <Plus className="icon" size={16} aria-hidden="true" /> New SpecTask
          </button>
        </div>
      </div>
      {creating && <CreateTask onClose={() => setCreating(false)} />}
      {adopting && <AdoptSpec onClose={() => setAdopting(false)} />}
      {tasks.isPending && <p role="status">Loading…</p>}
      {tasks.isError && <Problem error={tasks.error} doing="load the tasks" />}
      <div ref={cards}>
        <div className="board">
          {PHASES.map(({ phase, label }) => (
            <Column key={phase} phase={phase} label={label} tasks={byPhase.get(phase) ?? []} />
          ))}
        </div>
        {ended.length > 0 && (
          <div className="board-ended">
            <Column phase={ENDED.phase} label={ENDED.label} tasks={ended} />
          </div>
        )}
      </div>
    </section>
  )
}

function Column({ phase, label, tasks }: { phase: Phase; label: string; tasks: SpecTask[] }) {
  return (
    <section className="column" aria-labelledby={`col-${phase}`} data-phase={phase}>
      <h2 id={`col-${phase}`}>
        {label} <span className="count">{tasks.length}</span>
      </h2>
      <ul>
        {tasks.map((task) => (
          <li key={task.id}>
            <TaskCard task={task} />
          </li>
        ))}
      </ul>
    </section>
  )
}

function TaskCard({ task }: { task: SpecTask }) {
  // What the task waits for, as the live attention list says (the card's own copy until it loads).
  const live = useAttention().data
  const waits = live ? ofTask(live, task.id) : task.attention
  const first = firstOf(waits)
  const atWork = !first?.needs_you
  return (
    <article className={`card${first?.needs_you ? ' waiting' : ''}`} data-status={task.status} data-attention={first?.kind}>
      <h3>
        <Link className="card-open" to={`/tasks/${task.id}`}>
          {shownTitle(task)}
        </Link>
      </h3>
      <p className="meta">
        <StatusBadge status={task.status} />
        {first && <AttentionBadge item={first} sentence="tooltip" />}
        {atWork && (task.status === 'implementation' ? <SessionsAtWork task={task} /> : plannerAtWork(task.status) && <AtWork />)}
      </p>
      {first && <p className="attention-line">{inWords(first.text)}</p>}
      <p className="meta">
        {repoName(task.repository.path)} · {task.short_id} · {task.priority} · by {task.created_by}
      </p>
      <p className="meta">
        <When at={task.updated_at} prefix="updated " />
      </p>
      {HAS_PLAN_PROGRESS.includes(task.status) && <CardProgress task={task} />}
      {task.queue_reason && !first && <p className="queued">Queued: {task.queue_reason}</p>}
      {task.pull_request && (
        <p className="pull-request">
          PR #{task.pull_request.number}: {task.pull_request.state}
        </p>
      )}
      {task.failure && !first && <FailureNote failure={task.failure} short />}

      {usageLabel(task.usage) && (
        <p className="meta usage" data-testid="task-usage">
          {usageLabel(task.usage)}
        </p>
      )}
    </article>
  )
}

/** Statuses in which a card shows how much of the plan is done (from the list: no request per card). */
const HAS_PLAN_PROGRESS: SpecTask['status'][] = ['implementation', 'implementation_review', 'pull_request', 'done']

function AtWork() {
  return (
    <span className="live" title="An agent is working on it">
      <span className="dot" aria-hidden="true" /> agent at work
    </span>
  )
}

/** In implementation, an agent is at work while a session of the task runs (not once it is stopped). */
function SessionsAtWork({ task }: { task: SpecTask }) {
  return task.plan.sessions_running > 0 ? <AtWork /> : null
}

function CardProgress({ task }: { task: SpecTask }) {
  if (task.plan.plan_tasks === 0) return null
  return <ProgressBar percent={task.plan.percent} label={`${task.title}: plan done`} />
}

export function repoName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? path
}

/** A filter: All, or one of `options`. */
function Filter(props: {
  label: string
  value: string
  onChange: (v: string) => void
  options: string[]
  display?: (v: string) => string
}) {
  const options = [{ value: '', label: 'All' }, ...props.options.map((o) => ({ value: o, label: props.display ? props.display(o) : o }))]
  return (
    <Select
      inline
      id={`filter-${props.label.toLowerCase()}`}
      label={props.label}
      value={props.value}
      onChange={props.onChange}
      options={options}
    />
  )
}
