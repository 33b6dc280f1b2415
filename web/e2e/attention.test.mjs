// What waits for a person is the loudest thing on every screen (issue 48's first fault): while the
// nodejs-todo coder waits for a permission answer, its session row, board card and fleet card say
// "Waiting for you" in the attention colour (never the in-progress highlight), the header's
// "Needs you (N)", the bell and the tab's title count it, the inbox lists it with what to do, `n`
// opens it from any page and j/k move through the inbox; answered, it leaves every screen live.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LONG, WEB_HEADERS, demoPage, explainer, shotScreen, todoTaskWithARunningSession } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })
const explained = explainer(ctx)

/** The server's attention list. */
async function attention() {
  return (await fetch(`${ctx.demo.url}/api/v1/attention`)).json()
}

/** The permission item of the todo task's session, once its coder asks to run the tests (its
 * edits are allowed by the demo's stand-in person). */
async function asking(taskId) {
  for (;;) {
    const list = await attention()
    const item = list.items.find((a) => a.kind === 'permission' && a.spec_task_id === taskId && /Run the tests/.test(a.text))
    if (item) return item
    await new Promise((ok) => setTimeout(ok, 200))
  }
}

test('a session waiting for a permission answer says so on every screen, and the inbox leads to it', { timeout: 4 * LONG }, async () => {
  await explained(async () => {
    const { demo, page } = ctx
    const { task } = await todoTaskWithARunningSession(ctx)
    const item = await asking(task.id)
    assert.equal(item.label, 'Waiting for you')
    assert.match(item.text, /asks for your permission: Run the tests/)

    // The task's session tree: the session says it waits, in words, not "running" and its progress.
    await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
    const row = page.getByRole('list', { name: 'Session tree' }).locator('.tree-row[data-attention="permission"]')
    await row.getByText('Waiting for you').waitFor()
    assert.equal(await row.getByText('running', { exact: true }).count(), 0, 'not shown as running')
    assert.match(await row.locator('.badge').getAttribute('title'), /asks for your permission: Run the tests.*Allow or reject/)

    // The board: the card waits for you, edged in the attention colour; no "agent at work".
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Board' }).click()
    const card = page.locator(`.card[data-attention="permission"]`).filter({ hasText: task.title })
    await card.getByText('Waiting for you').waitFor()
    assert.equal(await card.getByText('agent at work').count(), 0, 'a card that waits for you is not at work')
    const edge = await card.evaluate((el) => getComputedStyle(el).borderTopColor)
    const you = await page.evaluate(() => getComputedStyle(document.querySelector('.badge.tone-you')).color)
    assert.equal(edge, you, 'the card is edged in the attention colour')

    // The header and the tab's title count what needs you; the bell too.
    const needsYou = page.getByTestId('needs-you')
    const count = (await attention()).needs_you
    assert.ok(count >= 1)
    await needsYou.getByText(String(count), { exact: true }).waitFor()
    assert.equal(await page.title(), `(${count}) spectask`)
    await page.getByTestId('bell-count').getByText(String(count), { exact: true }).waitFor()

    // The fleet: the card waits, its plan task is not highlighted as at work.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fleet' }).click()
    const fleetCard = page.locator(`.fleet-card[data-task="${task.id}"]`)
    await fleetCard.locator('.plan-waiting').filter({ hasText: 'Add the auth routes' }).waitFor()
    assert.equal(await fleetCard.locator('[aria-current="step"]').filter({ hasText: 'Add the auth routes' }).count(), 0)
    await fleetCard.getByText('Waiting for you').first().waitFor()

    // The inbox, from the header: what happened and what to do; j/k move, Enter opens.
    await needsYou.click()
    await page.getByRole('heading', { name: `Needs you (${count})` }).waitFor()
    const entry = page.locator(`.inbox-item[data-kind="permission"][data-task="${task.id}"]`)
    await entry.getByText('Allow or reject it on the session\'s page.').waitFor()
    await shotScreen(page, 'inbox')
    await page.keyboard.press('j')
    const focused = await page.evaluate(() => document.activeElement?.className)
    assert.match(focused ?? '', /inbox-open/, 'j focuses the first item')
    const items = await page.locator('ol[aria-label="What needs you"] a.inbox-open').count()
    for (let i = 0; i < items; i++) {
      if (await entry.locator('a.inbox-open').evaluate((a) => a === document.activeElement)) break
      await page.keyboard.press('j')
    }
    await page.keyboard.press('Enter')
    await page.waitForURL(`**${item.path}`)

    // `n` from the board opens the next thing that waits for you.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Board' }).click()
    const first = (await attention()).items.find((a) => a.needs_you)
    await page.keyboard.press('n')
    await page.waitForURL(`**${first.path}`)

    // Answered: it leaves the inbox and the card at once (the stream's attention frame).
    await page.goto(`${demo.url}/`)
    await card.getByText('Waiting for you').waitFor()
    const approvals = await (await fetch(`${demo.url}/api/v1/approvals`)).json()
    const approval = approvals.find((a) => a.id === item.approval_id)
    const once = approval.options.find((o) => o.kind === 'allow_once')
    const allow = await fetch(`${demo.url}/api/v1/approvals/${item.approval_id}`, {
      method: 'POST',
      headers: WEB_HEADERS,
      body: JSON.stringify({ option_id: once.option_id }),
    })
    assert.ok(allow.ok, await allow.text())
    await card.waitFor({ state: 'detached' })
  })
})
