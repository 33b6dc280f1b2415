import { expect, test } from 'vitest'
import { firstView, phaseNews, shownView, tabsOf, viewsOf } from './taskViews'

test('the views grow with the task', () => {
  expect(viewsOf('spec_review')).toEqual(['spec'])
  expect(viewsOf('implementation')).toEqual(['sessions', 'spec'])
  expect(viewsOf('implementation_review')).toEqual(['sessions', 'spec', 'review'])
})

test('a phase change does not switch the view the page shows', () => {
  const opened = firstView('implementation')
  expect(opened).toBe('sessions')
  expect(shownView('implementation_review', null, opened)).toBe('sessions')
  expect(phaseNews('implementation_review')).toEqual({ view: 'review', text: 'Implementation review is ready' })
})

test('the view in the URL wins when the task has it, else the one the page opened on', () => {
  expect(shownView('implementation_review', 'spec', 'review')).toBe('spec')
  expect(shownView('spec_review', 'review', 'spec')).toBe('spec')
  expect(shownView('spec_review', null, 'sessions')).toBe('spec')
})

test('a view shown stays when the task moves to a status without it', () => {
  // Changes requested elsewhere: the implementation review goes back to implementation.
  expect(shownView('implementation', 'review', 'review', 'review')).toBe('review')
  expect(tabsOf('implementation', 'review')).toEqual(['sessions', 'spec', 'review'])
  // Rejected elsewhere: the sessions view stays beside the spec.
  expect(shownView('cancelled', null, 'sessions', 'sessions')).toBe('sessions')
  expect(tabsOf('cancelled', 'sessions')).toEqual(['sessions', 'spec'])
  // A view asked for that was never shown falls back as before.
  expect(shownView('implementation', 'review', 'sessions', 'sessions')).toBe('sessions')
  expect(tabsOf('implementation', 'sessions')).toEqual(['sessions', 'spec'])
})
