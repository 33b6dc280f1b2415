// A task handed off as a pull request, seen on its page: the pull request's number and state, each
// reviewer's verdict and the checks of its head, as the forge said them. The forge is the fake
// GitHub of tools/fake-forge behind Prism; the repository is served by `git daemon` and registered
// by its git:// URL; the coding agent is spectask's scripted agent.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { BIN, LONG, openBrowser, runSpectask, shot } from './browser.mjs'

const ROOT = resolve(import.meta.dirname, '../..')
const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
const ctx = {}

function freePort() {
  return new Promise((ok) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => ok(port))
    })
  })
}

/** Polls `read` until `done` holds of what it returns; its last value otherwise, in the error. */
async function until(what, read, done) {
  const deadline = Date.now() + LONG
  let last
  while (Date.now() < deadline) {
    last = read()
    if (done(last)) return last
    await new Promise((ok) => setTimeout(ok, 200))
  }
  throw new Error(`${what}: ${JSON.stringify(last, null, 2)}\n${ctx.server?.log()}`)
}

async function admin(method, path, body) {
  const res = await fetch(ctx.fake.admin + path, { method, body: JSON.stringify(body) })
  const text = await res.text()
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`)
  return JSON.parse(text)
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spectask-e2e-forge-'))
  const source = join(dir, 'source')
  git(dir, 'init', '-q', '-b', 'main', source)
  writeFileSync(join(source, 'README.md'), '# app\n')
  git(source, 'add', 'README.md')
  git(source, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init')
  const served = join(dir, 'served')
  mkdirSync(join(served, 'acme'), { recursive: true })
  const bare = join(served, 'acme', 'app.git')
  git(dir, 'clone', '-q', '--bare', source, bare)

  const port = await freePort()
  ctx.daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', '--enable=receive-pack', `--base-path=${served}`, '--listen=127.0.0.1', `--port=${port}`, served], { stdio: 'ignore' })
  const url = `git://127.0.0.1:${port}/acme/app.git`
  await until('git daemon serves the repository', () => {
    try {
      return git(dir, 'ls-remote', url)
    } catch {
      return ''
    }
  }, (refs) => refs.includes('refs/heads/main'))

  ctx.forge = spawn(process.execPath, [join(ROOT, 'tools/fake-forge/start.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] })
  ctx.fake = JSON.parse(await new Promise((ok) => createInterface({ input: ctx.forge.stdout }).once('line', ok)))
  await admin('POST', '/_fake/repos', { owner: 'acme', name: 'app', git_dir: bare })
  await admin('POST', '/_fake/tokens', { token: 'e2e-token', login: 'spectask-bot', scopes: ['repo'], grants: { 'acme/app': 'write' } })

  const data = join(dir, 'data')
  mkdirSync(data)
  const script = join(dir, 'coder.toml')
  writeFileSync(script, '[[rule]]\nmatch = "*"\nsteps = [\n  { write_file = { path = "CHANGELOG.md", content = "# Changes\\n" } },\n  { message = "Added CHANGELOG.md." },\n]\n')
  const token = join(dir, 'token')
  writeFileSync(token, 'e2e-token\n')
  writeFileSync(
    join(data, 'config.toml'),
    `[agents.coder]\nkind = "acp"\ncommand = ${JSON.stringify(BIN)}\nargs = ["agent", "scripted", "--script", ${JSON.stringify(script)}]\n\n` +
      '[orchestrator]\ndefault_implementation_agent = "coder"\n\n' +
      `[forges.fake]\nkind = "github"\nhost = "127.0.0.1"\napi_url = "${ctx.fake.api}"\ntoken_file = ${JSON.stringify(token)}\npoll_seconds = 0.2\n`,
  )
  ctx.server = await runSpectask('serve', data)
  ctx.cli = (...args) => JSON.parse(execFileSync(BIN, [args[0], '--server', ctx.server.url, ...args.slice(1), '--json'], { encoding: 'utf8' }))
  ctx.url = url
  ctx.bare = bare
  ctx.browser = await openBrowser()
  ctx.page = await ctx.browser.newPage({ viewport: { width: 1440, height: 900 } })
  ctx.page.setDefaultTimeout(LONG)
})

after(async () => {
  await ctx.browser?.close()
  await ctx.server?.stop()
  ctx.forge?.stdin.end()
  ctx.daemon?.kill('SIGTERM')
})

test('the task page shows its pull request, the reviewers and the checks', { timeout: 3 * LONG }, async () => {
  const { cli, page } = ctx
  const repo = cli('repo', 'add', ctx.url, '--merge-policy', 'pull_request')
  const created = cli('task', 'create', '--repo', repo.path, '--kind', 'coding_session', '--title', 'Add a changelog', 'Add a changelog')
  const show = () => cli('task', 'show', created.id)
  await until('the task reaches implementation review', show, (t) => t.status === 'implementation_review')
  cli('task', 'approve', created.id)
  const opened = await until('the pull request opens', show, (t) => t.status === 'pull_request' && t.pull_request?.number)
  const number = opened.pull_request.number

  // On the forge: alice approves, bob comments, and the head's test check passes.
  await admin('POST', `/_fake/repos/acme/app/pulls/${number}/reviews`, { login: 'alice', state: 'APPROVED', body: 'Good.' })
  await admin('POST', `/_fake/repos/acme/app/pulls/${number}/reviews`, { login: 'bob', state: 'COMMENTED', body: 'Fine by me.' })
  const head = git(ctx.bare, 'rev-parse', `spectask/${opened.handle}`)
  await admin('POST', '/_fake/repos/acme/app/check-runs', { head_sha: head, name: 'test', conclusion: 'success', summary: '12 passed' })
  await until('the reading carries the reviews and checks', show, (t) => t.pull_request?.reviews?.length === 2 && t.pull_request.checks.length === 1)

  await page.goto(`${ctx.server.url}/tasks/${created.id}`)
  const line = page.getByTestId('pull-request')
  await line.getByRole('link', { name: `Pull request #${number}` }).waitFor()
  await line.getByText('open', { exact: true }).waitFor()
  const reviews = page.getByTestId('pull-request-reviews')
  await reviews.getByText('alice: approved').waitFor()
  await reviews.getByText('bob: commented').waitFor()
  await line.getByRole('link', { name: 'test' }).waitFor()
  assert.match(await line.innerText(), /test\s*: passed/)
  await shot(page, '20-pull-request')

  // Merged on the forge: the page follows, live.
  await admin('POST', `/_fake/repos/acme/app/pulls/${number}/merge`, { login: 'alice' })
  await page.getByTestId('task-status').filter({ hasText: 'done' }).waitFor()
  await line.getByText('merged', { exact: true }).waitFor()
})
