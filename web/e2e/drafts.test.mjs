// What a person types is theirs: the live stream never takes it away. A typed task description
// survives Escape and a reload (the draft every dialog and review form keeps); the Spawn dialog
// keeps its text, its focus and its place while the task behind it moves to implementation
// review, which is announced instead of switching the view; there Approve & merge is in reach
// without scrolling, and the review comments survive a reload.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, onScreen, shot, todoTaskWithARunningSession, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })

/** Runs `steps`; on failure, says what the page showed. */
async function explained(steps) {
  try {
    await steps()
  } catch (err) {
    const { page, demo } = ctx
    const dialog = await page.locator('dialog[open]').evaluateAll((ds) => ds.map((d) => d.innerText))
    const focus = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200))
    err.message += `\nat ${page.url()}\nopen dialogs: ${JSON.stringify(dialog)}\nfocus: ${focus}\n${await page.locator('main').innerText()}\n${demo.log()}`
    throw err
  }
}

test('a typed task description survives Escape and a reload until it is discarded', () =>
  explained(async () => {
    const { demo, page } = ctx
    await page.goto(demo.url)
    await page.getByText('Live', { exact: true }).waitFor()
    const open = async () => {
      await page.getByRole('button', { name: 'New SpecTask' }).click()
      return page.getByRole('dialog', { name: 'Create SpecTask' })
    }
    let dialog = await open()
    await dialog.getByLabel('Task description').fill('Rate-limit the login route')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    dialog = await open()
    assert.equal(await dialog.getByLabel('Task description').inputValue(), 'Rate-limit the login route', 'kept through Escape')
    await page.reload()
    await page.getByText('Live', { exact: true }).waitFor()
    dialog = await open()
    assert.equal(await dialog.getByLabel('Task description').inputValue(), 'Rate-limit the login route', 'kept through a reload')
    await dialog.getByRole('button', { name: 'Discard draft' }).click()
    assert.equal(await dialog.getByLabel('Task description').inputValue(), '')
    await page.keyboard.press('Escape')
    await page.reload()
    dialog = await open()
    assert.equal(await dialog.getByLabel('Task description').inputValue(), '', 'a discarded draft stays gone')
    await page.keyboard.press('Escape')
  }))

test('the Spawn dialog keeps its text, focus and place while the task moves to review', { timeout: 4 * LONG }, () =>
  explained(async () => {
    const { demo, page } = ctx
    const { task, routes } = await todoTaskWithARunningSession(ctx)
    await routes.getByRole('button', { name: /^Spawn a session from/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Spawn a work session' })
    await dialog.getByLabel('Session name').fill('Audit logging')
    const description = dialog.getByLabel('Description')
    await description.fill('Check that every login is logged.')
    await page.keyboard.type(' Failures too.')

    // The coder's permission request answered elsewhere: the session ends, the task moves on.
    const approval = await pendingApproval(demo.url, task.id)
    const allow = approval.options.find((o) => o.kind === 'allow_once')
    const answered = await fetch(`${demo.url}/api/v1/approvals/${approval.id}`, {
      method: 'POST',
      headers: WEB_HEADERS,
      body: JSON.stringify({ option_id: allow.option_id }),
    })
    assert.ok(answered.ok, `${answered.status} ${await answered.text()}`)
    await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor()
    await page.getByText('Implementation review is ready').waitFor()
    await shot(page, '15-phase-news-under-spawn-dialog')

    assert.ok(await dialog.isVisible(), 'the dialog is still open')
    assert.equal(await description.inputValue(), 'Check that every login is logged. Failures too.')
    assert.ok(await description.evaluate((el) => el === document.activeElement), 'the focus is still in the description')
    await page.getByRole('tab', { name: 'Sessions', selected: true }).waitFor({ state: 'attached' })

    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'open it' }).click()
    await page.getByRole('tab', { name: 'Implementation review', selected: true }).waitFor()
    assert.match(page.url(), /[?&]tab=review\b/)
    await page.getByRole('region', { name: 'Commits' }).waitFor()
    assert.ok(await onScreen(page.getByRole('button', { name: 'Approve & merge' })), 'Approve & merge is in reach without scrolling')
    await page.getByLabel('Review comments').fill('Name the log file.')
    await page.reload()
    await page.getByRole('tab', { name: 'Implementation review', selected: true }).waitFor()
    assert.equal(await page.getByLabel('Review comments').inputValue(), 'Name the log file.', 'kept through a reload')
  }))

/**
 * The task's question about running the tests once it is asked (the session shows running a little
 * before); its file edits are allowed by the demo's stand-in person (browser.mjs).
 */
async function pendingApproval(url, taskId) {
  const deadline = Date.now() + LONG
  let seen = []
  while (Date.now() < deadline) {
    seen = await (await fetch(`${url}/api/v1/approvals`)).json()
    const mine = seen.find((a) => a.spec_task_id === taskId && a.tool_call.kind !== 'edit')
    if (mine) return mine
    await new Promise((ok) => setTimeout(ok, 250))
  }
  throw new Error(`no permission request of task ${taskId}: ${JSON.stringify(seen)}`)
}
