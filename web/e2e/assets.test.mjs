// The dashboard's files as a browser gets them: the script and styles compressed (gzip) and cached
// for good (their names change with their bytes), the page itself revalidated so that a new build
// is picked up at once; a second visit takes the assets from the cache. The compressed first load
// stays under a budget, so that the bundle stays lean.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { openBrowser, runSpectask } from './browser.mjs'

/** What the first load may transfer of scripts and styles, compressed (web/README.md states it). */
const FIRST_LOAD_BUDGET = 220 * 1024

let server, browser

before(async () => {
  server = await runSpectask('serve', mkdtempSync(join(tmpdir(), 'spectask-e2e-assets-')))
  browser = await openBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('assets are compressed and cached for good, the page revalidated', async () => {
  const page = await browser.newPage()
  const seen = []
  page.on('response', (response) => seen.push(response))
  await page.goto(server.url)
  await page.getByRole('heading', { name: 'SpecTasks' }).waitFor()

  const index = seen.find((r) => new URL(r.url()).pathname === '/')
  assert.equal(index.headers()['cache-control'], 'no-cache', 'the page is revalidated')
  const assets = seen.filter((r) => new URL(r.url()).pathname.startsWith('/assets/'))
  assert.ok(assets.some((r) => r.url().endsWith('.js')) && assets.some((r) => r.url().endsWith('.css')), seen.map((r) => r.url()).join('\n'))
  let transferred = 0
  for (const response of assets) {
    const headers = response.headers()
    const name = new URL(response.url()).pathname
    assert.equal(headers['content-encoding'], 'gzip', `${name} is compressed`)
    assert.equal(headers['cache-control'], 'public, max-age=31536000, immutable', `${name} is cached for good`)
    transferred += (await response.request().sizes()).responseBodySize
  }
  assert.ok(transferred < FIRST_LOAD_BUDGET, `the first load transfers ${transferred} bytes of assets (budget ${FIRST_LOAD_BUDGET})`)

  // A second visit: the assets come from the cache (nothing transferred), only the page is asked for again.
  // First the chunks loaded after the first screen finish: one cut off by the navigation is not cached.
  await page.waitForLoadState('networkidle')
  await page.goto(server.url)
  await page.getByRole('heading', { name: 'SpecTasks' }).waitFor()
  const loads = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname.startsWith('/assets/'))
      .map((e) => ({ name: e.name, transferred: e.transferSize, size: e.decodedBodySize })),
  )
  assert.ok(loads.length >= 2, JSON.stringify(loads))
  assert.deepEqual(loads.filter((l) => l.transferred > 0), [], 'assets fetched again')
  await page.close()
})
