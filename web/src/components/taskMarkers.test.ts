import { describe, expect, it } from 'vitest'
import { showTaskMarkers } from './taskMarkers'

describe('showTaskMarkers', () => {
  it('shows an in-progress plan task as an open box marked in progress', () => {
    expect(showTaskMarkers('- [x] 1. Setup\n  - [~] 1.1 Schema\n- [-] 2. Docs\n- [ ] 3. Ship')).toBe(
      '- [x] 1. Setup\n  - [ ] 1.1 Schema *(in progress)*\n- [ ] 2. Docs *(in progress)*\n- [ ] 3. Ship',
    )
  })

  it('leaves fenced code alone', () => {
    const text = '```\n- [~] 1. Kept\n```\n- [~] 2. Shown'
    expect(showTaskMarkers(text)).toBe('```\n- [~] 1. Kept\n```\n- [ ] 2. Shown *(in progress)*')
  })
})
