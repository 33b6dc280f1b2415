// The keyboard of a tab list (WAI-ARIA tabs, activation follows focus): ArrowLeft/ArrowUp and
// ArrowRight/ArrowDown move to the previous and next tab (wrapping), Home and End to the first and
// last; the tab moved to is focused and chosen.
import type { KeyboardEvent } from 'react'

const STEP: Record<string, (at: number, count: number) => number> = {
  ArrowRight: (at, n) => (at + 1) % n,
  ArrowDown: (at, n) => (at + 1) % n,
  ArrowLeft: (at, n) => (at - 1 + n) % n,
  ArrowUp: (at, n) => (at - 1 + n) % n,
  Home: () => 0,
  End: (_, n) => n - 1,
}

/** Put on the element with `role="tablist"` as its `onKeyDown`. */
export function onTabListKey(event: KeyboardEvent<HTMLElement>): void {
  const step = STEP[event.key]
  if (!step) return
  const tabs = [...event.currentTarget.querySelectorAll<HTMLElement>('[role="tab"]:not([disabled])')]
  const at = tabs.indexOf(document.activeElement as HTMLElement)
  if (tabs.length === 0 || at < 0) return
  event.preventDefault()
  const next = tabs[step(at, tabs.length)]
  next.focus()
  next.click()
}
