import { useState } from 'react'
import { readDraft, writeDraft } from './drafts'

/**
 * A draft kept in localStorage under `key` (see drafts.ts): `[value, set, discard]`. A value
 * `blank` says is empty is not stored. Reads again when `key` changes (another task, another version).
 */
export function useDraft<T>(key: string, empty: T, blank: (value: T) => boolean): [T, (value: T) => void, () => void] {
  const [state, setState] = useState(() => ({ key, value: readDraft(key, empty) }))
  const value = state.key === key ? state.value : readDraft(key, empty)
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
