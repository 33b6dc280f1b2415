import { useState } from 'react'
import { useParams, Link } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { useSpecTask } from '../api/queries'
import { Markdown } from '../components/Markdown'
import { statusLabel } from '../phases'
import { ReviewReport } from './ReviewReport'
import { TaskTabs } from './TaskTabs'
import { shownTitle } from '../titles'
import { usageLabel } from '../usage'
import { repoName } from './Board'
import { ScriptedNotice } from '../components/ScriptedNotice'
import { Crumbs } from '../components/Crumbs'
import { When } from '../components/When'
import { BudgetLine } from '../components/BudgetLine'
import { RepositoryBudgetLine } from '../components/RepositoryBudgetLine'
import { Badge, StatusBadge } from '../components/Badge'
import { toneOf } from '../components/tones'
import { FailureNote, Problem } from '../components/Problem'
import { useCommands } from '../palette/useCommands'
import type { Command } from '../palette/commands'

/** One SpecTask: its spec under review, then its sessions and the implementation review. */
export function TaskPage() {
  const { id = '' } = useParams()
  const task = useSpecTask(id)
  if (task.isPending) return <p role="status">Loading…</p>
  if (task.isError) return <Problem error={task.error} doing="load the task" />
  const t = task.data
  return (
    <article aria-labelledby="task-title">
      <Crumbs taskId={t.id} task={t} />
      <div className="toolbar">
        <h1 id="task-title">{shownTitle(t)}</h1>
        <TaskActions task={t} />
      </div>
      <p className="meta">
        <StatusBadge status={t.status} data-testid="task-status" />
        {repoName(t.repository.path)} ·{' '}
        {t.workflow === 'review'
          ? `review of ${t.review_target ?? ''}`
          : `${t.kind}${t.kind === 'spec' ? ` (${t.complexity})` : ''}`}{' '}
        · {t.priority} · by {t.created_by}
        {t.workflow === 'review' ? '' : ` · spec v${t.spec_version}`}
        <When at={t.created_at} prefix="created " />
      </p>
      {t.failure && <FailureNote failure={t.failure} />}
      <ScriptedNotice />
      {t.queue_reason && <p className="queued">Queued: {t.queue_reason}</p>}
      {usageLabel(t.usage) && (
        <p className="meta usage" data-testid="task-usage">
          Used: {usageLabel(t.usage)}
        </p>
      )}
      <BudgetLine task={t} />
      <RepositoryBudgetLine task={t} />
      <Prerequisites task={t} />
      {t.issue && (
        <p className="pull-request" data-testid="issue">
          From issue{' '}
          <a href={t.issue.url} target="_blank" rel="noreferrer">
            #{t.issue.number} {t.issue.title}
          </a>{' '}
          on {t.issue.forge}
          {t.issue.closed ? ' (closed by spectask)' : ''}
        </p>
      )}
      {t.pull_request && <PullRequestLine pr={t.pull_request} />}
      <details>
        <summary>Prompt</summary>
        <Markdown text={t.prompt} />
      </details>
      {t.workflow === 'review' ? <ReviewReport task={t} /> : <TaskTabs key={t.id} task={t} />}
    </article>
  )
}

const VERDICTS: Record<NonNullable<SpecTask['pull_request']>['reviews'][number]['verdict'], string> = {
  approved: 'approved',
  changes_requested: 'changes requested',
  commented: 'commented',
}

/** The task's pull request: a link, its state on the forge, how old that reading is, each
 * reviewer's verdict and the checks of its head. */
export function PullRequestLine({ pr }: { pr: NonNullable<SpecTask['pull_request']> }) {
  return (
    <p className="pull-request" data-testid="pull-request">
      <a href={pr.url} target="_blank" rel="noreferrer">
        Pull request #{pr.number}
      </a>{' '}
      on {pr.forge} ({pr.repository}): <StatusBadge kind="pr" status={pr.state} />{' '}
      <span className="muted">
        as of <When at={pr.checked_at} />
      </span>
      {pr.check_error && <span className="failure"> · last reading failed: {pr.check_error}</span>}
      {pr.reviews.length > 0 && (
        <span className="reviews" data-testid="pull-request-reviews">
          {' · reviews: '}
          {pr.reviews.map((r) => (
            <Badge key={r.author} tone={toneOf(r.verdict)} className={`review-${r.verdict}`}>
              {r.author}: {VERDICTS[r.verdict]}
            </Badge>
          ))}
        </span>
      )}
      {pr.checks.length > 0 && (
        <span className="checks">
          {' · checks: '}
          {pr.checks.map((c) => (
            <Badge key={c.name} tone={toneOf(c.state)} className={`check-${c.state}`} title={c.summary}>
              {c.url ? (
                <a href={c.url} target="_blank" rel="noreferrer">
                  {c.name}
                </a>
              ) : (
                c.name
              )}
              : {c.state}
            </Badge>
          ))}
        </span>
      )}
    </p>
  )
}

function TaskActions({ task }: { task: SpecTask }) {
  const client = useQueryClient()
  const [cancelling, setCancelling] = useState(false)
  const act = useMutation({
    mutationFn: async (action: 'cancel' | 'retry') => {
      const params = { params: { path: { id: task.id } } }
      return action === 'cancel'
        ? unwrap(await api.POST('/api/v1/spec-tasks/{id}/cancel', params))
        : unwrap(await api.POST('/api/v1/spec-tasks/{id}/retry', params))
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.task(task.id) }),
  })
  const finished = ['done', 'rejected', 'cancelled'].includes(task.status)
  const retry = task.failure?.from === 'done' ? 'Retry merge' : 'Retry'
  useCommands(
    [
      task.status === 'failed' && { id: 'task:retry', title: retry, group: 'This page', run: () => act.mutate('retry') },
      !finished && { id: 'task:cancel', title: 'Cancel task…', group: 'This page', danger: true, run: () => setCancelling(true) },
    ].filter((c): c is Command => !!c && !act.isPending),
  )
  return (
    <div className="actions">
      {act.isError && <Problem error={act.error} inline />}
      {task.status === 'failed' && (
        <button onClick={() => act.mutate('retry')} disabled={act.isPending}>
          {retry}
        </button>
      )}
      {!finished && (
        <button className="danger" onClick={() => setCancelling(true)} disabled={act.isPending}>
          Cancel task
        </button>
      )}
      {cancelling && (
        <ConfirmDialog
          title="Cancel this SpecTask?"
          message="Its agents stop and nothing more of it is implemented or merged; a cancelled task cannot be taken up again."
          confirm="Cancel task"
          dismiss="Keep the task"
          unavailable={finished ? `The task moved to ${statusLabel(task.status)}: there is nothing to cancel.` : undefined}
          onConfirm={() => act.mutate('cancel')}
          onClose={() => setCancelling(false)}
        />
      )}
    </div>
  )
}

/** The tasks this one waits for, each with its status, and the phase they hold it before. */
function Prerequisites({ task }: { task: SpecTask }) {
  const prerequisites = task.prerequisites
  if (!prerequisites || prerequisites.tasks.length === 0) return null
  return (
    <section aria-label="Prerequisites" className="prerequisites" data-testid="prerequisites">
      Waits for, before {prerequisites.hold_before}:{' '}
      {prerequisites.tasks.map((p, i) => (
        <span key={p.id}>
          {i > 0 && ', '}
          <Link to={`/tasks/${p.id}`}>
            {p.short_id} {p.title}
          </Link>{' '}
          <StatusBadge status={p.status} />
        </span>
      ))}
    </section>
  )
}
