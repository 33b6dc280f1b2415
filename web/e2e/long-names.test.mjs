// Long names cannot break a layout (issue 48's fourth fault): a task titled with 500 unbroken
// characters, whose agent waits for a person, and a session spawned with a 500-character name are
// shown on every screen (the board, the task's sessions, the session, the fleet, the inbox and the
// notifications panel) without the page scrolling sideways or anything spilling out of its box, at
// 1440 and at 1024 px; the names are cut with an ellipsis, the whole of them on hover.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LONG, WEB_HEADERS, demoPage, explainer, shotScreen } from './browser.mjs'

const ctx = demoPage(before, after, { askPermission: true })
const explained = explainer(ctx)

const TITLE = `Unbroken${'T'.repeat(492)}`
const SESSION = `Spawned${'S'.repeat(493)}`

async function api(method, path, body) {
  const res = await fetch(`${ctx.demo.url}/api/v1${path}`, { method, headers: WEB_HEADERS, body: body && JSON.stringify(body) })
  const text = await res.text()
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`)
  return JSON.parse(text)
}

async function until(read, ok) {
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    await new Promise((done) => setTimeout(done, 250))
  }
}

/** Whether the page scrolls sideways now (its width against the window's). */
function sideways(page) {
  return page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: innerWidth }))
}

test('500-character names keep every screen within the window at 1440 and 1024 px', { timeout: 5 * LONG }, async () => {
  await explained(async () => {
    const { demo, page } = ctx
    const repos = await api('GET', '/repos')
    const todo = repos.find((r) => r.path.endsWith('/nodejs-todo'))
    const task = await api('POST', '/spec-tasks/from-prompt', { prompt: 'Add JWT\n\nWith a long title.', title: TITLE, repo: todo.path })
    assert.equal(task.title, TITLE)
    await until(() => api('GET', `/spec-tasks/${task.id}`), (t) => t.status === 'spec_review')
    await api('POST', `/spec-tasks/${task.id}/approve-specs`, {})
    // Its coder asks before it runs the tests: the task stays in implementation, its agent waiting.
    const sessions = await until(
      () => api('GET', `/spec-tasks/${task.id}/work-sessions`),
      (list) => list.some((s) => s.status === 'running'),
    )
    const running = sessions.find((s) => s.status === 'running')
    const child = await api('POST', `/work-sessions/${running.id}/spawn`, { name: SESSION, description: 'A long name.' })
    assert.equal(child.name, SESSION)
    await until(() => api('GET', '/attention'), (list) => list.items.some((a) => a.spec_task_id === task.id && a.kind === 'permission'))

    const screens = [
      ['board', '/', page.locator('.card').filter({ hasText: 'Unbroken' })],
      ['task-sessions', `/tasks/${task.id}?tab=sessions`, page.getByRole('link', { name: SESSION })],
      ['session', `/sessions/${child.id}`, page.getByRole('heading', { level: 1 })],
      ['fleet', '/fleet', page.locator('.fleet-card, article').filter({ hasText: 'Unbroken' }).first()],
      ['inbox', '/inbox', page.getByText(/^Unbroken/).first()],
    ]
    for (const [name, path, shown] of screens) {
      await page.goto(`${demo.url}${path}`)
      await shown.waitFor()
      await shotScreen(page, `long-names-${name}`)
    }
    // The notifications panel, open over the board.
    await page.goto(demo.url)
    await page.locator('.card').filter({ hasText: 'Unbroken' }).waitFor()
    await page.locator('.notifications-menu summary').click()
    await page.locator('.notifications-list li').filter({ hasText: 'Unbroken' }).first().waitFor()
    for (const width of [1440, 1024]) {
      await page.setViewportSize({ width, height: 900 })
      const wide = await sideways(page)
      assert.ok(wide.scroll <= wide.view, `the open notifications panel scrolls the page sideways at ${width} px: ${JSON.stringify(wide)}`)
    }
    await page.setViewportSize({ width: 1440, height: 900 })

    // The task page's heading and the session's link are cut with an ellipsis and named in full on hover.
    await page.goto(`${demo.url}/tasks/${task.id}?tab=sessions`)
    const link = page.getByRole('link', { name: SESSION })
    await link.waitFor()
    const cut = await link.evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, ellipsis: getComputedStyle(el).textOverflow, title: el.title }))
    assert.deepEqual(cut, { cut: true, ellipsis: 'ellipsis', title: SESSION })
  })
})
