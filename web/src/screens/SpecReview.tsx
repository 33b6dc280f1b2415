import { useRef } from 'react'
import { useSearchParams } from 'react-router'
import { diffLines } from 'diff'
import type { SpecTask, Schemas } from '../api/client'
import { onTabListKey } from '../components/tabKeys'
import { useDocument, useReviews, useSpecVersions, useSteering, type SpecDocumentName } from '../api/queries'
import { Markdown } from '../components/Markdown'
import { useDraft } from '../drafts/useDraft'
import { hasDraft } from '../drafts/drafts'
import { useKept } from '../components/useKept'
import { statusLabel } from '../phases'
import {
  NO_REVIEW,
  closeForm,
  commentOn,
  draftedVersion,
  isBlank,
  openForm,
  removeComment,
  reviewKey,
  saveForm,
  typeInForm,
} from '../review/lineComments'
import { PlanGraph } from '../components/PlanGraph'
import { When } from '../components/When'
import { EARS_LABEL, earsPattern, findingsByLine } from '../spec/ears'
import { Problem } from '../components/Problem'
import { Decision } from './SpecDecision'
import { Select } from '../components/Select'

const VIEWS = ['lines', 'rendered', 'diff'] as const
type View = (typeof VIEWS)[number]
const DOCUMENTS: { name: SpecDocumentName; label: string }[] = [
  { name: 'requirements', label: 'Requirements' },
  { name: 'design', label: 'Design' },
  { name: 'tasks', label: 'Tasks' },
]

/** The task's documents in the order its workflow writes them: a design-first spec opens on its design. */
function documentsOf(task: SpecTask) {
  const [requirements, design, tasks] = DOCUMENTS
  const named = { ...requirements, label: task.requirements_file === 'bugfix.md' ? 'Bugfix' : requirements.label }
  return task.workflow_base === 'design-first' ? [design, named, tasks] : [named, design, tasks]
}

/** The file name of `doc` in the task's spec (`bugfix.md` for a bugfix's first document). */
function fileOf(task: SpecTask, doc: SpecDocumentName) {
  return doc === 'requirements' ? task.requirements_file : `${doc}.md`
}

/** Read a spec version, see its lint findings and EARS criteria, comment, decide. */
export function SpecReview({ task }: { task: SpecTask }) {
  const versions = useSpecVersions(task.id)
  const reviews = useReviews(task.id)
  // The document, version and view read are in the URL (?doc=, ?version=, ?view=), to reload and share.
  const [params, setParams] = useSearchParams()
  const documents = documentsOf(task)
  const doc = documents.find((d) => d.name === params.get('doc'))?.name ?? documents[0].name
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
  // The version read: the one asked for, else the one whose review the person is writing (a new
  // version is announced, not shown in its place), else the latest.
  const version = picked ?? draftedVersion(latest, (v) => hasDraft(reviewKey(task.id, v))) ?? latest
  // The review of that version as typed so far (line comments, the whole-spec comment).
  const [draft, setDraft, discard] = useDraft(reviewKey(task.id, version), NO_REVIEW, isBlank)
  const comments = draft.comments
  const meta = versions.data?.find((v) => v.version === version)
  const current = useDocument(task.id, doc, version || undefined)
  const previous = useDocument(task.id, doc, version > 1 ? version - 1 : 0)
  const reviewable = task.status === 'spec_review' && version === latest
  // The planner asked before writing anything: the version is its questions, answered below.
  const asksOnly = meta?.questions_only === true
  // Once shown, the decision stays (its text, an open Reject confirmation) while the task moves on;
  // so does a review begun on a version a newer one replaced, until it is discarded.
  // A new version is a new decision, even when the page never saw the task leave the review.
  const [kept, decided] = useKept(reviewable, version)
  const deciding = (kept && version === latest) || !isBlank(draft)
  const blocked =
    version < latest
      ? { text: `v${latest} replaced v${version} while you reviewed it: your review of v${version} stays here until you discard it.`, newer: latest }
      : task.status !== 'spec_review'
        ? { text: `The task moved to ${statusLabel(task.status)}: there is no spec to decide on now. Your review stays until you send or discard it.` }
        : undefined
  // A first version has nothing to compare with: its view falls back to the lines.
  const shown = view === 'diff' && version < 2 ? 'lines' : view

  if (task.spec_version === 0) return <p role="status">{noSpecYet(task.status)}</p>
  // Findings name the document by its file: bugfix.md for a bugfix's first one.
  const findings = findingsByLine(meta?.lint ?? [], fileOf(task, doc).replace(/\.md$/, ''))
  const lines = current.data?.content.split('\n') ?? []

  return (
    <>
      <div className="review">
        <aside className="review-side" aria-label="Spec version">
          <div role="tablist" aria-label="Documents" onKeyDown={onTabListKey} className="doc-tabs">
            {documents.map((d) => (
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
          <Select
            label="Version"
            value={String(version)}
            onChange={(v) => setPicked(Number(v))}
            // Until the versions load, the one in the URL (or the task's latest) is the only choice.
            options={(versions.data?.map((v) => v.version) ?? [version]).map((v) => ({
              value: String(v),
              label: `v${v}${v === latest ? ' (latest)' : ''}`,
            }))}
          />
          {meta && <Generation meta={meta} />}
          {meta && <Analysis findings={meta.analysis} onOpen={setDoc} />}
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
        <section className="review-doc" aria-label={`${fileOf(task, doc)} v${version}`}>
          <h2>
            {fileOf(task, doc)} <span className="count">v{version}</span>
          </h2>
          {asksOnly && (
            <p role="status" className="hint">
              The planner asks before it writes the spec: this version holds its questions only. Your answers, sent
              with the review, drive its first draft.
            </p>
          )}
          {current.isError && <Problem error={current.error} />}
          {!asksOnly && doc === 'tasks' && current.data && <PlanGraph tasks={current.data.content} />}
          {shown === 'rendered' && current.data && <Markdown text={current.data.content} />}
          {shown === 'diff' &&
            (current.data && previous.data ? (
              <Diff before={previous.data.content} after={current.data.content} from={`${fileOf(task, doc)} v${version - 1}`} />
            ) : (
              <p role="status">Loading v{version - 1}…</p>
            ))}
          {shown === 'lines' && !asksOnly && (
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
                    deciding
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
      {deciding && (
        <Decision
          task={task}
          blocked={blocked}
          onOpen={setPicked}
          onDiscard={discard}
          comments={comments}
          text={draft.text}
          onText={(text) => setDraft({ ...draft, text })}
          questions={meta?.questions ?? []}
          asksOnly={asksOnly}
          answers={draft.answers ?? []}
          onAnswers={(answers) => setDraft({ ...draft, answers })}
          onDone={() => {
            discard()
            decided()
          }}
        />
      )}
      <Steering taskId={task.id} />
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

const DOCUMENT_OF_FILE: Record<string, SpecDocumentName> = {
  'requirements.md': 'requirements',
  'bugfix.md': 'requirements',
  'design.md': 'design',
  'tasks.md': 'tasks',
}

/** The version's analysis: gaps and contradictions across its three documents (spectask's, then the
 * planner's own check), each opening its document. */
function Analysis(props: { findings: Schemas['AnalysisFindingDto'][]; onOpen: (doc: SpecDocumentName) => void }) {
  const { findings, onOpen } = props
  return (
    <section className="analysis" aria-labelledby="analysis">
      <h3 id="analysis">Analysis</h3>
      {findings.length === 0 ? (
        <p className="hint">No gaps or contradictions across the documents.</p>
      ) : (
        <ul>
          {findings.map((f, i) => (
            <li key={i} className={`analysis-${f.kind}`}>
              <button type="button" className="link" onClick={() => onOpen(DOCUMENT_OF_FILE[f.file] ?? 'requirements')}>
                {f.file}:{f.line}
              </button>{' '}
              <strong>{f.kind === 'planner' ? "the planner's check" : f.kind}</strong>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </section>
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
              onKeyDown={(e) => {
                if (e.key !== 'Escape') return
                // Escape never loses what was typed: it is kept as the line's comment (Remove takes it back).
                e.preventDefault()
                e.stopPropagation()
                if (form.trim()) edit.save()
                else edit.close()
              }}
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

function PastReviews({ reviews }: { reviews: Schemas['ReviewDto'][] }) {
  if (reviews.length === 0) return null
  return (
    <section className="past-reviews" aria-labelledby="past-reviews">
      <h2 id="past-reviews">Reviews</h2>
      <ul>
        {reviews.map((r) => (
          <li key={r.id}>
            v{r.version} · <strong>{r.decision.replace(/_/g, ' ')}</strong> by {r.reviewer}, <When at={r.created_at} />
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

/** The repository's steering documents, which the planner and every session were given. */
function Steering({ taskId }: { taskId: string }) {
  const steering = useSteering(taskId)
  const documents = steering.data ?? []
  if (documents.length === 0) return null
  return (
    <details className="disclosure steering" data-testid="steering">
      <summary>Steering documents ({documents.length}): the project guidance its agents follow</summary>
      {documents.map((d) => (
        <section key={d.path} aria-label={d.path}>
          <h3>
            <code>{d.path}</code>{' '}
            <span className="hint">
              {d.inclusion === 'manual'
                ? 'manual: not given to agents'
                : d.inclusion === 'file_match'
                  ? `for files matching ${d.pattern ?? ''}`
                  : 'always given'}
            </span>
          </h3>
          <Markdown text={d.text} />
        </section>
      ))}
    </details>
  )
}

/** Why a task has no spec to show: its planner is writing one, it waits to be planned, or it ended first. */
function noSpecYet(status: SpecTask['status']): string {
  switch (status) {
    case 'backlog':
      return 'No spec yet: the task waits for its planning agent to start.'
    case 'spec_generation':
    case 'spec_revision':
      return 'No spec yet: the planning agent is writing it.'
    case 'failed':
      return 'No spec: the task failed before its planning agent wrote one (see above).'
    default:
      return `No spec: the task was ${statusLabel(status)} before its planning agent wrote one.`
  }
}
