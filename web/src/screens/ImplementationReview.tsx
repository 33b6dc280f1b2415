import { useRef, useState } from 'react'
import { Link } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type Schemas, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { useActionKey } from '../api/actionKey'
import { DiffChanges } from '../review/DiffChanges'
import { Markdown } from '../components/Markdown'
import { useDraft } from '../drafts/useDraft'
import { CheckIcon } from '../components/icons'
import { Badge, StatusBadge } from '../components/Badge'
import { toneOf } from '../components/tones'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { useKept } from '../components/useKept'
import { statusLabel } from '../phases'
import { ReviewRounds } from './ReviewRounds'
import {
  checkAsWanted,
  checkLabel,
  criterionState,
  criterionStateLabel,
  diffTotals,
  latestCheck,
  shortCommit,
  type Review,
  type SessionReview,
} from '../review/review'
import { Problem } from '../components/Problem'
import { useCommands } from '../palette/useCommands'
import type { Command } from '../palette/commands'

/** The implementation review: criteria and what implements them, commits, checks and the diff;
 * then the decision — merge, or ask for changes. */
export function ImplementationReview({ task }: { task: SpecTask }) {
  const review = useQuery({
    queryKey: keys.taskPart(task.id, 'implementation-review'),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/spec-tasks/{id}/implementation-review', { params: { path: { id: task.id } } })),
  })
  // Once shown, the decision stays (its comments, an open Reject confirmation) when the task moves on.
  // It decides on the branch's tip: new work back in review is a new decision, though the page may
  // never have seen the task leave review (a change request its agent answered between refreshes).
  const [deciding, decided] = useKept(task.status === 'implementation_review', review.data?.head_commit ?? undefined)
  if (review.isPending) return <p role="status">Loading the implementation review…</p>
  if (review.isError) return <Problem error={review.error} doing="load the implementation review" />
  const r = review.data
  const totals = diffTotals(r)
  const sessionOf = new Map(r.sessions.map((s) => [s.id, s]))
  return (
    <section className="impl-review" aria-labelledby="impl-review-title">
      <h2 id="impl-review-title">Implementation review</h2>
      <p className="meta" data-testid="review-branch">
        <code>{r.branch}</code> → <code>{r.base_branch}</code>
        {r.base_commit && r.head_commit && (
          <span>
            {shortCommit(r.base_commit)}..{shortCommit(r.head_commit)}
          </span>
        )}
        {r.merged && <Badge tone="ok" className="status-done">merged</Badge>}
        <span data-testid="review-totals">
          {r.commits.length} commit{r.commits.length === 1 ? '' : 's'} · {totals.files} file{totals.files === 1 ? '' : 's'} changed ·{' '}
          <span className="added-count">+{totals.additions}</span> <span className="removed-count">−{totals.deletions}</span>
        </span>
      </p>
      <ReviewRounds task={task} />
      <Criteria review={r} />
      <Convergence task={task} pass={r.convergence} />
      <Commits review={r} sessionOf={sessionOf} />
      {r.reproduction && <Reproduction reproduction={r.reproduction} sessionOf={sessionOf} />}
      <Sessions sessions={r.sessions} />
      <DiffChanges files={r.files} leftOut={r.files_left_out} />
      <details>
        <summary>Implementation summary</summary>
        <Markdown text={r.summary} />
      </details>
      {deciding && <Decision task={task} onDecided={decided} />}
    </section>
  )
}

function Criteria({ review }: { review: Review }) {
  if (review.criteria.length === 0) {
    return <p className="hint">No acceptance criteria: this task has no approved spec.</p>
  }
  const commitIndex = new Map(review.commits.map((c) => [c.id, c]))
  return (
    <table className="criteria" aria-labelledby="review-criteria">
      <caption id="review-criteria">Acceptance criteria and what implements them</caption>
      <thead>
        <tr>
          <th scope="col">Criterion</th>
          <th scope="col">Plan tasks</th>
          <th scope="col">Commits</th>
          <th scope="col">Sessions</th>
        </tr>
      </thead>
      <tbody>
        {review.criteria.map((c) => {
          const state = criterionState(c, review.sessions)
          const sessions = review.sessions.filter((s) => c.work_session_ids.includes(s.id))
          return (
            <tr key={c.id} className={`criterion criterion-${state}`} data-testid={`criterion-${c.id}`}>
              <th scope="row">
                <span className="criterion-id">{c.id}</span> {c.text}
                <Badge tone={toneOf(state)} className={`state-${state}`}>{criterionStateLabel[state]}</Badge>
              </th>
              <td>
                {c.plan_tasks.length === 0 ? (
                  <span className="hint">none names it</span>
                ) : (
                  <ul className="plain">
                    {c.plan_tasks.map((t) => (
                      <li key={t.index}>
                        {t.id && <span className="plan-id">{t.id}</span>} {t.title}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                <ul className="plain">
                  {c.commits.map((id) => (
                    <li key={id}>
                      <a href={`#commit-${id}`} title={commitIndex.get(id)?.subject}>
                        <code>{shortCommit(id)}</code>
                      </a>
                    </li>
                  ))}
                </ul>
              </td>
              <td>
                <ul className="plain">
                  {sessions.map((s) => {
                    const check = latestCheck(s)
                    return (
                      <li key={s.id}>
                        <a href={`#checks-${s.id}`}>
                          {check && <CheckIcon passed={check.passed} />} {s.name}
                          <span className="visually-hidden">
                            {check ? `: its latest check ${check.passed ? 'passed' : 'failed'}` : ': no check ran'}
                          </span>
                        </a>
                      </li>
                    )
                  })}
                </ul>
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

/** The converge pass: what was not built as the spec says and the plan tasks proposed for it; a
 * person approves them into a new spec version, or records that the spec and the code converged. */
function Convergence({ task, pass }: { task: SpecTask; pass: Schemas['ConvergenceDto'] }) {
  const client = useQueryClient()
  const converge = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST('/api/v1/spec-tasks/{id}/converge', { params: { path: { id: task.id } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.task(task.id) })
      void client.invalidateQueries({ queryKey: keys.tasks })
    },
  })
  const open = task.status === 'implementation_review'
  const used = pass.rounds >= pass.max_rounds
  return (
    <section className="convergence" aria-labelledby="review-convergence" data-testid="convergence">
      <h3 id="review-convergence">
        Converge{' '}
        <span className="count">
          round {pass.rounds} of {pass.max_rounds}
        </span>{' '}
        {pass.converged && <Badge tone="ok" className="state-converged">converged</Badge>}
      </h3>
      {pass.gaps.length === 0 ? (
        <p className="hint">The spec and the code agree: every plan task done, every criterion committed, no failing check.</p>
      ) : (
        <>
          <ul className="plain converge-gaps" aria-label="Gaps">
            {pass.gaps.map((g, i) => (
              <li key={i} className={`gap-${g.kind}`}>
                {g.message}
              </li>
            ))}
          </ul>
          <p>Proposed plan tasks:</p>
          <ol className="converge-proposed" aria-label="Proposed plan tasks">
            {pass.proposed.map((t, i) => (
              <li key={i}>
                {t.title}
                {t.requirements.length > 0 && <span className="hint"> — implements {t.requirements.join(', ')}</span>}
              </li>
            ))}
          </ol>
        </>
      )}
      {converge.isError && <Problem error={converge.error} />}
      {open && pass.gaps.length > 0 && (
        <button onClick={() => converge.mutate()} disabled={converge.isPending || used}>
          {used ? 'No converge rounds left' : 'Approve into a new spec version'}
        </button>
      )}
      {open && pass.gaps.length === 0 && !pass.converged && (
        <button onClick={() => converge.mutate()} disabled={converge.isPending}>
          Record converged
        </button>
      )}
    </section>
  )
}

function Commits({ review, sessionOf }: { review: Review; sessionOf: Map<string, SessionReview> }) {
  return (
    <section aria-labelledby="review-commits">
      <h3 id="review-commits">Commits</h3>
      {review.commits.length === 0 && <p className="hint">No commits yet.</p>}
      <ol className="commits">
        {review.commits.map((c) => {
          const session = c.work_session_id ? sessionOf.get(c.work_session_id) : undefined
          return (
            <li key={c.id} id={`commit-${c.id}`} className="commit" tabIndex={-1}>
              <p>
                <code>{shortCommit(c.id)}</code> <strong>{c.subject}</strong>
                {session && (
                  <>
                    {' '}
                    by{' '}
                    <Link to={`/sessions/${session.id}`} className="name" title={session.name}>
                      {session.name}
                    </Link>
                  </>
                )}
              </p>
              {c.trailers.length > 0 && (
                <dl className="trailers" aria-label={`Trailers of ${shortCommit(c.id)}`}>
                  {c.trailers.map((t) => (
                    <div key={`${t.key}:${t.value}`}>
                      <dt>{t.key}</dt>
                      <dd>{t.value}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </li>
          )
        })}
      </ol>
    </section>
  )
}

/** A bugfix's evidence: the check failing on the reproduction test, then passing after the fix. */
function Reproduction({
  reproduction,
  sessionOf,
}: {
  reproduction: Schemas['ReproductionDto']
  sessionOf: Map<string, SessionReview>
}) {
  const { before, after } = reproduction
  const session = (id: string | null | undefined) => {
    const s = id ? sessionOf.get(id) : undefined
    return s ? (
      <Link to={`/sessions/${s.id}`} className="name" title={s.name}>
        {s.name}
      </Link>
    ) : (
      'a session'
    )
  }
  return (
    <section aria-labelledby="review-reproduction">
      <h3 id="review-reproduction">Bug reproduction</h3>
      <ol className="checks reproduction">
        <li className="check-pass" data-testid="reproduction-before">
          <CheckIcon passed /> Before the fix: <code>{before.command}</code> {checkLabel(before)}, in{' '}
          {session(reproduction.before_session_id)}
          {before.output.trim() !== '' && (
            <details>
              <summary>Output</summary>
              <pre>{before.output}</pre>
            </details>
          )}
        </li>
        {after ? (
          <li className="check-pass" data-testid="reproduction-after">
            <CheckIcon passed /> After the fix: <code>{after.command}</code> passed, in {session(reproduction.after_session_id)}
          </li>
        ) : (
          <li className="check-fail" data-testid="reproduction-after">
            <CheckIcon passed={false} /> After the fix: no check has passed since the test failed.
          </li>
        )}
      </ol>
    </section>
  )
}

/** Each session's checks, round by round: the one place the review shows what a check said (the
 * criteria link here, the commits name their session). */
function Sessions({ sessions }: { sessions: SessionReview[] }) {
  return (
    <section aria-labelledby="review-sessions">
      <h3 id="review-sessions">Sessions and checks</h3>
      <ul className="plain review-sessions">
        {sessions.map((s) => (
          <li key={s.id} id={`checks-${s.id}`} tabIndex={-1}>
            <Link to={`/sessions/${s.id}`} className="name" title={s.name}>
              {s.name}
            </Link>{' '}
            <StatusBadge status={s.status} />
            {s.checks.length === 0 && <span className="hint"> no check ran</span>}
            {s.checks.length > 0 && (
              <ol className="checks" aria-label={`Checks of ${s.name}`}>
                {s.checks.map((c: Schemas['CheckResultDto'], i) => (
                  <li key={i} className={checkAsWanted(c) ? 'check-pass' : 'check-fail'}>
                    <CheckIcon passed={checkAsWanted(c)} /> round {c.round} of {c.rounds}: <code>{c.command}</code> {checkLabel(c)}
                    {!c.passed && c.output.trim() !== '' && (
                      <details>
                        <summary>Output</summary>
                        <pre>{c.output}</pre>
                      </details>
                    )}
                  </li>
                ))}
              </ol>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}

/** The decision, in a bar that stays at the foot of the screen: merge, ask for changes, or reject
 * (the task is cancelled; nothing is merged, its branch stays in git). When the task has moved out of
 * the review meanwhile, it stays with its buttons disabled and says why. */
function Decision({ task, onDecided }: { task: SpecTask; onDecided: () => void }) {
  const client = useQueryClient()
  const moved =
    task.status === 'implementation_review'
      ? undefined
      : `The task moved to ${statusLabel(task.status)}: there is nothing to decide here now. Your comments stay until you send or discard them.`
  const [rejecting, setRejecting] = useState(false)
  const [comments, setComments, discard] = useDraft(`implementation-review:${task.id}`, '', (c) => !c.trim())
  // One decision, however often it is sent: a double click or a resend records it once.
  const once = useActionKey()
  const decide = useMutation({
    mutationFn: async (action: 'approve' | 'request-changes' | 'reject') => {
      const headers = once.headers({ action, comments })
      const params = { params: { path: { id: task.id } }, body: { comments }, headers }
      switch (action) {
        case 'approve':
          return unwrap(await api.POST('/api/v1/spec-tasks/{id}/approve-implementation', params))
        case 'request-changes':
          return unwrap(await api.POST('/api/v1/spec-tasks/{id}/request-implementation-changes', params))
        case 'reject':
          return unwrap(await api.POST('/api/v1/spec-tasks/{id}/cancel', { params: params.params, headers }))
      }
    },
    onSettled: (_data, error) => once.settled(error),
    onSuccess: () => {
      discard()
      onDecided()
      void client.invalidateQueries({ queryKey: keys.task(task.id) })
      void client.invalidateQueries({ queryKey: keys.tasks })
    },
  })
  const comment = useRef<HTMLTextAreaElement>(null)
  const open = !decide.isPending && !moved
  useCommands(
    [
      open && { id: 'impl:approve', title: 'Approve & merge', group: 'This page', run: () => decide.mutate('approve') },
      open && {
        id: 'impl:changes',
        title: comments.trim() ? 'Request changes' : 'Request changes: write the comments',
        group: 'This page',
        run: () => (comments.trim() ? decide.mutate('request-changes') : comment.current?.focus()),
      },
      open && { id: 'impl:reject', title: 'Reject…', group: 'This page', danger: true, run: () => setRejecting(true) },
    ].filter((c): c is Command => !!c),
  )
  return (
    <section className="decision in-reach" aria-label="Decision">
      {moved && (
        <p role="status" className="unavailable">
          {moved}
        </p>
      )}
      <label>
        Review comments
        <textarea
          ref={comment}
          rows={2}
          value={comments}
          onChange={(e) => setComments(e.target.value)}
          placeholder="What should change (sent to a follow-up session when you request changes)"
        />
      </label>
      {decide.isError && <Problem error={decide.error} />}
      <div className="actions">
        <button className="danger" onClick={() => setRejecting(true)} disabled={decide.isPending || !!moved}>
          Reject
        </button>
        <button onClick={() => decide.mutate('request-changes')} disabled={decide.isPending || !!moved || comments.trim() === ''}>
          Request changes
        </button>
        <button className="primary" onClick={() => decide.mutate('approve')} disabled={decide.isPending || !!moved}>
          Approve &amp; merge
        </button>
        {comments.trim() !== '' && (
          <button type="button" className="link" onClick={discard}>
            Discard draft
          </button>
        )}
      </div>
      {rejecting && (
        <ConfirmDialog
          title="Reject this implementation?"
          message="The task is cancelled: nothing of it is merged, and its branch stays in git."
          confirm="Reject"
          dismiss="Keep reviewing"
          unavailable={moved && `The task moved to ${statusLabel(task.status)}: this implementation is no longer under review.`}
          onConfirm={() => decide.mutate('reject')}
          onClose={() => setRejecting(false)}
        />
      )}
    </section>
  )
}
