// On a server with users the dashboard asks for an API token, which the server keeps in an
// HttpOnly cookie; a wrong token is refused with the server's message, logging out asks again.
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { BIN, openBrowser, runSpectask, shot, shotScreen } from './browser.mjs'

let server, browser, page, token

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'spectask-e2e-login-'))
  execFileSync(BIN, ['user', 'add', 'alice', '--data-dir', dataDir])
  const out = execFileSync(BIN, ['token', 'create', '--user', 'alice', '--data-dir', dataDir], { encoding: 'utf8' })
  token = /spt_\S+/.exec(out)?.[0]
  assert.ok(token, `no token in: ${out}`)
  server = await runSpectask('serve', dataDir)
  browser = await openBrowser()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.setDefaultTimeout(60_000)
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

test('log in with a token, see the board, log out', async () => {
  await page.goto(server.url)
  await page.getByRole('heading', { name: 'Log in to spectask' }).waitFor()
  await shotScreen(page, 'login')
  await page.getByLabel('API token').fill('spt_not-a-real-token')
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('alert').waitFor()
  await page.getByLabel('API token').fill(token)
  await shot(page, '13-login')
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('heading', { name: 'SpecTasks' }).waitFor()
  await page.getByText('Live', { exact: true }).waitFor()
  assert.match(await page.locator('.account').innerText(), /alice/)
  const cookies = await page.context().cookies()
  const cookie = cookies.find((c) => c.name === 'spectask_session')
  assert.ok(cookie?.httpOnly, 'the login session is in an HttpOnly cookie')
  assert.ok(!cookie.value.includes(token), 'the cookie is not the token')
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read it')
  const me = () => fetch(`${server.url}/api/v1/auth/me`, { headers: { cookie: `spectask_session=${cookie.value}` } })
  assert.equal((await me()).status, 200, 'a copy of the cookie works while logged in')
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.getByRole('heading', { name: 'Log in to spectask' }).waitFor()
  assert.equal((await me()).status, 401, 'and not after logout')
})
