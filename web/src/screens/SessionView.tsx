import { Link, useParams } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type Schemas } from '../api/client'
import { keys } from '../api/keys'
import { useApprovals, useHistory, useSpecTask, useWorkSession } from '../api/queries'
import { Crumbs } from '../components/Crumbs'
import { Markdown } from '../components/Markdown'
import { usageLabel } from '../usage'
import { When } from '../components/When'
import { SessionControls } from './SessionControls'
import { ScriptedNotice } from '../components/ScriptedNotice'
import { Badge, StatusBadge } from '../components/Badge'
import { askedTitle, placeApprovals } from '../sessions/permissions'
import { AttentionBadge } from '../attention/AttentionBadge'
import { firstOf } from '../attention/attention'
import { useSessionAttention } from '../attention/useAttention'
import { Problem } from '../components/Problem'
import { useCommands } from '../palette/useCommands'

type Entry = Schemas['HistoryEntryDto']
type Approval = Schemas['ApprovalDto']
type WorkSession = Schemas['WorkSessionDto']

const FILE_LABEL: Record<Entry['file'], string> = {
  conversation: 'Conversation',
  code_changes: 'Code change',
  decisions: 'Decision',
  activity_log: 'Activity',
  coordination_log: 'Coordination',
  progress_update: 'Progress',
}

/** One work session: its live transcript (messages, tool calls, diffs, decisions), the permission
 * requests of its agent that wait for an answer answered where the transcript records them. */
export function SessionView() {
  const { id = '' } = useParams()
  const session = useWorkSession(id)
  const history = useHistory(id)
  const approvals = useApprovals()
  const waits = firstOf(useSessionAttention(id))
  if (session.isPending) return <p role="status">Loading…</p>
  if (session.isError) return <Problem error={session.error} doing="load the session" />
  const s = session.data
  const entries = history.data?.entries ?? []
  const firstMessage = entries.find((e) => e.file === 'conversation')?.seq
  const waiting = (approvals.data ?? []).filter((a) => s.acp_session_id && a.session_id === s.acp_session_id)
  const placed = placeApprovals(entries, waiting)
  return (
    <article aria-labelledby="session-title">
      <SessionCrumbs session={s} />
      <h1 id="session-title">{s.name}</h1>
      <p className="meta">
        {waits ? <AttentionBadge item={waits} testId="session-status" /> : <StatusBadge status={s.status} data-testid="session-status" />}
        {s.plan_task && (
          <>
            plan task {s.plan_task.id ?? s.plan_task.index + 1}: {s.plan_task.title}
          </>
        )}
        {s.agent_profile && <> · {s.agent_profile}</>}
      </p>
      {usageLabel(s.usage) && (
        <p className="meta usage" data-testid="session-usage">
          Used: {usageLabel(s.usage)}
        </p>
      )}
      {s.stall && (
        <p className="queued" role="status" data-testid="session-stall">
          Stalled: the agent has said nothing since <When at={s.stall.last_activity_at} /> (on stall: {s.stall.policy}).
        </p>
      )}
      <ParentLine session={s} />
      <ScriptedNotice />
      <SessionControls session={s} />
      {s.description && <Markdown text={s.description} />}
      {waiting.length > 0 && (
        <p className="queued waiting" role="status" data-testid="waiting-for-you">
          Waiting for your answer:{' '}
          {waiting.map((a, i) => (
            <span key={a.id}>
              {i > 0 && ', '}
              <a href={`#approval-${a.id}`}>{askedTitle(a)}</a>
            </span>
          ))}{' '}
          (answer in the transcript)
        </p>
      )}
      <h2>Transcript</h2>
      {history.isError && <Problem error={history.error} />}
      <ol className="transcript" aria-label="Transcript" aria-live="polite">
        {entries.map((e) => (
          <li key={e.seq} className={`entry entry-${e.file}`}>
            <Badge>{FILE_LABEL[e.file]}</Badge>
            {e.file !== 'activity_log' && <When at={e.created_at} />}
            {e.file === 'activity_log' ? (
              <span className="activity">{e.content.replace(/^- /, '')}</span>
            ) : e.seq === firstMessage ? (
              <details>
                <summary>The task as the agent was given it</summary>
                <Markdown text={e.content} />
              </details>
            ) : (
              <Markdown text={e.content} />
            )}
            {placed.under.get(e.seq)?.map((a) => <ApprovalCard key={a.id} approval={a} />)}
          </li>
        ))}
        {placed.after.map((a) => (
          <li key={a.id} className="entry entry-activity_log">
            <ApprovalCard approval={a} />
          </li>
        ))}
      </ol>
      {s.summary && (
        <>
          <h2>Summary</h2>
          <Markdown text={s.summary} />
        </>
      )}
    </article>
  )
}

/** Board / the task (by its id and title) / the session's name. */
function SessionCrumbs({ session }: { session: WorkSession }) {
  const task = useSpecTask(session.spec_task_id)
  return <Crumbs taskId={session.spec_task_id} task={task.data} here={session.name} />
}

/** The session it was spawned from, or the one it is a part of, by name. */
function ParentLine({ session }: { session: WorkSession }) {
  const parentId = session.spawned_by_id ?? session.parent_id
  const parent = useWorkSession(parentId ?? '', !!parentId)
  if (!parentId) return null
  const name = parent.data?.name ?? parentId.slice(0, 8)
  return (
    <p className="meta" data-testid="session-parent">
      {session.spawned_by_id ? 'Spawned from' : 'Part of'} <Link to={`/sessions/${parentId}`}>{name}</Link>
    </p>
  )
}

function ApprovalCard({ approval }: { approval: Approval }) {
  const client = useQueryClient()
  const answer = useMutation({
    mutationFn: async (option_id: string) =>
      unwrap(await api.POST('/api/v1/approvals/{id}', { params: { path: { id: approval.id } }, body: { option_id } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.approvals }),
  })
  const title = askedTitle(approval)
  useCommands(
    answer.isPending
      ? []
      : approval.options.map((o) => ({
          id: `approval:${approval.id}:${o.option_id}`,
          title: `${o.name}: ${title}`,
          group: 'This page' as const,
          keywords: 'permission answer',
          danger: !o.kind.startsWith('allow'),
          run: () => answer.mutate(o.option_id),
        })),
  )
  return (
    <div className="approval" role="group" aria-label={`Permission: ${title}`} id={`approval-${approval.id}`} tabIndex={-1}>
      <p>
        The agent asks for permission: <strong>{title}</strong>
        {approval.tool_call.locations.length > 0 && <> on {approval.tool_call.locations.join(', ')}</>}.
      </p>
      {answer.isError && <Problem error={answer.error} />}
      <div className="actions">
        {approval.options.map((o) => (
          <button
            key={o.option_id}
            className={o.kind.startsWith('allow') ? 'primary' : 'danger'}
            disabled={answer.isPending}
            onClick={() => answer.mutate(o.option_id)}
          >
            {o.name}
          </button>
        ))}
      </div>
    </div>
  )
}
