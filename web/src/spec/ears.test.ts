import { describe, expect, it } from 'vitest'
import { earsPattern, findingsByLine, parseFinding } from './ears'

describe('earsPattern', () => {
  it('classifies criteria by their keyword and ignores prose', () => {
    expect(earsPattern('1. WHEN a user logs in THE SYSTEM SHALL issue a token')).toBe('event')
    expect(earsPattern('- WHILE the queue is full THE SYSTEM SHALL refuse new tasks')).toBe('state')
    expect(earsPattern('IF the token is expired THEN THE SYSTEM SHALL answer 401')).toBe('unwanted')
    expect(earsPattern('WHERE audit is on, THE SYSTEM SHALL log')).toBe('optional')
    expect(earsPattern('THE SYSTEM SHALL hash passwords')).toBe('ubiquitous')
    expect(earsPattern('When in doubt, ask.')).toBeUndefined()
    expect(earsPattern('## Requirement 1')).toBeUndefined()
  })
})

describe('findings', () => {
  it('parses the linter line and groups a document’s findings by line', () => {
    expect(parseFinding('tasks.md:12: warning[T104]: task 3.2 has no requirement reference')).toEqual({
      file: 'tasks.md',
      line: 12,
      level: 'warning',
      code: 'T104',
      message: 'task 3.2 has no requirement reference',
    })
    const byLine = findingsByLine(
      ['tasks.md:12: warning[T104]: a', 'requirements.md:3: note[R201]: b', 'garbage'],
      'requirements',
    )
    expect([...byLine.keys()]).toEqual([3])
  })
})
