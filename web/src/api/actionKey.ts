// Idempotency keys: every state-changing request carries one (`Idempotency-Key`), so the server
// answers a person's action once however often it arrives. The client's middleware gives each
// request a fresh key; an action that may be sent again after a lost answer (Create, Approve)
// keeps its key until the server answers, so the resend gets the first answer instead of acting
// twice.
import { useRef } from 'react'
import { ApiFailure, freshKey } from './client'

export const IDEMPOTENCY_KEY = 'Idempotency-Key'

export { freshKey as newKey }

/** One action's key: the same while the action's request is the same and unanswered. */
export class ActionKey {
  private body: string | undefined
  private key: string | undefined

  /** The headers of a request with `body`: the key kept for it, or a new one for another body. */
  headers(body: unknown): Record<string, string> {
    const text = JSON.stringify(body ?? null)
    if (this.key === undefined || text !== this.body) {
      this.body = text
      this.key = freshKey()
    }
    return { [IDEMPOTENCY_KEY]: this.key }
  }

  /** The server answered (a success or a refusal): the next action is a new one. A request that
   * got no answer (the network failed) keeps its key, so sending it again is safe. */
  settled(error: unknown): void {
    if (error === null || error === undefined || error instanceof ApiFailure) {
      this.body = undefined
      this.key = undefined
    }
  }
}

/** The key of a component's action (see `ActionKey`). */
export function useActionKey(): ActionKey {
  const ref = useRef<ActionKey | undefined>(undefined)
  ref.current ??= new ActionKey()
  return ref.current
}
