// @vitest-environment jsdom
import { expect, test } from 'vitest'
import { trapTab, wrapTo } from './useModal'

test('Tab wraps from the last control to the first, Shift+Tab from the first to the last', () => {
  expect(wrapTo(3, 2, false)).toBe(0)
  expect(wrapTo(3, 0, true)).toBe(2)
  expect(wrapTo(3, 1, false)).toBeUndefined()
  expect(wrapTo(3, 1, true)).toBeUndefined()
  expect(wrapTo(3, -1, false)).toBe(0)
  expect(wrapTo(3, -1, true)).toBe(2)
  expect(wrapTo(0, -1, false)).toBeUndefined()
})

function dialog(): HTMLElement {
  const d = document.createElement('div')
  d.innerHTML = `
    <textarea id="first"></textarea>
    <fieldset disabled><input id="off" /></fieldset>
    <input type="radio" name="p" id="low" /><input type="radio" name="p" id="normal" checked />
    <button id="cancel">Cancel</button>
    <button id="create" disabled>Create</button>`
  document.body.replaceChildren(d)
  return d
}

function tab(root: HTMLElement, shiftKey = false): boolean {
  const event = new KeyboardEvent('keydown', { key: 'Tab', shiftKey, cancelable: true })
  trapTab(root, event)
  return event.defaultPrevented
}

test('the trap skips disabled controls and unchecked radios of a checked group', () => {
  const d = dialog()
  d.querySelector<HTMLElement>('#cancel')?.focus()
  expect(tab(d)).toBe(true)
  expect(document.activeElement?.id).toBe('first')
  expect(tab(d, true)).toBe(true)
  expect(document.activeElement?.id).toBe('cancel')
  d.querySelector<HTMLElement>('#normal')?.focus()
  expect(tab(d)).toBe(false)
  expect(tab(d, true)).toBe(false)
})

test('other keys are left alone', () => {
  const d = dialog()
  const event = new KeyboardEvent('keydown', { key: 'Escape', cancelable: true })
  trapTab(d, event)
  expect(event.defaultPrevented).toBe(false)
})

test("a disclosure's summary is a stop: Tab from it moves on inside the dialog", () => {
  const d = document.createElement('div')
  d.innerHTML = `
    <textarea id="first"></textarea>
    <details><summary id="budget">Budget</summary><input id="tokens" /></details>
    <button id="cancel">Cancel</button>`
  document.body.replaceChildren(d)
  d.querySelector<HTMLElement>('#budget')?.focus()
  expect(tab(d)).toBe(false)
  expect(tab(d, true)).toBe(false)
})
