// A person's action is done once (issue 48's third fault): a double click on Create makes one task,
// and a Create whose answer was lost on the way back, clicked again, gets that task instead of a
// second one (the dialog keeps its idempotency key until the server answers); a double click on
// Approve records one approval, and one on "Approve & merge" one merge decision.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LONG, demoPage, explainer } from './browser.mjs'

const ctx = demoPage(before, after)
const explained = explainer(ctx)

async function api(path) {
  return (await fetch(`${ctx.demo.url}/api/v1${path}`)).json()
}

async function total() {
  return (await api('/spec-tasks?limit=1')).total
}

async function taskOf(sample, status) {
  for (;;) {
    const tasks = await api('/spec-tasks')
    const task = tasks.items.find((t) => t.repository.path.endsWith(`/${sample}`) && t.status === status)
    if (task) return task
    await new Promise((ok) => setTimeout(ok, 300))
  }
}

/** Opens the Create dialog on the board with the nodejs-todo demo entry and `prompt`. */
async function createDialog(prompt) {
  const { demo, page } = ctx
  await page.goto(demo.url)
  await page.getByText('Live', { exact: true }).waitFor()
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: /nodejs-todo \(demo/ }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Repository').selectOption({ label: 'nodejs-todo (demo: Node.js, Express)' })
  await dialog.getByLabel('Task description').fill(prompt)
  return dialog
}

test('a double click on Create makes one task; a resend after a lost answer gets the same task', { timeout: 2 * LONG }, async () => {
  await explained(async () => {
    const { page } = ctx
    const before = await total()
    let dialog = await createDialog('Add an audit log\n\nEvery change to a todo is recorded.')
    await dialog.getByRole('button', { name: 'Create SpecTask' }).dblclick()
    await page.getByRole('heading', { name: 'Add an audit log' }).waitFor()
    assert.equal(await total(), before + 1, 'one task from one double click')

    // The answer is lost on the way back: the server made the task, the page saw a broken
    // connection. Clicking again sends the same action: the task made is the answer.
    dialog = await createDialog('Add due dates\n\nTodos may have a due date.')
    let lost = 0
    await page.route('**/api/v1/spec-tasks/from-demo', async (route) => {
      if (lost++ > 0) return route.continue()
      await route.fetch()
      await route.abort('connectionreset')
    })
    const create = dialog.getByRole('button', { name: 'Create SpecTask' })
    await create.click()
    await dialog.getByRole('alert').waitFor()
    assert.equal(await total(), before + 2, 'the lost answer made its task')
    await create.click()
    await page.getByRole('heading', { name: 'Add due dates' }).waitFor()
    assert.equal(lost, 2, 'sent twice')
    assert.equal(await total(), before + 2, 'and made once')
    await page.unroute('**/api/v1/spec-tasks/from-demo')
  })
})

test('a double click on Approve records one approval, and on Approve & merge one merge', { timeout: 3 * LONG }, async () => {
  await explained(async () => {
    const { demo, page } = ctx
    const task = await taskOf('python-api', 'spec_review')
    await page.goto(`${demo.url}/tasks/${task.id}?tab=spec`)
    await page.locator('.line').first().waitFor()
    await page.getByRole('button', { name: 'Approve & start implementation' }).dblclick()
    await page.getByTestId('task-status').filter({ hasText: /implementation/ }).waitFor()
    const reviews = await api(`/spec-tasks/${task.id}/reviews`)
    assert.equal(reviews.filter((r) => r.decision === 'approve').length, 1, JSON.stringify(reviews))

    await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor()
    await page.getByRole('tab', { name: 'Implementation review' }).click()
    await page.getByRole('button', { name: /^Approve/ }).first().dblclick()
    await page.getByTestId('task-status').filter({ hasText: 'done' }).waitFor()
    const report = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/export`)).text()
    assert.equal(report.match(/implementation review: approve/g)?.length ?? 0, 1, report)
  })
})
