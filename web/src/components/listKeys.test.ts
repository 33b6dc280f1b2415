import { expect, test } from 'vitest'
import { moveIn, printable, typeAhead } from './listKeys'

test('the arrows, Home, End and the page keys move the active option, never past the ends', () => {
  expect(moveIn('ArrowDown', -1, 3)).toBe(0)
  expect(moveIn('ArrowDown', 2, 3)).toBe(2)
  expect(moveIn('ArrowUp', -1, 3)).toBe(2)
  expect(moveIn('ArrowUp', 0, 3)).toBe(0)
  expect(moveIn('Home', 2, 3)).toBe(0)
  expect(moveIn('End', 0, 3)).toBe(2)
  expect(moveIn('PageDown', 0, 30)).toBe(10)
  expect(moveIn('PageUp', 5, 30)).toBe(0)
  expect(moveIn('x', 0, 3)).toBeUndefined()
  expect(moveIn('ArrowDown', 0, 0)).toBeUndefined()
})

test('type-ahead picks by the start of a label, and one letter again cycles', () => {
  const labels = ['All', 'nodejs-todo', 'python-api', 'nodejs-chat']
  expect(typeAhead(labels, 'p', -1)).toBe(2)
  expect(typeAhead(labels, 'n', 0)).toBe(1)
  expect(typeAhead(labels, 'nn', 1)).toBe(3)
  expect(typeAhead(labels, 'nodejs-c', 1)).toBe(3)
  expect(typeAhead(labels, 'node', 1)).toBe(1)
  expect(typeAhead(labels, 'z', 0)).toBeUndefined()
  expect(printable({ key: 'a', ctrlKey: false, metaKey: false, altKey: false })).toBe(true)
  expect(printable({ key: 'ArrowDown', ctrlKey: false, metaKey: false, altKey: false })).toBe(false)
})
