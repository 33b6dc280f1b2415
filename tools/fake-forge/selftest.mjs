// The fake's self-test: every route spectask uses, on a real bare repository per forge; a
// refusal where the forge refuses. GitHub's and Forgejo's go through Prism: an answer breaking the
// forge's description comes back as a 500 with `sl-violations`, and fails here with the
// violations printed.
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
const bareOf = (name) => {
  const path = join(dir, `${name}.git`)
  git(dir, 'clone', '-q', '--bare', work, path)
  return path
}

const launcher = spawn(process.execPath, [new URL('./start.mjs', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] })
const line = await new Promise((resolve) => createInterface({ input: launcher.stdout }).once('line', resolve))
const { api, admin, gitlab, forgejo } = JSON.parse(line)
let failures = 0
const check = (what, ok, detail) => {
  if (!ok) failures++
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : `: ${detail}`}`)
}
async function call(base, method, path, body, token = 'write-token') {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `${base === forgejo ? 'token' : 'Bearer'} ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  const violations = res.headers.get('sl-violations')
  return { status: res.status, body: text ? JSON.parse(text) : null, violations, headers: res.headers }
}
const expectOn = (base) => async (what, method, path, body, status, token) => {
  const r = await call(base, method, path, body, token)
  check(`${what} → ${status}`, r.status === status && !r.violations, `${r.status} ${r.violations ?? JSON.stringify(r.body).slice(0, 400)}`)
  return r
}
const expect = expectOn(api)

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

  // GitLab (no description to hold it to): the same story in GitLab's shapes.
  const onGitLab = expectOn(gitlab)
  await call(admin, 'POST', '/_fake/repos', { forge: 'gitlab', owner: 'acme', name: 'lab', git_dir: bareOf('lab') })
  await call(admin, 'POST', '/_fake/tokens', { token: 'lab-token', login: 'bot', scopes: ['api'], grants: { 'acme/lab': 'write' } })
  const p = '/api/v4/projects/acme%2Flab'
  const scopes = await onGitLab('the token\'s scopes', 'GET', '/api/v4/personal_access_tokens/self', null, 200, 'lab-token')
  check('the api scope', scopes.body?.scopes?.includes('api'), JSON.stringify(scopes.body))
  const project = await onGitLab('the project', 'GET', p, null, 200, 'lab-token')
  check('Developer access', project.body?.permissions?.project_access?.access_level === 30, JSON.stringify(project.body?.permissions))
  await onGitLab('another forge\'s repository', 'GET', '/api/v4/projects/acme%2Fapp', null, 404, 'lab-token')
  const labIssue = await call(admin, 'POST', '/_fake/repos/acme/lab/issues', { title: 'Add c', labels: ['spectask'] })
  const mr = await onGitLab('a merge request', 'POST', `${p}/merge_requests`, { source_branch: 'feature', target_branch: 'main', title: 'Draft: Add b' }, 201, 'lab-token')
  check('numbered apart from issues, a draft', mr.body?.iid === 1 && labIssue.body?.number === 1 && mr.body.draft === true, JSON.stringify([mr.body?.iid, labIssue.body]))
  await onGitLab('a second one for the same branch', 'POST', `${p}/merge_requests`, { source_branch: 'feature', target_branch: 'main', title: 't' }, 409, 'lab-token')
  await call(admin, 'POST', '/_fake/repos/acme/lab/pulls/1/reviews', { login: 'alice', state: 'CHANGES_REQUESTED', body: 'please', comments: [{ path: 'b.txt', line: 1, body: 'say more' }] })
  const reviewers = await onGitLab('reviewers', 'GET', `${p}/merge_requests/1/reviewers`, null, 200, 'lab-token')
  check('alice requested changes', reviewers.body?.[0]?.state === 'requested_changes', JSON.stringify(reviewers.body))
  const notes = await onGitLab('notes', 'GET', `${p}/merge_requests/1/notes?sort=asc`, null, 200, 'lab-token')
  check('a note and a diff note', notes.body?.length === 2 && notes.body[1].type === 'DiffNote' && notes.body[1].position.new_line === 1, JSON.stringify(notes.body))
  const labHead = git(bareOf('lab-head'), 'rev-parse', 'feature')
  await call(admin, 'POST', '/_fake/repos/acme/lab/check-runs', { head_sha: labHead, name: 'test', conclusion: 'failure' })
  const statuses = await onGitLab('commit statuses', 'GET', `${p}/repository/commits/${labHead}/statuses`, null, 200, 'lab-token')
  check('a failed job', statuses.body?.[0]?.status === 'failed', JSON.stringify(statuses.body))
  await onGitLab('a merge of a moved head', 'PUT', `${p}/merge_requests/1/merge`, { sha: 'abc' }, 409, 'lab-token')
  const mergedMr = await onGitLab('a merge', 'PUT', `${p}/merge_requests/1/merge`, { sha: labHead }, 200, 'lab-token')
  check('merged', mergedMr.body?.state === 'merged', mergedMr.body?.state)
  await onGitLab('closing the issue', 'PUT', `${p}/issues/1`, { state_event: 'close' }, 200, 'lab-token')

  // Forgejo, through Prism with Forgejo's own description.
  const onForgejo = expectOn(forgejo)
  await call(admin, 'POST', '/_fake/repos', { forge: 'forgejo', owner: 'acme', name: 'jo', git_dir: bareOf('jo') })
  await call(admin, 'POST', '/_fake/tokens', { token: 'jo-token', login: 'bot', scopes: ['write:repository', 'write:issue', 'read:user'], grants: { 'acme/jo': 'write' } })
  const r = '/api/v1/repos/acme/jo'
  await onForgejo('the token\'s user', 'GET', '/api/v1/user', null, 200, 'jo-token')
  await onForgejo('the repository', 'GET', r, null, 200, 'jo-token')
  await onForgejo('no pull request yet', 'GET', `${r}/pulls/main/feature`, null, 404, 'jo-token')
  await onForgejo('a request breaking the description', 'POST', `${r}/pulls`, { head: 'feature', base: 'main', title: 5 }, 422, 'jo-token')
  const pull = await onForgejo('a pull request', 'POST', `${r}/pulls`, { head: 'feature', base: 'main', title: 'WIP: Add b', body: 'x' }, 201, 'jo-token')
  check('a draft', pull.body?.draft === true && pull.body.number === 1, JSON.stringify(pull.body))
  await onForgejo('found by base and head', 'GET', `${r}/pulls/main/feature`, null, 200, 'jo-token')
  await call(admin, 'POST', '/_fake/repos/acme/jo/pulls/1/reviews', { login: 'alice', state: 'CHANGES_REQUESTED', body: 'please', comments: [{ path: 'b.txt', line: 1, body: 'say more' }] })
  const joReviews = await onForgejo('reviews', 'GET', `${r}/pulls/1/reviews`, null, 200, 'jo-token')
  check('a review requesting changes', joReviews.body?.[0]?.state === 'REQUEST_CHANGES', JSON.stringify(joReviews.body))
  await onForgejo('its line comments', 'GET', `${r}/pulls/1/reviews/${joReviews.body?.[0]?.id}/comments`, null, 200, 'jo-token')
  await onForgejo('the combined status', 'GET', `${r}/commits/feature/status`, null, 200, 'jo-token')
  await onForgejo('a comment', 'POST', `${r}/issues/1/comments`, { body: 'Pushed abc' }, 201, 'jo-token')
  await onForgejo('a merge', 'POST', `${r}/pulls/1/merge`, { Do: 'squash' }, 200, 'jo-token')
  const joMerged = await onForgejo('read merged', 'GET', `${r}/pulls/1`, null, 200, 'jo-token')
  check('merged', joMerged.body?.merged === true, JSON.stringify(joMerged.body?.merged))

  // Paging, rate limits, conditional requests and scopes, on each forge.
  await call(admin, 'POST', '/_fake/repos', { owner: 'acme', name: 'many', git_dir: bareOf('many') })
  await call(admin, 'POST', '/_fake/tokens', { token: 'many-token', login: 'bot', scopes: ['repo'], grants: { 'acme/many': 'write' } })
  const manyHead = git(bareOf('many-head'), 'rev-parse', 'feature')
  for (let i = 0; i < 101; i++) {
    await call(admin, 'POST', '/_fake/repos/acme/many/check-runs', { head_sha: manyHead, name: `run-${i}`, conclusion: i === 100 ? 'failure' : 'success' })
  }
  const first = await expect('a first page of check runs', 'GET', `/repos/acme/many/commits/${manyHead}/check-runs?per_page=100`, null, 200, 'many-token')
  const next = first.headers.get('link')?.match(/<([^>]+)>; rel="next"/)?.[1]
  check('100 runs and a link to the next page', first.body?.check_runs?.length === 100 && next?.includes('page=2'), first.headers.get('link'))
  const second = await expect('the last page', 'GET', `/repos/acme/many/commits/${manyHead}/check-runs?per_page=100&page=2`, null, 200, 'many-token')
  check('the failing run, and no next page', second.body?.check_runs?.[0]?.conclusion === 'failure' && !/rel="next"/.test(second.headers.get('link') ?? ''), JSON.stringify(second.body?.check_runs?.map((r) => r.name)))
  const left = Number(second.headers.get('x-ratelimit-remaining'))
  check('the quota stated', Number(second.headers.get('x-ratelimit-limit')) === 5000 && left < 5000, left)
  const tag = second.headers.get('etag')
  const again = await fetch(`${api}/repos/acme/many/commits/${manyHead}/check-runs?per_page=100&page=2`, { headers: { authorization: 'Bearer many-token', 'if-none-match': tag } })
  check('304 to its ETag, free of the quota', again.status === 304 && Number(again.headers.get('x-ratelimit-remaining')) === left, `${again.status} ${again.headers.get('x-ratelimit-remaining')}`)
  await call(admin, 'POST', '/_fake/tokens/many-token/limits', { remaining: 0, reset_in: 30 })
  const spent = await expect('a spent quota', 'GET', '/repos/acme/many', null, 403, 'many-token')
  check('remaining 0 and the reset', spent.headers.get('x-ratelimit-remaining') === '0' && Number(spent.headers.get('x-ratelimit-reset')) > Date.now() / 1000 + 20, spent.headers.get('x-ratelimit-reset'))
  await call(admin, 'POST', '/_fake/tokens/many-token/limits', { remaining: 5000, refuse_for: 30, mode: 'secondary' })
  const secondary = await expect('a secondary limit', 'GET', '/repos/acme/many', null, 403, 'many-token')
  check('Retry-After', Number(secondary.headers.get('retry-after')) >= 29, secondary.headers.get('retry-after'))
  await call(admin, 'POST', '/_fake/tokens', { token: 'no-repo-scope', login: 'bot', scopes: ['read:org'], grants: { 'acme/many': 'write' } })
  const scoped = await expect('a classic token without repo writes', 'POST', '/repos/acme/many/issues/1/comments', { body: 'x' }, 403, 'no-repo-scope')
  check('the scope it needs', scoped.headers.get('x-accepted-oauth-scopes') === 'repo', scoped.headers.get('x-accepted-oauth-scopes'))

  await call(admin, 'POST', '/_fake/repos', { forge: 'gitlab', owner: 'acme', name: 'many-lab', git_dir: bareOf('many-lab') })
  await call(admin, 'POST', '/_fake/tokens', { token: 'many-lab-token', login: 'bot', scopes: ['api'], grants: { 'acme/many-lab': 'write' } })
  for (let i = 0; i < 102; i++) {
    await call(admin, 'POST', `/_fake/repos/acme/many-lab/statuses/${manyHead}`, { state: i === 101 ? 'failure' : 'success', context: `job-${i}` })
  }
  const ml = '/api/v4/projects/acme%2Fmany-lab'
  const labPage = await onGitLab('a first page of statuses', 'GET', `${ml}/repository/commits/${manyHead}/statuses?per_page=100`, null, 200, 'many-lab-token')
  check('X-Next-Page 2 of X-Total 102', labPage.body?.length === 100 && labPage.headers.get('x-next-page') === '2' && labPage.headers.get('x-total') === '102', `${labPage.headers.get('x-next-page')} ${labPage.headers.get('x-total')}`)
  const labTag = labPage.headers.get('etag')
  const labAgain = await fetch(`${gitlab}${ml}/repository/commits/${manyHead}/statuses?per_page=100`, { headers: { 'private-token': 'many-lab-token', 'if-none-match': labTag } })
  check('GitLab answers 304 to its ETag', labAgain.status === 304, labAgain.status)
  await call(admin, 'POST', '/_fake/tokens/many-lab-token/limits', { refuse_for: 45 })
  const throttled = await onGitLab('a throttled token', 'GET', ml, null, 429, 'many-lab-token')
  check('Retry-After and RateLimit-Reset', Number(throttled.headers.get('retry-after')) >= 44 && Number(throttled.headers.get('ratelimit-reset')) > Date.now() / 1000, `${throttled.headers.get('retry-after')} ${throttled.headers.get('ratelimit-reset')}`)

  await call(admin, 'POST', '/_fake/repos', { forge: 'forgejo', owner: 'acme', name: 'many-jo', git_dir: bareOf('many-jo') })
  await call(admin, 'POST', '/_fake/tokens', { token: 'many-jo-token', login: 'bot', scopes: ['write:repository', 'write:issue'], grants: { 'acme/many-jo': 'write' } })
  const mj = '/api/v1/repos/acme/many-jo'
  const none = await onForgejo('the status of a commit without any', 'GET', `${mj}/commits/${manyHead}/status`, null, 200, 'many-jo-token')
  check('the state ""', none.body?.state === '' && none.body.total_count === 0, JSON.stringify(none.body?.state))
  for (let i = 0; i < 60; i++) {
    await call(admin, 'POST', `/_fake/repos/acme/many-jo/statuses/${manyHead}`, { state: i === 59 ? 'failure' : 'success', context: `ci-${i}` })
  }
  const joPage = await onForgejo('a first page of statuses', 'GET', `${mj}/commits/${manyHead}/status?limit=50`, null, 200, 'many-jo-token')
  check('50 of X-Total-Count 60', joPage.body?.statuses?.length === 50 && joPage.headers.get('x-total-count') === '60', `${joPage.body?.statuses?.length} ${joPage.headers.get('x-total-count')}`)
  await onForgejo('the user without read:user', 'GET', '/api/v1/user', null, 403, 'many-jo-token')
  await onForgejo('the repository with write:repository', 'GET', mj, null, 200, 'many-jo-token')
  await onForgejo('open pull requests', 'GET', `${mj}/pulls?state=open&limit=50`, null, 200, 'many-jo-token')
  await call(admin, 'POST', '/_fake/tokens/many-jo-token/limits', { refuse_for: 20 })
  // Forgejo's description names no 429 (Prism only warns of it).
  const joLimited = await call(forgejo, 'GET', mj, null, 'many-jo-token')
  check('a rate-limited token → 429 with Retry-After', joLimited.status === 429 && Number(joLimited.headers.get('retry-after')) >= 19, `${joLimited.status} ${joLimited.headers.get('retry-after')}`)
} finally {
  launcher.kill('SIGTERM')
}
console.log(failures ? `${failures} failed` : 'all passed')
process.exit(failures ? 1 : 0)
