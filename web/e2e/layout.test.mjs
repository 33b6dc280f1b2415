// The board and the task page hold their layout: a long unbroken title wraps inside its card, the
// task page's heading shows where it was cut and its breadcrumb names it on one line, cut with an
// ellipsis; the five columns fit 1024 px without horizontal
// scrolling, an empty one short; failed, rejected and cancelled tasks sit apart; the filters live
// in the URL.
// Each test stands on its own (its own tasks), so each can fail alone.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { choose, demoPage, shot, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after)

const LONG_WORD = `Refactor${'x'.repeat(140)}`

/** Runs `steps`; on failure, says what the page showed. */
async function explained(steps) {
  try {
    await steps()
  } catch (err) {
    err.message += `\nat ${ctx.page.url()} (${JSON.stringify(ctx.page.viewportSize())})\n${await ctx.page.locator('main').innerText()}`
    throw err
  }
}

async function createTask(prompt) {
  const { demo } = ctx
  const repos = await (await fetch(`${demo.url}/api/v1/repos`)).json()
  const res = await fetch(`${demo.url}/api/v1/spec-tasks/from-prompt`, {
    method: 'POST',
    headers: WEB_HEADERS,
    body: JSON.stringify({ prompt, repo: repos[0].path }),
  })
  const body = await res.text()
  assert.equal(res.status, 201, body)
  return JSON.parse(body)
}

/** How far `locator` sticks out of the right edge of its enclosing `box` (px), and whether the box scrolls sideways. */
function overflow(locator, box) {
  return locator.evaluate((el, boxSelector) => {
    const outer = el.closest(boxSelector)
    const right = Math.max(0, Math.round(el.getBoundingClientRect().right - outer.getBoundingClientRect().right))
    return { right, scrolls: outer.scrollWidth > outer.clientWidth }
  }, box)
}

test('a long unbroken title stays inside its card and its cut shows on the task page', () =>
  explained(async () => {
    const { demo, page } = ctx
    await createTask(`${LONG_WORD}\n\nA title the server cuts inside its one word.`)
    await page.goto(demo.url)
    const link = page.locator('.card').getByRole('link', { name: /^Refactorx+/ })
    await link.waitFor()
    assert.deepEqual(await overflow(link, '.card'), { right: 0, scrolls: false }, 'the title runs out of its card')
    await shot(page, '16-board-long-title')
    await link.click()
    const heading = page.getByRole('heading', { level: 1 })
    await heading.filter({ hasText: /^Refactorx+/ }).waitFor()
    assert.match(await heading.innerText(), /x…$/, 'a cut title ends with an ellipsis')
    assert.deepEqual(await overflow(heading, 'article'), { right: 0, scrolls: false }, 'the heading runs out of the page')
    // The breadcrumb names the task by its id and title, on one line, cut with an ellipsis where
    // the line is too short for it.
    const crumb = page.getByRole('navigation', { name: 'Breadcrumbs' }).locator('[aria-current="page"]')
    assert.match(await crumb.innerText(), /^[0-9a-f]{8} Refactorx+/)
    await page.setViewportSize({ width: 600, height: 900 })
    const cut = await crumb.evaluate((el) => ({
      ellipsis: getComputedStyle(el).textOverflow,
      wrap: getComputedStyle(el).whiteSpace,
      cut: el.scrollWidth > el.clientWidth,
    }))
    assert.deepEqual(cut, { ellipsis: 'ellipsis', wrap: 'nowrap', cut: true }, 'the long title is cut with an ellipsis')
    assert.deepEqual(await overflow(crumb, 'article'), { right: 0, scrolls: false }, 'the breadcrumb runs out of the page')
    await page.setViewportSize({ width: 1440, height: 900 })
  }))

test('five columns fit 1024 px, and ended tasks sit apart from them', () =>
  explained(async () => {
    const { demo, page } = ctx
    const task = await createTask('Cancelled before planning\n\nA task for the place of ended tasks.')
    const cancelled = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/cancel`, { method: 'POST', headers: WEB_HEADERS })
    assert.ok(cancelled.ok, `${cancelled.status} ${await cancelled.text()}`)
    await page.setViewportSize({ width: 1024, height: 768 })
    await page.goto(demo.url)
    const columns = page.locator('.board > .column')
    await columns.first().waitFor()
    const headings = await columns.locator('h2').evaluateAll((hs) => hs.map((h) => h.firstChild.textContent.trim()))
    assert.deepEqual(headings, ['Backlog', 'Planning', 'Review', 'Implementation', 'Done'])
    const tops = await columns.evaluateAll((cs) => cs.map((c) => Math.round(c.getBoundingClientRect().top)))
    assert.equal(new Set(tops).size, 1, `the columns are one row: tops ${tops}`)
    assert.ok(tops[0] < 768, 'the columns start above the fold')
    // An empty column is a short slot, not a tall empty lane beside a full one.
    const heights = await columns.evaluateAll((cs) => cs.map((c) => ({ cards: c.querySelectorAll('.card').length, height: c.getBoundingClientRect().height })))
    const empty = heights.filter((h) => h.cards === 0)
    assert.ok(empty.length > 0 && empty.every((h) => h.height < 120), `empty columns are short: ${JSON.stringify(heights)}`)
    const wide = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: innerWidth }))
    assert.ok(wide.scroll <= wide.view, `no horizontal scrolling: ${JSON.stringify(wide)}`)
    const ended = page.getByRole('region', { name: /^Failed, rejected or cancelled/ })
    const card = ended.locator('.card').filter({ hasText: 'Cancelled before planning' })
    await card.getByText('cancelled', { exact: true }).waitFor()
    assert.equal(await columns.getByText('Cancelled before planning').count(), 0, 'the cancelled task is in no column')
    await shot(page, '17-board-1024')
    await page.setViewportSize({ width: 1440, height: 900 })
  }))

test('the board filters are in the URL and survive a reload', () =>
  explained(async () => {
    const { demo, page } = ctx
    await page.goto(demo.url)
    await page.locator('.card').first().waitFor()
    await choose(page.getByRole('combobox', { name: 'Repository' }), 'nodejs-todo')
    await page.waitForURL(/[?&]repo=[^&]*nodejs-todo\b/, { timeout: 10_000 })
    await page.reload()
    await page.locator('.card').first().waitFor()
    assert.equal(await page.getByRole('combobox', { name: 'Repository' }).getAttribute('data-value'), new URL(page.url()).searchParams.get('repo'))
    const repos = await page.locator('.card').evaluateAll((cs) => cs.map((c) => c.querySelectorAll('.meta')[1].textContent.split(' · ')[0]))
    assert.ok(repos.length > 0 && repos.every((r) => r === 'nodejs-todo'), `only nodejs-todo cards: ${repos}`)
    await choose(page.getByRole('combobox', { name: 'Repository' }), 'All')
    await page.waitForURL((url) => !url.searchParams.has('repo'), { timeout: 10_000 })
  }))
