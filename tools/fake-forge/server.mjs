// A stateful fake of GitHub's REST API: repositories backed by bare git repositories, tokens with
// scopes and grants, pull requests merged and closed with real git work, reviews and comments.
// Its answers are built from GitHub's own description (lib/description.mjs) with this state laid
// over them; Prism, in front (start.mjs), validates every request and answer. GitLab's API
// (lib/gitlab.mjs, under /api/v4) and Forgejo's (lib/forgejo.mjs, under /api/v1) serve the same
// state in their own shapes, each to the repositories registered for it.
//
// The admin API under /_fake/ (reached directly, not through Prism) sets up state and acts as a
// person on the forge: merging, closing, reviewing.
//
// What every forge's answers share (lib/traffic.mjs): lists paged as each forge pages them, a
// token's scopes and rate limits, and conditional requests (`ETag`, `304 Not Modified`) where the
// forge answers them.
import { createServer } from 'node:http'
import { answer } from './lib/description.mjs'
import { isAncestor, merge, tip } from './lib/git.mjs'
import { gitlabRoutes } from './lib/gitlab.mjs'
import { forgejoRoutes } from './lib/forgejo.mjs'
import { conditional, limitRefusal, paged, quotaHeaders, scopeRefusal, spend } from './lib/traffic.mjs'

const WEB = 'https://github.invalid'
const state = { repos: new Map(), tokens: new Map(), requests: [], nextId: 1000 }
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')
const nextId = () => state.nextId++

class Refusal extends Error {
  constructor(status, body) {
    super(body.message)
    this.status = status
    this.body = body
  }
}
const refuse = (status, message, extra = {}) => {
  throw new Refusal(status, { message, documentation_url: 'https://docs.github.com/rest', ...extra })
}

function user(login) {
  const out = answer('GET', '/users/{username}', 200)
  return { ...pick(out, SIMPLE_USER), login, id: idOf(login), html_url: `${WEB}/${login}`, type: 'User' }
}
const SIMPLE_USER = ['login', 'id', 'node_id', 'avatar_url', 'gravatar_id', 'url', 'html_url', 'followers_url', 'following_url', 'gists_url', 'starred_url', 'subscriptions_url', 'organizations_url', 'repos_url', 'events_url', 'received_events_url', 'type', 'site_admin']
const pick = (object, keys) => Object.fromEntries(keys.filter((k) => k in object).map((k) => [k, object[k]]))
const idOf = (text) => [...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100000, 7) + 1

// ---- authentication

function caller(req, repo, need) {
  // GitLab's PRIVATE-TOKEN, or an Authorization header (Bearer; Forgejo's and GitHub's `token`).
  const header = req.headers['private-token'] ?? req.headers.authorization ?? ''
  const token = state.tokens.get(header.replace(/^(Bearer|token)\s+/i, '').trim())
  if (!token) refuse(401, 'Bad credentials')
  if (!repo) return token
  const grant = token.grants[repo.key]
  if (!grant) refuse(404, 'Not Found')
  const rank = { read: 1, write: 2, admin: 3 }
  if (need && rank[grant] < rank[need]) {
    refuse(403, `Resource not accessible by personal access token (needs ${need} on ${repo.key})`)
  }
  return token
}

/** The repository `owner/name`; one of another forge's is not found on `forge` (any when absent). */
function repoOf(owner, name, forge) {
  const repo = state.repos.get(`${owner}/${name}`)
  if (!repo || (forge && repo.forge !== forge)) refuse(404, 'Not Found')
  return repo
}

// ---- objects

function repository(repo, token) {
  const out = answer('GET', '/repos/{owner}/{repo}', 200)
  const rank = { read: 1, write: 2, admin: 3 }[token?.grants[repo.key]] ?? 0
  return {
    ...out,
    id: idOf(repo.key),
    name: repo.name,
    full_name: repo.key,
    owner: user(repo.owner),
    private: false,
    html_url: `${WEB}/${repo.key}`,
    default_branch: repo.defaultBranch,
    permissions: { admin: rank >= 3, maintain: rank >= 3, push: rank >= 2, triage: rank >= 2, pull: rank >= 1 },
  }
}

function pullRequest(repo, pr) {
  const out = answer('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', 200)
  const headSha = tip(repo.gitDir, pr.head) ?? pr.headSha
  const baseSha = tip(repo.gitDir, pr.base)
  const url = `${WEB}/${repo.key}/pull/${pr.number}`
  const side = (ref, sha) => ({ ...out.head, label: `${repo.owner}:${ref}`, ref, sha, user: user(repo.owner), repo: repository(repo) })
  return {
    ...out,
    id: pr.id,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    body: pr.body,
    user: user(pr.author),
    draft: pr.draft,
    html_url: url,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merged: Boolean(pr.mergedAt),
    merged_by: pr.mergedBy ? user(pr.mergedBy) : null,
    merge_commit_sha: pr.mergeCommit,
    mergeable: pr.state === 'open' ? true : null,
    mergeable_state: 'clean',
    head: side(pr.head, headSha),
    base: side(pr.base, baseSha),
    comments: pr.issueComments.length,
    review_comments: pr.lineComments.length,
    labels: [],
    requested_reviewers: [],
    requested_teams: [],
    assignees: [],
    assignee: null,
    milestone: null,
    auto_merge: null,
  }
}

function simple(repo, pr) {
  const full = pullRequest(repo, pr)
  const template = answer('GET', '/repos/{owner}/{repo}/pulls', 200)[0]
  return Object.fromEntries(Object.keys(template).map((k) => [k, k in full ? full[k] : template[k]]))
}

function review(repo, pr, r) {
  const out = answer('GET', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}', 200)
  return { ...out, id: r.id, user: user(r.login), body: r.body, state: r.state, submitted_at: r.at, commit_id: r.commit, html_url: `${WEB}/${repo.key}/pull/${pr.number}#pullrequestreview-${r.id}`, pull_request_url: `${WEB}/${repo.key}/pull/${pr.number}` }
}

function lineComment(repo, pr, c) {
  const out = answer('GET', '/repos/{owner}/{repo}/pulls/comments/{comment_id}', 200)
  const comment = { ...out, id: c.id, pull_request_review_id: c.review ?? null, user: user(c.login), body: c.body, path: c.path, line: c.line, original_line: c.line, start_line: null, original_start_line: null, commit_id: c.commit, original_commit_id: c.commit, created_at: c.at, updated_at: c.at, html_url: `${WEB}/${repo.key}/pull/${pr.number}#discussion_r${c.id}` }
  // An optional integer: absent, not null, on a comment that answers none.
  if (c.replyTo) comment.in_reply_to_id = c.replyTo
  else delete comment.in_reply_to_id
  return comment
}

function issueObject(repo, issue) {
  const out = answer('GET', '/repos/{owner}/{repo}/issues/{issue_number}', 200)
  const object = {
    ...out,
    id: issue.id,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    state_reason: issue.state === 'closed' ? 'completed' : null,
    user: user(issue.author),
    labels: (issue.labels ?? []).map((name) => ({ id: idOf(name), node_id: `L_${idOf(name)}`, url: `https://api.github.invalid/repos/${repo.key}/labels/${encodeURIComponent(name)}`, name, description: null, color: 'ededed', default: false })),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: issue.issueComments.length,
    html_url: `${WEB}/${repo.key}/issues/${issue.number}`,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    closed_by: null,
  }
  // Only a pull request's issue carries `pull_request`.
  delete object.pull_request
  return object
}

/** An issue, or a pull request seen as an issue (GitHub numbers both alike). */
function threadOf(repo, number) {
  const found = repo.issues.find((i) => i.number === Number(number)) ?? repo.pulls.find((p) => p.number === Number(number))
  if (!found) refuse(404, 'Not Found')
  return found
}

function checkRun(repo, run) {
  const out = answer('GET', '/repos/{owner}/{repo}/check-runs/{check_run_id}', 200)
  const done = run.status === 'completed'
  return {
    ...out,
    id: run.id,
    head_sha: run.sha,
    name: run.name,
    status: run.status,
    conclusion: done ? run.conclusion : null,
    started_at: run.at,
    completed_at: done ? run.at : null,
    html_url: `${WEB}/${repo.key}/runs/${run.id}`,
    details_url: run.detailsUrl ?? `${WEB}/${repo.key}/runs/${run.id}`,
    output: { ...out.output, title: run.title ?? run.name, summary: run.summary ?? '', text: null, annotations_count: 0 },
    pull_requests: [],
  }
}

function combinedStatus(repo, sha) {
  const out = answer('GET', '/repos/{owner}/{repo}/commits/{ref}/status', 200)
  const template = out.statuses[0]
  const statuses = repo.statuses.filter((s) => s.sha === sha)
  // The newest status per context counts, as on GitHub.
  const latest = [...new Map(statuses.map((s) => [s.context, s])).values()]
  const states = latest.map((s) => s.state)
  const state = states.some((s) => s === 'failure' || s === 'error') ? 'failure' : states.some((s) => s === 'pending') || !states.length ? 'pending' : 'success'
  return {
    ...out,
    state,
    sha,
    total_count: latest.length,
    statuses: latest.map((s) => ({ ...template, id: s.id, state: s.state, context: s.context, description: s.description ?? null, target_url: s.targetUrl ?? null, created_at: s.at, updated_at: s.at })),
    repository: { ...out.repository, name: repo.name, full_name: repo.key, owner: user(repo.owner) },
  }
}

function issueComment(repo, pr, c) {
  const out = answer('GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 200)
  return { ...out, id: c.id, user: user(c.login), body: c.body, created_at: c.at, updated_at: c.at, html_url: `${WEB}/${repo.key}/issues/${pr.number}#issuecomment-${c.id}` }
}

// ---- the API

/** A page of `list` on GitHub, each item shown by `show`. */
function page(repo, url, list, show) {
  const { items, headers } = paged('github', url, list, { cap: repo.pageCap })
  return { body: items.map(show), headers }
}

function pullOf(repo, number) {
  const pr = repo.pulls.find((p) => p.number === Number(number))
  if (!pr) refuse(404, 'Not Found')
  return pr
}

function mergePull(repo, pr, login, method = 'merge') {
  if (pr.state !== 'open') refuse(405, 'Pull Request is not mergeable')
  if (repo.protected.has(pr.base)) refuse(405, `Protected branch ${pr.base}: merging is blocked`)
  const commit = merge(repo.gitDir, pr.base, pr.head, method, `Merge pull request #${pr.number} from ${repo.owner}/${pr.head}\n\n${pr.title}`)
  if (!commit) refuse(405, 'Pull Request is not mergeable')
  Object.assign(pr, { state: 'closed', mergedAt: now(), closedAt: now(), updatedAt: now(), mergedBy: login, mergeCommit: commit, headSha: tip(repo.gitDir, pr.head) })
  return commit
}

const routes = [
  ['GET', '/user', ({ req }) => {
    const token = caller(req)
    const out = answer('GET', '/user', 200)
    return { body: { ...out, login: token.login, id: idOf(token.login), html_url: `${WEB}/${token.login}` } }
  }],
  ['GET', '/repos/:owner/:repo', ({ req, p }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    return { body: repository(repo, caller(req, repo)) }
  }],
  ['GET', '/repos/:owner/:repo/pulls', ({ req, p, query, url }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    const wanted = query.get('state') ?? 'open'
    const head = query.get('head')
    const base = query.get('base')
    const list = repo.pulls
      .filter((pr) => wanted === 'all' || pr.state === wanted)
      .filter((pr) => !head || `${repo.owner}:${pr.head}` === head)
      .filter((pr) => !base || pr.base === base)
      .sort((a, b) => b.number - a.number)
    return page(repo, url, list, (pr) => simple(repo, pr))
  }],
  ['POST', '/repos/:owner/:repo/pulls', ({ req, p, body }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    const token = caller(req, repo, 'write')
    const head = String(body.head ?? '').replace(/^[^:]+:/, '')
    const invalid = (message) => refuse(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', code: 'custom', message }], status: '422' })
    if (!tip(repo.gitDir, head)) invalid(`head ${head} does not exist`)
    if (!tip(repo.gitDir, body.base)) invalid(`base ${body.base} does not exist`)
    if (tip(repo.gitDir, head) === tip(repo.gitDir, body.base) || isAncestor(repo.gitDir, head, body.base)) {
      invalid(`No commits between ${body.base} and ${head}`)
    }
    if (repo.pulls.some((pr) => pr.state === 'open' && pr.head === head && pr.base === body.base)) {
      invalid(`A pull request already exists for ${repo.owner}:${head}.`)
    }
    const pr = { id: nextId(), number: repo.nextNumber++, state: 'open', title: body.title, body: body.body ?? null, draft: Boolean(body.draft), head, base: body.base, author: token.login, createdAt: now(), updatedAt: now(), closedAt: null, mergedAt: null, mergedBy: null, mergeCommit: null, reviews: [], lineComments: [], issueComments: [] }
    repo.pulls.push(pr)
    return { status: 201, body: pullRequest(repo, pr) }
  }],
  ['GET', '/repos/:owner/:repo/pulls/:number', ({ req, p }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    return { body: pullRequest(repo, pullOf(repo, p.number)) }
  }],
  ['PATCH', '/repos/:owner/:repo/pulls/:number', ({ req, p, body }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo, 'write')
    const pr = pullOf(repo, p.number)
    if (body.title !== undefined) pr.title = body.title
    if (body.body !== undefined) pr.body = body.body
    if (body.state === 'closed' && pr.state === 'open') Object.assign(pr, { state: 'closed', closedAt: now() })
    if (body.state === 'open' && pr.state === 'closed' && !pr.mergedAt) Object.assign(pr, { state: 'open', closedAt: null })
    pr.updatedAt = now()
    return { body: pullRequest(repo, pr) }
  }],
  ['PUT', '/repos/:owner/:repo/pulls/:number/merge', ({ req, p, body }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    const token = caller(req, repo, 'write')
    const pr = pullOf(repo, p.number)
    if (body.sha && body.sha !== tip(repo.gitDir, pr.head)) refuse(409, 'Head branch was modified. Review and try the merge again.')
    const sha = mergePull(repo, pr, token.login, body.merge_method ?? 'merge')
    return { body: { sha, merged: true, message: 'Pull Request successfully merged' } }
  }],
  ['GET', '/repos/:owner/:repo/pulls/:number/reviews', ({ req, p, url }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    const pr = pullOf(repo, p.number)
    const read = page(repo, url, pr.reviews, (r) => review(repo, pr, r))
    submitHeldReviews(repo, pr)
    return read
  }],
  ['GET', '/repos/:owner/:repo/pulls/:number/comments', ({ req, p, url }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    const pr = pullOf(repo, p.number)
    return page(repo, url, pr.lineComments, (c) => lineComment(repo, pr, c))
  }],
  ['GET', '/repos/:owner/:repo/commits/:ref/check-runs', ({ req, p, url }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    const sha = tip(repo.gitDir, p.ref) ?? p.ref
    const runs = repo.checkRuns.filter((r) => r.sha === sha)
    const { items, headers } = paged('github', url, runs, { cap: repo.pageCap })
    return { body: { total_count: runs.length, check_runs: items.map((r) => checkRun(repo, r)) }, headers }
  }],
  ['GET', '/repos/:owner/:repo/commits/:ref/status', ({ req, p, url }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    const combined = combinedStatus(repo, tip(repo.gitDir, p.ref) ?? p.ref)
    const { items, headers } = paged('github', url, combined.statuses, { cap: repo.pageCap })
    return { body: { ...combined, statuses: items }, headers }
  }],
  ['GET', '/repos/:owner/:repo/issues', ({ req, p, query, url }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    const wanted = query.get('state') ?? 'open'
    const labels = (query.get('labels') ?? '').split(',').map((l) => l.trim()).filter(Boolean)
    const list = repo.issues
      .filter((i) => wanted === 'all' || i.state === wanted)
      .filter((i) => labels.every((l) => (i.labels ?? []).includes(l)))
      .sort((a, b) => b.number - a.number)
    return page(repo, url, list, (i) => issueObject(repo, i))
  }],
  ['GET', '/repos/:owner/:repo/issues/:number', ({ req, p }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    const issue = repo.issues.find((i) => i.number === Number(p.number))
    if (issue) return { body: issueObject(repo, issue) }
    const pr = pullOf(repo, p.number)
    const asIssue = issueObject(repo, { ...pr, body: pr.body, issueComments: pr.issueComments })
    asIssue.pull_request = { url: `https://api.github.invalid/repos/${repo.key}/pulls/${pr.number}`, html_url: `${WEB}/${repo.key}/pull/${pr.number}`, diff_url: null, patch_url: null }
    return { body: asIssue }
  }],
  ['PATCH', '/repos/:owner/:repo/issues/:number', ({ req, p, body }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo, 'write')
    const issue = repo.issues.find((i) => i.number === Number(p.number))
    if (!issue) refuse(404, 'Not Found')
    if (body.state === 'closed' && issue.state === 'open') Object.assign(issue, { state: 'closed', closedAt: now() })
    if (body.state === 'open') Object.assign(issue, { state: 'open', closedAt: null })
    if (body.title !== undefined) issue.title = body.title
    issue.updatedAt = now()
    return { body: issueObject(repo, issue) }
  }],
  ['GET', '/repos/:owner/:repo/issues/:number/comments', ({ req, p, url }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    caller(req, repo)
    const pr = threadOf(repo, p.number)
    return page(repo, url, pr.issueComments, (c) => issueComment(repo, pr, c))
  }],
  ['POST', '/repos/:owner/:repo/issues/:number/comments', ({ req, p, body }) => {
    const repo = repoOf(p.owner, p.repo, 'github')
    const token = caller(req, repo, 'write')
    const pr = threadOf(repo, p.number)
    const c = { id: nextId(), login: token.login, body: body.body, at: now() }
    pr.issueComments.push(c)
    return { status: 201, body: issueComment(repo, pr, c) }
  }],
]

// ---- the admin API: set-up, and a person's doings on the forge

const admin = [
  ['POST', '/_fake/repos', ({ body }) => {
    for (const key of ['owner', 'name', 'git_dir']) if (!body[key]) refuse(400, `${key} is missing`)
    const key = `${body.owner}/${body.name}`
    const forge = body.forge ?? 'github'
    if (!['github', 'gitlab', 'forgejo'].includes(forge)) refuse(400, `forge ${forge} is not github, gitlab or forgejo`)
    // GitLab numbers issues apart from merge requests (nextIssue); the others number both alike.
    state.repos.set(key, { key, forge, owner: body.owner, name: body.name, gitDir: body.git_dir, defaultBranch: body.default_branch ?? 'main', pulls: [], issues: [], nextNumber: 1, nextIssue: 1, protected: new Set(), checkRuns: [], statuses: [] })
    return { status: 201, body: { key } }
  }],
  ['POST', '/_fake/tokens', ({ body }) => {
    for (const key of ['token', 'login']) if (!body[key]) refuse(400, `${key} is missing`)
    // `scopes: null`: a GitHub fine-grained token, which lists none.
    state.tokens.set(body.token, { login: body.login, scopes: body.scopes === undefined ? [] : body.scopes, grants: body.grants ?? {} })
    return { status: 201, body: { login: body.login } }
  }],
  // The token's rate limits: GitHub's quota (`remaining`, `reset_in` seconds, `limit`), or a
  // refusal for `refuse_for` seconds (`mode`: GitHub's `secondary` limit; GitLab's and Forgejo's 429).
  ['POST', '/_fake/tokens/:token/limits', ({ p, body }) => {
    const token = state.tokens.get(p.token)
    if (!token) refuse(404, 'no such token')
    const now = Date.now()
    token.quota ??= { limit: 5000, used: 0, reset: Math.ceil(now / 1000) + 3600 }
    if (body.limit !== undefined) token.quota.limit = body.limit
    if (body.reset_in !== undefined) token.quota.reset = Math.ceil((now + body.reset_in * 1000) / 1000)
    if (body.remaining !== undefined) token.quota.used = token.quota.limit - body.remaining
    token.refuse = body.refuse_for ? { until: now + body.refuse_for * 1000, mode: body.mode ?? 'secondary' } : null
    return { body: { quota: token.quota, refuse: token.refuse } }
  }],
  // The largest page the forge gives of this repository's lists (smaller than the forge's own).
  ['POST', '/_fake/repos/:owner/:repo/page-cap', ({ p, body }) => {
    const repo = repoOf(p.owner, p.repo)
    repo.pageCap = body.cap ?? undefined
    return { body: { cap: repo.pageCap ?? null } }
  }],
  // A person's comment on a pull request's conversation (a note on GitLab).
  ['POST', '/_fake/repos/:owner/:repo/pulls/:number/comments', ({ p, body }) => {
    const pr = pullOf(repoOf(p.owner, p.repo), p.number)
    const c = { id: nextId(), login: body.login ?? 'someone', body: body.body ?? '', at: now() }
    pr.issueComments.push(c)
    return { status: 201, body: { id: c.id } }
  }],
  // A person reopens a closed pull request.
  ['POST', '/_fake/repos/:owner/:repo/pulls/:number/reopen', ({ p }) => {
    const pr = pullOf(repoOf(p.owner, p.repo), p.number)
    if (pr.mergedAt) refuse(422, 'a merged pull request cannot be reopened')
    Object.assign(pr, { state: 'open', closedAt: null, updatedAt: now() })
    return { body: { state: pr.state } }
  }],
  ['POST', '/_fake/repos/:owner/:repo/protect', ({ p, body }) => {
    const repo = repoOf(p.owner, p.repo)
    if (body.merge_blocked === false) repo.protected.delete(body.branch)
    else repo.protected.add(body.branch)
    return { body: { protected: [...repo.protected] } }
  }],
  ['POST', '/_fake/repos/:owner/:repo/pulls/:number/merge', ({ p, body }) => {
    const repo = repoOf(p.owner, p.repo)
    return { body: { sha: mergePull(repo, pullOf(repo, p.number), body.login ?? 'someone', body.method) } }
  }],
  ['POST', '/_fake/repos/:owner/:repo/pulls/:number/close', ({ p }) => {
    const pr = pullOf(repoOf(p.owner, p.repo), p.number)
    Object.assign(pr, { state: 'closed', closedAt: now(), updatedAt: now() })
    return { body: { state: pr.state } }
  }],
  // With `"at_next_notes_read": true` the review is held, and submitted as GitLab's next read of
  // the merge request's notes begins; with `"after_next_reviews_read": true`, as GitHub's next read
  // of the pull request's reviews ends (before its line comments are read): a review landing while
  // a client reads the request's feedback.
  ['POST', '/_fake/repos/:owner/:repo/pulls/:number/reviews', ({ p, body }) => {
    const repo = repoOf(p.owner, p.repo)
    const pr = pullOf(repo, p.number)
    if (!['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED'].includes(body.state)) refuse(400, `state ${body.state} is not a review state`)
    if (body.at_next_notes_read || body.after_next_reviews_read) {
      pr.heldReviews = [...(pr.heldReviews ?? []), body]
      return { status: 202, body: { held: true } }
    }
    return { status: 201, body: { id: submitReview(repo, pr, body) } }
  }],
  ['POST', '/_fake/repos/:owner/:repo/check-runs', ({ p, body }) => {
    const repo = repoOf(p.owner, p.repo)
    for (const key of ['head_sha', 'name']) if (!body[key]) refuse(400, `${key} is missing`)
    const status = body.status ?? 'completed'
    if (!['queued', 'in_progress', 'completed'].includes(status)) refuse(400, `status ${status} is not a check run status`)
    const run = { id: nextId(), sha: body.head_sha, name: body.name, status, conclusion: body.conclusion ?? 'success', summary: body.summary, title: body.title, detailsUrl: body.details_url, at: now() }
    // A run of the same name on the same commit is replaced (a re-run).
    repo.checkRuns = repo.checkRuns.filter((r) => !(r.sha === run.sha && r.name === run.name))
    repo.checkRuns.push(run)
    return { status: 201, body: { id: run.id } }
  }],
  ['POST', '/_fake/repos/:owner/:repo/statuses/:sha', ({ p, body }) => {
    const repo = repoOf(p.owner, p.repo)
    if (!['pending', 'success', 'failure', 'error'].includes(body.state)) refuse(400, `state ${body.state} is not a status state`)
    repo.statuses.push({ id: nextId(), sha: p.sha, state: body.state, context: body.context ?? 'default', description: body.description, targetUrl: body.target_url, at: now() })
    return { status: 201, body: {} }
  }],
  ['POST', '/_fake/repos/:owner/:repo/issues', ({ p, body }) => {
    const repo = repoOf(p.owner, p.repo)
    if (!body.title) refuse(400, 'title is missing')
    const number = repo.forge === 'gitlab' ? repo.nextIssue++ : repo.nextNumber++
    const issue = { id: nextId(), number, title: body.title, body: body.body ?? null, state: 'open', author: body.login ?? 'someone', labels: body.labels ?? [], createdAt: now(), updatedAt: now(), closedAt: null, issueComments: [] }
    repo.issues.push(issue)
    return { status: 201, body: { number: issue.number } }
  }],
  ['GET', '/_fake/repos/:owner/:repo/issues/:number', ({ p }) => {
    const issue = repoOf(p.owner, p.repo).issues.find((i) => i.number === Number(p.number))
    if (!issue) refuse(404, 'Not Found')
    return { body: { state: issue.state, comments: issue.issueComments.map((c) => ({ login: c.login, body: c.body })) } }
  }],
  ['GET', '/_fake/repos/:owner/:repo/pulls/:number', ({ p }) => {
    const pr = pullOf(repoOf(p.owner, p.repo), p.number)
    return { body: { title: pr.title, body: pr.body, state: pr.state, head: pr.head } }
  }],
  ['GET', '/_fake/repos/:owner/:repo/pulls/:number/conversation', ({ p }) => {
    const pr = pullOf(repoOf(p.owner, p.repo), p.number)
    return { body: pr.issueComments.map((c) => ({ login: c.login, body: c.body })) }
  }],
  ['GET', '/_fake/requests', () => ({ body: state.requests })],
]

/** Records a review (its body, verdict and line comments) on `pr`; its id. */
function submitReview(repo, pr, body) {
  const commit = tip(repo.gitDir, pr.head)
  const r = { id: nextId(), login: body.login ?? 'reviewer', body: body.body ?? '', state: body.state, at: now(), commit }
  pr.reviews.push(r)
  for (const c of body.comments ?? []) {
    pr.lineComments.push({ id: nextId(), review: r.id, login: r.login, body: c.body, path: c.path, line: c.line ?? null, commit, at: now(), replyTo: null })
  }
  return r.id
}

/** Submits the reviews held for `pr`'s next read. */
function submitHeldReviews(repo, pr) {
  for (const body of pr.heldReviews ?? []) submitReview(repo, pr, body)
  pr.heldReviews = []
}

// ---- serving

function match(table, method, path) {
  for (const [m, pattern, handler] of table) {
    if (m !== method) continue
    const names = []
    // `:name` is one segment; `:name+`, the rest of the path.
    const regex = new RegExp('^' + pattern.replace(/:(\w+)(\+?)/g, (_, n, rest) => (names.push(n), rest ? '(.+)' : '([^/]+)')) + '$')
    const found = path.match(regex)
    if (found) return { handler, p: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1])])) }
  }
  return null
}

/** The API paths the fake serves, as `METHOD /path/:param` patterns. */
export const SERVED = routes.map(([method, pattern]) => `${method} ${pattern}`)

// What the other forges' routes share with GitHub's: the state, and the forge's own doings.
const shared = { state, refuse, caller, repoOf, pullOf, mergePull, submitHeldReviews, now, nextId, idOf, tip, isAncestor, paged }
const gitlab = gitlabRoutes(shared)
const forgejo = forgejoRoutes(shared)
/** Forgejo's paths, as `METHOD /api/v1/path/:param` patterns (for start.mjs to cut its description). */
export const SERVED_FORGEJO = forgejo.map(([method, pattern]) => `${method} ${pattern}`)

/** The table serving `path`, and how its refusals read. */
function api(path) {
  if (path.startsWith('/_fake/')) return { table: admin, reshape: (s, b) => b }
  // GitLab's errors: {"message": "404 Project Not Found"}.
  if (path.startsWith('/api/v4/')) return { table: gitlab, reshape: (s, b) => ({ message: `${s} ${b.message}` }) }
  // Forgejo's: {"message": …, "url": …}.
  if (path.startsWith('/api/v1/')) return { table: forgejo, reshape: (s, b) => ({ message: b.message, url: 'https://forgejo.org/docs/latest/' }) }
  return { table: routes, reshape: (s, b) => b }
}

/** The forge an API path is of. */
const forgeOf = (path) => (path.startsWith('/api/v4/') ? 'gitlab' : path.startsWith('/api/v1/') ? 'forgejo' : 'github')

/** The token a request carries, when the fake knows it. */
function tokenOf(req) {
  const header = req.headers['private-token'] ?? req.headers.authorization ?? ''
  return state.tokens.get(header.replace(/^(Bearer|token)\s+/i, '').trim())
}

export function serve(port = 0) {
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk) => (raw += chunk))
    req.on('end', () => {
      const url = new URL(req.url, `http://${req.headers.host ?? 'fake'}`)
      const isAdmin = url.pathname.startsWith('/_fake/')
      const forge = forgeOf(url.pathname)
      const { table, reshape } = api(url.pathname)
      const token = isAdmin ? undefined : tokenOf(req)
      const at = Date.now()
      let status = 500
      let body
      let headers = {}
      // When a refusal for the rate limit lets the token ask again (ms), for the request log.
      let until
      try {
        // A token's rate limit and scopes refuse before anything is done.
        const refused = token && (limitRefusal(forge, token, at) ?? scopeRefusal(forge, req.method, url.pathname, token))
        if (refused) {
          until = refused.until
          status = refused.status
          body = forge === 'gitlab' && !refused.body.message ? refused.body : reshape(refused.status, refused.body)
          headers = refused.headers ?? {}
        } else {
          const found = match(table, req.method, url.pathname)
          if (!found) refuse(404, 'Not Found')
          const parsed = raw ? JSON.parse(raw) : {}
          const out = found.handler({ req, p: found.p, query: url.searchParams, url, body: parsed })
          status = out.status ?? 200
          body = out.body
          headers = out.headers ?? {}
          if (!isAdmin && req.method === 'GET' && status === 200) {
            const answered = conditional(forge, req, body)
            status = answered.status
            headers = { ...headers, ...answered.headers }
            if (status === 304) body = undefined
          }
        }
      } catch (error) {
        if (error instanceof Refusal) {
          status = error.status
          body = reshape(error.status, error.body)
        } else {
          status = isAdmin ? 400 : 500
          body = { message: String(error?.stack ?? error) }
        }
      }
      if (token && forge === 'github') {
        spend(token, status, at)
        headers = { ...quotaHeaders(token, at), ...headers }
        if (token.scopes != null) headers['x-oauth-scopes'] = token.scopes.join(', ')
      }
      if (!isAdmin) state.requests.push({ method: req.method, path: url.pathname, query: url.search, status, at, ...(until ? { until } : {}) })
      // An answer without a body (Forgejo's merge, a 304) says no content type: Prism would read it as JSON.
      const type = body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }
      res.writeHead(status, { ...type, ...headers })
      res.end(body === undefined ? '' : JSON.stringify(body))
    })
  })
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
}
