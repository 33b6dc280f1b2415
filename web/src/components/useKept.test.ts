// @vitest-environment jsdom
import { act, createElement } from 'react'
import { createRoot } from 'react-dom/client'
import { expect, test } from 'vitest'
import { useKept } from './useKept'

// React's act() warns unless the environment says it is a test.
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

/** A component holding `useKept`, rendered with the props given, and what the hook returned last. */
function probe() {
  let last: [boolean, () => void] = [false, () => {}]
  function Probe(props: { shown: boolean; subject?: number }) {
    last = useKept(props.shown, props.subject)
    return null
  }
  const root = createRoot(document.createElement('div'))
  return {
    render: (shown: boolean, subject?: number) => act(() => root.render(createElement(Probe, { shown, subject }))),
    release: () => act(() => last[1]()),
    kept: () => last[0],
  }
}

test('a form stays while the state moves on, until it is released', () => {
  const p = probe()
  p.render(true, 1)
  expect(p.kept()).toBe(true)
  p.render(false, 1)
  expect(p.kept()).toBe(true)
  p.release()
  expect(p.kept()).toBe(false)
})

test('released, a form comes back after its state was seen false', () => {
  const p = probe()
  p.render(true)
  p.release()
  p.render(true)
  expect(p.kept()).toBe(false)
  p.render(false)
  expect(p.kept()).toBe(false)
  p.render(true)
  expect(p.kept()).toBe(true)
})

test('released for one subject, a form comes back for the next though its state never went false', () => {
  const p = probe()
  p.render(true, 1)
  p.release()
  p.render(true, 1)
  expect(p.kept()).toBe(false)
  // A new spec version under review: the page never saw the task leave the review.
  p.render(true, 2)
  expect(p.kept()).toBe(true)
})
