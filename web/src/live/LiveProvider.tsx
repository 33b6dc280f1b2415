import { createContext, useContext, useEffect, useState, type ReactNode } from 'react'
import { useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { notifyOfAttention } from '../notify/browser'
import type { AttentionList } from '../attention/attention'
import { connectLive, type LiveStatus } from './stream'

const LiveContext = createContext<LiveStatus>('connecting')

/**
 * Opens the one live connection for the whole app, starting after the newest event at load; what
 * newly waits for the person raises a browser notification when they are on.
 */
export function LiveProvider({ children, me }: { children: ReactNode; me: { name: string; open: boolean } }) {
  const client = useQueryClient()
  const [status, setStatus] = useState<LiveStatus>('connecting')
  const { name, open } = me
  useEffect(() => {
    let close: (() => void) | undefined
    let cancelled = false
    void (async () => {
      let after = 0
      try {
        after = unwrap(await api.GET('/api/v1/health')).last_event_seq
      } catch {
        // Without the head, replay from the start: correct, only slower.
      }
      // The first list is what waited already: only what arrives after it is told.
      const seen = new Set<string>()
      let first = true
      const tell = (list: AttentionList) => {
        notifyOfAttention(list, seen, first)
        first = false
      }
      if (!cancelled) close = connectLive(client, after, setStatus, undefined, tell)
    })()
    return () => {
      cancelled = true
      close?.()
    }
  }, [client, name, open])
  return <LiveContext.Provider value={status}>{children}</LiveContext.Provider>
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext)
}

export function LiveBadge() {
  const status = useLiveStatus()
  const text = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting…'
  return (
    <span className={`live-status live-${status}`} role="status" aria-live="polite">
      <span className="dot" aria-hidden="true" /> {text}
    </span>
  )
}
