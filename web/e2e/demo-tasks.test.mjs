// A task a person makes in the demo works (issue 48's second fault): the Create dialog lists each
// repository once, offers each demo sample the workflows its scripted agents follow, and its
// agents, whose default is the sample's own; the other workflows are one click away, on the samples
// whose agents follow them. A task made with every workflow on every demo sample reaches review
// (a review task its report), planned by that sample's agents; a task made on a sample's repository
// by its path gets them too.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { LONG, WEB_HEADERS, demoPage, explainer } from './browser.mjs'

const ctx = demoPage(before, after)
const explained = explainer(ctx)

async function api(path) {
  return (await fetch(`${ctx.demo.url}/api/v1${path}`)).json()
}

/** Opens the Create dialog on the board, once the registered repositories are read. */
async function openDialog() {
  const { demo, page } = ctx
  const registered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/repos')
  await page.goto(demo.url)
  await page.getByText('Live', { exact: true }).waitFor()
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: /^nodejs-todo \(demo/ }).waitFor({ state: 'attached' })
  await registered
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))))
  return dialog
}

/** The demo entry of `sample` in the dialog's repository choice. */
function entry(sample) {
  return { label: new RegExp(`^${sample} \\(demo`) }
}

async function chooseSample(dialog, sample) {
  const option = dialog.getByLabel('Repository').getByRole('option', { name: entry(sample).label })
  await dialog.getByLabel('Repository').selectOption({ label: (await option.textContent()).trim() })
}

/** Waits until `id` reaches one of `statuses`; fails at once on an ended task. */
async function reaches(id, statuses) {
  for (;;) {
    const task = await api(`/spec-tasks/${id}`)
    if (statuses.includes(task.status)) return task
    if (['failed', 'rejected', 'cancelled'].includes(task.status)) assert.fail(`task ${task.title} ${task.status}: ${JSON.stringify(task.failure)}`)
    await new Promise((ok) => setTimeout(ok, 300))
  }
}

test('the Create dialog lists each repository once and offers a demo sample its workflows and agents', { timeout: LONG }, async () => {
  await explained(async () => {
    const dialog = await openDialog()
    const samples = await api('/demo-repos')
    const options = await dialog.getByLabel('Repository').locator('option').allTextContents()
    for (const sample of samples) {
      const listed = options.filter((o) => o.startsWith(`${sample.name} (demo`) || o.endsWith(`/${sample.name}`))
      assert.equal(listed.length, 1, `${sample.name} once in ${JSON.stringify(options)}`)
    }
    await chooseSample(dialog, 'nodejs-todo')
    const workflow = dialog.getByLabel('Workflow')
    assert.deepEqual(await workflow.locator('option').allTextContents(), ['feature', 'design-first'])
    const planner = dialog.getByLabel('Planning agent')
    assert.equal(await planner.locator('option').first().textContent(), "Default: nodejs-todo-planner, this sample's scripted planner")
    assert.equal(
      await dialog.getByLabel('Implementation agent').locator('option').first().textContent(),
      "Default: nodejs-todo-coder, this sample's scripted coder",
    )
    // The workflows nodejs-todo's agents do not follow, on the samples whose agents do.
    const elsewhere = dialog.getByTestId('demo-workflows')
    await elsewhere.getByRole('button', { name: 'python-invoices' }).click()
    assert.match(await dialog.getByLabel('Repository').inputValue(), /python-invoices/)
    assert.equal(await workflow.inputValue(), 'bugfix')
    assert.deepEqual(await workflow.locator('option').allTextContents(), ['bugfix'])
    await ctx.page.keyboard.press('Escape')
  })
})

test('a task made with every workflow on every demo sample reaches review, planned by its agents', { timeout: 4 * LONG }, async () => {
  await explained(async () => {
    const { page } = ctx
    const samples = await api('/demo-repos')
    const made = []
    for (const sample of samples) {
      for (const name of sample.workflows) {
        const dialog = await openDialog()
        await chooseSample(dialog, sample.name)
        await dialog.getByLabel('Workflow').selectOption(name)
        await dialog.getByLabel('Task description').fill(`${name} on ${sample.name}\n\nMade in the dialog.`)
        await dialog.getByRole('button', { name: 'Create SpecTask' }).click()
        await page.getByRole('heading', { name: `${name} on ${sample.name}` }).waitFor()
        const id = page.url().split('/tasks/')[1].split(/[?#]/)[0]
        made.push({ id, sample, workflow: name })
      }
    }
    assert.equal(made.length, samples.reduce((n, s) => n + s.workflows.length, 0))
    assert.ok(new Set(made.map((m) => m.workflow)).size >= 4, 'feature, design-first, bugfix and review are each made')
    for (const { id, sample, workflow } of made) {
      const task = await reaches(id, workflow === 'review' ? ['done'] : ['spec_review'])
      assert.deepEqual(
        [task.workflow, task.planning_agent, task.implementation_agent],
        [workflow, sample.planning_agent, sample.implementation_agent],
        JSON.stringify(task),
      )
      if (workflow === 'review') {
        assert.equal(task.review_target, sample.review_target)
        continue
      }
      // The spec is the sample's: its first document under the workflow's name.
      const requirements = await api(`/spec-tasks/${id}/documents/requirements`)
      assert.equal(requirements.file_name, workflow === 'bugfix' ? 'bugfix.md' : 'requirements.md', JSON.stringify(requirements))
    }

    // On a sample's repository by its path, with no agent named: the sample's agents and workflow.
    const react = samples.find((s) => s.name === 'react-dashboard')
    const res = await fetch(`${ctx.demo.url}/api/v1/spec-tasks/from-prompt`, {
      method: 'POST',
      headers: WEB_HEADERS,
      body: JSON.stringify({ prompt: 'Add a date filter\n\nBy its path.', repo: react.path }),
    })
    const byPath = await res.json()
    assert.equal(res.status, 201, JSON.stringify(byPath))
    assert.deepEqual([byPath.workflow, byPath.planning_agent], ['design-first', 'react-dashboard-planner'])
    await reaches(byPath.id, ['spec_review'])
    const design = await api(`/spec-tasks/${byPath.id}/documents/design`)
    assert.match(design.content, /RangePicker/, 'the date range design, not the Express JWT one')
  })
})
