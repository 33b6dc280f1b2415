import { describe, expect, it } from 'vitest'
import { KeyBatch, keysChangedBy } from './reducer'

const task = '0199aaaa-0000-7000-8000-000000000001'
const session = '0199aaaa-0000-7000-8000-000000000002'

describe('keysChangedBy', () => {
  it('a task transition refreshes the board, the fleet and that task', () => {
    expect(keysChangedBy({ kind: 'spec_task.transitioned', spec_task_id: task, work_session_id: null })).toEqual([
      ['spec-tasks'],
      ['fleet'],
      ['spec-task', task],
    ])
  })

  it('a session plan update refreshes the fleet, its task and the session, not the board', () => {
    const changed = keysChangedBy({ kind: 'work_session.plan', spec_task_id: task, work_session_id: session })
    expect(changed).toContainEqual(['work-session', session])
    expect(changed).toContainEqual(['fleet'])
    expect(changed).not.toContainEqual(['spec-tasks'])
  })

  it("a session's start or end and a plan task done refresh the board, whose cards show them from the list", () => {
    for (const kind of ['work_session.transitioned', 'work_session.created', 'plan_progress.detected'] as const) {
      expect(keysChangedBy({ kind, spec_task_id: task, work_session_id: session })).toContainEqual(['spec-tasks'])
    }
  })

  it('a pull request reading refreshes the board and that task, whose card and page show it', () => {
    expect(keysChangedBy({ kind: 'pull_request.updated', spec_task_id: task, work_session_id: null })).toEqual([
      ['spec-tasks'],
      ['spec-task', task],
    ])
  })

  it('a repository registration refreshes only the repositories', () => {
    expect(keysChangedBy({ kind: 'repository.registered', spec_task_id: null, work_session_id: null })).toEqual([
      ['repos'],
    ])
  })
})

describe('check events', () => {
  it('refresh the session and every view of its task that shows check status', () => {
    expect(keysChangedBy({ kind: 'work_session.check', spec_task_id: task, work_session_id: session })).toEqual([
      ['spec-task', task],
      ['work-session', session],
    ])
  })

  it('a check refreshes the implementation review (a part of the task) through the task key', () => {
    const batch = new KeyBatch()
    batch.add(keysChangedBy({ kind: 'work_session.check', spec_task_id: task, work_session_id: session }))
    batch.add([['spec-task', task, 'implementation-review']])
    expect(batch.take()).toEqual([
      ['spec-task', task],
      ['work-session', session],
    ])
  })
})

describe('permission events', () => {
  it('refresh the pending approvals and the asking session', () => {
    expect(keysChangedBy({ kind: 'work_session.permission', spec_task_id: task, work_session_id: session })).toEqual([
      ['approvals'],
      ['work-session', session],
    ])
  })
})

describe('KeyBatch', () => {
  it('hands over each key once however many events named it, and drops keys a prefix covers', () => {
    const batch = new KeyBatch()
    for (let i = 0; i < 1000; i++) {
      batch.add(keysChangedBy({ kind: 'work_session.plan', spec_task_id: task, work_session_id: session }))
      batch.add([['spec-task', task, 'progress']])
    }
    const taken = batch.take()
    expect(taken).toHaveLength(3)
    expect(taken).not.toContainEqual(['spec-task', task, 'progress'])
    expect(batch.take()).toEqual([])
  })
})

describe('history events', () => {
  it('read again only the transcript of the session that has new entries', () => {
    expect(keysChangedBy({ kind: 'work_session.history', spec_task_id: task, work_session_id: session })).toEqual([
      ['work-session', session, 'history'],
    ])
  })
})
