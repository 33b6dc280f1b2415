import { describe, expect, it } from 'vitest'
import { groups } from './DesignDocs'

describe('groups', () => {
  it('puts each session in a folder of its own, beside the task folders', () => {
    const session = '01a21445-67e8-7595-b65a-a5704da75974'
    const paths = [
      'specs/31e5486f-auth/design.md',
      `sessions/31e5486f-auth/${session}/activity-log.md`,
      `sessions/31e5486f-auth/${session}/decisions.md`,
      'sessions/31e5486f-auth/coordination-log.md',
      'sessions/31e5486f-auth/progress-updates/2026-11-25.md',
    ]
    expect(groups(paths.map((path) => ({ path }))).map(([dir, files]) => [dir, files.length])).toEqual([
      ['specs/31e5486f-auth', 1],
      [`sessions/31e5486f-auth/${session}`, 2],
      ['sessions/31e5486f-auth', 2],
    ])
  })
})
