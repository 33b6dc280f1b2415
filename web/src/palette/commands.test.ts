import { expect, test } from 'vitest'
import { filterCommands, moveActive, score, sections, type Command } from './commands'

const cmd = (title: string, group: Command['group'] = 'Go to', keywords?: string): Command => ({
  id: title,
  title,
  group,
  keywords,
  run: () => undefined,
})

test('every word of the query must match the title or the keywords', () => {
  expect(score(cmd('Approve & merge', 'This page'), 'appr')).toBe(3)
  expect(score(cmd('Open the inbox'), 'inbox')).toBe(2)
  expect(score(cmd('Add JWT auth', 'Tasks', 'nodejs-todo t-12'), 'todo')).toBe(1)
  expect(score(cmd('Add JWT auth', 'Tasks', 'nodejs-todo'), 'jwt python')).toBeUndefined()
  expect(score(cmd('Board'), '')).toBe(0)
})

test('the best matches first; without a query, the groups in their order', () => {
  const list = [cmd('Board'), cmd('Add a board filter', 'Tasks'), cmd('Stop agent', 'This page'), cmd('Fleet')]
  expect(filterCommands(list, 'board').map((c) => c.title)).toEqual(['Board', 'Add a board filter'])
  expect(filterCommands(list, '').map((c) => c.title)).toEqual(['Stop agent', 'Board', 'Fleet', 'Add a board filter'])
  expect(sections(filterCommands(list, '')).map((s) => [s.group, s.commands.length])).toEqual([
    ['This page', 1],
    ['Go to', 2],
    ['Tasks', 1],
  ])
})

test('the arrows wrap round the options', () => {
  expect(moveActive(3, -1, 1)).toBe(0)
  expect(moveActive(3, -1, -1)).toBe(2)
  expect(moveActive(3, 2, 1)).toBe(0)
  expect(moveActive(3, 0, -1)).toBe(2)
  expect(moveActive(0, 0, 1)).toBe(-1)
})

test('a dangerous action comes after the others of its group', () => {
  const cancel = { ...cmd('Cancel task…', 'This page'), danger: true }
  const approve = cmd('Approve & merge', 'This page')
  expect(filterCommands([cancel, approve], '').map((c) => c.title)).toEqual(['Approve & merge', 'Cancel task…'])
})
