// Stopping a task's agent from the multi-session dashboard: the agent stops, its running session is
// interrupted (paused, with who stopped it), and Resume takes it on to done. Before and after the
// stop, the board's card, the task's Progress card and its fleet card say the same of its plan: a
// stopped agent's session is not in progress, and one whose agent waits for a person's answer is
// shown waiting for you (never as at work).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, RUNNING, shot, todoTaskWithARunningSession } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })

/** Polls `read` until `ok(value)` holds; fails with the last value read, as `what`. */
async function until(what, read, ok) {
  let value
  for (const end = Date.now() + LONG; Date.now() < end; ) {
    value = await read()
    if (ok(value)) return value
    await new Promise((done) => setTimeout(done, 250))
  }
  assert.fail(`${what}: ${JSON.stringify(value, null, 1)}`)
}

/** What the board's card, the Progress card and the fleet card of `task` show of its plan. */
async function shown(page, url, task) {
  const bar = (scope) => scope.getByRole('progressbar').first().getAttribute('aria-valuenow')
  await page.goto(url)
  const card = page.locator('.card').filter({ has: page.locator(`a[href="/tasks/${task.id}"]`) })
  await card.getByRole('progressbar').waitFor()
  const board = {
    percent: await bar(card),
    atWork: await card.getByText('agent at work').count(),
    waiting: await card.getByText('Waiting for you').count(),
  }
  await page.goto(`${url}/tasks/${task.id}?tab=sessions`)
  const counts = page.getByTestId('plan-counts')
  await counts.waitFor()
  const dash = page.getByRole('region', { name: 'Progress', exact: true })
  const progress = { percent: await bar(dash), counts: await counts.innerText() }
  await page.goto(`${url}/fleet`)
  const fleetCard = page.locator(`.fleet-card[data-task="${task.id}"]`)
  await fleetCard.getByRole('progressbar').waitFor()
  const fleet = {
    percent: await bar(fleetCard),
    highlighted: await fleetCard.locator('[aria-current="step"]').count(),
    waiting: await fleetCard.locator('.plan-waiting').count(),
    faded: await fleetCard.locator('.plan-before').count(),
  }
  return { board, progress, fleet }
}

/** Waits until the three views show `done` of 3 plan tasks done and `running` in progress, of
 * which `waiting` wait for a person's answer (waiting for you on the board and the fleet). */
function agree(task, { done, running, waiting = 0 }) {
  const percent = String(Math.floor((100 * done) / 3))
  const working = running - waiting
  return until(
    `the board, Progress and fleet cards do not all say ${done} done, ${running} in progress, ${waiting} waiting for you`,
    () => shown(ctx.page, ctx.demo.url, task),
    (v) =>
      [v.board.percent, v.progress.percent, v.fleet.percent].every((p) => p === percent) &&
      v.board.atWork === Math.min(working, 1) &&
      v.board.waiting === Math.min(waiting, 1) &&
      v.progress.counts === `${done}/3 complete · ${running} in progress` &&
      v.fleet.highlighted === working &&
      v.fleet.waiting === waiting &&
      v.fleet.faded === done,
  )
}

test('Stop agent interrupts the running session, and Resume takes it on', { timeout: 5 * LONG }, async () => {
  const { demo, page } = ctx
  // The demo's own nodejs-todo task: its coder asks a person before it runs the tests, so a session
  // is running (waiting for the answer) when the agent is stopped.
  const { task, routes } = await todoTaskWithARunningSession(ctx)
  await agree(task, { done: 2, running: 1, waiting: 1 })

  await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
  await page.getByRole('button', { name: 'Stop agent' }).click()
  await page.getByRole('dialog', { name: 'Stop the agent?' }).getByRole('button', { name: 'Stop agent' }).click()

  await routes.getByText('interrupted', { exact: true }).waitFor()
  await routes.getByText(/paused by local: the agent instance was stopped/).waitFor()
  const agent = page.getByRole('region', { name: 'Agent instance' })
  await agent.getByText('Not running').waitFor()
  assert.equal(await page.getByRole('button', { name: 'Stop agent' }).count(), 0)
  await shot(page, '13-agent-stopped')

  // The stopped session's plan task is to do again on every view, highlighted on none.
  await agree(task, { done: 2, running: 0 })
  await shot(page, '13-agent-stopped-fleet')

  await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
  await routes.getByRole('button', { name: /^Resume .*Add the auth routes/ }).click()
  await routes.getByText(RUNNING).waitFor()
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
