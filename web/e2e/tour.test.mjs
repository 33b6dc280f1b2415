// The demo's tour at a pace a person can follow (brisk: a quarter of the human pace, so that the
// test stays short): the pages say the agents are scripted; two approved tasks put two agents on
// the fleet, each with its current plan task highlighted; nodejs-todo's coder asks before it edits
// and is answered from its session's page; a python-api session spawns a child session.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, shot, WEB_HEADERS } from './browser.mjs'

const ctx = demoPage(before, after, { pace: 'brisk' })

/** The demo task of `sample`, once it has reached spec review. */
async function taskInSpecReview(sample) {
  for (;;) {
    const tasks = await (await fetch(`${ctx.demo.url}/api/v1/spec-tasks`)).json()
    const task = tasks.items.find((t) => t.repository.path.endsWith(`/${sample}`))
    if (task?.status === 'spec_review') return task
    assert.ok(!task || ['backlog', 'spec_generation'].includes(task.status), `${sample}: ${task?.status}\n${ctx.demo.log()}`)
    await new Promise((ok) => setTimeout(ok, 500))
  }
}

async function approveSpec(task) {
  const res = await fetch(`${ctx.demo.url}/api/v1/spec-tasks/${task.id}/approve-specs`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
  assert.equal(res.status, 200, await res.text())
}

test('the tour at a followable pace: scripted notice, fleet, a question answered, a spawned child', { timeout: 3 * LONG }, async () => {
  const started = Date.now()
  const { demo, page } = ctx
  const todo = await taskInSpecReview('nodejs-todo')
  const api = await taskInSpecReview('python-api')
  const planning = Date.now() - started
  assert.ok(planning > 3_000, `planning took ${planning} ms: the agents are paced`)

  await page.goto(`${demo.url}/tasks/${todo.id}`)
  await page.getByTestId('scripted-notice').filter({ hasText: 'agents are scripted' }).waitFor()
  await shot(page, '40-demo-task-scripted-notice')
  await page.goto(demo.url)
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByTestId('scripted-notice').waitFor()
  await dialog.getByRole('button', { name: 'Cancel' }).click()

  await approveSpec(todo)
  await approveSpec(api)

  // Two agents at work, each with its current plan task highlighted.
  await page.getByRole('link', { name: 'Fleet' }).click()
  const working = page.locator('.fleet-card').filter({ has: page.locator('[aria-current="step"]') })
  await working.nth(1).waitFor()
  assert.ok((await working.count()) >= 2)
  await shot(page, '41-tour-fleet')

  // nodejs-todo's coder asks before it edits: answered on its session's page.
  await page.goto(`${demo.url}/tasks/${todo.id}?tab=sessions`)
  const tree = page.getByRole('list', { name: 'Session tree' })
  await tree.getByText('running', { exact: true }).first().waitFor()
  await tree.getByRole('listitem').filter({ hasText: 'running' }).first().getByRole('link').first().click()
  const question = page.getByRole('group', { name: /^Permission: Edit / })
  await question.first().waitFor()
  await shot(page, '42-tour-permission')
  await question.first().getByRole('button', { name: 'Allow always' }).click()
  await page.getByRole('list', { name: 'Transcript' }).getByText('permission: always').waitFor()

  // A python-api session spawns a child session.
  await page.goto(`${demo.url}/tasks/${api.id}?tab=sessions`)
  const child = page.getByRole('list', { name: 'Session tree' }).getByRole('listitem').filter({ hasText: 'Pagination edge cases' })
  await child.first().getByText('spawned', { exact: true }).waitFor()
  await shot(page, '43-tour-spawned-child')
  assert.ok(Date.now() - started < 180_000, `the tour took ${Date.now() - started} ms`)
})
