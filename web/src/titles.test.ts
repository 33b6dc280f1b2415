import { expect, test } from 'vitest'
import { shownTitle } from './titles'

test('a title cut from a longer first line ends with an ellipsis', () => {
  const prompt = `${'word '.repeat(20)}end\n\nmore`
  expect(shownTitle({ title: 'word '.repeat(14).trim(), prompt })).toBe(`${'word '.repeat(14).trim()}…`)
  expect(shownTitle({ title: 'x'.repeat(72), prompt: 'x'.repeat(150) })).toBe(`${'x'.repeat(72)}…`)
})

test('a whole first line, or a title a person chose, is shown as it is', () => {
  expect(shownTitle({ title: 'Add JWT auth', prompt: '\n  Add JWT auth  \nmore' })).toBe('Add JWT auth')
  expect(shownTitle({ title: 'XSS fixture', prompt: 'Something else entirely, and long' })).toBe('XSS fixture')
})
