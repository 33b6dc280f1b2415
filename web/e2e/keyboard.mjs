// Keyboard helpers of the browser tests: reach a control with Tab alone, and walk a modal dialog's
// Tab cycle, checking each stop shows its focus ring.
import assert from 'node:assert/strict'

/** A readable name of the focused element, for failure messages and cycle comparison. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement
    if (!el || el === document.body) return 'body'
    const name = el.getAttribute('aria-label') ?? el.getAttribute('name') ?? el.textContent?.trim().slice(0, 40) ?? ''
    const value = el instanceof HTMLInputElement && el.type === 'radio' ? `=${el.value}` : ''
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${name}${value}"`
  })
}

/** Whether the focused element draws a focus ring a person can see (an outline of 2px or more). */
function ringShown(page) {
  return page.evaluate(() => {
    const el = document.activeElement
    if (!el) return false
    const style = getComputedStyle(el)
    return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
  })
}

/** Presses Tab until `target` has the focus (at most `limit` times), checking every stop's ring. */
export async function tabTo(page, target, limit = 200) {
  const seen = []
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab')
    if (await target.evaluate((el) => el === document.activeElement)) return
    const name = await focused(page)
    seen.push(name)
    if (name !== 'body') assert.ok(await ringShown(page), `no visible focus ring on ${name}`)
  }
  throw new Error(`Tab never reached the target in ${limit} presses; stops:\n${seen.join('\n')}`)
}

/**
 * With the focus inside `dialog`, presses Tab until the focus comes back to where it started and
 * asserts every stop is inside the dialog with a focus ring, then Shift+Tab wraps back to the last
 * stop. Returns the stops, in Tab order.
 */
export async function tabCycle(page, dialog) {
  const inside = () => dialog.evaluate((d) => d.contains(document.activeElement))
  assert.ok(await inside(), `the dialog has the focus when it opens (it is on ${await focused(page)})`)
  const stops = [await focused(page)]
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab')
    const name = await focused(page)
    assert.ok(await inside(), `Tab left the dialog after ${stops.join(' → ')}: focus on ${name}`)
    assert.ok(await ringShown(page), `no visible focus ring on ${name}`)
    if (name === stops[0]) {
      await page.keyboard.press('Shift+Tab')
      assert.equal(await focused(page), stops.at(-1), 'Shift+Tab from the first stop wraps to the last')
      await page.keyboard.press('Tab')
      assert.equal(await focused(page), stops[0])
      assert.ok(stops.length >= 2, `a dialog with one stop: ${stops}`)
      return stops
    }
    stops.push(name)
  }
  throw new Error(`Tab never came back to the first stop: ${stops.join(' → ')}`)
}

/** Escape closes `dialog` and the focus is back on `opener`. */
export async function escapeBackTo(page, dialog, opener) {
  await page.keyboard.press('Escape')
  await dialog.waitFor({ state: 'hidden' })
  assert.ok(await opener.evaluate((el) => el === document.activeElement), `focus is on ${await focused(page)}, not on the opener`)
}
