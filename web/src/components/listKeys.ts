// How a listbox (the Select and MultiSelect components) reads a key: where the arrows, Home, End
// and the page keys move the active option, and which option typed letters pick (type-ahead, as
// a native select does). Pure, tested on its own.

/** The active option after `key` among `count` (`at` -1: none yet), or `undefined` for another key. */
export function moveIn(key: string, at: number, count: number): number | undefined {
  if (count === 0) return undefined
  const last = count - 1
  switch (key) {
    case 'ArrowDown':
      return at < 0 ? 0 : Math.min(last, at + 1)
    case 'ArrowUp':
      return at < 0 ? last : Math.max(0, at - 1)
    case 'Home':
      return 0
    case 'End':
      return last
    case 'PageDown':
      return Math.min(last, Math.max(0, at) + 10)
    case 'PageUp':
      return Math.max(0, at - 10)
    default:
      return undefined
  }
}

/**
 * The option `typed` (the letters typed in quick succession) picks: the first after `at` whose
 * label starts with it, wrapping round; one letter typed again cycles through the options starting
 * with it. `undefined` when none does.
 */
export function typeAhead(labels: string[], typed: string, at: number): number | undefined {
  const text = typed.toLowerCase()
  if (!text) return undefined
  const same = [...text].every((c) => c === text[0])
  const prefix = same ? text[0] ?? '' : text
  const from = same || at < 0 ? at + 1 : at
  for (let i = 0; i < labels.length; i++) {
    const j = (from + i) % labels.length
    if (labels[j]?.toLowerCase().startsWith(prefix)) return j
  }
  return undefined
}

/** Whether `key` is a letter, digit or sign typed for type-ahead. */
export function printable(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): boolean {
  return e.key.length === 1 && e.key !== ' ' && !e.ctrlKey && !e.metaKey && !e.altKey
}
