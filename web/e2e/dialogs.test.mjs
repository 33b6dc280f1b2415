// Every modal dialog by keyboard alone: reached with Tab and opened with Enter, Tab and Shift+Tab
// stay inside it (each stop with its focus ring), Escape closes it and the focus is back on the
// control that opened it. The Create SpecTask dialog on the board; the Spawn session dialog and
// the Stop agent confirmation on a task whose session waits for a person's permission. A refresh
// of that dashboard that fails leaves what it shows, and its focus, in place.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { WEB_HEADERS, demoPage, shot, todoTaskWithARunningSession } from './browser.mjs'
import { escapeBackTo, tabCycle, tabTo } from './keyboard.mjs'

const ctx = demoPage(before, after, { askPermission: true })

test('the Create SpecTask dialog by keyboard', async () => {
  const { demo, page } = ctx
  await page.goto(demo.url)
  await page.getByText('Live', { exact: true }).waitFor()
  const opener = page.getByRole('button', { name: 'New SpecTask' })
  await tabTo(page, opener)
  await page.keyboard.press('Enter')
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: /nodejs-todo \(demo/ }).waitFor({ state: 'attached' })
  const stops = await tabCycle(page, dialog)
  assert.match(stops[0], /^textarea/, `the task description is focused first: ${stops}`)
  assert.ok(stops.some((s) => s.startsWith('select')), `the repository choice is a stop: ${stops}`)
  await shot(page, '01c-create-dialog-keyboard')
  await escapeBackTo(page, dialog, opener)
})

test('the Spawn session dialog and the Stop agent confirmation by keyboard', async () => {
  const { page } = ctx
  // The third plan task's session asks before it runs the tests, so the task stays in
  // implementation (where sessions can be spawned) while this test runs.
  const { routes } = await todoTaskWithARunningSession(ctx)

  const spawn = routes.getByRole('button', { name: /^Spawn a session from/ })
  await tabTo(page, spawn)
  await page.keyboard.press('Enter')
  const dialog = page.getByRole('dialog', { name: 'Spawn a work session' })
  const stops = await tabCycle(page, dialog)
  assert.match(stops[0], /Session name|input/, `the session name is focused first: ${stops}`)
  await shot(page, '05d-spawn-dialog')
  await escapeBackTo(page, dialog, spawn)

  const stop = page.getByRole('button', { name: 'Stop agent' })
  await stop.focus()
  await page.keyboard.press('Enter')
  const confirm = page.getByRole('dialog', { name: 'Stop the agent?' })
  assert.deepEqual(
    (await tabCycle(page, confirm)).map((s) => s.replace(/^button "(.*)"$/, '$1')),
    ['Cancel', 'Stop agent'],
    'Cancel, the safe answer, is focused first',
  )
  await shot(page, '05e-stop-confirmation')
  await escapeBackTo(page, confirm, stop)
  await page.getByRole('region', { name: 'Agent instance' }).getByText('Active').waitFor()
})

test('a failed refresh of the Sessions dashboard keeps it, and the focus, in place', async () => {
  const { demo, page } = ctx
  // Where the test before left the page: the todo task's Sessions tab, its agent at work.
  const agent = page.getByRole('region', { name: 'Agent instance' })
  await agent.getByText('Active').waitFor()
  const stop = page.getByRole('button', { name: 'Stop agent' })
  await stop.focus()
  const busy = { error: { code: 'busy', message: 'the server is busy' } }
  await page.route('**/multi-session-overview', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify(busy) }),
  )
  // An event of the task (its budget set) makes the page read its sessions again, and fail.
  const task = page.url().match(/\/tasks\/([^/?]+)/)[1]
  const put = { method: 'PUT', headers: { ...WEB_HEADERS, 'content-type': 'application/json' }, body: '{"tokens":100000000}' }
  const set = await fetch(`${demo.url}/api/v1/spec-tasks/${task}/budget`, put)
  assert.equal(set.status, 200, await set.text())
  const sessions = page.getByRole('region', { name: 'Sessions' })
  await sessions.getByRole('alert').filter({ hasText: 'Cannot refresh the sessions' }).waitFor()
  assert.equal(await agent.getByText('Active').count(), 1, 'the agent instance is still shown')
  assert.ok(await stop.evaluate((el) => el === document.activeElement), 'the focus stays on Stop agent')

  // The next refresh that succeeds takes the problem away.
  await page.unroute('**/multi-session-overview')
  const again = await fetch(`${demo.url}/api/v1/spec-tasks/${task}/budget`, { ...put, body: '{"tokens":200000000}' })
  assert.equal(again.status, 200, await again.text())
  await sessions.getByRole('alert').filter({ hasText: 'Cannot refresh the sessions' }).waitFor({ state: 'detached' })
})
