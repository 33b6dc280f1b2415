// The implementation review's decision: Reject, Request changes and Approve & merge stay in reach
// at the foot of the screen wherever the person has scrolled; a changes request is kept as an
// earlier review round, its time relative to now and kept current (exact on hover); the exported
// report of the merged task says what its records say; Reject ends the task.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { WEB_HEADERS, demoPage, demoTaskOf, explainer, onScreen, shot } from './browser.mjs'

const ctx = demoPage(before, after)

const explained = explainer(ctx)

const taskOf = (sample, status) => demoTaskOf(ctx, sample, status)

/** The demo task of `sample` with its spec approved, once its implementation is ready for review. */
async function inImplementationReview(sample) {
  const task = await taskOf(sample, 'spec_review')
  const approved = await fetch(`${ctx.demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
  assert.equal(approved.status, 200, await approved.text())
  return taskOf(sample, 'implementation_review')
}

const DECISIONS = ['Reject', 'Request changes', 'Approve & merge']

async function assertDecisionsInReach(page, where) {
  const bar = page.getByRole('region', { name: 'Decision' })
  for (const name of DECISIONS) {
    assert.ok(await onScreen(bar.getByRole('button', { name, exact: true })), `${name} is in reach ${where}`)
  }
}

test('the decision stays in reach; a changes request is an earlier round; the report of the merged task', () =>
  explained(async () => {
    const { demo, page } = ctx
    const task = await inImplementationReview('python-api')
    await page.clock.install()
    await page.goto(`${demo.url}/tasks/${task.id}?tab=review`)
    await page.getByRole('region', { name: 'Commits' }).waitFor()
    await assertDecisionsInReach(page, 'at the top of the review')
    const height = await page.evaluate(() => document.documentElement.scrollHeight - innerHeight)
    assert.ok(height > 300, `the review is longer than the screen (${height}px to scroll)`)
    for (const y of [height / 2, height]) {
      await page.evaluate((top) => window.scrollTo(0, top), y)
      await assertDecisionsInReach(page, `scrolled to ${Math.round(y)}px`)
    }
    await shot(page, '24-review-decision-in-reach')

    await page.getByLabel('Review comments').fill('Reject a negative limit too.')
    await page.getByRole('button', { name: 'Request changes' }).click()
    // Back to implementation for a follow-up session, then in review again.
    await page.getByTestId('task-status').filter({ hasNotText: 'implementation review' }).waitFor()
    await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor()
    const rounds = page.getByRole('region', { name: 'Earlier review rounds' })
    const round = rounds.getByRole('listitem').filter({ hasText: 'request changes' })
    await round.getByText('Reject a negative limit too.').waitFor()
    const time = round.locator('time')
    assert.equal(await time.innerText(), 'just now')
    const exact = await time.getAttribute('title')
    assert.equal(exact, new Date(await time.getAttribute('datetime')).toLocaleString(), 'the exact time on hover')
    // Time passes: the relative time follows without a reload.
    await page.clock.fastForward('03:00')
    await time.filter({ hasText: '3 min ago' }).waitFor()
    await shot(page, '25-review-rounds')

    await page.getByRole('button', { name: 'Approve & merge' }).click()
    await page.getByTestId('task-status').filter({ hasText: 'done' }).waitFor()
    await page.getByRole('tab', { name: 'Sessions' }).click()
    const href = await page.getByRole('link', { name: 'Export report' }).getAttribute('href')
    const report = await (await page.request.get(new URL(href, demo.url).href)).text()
    assert.doesNotMatch(report, /\(pending\)/, 'a done task has no pending plan task')
    assert.doesNotMatch(report, /\n## Commit/, 'no commit heading at the level of the sections')
    const sessions = report.split('\n### ').slice(1).map((s) => s.split('\n## ')[0])
    const planned = sessions.filter((s) => /^\[\d+\] /.test(s))
    assert.ok(planned.length >= 2, `the report names the plan's sessions:\n${report}`)
    for (const section of planned) {
      assert.match(section, /\n#### Commit /, `a session's commit is under its own heading:\n${section}`)
    }
  }))

test('Reject ends the task after a confirmation', () =>
  explained(async () => {
    const { demo, page } = ctx
    const task = await inImplementationReview('nodejs-todo')
    await page.goto(`${demo.url}/tasks/${task.id}?tab=review`)
    await page.getByRole('button', { name: 'Reject', exact: true }).click()
    const confirm = page.getByRole('dialog', { name: 'Reject this implementation?' })
    await confirm.getByRole('button', { name: 'Keep reviewing' }).click()
    await confirm.waitFor({ state: 'hidden' })
    await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor()
    await page.getByRole('button', { name: 'Reject', exact: true }).click()
    await confirm.getByRole('button', { name: 'Reject' }).click()
    await page.getByTestId('task-status').filter({ hasText: 'cancelled' }).waitFor()
    await page.goto(demo.url)
    const ended = page.getByRole('region', { name: /^Failed, rejected or cancelled/ })
    await ended.locator('.card').filter({ hasText: task.title }).waitFor()
  }))
