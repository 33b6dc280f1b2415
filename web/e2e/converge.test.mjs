// Analyze and converge in the dashboard: an adopted spec whose plan misses a criterion shows the gap
// in its review's Analysis, and after an implementation that built nothing, its converge pass is
// approved into spec version 2 whose plan tasks run as sessions; the demo's python-api task, implemented, shows its converge pass (no
// gaps), recorded converged at its review, in the review and the coordination log.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WEB_HEADERS, demoPage, demoTaskOf, LONG, shot } from './browser.mjs'

const ctx = demoPage(before, after)

const REQUIREMENTS = `# Requirements Document

## Requirements

### Requirement 1: Complete

#### Acceptance Criteria

1. WHEN a todo is completed THE Todo_Store SHALL mark it done
2. WHEN a done todo is completed again THE Todo_Store SHALL keep it done
`

test("a spec's analysis names the criterion its plan misses; a converge round adds it", { timeout: 4 * LONG }, async () => {
  const { demo, page } = ctx
  const repos = await (await fetch(`${demo.url}/api/v1/repos`)).json()
  const todo = repos.find((r) => r.path.endsWith('/nodejs-todo'))
  const folder = '.kiro/specs/complete-again'
  const files = {
    'requirements.md': REQUIREMENTS,
    'design.md': '# Design Document\n\n## Overview\n\nA flag.\n',
    'tasks.md': '# Implementation Plan\n\n- [ ] 1. Mark a todo done\n  - _Requirements: 1.1_\n',
  }
  mkdirSync(join(todo.path, folder), { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(todo.path, folder, name), text)
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: todo.path })
  git('add', folder)
  git('commit', '-q', '--no-verify', '-m', 'a spec that misses a criterion')
  const adopted = await fetch(`${demo.url}/api/v1/spec-tasks/adopt`, {
    method: 'POST',
    headers: WEB_HEADERS,
    body: JSON.stringify({ repo: todo.path, folder }),
  })
  const said = await adopted.text()
  assert.equal(adopted.status, 201, said)
  const task = JSON.parse(said)
  await page.goto(`${demo.url}/tasks/${task.id}`)
  const analysis = page.getByRole('region', { name: 'Analysis' })
  const gap = analysis.getByRole('listitem').filter({ hasText: 'criterion 1.2 is implemented by no plan task' })
  await gap.waitFor()
  assert.match(await gap.innerText(), /^requirements\.md:10 gap: criterion 1\.2/)
  await shot(page, '03c-spec-analysis')
  await page.getByRole('tab', { name: 'Tasks' }).click()
  await gap.getByRole('button', { name: 'requirements.md:10' }).click()
  await page.getByRole('tab', { name: 'Requirements', selected: true }).waitFor()

  // Implemented by the demo's coder (which knows nothing of this plan): no commit implements
  // criterion 1.2, and the converge pass proposes a plan task for it.
  await page.getByRole('button', { name: 'Approve & start implementation' }).click()
  await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor({ timeout: LONG })
  await page.goto(`${demo.url}/tasks/${task.id}?tab=review`)
  const converge = page.getByTestId('convergence')
  const proposed = converge.getByRole('list', { name: 'Proposed plan tasks' })
  await proposed.getByText('Implement criterion 1.2').waitFor()
  assert.deepEqual(await proposed.getByRole('listitem').allInnerTexts(), ['Implement criterion 1.2 — implements 1.2'])
  await converge.getByRole('list', { name: 'Gaps' }).getByText(/no commit implements criterion 1\.2/).waitFor()
  await shot(page, '24c-review-converge-proposed')
  await converge.getByRole('button', { name: 'Approve into a new spec version' }).click()
  // The round: version 2 with the plan task, its session, then the review again.
  await converge.getByText('round 1 of 3').waitFor({ timeout: LONG })
  await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor({ timeout: LONG })
  const plan = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/documents/tasks`)).json()
  assert.equal(plan.version, 2)
  assert.match(plan.content, /- \[x\] 1\. Mark a todo done\n/)
  assert.match(plan.content, /- \[ \] 2\. Implement criterion 1\.2\n {2}- WHEN a done todo is completed again THE Todo_Store SHALL keep it done\n {2}- _Requirements: 1\.2_\n$/)
  const sessions = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/work-sessions`)).json()
  assert.deepEqual(sessions.map((s) => s.name).sort(), ['1 Mark a todo done', '2 Implement criterion 1.2'])
})

test('an implemented task with nothing left to build shows it converged', { timeout: 3 * LONG }, async () => {
  const { demo, page } = ctx
  const task = await demoTaskOf(ctx, 'python-api', 'spec_review')
  await page.goto(`${demo.url}/tasks/${task.id}`)
  await page.getByRole('region', { name: 'Analysis' }).getByText('No gaps or contradictions across the documents.').waitFor()
  const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
  assert.equal(approved.status, 200, await approved.text())
  await demoTaskOf(ctx, 'python-api', 'implementation_review')
  await page.goto(`${demo.url}/tasks/${task.id}?tab=review`)
  const converge = page.getByTestId('convergence')
  await converge.getByText('round 0 of 3').waitFor()
  await converge.getByText(/The spec and the code agree/).waitFor()
  // Recorded by the pass the task gets at its review; nothing is left to approve.
  await converge.getByText('converged', { exact: true }).waitFor()
  assert.equal(await converge.getByRole('button').count(), 0)
  await shot(page, '24b-review-converged')
  const log = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/coordination-log`)).json()
  const entries = log.filter((e) => e.kind === 'converge').map((e) => e.message)
  assert.deepEqual(entries, ['converged after 0 converge rounds: the spec and the code agree'])
})
