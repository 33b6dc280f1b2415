// The session page names where a session comes from (its task and the session it was spawned
// from), renders its description, folds the task context of its first message and colours the
// diffs of its transcript.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LONG, demoPage, explainer, shot, todoTaskWithARunningSession } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })

const explained = explainer(ctx)

test('a spawned session names its task and parent, renders its description, folds the first message; diffs are coloured', { timeout: 3 * LONG }, () =>
  explained(async () => {
    const { page } = ctx
    const { task, routes } = await todoTaskWithARunningSession(ctx)
    await routes.getByRole('button', { name: /^Spawn a session from/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Spawn a work session' })
    await dialog.getByLabel('Session name').fill('Security review')
    await dialog.getByLabel('Description').fill('Check **every** route for a token.')
    await dialog.getByRole('button', { name: 'Create & start session' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await page.getByRole('list', { name: 'Session tree' }).getByRole('link', { name: 'Security review' }).click()

    await page.getByRole('heading', { level: 1, name: 'Security review' }).waitFor()
    const crumbs = page.getByRole('navigation', { name: 'Breadcrumbs' })
    await crumbs.getByRole('link', { name: new RegExp(task.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).waitFor()
    await page.getByTestId('session-parent').getByRole('link', { name: /Add the auth routes/ }).waitFor()
    assert.match(await page.getByTestId('session-parent').innerText(), /^Spawned from\s/)
    await page.locator('article > .markdown strong').filter({ hasText: 'every' }).waitFor()
    const context = page.getByRole('list', { name: 'Transcript' }).locator('details').first()
    await context.getByText('The task as the agent was given it').waitFor()
    assert.equal(await context.evaluate((d) => d.open), false, 'the first message is folded')
    await shot(page, '21-spawned-session')

    // The parent's code changes: each diff's added and removed lines are coloured, as in the review.
    await page.getByTestId('session-parent').getByRole('link').click()
    const added = page.locator('.transcript .language-diff .diff-added').first()
    await added.waitFor()
    const colour = await added.evaluate((el) => getComputedStyle(el).backgroundColor)
    assert.notEqual(colour, 'rgba(0, 0, 0, 0)', 'an added line has a background')
    await shot(page, '22-transcript-diff')
  }))
