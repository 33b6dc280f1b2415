// A budget set on the task page: a zero budget holds the implementation (its session pauses before
// it prompts its agent and the page says so), and raising it lets the task go on to its review.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, shot, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after)

test('a task whose budget is reached pauses, and raising the budget from its page lets it finish', { timeout: 5 * LONG }, async () => {
  const { demo, page } = ctx
  const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
  const task = tasks.items.find((t) => t.repository.path.endsWith('/nodejs-todo'))
  assert.ok(task, JSON.stringify(tasks))
  await page.goto(`${demo.url}/tasks/${task.id}`)
  await page.getByTestId('task-status').filter({ hasText: 'spec review' }).waitFor()

  const budget = page.getByRole('region', { name: 'Budget' })
  await budget.getByText('Change the budget').click()
  await budget.getByLabel('Tokens').fill('0')
  await budget.getByRole('button', { name: 'Save budget' }).click()
  await budget.getByText(/^Paused: budget reached/).waitFor()

  const approve = { method: 'POST', headers: WEB_HEADERS, body: '{}' }
  const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, approve)
  assert.equal(approved.status, 200, await approved.text())
  // Its sessions pause before they prompt their agents.
  let sessions = []
  for (let i = 0; i < 200; i++) {
    sessions = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/work-sessions`)).json()
    if (sessions.some((s) => s.state.status === 'interrupted' && s.state.reason.startsWith('paused by budget'))) break
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.ok(
    sessions.some((s) => s.state.status === 'interrupted' && s.state.reason.startsWith('paused by budget')),
    JSON.stringify(sessions, null, 1),
  )
  await page.getByTestId('task-status').filter({ hasText: 'implementation' }).waitFor()
  await budget.getByText(/^Paused: budget reached/).waitFor()
  await shot(page, '20-task-paused-budget')

  // Raised, the task goes on by itself.
  await budget.getByLabel('Tokens').fill('1000000')
  await budget.getByRole('button', { name: 'Save budget' }).click()
  try {
    await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor({ timeout: 3 * LONG })
  } catch (err) {
    throw new Error(`the task did not go on:\n${await page.locator('main').innerText()}\n${demo.log()}`, { cause: err })
  }
  assert.match(await budget.innerText(), /of 1M tokens, set by/)
})

test("a repository's daily budget reached pauses its task, and raising it from the task page lets it finish", { timeout: 5 * LONG }, async () => {
  const { demo, page } = ctx
  const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
  const task = tasks.items.find((t) => t.status === 'spec_review' && !t.repository.path.endsWith('/nodejs-todo'))
  assert.ok(task, JSON.stringify(tasks))
  const put = { method: 'PUT', headers: { ...WEB_HEADERS, 'content-type': 'application/json' }, body: '{"tokens":0}' }
  const set = await fetch(`${demo.url}/api/v1/repos/${task.repository.id}/budget`, put)
  assert.equal(set.status, 200, await set.text())
  await page.goto(`${demo.url}/tasks/${task.id}`)
  const daily = page.getByRole('region', { name: 'Repository budget', exact: true })
  await daily.waitFor()

  const approve = { method: 'POST', headers: WEB_HEADERS, body: '{}' }
  const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, approve)
  assert.equal(approved.status, 200, await approved.text())
  try {
    await daily.getByText(/^Paused: the repository's daily budget is reached/).waitFor({ timeout: 2 * LONG })
  } catch (err) {
    throw new Error(`no pause shown:\n${await page.locator('main').innerText()}\n${demo.log()}`, { cause: err })
  }
  // Its sessions pause before they prompt their agents, naming the repository's budget.
  const pausedByDay = (s) => s.state.status === 'interrupted' && s.state.reason.includes("the repository's daily budget")
  let sessions = []
  for (let i = 0; i < 200 && !sessions.some(pausedByDay); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100))
    sessions = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/work-sessions`)).json()
  }
  assert.ok(sessions.some(pausedByDay), JSON.stringify(sessions, null, 1))
  await shot(page, '21-task-paused-repository-budget')

  // Raised from the page, its sessions go on by themselves.
  await daily.getByLabel('Tokens a day').fill('100000000')
  await daily.getByRole('button', { name: 'Save daily budget' }).click()
  try {
    await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor({ timeout: 3 * LONG })
  } catch (err) {
    throw new Error(`the task did not go on:\n${await page.locator('main').innerText()}\n${demo.log()}`, { cause: err })
  }
  assert.match(await daily.innerText(), /Repository today: .* of 100M tokens a day, set by/)
})

test('a budget set in the Create SpecTask dialog is checked as typed and shows on the task page', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  await page.goto(demo.url)
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: /python-api \(demo/ }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Repository').selectOption({ label: 'python-api (demo: Python, FastAPI)' })
  await dialog.getByLabel('Task description').fill('Count the items\n\nGET /items/count answers the total.')
  await dialog.getByText('Budget', { exact: true }).click()
  const tokens = dialog.getByLabel('Tokens')
  const cost = dialog.getByLabel('Cost (USD)')
  const create = dialog.getByRole('button', { name: 'Create SpecTask' })
  // Opened, the budget scrolls clear of the dialog's buttons at its foot.
  await page.waitForFunction(
    () => {
      const open = document.querySelector('dialog[open]')
      const field = [...open.querySelectorAll('label')].find((l) => l.textContent === 'Cost (USD)')?.control
      return field && field.getBoundingClientRect().bottom <= open.querySelector('.dialog-actions').getBoundingClientRect().top
    },
    null,
    { timeout: 10_000 },
  )

  // What cannot be a budget is named under its field, and the task cannot be created with it.
  await tokens.fill('1.5')
  await cost.fill('-2')
  await dialog.getByText('Tokens are a whole number, like 200000.').waitFor()
  await dialog.getByText('A budget cannot be negative.').waitFor()
  assert.equal(await tokens.getAttribute('aria-invalid'), 'true')
  assert.ok(await create.isDisabled(), 'an invalid budget keeps Create disabled')
  await shot(page, '01d-create-dialog-budget')

  await tokens.fill('250,000')
  await cost.fill('2.5')
  await dialog.locator('.field-error').first().waitFor({ state: 'detached' })
  await create.click()
  await page.getByRole('heading', { name: 'Count the items' }).waitFor()
  const budget = page.getByRole('region', { name: 'Budget' })
  await budget.getByText(/^Budget: \d+% of 250k tokens or \$2\.50, set by /).waitFor()
  const id = new URL(page.url()).pathname.split('/').pop()
  const task = await (await fetch(`${demo.url}/api/v1/spec-tasks/${id}`)).json()
  assert.equal(task.budget.tokens, 250000)
  assert.deepEqual(task.budget.cost, { amount: 2.5, currency: 'USD' })
})
