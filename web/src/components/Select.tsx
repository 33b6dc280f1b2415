/**
 * The component layer's selects, in place of the native ones (which look and behave differently in
 * each browser and cannot be styled open). `Select` is the WAI-ARIA select-only combobox: a button
 * with role `combobox` that opens a `listbox` below it; the focus stays on the button, the active
 * option named by `aria-activedescendant`. The arrows, Home, End and the page keys move, letters
 * typed pick by the start of a label, Enter or Space chooses, Escape or Tab closes. `MultiSelect`
 * is a listbox that is always open (`aria-multiselectable`): the arrows move, Space or Enter turns
 * an option on or off.
 */
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import { Check, ChevronDown } from 'lucide-react'
import { moveIn, printable, typeAhead } from './listKeys'

export interface Option {
  value: string
  label: string
}

/** How long letters typed count as one word for type-ahead. */
const TYPED_MS = 700

/** Letters typed in quick succession: `typed(key)` gives the word so far. */
function useTyped() {
  const word = useRef({ text: '', at: 0 })
  return (key: string) => {
    const now = Date.now()
    word.current = { text: now - word.current.at < TYPED_MS ? word.current.text + key : key, at: now }
    return word.current.text
  }
}

export function Select(props: {
  label: ReactNode
  value: string
  options: Option[]
  onChange: (value: string) => void
  /** Shown beside the label, on one line (the board's filters), rather than above it. */
  inline?: boolean
  id?: string
  describedBy?: string
  disabled?: boolean
  className?: string
}) {
  const { options, value, onChange } = props
  const own = useId()
  const id = props.id ?? `${own}-select`
  const labelId = `${id}-label`
  const listId = `${id}-list`
  const chosen = options.findIndex((o) => o.value === value)
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(chosen)
  const typed = useTyped()
  const root = useRef<HTMLDivElement>(null)
  const optionId = (i: number) => `${id}-option-${i}`

  // The active option in view: once the list opens, and as the keys move it.
  useEffect(() => {
    if (open) document.getElementById(`${id}-option-${active}`)?.scrollIntoView({ block: 'nearest' })
  }, [open, active, id])
  useEffect(() => {
    if (!open) return
    const outside = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('pointerdown', outside)
    return () => document.removeEventListener('pointerdown', outside)
  }, [open])

  const show = (at: number) => {
    setActive(at)
    setOpen(true)
  }
  const choose = (at: number) => {
    const option = options[at]
    setOpen(false)
    if (option && option.value !== value) onChange(option.value)
  }
  const onKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (props.disabled) return
    if (!open) {
      if (['ArrowDown', 'ArrowUp', 'Enter', ' '].includes(e.key)) {
        e.preventDefault()
        show(chosen < 0 ? 0 : chosen)
      } else if (e.key === 'Home' || e.key === 'End') {
        e.preventDefault()
        show(e.key === 'Home' ? 0 : options.length - 1)
      } else if (printable(e)) {
        const at = typeAhead(options.map((o) => o.label), typed(e.key), chosen)
        if (at !== undefined) show(at)
      }
      return
    }
    const moved = moveIn(e.key, active, options.length)
    if (moved !== undefined) {
      e.preventDefault()
      setActive(moved)
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault()
      choose(active)
    } else if (e.key === 'Escape') {
      // Closes the list only: a dialog around it stays open.
      e.preventDefault()
      e.stopPropagation()
      setOpen(false)
    } else if (e.key === 'Tab') {
      setOpen(false)
    } else if (printable(e)) {
      const at = typeAhead(options.map((o) => o.label), typed(e.key), active)
      if (at !== undefined) setActive(at)
    }
  }
  return (
    <div className={`select${props.inline ? ' inline' : ''} ${props.className ?? ''}`} ref={root}>
      <span className="select-label" id={labelId} onClick={() => !props.disabled && document.getElementById(id)?.focus()}>
        {props.label}
      </span>
      <button
        type="button"
        id={id}
        role="combobox"
        className="select-trigger"
        aria-haspopup="listbox"
        aria-expanded={open}
        aria-controls={listId}
        aria-labelledby={labelId}
        aria-describedby={props.describedBy}
        aria-activedescendant={open && active >= 0 ? optionId(active) : undefined}
        data-value={value}
        disabled={props.disabled}
        onClick={() => (open ? setOpen(false) : show(chosen < 0 ? 0 : chosen))}
        onKeyDown={onKey}
        onBlur={() => setOpen(false)}
      >
        <span className="truncate">{options[chosen]?.label ?? ''}</span>
        <ChevronDown className="icon" size={14} aria-hidden="true" />
      </button>
      <ul role="listbox" id={listId} aria-labelledby={labelId} className="select-list" hidden={!open} tabIndex={-1}>
        {options.map((o, i) => (
            <li
              key={o.value}
              id={optionId(i)}
              role="option"
              aria-selected={i === chosen}
              data-value={o.value}
              className={i === active ? 'active' : undefined}
              // Keeps the focus on the button, so that its blur does not close the list first.
              onPointerDown={(e) => e.preventDefault()}
              onPointerMove={() => i !== active && setActive(i)}
              onClick={() => choose(i)}
            >
              <Check className="icon" size={14} aria-hidden="true" />
              <span className="truncate" title={o.label}>
                {o.label}
              </span>
            </li>
        ))}
      </ul>
    </div>
  )
}

export function MultiSelect(props: {
  label: ReactNode
  values: string[]
  options: Option[]
  onChange: (values: string[]) => void
  describedBy?: string
}) {
  const { options, values, onChange } = props
  const id = useId()
  const [active, setActive] = useState(-1)
  const typed = useTyped()
  const optionId = (i: number) => `${id}-option-${i}`
  const at = active >= options.length ? options.length - 1 : active
  // A click's focus picks no option (the list must not scroll under the pointer); Tab's picks the first.
  const pointer = useRef(false)
  useEffect(() => {
    if (at >= 0) document.getElementById(`${id}-option-${at}`)?.scrollIntoView({ block: 'nearest' })
  }, [at, id])
  const toggle = (i: number) => {
    const option = options[i]
    if (!option) return
    onChange(values.includes(option.value) ? values.filter((v) => v !== option.value) : [...values, option.value])
  }
  const onKey = (e: KeyboardEvent<HTMLUListElement>) => {
    const moved = moveIn(e.key, at, options.length)
    if (moved !== undefined) {
      e.preventDefault()
      setActive(moved)
    } else if ((e.key === ' ' || e.key === 'Enter') && at >= 0) {
      e.preventDefault()
      toggle(at)
    } else if (printable(e)) {
      const found = typeAhead(options.map((o) => o.label), typed(e.key), at)
      if (found !== undefined) setActive(found)
    }
  }
  return (
    <div className="multi-select">
      <span className="select-label" id={`${id}-label`}>
        {props.label}
      </span>
      <ul
        role="listbox"
        aria-multiselectable="true"
        aria-labelledby={`${id}-label`}
        aria-describedby={props.describedBy}
        aria-activedescendant={at >= 0 ? optionId(at) : undefined}
        tabIndex={0}
        className="multi-list"
        onKeyDown={onKey}
        onPointerDown={() => (pointer.current = true)}
        onPointerUp={() => (pointer.current = false)}
        onFocus={() => {
          if (!pointer.current && at < 0 && options.length > 0) setActive(0)
          pointer.current = false
        }}
      >
        {options.map((o, i) => (
          <li
            key={o.value}
            id={optionId(i)}
            role="option"
            aria-selected={values.includes(o.value)}
            data-value={o.value}
            className={i === at ? 'active' : undefined}
            onClick={() => {
              setActive(i)
              toggle(i)
            }}
          >
            <span className="multi-box" aria-hidden="true">
              <Check className="icon" size={12} />
            </span>
            <span className="truncate" title={o.label}>
              {o.label}
            </span>
          </li>
        ))}
      </ul>
      {values.length > 0 && (
        <p className="hint multi-count" aria-live="polite">
          {values.length} chosen
        </p>
      )}
    </div>
  )
}
