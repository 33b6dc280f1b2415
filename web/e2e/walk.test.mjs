// A person's walk through the dashboard against the real binary: create a SpecTask in the dialog,
// review its spec (comment on a line, request changes), approve v2, watch the implementation and
// watch the sessions on the multi-session and fleet dashboards, answer the coding agent's permission
// request in the session's transcript, read the implementation review (criteria, commits, diff),
// ask for changes once and approve the implementation to merged. Screenshots of
// every screen go to target/e2e-screenshots/.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, shot, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })

async function status() {
  return ctx.page.getByTestId('task-status').innerText()
}

async function waitForStatus(text) {
  try {
    await ctx.page.getByTestId('task-status').filter({ hasText: text }).waitFor()
  } catch (err) {
    throw new Error(`task never reached ${text} (at ${await status()}):\n${await ctx.page.locator('main').innerText()}\n${ctx.demo.log()}`, { cause: err })
  }
}

test('create, review, revise, approve, implement and merge in the browser', { timeout: 10 * LONG }, async () => {
  const { demo, page } = ctx
  await page.goto(demo.url)
  await page.getByText('Live', { exact: true }).waitFor()
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: /nodejs-todo \(demo/ }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Repository').selectOption({ label: 'python-api (demo: Python, FastAPI)' })
  await dialog.getByTestId('demo-hint').filter({ hasText: 'python3 -m unittest' }).waitFor()
  await dialog.getByLabel('Repository').selectOption({ label: 'nodejs-todo (demo: Node.js, Express)' })
  await dialog.getByLabel('Task description').fill('Add user authentication with JWT\n\nUsers log in; todo routes need a token.')
  await shot(page, '01-create-dialog', { wide: true })
  await dialog.getByRole('button', { name: 'Create SpecTask' }).click()

  await page.getByRole('heading', { name: 'Add user authentication with JWT' }).waitFor()
  await waitForStatus('spec review')
  await page.getByRole('tab', { name: 'Tasks' }).click()
  await page.locator('.line').first().waitFor()
  const graph = page.getByRole('figure', { name: 'Plan dependency graph' })
  await graph.getByRole('list', { name: 'Step 1' }).getByText('Add token issuing and checking').waitFor()
  await graph.getByRole('list', { name: 'Step 2' }).getByText(/Add the auth routes/).waitFor()
  await shot(page, '02-spec-review-tasks', { wide: true })
  // The documents' tabs by keyboard: Home moves to Requirements, and it is the one focused.
  await page.getByRole('tab', { name: 'Tasks' }).press('Home')
  await page.getByRole('tab', { name: 'Requirements', selected: true }).waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Requirements')
  await page.locator('.ears-tag').first().waitFor()
  await page.getByRole('button', { name: 'Comment on line 3', exact: true }).click()
  await page.getByRole('textbox', { name: 'Your comment on line 3' }).fill('Name the token lifetime.')
  await page.getByRole('button', { name: 'Add comment' }).click()
  await page.getByText('Your comment: Name the token lifetime.').waitFor()
  await shot(page, '03-line-comment')
  await page.getByRole('button', { name: 'Request changes' }).click()

  await page.getByRole('option', { name: 'v2 (latest)', includeHidden: true }).waitFor({ state: 'attached' })
  await waitForStatus('spec review')
  await page.getByText('request changes', { exact: true }).first().waitFor()
  await page.getByRole('button', { name: /Diff v1→v2/ }).click()
  await shot(page, '04-spec-v2-diff')
  await page.getByRole('button', { name: 'Approve & start implementation' }).click()

  // Implementation: the first two plan tasks finish, the third waits for a person's permission.
  await waitForStatus('implementation')
  // The phase change is announced, not acted on: the spec stays on screen until the person opens the sessions.
  await page.getByRole('tab', { name: 'Specification', selected: true }).waitFor()
  await page.getByText('Implementation has started').waitFor()
  await page.getByRole('button', { name: 'open it' }).click()
  await page.getByRole('tab', { name: 'Sessions', selected: true }).waitFor()
  const taskUrl = page.url()
  assert.match(taskUrl, /[?&]tab=sessions\b/)
  await page.getByTestId('plan-counts').filter({ hasText: '2/3 complete' }).waitFor()
  await page.getByRole('list', { name: 'Session tree' }).getByText(/Add the auth routes/).waitFor()
  const zed = await page.getByRole('link', { name: 'Open in Zed' }).getAttribute('href')
  assert.match(zed, /^zed:\/\/file\/.*\/nodejs-todo\/\.git-worktrees\/[0-9a-f]{8}-add-user-authentication/)
  await page.getByRole('button', { name: 'Stop agent' }).waitFor()
  const report = await page.getByRole('link', { name: 'Export report' }).getAttribute('href')
  const exported = await page.request.get(new URL(report, demo.url).href)
  assert.equal(exported.status(), 200)
  assert.match(await exported.text(), /Add user authentication with JWT/)
  await shot(page, '05-multi-session-dashboard', { wide: true })
  await page.getByRole('link', { name: 'View specs in git' }).click()
  const files = page.getByRole('navigation', { name: 'Files on the design-docs branch' })
  const requirementsPath = /^specs\/[0-9a-f]{8}-add-user-authentication[^/]*\/requirements\.md$/
  await files.getByRole('button', { name: 'requirements.md', exact: true }).click()
  await page.getByRole('heading', { name: requirementsPath }).waitFor()
  await page.getByRole('heading', { name: 'Requirement 1: Registration and login' }).waitFor()
  assert.match(await page.getByTestId('docs-commit').innerText(), /Branch\s+helix-design-docs\s+at\s+[0-9a-f]{7}/)
  await files.getByRole('region', { name: /^sessions\// }).getByRole('button', { name: 'coordination-log.md' }).waitFor()
  await shot(page, '05b-specs-in-git')
  await page.goto(taskUrl)

  await page.getByRole('link', { name: 'Fleet' }).click()
  // Its agent waits for a person: the card says so in the attention colour, and the plan task is
  // not highlighted as at work.
  const waiting = page.locator('.fleet-card.waiting .plan-waiting')
  await waiting.filter({ hasText: 'Add the auth routes' }).waitFor()
  assert.equal(await page.locator('.fleet-card [aria-current="step"]').count(), 0, 'nothing shown at work')
  await page.locator('.fleet-card').getByText('Waiting for you').first().waitFor()
  assert.equal(await page.locator('.fleet-card .plan-before').count(), 2, 'the two done plan tasks before it')
  await shot(page, '06-fleet', { wide: true })

  await page.goto(taskUrl)
  await page.getByRole('list', { name: 'Session tree' }).getByRole('link', { name: /Add the auth routes/ }).click()
  // The question is answered in the transcript, under the line that asked it; the page's head links there.
  const asked = page.getByRole('list', { name: 'Transcript' }).getByRole('listitem').filter({ hasText: /permission asked: Run the tests/ })
  const ask = asked.getByRole('group', { name: /Permission: Run the tests/ })
  await ask.waitFor()
  await page.getByTestId('waiting-for-you').getByRole('link', { name: /Run the tests/ }).click()
  assert.ok(await ask.evaluate((el) => el === document.activeElement || location.hash === `#${el.id}`), 'the link leads to the question')
  await shot(page, '07-session-permission')
  await ask.getByRole('button', { name: 'Allow once' }).click()
  await page.getByTestId('session-status').filter({ hasText: 'completed' }).waitFor()
  await page.getByRole('list', { name: 'Transcript' }).getByText('permission: allow').waitFor()
  await shot(page, '08-session-transcript', { wide: true })

  // The implementation review: each criterion with its plan tasks and commits, the commits with
  // their trailers, the branch's diff; a changes request goes to a follow-up session, then merge.
  await page.goto(taskUrl)
  await waitForStatus('implementation review')
  await page.getByRole('tab', { name: 'Implementation review' }).click()
  const criteria = page.getByRole('table', { name: 'Acceptance criteria and what implements them' })
  const planTasksOf = (id) => criteria.getByTestId(`criterion-${id}`).getByRole('cell').first()
  await planTasksOf('1.1').getByText('Add the user store with salted password hashes').waitFor()
  // The demo set the sample's own tests as the repository's check: every session ran them.
  await criteria.getByTestId('criterion-1.1').filter({ hasText: 'implemented, checks pass' }).waitFor()
  // Each check is shown once, under its session; a criterion links to its sessions' checks.
  const checked = criteria.getByTestId('criterion-1.1').getByRole('link', { name: /: its latest check passed$/ }).first()
  const anchor = await checked.getAttribute('href')
  const checks = page.getByRole('region', { name: 'Sessions and checks' })
  await checks.locator(anchor).getByText('node --test test/').first().waitFor()
  assert.equal(await criteria.getByText('node --test test/').count(), 0, 'the criteria name no check command')
  const commitLink = /^[0-9a-f]{7}$/
  for (const id of ['1.1', '1.2', '1.3', '2.1', '2.2']) {
    const row = criteria.getByTestId(`criterion-${id}`)
    assert.ok((await row.getByRole('link', { name: commitLink }).count()) >= 1, `criterion ${id} has a commit:\n${await row.innerText()}`)
  }
  const commits = page.getByRole('region', { name: 'Commits' })
  assert.equal(await commits.getByRole('listitem').count(), 3, await commits.innerText())
  await commits.getByRole('definition').filter({ hasText: /^1\.1, 1\.3$/ }).waitFor()
  await commits.getByRole('term').filter({ hasText: 'Work-Session' }).first().waitFor()
  const users = page.getByRole('table', { name: /^src\/auth\/users\.js, @@ -0,0 \+1,\d+ @@/ })
  await users.getByRole('cell', { name: 'added: function register(email, password) {' }).waitFor()
  await users.getByRole('cell', { name: 'new line 11' }).waitFor()
  assert.match(await page.getByTestId('review-totals').innerText(), /3 commits · 7 files changed · \+\d+ −\d+/)
  await shot(page, '09-implementation-review', { wide: true })
  await criteria.getByTestId('criterion-2.1').getByRole('link', { name: commitLink }).first().click()
  assert.match(page.url(), /#commit-[0-9a-f]{40}$/)
  assert.ok(await page.getByRole('button', { name: 'Request changes' }).isDisabled(), 'a changes request needs comments')
  await page.getByLabel('Review comments').fill('Log failed logins too.')
  await page.getByRole('button', { name: 'Request changes' }).click()
  await waitForStatus('implementation review')
  await page.getByRole('region', { name: 'Sessions and checks' }).getByRole('link', { name: 'Address review comments' }).waitFor()
  await shot(page, '09b-implementation-review-round-2')
  await page.getByRole('button', { name: 'Approve & merge' }).click()
  await waitForStatus('done')
  await shot(page, '10-done')

  await page.getByRole('link', { name: 'Board' }).first().click()
  const done = page.locator('[data-phase="done"]')
  await done.getByText('Add user authentication with JWT').waitFor()
  await done.getByRole('progressbar', { name: /plan done/ }).and(page.locator('[aria-valuenow="100"]')).waitFor()
  await shot(page, '11-board', { wide: true })
  assert.ok((await done.locator('.card').count()) >= 1)
})

test('markdown from agents and people renders inert (script, onerror, javascript: links, raw HTML)', async () => {
  const { demo, page } = ctx
  const repos = await (await fetch(`${demo.url}/api/v1/repos`)).json()
  const prompt = [
    'XSS fixture',
    '',
    '<script>window.__xss = "script"</script>',
    '<img src="x" onerror="window.__xss = \'onerror\'">',
    'A [click me](javascript:window.__xss="link") link and ![pic](javascript:1) an image.',
    '<a href="javascript:window.__xss=1">raw link</a> <iframe src="javascript:alert(1)"></iframe>',
  ].join('\n\n')
  const created = await fetch(`${demo.url}/api/v1/spec-tasks/from-prompt`, {
    method: 'POST',
    headers: WEB_HEADERS,
    body: JSON.stringify({ prompt, repo: repos[0].path, title: 'XSS fixture' }),
  })
  const body = await created.text()
  assert.equal(created.status, 201, body)
  const task = JSON.parse(body)
  let dialogs = 0
  page.on('dialog', (d) => {
    dialogs++
    void d.dismiss()
  })
  await page.goto(`${demo.url}/tasks/${task.id}`)
  await page.getByText('Prompt', { exact: true }).click()
  const md = page.locator('details .markdown')
  await md.getByRole('link', { name: 'click me' }).waitFor()
  await page.waitForTimeout(500)
  await shot(page, '12-xss-fixture')
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no script ran')
  assert.equal(dialogs, 0)
  assert.equal(await md.locator('script, iframe, img[onerror], [onerror]').count(), 0)
  const hrefs = await md.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''))
  assert.ok(hrefs.every((h) => !/^\s*javascript:/i.test(h)), `hrefs: ${hrefs}`)
})
