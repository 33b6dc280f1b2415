// Expected complexity from the Create dialog: a simple SpecTask on a demo repository is implemented
// by one session for its whole plan, and every plan task is ticked when that session completes.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { demoPage, LONG, shot } from './browser.mjs'

const ctx = demoPage(before, after)

test('a simple task from the dialog runs one session for the whole plan', { timeout: 5 * LONG }, async () => {
  const { demo, page } = ctx
  await page.goto(demo.url)
  await page.getByText('Live', { exact: true }).waitFor()
  await page.getByRole('button', { name: 'New SpecTask' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create SpecTask' })
  await dialog.getByRole('option', { name: /linkedin-outreach \(demo/ }).waitFor({ state: 'attached' })
  await dialog.getByLabel('Repository').selectOption({ label: 'linkedin-outreach (demo: Markdown (multi-session content))' })
  await dialog.getByRole('button', { name: 'Use the demo prompt' }).click()
  const complexity = dialog.getByRole('group', { name: 'Expected complexity' })
  assert.ok(await complexity.getByRole('radio', { name: 'Complex' }).isChecked(), 'complex is the default')
  await complexity.getByRole('radio', { name: 'Simple' }).check()
  await complexity.getByText('Simple: one session implements the whole plan.').waitFor()
  await shot(page, '01b-create-dialog-simple')
  await dialog.getByRole('button', { name: 'Create SpecTask' }).click()

  await page.getByText(/spec \(simple\)/).waitFor()
  const waitForStatus = async (text) => {
    try {
      await page.getByTestId('task-status').filter({ hasText: text }).waitFor()
    } catch (err) {
      throw new Error(`task never reached ${text}:\n${await page.locator('main').innerText()}\n${demo.log()}`, { cause: err })
    }
  }
  await waitForStatus('spec review')
  await page.getByRole('button', { name: 'Approve & start implementation' }).click()
  await waitForStatus('implementation review')
  await page.getByRole('tab', { name: 'Implementation review' }).click()
  // The one session implements every plan task, so every criterion a plan task names lists it.
  const criteria = page.getByRole('table', { name: 'Acceptance criteria and what implements them' })
  const rows = criteria.locator('tbody tr')
  await rows.first().waitFor()
  let planned = 0
  for (const row of await rows.all()) {
    if ((await row.getByText('none names it').count()) > 0) continue
    planned++
    const text = await row.innerText()
    assert.equal(await row.getByRole('link', { name: 'Implement the whole plan' }).count(), 1, `a criterion without the whole-plan session:\n${text}`)
  }
  assert.ok(planned > 1, `criteria named by plan tasks: ${planned}\n${await criteria.innerText()}`)
  await shot(page, '09c-simple-task-review')

  await page.getByRole('tab', { name: 'Sessions' }).click()
  const tree = page.getByRole('list', { name: 'Session tree' })
  await tree.getByText('Implement the whole plan').waitFor()
  const counts = await page.getByTestId('plan-counts').innerText()
  const [, done, all] = /^(\d+)\/(\d+) complete/.exec(counts) ?? []
  assert.ok(Number(all) > 1 && done === all, `every plan task ticked: ${counts}`)
  assert.equal(await tree.getByRole('listitem').count(), 1, await tree.innerText())
  await shot(page, '05c-simple-task-one-session')
})
