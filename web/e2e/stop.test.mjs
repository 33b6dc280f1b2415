// Stopping a task's agent from the multi-session dashboard: the agent stops, its running session is
// interrupted (paused, with who stopped it), and Resume takes it on to done.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, shot, todoTaskWithARunningSession } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })

test('Stop agent interrupts the running session, and Resume takes it on', { timeout: 5 * LONG }, async () => {
  const { demo, page } = ctx
  // The demo's own nodejs-todo task: its coder asks a person before it runs the tests, so a session
  // is running (waiting for the answer) when the agent is stopped.
  const { task, routes } = await todoTaskWithARunningSession(ctx)
  await page.getByRole('link', { name: 'Fleet' }).waitFor()
  await page.getByRole('button', { name: 'Stop agent' }).click()
  await page.getByRole('dialog', { name: 'Stop the agent?' }).getByRole('button', { name: 'Stop agent' }).click()

  await routes.getByText('interrupted', { exact: true }).waitFor()
  await routes.getByText(/paused by local: the agent instance was stopped/).waitFor()
  const agent = page.getByRole('region', { name: 'Agent instance' })
  await agent.getByText('Not running').waitFor()
  assert.equal(await page.getByRole('button', { name: 'Stop agent' }).count(), 0)
  await shot(page, '13-agent-stopped')

  await routes.getByRole('button', { name: /^Resume .*Add the auth routes/ }).click()
  await routes.getByText('running', { exact: true }).waitFor()
  await agent.getByText('Active').waitFor()
  // The resumed session asks again; answered, it finishes and the task goes to review.
  await routes.getByRole('link', { name: /Add the auth routes/ }).click()
  await page.getByRole('group', { name: /Permission: Run the tests/ }).getByRole('button', { name: 'Allow once' }).click()
  await page.getByTestId('session-status').filter({ hasText: 'completed' }).waitFor()
  await page.goto(`${demo.url}/tasks/${task.id}`)
  try {
    await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor()
  } catch (err) {
    throw new Error(`the task never reached review:\n${await page.locator('main').innerText()}\n${demo.log()}`, { cause: err })
  }
  await shot(page, '14-resumed-to-review')
})
