import { Link } from 'react-router'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type Schemas, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { FileDiffView } from '../components/FileDiff'
import { Markdown } from '../components/Markdown'
import { useDraft } from '../drafts/useDraft'
import { CheckIcon } from '../components/icons'
import { Badge, StatusBadge } from '../components/Badge'
import { toneOf } from '../components/tones'
import {
  checkLabel,
  criterionState,
  criterionStateLabel,
  diffTotals,
  latestCheck,
  shortCommit,
  type Review,
  type SessionReview,
} from '../review/review'

/** The implementation review: criteria and what implements them, commits, checks and the diff;
 * then the decision — merge, or ask for changes. */
export function ImplementationReview({ task }: { task: SpecTask }) {
  const review = useQuery({
    queryKey: keys.taskPart(task.id, 'implementation-review'),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/spec-tasks/{id}/implementation-review', { params: { path: { id: task.id } } })),
  })
  if (review.isPending) return <p role="status">Loading the implementation review…</p>
  if (review.isError) return <p role="alert">Cannot load the implementation review: {review.error.message}</p>
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
      <Criteria review={r} />
      <Commits review={r} sessionOf={sessionOf} />
      <Sessions sessions={r.sessions} />
      <section aria-labelledby="review-changes">
        <h3 id="review-changes">Changes</h3>
        {r.files.length === 0 && <p className="hint">The branch changes no file (yet).</p>}
        {r.files.map((f) => (
          <FileDiffView key={f.path} file={f} />
        ))}
        {r.files_left_out > 0 && <p className="hint">{r.files_left_out} more changed files are not shown.</p>}
      </section>
      <details>
        <summary>Implementation summary</summary>
        <Markdown text={r.summary} />
      </details>
      {task.status === 'implementation_review' && <Decision task={task} />}
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
          <th scope="col">Checks</th>
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
                        <Link to={`/sessions/${s.id}`}>{s.name}</Link>:{' '}
                        {check ? (
                          <span className={check.passed ? 'check-pass' : 'check-fail'}>
                            <CheckIcon passed={check.passed} /> <code>{check.command}</code> {checkLabel(check)}
                          </span>
                        ) : (
                          <span className="hint">no check ran</span>
                        )}
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
                    by <Link to={`/sessions/${session.id}`}>{session.name}</Link>
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

function Sessions({ sessions }: { sessions: SessionReview[] }) {
  return (
    <section aria-labelledby="review-sessions">
      <h3 id="review-sessions">Sessions and checks</h3>
      <ul className="plain review-sessions">
        {sessions.map((s) => (
          <li key={s.id}>
            <Link to={`/sessions/${s.id}`}>{s.name}</Link> <StatusBadge status={s.status} />{' '}
            {s.commits.length} commit{s.commits.length === 1 ? '' : 's'}
            {s.checks.length > 0 && (
              <ol className="checks" aria-label={`Checks of ${s.name}`}>
                {s.checks.map((c: Schemas['CheckResultDto'], i) => (
                  <li key={i} className={c.passed ? 'check-pass' : 'check-fail'}>
                    <CheckIcon passed={c.passed} /> round {c.round} of {c.rounds}: <code>{c.command}</code> {checkLabel(c)}
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

function Decision({ task }: { task: SpecTask }) {
  const client = useQueryClient()
  const [comments, setComments, discard] = useDraft(`implementation-review:${task.id}`, '', (c) => !c.trim())
  const decide = useMutation({
    mutationFn: async (approve: boolean) => {
      const params = { params: { path: { id: task.id } }, body: { comments } }
      return approve
        ? unwrap(await api.POST('/api/v1/spec-tasks/{id}/approve-implementation', params))
        : unwrap(await api.POST('/api/v1/spec-tasks/{id}/request-implementation-changes', params))
    },
    onSuccess: () => {
      discard()
      void client.invalidateQueries({ queryKey: keys.task(task.id) })
    },
  })
  return (
    <div className="decision in-reach">
      <label>
        Review comments
        <textarea
          rows={2}
          value={comments}
          onChange={(e) => setComments(e.target.value)}
          placeholder="What should change (sent to a follow-up session when you request changes)"
        />
      </label>
      {decide.isError && <p role="alert">{decide.error.message}</p>}
      <div className="actions">
        <button onClick={() => decide.mutate(false)} disabled={decide.isPending || comments.trim() === ''}>
          Request changes
        </button>
        <button className="primary" onClick={() => decide.mutate(true)} disabled={decide.isPending}>
          Approve &amp; merge
        </button>
      </div>
    </div>
  )
}
