// WCAG AA contrast of the text on the page, from the computed colours: each visible text's colour
// (with the opacity of it and its ancestors) against what is painted under it (the backgrounds of
// the elements under its first line, composed from the canvas up). Normal text needs 4.5:1, large
// text (24px, or 18.66px bold) 3:1; disabled controls are exempt (WCAG 1.4.3).
import assert from 'node:assert/strict'

/** Runs in the page: the texts under AA, each with its ratio, colours and where it is. */
function findings() {
  const parse = (c) => {
    let m = /^rgba?\(([^)]+)\)$/.exec(c)
    if (m) {
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number)
      return [r, g, b, a]
    }
    m = /^color\(srgb ([^)]+)\)$/.exec(c)
    if (m) {
      const [r, g, b, a = 1] = m[1].split(/[\s/]+/).filter(Boolean).map(Number)
      return [r * 255, g * 255, b * 255, a]
    }
    throw new Error(`a colour this check cannot read: ${c}`)
  }
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1)
  const luminance = ([r, g, b]) => {
    const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
  }
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
    return (hi + 0.05) / (lo + 0.05)
  }
  const opacity = (el) => {
    let o = 1
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity)
    return o
  }
  const where = (el) => {
    const parts = []
    for (let e = el; e && parts.length < 4; e = e.parentElement) {
      parts.unshift(e.tagName.toLowerCase() + [...e.classList].map((c) => `.${c}`).join(''))
    }
    return parts.join(' > ')
  }
  const out = []
  const seen = new Set()
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim()
    const owner = node.parentElement
    if (!text || !owner || owner.closest(':disabled, [aria-disabled="true"], .visually-hidden, option, script, style')) continue
    const range = document.createRange()
    range.selectNodeContents(node)
    const rect = [...range.getClientRects()].find((r) => r.width > 0 && r.height > 0)
    if (!rect) continue
    const x = rect.left + Math.min(rect.width / 2, 4)
    const y = rect.top + rect.height / 2
    const stack = document.elementsFromPoint(x, y)
    const at = stack.indexOf(owner)
    if (at < 0) continue // covered, clipped or scrolled out of its box
    let bg = [255, 255, 255, 1]
    for (const el of stack.slice(at).reverse()) {
      const [r, g, b, a] = parse(getComputedStyle(el).backgroundColor)
      if (a > 0) bg = over([r, g, b, a * opacity(el)], bg)
    }
    const style = getComputedStyle(owner)
    const [r, g, b, a] = parse(style.color)
    const fg = over([r, g, b, a * opacity(owner)], bg)
    const size = parseFloat(style.fontSize)
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
    const need = large ? 3 : 4.5
    const got = ratio(fg, bg)
    const key = `${where(owner)}|${style.color}`
    if (got < need && !seen.has(key)) {
      seen.add(key)
      const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')
      out.push(`${got.toFixed(2)}:1 < ${need}:1  ${hex(fg)} on ${hex(bg)}  "${text.slice(0, 40)}"  at ${where(owner)}`)
    }
  }
  return out
}

/**
 * Asserts every visible text of the page meets AA. The viewport is made as tall as the page for the
 * check (so every text is on screen), and motion is reduced (no pulse mid-fade).
 */
export async function assertContrast(page, label) {
  const viewport = page.viewportSize()
  const height = await page.evaluate(() => document.documentElement.scrollHeight)
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, height) })
  await page.emulateMedia({ reducedMotion: 'reduce' })
  try {
    const low = await page.evaluate(findings)
    assert.deepEqual(low, [], `text under WCAG AA contrast on ${label}:\n${low.join('\n')}`)
  } finally {
    await page.emulateMedia({ reducedMotion: 'no-preference' })
    await page.setViewportSize(viewport)
  }
}
