// The command palette's commands and how a query picks them. A screen registers what it offers
// (useCommands.ts); the palette adds the places to go. Pure, tested on its own.

/** The palette's sections, in the order it shows them. */
export const GROUPS = ['This page', 'Go to', 'Tasks', 'Help'] as const
export type Group = (typeof GROUPS)[number]

export interface Command {
  /** Unique among the commands shown together. */
  id: string
  title: string
  group: Group
  /** More words the query may match (a task's id, its repository). */
  keywords?: string
  /** The keys that do the same outside the palette, shown beside it (`g i`). */
  shortcut?: string
  /** A dangerous action: shown in the danger tone (it asks for a confirmation before acting). */
  danger?: boolean
  run: () => void
}

/** Words of a text, lowercase. */
function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)
}

/**
 * How well `command` matches `query` (higher is better), or `undefined` when some word of the query
 * is in neither its title nor its keywords. A title starting with the query ranks first, then titles
 * whose words start with the query's words, then any match.
 */
export function score(command: Pick<Command, 'title' | 'keywords' | 'group'>, query: string): number | undefined {
  const q = query.trim().toLowerCase()
  if (!q) return 0
  const title = command.title.toLowerCase()
  const haystack = `${title} ${(command.keywords ?? '').toLowerCase()} ${command.group.toLowerCase()}`
  const queryWords = words(q)
  if (queryWords.length === 0) return haystack.includes(q) ? 1 : undefined
  if (!queryWords.every((w) => haystack.includes(w))) return undefined
  if (title.startsWith(q)) return 3
  const titleWords = words(title)
  if (queryWords.every((w) => titleWords.some((t) => t.startsWith(w)))) return 2
  return 1
}

/**
 * The commands matching `query`, best first, each group's order kept among equals; a dangerous
 * one after the others of its rank, so that Enter at once never starts with Reject or Cancel.
 */
export function filterCommands(commands: Command[], query: string): Command[] {
  const ranked = commands.flatMap((c, i) => {
    const s = score(c, query)
    return s === undefined ? [] : [{ c, s, i, d: c.danger ? 1 : 0 }]
  })
  if (query.trim()) ranked.sort((a, b) => b.s - a.s || a.d - b.d || a.i - b.i)
  else ranked.sort((a, b) => GROUPS.indexOf(a.c.group) - GROUPS.indexOf(b.c.group) || a.d - b.d || a.i - b.i)
  return ranked.map((r) => r.c)
}

/** Sections of `commands` as shown: consecutive commands of one group together. */
export function sections(commands: Command[]): { group: Group; commands: Command[] }[] {
  const out: { group: Group; commands: Command[] }[] = []
  for (const c of commands) {
    const last = out.at(-1)
    if (last?.group === c.group) last.commands.push(c)
    else out.push({ group: c.group, commands: [c] })
  }
  return out
}

/** The option `step` away from `at` among `count`, wrapping round (`at` -1: none chosen yet). */
export function moveActive(count: number, at: number, step: number): number {
  if (count === 0) return -1
  if (at < 0) return step > 0 ? 0 : count - 1
  return (((at + step) % count) + count) % count
}
