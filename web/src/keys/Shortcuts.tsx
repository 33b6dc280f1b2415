/**
 * The dashboard's global keys (see shortcuts.ts): Ctrl/⌘ K opens the command palette, `?` the list
 * of shortcuts, `n` the next thing that needs the person, `i` or `g i` the inbox, `g b` the board
 * and `g f` the fleet. Mounted once, in the header.
 */
import { lazy, Suspense, useEffect, useRef, useState } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { nextItem } from '../attention/attention'
import { useAttention } from '../attention/useAttention'
import { useModal } from '../components/useModal'
import { readPress, SHORTCUTS, typing } from './shortcuts'

const CommandPalette = lazy(() => import('../palette/CommandPalette'))

/** How long after `g` its second key is waited for. */
const SEQUENCE_MS = 1200

export function Shortcuts() {
  const attention = useAttention()
  const navigate = useNavigate()
  const { pathname } = useLocation()
  const [palette, setPalette] = useState(false)
  const [help, setHelp] = useState(false)
  const afterG = useRef(0)
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const inDialog = !!document.querySelector('dialog[open]')
      const sequence = Date.now() - afterG.current < SEQUENCE_MS
      afterG.current = 0
      const action = readPress(e, sequence, typing(e.target))
      if (!action || (inDialog && action !== 'palette')) return
      if (action === 'palette' && inDialog && !palette) return
      e.preventDefault()
      switch (action) {
        case 'g':
          afterG.current = Date.now()
          return
        case 'palette':
          setPalette((open) => !open)
          return
        case 'help':
          setHelp(true)
          return
        case 'inbox':
          void navigate('/inbox')
          return
        case 'board':
          void navigate('/')
          return
        case 'fleet':
          void navigate('/fleet')
          return
        case 'next': {
          const next = nextItem(attention.data, pathname)
          if (next) void navigate(next.path)
          return
        }
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [attention.data, navigate, pathname, palette])
  return (
    <>
      <button
        type="button"
        className="palette-open small"
        aria-keyshortcuts="Control+K Meta+K"
        onClick={() => setPalette(true)}
        title="Command palette (Ctrl K or ⌘ K)"
      >
        Search or run…
        <span className="kbd" aria-hidden="true">
          Ctrl K
        </span>
      </button>
      {palette && (
        <Suspense fallback={null}>
          <CommandPalette onClose={() => setPalette(false)} onHelp={() => setHelp(true)} />
        </Suspense>
      )}
      {help && <ShortcutsHelp onClose={() => setHelp(false)} />}
    </>
  )
}

/** The "?" dialog: every shortcut, by where it works. */
function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  const ref = useModal(onClose)
  const wheres = [...new Set(SHORTCUTS.map((s) => s.where))]
  return (
    <dialog ref={ref} className="dialog shortcuts-dialog" aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      {wheres.map((where) => (
        <section key={where} aria-label={where}>
          <h3>{where}</h3>
          <dl className="shortcuts">
            {SHORTCUTS.filter((s) => s.where === where).map((s) => (
              <div key={`${s.keys.join()}:${s.does}`}>
                <dt>
                  {s.keys.map((k, i) => (
                    <span key={k}>
                      {i > 0 && <span className="muted"> or </span>}
                      {k.split(' ').map((part, j) => (
                        <kbd key={j} className="kbd">
                          {part}
                        </kbd>
                      ))}
                    </span>
                  ))}
                </dt>
                <dd>{s.does}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
      <div className="actions">
        <button type="button" autoFocus onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
    </dialog>
  )
}
