import { describe, expect, it } from 'vitest'
import { implementationRounds } from './rounds'

const at = '2026-01-10T12:00:00Z'

describe('implementationRounds', () => {
  it('reads each implementation review decision of the log, and nothing else', () => {
    const log = [
      { seq: 1, kind: 'session_started' as const, message: 'started', data: {}, at },
      { seq: 2, kind: 'review_decision' as const, message: 'looked at the spec', data: {}, at },
      {
        seq: 3,
        kind: 'review_decision' as const,
        message: 'implementation review: request changes',
        data: { decision: 'request_changes', comments: 'Log failed logins too.', reviewer: 'local' },
        at,
      },
    ]
    expect(implementationRounds(log)).toEqual([
      { seq: 3, at, decision: 'request changes', comments: 'Log failed logins too.', reviewer: 'local' },
    ])
  })

  it('falls back on the message when the data names no decision', () => {
    const log = [{ seq: 4, kind: 'review_decision' as const, message: 'implementation review: approve', data: null, at }]
    expect(implementationRounds(log)[0]).toMatchObject({ decision: 'approve', comments: '', reviewer: '' })
  })
})
