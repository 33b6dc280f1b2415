// GitHub's REST API, the part spectask uses: the token's user, a repository, pull requests
// (list, open, read, edit, merge), their reviews and comments, checks and statuses, and issues.
// Each handler gets { store, objects, token, params, query, body } and returns
// { status, body, headers? } or throws an HttpError.
import * as activity from './activity.mjs'
import * as git from './git.mjs'
import { basicError, notFound, Router, validationFailed } from './http.mjs'
import * as pulls from './pulls.mjs'
import { now } from './store.mjs'

const DOCS_CREATE = 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request'

/** 401 unless the request carries a token. */
function requireToken(ctx) {
  if (!ctx.token) throw basicError(401, 'Requires authentication')
  return ctx.token
}

/** The repository of the path, or 404 when there is none or the token cannot see it. */
function visibleRepo(ctx) {
  const repo = ctx.store.repo(ctx.params.owner, ctx.params.repo)
  if (!repo || !ctx.store.canSee(ctx.token, repo)) throw notFound()
  return repo
}

const forbidden = () => basicError(403, 'Resource not accessible by personal access token')

/** 403 unless the token's scopes allow writing to `repo` (commenting included). */
function requireWriteScope(ctx, repo) {
  if (!ctx.store.scopesAllow(requireToken(ctx), repo, 'write')) throw forbidden()
}

/** 403 unless the token may push to `repo`, or is `author`'s (who may edit their own). */
function requirePushOrAuthor(ctx, repo, author) {
  const token = requireToken(ctx)
  const own = author && token.login.toLowerCase() === author.toLowerCase()
  if (ctx.store.canPush(token, repo)) return
  if (own && ctx.store.scopesAllow(token, repo, 'write')) return
  throw forbidden()
}

function pullOf(ctx, repo) {
  const pr = ctx.store.pull(repo, ctx.params.number)
  if (!pr) throw notFound()
  return pr
}

function itemOf(ctx, repo) {
  const item = ctx.store.item(repo, ctx.params.number)
  if (!item) throw notFound()
  return item
}

/** One page of `items` (per_page, page), with GitHub's Link header when there are others. */
function page(ctx, items) {
  const perPage = Math.min(Math.max(Number(ctx.query.per_page) || 30, 1), 100)
  const current = Math.max(Number(ctx.query.page) || 1, 1)
  const last = Math.max(Math.ceil(items.length / perPage), 1)
  const link = (n, rel) => {
    const url = new URL(`${ctx.objects.urls.api}${ctx.path}`)
    for (const [k, v] of Object.entries(ctx.query)) url.searchParams.set(k, v)
    url.searchParams.set('per_page', String(perPage))
    url.searchParams.set('page', String(n))
    return `<${url}>; rel="${rel}"`
  }
  const links = []
  if (current > 1) links.push(link(1, 'first'), link(Math.min(current - 1, last), 'prev'))
  if (current < last) links.push(link(current + 1, 'next'), link(last, 'last'))
  const headers = links.length ? { link: links.join(', ') } : {}
  return { headers, items: items.slice((current - 1) * perPage, current * perPage) }
}

const list = (ctx, items) => {
  const { headers, items: slice } = page(ctx, items)
  return { status: 200, body: slice, headers }
}

/** Sorts by a timestamp field, then by number or id, `direction` asc or desc. */
function sortBy(items, field, direction) {
  const sign = direction === 'asc' ? 1 : -1
  return [...items].sort((a, b) => sign * (a[field].localeCompare(b[field]) || (a.number ?? a.id) - (b.number ?? b.id)))
}

const since = (ctx, items) => (ctx.query.since ? items.filter((i) => i.updated_at >= ctx.query.since) : items)

// 1. The token's user.
function getUser(ctx) {
  const token = requireToken(ctx)
  return { status: 200, body: ctx.objects.privateUser(token.login) }
}

// 2. A repository, with the token's permissions.
function getRepo(ctx) {
  const repo = visibleRepo(ctx)
  const grant = ctx.token ? ctx.store.grant(ctx.token, repo) : undefined
  return { status: 200, body: ctx.objects.fullRepository(repo, grant) }
}

// 3. Pull requests: state, head (owner:branch), base, sort, direction.
function listPulls(ctx) {
  const repo = visibleRepo(ctx)
  const { state = 'open', head, base, sort = 'created' } = ctx.query
  const headRef = head?.includes(':') ? head : head && `${repo.owner}:${head}`
  let found = repo.items.filter((i) => i.isPull && (state === 'all' || i.state === state))
  if (headRef) found = found.filter((pr) => `${repo.owner}:${pr.head.ref}`.toLowerCase() === headRef.toLowerCase())
  if (base) found = found.filter((pr) => pr.base.ref === base)
  const direction = ctx.query.direction ?? (sort === 'created' ? 'desc' : 'asc')
  found = sortBy(found, sort === 'updated' ? 'updated_at' : 'created_at', direction)
  return list(ctx, found.map((pr) => ctx.objects.pullRequestSimple(repo, pr, pulls.tips(repo, pr))))
}

function pullAnswer(ctx, repo, pr, status = 200) {
  return { status, body: ctx.objects.pullRequest(repo, pr, pulls.facts(ctx.store, repo, pr)) }
}

// 4. Opening a pull request.
function createPull(ctx) {
  const token = requireToken(ctx)
  const repo = visibleRepo(ctx)
  const { title, head, base, body, draft } = ctx.body ?? {}
  if (!ctx.store.canPush(token, repo)) {
    const message = `${token.login} may not push to ${repo.owner}/${repo.name}, so cannot open pull requests from its branches.`
    throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'custom', message }], DOCS_CREATE)
  }
  if (!title) throw validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }], DOCS_CREATE)
  const pr = pulls.open(ctx.store, repo, token.login, { title, head, base, body, draft })
  return pullAnswer(ctx, repo, pr, 201)
}

// 5. A pull request, read live.
function getPull(ctx) {
  const repo = visibleRepo(ctx)
  return pullAnswer(ctx, repo, pullOf(ctx, repo))
}

// 6. Editing a pull request: title, body, state (closing, reopening), base.
function updatePull(ctx) {
  const repo = visibleRepo(ctx)
  const pr = pullOf(ctx, repo)
  requirePushOrAuthor(ctx, repo, pr.user)
  const { title, body, state, base } = ctx.body ?? {}
  if (state === 'closed' && pr.state === 'open') pulls.close(ctx.store, repo, pr, ctx.token.login)
  if (state === 'open' && pr.state === 'closed') pulls.reopen(ctx.store, repo, pr)
  if (base !== undefined && base !== pr.base.ref) {
    if (pr.state !== 'open') throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
    pulls.retarget(repo, pr, base)
  }
  if (title !== undefined) pr.title = title
  if (body !== undefined) pr.body = body
  pr.updated_at = now()
  return pullAnswer(ctx, repo, pr)
}

// 7. Merging a pull request: a real merge, squash or rebase in the bare repository.
function mergePull(ctx) {
  const token = requireToken(ctx)
  const repo = visibleRepo(ctx)
  const pr = pullOf(ctx, repo)
  if (!ctx.store.canPush(token, repo)) throw forbidden()
  const { merge_method: method = 'merge', commit_title: commitTitle, commit_message: commitMessage, sha } = ctx.body ?? {}
  const tip = pulls.merge(ctx.store, repo, pr, token.login, { method, commitTitle, commitMessage, sha })
  return { status: 200, body: ctx.objects.mergeResult(tip) }
}

// Whether a pull request was merged: 204 or 404.
function checkMerged(ctx) {
  const repo = visibleRepo(ctx)
  if (!pullOf(ctx, repo).merged) throw notFound()
  return { status: 204 }
}

// 8. Reviews, line comments, issue comments and replies.
function listReviews(ctx) {
  const repo = visibleRepo(ctx)
  const pr = pullOf(ctx, repo)
  const reviews = repo.reviews.filter((r) => r.number === pr.number)
  return list(ctx, reviews.map((r) => ctx.objects.review(repo, r)))
}

function listLineComments(ctx) {
  const repo = visibleRepo(ctx)
  const pr = pullOf(ctx, repo)
  const field = ctx.query.sort === 'updated' ? 'updated_at' : 'created_at'
  const comments = sortBy(since(ctx, repo.reviewComments.filter((c) => c.number === pr.number)), field, ctx.query.direction ?? 'asc')
  return list(ctx, comments.map((c) => ctx.objects.reviewComment(repo, c)))
}

function replyToLineComment(ctx) {
  const token = requireToken(ctx)
  const repo = visibleRepo(ctx)
  const pr = pullOf(ctx, repo)
  const target = repo.reviewComments.find((c) => c.id === Number(ctx.params.comment_id) && c.number === pr.number)
  if (!target) throw notFound()
  requireWriteScope(ctx, repo)
  const comment = activity.addLineComment(ctx.store, repo, pr, token.login, { body: ctx.body.body, inReplyTo: target })
  return { status: 201, body: ctx.objects.reviewComment(repo, comment) }
}

function listIssueComments(ctx) {
  const repo = visibleRepo(ctx)
  const item = itemOf(ctx, repo)
  const comments = since(ctx, repo.issueComments.filter((c) => c.number === item.number))
  return list(ctx, comments.map((c) => ctx.objects.issueComment(repo, c)))
}

function createIssueComment(ctx) {
  const token = requireToken(ctx)
  const repo = visibleRepo(ctx)
  const item = itemOf(ctx, repo)
  requireWriteScope(ctx, repo)
  const comment = activity.addIssueComment(ctx.store, repo, item, token.login, ctx.body.body)
  return { status: 201, body: ctx.objects.issueComment(repo, comment) }
}

// 9. Checks and statuses of a commit (a SHA, branch or tag).
function commitOf(ctx, repo) {
  return git.resolveCommit(repo.gitDir, ctx.params.ref)
}

function listCheckRuns(ctx) {
  const repo = visibleRepo(ctx)
  const sha = commitOf(ctx, repo)
  if (!sha) throw basicError(422, `No commit found for SHA: ${ctx.params.ref}`)
  const { check_name: name, status, filter = 'latest' } = ctx.query
  let runs = repo.checkRuns.filter((r) => r.head_sha === sha)
  if (filter === 'latest') runs = runs.filter((r) => !runs.some((o) => o.name === r.name && o.id > r.id))
  if (name) runs = runs.filter((r) => r.name === name)
  if (status) runs = runs.filter((r) => r.status === status)
  runs = runs.sort((a, b) => b.id - a.id)
  const open = repo.items
    .filter((i) => i.isPull && i.state === 'open')
    .map((pr) => ({ pr, ...pulls.tips(repo, pr) }))
    .filter(({ headSha }) => headSha === sha)
  const { headers, items } = page(ctx, runs)
  const body = { total_count: runs.length, check_runs: items.map((r) => ctx.objects.checkRun(repo, r, open)) }
  return { status: 200, body, headers }
}

function combinedStatus(ctx) {
  const repo = visibleRepo(ctx)
  const sha = commitOf(ctx, repo)
  if (!sha) throw notFound()
  const statuses = ctx.store.latestStatuses(repo, sha)
  const { headers, items } = page(ctx, statuses)
  const body = { ...ctx.objects.combinedStatus(repo, sha, statuses), statuses: items.map((s) => ctx.objects.status(repo, s)) }
  return { status: 200, body, headers }
}

// 10. Issues (pull requests among them, with `pull_request`, as GitHub lists them).
function listIssues(ctx) {
  const repo = visibleRepo(ctx)
  const { state = 'open', labels, creator, sort = 'created', direction = 'desc' } = ctx.query
  let found = repo.items.filter((i) => state === 'all' || i.state === state)
  if (labels) {
    const wanted = labels.split(',').map((l) => l.trim().toLowerCase()).filter(Boolean)
    found = found.filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
  }
  if (creator) found = found.filter((i) => i.user?.toLowerCase() === creator.toLowerCase())
  found = sortBy(since(ctx, found), sort === 'updated' ? 'updated_at' : 'created_at', direction)
  return list(ctx, found.map((i) => ctx.objects.issue(repo, i)))
}

function getIssue(ctx) {
  const repo = visibleRepo(ctx)
  return { status: 200, body: ctx.objects.issue(repo, itemOf(ctx, repo)) }
}

function updateIssue(ctx) {
  const repo = visibleRepo(ctx)
  const item = itemOf(ctx, repo)
  requirePushOrAuthor(ctx, repo, item.user)
  const { title, body, state, state_reason: reason, labels } = ctx.body ?? {}
  if (state === 'closed' && item.state === 'open') {
    if (item.isPull) pulls.close(ctx.store, repo, item, ctx.token.login)
    else ctx.store.close(item, ctx.token.login, reason ?? 'completed')
  }
  if (state === 'open' && item.state === 'closed') {
    if (item.isPull) pulls.reopen(ctx.store, repo, item)
    else ctx.store.reopen(item)
  }
  if (title !== undefined && title !== null) item.title = String(title)
  if (body !== undefined) item.body = body
  // As on GitHub, labels from someone who may not push are dropped without a word.
  if (Array.isArray(labels) && ctx.store.canPush(ctx.token, repo)) {
    ctx.store.setLabels(repo, item, labels.map((l) => (typeof l === 'string' ? l : l.name)).filter(Boolean))
  }
  item.updated_at = now()
  return { status: 200, body: ctx.objects.issue(repo, item) }
}

export function apiRoutes() {
  const repo = '/repos/:owner/:repo'
  return new Router()
    .add('GET', '/user', getUser)
    .add('GET', repo, getRepo)
    .add('GET', `${repo}/pulls`, listPulls)
    .add('POST', `${repo}/pulls`, createPull)
    .add('GET', `${repo}/pulls/:number`, getPull)
    .add('PATCH', `${repo}/pulls/:number`, updatePull)
    .add('PUT', `${repo}/pulls/:number/merge`, mergePull)
    .add('GET', `${repo}/pulls/:number/merge`, checkMerged)
    .add('GET', `${repo}/pulls/:number/reviews`, listReviews)
    .add('GET', `${repo}/pulls/:number/comments`, listLineComments)
    .add('POST', `${repo}/pulls/:number/comments/:comment_id/replies`, replyToLineComment)
    .add('GET', `${repo}/issues/:number/comments`, listIssueComments)
    .add('POST', `${repo}/issues/:number/comments`, createIssueComment)
    .add('GET', `${repo}/commits/:ref/check-runs`, listCheckRuns)
    .add('GET', `${repo}/commits/:ref/status`, combinedStatus)
    .add('GET', `${repo}/issues`, listIssues)
    .add('GET', `${repo}/issues/:number`, getIssue)
    .add('PATCH', `${repo}/issues/:number`, updateIssue)
}
