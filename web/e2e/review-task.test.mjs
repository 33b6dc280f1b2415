// The review workflow in the browser: the Create dialog asks for a review target and shows the
// server's refusal of one that names nothing; the review task's page shows its report, each
// finding at its file:line, and one click makes a bugfix task of a finding, which links back.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, LONG, openPage, registerRepo, runSpectask, shot } from './browser.mjs'

const FINDINGS = `I read the diff.

## Expired tokens are accepted
- File: src/auth.js
- Line: 2
- Severity: high

The expiry is never compared with the clock.
`

const ctx = {}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spectask-review-'))
  const repo = join(dir, 'app')
  mkdirSync(join(repo, 'src'), { recursive: true })
  writeFileSync(join(repo, 'src/auth.js'), 'module.exports = (token) =>\n  token.valid\n')
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd: repo })
  git('init', '-q', '--initial-branch=main')
  git('add', '.')
  git('commit', '-qm', 'init')
  git('checkout', '-q', '-b', 'feature/login')
  writeFileSync(join(repo, 'src/auth.js'), 'module.exports = (token) =>\n  token.valid // expiry?\n')
  git('commit', '-qam', 'Check tokens')
  git('checkout', '-q', 'main')
  const script = join(dir, 'reviewer.toml')
  writeFileSync(
    script,
    `[[rule]]\nmatch = "*Review the changes of feature/login*"\nsteps = [ { write_file = { path = ".spectask/review/findings.md", content = ${JSON.stringify(FINDINGS)} } }, { message = "Written." } ]\n`,
  )
  const data = join(dir, 'data')
  mkdirSync(data)
  writeFileSync(
    join(data, 'config.toml'),
    `[agents.reviewer]\nkind = "acp"\ncommand = ${JSON.stringify(BIN)}\nargs = ["agent", "scripted", "--script", ${JSON.stringify(script)}]\n\n[orchestrator]\ndefault_implementation_agent = "reviewer"\n`,
  )
  ctx.server = await runSpectask('serve', data)
  await registerRepo(ctx.server.url, repo)
  ctx.repo = repo
  Object.assign(ctx, await openPage())
})

after(async () => {
  await ctx.browser?.close()
  await ctx.server?.stop()
})

test('a review task shows its findings at file:line and follows one up as a bugfix', { timeout: 2 * LONG }, async () => {
  const { page, server, repo } = ctx
  await page.goto(server.url)
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: repo, exact: true }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Repository').selectOption({ value: repo })
  const workflow = dialog.getByLabel('Workflow')
  await workflow.getByRole('option', { name: 'review' }).waitFor({ state: 'attached' })
  await workflow.selectOption('review')
  await dialog.getByLabel('Task description').fill('Review the login branch')
  await dialog.getByLabel('Review target').fill('nope')
  await dialog.getByRole('button', { name: 'Create SpecTask' }).click()
  await dialog.getByRole('alert').filter({ hasText: 'there is no branch named `nope`' }).waitFor()
  await dialog.getByLabel('Review target').fill('feature/login')
  await dialog.getByRole('button', { name: 'Create SpecTask' }).click()
  await page.waitForURL(/\/tasks\//)
  const id = page.url().split('/tasks/')[1].split(/[?#]/)[0]

  const report = page.getByRole('region', { name: 'Review report' })
  await report.getByRole('heading', { name: 'Review of feature/login' }).waitFor()
  const finding = report.getByRole('listitem', { name: 'Finding 1: Expired tokens are accepted' })
  assert.equal(await finding.getByTestId('finding-location').textContent(), 'src/auth.js:2')
  await finding.getByText('The expiry is never compared with the clock.').waitFor()
  await shot(page, '05c-review-report')

  await finding.getByRole('button', { name: 'Follow up as bugfix' }).click()
  const made = report.getByRole('status').filter({ hasText: 'Follow-up task created' })
  await made.waitFor()
  await made.getByRole('link').click()
  await page.waitForURL((url) => !url.pathname.endsWith(id))
  const followUpId = page.url().split('/tasks/')[1].split(/[?#]/)[0]
  const task = await (await fetch(`${server.url}/api/v1/spec-tasks/${followUpId}`)).json()
  assert.equal(task.workflow, 'bugfix', JSON.stringify(task))
  assert.equal(task.title, 'Expired tokens are accepted')
  assert.match(task.prompt, /- File: src\/auth\.js\n- Line: 2\n/)
  assert.ok(task.prompt.includes(id), 'the prompt names the review task')
  // Its prompt links back to the review task.
  const review = await (await fetch(`${server.url}/api/v1/spec-tasks/${id}`)).json()
  await page.locator('summary', { hasText: 'Prompt' }).click()
  await page.getByRole('link', { name: review.handle }).click()
  await page.waitForURL((url) => url.pathname.endsWith(id))
  await page.getByRole('heading', { name: 'Review of feature/login' }).waitFor()
})
