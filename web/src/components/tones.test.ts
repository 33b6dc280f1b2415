import { describe, expect, it } from 'vitest'
import { toneOf } from './tones'

describe('toneOf', () => {
  it('marks what waits for a person, what is done and what failed', () => {
    expect(toneOf('spec_review')).toBe('warn')
    expect(toneOf('implementation_review')).toBe('warn')
    expect(toneOf('done')).toBe('ok')
    expect(toneOf('failed')).toBe('bad')
    expect(toneOf('running')).toBe('info')
  })

  it('leaves the rest neutral', () => {
    expect(toneOf('backlog')).toBe('neutral')
    expect(toneOf('cancelled')).toBe('neutral')
    expect(toneOf('anything else')).toBe('neutral')
  })
})
