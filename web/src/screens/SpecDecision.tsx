/** The spec review's decision, in a bar at the foot of the screen: approve, request changes (with
 * the answers to the planner's questions), reject; approve despite lint errors, with a reason. Its
 * actions are also the command palette's on this page. */
import { useRef, useState } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, ApiFailure, type Schemas, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { useActionKey } from '../api/actionKey'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { Problem } from '../components/Problem'
import { useCommands } from '../palette/useCommands'
import type { Command } from '../palette/commands'

type LineComment = Schemas['LineComment']

export function Decision(props: {
  task: SpecTask
  comments: LineComment[]
  text: string
  onText: (text: string) => void
  /** The planner's questions about this version, answered here. */
  questions: string[]
  /** The version is the questions alone: nothing to approve until they are answered. */
  asksOnly: boolean
  answers: string[]
  onAnswers: (answers: string[]) => void
  /** Why the review cannot be sent now, and the newer version to open, if that is why. */
  blocked?: { text: string; newer?: number }
  onOpen: (version: number) => void
  onDiscard: () => void
  onDone: () => void
}) {
  const { task, comments, text, questions, asksOnly, onDone, blocked } = props
  const answers = questions.map((_, i) => props.answers[i] ?? '')
  const answered = answers.flatMap((answer, i) => (answer.trim() ? [{ question: i + 1, answer }] : []))
  const client = useQueryClient()
  const [rejecting, setRejecting] = useState(false)
  // Why the person approves a version with lint errors anyway (recorded with the review).
  const [despite, setDespite] = useState('')
  // One decision, however often it is sent: a double click or a resend records it once.
  const once = useActionKey()
  const decide = useMutation({
    mutationFn: async (action: 'approve-specs' | 'approve-despite-lint' | 'request-changes' | 'reject') => {
      const body = { comments: text, line_comments: comments }
      const params = { params: { path: { id: task.id } }, body, headers: once.headers({ action, body, answered, despite }) }
      switch (action) {
        case 'approve-specs':
          return unwrap(await api.POST('/api/v1/spec-tasks/{id}/approve-specs', params))
        case 'approve-despite-lint':
          return unwrap(
            await api.POST('/api/v1/spec-tasks/{id}/approve-specs', { ...params, body: { ...body, despite_lint: despite.trim() } }),
          )
        case 'request-changes':
          return unwrap(
            await api.POST('/api/v1/spec-tasks/{id}/request-changes', { ...params, body: { ...body, answers: answered } }),
          )
        case 'reject':
          return unwrap(await api.POST('/api/v1/spec-tasks/{id}/reject', params))
      }
    },
    onSettled: (_data, error) => once.settled(error),
    onSuccess: () => {
      onDone()
      void client.invalidateQueries({ queryKey: keys.task(task.id) })
      void client.invalidateQueries({ queryKey: keys.tasks })
    },
  })
  const comment = useRef<HTMLTextAreaElement>(null)
  const open = !decide.isPending && !blocked
  const changes = !!text.trim() || comments.length > 0 || answered.length > 0
  useCommands(
    [
      open && !asksOnly && { id: 'spec:approve', title: 'Approve & start implementation', group: 'This page', run: () => decide.mutate('approve-specs') },
      open && {
        id: 'spec:changes',
        title: changes ? (asksOnly ? 'Send answers' : 'Request changes') : 'Request changes: write the comments',
        group: 'This page',
        run: () => (changes ? decide.mutate('request-changes') : comment.current?.focus()),
      },
      open && { id: 'spec:reject', title: 'Reject…', group: 'This page', danger: true, run: () => setRejecting(true) },
    ].filter((c): c is Command => !!c),
  )
  return (
    <section className="decision in-reach" aria-labelledby="decision-title">
      <h2 id="decision-title">Review</h2>
      {blocked && (
        <p role="status" className="unavailable">
          {blocked.text}
          {blocked.newer && (
            <>
              {' '}
              <button type="button" className="link" onClick={() => props.onOpen(blocked.newer ?? 0)}>
                Open v{blocked.newer}
              </button>
            </>
          )}
        </p>
      )}
      {questions.length > 0 && (
        <fieldset className="planner-questions">
          <legend>The planner asks</legend>
          {questions.map((question, i) => (
            <label key={i}>
              {i + 1}. {question}
              <input
                type="text"
                value={answers[i]}
                onChange={(e) => props.onAnswers(answers.map((a, j) => (j === i ? e.target.value : a)))}
              />
            </label>
          ))}
          <p className="hint">
            Your answers go to the planner with {asksOnly ? 'Send answers' : 'Request changes'}, and into the spec&apos;s
            history.
          </p>
        </fieldset>
      )}
      <label>
        Comments on the whole spec
        <textarea ref={comment} value={text} onChange={(e) => props.onText(e.target.value)} rows={2} />
      </label>
      {comments.length > 0 && <p>{comments.length} line comment(s) will be sent.</p>}
      {decide.isError && <Problem error={decide.error} />}
      {lintRefused(decide.error) && (
        <fieldset className="despite-lint">
          <legend>Approve despite the lint errors</legend>
          <label>
            Why it may be implemented as it is (recorded with the review)
            <input type="text" value={despite} onChange={(e) => setDespite(e.target.value)} />
          </label>
          <button
            type="button"
            className="danger"
            disabled={decide.isPending || !!blocked || !despite.trim()}
            onClick={() => decide.mutate('approve-despite-lint')}
          >
            Approve despite lint errors
          </button>
        </fieldset>
      )}
      <div className="actions">
        <button className="danger" disabled={decide.isPending || !!blocked} onClick={() => setRejecting(true)}>
          Reject
        </button>
        <button
          disabled={decide.isPending || !!blocked || (!text.trim() && comments.length === 0 && answered.length === 0)}
          onClick={() => decide.mutate('request-changes')}
        >
          {asksOnly ? 'Send answers' : 'Request changes'}
        </button>
        {!asksOnly && (
          <button className="primary" disabled={decide.isPending || !!blocked} onClick={() => decide.mutate('approve-specs')}>
            Approve &amp; start implementation
          </button>
        )}
        {(text.trim() !== '' || comments.length > 0 || answered.length > 0) && (
          <button type="button" className="link" onClick={props.onDiscard}>
            Discard draft
          </button>
        )}
      </div>
      {rejecting && (
        <ConfirmDialog
          title="Reject this SpecTask?"
          message="A rejected task is closed for good: nothing of it is implemented."
          confirm="Reject"
          unavailable={blocked && 'The spec you were reviewing is no longer under review.'}
          onConfirm={() => decide.mutate('reject')}
          onClose={() => setRejecting(false)}
        />
      )}
    </section>
  )
}

/** The approval was refused for the version's lint errors: it may be approved with a reason. */
export function lintRefused(error: unknown): boolean {
  return error instanceof ApiFailure && error.code === 'lint_errors'
}