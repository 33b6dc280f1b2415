// A task that waits for another, chosen in the Create dialog: its page names what it waits for, and
// once its spec is approved its implementation waits, saying for which task, until that one is done.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, shot, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after)

test('a task made to wait for another in the dialog holds its implementation until that one is done', { timeout: 5 * LONG }, async () => {
  const { demo, page } = ctx
  const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
  const first = tasks.items.find((t) => t.repository.path.endsWith('/nodejs-todo'))
  assert.ok(first, JSON.stringify(tasks))
  await page.goto(demo.url)
  await page.getByText('Live', { exact: true }).waitFor()
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: /python-api \(demo/ }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Repository').selectOption({ label: 'python-api (demo: Python, FastAPI)' })
  await dialog.getByRole('button', { name: 'Use the demo prompt' }).click()
  const wait = dialog.getByRole('group', { name: 'Wait for' })
  await wait.getByRole('listbox', { name: 'Tasks that must be done first' }).locator(`[data-value="${first.id}"]`).click()
  assert.ok(await wait.getByRole('radio', { name: 'hold implementation' }).isChecked(), 'implementation is held by default')
  await wait.getByText('It is planned meanwhile; its implementation waits until they are done.').waitFor()
  await shot(page, '01c-create-dialog-wait-for')
  await dialog.getByRole('button', { name: 'Create SpecTask' }).click()

  const prerequisites = page.getByRole('region', { name: 'Prerequisites' })
  await prerequisites.getByRole('link', { name: new RegExp(first.short_id) }).waitFor()
  await prerequisites.getByText('Waits for, before implementation:').waitFor()
  const id = page.url().split('/tasks/')[1].split('?')[0]

  // Its spec is planned meanwhile; approved, its implementation waits for the first task.
  await page.getByTestId('task-status').filter({ hasText: 'spec review' }).waitFor()
  const approve = { method: 'POST', headers: WEB_HEADERS, body: '{}' }
  const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${id}/approve-specs`, approve)
  assert.equal(approved.status, 200, await approved.text())
  const queued = page.getByText(/^Queued: waiting for prerequisite/)
  try {
    await queued.waitFor()
  } catch (err) {
    throw new Error(`the task does not say it waits:\n${await page.locator('main').innerText()}`, { cause: err })
  }
  assert.match(await queued.innerText(), new RegExp(first.short_id))
  await shot(page, '02c-task-waiting-for-another')
})
