import { useState } from 'react'

/**
 * Whether a form shown while `shown` holds stays on the page: from the first render it is shown
 * until `release` is called (the person sent it), whatever the live state does in between. Once
 * released it is shown again only after `shown` was false, or for another `subject` (what the form
 * decides on, such as a spec version): the page may never see `shown` false between two subjects
 * when the state moves on and back faster than it refreshes. Returns `[kept, release]`.
 */
export function useKept(shown: boolean, subject?: string | number): [boolean, () => void] {
  const [state, setState] = useState<'idle' | 'kept' | 'released'>(shown ? 'kept' : 'idle')
  const [keptFor, setKeptFor] = useState(subject)
  // Another subject starts afresh.
  const now = subject !== keptFor ? (shown ? 'kept' : 'idle') : state
  if (subject !== keptFor) {
    setKeptFor(subject)
    setState(now)
  }
  if (shown && now === 'idle') setState('kept')
  if (!shown && now === 'released') setState('idle')
  return [now === 'kept' || (shown && now === 'idle'), () => setState('released')]
}
