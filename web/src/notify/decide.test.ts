import { describe, expect, it } from 'vitest'
import type { ApiEvent } from '../api/client'
import { noticeOf } from './decide'

// Payloads cut down to the fields the decision reads.
const event = (kind: ApiEvent['kind'], payload: unknown, task: string | null = 't1'): ApiEvent =>
  ({
    seq: 1,
    kind,
    payload,
    spec_task_id: task,
    at: '2026-01-01T00:00:00Z',
  }) as ApiEvent

describe('noticeOf', () => {
  it('tells each kind from its event', () => {
    const cases: [ApiEvent['kind'], unknown, string | null][] = [
      ['spec_task.transitioned', { to: 'spec_review' }, 'spec_ready'],
      ['spec_task.transitioned', { to: 'implementation_review' }, 'implementation_ready'],
      ['spec_task.transitioned', { to: 'failed' }, 'failed'],
      ['spec_task.transitioned', { to: 'implementation' }, null],
      ['work_session.transitioned', { to: 'failed' }, 'session_failed'],
      ['work_session.transitioned', { to: 'completed' }, null],
      ['work_session.permission', { decided: false, title: 'rm' }, 'permission_waiting'],
      ['work_session.permission', { decided: true }, null],
      ['work_session.check', { outcome: 'failed' }, 'check_failed'],
      ['work_session.check', { outcome: 'sent_back' }, null],
      ['spec_task.budget', { level: 'warning' }, 'budget'],
      ['spec_task.budget', { level: 'reached' }, 'budget'],
      ['spec_task.budget', { level: 'raised' }, null],
      ['work_session.stalled', { stalled: true }, 'stalled'],
      ['work_session.stalled', { stalled: false }, null],
      ['spec_task.created', {}, null],
    ]
    for (const [kind, payload, want] of cases) {
      expect(noticeOf(event(kind, payload))?.kind ?? null, `${kind} ${JSON.stringify(payload)}`).toBe(want)
    }
  })

  it('words the line with the title and needs a task', () => {
    const notice = noticeOf(event('work_session.permission', { decided: false, title: 'write a.txt' }))
    expect(notice?.taskId).toBe('t1')
    expect(notice?.text('Add login')).toBe('“Add login” waits for permission: write a.txt')
    expect(noticeOf(event('spec_task.budget', { level: 'reached' }))?.text('X')).toBe('“X” reached its budget')
    expect(noticeOf(event('spec_task.transitioned', { to: 'failed' }, null))).toBeNull()
  })
})
