// The review screens keep what a person typed and the dialog they opened while the task moves
// under them, decided by someone else: the spec review's comments (a line comment and the comment on
// the whole spec) stay on the version they were written on when a newer one arrives, which is
// announced, not shown in their place; the whole-spec comment survives a reload; an open Reject
// confirmation stays, its Reject disabled with the reason. The implementation review's comments
// keep their text and focus through another person's changes request, and its Reject confirmation
// stays when another person merges the task.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { assertConfirmationKept, demoPage, demoTaskOf, elsewhere, explainer, hasFocus, shot } from './browser.mjs'

const ctx = demoPage(before, after)

const explained = explainer(ctx)

/** Another person's decision on the task, through the API. */
const decidedElsewhere = (task, action, body) => elsewhere(ctx, 'POST', `/api/v1/spec-tasks/${task.id}/${action}`, body)

test('the spec review keeps its comments and its Reject confirmation while newer versions arrive', () =>
  explained(async () => {
    const { demo, page } = ctx
    const task = await demoTaskOf(ctx, 'helix-blog-posts', 'spec_review')
    await page.goto(`${demo.url}/tasks/${task.id}`)
    await page.getByRole('option', { name: 'v1 (latest)', includeHidden: true }).waitFor({ state: 'attached' })
    await page.getByRole('button', { name: 'Comment on line 3', exact: true }).click()
    await page.getByRole('textbox', { name: 'Your comment on line 3' }).fill('Who is an editor?')
    await page.getByRole('button', { name: 'Add comment' }).click()
    const whole = page.getByLabel('Comments on the whole spec')
    await whole.fill('Say who may publish.')
    await page.reload()
    await page.getByRole('option', { name: 'v1 (latest)', includeHidden: true }).waitFor({ state: 'attached' })
    assert.equal(await whole.inputValue(), 'Say who may publish.', 'the whole-spec comment is kept through a reload')
    await whole.focus()
    await page.keyboard.press('End')
    await page.keyboard.type(' And when.')

    // Reject asked, and while its confirmation is open, another person asks for a v2.
    await page.getByRole('button', { name: 'Reject', exact: true }).click()
    const confirm = page.getByRole('dialog', { name: 'Reject this SpecTask?' })
    await decidedElsewhere(task, 'request-changes', { comments: 'Name the roles.' })
    const decision = page.getByRole('region', { name: 'Review', exact: true })
    await decision.getByText('v2 replaced v1 while you reviewed it').waitFor()
    await page.getByTestId('task-status').filter({ hasText: 'spec review' }).waitFor()
    await assertConfirmationKept(confirm, 'Reject', 'The spec you were reviewing is no longer under review.')
    await shot(page, '26-reject-confirmation-kept')
    await page.keyboard.press('Escape')
    await confirm.waitFor({ state: 'hidden' })

    // The page stays on v1, with what was typed on it; v2 is a click away.
    assert.equal(await page.getByRole('complementary', { name: 'Spec version' }).getByRole('combobox').getAttribute('data-value'), '1')
    assert.equal(await whole.inputValue(), 'Say who may publish. And when.')
    await page.getByText('Your comment: Who is an editor?').waitFor()
    for (const name of ['Reject', 'Request changes', 'Approve & start implementation']) {
      assert.ok(await decision.getByRole('button', { name, exact: true }).isDisabled(), `${name} is disabled on a replaced version`)
    }
    await shot(page, '27-review-kept-on-v1')
    await decision.getByRole('button', { name: 'Open v2' }).click()
    await page.getByRole('region', { name: 'requirements.md v2' }).waitFor()
    assert.equal(await whole.inputValue(), '', 'v2 has a review of its own')

    // Typing on v2 while another person asks for a v3: the text and the focus stay.
    await whole.fill('Keep the drafts.')
    await decidedElsewhere(task, 'request-changes', { comments: 'Add an archive.' })
    await decision.getByText('v3 replaced v2 while you reviewed it').waitFor()
    await page.keyboard.type(' Always.')
    assert.equal(await whole.inputValue(), 'Keep the drafts. Always.')
    assert.ok(await hasFocus(whole), 'the focus is still in the comment')
    // Discarded, the review of a replaced version leaves nothing to decide on it.
    await decision.getByRole('button', { name: 'Discard draft' }).click()
    await whole.waitFor({ state: 'detached' })
  }))

test('the implementation review keeps its comments and its Reject confirmation while others decide', () =>
  explained(async () => {
    const { demo, page } = ctx
    const planned = await demoTaskOf(ctx, 'linkedin-outreach', 'spec_review')
    await decidedElsewhere(planned, 'approve-specs', {})
    const task = await demoTaskOf(ctx, 'linkedin-outreach', 'implementation_review')
    await page.goto(`${demo.url}/tasks/${task.id}?tab=review`)
    await page.getByRole('region', { name: 'Commits' }).waitFor()
    const comments = page.getByLabel('Review comments')
    await comments.fill('Mention the opt-out.')

    // Another person asks for changes: a follow-up session makes them and the task is back in review.
    await decidedElsewhere(task, 'request-implementation-changes', { comments: 'Shorter messages.' })
    // The task leaves its review at once; the badge may still say "implementation review" until the
    // page hears of it, so the return is awaited in the API, then on the page.
    await demoTaskOf(ctx, 'linkedin-outreach', 'implementation_review')
    await page.getByRole('region', { name: 'Earlier review rounds' }).getByText('Shorter messages.').waitFor()
    await page.getByRole('region', { name: 'Sessions and checks' }).getByRole('link', { name: 'Address review comments' }).waitFor()
    await page.getByTestId('task-status').filter({ hasText: 'implementation review' }).waitFor()
    await page.keyboard.type(' In every message.')
    assert.equal(await comments.inputValue(), 'Mention the opt-out. In every message.')
    assert.ok(await hasFocus(comments), 'the focus is still in the comments')

    // Reject asked, and while its confirmation is open, another person merges the task.
    await page.getByRole('button', { name: 'Reject', exact: true }).click()
    const confirm = page.getByRole('dialog', { name: 'Reject this implementation?' })
    await decidedElsewhere(task, 'approve-implementation', {})
    await page.getByTestId('task-status').filter({ hasText: 'done' }).waitFor()
    await assertConfirmationKept(confirm, 'Reject', 'The task moved to done: this implementation is no longer under review.')
    await page.keyboard.press('Escape')
    await confirm.waitFor({ state: 'hidden' })
    const decision = page.getByRole('region', { name: 'Decision' })
    // The bar's own note: the closed confirmation's note may still be in the page a moment.
    await decision.getByText('The task moved to done: there is nothing to decide').waitFor()
    assert.equal(await comments.inputValue(), 'Mention the opt-out. In every message.', 'the comments stay')
    assert.ok(await decision.getByRole('button', { name: 'Approve & merge' }).isDisabled())
    await shot(page, '28-decision-kept-after-merge')
    await decision.getByRole('button', { name: 'Discard draft' }).click()
    assert.equal(await comments.inputValue(), '')
  }))
