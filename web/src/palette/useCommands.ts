// What the page open now offers the command palette: each screen registers its actions while it is
// mounted (the same handlers its buttons call, so the same idempotency keys and confirmations), and
// the palette reads them when it opens.
import { useEffect, useId, useRef, useSyncExternalStore } from 'react'
import type { Command } from './commands'

const sources = new Map<string, Command[]>()
const listeners = new Set<() => void>()
let snapshot: Command[] = []

function publish() {
  snapshot = [...sources.values()].flat()
  for (const l of listeners) l()
}

function subscribe(listener: () => void) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Every command the mounted screens offer now. */
export function useRegisteredCommands(): Command[] {
  return useSyncExternalStore(subscribe, () => snapshot)
}

/**
 * Offers `commands` in the palette while the component is mounted. Their `run` is always the one of
 * the latest render; the list is republished only when what it shows changes.
 */
export function useCommands(commands: Command[]): void {
  const source = useId()
  const latest = useRef(commands)
  const shown = commands.map((c) => `${c.id}\u0000${c.title}\u0000${c.group}\u0000${c.shortcut ?? ''}\u0000${c.danger ? 1 : 0}`).join('\u0001')
  useEffect(() => {
    latest.current = commands
  })
  useEffect(() => {
    sources.set(
      source,
      latest.current.map((c) => ({ ...c, run: () => latest.current.find((now) => now.id === c.id)?.run() })),
    )
    publish()
    return () => {
      sources.delete(source)
      publish()
    }
  }, [source, shown])
}
