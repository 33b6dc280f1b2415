import { expect, test } from 'vitest'
import type { Schemas } from '../api/client'
import { placeApprovals } from './permissions'

function approval(id: string, title: string | null): Schemas['ApprovalDto'] {
  return {
    id,
    session_id: 'acp',
    work_session_id: 'w',
    spec_task_id: 't',
    node: 'local',
    requested_at: '2026-01-01T00:00:00Z',
    tool_call: { id: `call-${id}`, title, locations: [] },
    options: [],
  } as Schemas['ApprovalDto']
}

const entries = [
  { seq: 1, file: 'activity_log' as const, content: '- 10:00:00 permission asked: Run the tests\n' },
  { seq: 2, file: 'decisions' as const, content: '- permission for call-a: Allowed (by Person)\n' },
  { seq: 3, file: 'activity_log' as const, content: '- 10:01:00 permission asked: Run the tests\n' },
  { seq: 4, file: 'activity_log' as const, content: '- 10:02:00 permission asked: a tool call\n' },
]

test('a request goes under the newest line that asked it', () => {
  const { under, after } = placeApprovals(entries, [approval('b', 'Run the tests'), approval('c', null)])
  expect([...under.entries()].map(([seq, a]) => [seq, a.map((x) => x.id)])).toEqual([
    [3, ['b']],
    [4, ['c']],
  ])
  expect(after).toEqual([])
})

test('a request whose line is not recorded yet goes at the end', () => {
  const { under, after } = placeApprovals(entries.slice(0, 2), [approval('d', 'Write src/app.js')])
  expect(under.size).toBe(0)
  expect(after.map((a) => a.id)).toEqual(['d'])
})
