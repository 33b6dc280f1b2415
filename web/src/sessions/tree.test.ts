import { describe, expect, it } from 'vitest'
import type { WorkSession } from '../api/client'
import { sessionTree } from './tree'

function session(id: string, name: string, extra: Partial<WorkSession> = {}): WorkSession {
  return {
    id,
    name,
    spec_task_id: 't',
    description: '',
    phase: 'implementation',
    status: 'running',
    state: { status: 'running' },
    priority: 'normal',
    created_at: '2026-01-01T00:00:00Z',
    ...extra,
  } as WorkSession
}

describe('sessionTree', () => {
  it('marks the threads opened from an editor, under the session they were opened from', () => {
    const rows = sessionTree([
      session('a', 'Backend API'),
      session('z', 'zed thread 1', { opened_from_editor: 'zed', parent_id: 'a', spawned_by_id: 'a' }),
      session('y', 'zed thread 2', { opened_from_editor: 'zed' }),
    ])
    expect(rows.map((r) => [r.session.name, r.depth, r.fromEditor])).toEqual([
      ['Backend API', 0, undefined],
      ['zed thread 1', 1, 'zed'],
      ['zed thread 2', 0, 'zed'],
    ])
  })

  it('puts children under their parent, depth first, spawned ones marked, blocked ones with what they wait on', () => {
    const rows = sessionTree([
      session('a', 'Database schema', { status: 'completed', state: { status: 'completed' } }),
      session('b', 'Backend API'),
      session('c', 'Security audit', { spawned_by_id: 'b' }),
      session('d', 'Testing', { status: 'blocked', state: { status: 'blocked', waiting_on: ['b', 'zzzzzzzzzz'] } }),
      session('e', 'Perf', { parent_id: 'b' }),
    ])
    expect(rows.map((r) => [r.session.name, r.depth, r.spawned])).toEqual([
      ['Database schema', 0, false],
      ['Backend API', 0, false],
      ['Security audit', 1, true],
      ['Perf', 1, false],
      ['Testing', 0, false],
    ])
    expect(rows[4].waitingOn).toEqual(['Backend API', 'zzzzzzzz'])
  })

  it('shows every session once even when parents form a cycle or are missing', () => {
    const rows = sessionTree([
      session('x', 'X', { parent_id: 'y' }),
      session('y', 'Y', { parent_id: 'x' }),
      session('z', 'Z', { parent_id: 'gone' }),
    ])
    expect(rows.map((r) => r.session.name).sort()).toEqual(['X', 'Y', 'Z'])
  })
})
