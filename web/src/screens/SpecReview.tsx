import { useRef, useState } from 'react'
import { useSearchParams } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { diffLines } from 'diff'
import { api, unwrap, type SpecTask, type Schemas } from '../api/client'
import { keys } from '../api/keys'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { onTabListKey } from '../components/tabKeys'
import { useDocument, useReviews, useSpecVersions, type SpecDocumentName } from '../api/queries'
import { Markdown } from '../components/Markdown'
import { useDraft } from '../drafts/useDraft'
import { NO_REVIEW, closeForm, commentOn, isBlank, openForm, removeComment, saveForm, typeInForm } from '../review/lineComments'
import { PlanGraph } from '../components/PlanGraph'
import { EARS_LABEL, earsPattern, findingsByLine } from '../spec/ears'

type LineComment = Schemas['LineComment']
const VIEWS = ['lines', 'rendered', 'diff'] as const
type View = (typeof VIEWS)[number]
const DOCUMENTS: { name: SpecDocumentName; label: string }[] = [
  { name: 'requirements', label: 'Requirements' },
  { name: 'design', label: 'Design' },
  { name: 'tasks', label: 'Tasks' },
]

/** Read a spec version, see its lint findings and EARS criteria, comment, decide. */
export function SpecReview({ task }: { task: SpecTask }) {
  const versions = useSpecVersions(task.id)
  const reviews = useReviews(task.id)
  // The document, version and view read are in the URL (?doc=, ?version=, ?view=), to reload and share.
  const [params, setParams] = useSearchParams()
  const doc = DOCUMENTS.find((d) => d.name === params.get('doc'))?.name ?? 'requirements'
  const picked = Number(params.get('version')) || undefined
  const view = VIEWS.find((v) => v === params.get('view')) ?? 'lines'
  const setParam = (name: string, value: string) =>
    setParams(
      (p) => {
        p.set(name, value)
        return p
      },
      { replace: true },
    )
  const setDoc = (name: SpecDocumentName) => setParam('doc', name)
  const setPicked = (v: number) => setParam('version', String(v))
  const setView = (v: View) => setParam('view', v)
  const latest = versions.data?.at(-1)?.version ?? task.spec_version
  // The review of the latest version as typed so far (line comments, the whole-spec comment).
  const [draft, setDraft, discard] = useDraft(`spec-review:${task.id}:v${latest}`, NO_REVIEW, isBlank)
  const comments = draft.comments
  const version = picked ?? latest
  const meta = versions.data?.find((v) => v.version === version)
  const current = useDocument(task.id, doc, version || undefined)
  const previous = useDocument(task.id, doc, version > 1 ? version - 1 : 0)
  const reviewable = task.status === 'spec_review' && version === latest
  // A first version has nothing to compare with: its view falls back to the lines.
  const shown = view === 'diff' && version < 2 ? 'lines' : view

  if (task.spec_version === 0) return <p role="status">No spec yet: the planning agent is writing it.</p>
  const findings = findingsByLine(meta?.lint ?? [], doc)
  const lines = current.data?.content.split('\n') ?? []

  return (
    <>
      <div className="review">
        <aside className="review-side" aria-label="Spec version">
          <div role="tablist" aria-label="Documents" onKeyDown={onTabListKey} className="doc-tabs">
            {DOCUMENTS.map((d) => (
              <button
                key={d.name}
                role="tab"
                aria-selected={doc === d.name}
                tabIndex={doc === d.name ? 0 : -1}
                className={doc === d.name ? 'tab selected' : 'tab'}
                onClick={() => setDoc(d.name)}
              >
                {d.label}
              </button>
            ))}
          </div>
          <label>
            Version{' '}
            <select value={version} onChange={(e) => setPicked(Number(e.target.value))}>
              {/* Until the versions load, the one in the URL (or the task's latest) is the only choice. */}
              {(versions.data?.map((v) => v.version) ?? [version]).map((v) => (
                <option key={v} value={v}>
                  v{v}
                  {v === latest ? ' (latest)' : ''}
                </option>
              ))}
            </select>
          </label>
          {meta && <Generation meta={meta} />}
          <div role="group" aria-label="View" className="view-switch">
            <button aria-pressed={shown === 'lines'} onClick={() => setView('lines')}>Lines</button>
            <button aria-pressed={shown === 'rendered'} onClick={() => setView('rendered')}>Rendered</button>
            {version > 1 && (
              <button aria-pressed={shown === 'diff'} onClick={() => setView('diff')}>
                Diff v{version - 1}→v{version}
              </button>
            )}
          </div>
        </aside>
        <section className="review-doc" aria-label={`${doc}.md v${version}`}>
          <h2>
            {doc}.md <span className="count">v{version}</span>
          </h2>
          {current.isError && <p role="alert">{current.error.message}</p>}
          {doc === 'tasks' && current.data && <PlanGraph tasks={current.data.content} />}
          {shown === 'rendered' && current.data && <Markdown text={current.data.content} />}
          {shown === 'diff' &&
            (current.data && previous.data ? (
              <Diff before={previous.data.content} after={current.data.content} from={`${doc}.md v${version - 1}`} />
            ) : (
              <p role="status">Loading v{version - 1}…</p>
            ))}
          {shown === 'lines' && (
            <ol className="lines">
              {lines.map((text, i) => (
                <Line
                  key={i}
                  n={i + 1}
                  text={text}
                  ears={doc === 'requirements' ? earsPattern(text) : undefined}
                  findings={findings.get(i + 1) ?? []}
                  comment={commentOn(draft, doc, i + 1)}
                  form={draft.form?.document === doc && draft.form.line === i + 1 ? draft.form.text : undefined}
                  edit={
                    reviewable
                      ? {
                          open: () => setDraft(openForm(draft, doc, i + 1)),
                          type: (text) => setDraft(typeInForm(draft, text)),
                          save: () => setDraft(saveForm(draft)),
                          close: () => setDraft(closeForm(draft)),
                          remove: () => setDraft(removeComment(draft, doc, i + 1)),
                        }
                      : undefined
                  }
                />
              ))}
            </ol>
          )}
        </section>
      </div>
      {/* Outside the grid, so that it can stay in reach at the foot of the screen. */}
      {reviewable && <Decision task={task} comments={comments} text={draft.text} onText={(text) => setDraft({ ...draft, text })} onDone={discard} />}
      <PastReviews reviews={reviews.data ?? []} />
    </>
  )
}

function Generation({ meta }: { meta: Schemas['SpecVersionDto'] }) {
  const usage = meta.usage as Record<string, unknown> | null | undefined
  const tokens = usage && typeof usage === 'object' ? Object.entries(usage).filter(([, v]) => typeof v === 'number') : []
  const errors = meta.lint.filter((l) => /: error\[/.test(l)).length
  return (
    <dl className="generation" aria-label="Generation">
      <dt>Planner</dt>
      <dd>{meta.planner}</dd>
      {tokens.map(([k, v]) => (
        <FragmentPair key={k} term={k.replace(/_/g, ' ')} value={String(v)} />
      ))}
      <dt>Lint</dt>
      <dd data-testid="lint-status">
        {meta.lint.length === 0 ? 'clean' : `${meta.lint.length} finding${meta.lint.length > 1 ? 's' : ''}, ${errors} error${errors === 1 ? '' : 's'}`}
      </dd>
    </dl>
  )
}

function FragmentPair({ term, value }: { term: string; value: string }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </>
  )
}

/** What a person can do to a line's comment while the spec is under review. */
type LineEdit = { open: () => void; type: (text: string) => void; save: () => void; close: () => void; remove: () => void }

function Line(props: {
  n: number
  text: string
  ears?: keyof typeof EARS_LABEL
  findings: { level: string; code: string; message: string }[]
  /** The line's pending comment. */
  comment?: string
  /** The text of the comment form, when it is open on this line. */
  form?: string
  edit?: LineEdit
}) {
  const { edit, comment, form, n } = props
  const input = useRef<HTMLTextAreaElement>(null)
  return (
    <li className={props.ears ? `line ears ears-${props.ears}` : 'line'} value={n} data-line={n}>
      <div className="line-row">
        <code className="line-text">{props.text || '\u00a0'}</code>
        {props.ears && <span className="ears-tag" title={EARS_LABEL[props.ears]}>{props.ears}</span>}
        {edit && (
          <button
            className="line-comment"
            aria-label={`Comment on line ${n}`}
            onClick={() => (form === undefined ? edit.open() : input.current?.focus())}
          >
            +
          </button>
        )}
      </div>
      {props.findings.map((f, i) => (
        <p key={i} className={`finding finding-${f.level}`}>
          {f.level}[{f.code}]: {f.message}
        </p>
      ))}
      {comment !== undefined && form === undefined && (
        <p className="pending-comment">
          <span>Your comment: {comment}</span>
          {edit && (
            <>
              <button type="button" className="link" aria-label={`Edit the comment on line ${n}`} onClick={edit.open}>
                Edit
              </button>
              <button type="button" className="link" aria-label={`Remove the comment on line ${n}`} onClick={edit.remove}>
                Remove
              </button>
            </>
          )}
        </p>
      )}
      {form !== undefined && edit && (
        <form
          className="comment-form"
          onSubmit={(e) => {
            e.preventDefault()
            edit.save()
          }}
        >
          <label>
            {`Your comment on line ${n}`}
            <textarea
              ref={input}
              value={form}
              onChange={(e) => edit.type(e.target.value)}
              onKeyDown={(e) => e.key === 'Escape' && edit.close()}
              rows={2}
              autoFocus
            />
          </label>
          <div className="actions">
            <button type="submit" disabled={!form.trim() && comment === undefined}>
              {comment === undefined ? 'Add comment' : 'Save comment'}
            </button>
            <button type="button" onClick={edit.close}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  )
}

function Diff({ before, after, from }: { before: string; after: string; from: string }) {
  const parts = diffLines(before, after)
  if (!parts.some((p) => p.added || p.removed)) return <p className="hint">No changes since {from}.</p>
  return (
    <pre className="diff" aria-label="Changes from the previous version">
      {parts.map((p, i) => (
        <span key={i} className={p.added ? 'added' : p.removed ? 'removed' : undefined}>
          {p.value
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => `${p.added ? '+' : p.removed ? '-' : ' '} ${l}`)
            .join('\n') + '\n'}
        </span>
      ))}
    </pre>
  )
}

function Decision(props: { task: SpecTask; comments: LineComment[]; text: string; onText: (text: string) => void; onDone: () => void }) {
  const { task, comments, text, onDone } = props
  const client = useQueryClient()
  const [rejecting, setRejecting] = useState(false)
  const decide = useMutation({
    mutationFn: async (action: 'approve-specs' | 'request-changes' | 'reject') => {
      const body = { comments: text, line_comments: comments }
      const params = { params: { path: { id: task.id } }, body }
      switch (action) {
        case 'approve-specs':
          return unwrap(await api.POST('/api/v1/spec-tasks/{id}/approve-specs', params))
        case 'request-changes':
          return unwrap(await api.POST('/api/v1/spec-tasks/{id}/request-changes', params))
        case 'reject':
          return unwrap(await api.POST('/api/v1/spec-tasks/{id}/reject', params))
      }
    },
    onSuccess: () => {
      onDone()
      void client.invalidateQueries({ queryKey: keys.task(task.id) })
      void client.invalidateQueries({ queryKey: keys.tasks })
    },
  })
  return (
    <section className="decision in-reach" aria-labelledby="decision-title">
      <h2 id="decision-title">Review</h2>
      <label>
        Comments on the whole spec
        <textarea value={text} onChange={(e) => props.onText(e.target.value)} rows={2} />
      </label>
      {comments.length > 0 && <p>{comments.length} line comment(s) will be sent.</p>}
      {decide.isError && <p role="alert">{decide.error.message}</p>}
      <div className="actions">
        <button className="danger" disabled={decide.isPending} onClick={() => setRejecting(true)}>
          Reject
        </button>
        <button disabled={decide.isPending || (!text.trim() && comments.length === 0)} onClick={() => decide.mutate('request-changes')}>
          Request changes
        </button>
        <button className="primary" disabled={decide.isPending} onClick={() => decide.mutate('approve-specs')}>
          Approve &amp; start implementation
        </button>
      </div>
      {rejecting && (
        <ConfirmDialog
          title="Reject this SpecTask?"
          message="A rejected task is closed for good: nothing of it is implemented."
          confirm="Reject"
          onConfirm={() => decide.mutate('reject')}
          onClose={() => setRejecting(false)}
        />
      )}
    </section>
  )
}

function PastReviews({ reviews }: { reviews: Schemas['ReviewDto'][] }) {
  if (reviews.length === 0) return null
  return (
    <section className="past-reviews" aria-labelledby="past-reviews">
      <h2 id="past-reviews">Reviews</h2>
      <ul>
        {reviews.map((r) => (
          <li key={r.id}>
            v{r.version} · <strong>{r.decision.replace(/_/g, ' ')}</strong> by {r.reviewer}
            {r.comments && <>: {r.comments}</>}
            {r.line_comments.map((c, i) => (
              <div key={i} className="meta">
                {c.document}
                {c.line ? `:${c.line}` : ''} — {c.comment}
              </div>
            ))}
          </li>
        ))}
      </ul>
    </section>
  )
}
