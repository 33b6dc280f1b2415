// What the three forges' answers share beyond their shapes: lists paged as each forge pages
// them, what a token's scopes allow, its rate limits, and conditional requests.
//
// - Paging: GitHub and GitLab take `per_page` (at most 100), Forgejo `limit` (at most 50), all
//   `page`. GitHub says where the rest is in `Link`; GitLab in `Link` and `X-Next-Page`,
//   `X-Total`; Forgejo in `Link` and `X-Total-Count` (its combined status in `X-Total-Count` only).
//   A repository's `pageCap` (admin) makes pages smaller still.
// - Scopes: GitHub's classic tokens need `repo` to write (a fine-grained token, `scopes: null`,
//   lists none); GitLab's `api` does all, `read_api` reads, `read_user` reads the user; Forgejo's
//   `read:<area>`/`write:<area>` per area (`repository`, `issue`, `user`), `all` for all.
// - Rate limits: GitHub's quota (5,000 an hour per token, stated in `X-RateLimit-*` on every
//   answer; a 304 costs none; spent, 403 until the reset) and its secondary limit (403 with
//   `Retry-After`); GitLab's 429 with `Retry-After` and `RateLimit-Reset`; Forgejo's 429 with
//   `Retry-After`. A test sets them through the admin API.
// - Conditional requests: GitHub and GitLab answer a GET with an `ETag`, and `304 Not Modified`
//   to `If-None-Match` naming it. Forgejo's API sends none.
import { createHash } from 'node:crypto'

const PAGE = {
  github: { param: 'per_page', fallback: 30, max: 100 },
  gitlab: { param: 'per_page', fallback: 20, max: 100 },
  forgejo: { param: 'limit', fallback: 30, max: 50 },
}

/**
 * One page of `list` as `forge` pages it, with the headers saying where the rest is: `{ items,
 * headers }`. `url` is the request's; `link: false` leaves `Link` out (Forgejo's combined status).
 */
export function paged(forge, url, list, { cap, link = true } = {}) {
  const { param, fallback, max } = PAGE[forge]
  const asked = Number(url.searchParams.get(param)) || fallback
  const size = Math.max(1, Math.min(asked, max, cap ?? Infinity))
  const page = Math.max(1, Math.floor(Number(url.searchParams.get('page')) || 1))
  const pages = Math.max(1, Math.ceil(list.length / size))
  const items = list.slice((page - 1) * size, page * size)
  const at = (n) => {
    const u = new URL(url)
    u.searchParams.set('page', String(n))
    return `<${u}>`
  }
  const rels = []
  if (page < pages) rels.push(`${at(page + 1)}; rel="next"`, `${at(pages)}; rel="last"`)
  if (page > 1) rels.push(`${at(1)}; rel="first"`, `${at(page - 1)}; rel="prev"`)
  const headers = {}
  if (link && rels.length) headers.link = rels.join(', ')
  if (forge === 'gitlab') {
    Object.assign(headers, {
      'x-page': String(page),
      'x-per-page': String(size),
      'x-next-page': page < pages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      'x-total': String(list.length),
      'x-total-pages': String(pages),
    })
  }
  if (forge === 'forgejo') headers['x-total-count'] = String(list.length)
  return { items, headers }
}

/** Why `token` may not make this request on `forge` by its scopes: `{ status, body, headers }`, or null. */
export function scopeRefusal(forge, method, path, token) {
  const scopes = token.scopes
  const reading = method === 'GET'
  if (forge === 'github') {
    // A fine-grained token lists no scopes; its grants decide.
    if (scopes == null || reading || !path.startsWith('/repos/')) return null
    if (scopes.includes('repo') || scopes.includes('public_repo')) return null
    return {
      status: 403,
      body: { message: 'Resource not accessible by personal access token' },
      headers: { 'x-accepted-oauth-scopes': 'repo' },
    }
  }
  if (forge === 'gitlab') {
    const has = (s) => scopes?.includes(s)
    if (has('api') || (reading && has('read_api')) || path === '/api/v4/personal_access_tokens/self') return null
    if (path === '/api/v4/user' && has('read_user')) return null
    return { status: 403, body: { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: reading ? 'read_api' : 'api' } }
  }
  const area = path === '/api/v1/user' ? 'user' : /\/issues(\/|$)/.test(path) ? 'issue' : 'repository'
  const has = (s) => scopes?.includes(s)
  if (has('all') || has(`write:${area}`) || (reading && has(`read:${area}`))) return null
  const needed = `${reading ? 'read' : 'write'}:${area}`
  return { status: 403, body: { message: `token does not have at least one of required scope(s): [${needed}]` } }
}

/** The token's quota for GitHub's window, started anew once its reset has passed. */
function quota(token, now) {
  token.quota ??= { limit: 5000, used: 0, reset: 0 }
  if (now >= token.quota.reset * 1000) Object.assign(token.quota, { used: 0, reset: Math.ceil(now / 1000) + 3600 })
  return token.quota
}

/** GitHub's `X-RateLimit-*` headers of `token` now. */
export function quotaHeaders(token, now = Date.now()) {
  const q = quota(token, now)
  return {
    'x-ratelimit-limit': String(q.limit),
    'x-ratelimit-remaining': String(Math.max(0, q.limit - q.used)),
    'x-ratelimit-reset': String(q.reset),
    'x-ratelimit-used': String(q.used),
    'x-ratelimit-resource': 'core',
  }
}

/** GitHub counts a request against the token's quota (not a 304). */
export function spend(token, status, now = Date.now()) {
  if (status !== 304) quota(token, now).used++
}

/**
 * The refusal of a request while `token` is rate limited on `forge`: `{ status, body, headers,
 * until }` (`until`: when the forge lets it ask again, in ms), or null.
 */
export function limitRefusal(forge, token, now = Date.now()) {
  const refuse = token.refuse
  const wait = refuse && refuse.until > now ? Math.ceil((refuse.until - now) / 1000) : 0
  if (forge === 'github') {
    const q = quota(token, now)
    if (wait && refuse.mode === 'secondary') {
      return { status: 403, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, headers: { 'retry-after': String(wait), ...quotaHeaders(token, now) }, until: now + wait * 1000 }
    }
    if (q.used >= q.limit) {
      return { status: 403, body: { message: `API rate limit exceeded for user ID ${token.login.length}.`, documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, headers: quotaHeaders(token, now), until: q.reset * 1000 }
    }
    return null
  }
  if (!wait) return null
  if (forge === 'gitlab') {
    const reset = String(Math.ceil(refuse.until / 1000))
    return { status: 429, body: { message: 'Retry later' }, headers: { 'retry-after': String(wait), 'ratelimit-reset': reset, 'ratelimit-limit': '600', 'ratelimit-remaining': '0', 'ratelimit-observed': '600' }, until: Math.max(now + wait * 1000, Number(reset) * 1000) }
  }
  return { status: 429, body: { message: 'rate limit exceeded' }, headers: { 'retry-after': String(wait) }, until: now + wait * 1000 }
}

/**
 * The conditional answer of a GET: `{ status: 304 }` when `If-None-Match` names the answer's
 * tag, else the answer with its `ETag`. Forgejo's API answers without one.
 */
export function conditional(forge, req, body) {
  if (forge === 'forgejo' || body === undefined) return { status: 200, headers: {} }
  const tag = `W/"${createHash('sha1').update(JSON.stringify(body)).digest('hex')}"`
  const asked = (req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim())
  return { status: asked.includes(tag) ? 304 : 200, headers: { etag: tag } }
}
