// The component layer's selects, in place of the native ones: the board's filters (a select-only
// combobox over a listbox) and the Create dialog's "Tasks that must be done first" (a listbox of
// several choices), worked by keyboard alone, with their ARIA roles and states.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, explainer, hasFocus, shot } from './browser.mjs'

const ctx = demoPage(before, after)
const explained = explainer(ctx)

test("a filter: the arrows, type-ahead, Enter and Escape; the focus stays on the combobox", () =>
  explained(async () => {
    const { demo, page } = ctx
    // Issue 48, item 6: the board reads each card's progress from its list, not one request per card.
    const requests = []
    page.on('request', (r) => requests.push(new URL(r.url()).pathname))
    await page.goto(demo.url)
    await page.locator('.card').first().waitFor()
    await page.waitForTimeout(1000)
    assert.deepEqual(requests.filter((p) => p.includes('/progress')), [], 'no request per card')
    const repo = page.getByRole('combobox', { name: 'Repository' })
    const list = page.getByRole('listbox', { name: 'Repository' })
    assert.equal(await repo.getAttribute('aria-haspopup'), 'listbox')
    assert.equal(await repo.getAttribute('aria-expanded'), 'false')
    await repo.focus()
    await page.keyboard.press('ArrowDown')
    await list.waitFor()
    assert.equal(await repo.getAttribute('aria-expanded'), 'true')
    const active = async () => page.locator(`[id="${await repo.getAttribute('aria-activedescendant')}"]`).innerText()
    assert.equal(await active(), 'All', 'opens on the chosen option')
    await page.keyboard.press('ArrowDown')
    const second = await active()
    assert.notEqual(second, 'All')
    await shot(page, '43-select-open')
    await page.keyboard.press('Escape')
    await list.waitFor({ state: 'hidden' })
    assert.equal(await repo.getAttribute('data-value'), '', 'Escape chooses nothing')
    assert.ok(await hasFocus(repo), 'the focus stays on the combobox')

    // Letters typed pick by the start of a label; Enter chooses it.
    await page.keyboard.press('p')
    await list.waitFor()
    assert.equal(await active(), 'python-api')
    await page.keyboard.press('Enter')
    await list.waitFor({ state: 'hidden' })
    await page.waitForURL(/[?&]repo=[^&]*python-api\b/)
    // The address changes before the trigger shows the choice: wait for its text, not read it once.
    await repo.filter({ hasText: /python-api/ }).waitFor()
    assert.match(await repo.innerText(), /python-api/)
    const hidden = page.getByRole('listbox', { name: 'Repository', includeHidden: true })
    assert.equal(await hidden.getByRole('option', { name: 'python-api', includeHidden: true }).getAttribute('aria-selected'), 'true')
    // Home goes back to All; Space chooses.
    await page.keyboard.press('Home')
    await page.keyboard.press(' ')
    await page.waitForURL((url) => !url.searchParams.has('repo'))
    // A click outside closes an open list.
    await repo.click()
    await list.waitFor()
    await page.getByRole('heading', { name: 'SpecTasks' }).click()
    await list.waitFor({ state: 'hidden' })
  }))

test('several choices: the arrows move, Space turns an option on and off', () =>
  explained(async () => {
    const { demo, page } = ctx
    await page.goto(demo.url)
    await page.getByText('Live', { exact: true }).waitFor()
    await page.getByRole('button', { name: 'New SpecTask' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
    const tasks = dialog.getByRole('listbox', { name: 'Tasks that must be done first' })
    await tasks.waitFor()
    // Issue 48, item 6: each repository is listed once.
    const repos = await dialog.getByLabel('Repository').locator('option').allInnerTexts()
    assert.deepEqual(repos, [...new Set(repos)], `each repository once: ${repos}`)
    assert.equal(await tasks.getAttribute('aria-multiselectable'), 'true')
    await tasks.focus()
    const options = tasks.getByRole('option')
    assert.ok((await options.count()) >= 2, 'the demo has tasks to wait for')
    await page.keyboard.press(' ')
    assert.equal(await options.nth(0).getAttribute('aria-selected'), 'true', 'Space turns the first on')
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press(' ')
    assert.equal(await options.nth(1).getAttribute('aria-selected'), 'true', 'and the second')
    await dialog.getByText('2 chosen').waitFor()
    await page.keyboard.press('ArrowUp')
    await page.keyboard.press(' ')
    assert.equal(await options.nth(0).getAttribute('aria-selected'), 'false', 'Space again turns it off')
    await dialog.getByRole('radio', { name: 'hold implementation' }).waitFor()
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
  }))
