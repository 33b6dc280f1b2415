// The one live connection: Server-Sent Events from /api/v1/events, turned into cache invalidations,
// and the server's `attention` frames (what waits for whom), which replace the cached list.
// The browser's EventSource reconnects by itself and sends `Last-Event-ID`, so the server replays
// what was missed; changed keys are flushed at most every FLUSH_MS (a burst of events refetches each
// visible query once). Nothing polls.
import type { QueryClient } from '@tanstack/react-query'
import type { ApiEvent } from '../api/client'
import { keys } from '../api/keys'
import type { AttentionList } from '../attention/attention'
import { KeyBatch, keysChangedBy } from './reducer'

const FLUSH_MS = 250

export type LiveStatus = 'connecting' | 'live' | 'reconnecting'

export function connectLive(
  client: QueryClient,
  after: number,
  onStatus: (status: LiveStatus) => void,
  onEvent?: (event: ApiEvent) => void,
  onAttention?: (list: AttentionList) => void,
): () => void {
  const batch = new KeyBatch()
  let timer: ReturnType<typeof setTimeout> | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  let source: EventSource | undefined
  let lastSeq = after
  let opened = false

  const flush = () => {
    timer = undefined
    for (const queryKey of batch.take()) void client.invalidateQueries({ queryKey })
  }
  const handle = (message: MessageEvent<string>) => {
    let event: ApiEvent
    try {
      event = JSON.parse(message.data) as ApiEvent
    } catch {
      return
    }
    lastSeq = Math.max(lastSeq, event.seq)
    batch.add(keysChangedBy(event))
    onEvent?.(event)
    if (timer === undefined) timer = setTimeout(flush, FLUSH_MS)
  }
  const open = () => {
    retry = undefined
    const es = new EventSource(`/api/v1/events?after=${lastSeq}&attention=true`)
    source = es
    es.onopen = () => {
      onStatus('live')
      // What changed between the first fetches and the subscription: refresh what is on screen once.
      // After a reconnect the missed events are replayed, but what failed while the server was
      // away (a list a dialog opened on) is read again.
      if (!opened) void client.invalidateQueries()
      else void client.invalidateQueries({ predicate: (query) => query.state.status === 'error' })
      opened = true
    }
    es.onerror = () => {
      onStatus('reconnecting')
      // EventSource retries by itself (with Last-Event-ID) unless the server answered an error;
      // then it is closed and we open a new one once, later.
      if (es.readyState === EventSource.CLOSED && retry === undefined) retry = setTimeout(open, RETRY_MS)
    }
    for (const kind of Object.keys(EVENT_KINDS)) es.addEventListener(kind, handle)
    // What waits for whom, as the server says it now: it replaces the cached list at once.
    es.addEventListener('attention', (message: MessageEvent<string>) => {
      try {
        const list = JSON.parse(message.data) as AttentionList
        client.setQueryData(keys.attention, list)
        onAttention?.(list)
      } catch {
        // A frame that does not read is skipped: the next change sends the whole list again.
      }
    })
  }
  onStatus('connecting')
  open()
  return () => {
    if (timer !== undefined) clearTimeout(timer)
    if (retry !== undefined) clearTimeout(retry)
    source?.close()
  }
}

const RETRY_MS = 3000

/** Every event kind (arriving as its SSE `event:` name); the type makes a new kind a compile error here. */
const EVENT_KINDS: Record<ApiEvent['kind'], true> = {
  'spec_task.created': true,
  'spec_task.transitioned': true,
  'spec_review.recorded': true,
  'work_session.created': true,
  'work_session.transitioned': true,
  'coordination.recorded': true,
  'repository.registered': true,
  'repository.settings_changed': true,
  'pull_request.updated': true,
  'work_session.plan': true,
  'plan_progress.detected': true,
  'agent.sandbox': true,
  'work_session.permission': true,
  'spec_task.hidden': true,
  'work_session.check': true,
  'spec_task.prerequisites_changed': true,
  'spec_task.budget': true,
  'work_session.stalled': true,
  'work_session.history': true,
  'spec_task.held': true,
}
