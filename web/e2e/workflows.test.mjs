// Workflow templates in the Create dialog: a registered repository offers the built-in workflows,
// each described, and its own templates (a broken one's fault named under the choice); the one chosen
// is the task's, and a bugfix task's spec names its first document bugfix.md. The demo's design-first spec opens on its design. An existing Kiro folder is adopted from the board. The demo's bugfix task shows its
// test failing before the fix and passing after, in the implementation review; its review task
// shows the findings on its sample's branch, each at its file:line with a follow-up.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { demoPage, demoTaskOf, explainer, LONG, registerRepo, shot, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after)
const explained = explainer(ctx)

/**
 * A repository of the person's own, registered on the demo's server: its tasks follow any workflow
 * (a demo sample's follow those its scripted agents do, and it is listed as its demo entry).
 */
async function ownRepository(url) {
  const path = join(mkdtempSync(join(tmpdir(), 'spectask-own-')), 'todo')
  mkdirSync(path)
  writeFileSync(join(path, 'README.md'), '# Todo\n')
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: path })
  git('init', '-q', '--initial-branch=main')
  git('add', '.')
  git('commit', '-qm', 'init')
  await registerRepo(url, path)
  const repos = await (await fetch(`${url}/api/v1/repos`)).json()
  return repos.find((r) => r.path.endsWith(path.split('/').slice(-2).join('/')))
}

/** The Create dialog, opened from the board with the repository at `path` chosen. */
async function createDialogOn(page, url, path) {
  await page.goto(url)
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: path, exact: true }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Repository').selectOption({ value: path })
  return { dialog, workflow: dialog.getByLabel('Workflow') }
}

test('the Create dialog offers the repository workflows and creates a bugfix task', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const todo = await ownRepository(demo.url)
  assert.ok(todo)
  ctx.own = todo
  const { dialog, workflow } = await createDialogOn(page, demo.url, todo.path)
  await workflow.getByRole('option', { name: 'bugfix' }).waitFor({ state: 'attached' })
  const offered = await workflow.locator('option').allTextContents()
  assert.deepEqual(offered, ['feature', 'design-first', 'bugfix', 'review'])
  await workflow.selectOption('bugfix')
  await dialog.getByText(/the plan starts with a failing test/).waitFor()
  await shot(page, '01e-create-dialog-workflow')
  await dialog.getByLabel('Task description').fill('Completing a todo twice reopens it\n\nA second complete should keep it done.')
  await dialog.getByRole('button', { name: 'Create SpecTask' }).click()
  await page.waitForURL(/\/tasks\//)
  const id = page.url().split('/tasks/')[1]
  const task = await (await fetch(`${demo.url}/api/v1/spec-tasks/${id}`)).json()
  assert.equal(task.workflow, 'bugfix', JSON.stringify(task))
  assert.equal(task.requirements_file, 'bugfix.md', JSON.stringify(task))
})

test("the Create dialog offers the repository's own template and names a broken one's fault", { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const todo = ctx.own ?? (await ownRepository(demo.url))
  const templates = join(todo.path, '.spectask/templates')
  mkdirSync(templates, { recursive: true })
  writeFileSync(
    join(templates, 'security-fix.toml'),
    'description = "A security fix, reviewed by the security team"\nbase = "bugfix"\n[documents.design]\nsections = ["Threat Model"]\n',
  )
  writeFileSync(join(templates, 'quick.toml'), 'description = "Quick"\nbase = "hotfix"\n')
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: todo.path })
  git('add', '.spectask/templates')
  git('commit', '-q', '--no-verify', '-m', 'templates of our own')

  const { dialog, workflow } = await createDialogOn(page, demo.url, todo.path)
  await workflow.getByRole('option', { name: 'security-fix (this repository)' }).waitFor({ state: 'attached' })
  const offered = await workflow.locator('option').allTextContents()
  assert.deepEqual(offered, ['feature', 'design-first', 'bugfix', 'review', 'security-fix (this repository)'])
  await workflow.selectOption('security-fix')
  const hint = dialog.locator('#workflow-hint')
  await hint.getByText('A security fix, reviewed by the security team').waitFor()
  // The fault is marked by the icon set's warning sign (read as "Warning:"), no text glyph.
  const fault = hint.locator('.warning').filter({ hasText: /^Warning: \.spectask\/templates\/quick\.toml: `base` is `hotfix`/ })
  await fault.waitFor()
  assert.equal(await fault.locator('svg.icon').count(), 1, 'the fault has its icon')
  assert.doesNotMatch(await hint.innerText(), /⚠/)
  await shot(page, '01f-create-dialog-repository-template')
  await page.keyboard.press('Escape')
})

test('an existing Kiro bugfix folder is adopted from the board, kept as written', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const repos = await (await fetch(`${demo.url}/api/v1/repos`)).json()
  const todo = repos.find((r) => r.path.endsWith('/nodejs-todo'))
  const folder = '.kiro/specs/complete-twice'
  const bugfix = '# Bugfix Analysis\n\n## Current Behavior (Defect)\n\n1.1 WHEN a todo is completed twice THEN THE Todo_Store SHALL reopen it\n'
  const files = {
    'bugfix.md': bugfix,
    'design.md': '# Design Document\n\n## Overview\n\nKeep it done.\n',
    'tasks.md': '# Implementation Plan\n\n- [x] 1. Write a failing test\n- [ ] 2. Keep a completed todo done\n',
  }
  mkdirSync(join(todo.path, folder), { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(todo.path, folder, name), text)
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: todo.path })
  git('add', folder)
  git('commit', '-q', '--no-verify', '-m', 'a spec written elsewhere')

  await page.goto(demo.url)
  await page.getByRole('button', { name: 'Adopt a spec' }).click()
  const dialog = page.getByRole('dialog', { name: 'Adopt an existing spec' })
  await dialog.getByRole('option', { name: todo.path, exact: true }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Repository').selectOption({ value: todo.path })
  await dialog.getByLabel('Spec folder').fill('.kiro/specs/missing')
  await dialog.getByRole('button', { name: 'Adopt spec' }).click()
  await dialog.getByRole('alert').filter({ hasText: '.kiro/specs/missing holds no files' }).waitFor()
  await dialog.getByLabel('Spec folder').fill(folder)
  await dialog.getByRole('button', { name: 'Adopt spec' }).click()
  await page.waitForURL(/\/tasks\//)
  await page.getByTestId('task-status').filter({ hasText: 'spec review' }).waitFor()
  const id = page.url().split('/tasks/')[1].split(/[?#]/)[0]
  const doc = await (await fetch(`${demo.url}/api/v1/spec-tasks/${id}/documents/requirements`)).json()
  assert.equal(doc.file_name, 'bugfix.md')
  assert.equal(doc.content, bugfix, 'kept byte for byte')
  await page.getByRole('tab', { name: 'Bugfix' }).waitFor()
})

test("the planner's questions are answered in the review and reach the next version", { timeout: 3 * LONG }, async () => {
  const { demo, page } = ctx
  const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
  const task = tasks.items.find((t) => t.repository.path.endsWith('/react-dashboard'))
  assert.ok(task, JSON.stringify(tasks))
  await page.goto(`${demo.url}/tasks/${task.id}`)
  await page.getByTestId('task-status').filter({ hasText: 'spec review' }).waitFor()
  // A design-first spec opens on its design, listed first.
  assert.equal(task.workflow_base, 'design-first', JSON.stringify(task))
  const tabs = page.getByRole('tablist', { name: 'Documents' }).getByRole('tab')
  await tabs.first().filter({ hasText: 'Design' }).waitFor()
  assert.equal(await tabs.first().getAttribute('aria-selected'), 'true')
  await page.getByRole('heading', { name: /^design\.md v1/ }).waitFor()
  const asks = page.getByRole('group', { name: 'The planner asks' })
  await asks.getByText('1. Should the chosen range survive a reload of the page?').waitFor()
  await asks.getByLabel(/^2\. Which clock/).fill('UTC, as the orders are stored')
  // With questions, the sticky decision bar still leaves most of the page to the spec, and its
  // buttons stay on screen.
  const bar = await page.getByRole('region', { name: 'Review', exact: true }).boundingBox()
  const { height } = page.viewportSize()
  assert.ok(bar && bar.height <= height / 2, `the decision bar is ${bar?.height} px of ${height}`)
  const button = await page.getByRole('button', { name: 'Request changes' }).boundingBox()
  assert.ok(button && button.y + button.height <= height, `Request changes is off screen: ${JSON.stringify(button)}`)
  await shot(page, '03b-planner-questions')
  await page.getByRole('button', { name: 'Request changes' }).click()
  await page.getByRole('option', { name: 'v2 (latest)', includeHidden: true }).waitFor({ state: 'attached', timeout: LONG })
  const reviews = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/reviews`)).json()
  const comments = reviews.at(-1)?.comments ?? ''
  assert.match(comments, /2\. Which clock draws the day boundaries: the browser's time zone or UTC\?\n {3}Answer: UTC, as the orders are stored/)
  assert.equal(await page.getByRole('group', { name: 'The planner asks' }).count(), 0, 'the revision asks nothing more')
})

test("the demo's bugfix shows its test failing before the fix and passing after", { timeout: 2 * LONG }, () =>
  explained(async () => {
    const { demo, page } = ctx
    const task = await demoTaskOf(ctx, 'python-invoices', 'spec_review')
    assert.equal(task.workflow, 'bugfix', JSON.stringify(task))
    await page.goto(`${demo.url}/tasks/${task.id}`)
    await page.getByRole('tab', { name: 'Bugfix' }).waitFor()
    await page.getByRole('heading', { name: /^bugfix\.md v1/ }).waitFor()
    const approve = { method: 'POST', headers: WEB_HEADERS, body: '{}' }
    const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, approve)
    assert.equal(approved.status, 200, await approved.text())
    await demoTaskOf(ctx, 'python-invoices', 'implementation_review')
    await page.goto(`${demo.url}/tasks/${task.id}`)
    const section = page.getByRole('region', { name: 'Bug reproduction' })
    await section.waitFor()
    const before = section.getByTestId('reproduction-before')
    await before.getByText('the bug is reproduced').waitFor()
    await section.getByTestId('reproduction-after').getByText('passed').waitFor()
    await before.getByText('Output').click()
    await before.getByText(/1809/).waitFor()
    await shot(page, '07c-bugfix-reproduction')
  }),
)

test("the demo's review task shows its branch's findings at file:line, each to follow up", { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const task = await demoTaskOf(ctx, 'python-refunds', 'done')
  assert.equal(task.workflow, 'review', JSON.stringify(task))
  assert.equal(task.review_target, 'feature/partial-refunds', JSON.stringify(task))
  await page.goto(`${demo.url}/tasks/${task.id}`)
  const report = page.getByRole('region', { name: 'Review report' })
  await report.getByRole('heading', { name: 'Review of feature/partial-refunds' }).waitFor()
  const findings = [
    ['Partial refunds can add up to more than the order', 'app/refund.py:22'],
    ['A negative amount is taken as a refund', 'app/refund.py:24'],
  ]
  for (const [n, [title, at]] of findings.entries()) {
    const finding = report.getByRole('listitem', { name: `Finding ${n + 1}: ${title}` })
    assert.equal(await finding.getByTestId('finding-location').textContent(), at)
    await finding.getByRole('button', { name: 'Follow up as bugfix' }).waitFor()
  }
  await shot(page, '05d-demo-review-report')
})
