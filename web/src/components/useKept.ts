import { useState } from 'react'

/**
 * Whether a form shown while `shown` holds stays on the page: from the first render it is shown
 * until `release` is called (the person sent it), whatever the live state does in between. Once
 * released it is shown again only after `shown` was false. Returns `[kept, release]`.
 */
export function useKept(shown: boolean): [boolean, () => void] {
  const [state, setState] = useState<'idle' | 'kept' | 'released'>(shown ? 'kept' : 'idle')
  if (shown && state === 'idle') setState('kept')
  if (!shown && state === 'released') setState('idle')
  return [state === 'kept' || (shown && state === 'idle'), () => setState('released')]
}
