// The page's memory under a long stream of events (a benchmark that prints figures; not a test).
// Starts `spectask demo`, opens the board in Chromium, then creates and cancels ROUNDS tasks through
// the API (each a burst of live events the board reacts to) and samples the JS heap after a forced
// garbage collection. Usage: node bench/memory.mjs [ROUNDS] [PATH]. On the board the DOM grows with
// the tasks shown (one card per task); on /fleet (no agent at work) what is shown stays the same, so
// the heap there shows what the live layer and the caches keep.
import { openBrowser, startDemo } from '../e2e/browser.mjs'

const rounds = Number(process.argv[2] ?? 300)
const path = process.argv[3] ?? '/fleet'
const demo = await startDemo()
const browser = await openBrowser()
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
const cdp = await page.context().newCDPSession(page)
await cdp.send('HeapProfiler.enable')
const heap = async () => {
  await cdp.send('HeapProfiler.collectGarbage')
  const { usedSize } = await cdp.send('Runtime.getHeapUsage')
  const dom = await page.evaluate(() => document.getElementsByTagName('*').length)
  return { mb: (usedSize / 1048576).toFixed(2), dom }
}
const headers = { 'content-type': 'application/json', 'x-spectask-client': 'bench' }
try {
  await page.goto(`${demo.url}${path}`)
  await page.getByText('Live', { exact: true }).waitFor()
  const repos = await (await fetch(`${demo.url}/api/v1/repos`)).json()
  const start = Date.now()
  console.log(`round\tevents\theap_MB\tdom_nodes`)
  const first = await heap()
  console.log(`0\t-\t${first.mb}\t${first.dom}`)
  for (let i = 1; i <= rounds; i++) {
    const res = await fetch(`${demo.url}/api/v1/spec-tasks/from-prompt`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: `Memory round ${i}`, repo: repos[0].path }),
    })
    const task = await res.json()
    await fetch(`${demo.url}/api/v1/spec-tasks/${task.id}/cancel`, { method: 'POST', headers })
    if (i % Math.max(1, Math.floor(rounds / 6)) === 0 || i === rounds) {
      await page.waitForTimeout(1000)
      const h = await heap()
      const { last_event_seq } = await (await fetch(`${demo.url}/api/v1/health`)).json()
      console.log(`${i}\t${last_event_seq}\t${h.mb}\t${h.dom}`)
    }
  }
  console.log(`${path}: ${rounds} rounds in ${((Date.now() - start) / 1000).toFixed(0)} s`)
} finally {
  await browser.close()
  await demo.stop()
}
