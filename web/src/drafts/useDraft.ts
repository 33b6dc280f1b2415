import { useEffect, useState } from 'react'
import { readDraft, storageKey, writeDraft } from './drafts'

/**
 * A draft kept in localStorage under `key` (see drafts.ts): `[value, set, discard]`. A value
 * `blank` says is empty is not stored. Reads again when `key` changes (another task, another version),
 * and when another tab of the dashboard changes or forgets it (a review sent there is no draft here).
 */
export function useDraft<T>(key: string, empty: T, blank: (value: T) => boolean): [T, (value: T) => void, () => void] {
  const [state, setState] = useState(() => ({ key, value: readDraft(key, empty) }))
  const value = state.key === key ? state.value : readDraft(key, empty)
  useEffect(() => {
    const changed = (e: StorageEvent) => {
      if (e.key === storageKey(key) || e.key === null) setState({ key, value: readDraft(key, empty) })
    }
    addEventListener('storage', changed)
    return () => removeEventListener('storage', changed)
    // `empty` is each caller's constant: only the key names what is read.
  }, [key])
  const set = (next: T) => {
    writeDraft(key, blank(next) ? undefined : next)
    setState({ key, value: next })
  }
  const discard = () => {
    writeDraft(key, undefined)
    setState({ key, value: empty })
  }
  return [value, set, discard]
}
