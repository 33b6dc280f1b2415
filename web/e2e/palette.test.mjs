// The command palette (Ctrl/⌘ K) and the keyboard shortcuts, as in Linear: the palette opens from
// any page, even from a field, finds a task by a word of its title and opens it, and runs what the
// page offers through the page's own code (one approval recorded, as a click would); Escape closes
// it and gives the focus back. `g i`, `g f`, `g b` go to the inbox, fleet and board; `j`/`k` move
// through the board's cards, and a card keeps the focus when its task moves to another column;
// `?` lists every shortcut.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { WEB_HEADERS, demoPage, demoTaskOf, explainer, hasFocus, shot } from './browser.mjs'

const ctx = demoPage(before, after)
const explained = explainer(ctx)

const palette = () => ctx.page.getByRole('dialog', { name: 'Command palette' })
const search = () => palette().getByRole('combobox', { name: 'Search tasks and commands' })
const selected = () => palette().locator('[role="option"][aria-selected="true"]')

/**
 * Waits until no card is about to move: every task waits for a person, or is in review, done or
 * ended. The demo's planners and coders move cards between columns while they work.
 */
async function quietBoard() {
  let busy = []
  for (let i = 0; i < 600; i++) {
    const { items } = await (await fetch(`${ctx.demo.url}/api/v1/spec-tasks`)).json()
    busy = items.filter(
      (t) =>
        ['backlog', 'spec_generation', 'spec_revision', 'spec_approved', 'implementation_queued', 'implementation'].includes(t.status) &&
        !t.attention.some((a) => a.needs_you),
    )
    if (busy.length === 0) return
    await new Promise((ok) => setTimeout(ok, 200))
  }
  assert.fail(`tasks still at work after 2 minutes: ${JSON.stringify(busy.map((t) => [t.title, t.status]))}`)
}

async function openBoard() {
  const { demo, page } = ctx
  await page.goto(demo.url)
  await page.getByText('Live', { exact: true }).waitFor()
  await page.locator('a.card-open').first().waitFor()
}

test('the palette finds a task by its title and opens it; Escape gives the focus back', () =>
  explained(async () => {
    const { page } = ctx
    await openBoard()
    const task = await demoTaskOf(ctx, 'nodejs-todo', 'spec_review')
    const opener = page.getByRole('button', { name: /Search or run/ })
    await opener.click()
    await search().waitFor()
    assert.ok(await hasFocus(search()), 'the search field has the focus')
    // Each place to go is there, with its shortcut.
    for (const name of [/^Board/, /^Needs you \(\d+\)/, /^Fleet/, /^Keyboard shortcuts/]) {
      await palette().getByRole('option', { name }).waitFor()
    }
    await page.keyboard.press('Escape')
    await palette().waitFor({ state: 'hidden' })
    assert.ok(await hasFocus(opener), 'Escape gives the focus back to what opened the palette')

    // Ctrl K from a control: the board's filter has the focus.
    await page.getByRole('combobox', { name: 'Owner' }).focus()
    await page.keyboard.press('Control+k')
    await search().waitFor()
    const word = task.title.split(/\s+/).find((w) => w.length > 4) ?? task.title
    await search().fill(word.toLowerCase())
    await palette().getByRole('option', { name: new RegExp(task.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).waitFor()
    // The arrows move the choice, and the combobox says which option is chosen.
    const first = await selected().getAttribute('id')
    assert.equal(await search().getAttribute('aria-activedescendant'), first)
    await shot(page, '41-command-palette')
    await search().fill(task.short_id)
    await palette().getByRole('option', { name: task.title }).waitFor()
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: task.title, level: 1 }).waitFor()
    assert.match(page.url(), new RegExp(`/tasks/${task.id}$`))
  }))

test("the palette runs the page's actions: Reject asks first, Approve records one approval", () =>
  explained(async () => {
    const { demo, page } = ctx
    const task = await demoTaskOf(ctx, 'nodejs-todo', 'spec_review')
    await page.goto(`${demo.url}/tasks/${task.id}?tab=spec`)
    await page.locator('.line').first().waitFor()
    await page.keyboard.press('Control+k')
    await search().fill('reject')
    await page.keyboard.press('Enter')
    const confirm = page.getByRole('dialog', { name: 'Reject this SpecTask?' })
    await confirm.waitFor()
    await page.keyboard.press('Escape')
    await confirm.waitFor({ state: 'hidden' })

    // With no comment written, "Request changes" takes the person to the comments.
    await page.keyboard.press('Control+k')
    await search().fill('request changes')
    await page.keyboard.press('Enter')
    await palette().waitFor({ state: 'hidden' })
    assert.ok(await hasFocus(page.getByLabel('Comments on the whole spec')), 'the comments have the focus')

    await page.keyboard.press('Control+k')
    await search().fill('approve')
    assert.equal(await selected().innerText(), 'Approve & start implementation')
    await page.keyboard.press('Enter')
    await page.getByTestId('task-status').filter({ hasText: /implementation/ }).waitFor()
    const reviews = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/reviews`)).json()
    assert.equal(reviews.filter((r) => r.decision === 'approve').length, 1, JSON.stringify(reviews))
    // The page's actions are gone once the spec is approved.
    await page.keyboard.press('Control+k')
    await search().fill('approve & start')
    await palette().getByText(/Nothing matches/).waitFor()
    await page.keyboard.press('Escape')
  }))

test('g i, g f, g b go places; j and k move through the cards; ? lists the shortcuts', () =>
  explained(async () => {
    const { demo, page } = ctx
    await openBoard()
    await page.locator('body').click({ position: { x: 5, y: 300 } })
    await page.keyboard.press('g')
    await page.keyboard.press('i')
    await page.waitForURL(`${demo.url}/inbox`)
    await page.keyboard.press('g')
    await page.keyboard.press('f')
    await page.waitForURL(`${demo.url}/fleet`)
    await page.keyboard.press('g')
    await page.keyboard.press('b')
    await page.waitForURL(`${demo.url}/`)
    await quietBoard()
    const cards = page.locator('a.card-open')
    await cards.nth(1).waitFor()
    await page.keyboard.press('j')
    assert.ok(await hasFocus(cards.nth(0)), 'j: the first card')
    await page.keyboard.press('j')
    assert.ok(await hasFocus(cards.nth(1)), 'j again: the second card')
    await page.keyboard.press('k')
    assert.ok(await hasFocus(cards.nth(0)), 'k: back to the first')
    const href = await cards.nth(0).getAttribute('href')
    await page.keyboard.press('Enter')
    await page.waitForURL(`${demo.url}${href}`)

    await page.keyboard.press('?')
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await help.waitFor()
    for (const does of ['Open the command palette', 'Open the next thing that needs you', 'Go to Needs you', 'Move to the next or previous task or item']) {
      await help.getByText(does).waitFor()
    }
    await shot(page, '42-keyboard-shortcuts')
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'hidden' })
    // In a field, the letters are typed, not shortcuts.
    await page.keyboard.press('Control+k')
    await search().fill('gi')
    assert.equal(new URL(page.url()).pathname, href)
    await page.keyboard.press('Escape')
  }))

test('a focused card keeps the focus when its task moves to another column', () =>
  explained(async () => {
    const { demo, page } = ctx
    const task = await demoTaskOf(ctx, 'python-api', 'spec_review')
    await openBoard()
    const card = page.locator(`a.card-open[href="/tasks/${task.id}"]`)
    await page.locator('[data-phase="review"]').locator(card).focus()
    const rejected = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/reject`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
    assert.equal(rejected.status, 200, await rejected.text())
    // The card is mounted anew among the ended tasks, and has the focus there.
    await page.locator('[data-phase="ended"]').locator(card).waitFor()
    assert.ok(await hasFocus(card), 'the moved card has the focus')
    await page.keyboard.press('k')
    assert.ok(!(await hasFocus(card)), 'k moves on from where the card now is')
  }))
