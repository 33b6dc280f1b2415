import { expect, test } from 'vitest'
import { readPress } from './shortcuts'

const press = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
})

test('Ctrl or ⌘ K opens the palette, even from a field', () => {
  expect(readPress(press('k', { ctrlKey: true }), false, true)).toBe('palette')
  expect(readPress(press('K', { metaKey: true }), false, false)).toBe('palette')
  expect(readPress(press('k', { ctrlKey: true, altKey: true }), false, false)).toBeUndefined()
})

test('g starts a sequence; its second key goes somewhere', () => {
  expect(readPress(press('g'), false, false)).toBe('g')
  expect(readPress(press('i'), true, false)).toBe('inbox')
  expect(readPress(press('b'), true, false)).toBe('board')
  expect(readPress(press('f'), true, false)).toBe('fleet')
  expect(readPress(press('x'), true, false)).toBeUndefined()
})

test('single keys act outside fields only', () => {
  expect(readPress(press('?'), false, false)).toBe('help')
  expect(readPress(press('n'), false, false)).toBe('next')
  expect(readPress(press('i'), false, false)).toBe('inbox')
  expect(readPress(press('n'), false, true)).toBeUndefined()
  expect(readPress(press('n', { ctrlKey: true }), false, false)).toBeUndefined()
})
