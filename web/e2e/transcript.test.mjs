// A session's transcript follows its agent live: on the page of a running session, what the agent
// says and does appears while it works, without a reload (each append is a `work_session.history`
// event), and the page keeps its scroll position as entries arrive.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LONG, WEB_HEADERS, demoPage, demoTaskOf, explainer, shot } from './browser.mjs'

const ctx = demoPage(before, after, { pace: 'brisk' })

const explained = explainer(ctx)

const taskOf = (sample, status) => demoTaskOf(ctx, sample, status)

test('the transcript of a running session grows live, its scroll position kept', { timeout: 2 * LONG }, () =>
  explained(async () => {
    const { demo, page } = ctx
    const task = await taskOf('react-dashboard', 'spec_review')
    const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
    assert.equal(approved.status, 200, await approved.text())
    await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
    const tree = page.getByRole('list', { name: 'Session tree' })
    await tree.getByRole('listitem').filter({ hasText: 'running' }).first().getByRole('link').first().click()
    const status = page.getByTestId('session-status')
    await status.filter({ hasText: 'running' }).waitFor()
    const transcript = page.getByRole('list', { name: 'Transcript' })
    await transcript.getByRole('listitem').first().waitFor()
    const before = await transcript.getByRole('listitem').count()

    // Scrolled down a little: new entries must not move what the person reads.
    await page.evaluate(() => window.scrollTo(0, 120))
    const scrolled = await page.evaluate(() => window.scrollY)

    // The agent says which file it writes, then works on it for a while: the message is on the
    // page while the session still runs.
    await transcript.getByText(/^Writing \S+\.$/).first().waitFor()
    assert.match(await status.innerText(), /running/, 'the message came while the session ran')
    const grown = await transcript.getByRole('listitem').count()
    assert.ok(grown > before, `the transcript grew without a reload: ${before} → ${grown}`)
    assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the page stayed where the person had scrolled')
    await shot(page, '23-transcript-live')
  }))
