// The lint gate in the spec review, against `spectask serve` with a scripted planning agent whose
// plan has two tasks of one id (it cannot be scheduled). Approve is refused, naming the error; the
// review then offers to approve despite the lint errors, with a reason, which the review records.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, LONG, WEB_HEADERS, openPage, registerRepo, runSpectask, shot } from './browser.mjs'

const REQUIREMENTS = `# Requirements Document

## Introduction

Login for the todo service.

## Glossary

- **Auth_Service**: the service that issues tokens

## Requirements

### Requirement 1: Login

**User Story:** As a user, I want to log in, so that I can see my todos.

#### Acceptance Criteria

1. WHEN a user submits valid credentials, THE Auth_Service SHALL return a signed token
`
const DESIGN = `# Design Document

## Overview

Tokens.

## Architecture

Express middleware.

## Components and Interfaces

POST /login.

## Data Models

User.

## Error Handling

401.

## Testing Strategy

node --test.
`
// Two plan tasks with the id 1: the plan cannot be scheduled (T001, an error).
const TASKS = '# Implementation Plan\n\n- [ ] 1. Add the user model\n  - _Requirements: 1.1_\n- [ ] 1. Add the login route\n  - _Requirements: 1.1_\n'

const write = (path, text) => `{ write_file = { path = ${JSON.stringify(path)}, content = ${JSON.stringify(text)} } }`

// Whatever it is asked (the first draft, the repairs), it writes the same spec.
const PLANNER = `[[rule]]
match = "*"
steps = [ ${write('.spectask/spec/requirements.md', REQUIREMENTS)}, ${write('.spectask/spec/design.md', DESIGN)}, ${write('.spectask/spec/tasks.md', TASKS)}, { message = "Written." } ]
`

const ctx = {}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spectask-lint-gate-'))
  const repo = join(dir, 'app')
  mkdirSync(repo, { recursive: true })
  writeFileSync(join(repo, 'README.md'), '# app\n')
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: repo })
  git('init', '-q', '--initial-branch=main')
  git('add', '.')
  git('commit', '-qm', 'init')
  const script = join(dir, 'planner.toml')
  writeFileSync(script, PLANNER)
  const data = join(dir, 'data')
  mkdirSync(data)
  writeFileSync(
    join(data, 'config.toml'),
    `[agents.planner]\nkind = "acp"\ncommand = ${JSON.stringify(BIN)}\nargs = ["agent", "scripted", "--script", ${JSON.stringify(script)}]\n\n[orchestrator]\ndefault_planning_agent = "planner"\n`,
  )
  ctx.server = await runSpectask('serve', data)
  await registerRepo(ctx.server.url, repo)
  const created = await fetch(`${ctx.server.url}/api/v1/spec-tasks/from-prompt`, {
    method: 'POST',
    headers: WEB_HEADERS,
    body: JSON.stringify({ repo, prompt: 'Add login' }),
  })
  const said = await created.text()
  assert.equal(created.status, 201, said)
  ctx.task = JSON.parse(said)
  Object.assign(ctx, await openPage())
})

after(async () => {
  await ctx.browser?.close()
  await ctx.server?.stop()
})

test('a spec with lint errors is approved only despite them, with a reason the review records', { timeout: 2 * LONG }, async () => {
  const { page, server, task } = ctx
  await page.goto(`${server.url}/tasks/${task.id}`)
  await page.getByTestId('task-status').filter({ hasText: 'spec review' }).waitFor({ timeout: LONG })
  await page.getByRole('button', { name: 'Approve & start implementation' }).click()
  await page.getByRole('alert').filter({ hasText: 'duplicate task id 1' }).waitFor()
  const despite = page.getByRole('group', { name: 'Approve despite the lint errors' })
  const approve = despite.getByRole('button', { name: 'Approve despite lint errors' })
  assert.equal(await approve.isDisabled(), true, 'no reason, no approval')
  await despite.getByLabel(/Why it may be implemented/).fill('the second task is renumbered by hand')
  await shot(page, '03e-approve-despite-lint')
  await approve.click()
  await page.getByTestId('task-status').filter({ hasNotText: 'spec review' }).waitFor({ timeout: LONG })
  const reviews = await (await fetch(`${server.url}/api/v1/spec-tasks/${task.id}/reviews`)).json()
  const last = reviews.at(-1)
  assert.equal(last?.decision, 'approve', JSON.stringify(reviews))
  assert.match(last?.comments ?? '', /Approved despite 1 lint error\(s\): the second task is renumbered by hand/)
})
