// Forgejo's REST API (v1) over the fake's state, for the repositories registered with
// `forge: "forgejo"`. Prism stands in front of it with Forgejo's own Swagger description (the one
// the forgejo-api crate ships and generates its client from), holding every request and answer to
// it. That description marks nothing nullable, so an absent value is left out, never null.
//
// How the forge-neutral state reads here: reviews are Forgejo's (REQUEST_CHANGES, APPROVED,
// COMMENT) with their line comments under them; check runs and commit statuses are statuses.

const WEB = 'https://forgejo.invalid'
const REVIEW_STATE = { CHANGES_REQUESTED: 'REQUEST_CHANGES', APPROVED: 'APPROVED', COMMENTED: 'COMMENT' }

/** `object` without its null and undefined properties, at every depth. */
function clean(object) {
  if (Array.isArray(object)) return object.map(clean)
  if (!object || typeof object !== 'object') return object
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, clean(v)]))
}

export function forgejoRoutes({ state, refuse, caller, repoOf, pullOf, mergePull, now, idOf, tip, isAncestor, nextId, paged }) {
  const user = (login) => ({ id: idOf(login), login, login_name: login, full_name: login, email: `${login}@forgejo.invalid`, html_url: `${WEB}/${login}`, avatar_url: `${WEB}/avatars/${login}`, is_admin: false, created: '2026-01-01T00:00:00Z' })

  /** The repository, and the caller, who needs `need` on it. */
  function access(req, p, need) {
    const repo = repoOf(p.owner, p.repo, 'forgejo')
    return { repo, token: caller(req, repo, need) }
  }

  function repository(repo, token) {
    const rank = { read: 1, write: 2, admin: 3 }[token?.grants[repo.key]] ?? 0
    return { id: idOf(repo.key), name: repo.name, full_name: repo.key, owner: user(repo.owner), private: true, default_branch: repo.defaultBranch, html_url: `${WEB}/${repo.key}`, clone_url: `${WEB}/${repo.key}.git`, permissions: { admin: rank >= 3, push: rank >= 2, pull: rank >= 1 } }
  }

  function pullRequest(repo, pr) {
    const side = (ref) => ({ label: ref, ref, sha: tip(repo.gitDir, ref) ?? pr.headSha, repo_id: idOf(repo.key) })
    return clean({
      id: pr.id,
      number: pr.number,
      url: `${WEB}/${repo.key}/pulls/${pr.number}`,
      html_url: `${WEB}/${repo.key}/pulls/${pr.number}`,
      diff_url: `${WEB}/${repo.key}/pulls/${pr.number}.diff`,
      patch_url: `${WEB}/${repo.key}/pulls/${pr.number}.patch`,
      state: pr.state,
      title: pr.title,
      body: pr.body ?? '',
      user: user(pr.author),
      draft: /^(wip:|\[wip\])/i.test(pr.title),
      is_locked: false,
      mergeable: pr.state === 'open',
      merged: Boolean(pr.mergedAt),
      merged_at: pr.mergedAt,
      merged_by: pr.mergedBy ? user(pr.mergedBy) : null,
      merge_commit_sha: pr.mergeCommit,
      head: side(pr.head),
      base: side(pr.base),
      comments: pr.issueComments.length,
      review_comments: pr.lineComments.length,
      labels: [],
      assignees: [],
      requested_reviewers: [],
      created_at: pr.createdAt,
      updated_at: pr.updatedAt,
      closed_at: pr.closedAt,
    })
  }

  function review(repo, pr, r) {
    return clean({ id: r.id, state: REVIEW_STATE[r.state], body: r.body ?? '', user: user(r.login), commit_id: r.commit, comments_count: pr.lineComments.filter((c) => c.review === r.id).length, official: true, stale: false, dismissed: false, submitted_at: r.at, updated_at: r.at, html_url: `${WEB}/${repo.key}/pulls/${pr.number}#issuecomment-${r.id}`, pull_request_url: `${WEB}/${repo.key}/pulls/${pr.number}` })
  }

  function reviewComment(repo, pr, c) {
    return clean({ id: c.id, body: c.body, user: user(c.login), path: c.path, position: c.line ?? 0, original_position: c.line ?? 0, commit_id: c.commit, original_commit_id: c.commit, pull_request_review_id: c.review, diff_hunk: '', created_at: c.at, updated_at: c.at, html_url: `${WEB}/${repo.key}/pulls/${pr.number}#issuecomment-${c.id}`, pull_request_url: `${WEB}/${repo.key}/pulls/${pr.number}` })
  }

  /** An issue, or a pull request seen as one (Forgejo numbers both alike). */
  function issue(repo, i, pr) {
    const kind = pr ? 'pulls' : 'issues'
    return clean({
      id: i.id,
      number: i.number,
      url: `${WEB}/${repo.key}/${kind}/${i.number}`,
      html_url: `${WEB}/${repo.key}/${kind}/${i.number}`,
      title: i.title,
      body: i.body ?? '',
      state: i.state,
      user: user(i.author),
      labels: (i.labels ?? []).map((name) => ({ id: idOf(name), name, color: 'ededed', description: '', exclusive: false, is_archived: false, url: `${WEB}/${repo.key}/labels/${idOf(name)}` })),
      assignees: [],
      comments: i.issueComments.length,
      is_locked: false,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      closed_at: i.closedAt,
      pull_request: pr ? clean({ merged: Boolean(pr.mergedAt), merged_at: pr.mergedAt, draft: false, html_url: `${WEB}/${repo.key}/pulls/${pr.number}` }) : null,
    })
  }

  function comment(repo, number, c) {
    return { id: c.id, body: c.body, user: user(c.login), created_at: c.at, updated_at: c.at, html_url: `${WEB}/${repo.key}/issues/${number}#issuecomment-${c.id}`, issue_url: `${WEB}/${repo.key}/issues/${number}`, assets: [] }
  }

  /** A page of `list` as Forgejo pages it, each item shown by `show`. */
  const page = (repo, url, list, show, options = {}) => {
    const { items, headers } = paged('forgejo', url, list, { cap: repo.pageCap, ...options })
    return { body: items.map(show), headers }
  }

  /** The combined status of `sha`: check runs and statuses, the newest per context. */
  function combined(repo, sha) {
    const fromRuns = repo.checkRuns.filter((r) => r.sha === sha).map((r) => ({
      id: r.id, context: r.name, at: r.at, description: r.summary, target_url: r.detailsUrl,
      status: r.status !== 'completed' ? 'pending' : ['success', 'neutral', 'skipped'].includes(r.conclusion) ? 'success' : 'failure',
    }))
    const fromStatuses = repo.statuses.filter((s) => s.sha === sha).map((s) => ({ id: s.id, context: s.context, at: s.at, description: s.description, target_url: s.targetUrl, status: s.state }))
    const newest = new Map()
    for (const s of [...fromRuns, ...fromStatuses].sort((a, b) => a.id - b.id)) newest.set(s.context, s)
    const statuses = [...newest.values()].map((s) => clean({ id: s.id, status: s.status, context: s.context, description: s.description ?? '', target_url: s.target_url, url: `${WEB}/api/v1/repos/${repo.key}/statuses/${sha}`, created_at: s.at, updated_at: s.at, creator: user('ci') }))
    const states = statuses.map((s) => s.status)
    // A commit without any status is in the state "" (which Forgejo's description does not say).
    const overall = !states.length ? '' : states.some((s) => s === 'failure' || s === 'error') ? 'failure' : states.some((s) => s === 'pending') ? 'pending' : 'success'
    return { state: overall, sha, total_count: statuses.length, statuses, commit_url: `${WEB}/api/v1/repos/${repo.key}/commits/${sha}`, url: `${WEB}/api/v1/repos/${repo.key}/commits/${sha}/status` }
  }

  const issueOrPull = (repo, number) => {
    const i = repo.issues.find((x) => x.number === Number(number))
    if (i) return { thread: i }
    const pr = pullOf(repo, number)
    return { thread: { ...pr, author: pr.author }, pr }
  }

  return [
    ['GET', '/api/v1/user', ({ req }) => ({ body: user(caller(req).login) })],
    ['GET', '/api/v1/repos/:owner/:repo', ({ req, p }) => {
      const { repo, token } = access(req, p)
      return { body: repository(repo, token) }
    }],
    ['POST', '/api/v1/repos/:owner/:repo/pulls', ({ req, p, body }) => {
      const { repo, token } = access(req, p, 'write')
      if (!tip(repo.gitDir, body.head)) refuse(404, `head branch ${body.head} does not exist`)
      if (!tip(repo.gitDir, body.base)) refuse(404, `base branch ${body.base} does not exist`)
      if (isAncestor(repo.gitDir, body.head, body.base)) refuse(422, 'there are no changes between the head and the base')
      if (repo.pulls.some((pr) => pr.state === 'open' && pr.head === body.head && pr.base === body.base)) {
        refuse(409, `pull request already exists for these targets [head: ${body.head}, base: ${body.base}]`)
      }
      const pr = { id: nextId(), number: repo.nextNumber++, state: 'open', title: body.title, body: body.body ?? '', draft: false, head: body.head, base: body.base, author: token.login, createdAt: now(), updatedAt: now(), closedAt: null, mergedAt: null, mergedBy: null, mergeCommit: null, reviews: [], lineComments: [], issueComments: [] }
      repo.pulls.push(pr)
      return { status: 201, body: pullRequest(repo, pr) }
    }],
    ['GET', '/api/v1/repos/:owner/:repo/pulls', ({ req, p, query, url }) => {
      const { repo } = access(req, p)
      const wanted = query.get('state') ?? 'open'
      const list = repo.pulls.filter((pr) => wanted === 'all' || pr.state === wanted).sort((a, b) => b.number - a.number)
      return page(repo, url, list, (pr) => pullRequest(repo, pr))
    }],
    ['GET', '/api/v1/repos/:owner/:repo/pulls/:number', ({ req, p }) => {
      const { repo } = access(req, p)
      return { body: pullRequest(repo, pullOf(repo, p.number)) }
    }],
    ['GET', '/api/v1/repos/:owner/:repo/pulls/:number/reviews', ({ req, p, url }) => {
      const { repo } = access(req, p)
      const pr = pullOf(repo, p.number)
      return page(repo, url, pr.reviews, (r) => review(repo, pr, r))
    }],
    ['GET', '/api/v1/repos/:owner/:repo/pulls/:number/reviews/:id/comments', ({ req, p }) => {
      const { repo } = access(req, p)
      const pr = pullOf(repo, p.number)
      if (!pr.reviews.some((r) => r.id === Number(p.id))) refuse(404, 'review does not exist')
      return { body: pr.lineComments.filter((c) => c.review === Number(p.id)).map((c) => reviewComment(repo, pr, c)) }
    }],
    ['POST', '/api/v1/repos/:owner/:repo/pulls/:number/merge', ({ req, p, body }) => {
      const { repo, token } = access(req, p, 'write')
      const pr = pullOf(repo, p.number)
      const head = tip(repo.gitDir, pr.head)
      if (body.head_commit_id && body.head_commit_id !== head) refuse(409, 'head out of date')
      const method = { merge: 'merge', squash: 'squash', rebase: 'merge', 'rebase-merge': 'merge' }[body.Do]
      if (!method) refuse(422, `Do ${body.Do} is not a merge style this forge allows`)
      mergePull(repo, pr, token.login, method)
      return { status: 200 }
    }],
    // After the routes of the same length it would shadow (`pulls/1/reviews`). The head is the
    // rest of the path (a branch name's slashes included), and the oldest pull request between
    // the two branches is the one found, closed or not, as Forgejo finds it.
    ['GET', '/api/v1/repos/:owner/:repo/pulls/:base/:head+', ({ req, p }) => {
      const { repo } = access(req, p)
      const found = repo.pulls.filter((pr) => pr.base === p.base && pr.head === p.head).sort((a, b) => a.number - b.number)[0]
      if (!found) refuse(404, 'pull request does not exist')
      return { body: pullRequest(repo, found) }
    }],
    ['GET', '/api/v1/repos/:owner/:repo/commits/:ref/status', ({ req, p, url }) => {
      const { repo } = access(req, p)
      const all = combined(repo, tip(repo.gitDir, p.ref) ?? p.ref)
      // Paged by `X-Total-Count` alone, as Forgejo pages it.
      const { body: statuses, headers } = page(repo, url, all.statuses, (s) => s, { link: false })
      return { body: { ...all, statuses }, headers }
    }],
    ['GET', '/api/v1/repos/:owner/:repo/issues', ({ req, p, query, url }) => {
      const { repo } = access(req, p)
      const wanted = query.get('state') ?? 'open'
      const labels = (query.get('labels') ?? '').split(',').map((l) => l.trim()).filter(Boolean)
      const issues = query.get('type') === 'pulls' ? [] : repo.issues
      const list = issues
        .filter((i) => wanted === 'all' || i.state === wanted)
        .filter((i) => labels.every((l) => (i.labels ?? []).includes(l)))
        .sort((a, b) => b.number - a.number)
      return page(repo, url, list, (i) => issue(repo, i))
    }],
    ['GET', '/api/v1/repos/:owner/:repo/issues/:number', ({ req, p }) => {
      const { repo } = access(req, p)
      const { thread, pr } = issueOrPull(repo, p.number)
      return { body: issue(repo, thread, pr) }
    }],
    ['PATCH', '/api/v1/repos/:owner/:repo/issues/:number', ({ req, p, body }) => {
      const { repo } = access(req, p, 'write')
      const i = repo.issues.find((x) => x.number === Number(p.number))
      if (!i) refuse(404, 'issue does not exist')
      if (body.state === 'closed' && i.state === 'open') Object.assign(i, { state: 'closed', closedAt: now() })
      if (body.state === 'open') Object.assign(i, { state: 'open', closedAt: null })
      if (body.title !== undefined) i.title = body.title
      i.updatedAt = now()
      return { status: 201, body: issue(repo, i) }
    }],
    ['POST', '/api/v1/repos/:owner/:repo/issues/:number/comments', ({ req, p, body }) => {
      const { repo, token } = access(req, p, 'write')
      const i = repo.issues.find((x) => x.number === Number(p.number))
      const thread = i ?? pullOf(repo, p.number)
      const c = { id: nextId(), login: token.login, body: body.body, at: now() }
      thread.issueComments.push(c)
      return { status: 201, body: comment(repo, thread.number, c) }
    }],
  ]
}
