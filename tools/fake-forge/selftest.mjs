// The fake's self-test: every route spectask uses, through Prism, on a real bare repository; a
// refusal where GitHub refuses. Any answer breaking GitHub's description comes back from Prism as
// a 500 with `sl-violations`, and fails here with the violations printed.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const dir = mkdtempSync(join(tmpdir(), 'fake-forge-'))
const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim()
const work = join(dir, 'work')
git(dir, 'init', '-q', '-b', 'main', work)
writeFileSync(join(work, 'a.txt'), 'a\n')
git(work, 'add', 'a.txt')
git(work, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'first')
git(work, 'switch', '-q', '-c', 'feature')
writeFileSync(join(work, 'b.txt'), 'b\n')
git(work, 'add', 'b.txt')
git(work, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'second')
const bare = join(dir, 'app.git')
git(dir, 'clone', '-q', '--bare', work, bare)

const launcher = spawn(process.execPath, [new URL('./start.mjs', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] })
const line = await new Promise((resolve) => createInterface({ input: launcher.stdout }).once('line', resolve))
const { api, admin } = JSON.parse(line)
let failures = 0
const check = (what, ok, detail) => {
  if (!ok) failures++
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : `: ${detail}`}`)
}
async function call(base, method, path, body, token = 'write-token') {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  const violations = res.headers.get('sl-violations')
  return { status: res.status, body: text ? JSON.parse(text) : null, violations, headers: res.headers }
}
const expect = async (what, method, path, body, status, token) => {
  const r = await call(api, method, path, body, token)
  check(`${what} → ${status}`, r.status === status && !r.violations, `${r.status} ${r.violations ?? JSON.stringify(r.body).slice(0, 400)}`)
  return r
}

try {
  await call(admin, 'POST', '/_fake/repos', { owner: 'acme', name: 'app', git_dir: bare })
  await call(admin, 'POST', '/_fake/tokens', { token: 'write-token', login: 'bot', scopes: ['repo'], grants: { 'acme/app': 'write' } })
  await call(admin, 'POST', '/_fake/tokens', { token: 'read-token', login: 'reader', scopes: [], grants: { 'acme/app': 'read' } })

  const me = await expect('the token\'s user', 'GET', '/user', null, 200)
  check('scopes in X-OAuth-Scopes', me.headers.get('x-oauth-scopes') === 'repo', me.headers.get('x-oauth-scopes'))
  await expect('a bad token', 'GET', '/user', null, 401, 'nope')
  const repo = await expect('the repository', 'GET', '/repos/acme/app', null, 200)
  check('push permission', repo.body?.permissions?.push === true, JSON.stringify(repo.body?.permissions))
  await expect('an unseen repository', 'GET', '/repos/acme/other', null, 404)
  await expect('a pull request the reader may not open', 'POST', '/repos/acme/app/pulls', { title: 't', head: 'feature', base: 'main' }, 403, 'read-token')
  await expect('a missing head', 'POST', '/repos/acme/app/pulls', { title: 't', head: 'nope', base: 'main' }, 422)
  const opened = await expect('a new pull request', 'POST', '/repos/acme/app/pulls', { title: 'Add b', head: 'feature', base: 'main', body: 'Spec-Task: x', draft: false }, 201)
  const number = opened.body?.number
  await expect('a second one for the same head', 'POST', '/repos/acme/app/pulls', { title: 't', head: 'feature', base: 'main' }, 422)
  const listed = await expect('listed by head', 'GET', '/repos/acme/app/pulls?state=all&head=acme:feature&base=main&per_page=100', null, 200)
  check('one listed', listed.body?.length === 1 && listed.body[0].head.ref === 'feature', JSON.stringify(listed.body?.map((p) => p.number)))
  await expect('read', 'GET', `/repos/acme/app/pulls/${number}`, null, 200)
  await call(admin, 'POST', `/_fake/repos/acme/app/pulls/${number}/reviews`, { login: 'alice', state: 'CHANGES_REQUESTED', body: 'please', comments: [{ path: 'b.txt', line: 1, body: 'say more' }] })
  const reviews = await expect('reviews', 'GET', `/repos/acme/app/pulls/${number}/reviews?per_page=100`, null, 200)
  check('a review requesting changes', reviews.body?.[0]?.state === 'CHANGES_REQUESTED', JSON.stringify(reviews.body))
  const comments = await expect('line comments', 'GET', `/repos/acme/app/pulls/${number}/comments?per_page=100`, null, 200)
  check('a line comment', comments.body?.[0]?.path === 'b.txt' && comments.body[0].line === 1, JSON.stringify(comments.body))
  await expect('a comment', 'POST', `/repos/acme/app/issues/${number}/comments`, { body: 'Pushed abc' }, 201)
  await expect('the conversation', 'GET', `/repos/acme/app/issues/${number}/comments`, null, 200)
  const head = git(bare, 'rev-parse', 'feature')
  await call(admin, 'POST', '/_fake/repos/acme/app/check-runs', { head_sha: head, name: 'test', conclusion: 'failure', summary: '1 failed' })
  await call(admin, 'POST', `/_fake/repos/acme/app/statuses/${head}`, { state: 'success', context: 'ci/lint' })
  const runs = await expect('check runs', 'GET', `/repos/acme/app/commits/${head}/check-runs?per_page=100`, null, 200)
  check('a failed run', runs.body?.check_runs?.[0]?.conclusion === 'failure', JSON.stringify(runs.body?.check_runs))
  const status = await expect('the combined status', 'GET', `/repos/acme/app/commits/${head}/status?per_page=100`, null, 200)
  check('a passing status', status.body?.state === 'success' && status.body.statuses[0].context === 'ci/lint', JSON.stringify(status.body?.statuses))
  const filed = await call(admin, 'POST', '/_fake/repos/acme/app/issues', { login: 'carol', title: 'Add c', body: 'Please add c.', labels: ['spectask'] })
  const labelled = await expect('issues by label', 'GET', '/repos/acme/app/issues?labels=spectask&state=open&per_page=100', null, 200)
  check('the labelled issue', labelled.body?.length === 1 && labelled.body[0].labels[0].name === 'spectask', JSON.stringify(labelled.body?.map((i) => i.number)))
  const issue = await expect('an issue', 'GET', `/repos/acme/app/issues/${filed.body.number}`, null, 200)
  check('not a pull request', issue.body?.title === 'Add c' && !('pull_request' in issue.body), JSON.stringify(issue.body?.pull_request))
  const asIssue = await expect('a pull request as an issue', 'GET', `/repos/acme/app/issues/${number}`, null, 200)
  check('marked a pull request', Boolean(asIssue.body?.pull_request), 'no pull_request key')
  await expect('a comment on the issue', 'POST', `/repos/acme/app/issues/${filed.body.number}/comments`, { body: 'on it' }, 201)
  await expect('closing the issue', 'PATCH', `/repos/acme/app/issues/${filed.body.number}`, { state: 'closed' }, 200)
  await call(admin, 'POST', '/_fake/repos/acme/app/protect', { branch: 'main' })
  await expect('a merge a protection blocks', 'PUT', `/repos/acme/app/pulls/${number}/merge`, { merge_method: 'merge' }, 405)
  await call(admin, 'POST', '/_fake/repos/acme/app/protect', { branch: 'main', merge_blocked: false })
  await expect('a merge', 'PUT', `/repos/acme/app/pulls/${number}/merge`, { merge_method: 'merge' }, 200)
  const merged = await expect('read merged', 'GET', `/repos/acme/app/pulls/${number}`, null, 200)
  check('merged, in git too', merged.body?.merged === true && git(bare, 'ls-tree', '--name-only', 'main').includes('b.txt'), JSON.stringify(merged.body?.merged))
  await expect('closing it', 'PATCH', `/repos/acme/app/pulls/${number}`, { state: 'closed' }, 200)
} finally {
  launcher.kill('SIGTERM')
}
console.log(failures ? `${failures} failed` : 'all passed')
process.exit(failures ? 1 : 0)
