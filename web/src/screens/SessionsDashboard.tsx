import { useState } from 'react'
import { Link } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type Schemas, type SpecTask, type WorkSession } from '../api/client'
import { keys } from '../api/keys'
import { useOverview } from '../api/queries'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { ProgressBar } from '../components/Progress'
import { useModal } from '../components/useModal'
import { DraftActions } from '../drafts/DraftActions'
import { useDraft } from '../drafts/useDraft'
import { statusLabel } from '../phases'
import { sessionTree } from '../sessions/tree'
import { usageLabel } from '../usage'
import { SessionIcon } from '../components/icons'
import { When } from '../components/When'
import { Badge, StatusBadge } from '../components/Badge'
import { AttentionBadge } from '../attention/AttentionBadge'
import { firstOf } from '../attention/attention'
import { useSessionAttention } from '../attention/useAttention'
import { BudgetHeld, useBudgetHold } from '../attention/BudgetHeld'
import { Problem } from '../components/Problem'
import { inWords } from '../words'

type Overview = Schemas['MultiSessionOverviewDto']
type SessionProgress = Schemas['SessionProgressDto']

/** The multi-session dashboard of one task: progress, agent instance, sessions, tree, timeline. */
export function SessionsDashboard({ task }: { task: SpecTask }) {
  const overview = useOverview(task.id)
  const [spawnFrom, setSpawnFrom] = useState<WorkSession | undefined>(undefined)
  if (overview.isPending) return <p role="status">Loading the sessions…</p>
  // A refresh that failed keeps what the dashboard shows (a person may be using it), the problem
  // above it until a refresh succeeds.
  const o = overview.data
  if (o === undefined) return <Problem error={overview.error ?? new Error('the sessions could not be read')} />
  const progressOf = new Map(o.progress.sessions.map((p) => [p.work_session_id, p]))
  const active = o.sessions.filter((s) => s.status === 'running' || s.status === 'blocked')
  const { counts, percent } = o.progress
  return (
    <section className="dashboard" aria-label="Sessions">
      {overview.isError && <Problem error={overview.error} doing="refresh the sessions" />}
      <div className="dash-cards">
        <section className="dash-card" aria-labelledby="dash-progress">
          <h3 id="dash-progress">Progress</h3>
          <ProgressBar percent={percent} label="Plan tasks done" />
          <p data-testid="plan-counts">
            {counts.done}/{o.progress.tasks.length} complete · {counts.in_progress} in progress
          </p>
        </section>
        <AgentInstanceCard task={task} overview={o} />
        <section className="dash-card" aria-labelledby="dash-active">
          <h3 id="dash-active">Active sessions</h3>
          {active.length === 0 && <p className="hint">None running.</p>}
          <ul className="plain">
            {active.map((s) => (
              <li key={s.id}>
                <ActiveSession session={s} percent={progressOf.get(s.id)?.percent ?? 0} />
              </li>
            ))}
          </ul>
        </section>
      </div>

      <h3>Work sessions</h3>
      <ul className="tree" aria-label="Session tree">
        {sessionTree(o.sessions).map((row) => (
          <li key={row.session.id} style={{ paddingLeft: `${row.depth * 1.6}em` }} data-status={row.session.status}>
            <SessionRow
              session={row.session}
              progress={progressOf.get(row.session.id)}
              spawned={row.spawned}
              fromEditor={row.fromEditor}
              waitingOn={row.waitingOn}
              onSpawn={task.status === 'implementation' ? () => setSpawnFrom(row.session) : undefined}
            />
          </li>
        ))}
      </ul>

      <h3>Recent coordination (live)</h3>
      <ol className="timeline" aria-label="Coordination timeline" reversed>
        {[...o.coordination].reverse().map((e) => (
          <li key={e.seq}>
            <When at={e.at} />{' '}
            <Badge>{statusLabel(e.kind)}</Badge> {sessionName(o, e.from_session)}
            {e.to_session && <> → {sessionName(o, e.to_session)}</>}: {e.message}
          </li>
        ))}
      </ol>

      <div className="actions">
        <Link className="button" to={`/tasks/${task.id}/design-docs`}>
          View specs in git
        </Link>
        <a className="button" href={`/api/v1/spec-tasks/${task.id}/export`} download={`${task.handle}.md`}>
          Export report
        </a>
      </div>
      {spawnFrom && <SpawnDialog task={task} parent={spawnFrom} onClose={() => setSpawnFrom(undefined)} />}
    </section>
  )
}

function sessionName(o: Overview, id: string | null | undefined): string {
  if (!id) return 'spectask'
  return o.sessions.find((s) => s.id === id)?.name ?? id.slice(0, 8)
}

function AgentInstanceCard({ task, overview }: { task: SpecTask; overview: Overview }) {
  const a = overview.agent_instance
  const client = useQueryClient()
  const [confirming, setConfirming] = useState(false)
  const stop = useMutation({
    mutationFn: async () =>
      unwrap(await api.DELETE('/api/v1/spec-tasks/{id}/editor/instance', { params: { path: { id: task.id } } })),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.task(task.id) }),
  })
  return (
    <section className="dash-card" aria-labelledby="dash-agent">
      <h3 id="dash-agent">Agent instance</h3>
      <p>
        {a.live ? (
          <span className="live">
            <span className="dot" aria-hidden="true" /> Active
          </span>
        ) : (
          'Not running'
        )}
      </p>
      <p className="meta">
        {a.profile ?? 'default agent'} · {a.threads} thread{a.threads === 1 ? '' : 's'}
        {a.live && a.started_at && <> · started <When at={a.started_at} /></>}
      </p>
      <p className="actions">
        {task.worktree_path && (
          <a className="button small" href={`zed://file${task.worktree_path}`}>
            Open in Zed
          </a>
        )}
        {a.live && (
          <button className="small danger" disabled={stop.isPending} onClick={() => setConfirming(true)}>
            Stop agent
          </button>
        )}
      </p>
      {confirming && (
        <ConfirmDialog
          title="Stop the agent?"
          message="Its running sessions pause and can be resumed."
          confirm="Stop agent"
          unavailable={a.live ? undefined : 'The agent instance is not running any more: there is nothing to stop.'}
          onConfirm={() => stop.mutate()}
          onClose={() => setConfirming(false)}
        />
      )}
      {stop.isError && <Problem error={stop.error} />}
    </section>
  )
}

/** An active session: waiting for a person when it does, else its progress. */
function ActiveSession({ session: s, percent }: { session: WorkSession; percent: number }) {
  const waits = firstOf(useSessionAttention(s.id))
  return (
    <>
      <SessionIcon status={s.status} />{' '}
      <Link to={`/sessions/${s.id}`} className="name" title={s.name}>
        {s.name}
      </Link>{' '}
      {waits ? <AttentionBadge item={waits} sentence="tooltip" /> : s.status === 'blocked' ? '(blocked)' : `(${percent}%)`}
    </>
  )
}

function SessionRow(props: {
  session: WorkSession
  progress?: SessionProgress
  spawned: boolean
  fromEditor?: string
  waitingOn: string[]
  onSpawn?: () => void
}) {
  const s = props.session
  // A session waiting for a person says so instead of "running" and what it was doing.
  const waits = firstOf(useSessionAttention(s.id))
  const working = s.status === 'running' && !waits
  return (
    <div className="tree-row" data-attention={waits?.kind}>
      <SessionIcon status={s.status} />
      <Link to={`/sessions/${s.id}`} className="name" title={s.name}>
        {s.name}
      </Link>
      {waits ? <AttentionBadge item={waits} sentence="tooltip" /> : <StatusBadge status={s.status} />}
      {working && props.progress && <span>{props.progress.percent}%</span>}
      {props.progress?.current_entry && working && <span className="meta">now: {props.progress.current_entry}</span>}
      {props.spawned && <Badge>spawned</Badge>}
      {props.fromEditor && <Badge>from {props.fromEditor}</Badge>}
      {props.waitingOn.length > 0 && <span className="meta">waiting for {props.waitingOn.join(', ')}</span>}
      {s.state.status === 'failed' && !waits && <span className="failure">{inWords(s.state.reason)}</span>}
      {s.state.status === 'interrupted' && <span className="meta">{s.state.reason}</span>}
      {s.stall && waits?.kind !== 'stalled' && (
        <span className="queued" data-testid="session-stall">
          stalled
        </span>
      )}
      {usageLabel(s.usage) && (
        <span className="meta usage" data-testid="session-usage">
          {usageLabel(s.usage)}
        </span>
      )}
      {s.status === 'interrupted' && <ResumeButton session={s} />}
      {props.onSpawn && (
        <button className="small" onClick={props.onSpawn} aria-label={`Spawn a session from ${s.name}`}>
          Spawn…
        </button>
      )}
    </div>
  )
}

/** An interrupted session (its agent stopped, a pause) goes on where it stopped. */
function ResumeButton({ session }: { session: WorkSession }) {
  const hold = useBudgetHold(session.spec_task_id)
  const client = useQueryClient()
  const resume = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PUT('/api/v1/work-sessions/{id}/status', {
          params: { path: { id: session.id } },
          body: { status: 'running', reason: '' },
        }),
      ),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.task(session.spec_task_id) }),
  })
  if (hold) return <BudgetHeld hold={hold} taskId={session.spec_task_id} />
  return (
    <>
      <button className="small" disabled={resume.isPending} onClick={() => resume.mutate()} aria-label={`Resume ${session.name}`}>
        Resume
      </button>
      {resume.isError && <Problem error={resume.error} inline />}
    </>
  )
}

const SUGGESTIONS: { name: string; description: string }[] = [
  { name: 'Tests', description: 'Write tests for what this session built, covering the acceptance criteria.' },
  { name: 'Security review', description: 'Review the changes for security problems and fix what you find.' },
  { name: 'Performance', description: 'Measure the hot paths of this change and make the slow ones faster.' },
]

type SpawnDraft = { name: string; description: string; priority: Schemas['Priority'] }
const NO_SPAWN: SpawnDraft = { name: '', description: '', priority: 'normal' }

/** A new session from `parent`; what is typed is a draft kept until it is sent or discarded. Once
 * the task has left implementation the dialog stays, unsendable, and says why. */
function SpawnDialog({ task, parent, onClose }: { task: SpecTask; parent: WorkSession; onClose: () => void }) {
  const client = useQueryClient()
  const closed =
    task.status === 'implementation'
      ? undefined
      : `The task moved to ${statusLabel(task.status)}: sessions are spawned only during implementation. Your draft stays until you send or discard it.`
  const ref = useModal(onClose)
  const [draft, setDraft, discard] = useDraft(`spawn:${task.id}:${parent.id}`, NO_SPAWN, (d) => !d.name.trim() && !d.description.trim())
  const { name, description, priority } = draft
  const spawn = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/api/v1/spec-tasks/{id}/work-sessions/{session}/spawn', {
          params: { path: { id: task.id, session: parent.id } },
          body: { name, description, priority },
        }),
      ),
    onSuccess: () => {
      discard()
      void client.invalidateQueries({ queryKey: keys.task(task.id) })
      ref.current?.close()
    },
  })
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="spawn-title">
      <form
        onSubmit={(e) => {
          e.preventDefault()
          spawn.mutate()
        }}
      >
        <h2 id="spawn-title">Spawn a work session</h2>
        <p className="meta">
          Parent session: {parent.name} · SpecTask: {task.title}
        </p>
        <label>
          Session name
          <input required value={name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        </label>
        <label>
          Description
          <textarea rows={3} value={description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} />
        </label>
        <div className="actions" role="group" aria-label="Suggestions">
          {SUGGESTIONS.map((s) => (
            <button type="button" key={s.name} onClick={() => setDraft({ ...draft, name: s.name, description: s.description })}>
              {s.name}
            </button>
          ))}
        </div>
        <fieldset>
          <legend>Priority</legend>
          {(['low', 'normal', 'high'] as const).map((p) => (
            <label key={p} className="inline">
              <input type="radio" name="spawn-priority" checked={priority === p} onChange={() => setDraft({ ...draft, priority: p })} /> {p}
            </label>
          ))}
        </fieldset>
        <p className="hint">A new thread in the task's agent instance; it can coordinate with the other sessions.</p>
        {closed && (
          <p role="status" className="unavailable">
            {closed}
          </p>
        )}
        {spawn.isError && <Problem error={spawn.error} />}
        <DraftActions draft={!!name.trim() || !!description.trim()} onDiscard={discard} onClose={() => ref.current?.close()}>
          <button type="submit" className="primary" disabled={spawn.isPending || !name.trim() || !!closed}>
            Create &amp; start session
          </button>
        </DraftActions>
      </form>
    </dialog>
  )
}
