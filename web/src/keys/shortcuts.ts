// The dashboard's keyboard shortcuts: what each key (or two-key sequence, `g` then a letter) does,
// the list the "?" help shows, and how a key press is read. Pure, tested on its own.

export type GlobalAction = 'palette' | 'help' | 'next' | 'inbox' | 'board' | 'fleet'

/** Every shortcut, as the help lists them. */
export const SHORTCUTS: { keys: string[]; does: string; where: 'Anywhere' | 'In lists' | 'In the palette' }[] = [
  { keys: ['Ctrl K', '⌘ K'], does: 'Open the command palette', where: 'Anywhere' },
  { keys: ['?'], does: 'Show these shortcuts', where: 'Anywhere' },
  { keys: ['n'], does: 'Open the next thing that needs you', where: 'Anywhere' },
  { keys: ['g i', 'i'], does: 'Go to Needs you', where: 'Anywhere' },
  { keys: ['g b'], does: 'Go to the board', where: 'Anywhere' },
  { keys: ['g f'], does: 'Go to the fleet', where: 'Anywhere' },
  { keys: ['j', 'k'], does: 'Move to the next or previous task or item', where: 'In lists' },
  { keys: ['Enter'], does: 'Open the task or item', where: 'In lists' },
  { keys: ['↑', '↓'], does: 'Choose a command', where: 'In the palette' },
  { keys: ['Enter'], does: 'Run it', where: 'In the palette' },
  { keys: ['Esc'], does: 'Close the palette', where: 'In the palette' },
]

/** The second keys after `g`. */
const GO: Record<string, GlobalAction> = { i: 'inbox', b: 'board', f: 'fleet' }

export interface Press {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
}

/**
 * What a key press does, given whether `g` came just before it (`afterG`): an action, `'g'` (the
 * start of a sequence), or nothing. The palette's Ctrl/⌘ K works even while typing (`typing`); the
 * others only outside fields.
 */
export function readPress(press: Press, afterG: boolean, typing: boolean): GlobalAction | 'g' | undefined {
  const mod = press.ctrlKey || press.metaKey
  if (mod && !press.altKey && press.key.toLowerCase() === 'k') return 'palette'
  if (mod || press.altKey || typing) return undefined
  if (afterG) return GO[press.key]
  switch (press.key) {
    case 'g':
      return 'g'
    case '?':
      return 'help'
    case 'n':
      return 'next'
    case 'i':
      return 'inbox'
    default:
      return undefined
  }
}

/** Whether a key press goes to a field being typed in. */
export function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
}
