import { expect, test } from 'vitest'
import { arrived, firstOf, itemKey, nextItem, ofSession, ofTask, titleWith, type AttentionItem, type AttentionList } from './attention'

function item(over: Partial<AttentionItem>): AttentionItem {
  return {
    kind: 'permission',
    label: 'Waiting for you',
    needs_you: true,
    spec_task_id: 't1',
    task_short_id: 't1',
    task_title: 'T1',
    work_session_id: null,
    session_name: null,
    text: 'x',
    action: 'y',
    since: '2025-01-01T00:00:00Z',
    path: '/tasks/t1',
    budget: null,
    held_by: [],
    approval_id: null,
    ...over,
  }
}

const asking = item({ work_session_id: 's1', path: '/sessions/s1', approval_id: 'a1' })
const review = item({ kind: 'spec_review', spec_task_id: 't2', path: '/tasks/t2' })
const held = item({ kind: 'held', needs_you: false, label: 'Held', spec_task_id: 't3', path: '/tasks/t3' })
const list: AttentionList = { needs_you: 2, items: [asking, review, held] }

test('items are found by their task and session', () => {
  expect(ofTask(list, 't1')).toEqual([asking])
  expect(ofSession(list, 's1')).toEqual([asking])
  expect(ofTask(undefined, 't1')).toEqual([])
  expect(firstOf([held, review])).toBe(review)
  expect(firstOf([held])).toBe(held)
})

test('n goes to the next item that needs you, wrapping round, never to a hold that goes on by itself', () => {
  expect(nextItem(list, '/')).toBe(asking)
  expect(nextItem(list, '/sessions/s1')).toBe(review)
  expect(nextItem(list, '/tasks/t2')).toBe(asking)
  expect(nextItem({ needs_you: 0, items: [held] }, '/')).toBeUndefined()
})

test('the tab title counts what needs you', () => {
  expect(titleWith(0)).toBe('spectask')
  expect(titleWith(3)).toBe('(3) spectask')
})

test('only what newly needs you is told', () => {
  const seen = new Set([itemKey(asking)])
  expect(arrived(list, seen)).toEqual([review])
})
