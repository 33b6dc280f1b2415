// Failures and refusals in a person's words: what happened and what to do, without the code's names
// (a job's kind, a setting's key) or the API's routes, which stay in a "Details" disclosure. Pure,
// tested on its own; `components/Problem.tsx` shows them.
import type { SpecTaskStatus } from './api/client'

/** What each step of the orchestrator is, as a failure names it (`run_planner failed: …`). */
const STEPS: Record<string, string> = {
  run_planner: 'Planning',
  commit_spec_handoff: 'Committing the approved spec',
  start_implementation: 'Starting the implementation',
  resume_implementation: 'Resuming the implementation',
  summarize_implementation: 'Summing up the implementation',
  merge_task_branch: 'The merge',
  open_pull_request: 'Opening the pull request',
  take_up_merge: 'Taking up the merged pull request',
  write_implementation_complete: 'Recording the finished implementation',
  stop_agents: 'Stopping the agents',
  advance_implementation: 'Scheduling the sessions',
  start_thread: "Starting the session's agent",
  resume_thread: "Resuming the session's agent",
  commit_changes: "Committing the session's changes",
}

/** Where a task failed, as a heading. */
const PHASES: Partial<Record<SpecTaskStatus, string>> = {
  backlog: 'The task failed before planning',
  spec_generation: 'Planning failed',
  spec_revision: 'The revision failed',
  spec_review: 'The spec review failed',
  spec_approved: 'The hand-off of the approved spec failed',
  implementation_queued: 'The implementation failed to start',
  implementation: 'The implementation failed',
  implementation_review: 'The implementation review failed',
  pull_request: 'The pull request failed',
}

/**
 * A message from the server in a person's words: a step's name said as what it does, a session
 * named as one, a setting said as what it means, an API route left out (the page has the button),
 * a capital first and a full stop last.
 */
export function inWords(message: string): string {
  let text = message.trim()
  // "The task failed: run_planner failed: …" says one thing twice.
  text = text.replace(/^The task failed: (?=[a-z]+(?:_[a-z]+)+ failed: |work session )/, '')
  text = text.replace(/\b([a-z]+(?:_[a-z]+)+) failed: /g, (all, step: string, at: number) => {
    const words = STEPS[step]
    if (!words) return all
    return `${at === 0 ? words : words[0].toLowerCase() + words.slice(1)} failed: `
  })
  text = text.replace(/^work session (.+?) failed: /, (_all, name: string) => `The session “${name}” failed: `)
  text = text.replace(/whose permission_policy is not ask/g, 'that does not ask a person before it writes')
  text = text.replace(/\s*\((?:GET|PUT|POST|DELETE|PATCH) \/api\/[^)]*\)/g, '')
  text = text.replace(/:?\s*(?:GET|PUT|POST|DELETE|PATCH) \/api\/\S+/g, '')
  if (text === '') return 'Something went wrong.'
  text = text[0].toUpperCase() + text.slice(1)
  return /[.!?…]$/.test(text) ? text : `${text}.`
}

/** A task's failure: a heading saying where it failed, the reason in words, and the reason as recorded. */
export function failureWords(failure: { from: SpecTaskStatus; reason: string }): {
  heading: string
  sentence: string
  recorded: string
} {
  const heading = failure.from === 'done' ? 'Done, but not merged' : (PHASES[failure.from] ?? 'The task failed')
  return { heading, sentence: inWords(failure.reason), recorded: failure.reason }
}

/** An error a request ended with, in words: the server's refusal, or a server that did not answer. */
export function errorWords(error: Error): { sentence: string; detail?: string } {
  if (error instanceof TypeError) {
    return {
      sentence: 'spectask did not answer: it may have stopped, or the network dropped. Try again once the header says Live.',
      detail: error.message,
    }
  }
  const code = (error as { code?: unknown }).code
  const status = (error as { status?: unknown }).status
  const sentence = inWords(error.message)
  const raw = [typeof status === 'number' ? `HTTP ${status}` : '', typeof code === 'string' ? code : '', error.message]
    .filter(Boolean)
    .join(' · ')
  const same = (t: string) => t.trim().replace(/[.!?…]$/, '').toLowerCase()
  return { sentence, detail: same(sentence) === same(error.message) ? undefined : raw }
}
