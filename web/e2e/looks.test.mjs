// The dashboard's finish: the plan graph draws its edges; states are icons and times relative
// (exact on hover); code in spec documents and transcript messages is syntax-highlighted, and
// the review's and the transcript's diffs are coloured and highlighted; progress.md reads without
// literal `[~]` markers and names what is in progress; the session page stops, resumes and
// replies. Every main screen, the Spawn dialog and a review task's report are captured in light
// and dark at 1440 and 1024 px (target/e2e-screenshots/screens/; the login screen in
// login.test.mjs).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LONG, RUNNING, WEB_HEADERS, demoPage, shot, shotScreen, todoTaskWithARunningSession } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })

/** Whether the code in `locator` is coloured: some highlighted token's colour differs from the code's own. */
function colouredTokens(locator) {
  return locator.evaluate((code) => {
    const own = getComputedStyle(code).color
    return [...code.querySelectorAll('[class^="hljs-"]')].some((token) => getComputedStyle(token).color !== own)
  })
}

/** The background of `row` and of a context row beside it, as painted. */
function backgrounds(row, context) {
  return Promise.all([row, context].map((l) => l.evaluate((el) => getComputedStyle(el).backgroundColor)))
}

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

test('a code block in a spec document is highlighted', { timeout: LONG }, async () => {
  const { demo, page } = ctx
  const task = await taskOf('python-api', 'spec_review')
  await page.goto(`${demo.url}/tasks/${task.id}?tab=spec&doc=design&view=rendered`)
  const block = page.locator('.review-doc .markdown pre code.language-python')
  await block.locator('.hljs-keyword').first().waitFor()
  assert.equal(await block.locator('.hljs-keyword').first().innerText(), 'class')
  assert.ok(await colouredTokens(block), 'the highlighted tokens have colours of their own')
})

test('the review highlights code; sessions show icons and times relative to now', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const task = await taskOf('python-api', 'spec_review')
  const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
  assert.equal(approved.status, 200)
  await taskOf('python-api', 'implementation_review')
  await page.goto(`${demo.url}/tasks/${task.id}?tab=review`)
  await page.locator('.hunk .hljs-keyword').first().waitFor()
  // Added lines are coloured apart from the lines around them, and the code in them highlighted.
  const [added, context] = await backgrounds(page.locator('.hunk tr.diff-line.added').first(), page.locator('.hunk tr.diff-line.context').first())
  assert.notEqual(added, context, 'an added line is coloured apart from its context')
  assert.ok(await colouredTokens(page.locator('.hunk .line-code').filter({ has: page.locator('.hljs-keyword') }).first()))
  await shot(page, '45-review-highlighted')

  await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
  const tree = page.getByRole('list', { name: 'Session tree' })
  await tree.locator('svg.lucide.icon-completed').first().waitFor()
  const time = page.getByRole('tabpanel').locator('time[title]').first()
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

// Runs while the nodejs-todo task's "Add the auth routes" session waits for permission (the test
// above), so that the fleet, the task's sessions and the session page have something live.
test('every main screen, in light and dark, at 1440 and 1024 px', { timeout: 3 * LONG }, async () => {
  const { demo, page } = ctx
  const todo = await taskOf('nodejs-todo', 'implementation')
  await page.goto(demo.url)
  await page.locator('.card').first().waitFor()
  await shotScreen(page, 'board')

  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: /nodejs-todo \(demo/ }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Task description').fill('Add an audit log\n\nEvery change to a todo is recorded.')
  await dialog.getByText('Budget', { exact: true }).click()
  await page.mouse.move(0, 0)
  await shotScreen(page, 'create-dialog', { fullPage: false })
  await dialog.getByRole('button', { name: 'Discard draft' }).click()
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await dialog.waitFor({ state: 'hidden' })

  const spec = await taskOf('react-dashboard', 'spec_review')
  await page.goto(`${demo.url}/tasks/${spec.id}?tab=spec`)
  await page.locator('.line').first().waitFor()
  await shotScreen(page, 'spec-review')

  await page.goto(`${demo.url}/tasks/${todo.id}?tab=sessions`)
  const tree = page.getByRole('list', { name: 'Session tree' })
  await tree.getByText(/Add the auth routes/).waitFor()
  await shotScreen(page, 'task-sessions')

  await tree.getByRole('button', { name: /^Spawn a session from .*Add the auth routes/ }).click()
  const spawn = page.getByRole('dialog', { name: 'Spawn a work session' })
  await spawn.getByRole('group', { name: 'Suggestions' }).getByRole('button', { name: 'Tests' }).click()
  await page.mouse.move(0, 0)
  await shotScreen(page, 'spawn-dialog', { fullPage: false })
  await spawn.getByRole('button', { name: 'Discard draft' }).click()
  await spawn.getByRole('button', { name: 'Cancel' }).click()
  await spawn.waitFor({ state: 'hidden' })

  await tree.getByRole('link', { name: /Add the auth routes/ }).click()
  await page.getByRole('group', { name: /Permission: Run the tests/ }).waitFor()
  await shotScreen(page, 'session')

  await page.goto(`${demo.url}/tasks/${todo.id}/design-docs`)
  await page.getByRole('navigation', { name: 'Files on the design-docs branch' }).waitFor()
  await page.locator('.review-doc .markdown').waitFor()
  await shotScreen(page, 'specs-in-git')
  // A session's record on the same branch: the coordination log, once the recorder committed it
  // (the page reads the branch when it opens).
  const log = page.getByRole('navigation', { name: 'Files on the design-docs branch' }).getByRole('button', { name: 'coordination-log.md' })
  for (let tries = 0; (await log.count()) === 0; tries++) {
    assert.ok(tries < 600, `no coordination-log.md on the design-docs branch:\n${await page.locator('main').innerText()}`)
    await page.reload()
    await page.locator('.review-doc .markdown').waitFor()
  }
  // Session folders are named by their sessions, not by their ids.
  const files = page.getByRole('navigation', { name: 'Files on the design-docs branch' })
  assert.doesNotMatch(await files.innerText(), /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/)
  await log.click()
  await page.getByRole('heading', { name: /coordination-log\.md$/ }).waitFor()
  // Its entries show, not the markers that delimit them for recovery.
  const record = page.locator('.review-doc .markdown')
  await record.getByText(/session started/).first().waitFor()
  assert.doesNotMatch(await record.innerText(), /spectask-history/)
  await shotScreen(page, 'design-docs-session-file')

  await page.goto(`${demo.url}/fleet`)
  // A plan task at work, or one whose session waits for a person.
  await page.locator('.fleet-card :is([aria-current="step"], .plan-waiting)').first().waitFor()
  await shotScreen(page, 'fleet')

  const python = await taskOf('python-api', 'implementation_review')
  await page.goto(`${demo.url}/tasks/${python.id}?tab=review`)
  await page.locator('.hunk .hljs-keyword').first().waitFor()
  await shotScreen(page, 'implementation-review')

  // The review sample's task: its agent's report, each finding at its file and line.
  const review = await taskOf('python-refunds', 'done')
  await page.goto(`${demo.url}/tasks/${review.id}`)
  await page.getByRole('region', { name: 'Review report' }).getByTestId('finding-location').first().waitFor()
  await shotScreen(page, 'review-task-report')
})

test('the session page stops and resumes its agent', { timeout: 2 * LONG }, async () => {
  const { demo, page } = ctx
  const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
  const task = tasks.items.find((t) => t.repository.path.endsWith('/nodejs-todo'))
  await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
  await page.getByRole('list', { name: 'Session tree' }).getByRole('link', { name: /Add the auth routes/ }).click()
  await page.getByTestId('session-status').filter({ hasText: RUNNING }).waitFor()
  await page.getByTestId('scripted-notice').waitFor()
  // Its code changes in the transcript are highlighted as JavaScript.
  await page.locator('.transcript .language-diff .diff-added .hljs-keyword').first().waitFor()
  const diff = page.locator('.transcript .language-diff').filter({ has: page.locator('.diff-context') }).first()
  const [added, context] = await backgrounds(diff.locator('.diff-added').first(), diff.locator('.diff-context').first())
  assert.notEqual(added, context, 'an added line of the transcript is coloured apart from its context')
  await page.getByRole('region', { name: 'Session controls' }).getByRole('button', { name: 'Stop agent' }).click()
  await page.getByRole('dialog', { name: "Stop this session's agent?" }).getByRole('button', { name: 'Stop agent' }).click()
  await page.getByTestId('session-status').filter({ hasText: 'interrupted' }).waitFor()
  await shot(page, '48-session-stopped')
  await page.getByRole('button', { name: 'Resume' }).click()
  await page.getByTestId('session-status').filter({ hasText: RUNNING }).waitFor()
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
  const code = ['```python', 'def summary(items):', '    return len(items)', '```'].join('\n')
  await reply.getByLabel('Reply to the agent').fill(`Also add a summary at the top, like this:\n\n${code}`)
  await reply.getByRole('button', { name: 'Send' }).click()
  await reply.getByText('Queued: the agent reads it at its next turn.').waitFor()
  // The reply reaches the transcript as a message, its code block highlighted. No live event
  // says that a message was recorded (only plan, status and permission events refresh a
  // transcript), so the page is read again once the server has it.
  const session = new URL(page.url()).pathname.split('/').pop()
  for (let i = 0; i < 600; i++) {
    const history = await (await fetch(`${demo.url}/api/v1/work-sessions/${session}/history`)).json()
    if (history.entries.some((e) => e.content.includes('def summary(items)'))) break
    await new Promise((ok) => setTimeout(ok, 300))
  }
  await page.reload()
  const block = page.getByRole('list', { name: 'Transcript' }).locator('.markdown pre code.language-python')
  await block.locator('.hljs-keyword').first().waitFor()
  assert.equal(await block.locator('.hljs-keyword').first().innerText(), 'def')
  assert.ok(await colouredTokens(block), 'the highlighted tokens have colours of their own')
  await shot(page, '49-session-reply')
})
