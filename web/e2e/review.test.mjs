// The spec review's rough edges, on the demo's nodejs-todo task: the decision (Reject, Request
// changes, Approve) stays in reach at the foot of the screen wherever the spec is scrolled; a first
// version offers no diff;
// a pending line comment is edited and removed, "+" opens no second form, Escape closes it; after a
// revision the diff button shows its state, falls back when a first version is chosen, and an
// unchanged document says so; the document, version and view read are in the URL.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { choose, demoPage, explainer, onScreen, shot } from './browser.mjs'

const ctx = demoPage(before, after)

const explained = explainer(ctx)

const version = () => ctx.page.getByRole('complementary', { name: 'Spec version' }).getByRole('combobox')
/** The demo's nodejs-todo task, in spec review, on its Specification view. */
async function openTodoTask() {
  const { demo, page } = ctx
  const tasks = await (await fetch(`${demo.url}/api/v1/spec-tasks`)).json()
  const task = tasks.items.find((t) => t.repository.path.endsWith('/nodejs-todo'))
  assert.ok(task, `no nodejs-todo task: ${JSON.stringify(tasks)}`)
  await page.goto(`${demo.url}/tasks/${task.id}`)
  await page.getByTestId('task-status').filter({ hasText: 'spec review' }).waitFor()
}

const forms = () => ctx.page.getByRole('textbox', { name: /^Your comment on line/ })

test('line comments: one form, edited, removed, closed by Escape; no diff of a first version', () =>
  explained(async () => {
    const { page } = ctx
    await openTodoTask()
    await page.getByRole('option', { name: 'v1 (latest)', includeHidden: true }).waitFor({ state: 'attached' })
    await page.getByRole('button', { name: 'Rendered' }).waitFor()
    await page.locator('.line').last().waitFor()
    // The decision bar is sticky: Reject, Request changes and Approve stay on screen wherever the spec is scrolled.
    const height = await page.evaluate(() => document.documentElement.scrollHeight - innerHeight)
    assert.ok(height > 300, `the spec review is longer than the screen (${height}px to scroll)`)
    const decision = page.getByRole('region', { name: 'Review', exact: true })
    for (const y of [0, height / 2, height]) {
      await page.evaluate((top) => window.scrollTo(0, top), y)
      for (const name of ['Reject', 'Request changes', 'Approve & start implementation']) {
        assert.ok(await onScreen(decision.getByRole('button', { name, exact: true })), `${name} is in reach scrolled to ${Math.round(y)}px`)
      }
    }
    await page.evaluate(() => window.scrollTo(0, 0))
    assert.equal(await page.getByRole('button', { name: /^Diff/ }).count(), 0, 'a first version has no diff')

    await page.getByRole('button', { name: 'Comment on line 3', exact: true }).click()
    await forms().fill('Name the token lifetime')
    await page.getByRole('button', { name: 'Comment on line 5', exact: true }).click()
    assert.equal(await forms().count(), 1, 'one comment form at a time')
    await page.getByText('Your comment: Name the token lifetime').waitFor()
    await page.getByRole('button', { name: 'Comment on line 5', exact: true }).click()
    assert.equal(await forms().count(), 1, '"+" again opens no second form')
    await forms().press('Escape')
    await forms().waitFor({ state: 'detached' })

    await page.getByRole('button', { name: 'Edit the comment on line 3' }).click()
    assert.equal(await forms().inputValue(), 'Name the token lifetime', 'the form edits the pending comment')
    await forms().fill('Name the token lifetime, in minutes.')
    await page.getByRole('button', { name: 'Save comment' }).click()
    await page.getByText('Your comment: Name the token lifetime, in minutes.').waitFor()
    assert.equal(await page.getByText(/^Your comment:/).count(), 1, 'edited in place, not added')
    await shot(page, '18-line-comment-pending')
    await page.getByRole('button', { name: 'Remove the comment on line 3' }).click()
    assert.equal(await page.getByText(/^Your comment:/).count(), 0, 'removed')

    // An open form and its text are part of the review's draft: a reload (or any live update) keeps them.
    await page.getByRole('button', { name: 'Comment on line 7', exact: true }).click()
    await forms().fill('Half a thought')
    await page.reload()
    await forms().waitFor()
    assert.equal(await forms().inputValue(), 'Half a thought', 'the open form survives a reload')
    await forms().press('Escape')
    await forms().waitFor({ state: 'detached' })
  }))

test('the diff after a revision: its state, its fallback on v1 and the note on an unchanged document', () =>
  explained(async () => {
    const { page } = ctx
    await openTodoTask()
    await page.getByLabel('Comments on the whole spec').fill('Say how long a token lives.')
    await page.getByRole('button', { name: 'Request changes' }).click()
    await page.getByRole('option', { name: 'v2 (latest)', includeHidden: true }).waitFor({ state: 'attached' })
    const diff = page.getByRole('button', { name: 'Diff v1→v2' })
    await diff.click()
    await page.getByRole('button', { name: 'Diff v1→v2', pressed: true }).waitFor()
    assert.ok(await diff.isEnabled(), 'the pressed diff button is enabled')
    await page.getByLabel('Changes from the previous version').locator('.added').first().waitFor()
    await page.getByRole('tab', { name: 'Design' }).click()
    await page.getByText('No changes since design.md v1.').waitFor()
    await shot(page, '19-spec-diff-no-changes')
    await choose(version(), 'v1')
    await page.getByRole('button', { name: 'Lines', pressed: true }).waitFor()
    assert.equal(await page.getByRole('button', { name: /^Diff/ }).count(), 0, 'v1 has no diff')
    // The document, version and view read are in the URL: a reload shows the same.
    const url = new URL(page.url())
    assert.deepEqual([url.searchParams.get('doc'), url.searchParams.get('version')], ['design', '1'], page.url())
    await page.reload()
    await page.getByRole('tab', { name: 'Design', selected: true }).waitFor()
    assert.equal(await version().getAttribute('data-value'), '1')
    await choose(version(), 'v2 (latest)')
    await page.getByRole('button', { name: 'Diff v1→v2', pressed: true }).waitFor()
    await page.getByText('No changes since design.md v1.').waitFor()
  }))

test("the repository's steering documents are shown beside the spec", () =>
  explained(async () => {
    const { page } = ctx
    await openTodoTask()
    const steering = page.getByTestId('steering')
    await steering.getByText('Steering documents (1)').click()
    await steering.getByText('.kiro/steering/product.md').waitFor()
    await steering.getByText('always given').waitFor()
    await steering.getByText(/errors as/).waitFor()
  }))
