import { expect, test } from 'vitest'
import { NO_REVIEW, closeForm, commentOn, draftedVersion, openForm, removeComment, saveForm, typeInForm } from './lineComments'

test('one form at a time, prefilled with the comment of its line', () => {
  let d = saveForm(typeInForm(openForm(NO_REVIEW, 'requirements', 3), 'Name the lifetime.'))
  expect(commentOn(d, 'requirements', 3)).toBe('Name the lifetime.')
  d = openForm(d, 'requirements', 3)
  expect(d.form).toEqual({ document: 'requirements', line: 3, text: 'Name the lifetime.' })
  d = saveForm(typeInForm(d, 'Name the token lifetime.'))
  expect(d.comments).toEqual([{ document: 'requirements', line: 3, comment: 'Name the token lifetime.' }])
})

test('opening a form on another line keeps what was typed in the open one', () => {
  let d = typeInForm(openForm(NO_REVIEW, 'design', 1), 'Why two stores?')
  d = openForm(d, 'design', 5)
  expect(d.form).toEqual({ document: 'design', line: 5, text: '' })
  expect(commentOn(d, 'design', 1)).toBe('Why two stores?')
})

test('a comment is removed, by Remove or by saving it empty; closing drops unsaved text', () => {
  let d = saveForm(typeInForm(openForm(NO_REVIEW, 'tasks', 2), 'Split it.'))
  expect(removeComment(d, 'tasks', 2).comments).toEqual([])
  expect(saveForm(typeInForm(openForm(d, 'tasks', 2), '  ')).comments).toEqual([])
  d = closeForm(typeInForm(openForm(d, 'tasks', 2), 'Split it in three.'))
  expect(commentOn(d, 'tasks', 2)).toBe('Split it.')
  expect(d.form).toBeUndefined()
})

test('a review begun on an older version keeps that version shown until it is sent or discarded', () => {
  expect(draftedVersion(2, (v) => v === 1)).toBe(1)
  expect(draftedVersion(2, (v) => v === 1 || v === 2)).toBe(2)
  expect(draftedVersion(2, () => false)).toBeUndefined()
  expect(draftedVersion(0, () => true)).toBeUndefined()
})
