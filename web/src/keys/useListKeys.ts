// `j` and `k` move the focus through a list's links (the board's cards, the inbox's items); the
// arrows do too once the focus is in the list. Enter opens the focused link, as any link does.
//
// The list is live: a card moves to another column when its task changes state, and React mounts
// it anew there. The focused link is kept across such a move, found again by its `href`, so that
// a person walking the board with the keys does not lose their place to an update.
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
  useKeptFocus(list, selector)
}

/**
 * Gives the focus back to a link of the list that React replaced while it had the focus (the same
 * `href`, wherever it now is). A link still in the page that lost the focus lost it to the person
 * (a click elsewhere), and is let go.
 */
function useKeptFocus(list: RefObject<HTMLElement | null>, selector: string) {
  useEffect(() => {
    const root = list.current
    if (!root) return
    let kept: HTMLElement | null = null
    const onFocusIn = (e: FocusEvent) => {
      const target = e.target
      kept = target instanceof HTMLElement && root.contains(target) && target.matches(selector) ? target : null
    }
    // A link that lost the focus and is still in the page lost it to the person.
    const onFocusOut = (e: FocusEvent) => {
      const left = e.target
      setTimeout(() => {
        if (kept !== null && left === kept && kept.isConnected && document.activeElement !== kept) kept = null
      })
    }
    const observer = new MutationObserver(() => {
      if (!kept || kept.isConnected) return
      const focus = document.activeElement
      if (focus && focus !== document.body) {
        kept = null
        return
      }
      const href = kept.getAttribute('href')
      const again = [...root.querySelectorAll<HTMLElement>(selector)].find((a) => a.getAttribute('href') === href)
      if (again) again.focus({ preventScroll: true })
      else kept = null
    })
    document.addEventListener('focusin', onFocusIn)
    document.addEventListener('focusout', onFocusOut)
    observer.observe(root, { childList: true, subtree: true })
    return () => {
      document.removeEventListener('focusin', onFocusIn)
      document.removeEventListener('focusout', onFocusOut)
      observer.disconnect()
    }
  }, [list, selector])
}
