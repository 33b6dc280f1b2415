/** The tone a state is shown in (a badge's colour): what it asks of a person at a glance. */
export type Tone = 'neutral' | 'info' | 'ok' | 'warn' | 'bad'

const TONES: Record<string, Tone> = {
  // At work: an agent or the forge has it.
  spec_generation: 'info',
  spec_revision: 'info',
  spec_approved: 'info',
  implementation: 'info',
  pull_request: 'info',
  running: 'info',
  open: 'info',
  modified: 'info',
  // Waiting for a person, or held.
  spec_review: 'warn',
  implementation_review: 'warn',
  blocked: 'warn',
  interrupted: 'warn',
  // Done well.
  done: 'ok',
  completed: 'ok',
  merged: 'ok',
  approved: 'ok',
  passed: 'ok',
  checks_pass: 'ok',
  added: 'ok',
  // Failed or refused.
  failed: 'bad',
  rejected: 'bad',
  closed: 'bad',
  changes_requested: 'bad',
  not_implemented: 'bad',
  check_fails: 'bad',
  deleted: 'bad',
}

/** The tone of a status, a pull request's or check's state, a verdict or a change; neutral when none. */
export function toneOf(state: string): Tone {
  return TONES[state] ?? 'neutral'
}
