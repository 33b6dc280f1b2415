// `j` and `k` move the focus through a list's links (the board's cards, the inbox's items); the
// arrows do too once the focus is in the list. Enter opens the focused link, as any link does.
import { useEffect, type RefObject } from 'react'
import { typing } from './shortcuts'

export function useListKeys(list: RefObject<HTMLElement | null>, selector: string, arrows = true) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target) || document.querySelector('dialog[open]')) return
      const root = list.current
      const links = [...(root?.querySelectorAll<HTMLElement>(selector) ?? [])]
      if (!root || links.length === 0) return
      const inList = root.contains(document.activeElement)
      const down = e.key === 'j' || (arrows && inList && e.key === 'ArrowDown')
      const up = e.key === 'k' || (arrows && inList && e.key === 'ArrowUp')
      if (!down && !up) return
      e.preventDefault()
      const at = links.findIndex((a) => a === document.activeElement || a.contains(document.activeElement))
      const next = at < 0 ? (down ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + (down ? 1 : -1)))
      const link = links[next]
      link?.focus()
      link?.scrollIntoView({ block: 'nearest' })
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [list, selector, arrows])
}
