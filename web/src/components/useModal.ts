// Every modal dialog of the dashboard: the native <dialog> opened with showModal() (the page behind
// it inert, Escape closes it), Tab and Shift+Tab kept inside it (wrapping at its first and last
// control), and focus given back to the control that opened it once it is gone.
import { useEffect, useRef } from 'react'

/** What Tab can stop on, before the filter of `tabbable`. */
const FOCUSABLE = 'a[href], button, input, select, textarea, details > summary:first-of-type, [tabindex]:not([tabindex="-1"])'

/** The controls of `root` Tab stops on, in document order: enabled, shown, one radio per group. */
export function tabbable(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) =>
      !el.matches(':disabled') &&
      !(el instanceof HTMLInputElement && el.type === 'radio' && !el.checked && groupHasChecked(el)) &&
      (el.checkVisibility?.() ?? true),
  )
}

function groupHasChecked(radio: HTMLInputElement): boolean {
  const scope = radio.form ?? radio.ownerDocument
  return [...scope.querySelectorAll<HTMLInputElement>('input[type="radio"]')].some((r) => r.name === radio.name && r.checked)
}

/**
 * Where Tab (or Shift+Tab with `backwards`) goes from the control at `at` (-1: none of them) among
 * `count` controls when it must wrap; `undefined` when the browser's own move stays inside.
 */
export function wrapTo(count: number, at: number, backwards: boolean): number | undefined {
  if (count === 0) return undefined
  if (backwards) return at <= 0 ? count - 1 : undefined
  return at < 0 || at === count - 1 ? 0 : undefined
}

/** Keeps Tab inside `dialog`: put on its keydown. */
export function trapTab(dialog: HTMLElement, event: KeyboardEvent): void {
  if (event.key !== 'Tab') return
  const items = tabbable(dialog)
  const to = wrapTo(items.length, items.indexOf(document.activeElement as HTMLElement), event.shiftKey)
  if (to === undefined) return
  event.preventDefault()
  items[to].focus()
}

/**
 * Opens the returned ref's <dialog> as a modal while the component is mounted; `onClose` is called
 * when it closes (Escape, a `method="dialog"` form, `ref.current.close()`). On unmount the focus goes
 * back to the control focused when it opened, if that control is still on the page.
 */
export function useModal(onClose: () => void) {
  const ref = useRef<HTMLDialogElement>(null)
  const closed = useRef(onClose)
  useEffect(() => {
    closed.current = onClose
  })
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    const onKey = (e: KeyboardEvent) => trapTab(dialog, e)
    const onCloseEvent = () => closed.current()
    dialog.addEventListener('keydown', onKey)
    dialog.addEventListener('close', onCloseEvent)
    if (!dialog.open) dialog.showModal()
    return () => {
      dialog.removeEventListener('keydown', onKey)
      dialog.removeEventListener('close', onCloseEvent)
      if (dialog.open) dialog.close()
      if (opener?.isConnected) opener.focus()
    }
  }, [])
  return ref
}
