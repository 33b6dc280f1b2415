// @vitest-environment jsdom
import { beforeEach, expect, test } from 'vitest'
import { hasDraft, readDraft, writeDraft } from './drafts'

beforeEach(() => localStorage.clear())

test('a written draft reads back until it is forgotten', () => {
  writeDraft('spawn:t:s', { name: 'Tests', description: 'cover it' })
  expect(hasDraft('spawn:t:s')).toBe(true)
  expect(readDraft('spawn:t:s', { name: '', description: '' })).toEqual({ name: 'Tests', description: 'cover it' })
  writeDraft('spawn:t:s', undefined)
  expect(hasDraft('spawn:t:s')).toBe(false)
  expect(readDraft('spawn:t:s', { name: '', description: '' })).toEqual({ name: '', description: '' })
})

test('a stored draft lacking a field keeps that field empty', () => {
  writeDraft('create', { prompt: 'Add login' })
  expect(readDraft('create', { prompt: '', priority: 'normal' })).toEqual({ prompt: 'Add login', priority: 'normal' })
})

test('an unreadable draft reads as empty', () => {
  localStorage.setItem('spectask:draft:create', '{not json')
  expect(readDraft('create', 'empty')).toBe('empty')
})

test('without storage a draft reads as empty and writing does nothing', () => {
  writeDraft('x', 'typed', null)
  expect(readDraft('x', '', null)).toBe('')
  expect(hasDraft('x', null)).toBe(false)
})
