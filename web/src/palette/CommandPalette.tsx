/**
 * The command palette (Ctrl/⌘ K): the places to go (the board, the fleet, Needs you, each task by
 * its title) and what the page open now offers (approve, request changes, stop, resume…: the
 * handlers its buttons call, registered with useCommands). A combobox over a listbox: type to
 * filter, the arrows choose, Enter runs, Escape closes; the focus goes back where it was.
 */
import { useId, useMemo, useState, type KeyboardEvent } from 'react'
import { useNavigate } from 'react-router'
import { CornerDownLeft, Search } from 'lucide-react'
import { useSpecTasks } from '../api/queries'
import { needingYou } from '../attention/attention'
import { useAttention } from '../attention/useAttention'
import { useModal } from '../components/useModal'
import { shownTitle } from '../titles'
import { repoName } from '../screens/Board'
import { filterCommands, moveActive, sections, type Command } from './commands'
import { useRegisteredCommands } from './useCommands'

export default function CommandPalette({ onClose, onHelp }: { onClose: () => void; onHelp: () => void }) {
  const ref = useModal(onClose)
  const id = useId()
  const navigate = useNavigate()
  const tasks = useSpecTasks()
  const attention = useAttention()
  const registered = useRegisteredCommands()
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const waiting = needingYou(attention.data).length
  const all = useMemo<Command[]>(() => {
    const go = (path: string) => () => void navigate(path)
    return [
      ...registered,
      { id: 'go:board', title: 'Board', group: 'Go to', keywords: 'spectasks home', shortcut: 'g b', run: go('/') },
      { id: 'go:inbox', title: `Needs you (${waiting})`, group: 'Go to', keywords: 'inbox attention', shortcut: 'g i', run: go('/inbox') },
      { id: 'go:fleet', title: 'Fleet', group: 'Go to', keywords: 'agents running', shortcut: 'g f', run: go('/fleet') },
      ...(tasks.data?.items ?? []).map(
        (t): Command => ({
          id: `task:${t.id}`,
          title: shownTitle(t),
          group: 'Tasks',
          keywords: `${t.short_id} ${repoName(t.repository.path)} ${t.status.replace(/_/g, ' ')}`,
          run: go(`/tasks/${t.id}`),
        }),
      ),
      { id: 'help:keys', title: 'Keyboard shortcuts', group: 'Help', shortcut: '?', run: onHelp },
    ]
  }, [registered, tasks.data, waiting, navigate, onHelp])
  const shown = useMemo(() => filterCommands(all, query), [all, query])
  const at = shown.length === 0 ? -1 : Math.min(active, shown.length - 1)
  const optionId = (i: number) => `${id}-option-${i}`

  const run = (command: Command | undefined) => {
    if (!command) return
    ref.current?.close()
    // After the palette is gone and the focus is back on the page: a confirmation it opens takes it from there.
    setTimeout(command.run, 0)
  }
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    const step = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0
    if (step !== 0) {
      e.preventDefault()
      const next = moveActive(shown.length, at, step)
      setActive(next)
      document.getElementById(optionId(next))?.scrollIntoView({ block: 'nearest' })
    } else if (e.key === 'Home' && e.ctrlKey) {
      e.preventDefault()
      setActive(0)
    } else if (e.key === 'End' && e.ctrlKey) {
      e.preventDefault()
      setActive(shown.length - 1)
    } else if (e.key === 'Enter') {
      e.preventDefault()
      run(shown[at])
    }
  }
  let index = 0
  return (
    <dialog ref={ref} className="dialog palette" aria-label="Command palette">
      <div className="palette-search">
        <Search className="icon" size={16} aria-hidden="true" />
        <input
          type="text"
          role="combobox"
          aria-expanded="true"
          aria-controls={`${id}-list`}
          aria-autocomplete="list"
          aria-activedescendant={at >= 0 ? optionId(at) : undefined}
          aria-label="Search tasks and commands"
          placeholder="Search tasks, go to a page, or run an action…"
          autoFocus
          value={query}
          onChange={(e) => {
            setQuery(e.target.value)
            setActive(0)
          }}
          onKeyDown={onKey}
        />
      </div>
      <div className="palette-list" id={`${id}-list`} role="listbox" aria-label="Commands">
        {sections(shown).map((s) => (
          <div key={s.group} role="group" aria-labelledby={`${id}-${s.group}`}>
            <div className="palette-group" id={`${id}-${s.group}`} role="presentation">
              {s.group}
            </div>
            {s.commands.map((c) => {
              const i = index++
              return (
                <div
                  key={c.id}
                  id={optionId(i)}
                  role="option"
                  aria-selected={i === at}
                  className={`palette-option${c.danger ? ' danger' : ''}`}
                  onMouseMove={() => i !== at && setActive(i)}
                  onClick={() => run(c)}
                >
                  <span className="truncate">{c.title}</span>
                  {c.shortcut && (
                    <span className="palette-keys" aria-hidden="true">
                      {c.shortcut.split(' ').map((k, j) => (
                        <kbd key={j} className="kbd">
                          {k}
                        </kbd>
                      ))}
                    </span>
                  )}
                  {i === at && <CornerDownLeft className="icon palette-enter" size={14} aria-hidden="true" />}
                </div>
              )
            })}
          </div>
        ))}
        {shown.length === 0 && (
          <p className="hint palette-empty" role="status">
            Nothing matches “{query}”.
          </p>
        )}
      </div>
      <p className="palette-foot" aria-hidden="true">
        <kbd className="kbd">↑</kbd> <kbd className="kbd">↓</kbd> choose · <kbd className="kbd">Enter</kbd> run ·{' '}
        <kbd className="kbd">Esc</kbd> close
      </p>
    </dialog>
  )
}
