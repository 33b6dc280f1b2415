import { expect, test } from 'vitest'
import type { Schemas } from '../api/client'
import { fileTree, readLayout, splitRows, treeOrder } from './diffLayout'

const file = (path: string, additions = 1, deletions = 0): Schemas['FileDiffDto'] => ({
  path,
  additions,
  deletions,
  binary: false,
  change: 'modified',
  hunks: [],
  truncated: false,
})
const line = (kind: 'context' | 'added' | 'removed', text: string): Schemas['DiffLineDto'] => ({ kind, text })

test('the files as a tree: folders first, a lone folder chain as one, counts summed', () => {
  const tree = fileTree([file('src/auth/tokens.js', 5, 1), file('README.md', 2, 0), file('src/auth/routes.js', 3, 2), file('src/app.js')])
  expect(tree.map((n) => n.name)).toEqual(['src', 'README.md'])
  const src = tree[0]
  if (src?.kind !== 'dir') throw new Error('src is a folder')
  expect([src.additions, src.deletions]).toEqual([9, 3])
  expect(src.children.map((n) => n.name)).toEqual(['auth', 'app.js'])
  expect(treeOrder(tree)).toEqual([2, 0, 3, 1])
  const deep = fileTree([file('a/b/c/d.ts'), file('a/b/c/e.ts')])
  expect(deep.map((n) => n.name)).toEqual(['a/b/c'])
})

test('split rows pair removed runs with the added runs after them', () => {
  const rows = splitRows([line('context', 'a'), line('removed', 'b'), line('removed', 'c'), line('added', 'B'), line('context', 'd'), line('added', 'e')])
  expect(rows.map((r) => [r.left?.text, r.right?.text])).toEqual([
    ['a', 'a'],
    ['b', 'B'],
    ['c', undefined],
    ['d', 'd'],
    [undefined, 'e'],
  ])
})

test('the layout read back: split only when kept so', () => {
  expect(readLayout({ getItem: () => 'split' })).toBe('split')
  expect(readLayout({ getItem: () => null })).toBe('unified')
  expect(readLayout(null)).toBe('unified')
  expect(readLayout({ getItem: () => { throw new Error('denied') } })).toBe('unified')
})
