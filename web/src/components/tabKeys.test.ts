// @vitest-environment jsdom
import { expect, test } from 'vitest'
import type { KeyboardEvent } from 'react'
import { onTabListKey } from './tabKeys'

function tablist(): { list: HTMLElement; tabs: HTMLButtonElement[]; chosen: string[] } {
  const list = document.createElement('div')
  list.setAttribute('role', 'tablist')
  const chosen: string[] = []
  const tabs = ['a', 'b', 'c'].map((name) => {
    const b = document.createElement('button')
    b.setAttribute('role', 'tab')
    b.textContent = name
    b.addEventListener('click', () => chosen.push(name))
    list.append(b)
    return b
  })
  document.body.replaceChildren(list)
  return { list, tabs, chosen }
}

function press(list: HTMLElement, key: string): boolean {
  let prevented = false
  onTabListKey({ key, currentTarget: list, preventDefault: () => (prevented = true) } as unknown as KeyboardEvent<HTMLElement>)
  return prevented
}

test('arrows move to the next and previous tab, wrapping, and choose it', () => {
  const { list, tabs, chosen } = tablist()
  tabs[0].focus()
  expect(press(list, 'ArrowRight')).toBe(true)
  expect(document.activeElement).toBe(tabs[1])
  press(list, 'ArrowLeft')
  press(list, 'ArrowLeft')
  expect(document.activeElement).toBe(tabs[2])
  press(list, 'Home')
  press(list, 'End')
  expect(chosen).toEqual(['b', 'a', 'c', 'a', 'c'])
})

test('other keys are left alone', () => {
  const { list, tabs, chosen } = tablist()
  tabs[0].focus()
  expect(press(list, 'Enter')).toBe(false)
  expect(chosen).toEqual([])
})
