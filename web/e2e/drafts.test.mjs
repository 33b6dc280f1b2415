// What a person types is theirs: the live stream never takes it away. A typed task description
// and an adopted spec's folder survive Escape and a reload (the draft every dialog and review form
// keeps); the Create and Adopt dialogs keep their text and focus while the board behind them moves;
// a reply to an interactive session survives a reload and stays, its Send disabled with the reason,
// when the session stops taking messages; the Stop agent confirmations stay open, their action
// disabled with the reason, when someone else stops the agent; the Spawn dialog keeps its text, its
// focus and its place through a reload and while the task behind it moves to implementation review,
// which is announced instead of switching the view; there Approve & merge is in reach without
// scrolling, and the review comments survive a reload; the Cancel task confirmation stays when
// someone else merges the task.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { assertConfirmationKept, demoPage, elsewhere, explainer, hasFocus, LONG, onScreen, shot, RUNNING, todoTaskWithARunningSession, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })

const explained = explainer(ctx)

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

test('the Create dialog keeps its text and focus while the board behind it moves', () =>
  explained(async () => {
    const { demo, page } = ctx
    await page.goto(demo.url)
    await page.getByText('Live', { exact: true }).waitFor()
    await page.getByRole('button', { name: 'New SpecTask' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
    const description = dialog.getByLabel('Task description')
    await description.fill('Export the todos as CSV')
    // Someone else creates a task: it lands on the board and is planned, live, behind the dialog.
    const repos = await (await fetch(`${demo.url}/api/v1/repos`)).json()
    const created = await fetch(`${demo.url}/api/v1/spec-tasks/from-prompt`, {
      method: 'POST',
      headers: WEB_HEADERS,
      body: JSON.stringify({ prompt: 'Created behind the dialog\n\nA task of someone else.', repo: repos[0].path }),
    })
    assert.equal(created.status, 201, await created.text())
    await page.locator('.card').filter({ hasText: 'Created behind the dialog' }).filter({ hasText: 'spec review' }).waitFor()
    await page.keyboard.type(', one row each.')
    assert.ok(await dialog.isVisible(), 'the dialog is still open')
    assert.equal(await description.inputValue(), 'Export the todos as CSV, one row each.')
    assert.ok(await description.evaluate((el) => el === document.activeElement), 'the focus is still in the description')
    await dialog.getByRole('button', { name: 'Discard draft' }).click()
    await page.keyboard.press('Escape')
  }))

test("an adopted spec's folder survives Escape, a reload and a moving board until it is discarded", () =>
  explained(async () => {
    const { demo, page } = ctx
    await page.goto(demo.url)
    await page.getByText('Live', { exact: true }).waitFor()
    const open = async () => {
      await page.getByRole('button', { name: 'Adopt a spec' }).click()
      return page.getByRole('dialog', { name: 'Adopt an existing spec' })
    }
    let dialog = await open()
    await dialog.getByLabel('Spec folder').fill('.kiro/specs/user-auth')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    dialog = await open()
    assert.equal(await dialog.getByLabel('Spec folder').inputValue(), '.kiro/specs/user-auth', 'kept through Escape')
    await page.reload()
    await page.getByText('Live', { exact: true }).waitFor()
    dialog = await open()
    const folder = dialog.getByLabel('Spec folder')
    assert.equal(await folder.inputValue(), '.kiro/specs/user-auth', 'kept through a reload')
    await folder.focus()
    await page.keyboard.press('End')
    // Someone else creates a task: it lands on the board and is planned, live, behind the dialog.
    const repos = await (await fetch(`${demo.url}/api/v1/repos`)).json()
    await elsewhere(ctx, 'POST', '/api/v1/spec-tasks/from-prompt', { prompt: 'Created behind the adopt dialog', repo: repos[0].path })
    await page.locator('.card').filter({ hasText: 'Created behind the adopt dialog' }).filter({ hasText: 'spec review' }).waitFor()
    await page.keyboard.type('-v2')
    assert.ok(await dialog.isVisible(), 'the dialog is still open')
    assert.equal(await folder.inputValue(), '.kiro/specs/user-auth-v2')
    assert.ok(await hasFocus(folder), 'the focus is still in the folder')
    await dialog.getByRole('button', { name: 'Discard draft' }).click()
    assert.equal(await folder.inputValue(), '')
    await page.keyboard.press('Escape')
  }))

test('a reply to the agent survives a reload and stays, unsendable, while the session takes no message', { timeout: 2 * LONG }, () =>
  explained(async () => {
    const { demo, page } = ctx
    const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
    const repo = tasks.items.find((t) => t.repository.path.endsWith('/linkedin-outreach')).repository
    const created = await elsewhere(ctx, 'POST', '/api/v1/spec-tasks/from-prompt', {
      prompt: 'Talk the campaign through\n\nAn interactive session.',
      repo: repo.path,
      kind: 'interactive',
    })
    const task = await created.json()
    await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
    await page.getByRole('list', { name: 'Session tree' }).getByRole('link').first().click()
    const session = new URL(page.url()).pathname.split('/').pop()
    const reply = page.getByRole('form', { name: 'Reply to the agent' })
    const box = reply.getByLabel('Reply to the agent')
    await box.fill('Keep it short.')
    await page.reload()
    assert.equal(await box.inputValue(), 'Keep it short.', 'kept through a reload')
    await box.focus()
    await page.keyboard.press('End')

    // Someone else stops the session: it takes no message now, and the reply stays as it was.
    await elsewhere(ctx, 'PUT', `/api/v1/work-sessions/${session}/status`, { status: 'interrupted', reason: 'stopped elsewhere' })
    await page.getByTestId('session-status').filter({ hasText: 'interrupted' }).waitFor()
    await reply.getByText('The session is interrupted now: it takes no message.', { exact: false }).waitFor()
    await page.keyboard.type(' One line each.')
    assert.equal(await box.inputValue(), 'Keep it short. One line each.')
    assert.ok(await hasFocus(box), 'the focus is still in the reply')
    assert.ok(await reply.getByRole('button', { name: 'Send' }).isDisabled(), 'Send waits for the session')
    await shot(page, '29-reply-kept-while-interrupted')

    await elsewhere(ctx, 'PUT', `/api/v1/work-sessions/${session}/status`, { status: 'running', reason: '' })
    await page.getByTestId('session-status').filter({ hasText: RUNNING }).waitFor()
    await reply.getByRole('button', { name: 'Send' }).click()
    await reply.getByText('Queued: the agent reads it at its next turn.').waitFor()
    assert.equal(await box.inputValue(), '', 'a sent reply is no draft')
    await page.reload()
    assert.equal(await box.inputValue(), '', 'nor after a reload')
  }))

test('the Stop agent confirmations stay open, their action disabled, when someone else stops the agent', { timeout: 4 * LONG }, () =>
  explained(async () => {
    const { page } = ctx
    ctx.todo = await todoTaskWithARunningSession(ctx)
    const { task, routes } = ctx.todo
    const session = (await routes.getByRole('link', { name: /Add the auth routes/ }).getAttribute('href')).split('/').pop()

    // The task's agent instance, from its Sessions view.
    await page.getByRole('button', { name: 'Stop agent' }).click()
    const confirm = page.getByRole('dialog', { name: 'Stop the agent?' })
    await elsewhere(ctx, 'DELETE', `/api/v1/spec-tasks/${task.id}/zed-instance`)
    await page.getByRole('region', { name: 'Agent instance' }).getByText('Not running', { exact: true }).waitFor()
    await assertConfirmationKept(confirm, 'Stop agent', 'The agent instance is not running any more: there is nothing to stop.')
    await page.keyboard.press('Escape')
    await confirm.waitFor({ state: 'hidden' })
    // Once the stopped instance has interrupted the session, it is resumed elsewhere.
    await routes.getByText(/paused by local: the agent instance was stopped/).waitFor()
    await elsewhere(ctx, 'PUT', `/api/v1/work-sessions/${session}/status`, { status: 'running', reason: '' })
    await routes.getByText(RUNNING).waitFor()

    // The session's own page.
    await routes.getByRole('link', { name: /Add the auth routes/ }).click()
    await page.getByTestId('session-status').filter({ hasText: RUNNING }).waitFor()
    await page.getByRole('region', { name: 'Session controls' }).getByRole('button', { name: 'Stop agent' }).click()
    const own = page.getByRole('dialog', { name: "Stop this session's agent?" })
    await elsewhere(ctx, 'PUT', `/api/v1/work-sessions/${session}/status`, { status: 'interrupted', reason: 'stopped elsewhere' })
    await page.getByTestId('session-status').filter({ hasText: 'interrupted' }).waitFor()
    await assertConfirmationKept(own, 'Stop agent', 'The session is interrupted now: its agent is not running.')
    await shot(page, '30-stop-confirmation-kept')
    await page.keyboard.press('Escape')
    await own.waitFor({ state: 'hidden' })
    await elsewhere(ctx, 'PUT', `/api/v1/work-sessions/${session}/status`, { status: 'running', reason: '' })
    await page.getByTestId('session-status').filter({ hasText: RUNNING }).waitFor()
  }))

test('the Spawn dialog keeps its text through a reload, and its focus and place while the task moves to review', { timeout: 4 * LONG }, () =>
  explained(async () => {
    const { demo, page } = ctx
    const { task, routes } = ctx.todo
    await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
    await routes.getByText(RUNNING).waitFor()
    const spawn = routes.getByRole('button', { name: /^Spawn a session from/ })
    await spawn.click()
    const dialog = page.getByRole('dialog', { name: 'Spawn a work session' })
    await dialog.getByLabel('Session name').fill('Audit logging')
    const description = dialog.getByLabel('Description')
    await description.fill('Check that every login is logged.')
    await page.reload()
    await spawn.click()
    assert.equal(await dialog.getByLabel('Session name').inputValue(), 'Audit logging', 'the name is kept through a reload')
    assert.equal(await description.inputValue(), 'Check that every login is logged.', 'the description is kept through a reload')
    await description.focus()
    await page.keyboard.press('End')
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
    await dialog.getByText('The task moved to implementation review: sessions are spawned only during implementation.').waitFor()
    assert.ok(await dialog.getByRole('button', { name: 'Create & start session' }).isDisabled(), 'no session is spawned out of implementation')
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

test('the Cancel task confirmation stays open, its action disabled, when someone else merges the task', () =>
  explained(async () => {
    const { page } = ctx
    const { task } = ctx.todo
    await page.getByRole('button', { name: 'Cancel task' }).click()
    const confirm = page.getByRole('dialog', { name: 'Cancel this SpecTask?' })
    await elsewhere(ctx, 'POST', `/api/v1/spec-tasks/${task.id}/approve-implementation`, {})
    await page.getByTestId('task-status').filter({ hasText: 'done' }).waitFor()
    await assertConfirmationKept(confirm, 'Cancel task', 'The task moved to done: there is nothing to cancel.')
    await page.keyboard.press('Escape')
    await confirm.waitFor({ state: 'hidden' })
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
