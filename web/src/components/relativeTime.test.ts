import { describe, expect, it } from 'vitest'
import { relativeTime } from './relativeTime'

describe('relativeTime', () => {
  const now = new Date('2026-01-10T12:00:00Z')
  const ago = (seconds: number) => relativeTime(new Date(now.getTime() - seconds * 1000), now)

  it('says how long ago, in the largest whole unit', () => {
    expect(ago(10)).toBe('just now')
    expect(ago(90)).toBe('2 min ago')
    expect(ago(2 * 3600)).toBe('2 h ago')
    expect(ago(86_400)).toBe('1 day ago')
    expect(ago(3 * 86_400)).toBe('3 days ago')
  })

  it('says how soon a future moment is', () => {
    expect(ago(-600)).toBe('in 10 min')
  })
})
