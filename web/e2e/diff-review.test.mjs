// The implementation review's changes, as GitHub shows a pull request's: a tree of the changed files
// beside the diffs, each with its added and removed lines; a file chosen (by click, or by the arrows
// and Enter) scrolls its diff into view, open; a unified/split switch the browser remembers.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { WEB_HEADERS, demoPage, demoTaskOf, explainer, onScreen, shot } from './browser.mjs'

const ctx = demoPage(before, after)
const explained = explainer(ctx)

test('the file tree scrolls to a file; the split layout is kept across a reload', () =>
  explained(async () => {
    const { demo, page } = ctx
    const inReview = await demoTaskOf(ctx, 'python-api', 'spec_review')
    const approved = await fetch(`${demo.url}/api/v1/spec-tasks/${inReview.id}/approve-specs`, { method: 'POST', headers: WEB_HEADERS, body: '{}' })
    assert.equal(approved.status, 200, await approved.text())
    const task = await demoTaskOf(ctx, 'python-api', 'implementation_review')
    const review = await (await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/implementation-review`)).json()
    assert.ok(review.files.length >= 2, `the review changes several files: ${review.files.map((f) => f.path)}`)

    await page.goto(`${demo.url}/tasks/${task.id}?tab=review`)
    const tree = page.getByRole('navigation', { name: 'Changed files' })
    const files = tree.getByRole('button')
    await files.first().waitFor()
    assert.equal(await files.count(), review.files.length, 'one entry per changed file')
    await tree.getByText(`${review.files.length} files`).waitFor()
    // Each entry names its file and its counts, as the diff does.
    for (const f of review.files) {
      await tree.getByRole('button', { name: `${f.path}: ${f.additions} added, ${f.deletions} removed`, exact: true }).waitFor()
    }

    // A click on the last file brings its diff on screen, open, the entry marked current.
    const last = files.last()
    const label = await last.getAttribute('aria-label')
    const path = label.slice(0, label.lastIndexOf(':'))
    const diff = page.locator(`details.file-diff[data-path="${path}"]`)
    await page.evaluate(() => window.scrollTo(0, 0))
    await last.click()
    assert.equal(await diff.evaluate((d) => d.open), true, 'the file is open')
    // At the top of the screen, or as near as the page's end lets it.
    const top = await diff.evaluate((d) => d.getBoundingClientRect().top)
    assert.ok(await onScreen(diff.locator('summary')), `the file's name is on screen (${top}px from the top)`)
    const end = await page.evaluate(() => Math.ceil(scrollY + innerHeight) >= document.documentElement.scrollHeight - 1)
    assert.ok(top < 120 || end, `the file's diff is at the top of the screen (${top}px)`)
    assert.equal(await last.getAttribute('aria-current'), 'location')
    assert.ok(await onScreen(tree), 'the tree stays beside the diff as it scrolls')

    // By keyboard: the arrows move between the files, Enter opens one.
    await files.first().focus()
    await page.keyboard.press('ArrowDown')
    assert.ok(await files.nth(1).evaluate((b) => b === document.activeElement), 'ArrowDown moves to the next file')
    await page.keyboard.press('End')
    assert.ok(await last.evaluate((b) => b === document.activeElement), 'End moves to the last file')
    await page.keyboard.press('Home')
    await page.keyboard.press('Enter')
    const firstLabel = await files.first().getAttribute('aria-label')
    const firstDiff = page.locator(`details.file-diff[data-path="${firstLabel.slice(0, firstLabel.lastIndexOf(':'))}"]`)
    assert.ok(await firstDiff.locator('summary').evaluate((s) => s === document.activeElement), 'Enter puts the focus on the file')

    // Unified by default; Split shows old and new side by side, and stays after a reload.
    const layout = page.getByRole('group', { name: 'Diff layout' })
    await layout.getByRole('button', { name: 'Unified', pressed: true }).waitFor()
    assert.equal(await page.locator('table.hunk.split').count(), 0)
    await layout.getByRole('button', { name: 'Split' }).click()
    await page.locator('table.hunk.split').first().waitFor()
    assert.equal(await page.locator('table.hunk:not(.split)').count(), 0, 'every hunk is split')
    // An added line's text sits on the new side.
    const added = page.locator('table.hunk.split td.line-code.added').first()
    assert.equal(await added.getAttribute('data-side'), 'new')
    await shot(page, '40-review-split-diff')
    await page.reload()
    await page.getByRole('group', { name: 'Diff layout' }).getByRole('button', { name: 'Split', pressed: true }).waitFor()
    await page.locator('table.hunk.split').first().waitFor()
    await page.getByRole('group', { name: 'Diff layout' }).getByRole('button', { name: 'Unified' }).click()
    await page.locator('table.hunk:not(.split)').first().waitFor()
    assert.equal(await page.evaluate(() => localStorage.getItem('spectask:diff-layout')), 'unified')
  }))
