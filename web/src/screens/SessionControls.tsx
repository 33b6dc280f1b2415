/**
 * A session's controls on its page: stop its agent (the session waits, interrupted), resume it,
 * and reply to its thread where the session takes messages (the main session of an interactive
 * task, or a thread opened from an editor). A reply is a draft kept until it is sent or discarded;
 * the reply box stays when the session stops taking messages, its Send disabled with the reason.
 */
import { useState, type FormEvent } from 'react'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type Schemas } from '../api/client'
import { keys } from '../api/keys'
import { useSpecTask } from '../api/queries'
import { ConfirmDialog } from '../components/ConfirmDialog'
import { useKept } from '../components/useKept'
import { useDraft } from '../drafts/useDraft'
import { BudgetHeld, useBudgetHold } from '../attention/BudgetHeld'
import { Problem } from '../components/Problem'
import { useCommands } from '../palette/useCommands'
import type { Command } from '../palette/commands'

type WorkSession = Schemas['WorkSessionDto']

/** Stop agent / Resume, and the reply box when the session takes messages now. */
export function SessionControls({ session }: { session: WorkSession }) {
  const task = useSpecTask(session.spec_task_id)
  const hold = useBudgetHold(session.spec_task_id)
  const client = useQueryClient()
  const [confirming, setConfirming] = useState(false)
  const move = useMutation({
    mutationFn: async (status: 'interrupted' | 'running') =>
      unwrap(
        await api.PUT('/api/v1/work-sessions/{id}/status', {
          params: { path: { id: session.id } },
          body: { status, reason: status === 'interrupted' ? 'stopped from its page' : '' },
        }),
      ),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.session(session.id) })
      void client.invalidateQueries({ queryKey: keys.task(session.spec_task_id) })
    },
  })
  const editor = !!session.opened_from_editor
  const interactiveMain = task.data?.kind === 'interactive' && !session.parent_id
  const takesMessages =
    (editor || interactiveMain) &&
    (session.status === 'running' || (editor && (session.status === 'pending' || session.status === 'interrupted')))
  const [replyShown] = useKept(takesMessages)
  const reply = useDraft(`reply:${session.id}`, '', (t) => !t.trim())
  useCommands(
    [
      session.status === 'running' && { id: 'session:stop', title: 'Stop agent…', group: 'This page', danger: true, run: () => setConfirming(true) },
      session.status === 'interrupted' && !hold && { id: 'session:resume', title: 'Resume', group: 'This page', run: () => move.mutate('running') },
    ].filter((c): c is Command => !!c && !move.isPending),
  )
  return (
    <section className="session-controls" aria-label="Session controls">
      <div className="actions">
        {session.status === 'running' && (
          <button className="danger" disabled={move.isPending} onClick={() => setConfirming(true)}>
            Stop agent
          </button>
        )}
        {session.status === 'interrupted' && hold && <BudgetHeld hold={hold} taskId={session.spec_task_id} />}
        {session.status === 'interrupted' && !hold && (
          <button className="primary" disabled={move.isPending} onClick={() => move.mutate('running')}>
            Resume
          </button>
        )}
        {move.isError && <Problem error={move.error} inline />}
      </div>
      {confirming && (
        <ConfirmDialog
          title="Stop this session's agent?"
          message="Its turn stops where it is, and the session waits, interrupted, until you resume it."
          confirm="Stop agent"
          dismiss="Keep it running"
          unavailable={session.status === 'running' ? undefined : `The session is ${session.status} now: its agent is not running.`}
          onConfirm={() => move.mutate('interrupted')}
          onClose={() => setConfirming(false)}
        />
      )}
      {(replyShown || reply[0].trim() !== '') && (
        <Reply
          session={session}
          draft={reply}
          blocked={takesMessages ? undefined : `The session is ${session.status} now: it takes no message. Your reply stays here until you send or discard it.`}
        />
      )}
    </section>
  )
}

/** A message to the session's thread: the agent reads it as its next prompt. `blocked` says why it
 * cannot be sent now. */
function Reply(props: {
  session: WorkSession
  draft: [string, (text: string) => void, () => void]
  blocked?: string
}) {
  const { session, blocked } = props
  const [text, setText, discard] = props.draft
  const client = useQueryClient()
  const send = useMutation({
    mutationFn: async (message: string) =>
      unwrap(
        await api.POST('/api/v1/work-sessions/{id}/messages', {
          params: { path: { id: session.id } },
          body: { text: message },
        }),
      ),
    onSuccess: () => {
      discard()
      void client.invalidateQueries({ queryKey: keys.session(session.id) })
    },
  })
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (text.trim() && !blocked) send.mutate(text)
  }
  return (
    <form className="reply" onSubmit={submit} aria-label="Reply to the agent">
      <label htmlFor="session-reply">Reply to the agent</label>
      <textarea
        id="session-reply"
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="What the agent should do next"
      />
      {blocked && (
        <p role="status" className="unavailable">
          {blocked}
        </p>
      )}
      <div className="actions">
        <button className="primary" type="submit" disabled={send.isPending || !text.trim() || !!blocked}>
          Send
        </button>
        {text.trim() !== '' && (
          <button type="button" className="link" onClick={discard}>
            Discard draft
          </button>
        )}
        {send.isSuccess && <span className="meta">Queued: the agent reads it at its next turn.</span>}
        {send.isError && <Problem error={send.error} inline />}
      </div>
    </form>
  )
}
