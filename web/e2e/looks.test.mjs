// The dashboard's finish: the plan graph draws its edges; states are icons and times relative
// (exact on hover); the review's and the transcript's diffs are syntax-highlighted; progress.md reads without literal
// `[~]` markers and names what is in progress; the session page stops, resumes and replies.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, shot, todoTaskWithARunningSession, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })

async function taskOf(sample, status) {
  for (;;) {
    const tasks = await (await fetch(`${ctx.demo.url}/api/v1/spec-tasks`)).json()
    const task = tasks.items.find((t) => t.repository.path.endsWith(`/${sample}`))
    if (task?.status === status) return task
    await new Promise((ok) => setTimeout(ok, 300))
  }
}

test('the plan graph draws an arrow from each prerequisite to what waits for it', { timeout: LONG }, async () => {
  const { demo, page } = ctx
  const task = await taskOf('python-api', 'spec_review')
  await page.goto(`${demo.url}/tasks/${task.id}?tab=spec&doc=tasks`)
  const edges = page.getByTestId('plan-edges').locator('path[data-edge]')
  await edges.first().waitFor({ state: 'attached' })
  const named = await edges.evaluateAll((paths) => paths.map((p) => p.dataset.edge).sort())
  assert.deepEqual(named, ['1->3', '2->3'])
  const box = await edges.first().evaluate((p) => ({ width: p.getBBox().width, height: p.getBBox().height }))
  assert.ok(box.width > 10, `the arrow spans the gap between columns: ${JSON.stringify(box)}`)
  await shot(page, '44-plan-graph-edges')
})

test('the review highlights code; sessions show icons and times relative to now', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const task = await taskOf('python-api', 'spec_review')
  const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
  assert.equal(approved.status, 200)
  await taskOf('python-api', 'implementation_review')
  await page.goto(`${demo.url}/tasks/${task.id}?tab=review`)
  await page.locator('.hunk .hljs-keyword').first().waitFor()
  await shot(page, '45-review-highlighted')

  await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
  const tree = page.getByRole('list', { name: 'Session tree' })
  await tree.locator('svg.lucide.icon-completed').first().waitFor()
  const time = page.locator('time[title]').first()
  await time.waitFor()
  assert.match(await time.innerText(), /^(just now|\d+ (min|h) ago)$/)
  assert.ok(Date.parse(await time.getAttribute('datetime')) > 0)
  await shot(page, '46-sessions-icons-times')
})

test('progress.md shows what is in progress without literal markers', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const { task } = await todoTaskWithARunningSession(ctx)
  await page.goto(`${demo.url}/tasks/${task.id}/design-docs`)
  const files = page.getByRole('navigation', { name: 'Files on the design-docs branch' })
  await files.getByRole('button', { name: 'progress.md', exact: true }).click()
  const doc = page.locator('.markdown').filter({ hasText: 'Current Task' })
  await doc.filter({ hasText: 'Current Task: 3 Add the auth routes' }).waitFor({ timeout: 30_000 }).catch(async () => {
    // The tick may land after the page read the branch: read it again.
    await page.reload()
    await files.getByRole('button', { name: 'progress.md', exact: true }).click()
    await doc.filter({ hasText: 'Current Task: 3 Add the auth routes' }).waitFor()
  })
  const text = await doc.innerText()
  assert.doesNotMatch(text, /\[~\]|\[-\]/)
  assert.match(text, /in progress/)
  await shot(page, '47-progress-md')
})

test('the session page stops and resumes its agent', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
  const task = tasks.items.find((t) => t.repository.path.endsWith('/nodejs-todo'))
  await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
  await page.getByRole('list', { name: 'Session tree' }).getByRole('link', { name: /Add the auth routes/ }).click()
  await page.getByTestId('session-status').filter({ hasText: 'running' }).waitFor()
  await page.getByTestId('scripted-notice').waitFor()
  // Its code changes in the transcript are highlighted as JavaScript.
  await page.locator('.transcript .language-diff .diff-added .hljs-keyword').first().waitFor()
  await page.getByRole('region', { name: 'Session controls' }).getByRole('button', { name: 'Stop agent' }).click()
  await page.getByRole('dialog', { name: "Stop this session's agent?" }).getByRole('button', { name: 'Stop agent' }).click()
  await page.getByTestId('session-status').filter({ hasText: 'interrupted' }).waitFor()
  await shot(page, '48-session-stopped')
  await page.getByRole('button', { name: 'Resume' }).click()
  await page.getByTestId('session-status').filter({ hasText: 'running' }).waitFor()
})

test('the main session of an interactive task takes a reply from its page', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
  const repo = tasks.items.find((t) => t.repository.path.endsWith('/linkedin-outreach')).repository
  const created = await fetch(`${demo.url}/api/v1/spec-tasks/from-prompt`, {
    method: 'POST',
    headers: WEB_HEADERS,
    body: JSON.stringify({ prompt: 'Talk it through\n\nAn interactive session.', repo: repo.path, kind: 'interactive' }),
  })
  const body = await created.text()
  assert.equal(created.status, 201, body)
  const task = JSON.parse(body)
  await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
  await page.getByRole('list', { name: 'Session tree' }).getByRole('link').first().click()
  const reply = page.getByRole('form', { name: 'Reply to the agent' })
  await reply.getByLabel('Reply to the agent').fill('Also add a summary at the top.')
  await reply.getByRole('button', { name: 'Send' }).click()
  await reply.getByText('Queued: the agent reads it at its next turn.').waitFor()
  await shot(page, '49-session-reply')
})
