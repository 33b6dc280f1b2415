// The demo's tour at the human pace, what `spectask demo` runs for a person (about three minutes):
// the pages say the agents are scripted; three approved tasks put their agents on the fleet, at
// least two of them with a plan task highlighted 20 s on (python-api's two parallel ones both);
// nodejs-todo's coder asks before it edits and is answered in its session's transcript; a python-api
// session spawns a child session; react-dashboard's first session tells the others its module is
// ready, and the message arrives live in the task's coordination timeline, on a page opened before
// it was sent. With SPECTASK_README_SHOT set, the board with the agents at work is saved as
// docs/dashboard.png, the README's picture.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, WEB_HEADERS, demoPage, demoTaskOf, explainer, LONG, shot } from './browser.mjs'

const ctx = demoPage(before, after, { pace: 'human' })

const explained = explainer(ctx)

/** What react-dashboard's first session says to the others once its module is written. */
const READY = 'src/dateRange.js is ready'

/** How long two agents must stay at work on the fleet, each with a plan task highlighted. */
const WATCHED_MS = 20_000

async function approveSpec(task) {
  const res = await fetch(`${ctx.demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
  assert.equal(res.status, 200, await res.text())
}

test('the tour at the human pace: scripted notice, fleet, a question answered, a spawned child, a message', { timeout: 3 * LONG }, () =>
  explained(async () => {
    const started = Date.now()
    const { demo, page } = ctx
    const todo = await demoTaskOf(ctx, 'nodejs-todo', 'spec_review')
    const api = await demoTaskOf(ctx, 'python-api', 'spec_review')
    const dashboard = await demoTaskOf(ctx, 'react-dashboard', 'spec_review')
    // The planners' pauses add up to 26 s at this pace; the browser started a little after them.
    const planning = Date.now() - started
    assert.ok(planning > 15_000, `planning took ${planning} ms: the agents are paced for a person`)

    await page.goto(`${demo.url}/tasks/${todo.id}`)
    await page.getByTestId('scripted-notice').filter({ hasText: 'agents are scripted' }).waitFor()
    await shot(page, '40-demo-task-scripted-notice')
    await page.goto(demo.url)
    await page.getByRole('button', { name: 'New SpecTask' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
    await dialog.getByTestId('scripted-notice').waitFor()
    await dialog.getByRole('button', { name: 'Cancel' }).click()

    for (const task of [todo, api, dashboard]) await approveSpec(task)

    // react-dashboard's coordination timeline, open from now on in a tab of its own: the message
    // its first session sends once its module is written must arrive there without a reload.
    const watcher = await ctx.browser.newPage({ viewport: { width: 1440, height: 900 } })
    watcher.setDefaultTimeout(LONG)
    await watcher.goto(`${demo.url}/tasks/${dashboard.id}?tab=sessions`)
    const timeline = watcher.getByRole('list', { name: 'Coordination timeline' })
    await timeline.getByText(/started: /).first().waitFor()
    assert.equal(await timeline.getByText(READY).count(), 0, `the message is not sent yet:\n${await timeline.innerText()}`)

    // Two agents at work, each with its current plan task highlighted.
    await page.getByRole('link', { name: 'Fleet' }).click()
    const working = page.locator('.fleet-card').filter({ has: page.locator('[aria-current="step"]') })
    await working.nth(1).waitFor()
    // python-api works on its first two plan tasks in parallel: both are highlighted on its card.
    const apiCard = page.locator('.fleet-card').filter({ hasText: api.title })
    await apiCard.locator('[aria-current="step"]').nth(1).waitFor()
    await shot(page, '41-tour-fleet')
    // Long enough for a person to watch: two agents are still at work 20 s later. Between two
    // plan tasks a card may show none highlighted for a moment, so the check waits briefly.
    await page.waitForTimeout(WATCHED_MS)
    try {
      await working.nth(1).waitFor({ timeout: 5_000 })
    } catch {
      assert.fail(`two agents at work for less than ${WATCHED_MS} ms:\n${await page.locator('main').innerText()}`)
    }

    // nodejs-todo's coder asks before it edits: answered in its session's transcript.
    await page.goto(`${demo.url}/tasks/${todo.id}?tab=sessions`)
    // The session asking shows as waiting for the person, not as running.
    const tree = page.getByRole('list', { name: 'Session tree' })
    const asking = tree.getByRole('listitem').filter({ hasText: 'Waiting for you' })
    await asking.first().waitFor()
    await asking.first().getByRole('link').first().click()
    const question = page.getByRole('group', { name: /^Permission: Edit / })
    await question.first().waitFor()
    await shot(page, '42-tour-permission')
    await question.first().getByRole('button', { name: 'Allow always' }).click()
    await page.getByRole('list', { name: 'Transcript' }).getByText('permission: always').waitFor()

    // A python-api session spawns a child session.
    await page.goto(`${demo.url}/tasks/${api.id}?tab=sessions`)
    const child = page.getByRole('list', { name: 'Session tree' }).getByRole('listitem').filter({ hasText: 'Pagination edge cases' })
    await child.first().getByText('spawned', { exact: true }).waitFor()
    await shot(page, '43-tour-spawned-child')

    // react-dashboard's message to the other sessions arrives in the timeline opened before it.
    await timeline.getByText(READY).waitFor()
    await shot(watcher, '50-tour-coordination-message')
    await watcher.close()

    // The board, the agents at work on their plans.
    await page.goto(demo.url)
    const atWork = page.locator('.card').filter({ hasText: 'agent at work' })
    await atWork.nth(1).getByRole('progressbar').waitFor()
    if (process.env.SPECTASK_README_SHOT) {
      await page.mouse.move(0, 0)
      const file = join(ROOT, 'docs/dashboard.png')
      await page.screenshot({ path: file })
      const bytes = statSync(file).size
      assert.ok(bytes < 300_000, `docs/dashboard.png is ${bytes} bytes`)
    }
    console.log(`the tour took ${Math.round((Date.now() - started) / 1000)} s`)
  }),
)
