// One clock for every relative time on screen: a single timer, running while some component shows
// a time, ticks them all on together (so "just now" becomes "1 min ago" without a reload).
import { useSyncExternalStore } from 'react'

const TICK_MS = 15_000

const listeners = new Set<() => void>()
let timer: ReturnType<typeof setInterval> | undefined

function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  timer ??= setInterval(() => {
    for (const l of listeners) l()
  }, TICK_MS)
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer)
      timer = undefined
    }
  }
}

/** Now, in milliseconds, to the last whole tick (the same value for every caller within a tick). */
function tick(): number {
  return Math.floor(Date.now() / TICK_MS) * TICK_MS
}

/** Now, as of the shared clock's last tick (at most TICK_MS old). */
export function useNow(): number {
  return useSyncExternalStore(subscribe, tick)
}
