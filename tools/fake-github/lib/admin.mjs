// The admin API under /_fake (the fake's own port, not through Prism): tests set up repositories
// and tokens, and act as people and CI (merging, closing, reviewing, commenting, checks, issues).
// Bad input is a 400 naming what is wrong; unknown repositories and pull requests are 404s.
import { isAbsolute } from 'node:path'
import * as activity from './activity.mjs'
import * as git from './git.mjs'
import { adminError, HttpError, Router } from './http.mjs'
import * as pulls from './pulls.mjs'

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/
const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/
const GRANTS = ['read', 'write', 'admin']
const REVIEW_STATES = ['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED']
const CHECK_STATUSES = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending']
const CONCLUSIONS = ['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required']
const STATUS_STATES = ['error', 'failure', 'pending', 'success']
const MERGE_METHODS = ['merge', 'squash', 'rebase']

/** Checks the admin body against `shape` ({ field: 'string' | 'string?' | 'boolean?' | … }). */
function check(body, shape) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw adminError('the body must be a JSON object')
  for (const [field, kind] of Object.entries(shape)) {
    const optional = kind.endsWith('?')
    const type = optional ? kind.slice(0, -1) : kind
    const value = body[field]
    if (value === undefined || value === null) {
      if (optional) continue
      throw adminError(`"${field}" is required (${type})`)
    }
    const ok = {
      string: () => typeof value === 'string',
      text: () => typeof value === 'string' && value.trim() !== '',
      boolean: () => typeof value === 'boolean',
      line: () => Number.isInteger(value) && value > 0,
      strings: () => Array.isArray(value) && value.every((v) => typeof v === 'string'),
      array: () => Array.isArray(value),
      object: () => typeof value === 'object' && !Array.isArray(value),
    }[type]()
    if (!ok) throw adminError(`"${field}" must be ${{ text: 'a non-empty string', line: 'a positive integer', strings: 'an array of strings' }[type] ?? `a ${type}`}`)
  }
  return body
}

function oneOf(field, value, allowed) {
  if (value !== undefined && !allowed.includes(value)) throw adminError(`"${field}" must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`)
}

function login(body) {
  check(body, { login: 'text' })
  if (!LOGIN.test(body.login)) throw adminError(`"login" is not a GitHub login: ${JSON.stringify(body.login)}`)
  return body.login
}

function repoOf(ctx) {
  const repo = ctx.store.repo(ctx.params.owner, ctx.params.name)
  if (!repo) throw adminError(`no repository ${ctx.params.owner}/${ctx.params.name} (register it with POST /_fake/repos)`, 404)
  return repo
}

function pullOf(ctx, repo) {
  const pr = ctx.store.pull(repo, ctx.params.number)
  if (!pr) throw adminError(`no pull request #${ctx.params.number} in ${repo.owner}/${repo.name}`, 404)
  return pr
}

function addRepo(ctx) {
  const body = check(ctx.body, {
    owner: 'text',
    name: 'text',
    git_dir: 'text',
    private: 'boolean?',
    allow_merge_commit: 'boolean?',
    allow_squash_merge: 'boolean?',
    allow_rebase_merge: 'boolean?',
  })
  if (!LOGIN.test(body.owner)) throw adminError(`"owner" is not a GitHub login: ${JSON.stringify(body.owner)}`)
  if (!REPO_NAME.test(body.name)) throw adminError(`"name" is not a repository name: ${JSON.stringify(body.name)}`)
  if (!isAbsolute(body.git_dir)) throw adminError(`"git_dir" must be an absolute path (got ${JSON.stringify(body.git_dir)})`)
  if (!git.isRepository(body.git_dir)) throw adminError(`"git_dir" is not a git repository: ${body.git_dir}`)
  if (ctx.store.repo(body.owner, body.name)) throw adminError(`repository ${body.owner}/${body.name} is already registered`, 409)
  const repo = ctx.store.addRepo({
    owner: body.owner,
    name: body.name,
    gitDir: body.git_dir,
    isPrivate: body.private ?? false,
    settings: {
      allow_merge_commit: body.allow_merge_commit ?? true,
      allow_squash_merge: body.allow_squash_merge ?? true,
      allow_rebase_merge: body.allow_rebase_merge ?? true,
    },
  })
  return { status: 201, body: ctx.objects.fullRepository(repo) }
}

function addToken(ctx) {
  const body = check(ctx.body, { token: 'text', login: 'text', scopes: 'strings?', grants: 'object?' })
  login(body)
  const grants = body.grants ?? {}
  for (const [repo, grant] of Object.entries(grants)) {
    const [owner, name, ...rest] = repo.split('/')
    if (rest.length || !LOGIN.test(owner ?? '') || !REPO_NAME.test(name ?? '')) throw adminError(`grant key ${JSON.stringify(repo)} must be "owner/name"`)
    oneOf(`grants["${repo}"]`, grant, GRANTS)
  }
  // No scopes: a token that is not a classic one (no X-OAuth-Scopes, grants alone decide).
  const token = ctx.store.addToken({ token: body.token, login: body.login, scopes: body.scopes ?? null, grants })
  return { status: 201, body: token }
}

function protect(ctx) {
  const repo = repoOf(ctx)
  const body = check(ctx.body, { branch: 'text', merge_blocked: 'boolean' })
  repo.protections[body.branch] = { merge_blocked: body.merge_blocked }
  return { status: 200, body: { branch: body.branch, merge_blocked: body.merge_blocked } }
}

/** A person's refusal: the API's (405, 409, 422) becomes a 409 with its message. */
function asPerson(work) {
  try {
    return work()
  } catch (error) {
    if (error instanceof HttpError && error.status !== 400) throw adminError(error.body.message, 409)
    throw error
  }
}

function mergeAsPerson(ctx) {
  const repo = repoOf(ctx)
  const pr = pullOf(ctx, repo)
  const who = login(ctx.body)
  oneOf('method', ctx.body.method, MERGE_METHODS)
  // A person (an admin, say) merges past branch protection.
  const tip = asPerson(() => pulls.merge(ctx.store, repo, pr, who, { method: ctx.body.method, protection: false }))
  return { status: 200, body: ctx.objects.mergeResult(tip) }
}

function closeAsPerson(ctx) {
  const repo = repoOf(ctx)
  const pr = pullOf(ctx, repo)
  const who = login(ctx.body)
  if (pr.state !== 'open') throw adminError(`pull request #${pr.number} is not open`, 409)
  pulls.close(ctx.store, repo, pr, who)
  return { status: 200, body: ctx.objects.pullRequest(repo, pr, pulls.facts(ctx.store, repo, pr)) }
}

function lineCommentInput(value, where) {
  const c = check(value, { path: 'text', line: 'line', body: 'text' })
  if (c.path.startsWith('/')) throw adminError(`${where}"path" must be relative to the repository's root`)
  return { path: c.path, line: c.line, body: c.body }
}

function review(ctx) {
  const repo = repoOf(ctx)
  const pr = pullOf(ctx, repo)
  const who = login(ctx.body)
  const body = check(ctx.body, { state: 'text', body: 'string?', comments: 'array?' })
  oneOf('state', body.state, REVIEW_STATES)
  const comments = (body.comments ?? []).map((c, i) => {
    try {
      return lineCommentInput(c, '')
    } catch (error) {
      throw adminError(`comments[${i}]: ${error.message}`)
    }
  })
  const made = activity.addReview(ctx.store, repo, pr, who, { state: body.state, body: body.body ?? '', comments })
  const answer = { ...ctx.objects.review(repo, made.review), comments: made.comments.map((c) => ctx.objects.reviewComment(repo, c)) }
  return { status: 201, body: answer }
}

function lineComment(ctx) {
  const repo = repoOf(ctx)
  const pr = pullOf(ctx, repo)
  const who = login(ctx.body)
  const comment = activity.addLineComment(ctx.store, repo, pr, who, lineCommentInput(ctx.body, ''))
  return { status: 201, body: ctx.objects.reviewComment(repo, comment) }
}

function issueComment(ctx) {
  const repo = repoOf(ctx)
  const item = ctx.store.item(repo, ctx.params.number)
  if (!item) throw adminError(`no issue or pull request #${ctx.params.number} in ${repo.owner}/${repo.name}`, 404)
  const who = login(ctx.body)
  const { body } = check(ctx.body, { body: 'text' })
  const comment = activity.addIssueComment(ctx.store, repo, item, who, body)
  return { status: 201, body: ctx.objects.issueComment(repo, comment) }
}

function commitOf(repo, ref, field) {
  const sha = git.resolveCommit(repo.gitDir, ref)
  if (!sha) throw adminError(`${field} ${JSON.stringify(ref)} is no commit of ${repo.owner}/${repo.name}`)
  return sha
}

function checkRun(ctx) {
  const repo = repoOf(ctx)
  const body = check(ctx.body, { head_sha: 'text', name: 'text', status: 'string?', conclusion: 'string?', output: 'object?', details_url: 'string?' })
  const status = body.status ?? (body.conclusion ? 'completed' : 'queued')
  oneOf('status', status, CHECK_STATUSES)
  oneOf('conclusion', body.conclusion ?? undefined, CONCLUSIONS)
  if (status === 'completed' && !body.conclusion) throw adminError('"conclusion" is required when "status" is completed')
  if (status !== 'completed' && body.conclusion) throw adminError(`"conclusion" goes with status completed, not ${status}`)
  if (body.output) check(body.output, { title: 'string?', summary: 'string?', text: 'string?' })
  const sha = commitOf(repo, body.head_sha, '"head_sha"')
  const run = activity.addCheckRun(ctx.store, repo, sha, { ...body, status })
  return { status: 201, body: ctx.objects.checkRun(repo, run, []) }
}

function commitStatus(ctx) {
  const repo = repoOf(ctx)
  const body = check(ctx.body, { state: 'text', context: 'string?', description: 'string?', target_url: 'string?' })
  oneOf('state', body.state, STATUS_STATES)
  const sha = commitOf(repo, ctx.params.sha, 'sha')
  const status = activity.addStatus(ctx.store, repo, sha, body)
  return { status: 201, body: ctx.objects.status(repo, status) }
}

function issue(ctx) {
  const repo = repoOf(ctx)
  const who = login(ctx.body)
  const body = check(ctx.body, { title: 'text', body: 'string?', labels: 'strings?' })
  const made = activity.addIssue(ctx.store, repo, who, body)
  return { status: 201, body: ctx.objects.issue(repo, made) }
}

export function adminRoutes() {
  const repo = '/_fake/repos/:owner/:name'
  return new Router()
    .add('POST', '/_fake/repos', addRepo)
    .add('POST', '/_fake/tokens', addToken)
    .add('POST', `${repo}/protect`, protect)
    .add('POST', `${repo}/pulls/:number/merge`, mergeAsPerson)
    .add('POST', `${repo}/pulls/:number/close`, closeAsPerson)
    .add('POST', `${repo}/pulls/:number/reviews`, review)
    .add('POST', `${repo}/pulls/:number/comments`, lineComment)
    .add('POST', `${repo}/issues/:number/comments`, issueComment)
    .add('POST', `${repo}/check-runs`, checkRun)
    .add('POST', `${repo}/statuses/:sha`, commitStatus)
    .add('POST', `${repo}/issues`, issue)
    .add('GET', '/_fake/requests', (ctx) => ({ status: 200, body: ctx.store.requests }))
    .add('GET', '/_fake/state', (ctx) => ({ status: 200, body: ctx.store.snapshot() }))
}
