// Questions before the spec, and a task out of converge rounds, against `spectask serve` with a
// scripted planning agent and coder. The planning agent asks before it writes anything: the review
// shows its questions as the form, no document and no Approve; the answers sent, it writes the first
// draft. Its plan misses a criterion, and with `converge_rounds = 0` the implementation review's
// converge pass names the gap and its button says no rounds are left.
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
2. IF the credentials are invalid, THEN THE Auth_Service SHALL answer with status 401
`
const DESIGN = `# Design Document

## Overview

Tokens signed with the server's key.

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
// Criterion 1.2 is implemented by no plan task.
const TASKS = '# Implementation Plan\n\n- [ ] 1. Add the login route\n  - _Requirements: 1.1_\n'
const QUESTIONS = '1. Should a token be refreshed or refused once it expires?\n2. Which clock counts?\n'

const write = (path, text) => `{ write_file = { path = ${JSON.stringify(path)}, content = ${JSON.stringify(text)} } }`

const PLANNER = `[[rule]]
match = "*Write the spec*You asked these before writing it*Answer: UTC*"
steps = [ ${write('.spectask/spec/requirements.md', REQUIREMENTS)}, ${write('.spectask/spec/design.md', DESIGN)}, ${write('.spectask/spec/tasks.md', TASKS)}, { message = "Written." } ]

[[rule]]
match = "*Write the spec for this change*"
steps = [ ${write('.spectask/spec/questions.md', QUESTIONS)}, { message = "I have questions first." } ]
`
const CODER = `[[rule]]
match = "*Your task: 1 Add the login route*"
steps = [ ${write('src/login.js', 'module.exports = function login() { return "signed"; };\n')}, { message = "Added src/login.js." } ]
`

const ctx = {}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spectask-questions-'))
  const repo = join(dir, 'app')
  mkdirSync(repo, { recursive: true })
  writeFileSync(join(repo, 'README.md'), '# app\n')
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: repo })
  git('init', '-q', '--initial-branch=main')
  git('add', '.')
  git('commit', '-qm', 'init')
  const agent = (name, script) => {
    const path = join(dir, `${name}.toml`)
    writeFileSync(path, script)
    return `[agents.${name}]\nkind = "acp"\ncommand = ${JSON.stringify(BIN)}\nargs = ["agent", "scripted", "--script", ${JSON.stringify(path)}]\n\n`
  }
  const data = join(dir, 'data')
  mkdirSync(data)
  writeFileSync(
    join(data, 'config.toml'),
    `${agent('planner', PLANNER)}${agent('coder', CODER)}[orchestrator]\ndefault_planning_agent = "planner"\ndefault_implementation_agent = "coder"\nconverge_rounds = 0\n`,
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

test('a planner that asks before it writes shows its questions as the review, answered for its first draft', { timeout: 2 * LONG }, async () => {
  const { page, server, task } = ctx
  await page.goto(`${server.url}/tasks/${task.id}`)
  await page.getByTestId('task-status').filter({ hasText: 'spec review' }).waitFor()
  await page.getByText('The planner asks before it writes the spec').waitFor()
  const asks = page.getByRole('group', { name: 'The planner asks' })
  await asks.getByText('1. Should a token be refreshed or refused once it expires?').waitFor()
  assert.equal(await page.getByRole('button', { name: 'Approve & start implementation' }).count(), 0)
  assert.equal(await page.locator('ol.lines').count(), 0, 'no document lines for a version of questions')
  await asks.getByLabel(/^2\. Which clock/).fill('UTC')
  await shot(page, '03d-planner-asks-first')
  await page.getByRole('button', { name: 'Send answers' }).click()
  await page.getByRole('option', { name: 'v2 (latest)', includeHidden: true }).waitFor({ state: 'attached', timeout: LONG })
  await page.getByRole('heading', { name: /^requirements\.md v2/ }).waitFor()
  await page.locator('ol.lines').getByText('THE Auth_Service SHALL return a signed token').waitFor()
  await page.getByRole('button', { name: 'Approve & start implementation' }).waitFor()
  const reviews = await (await fetch(`${server.url}/api/v1/spec-tasks/${task.id}/reviews`)).json()
  assert.match(reviews.at(-1)?.comments ?? '', /2\. Which clock counts\?\n {3}Answer: UTC/)
})

test('with no converge round allowed, the review names the gap and says no rounds are left', { timeout: 3 * LONG }, async () => {
  const { page, server, task } = ctx
  await page.goto(`${server.url}/tasks/${task.id}`)
  await page.getByRole('button', { name: 'Approve & start implementation' }).click()
  await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor({ timeout: LONG })
  await page.goto(`${server.url}/tasks/${task.id}?tab=review`)
  const converge = page.getByTestId('convergence')
  await converge.getByText('round 0 of 0').waitFor()
  await converge.getByRole('list', { name: 'Gaps' }).getByText(/no commit implements criterion 1\.2/).waitFor()
  const button = converge.getByRole('button', { name: 'No converge rounds left' })
  await button.waitFor()
  assert.equal(await button.isDisabled(), true)
  await shot(page, '24d-review-no-converge-rounds')
  const log = await (await fetch(`${server.url}/api/v1/spec-tasks/${task.id}/coordination-log`)).json()
  const converged = log.filter((e) => e.kind === 'converge').map((e) => e.message)
  assert.equal(converged.length, 1, JSON.stringify(log))
  assert.match(converged[0], /^no converge rounds left \(0 of 0\): 1 gaps left/)
})
