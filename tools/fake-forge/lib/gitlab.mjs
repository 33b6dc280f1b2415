// GitLab's REST API (v4) over the fake's state, for the repositories registered with
// `forge: "gitlab"`. Written from GitLab's REST documentation (users, personal access tokens,
// projects, merge requests, notes, commits, issues): GitLab publishes no OpenAPI description in a
// package registry, so no Prism stands in front of it.
//
// How the forge-neutral state reads here: a pull request is a merge request (its number the
// `iid`); a review's body is a note, its verdict the reviewer's state, its line comments DiffNotes;
// check runs and commit statuses are the commit's statuses.

const WEB = 'https://gitlab.invalid'
const LEVEL = { read: 20, write: 30, admin: 40 }
const REVIEWER_STATE = { CHANGES_REQUESTED: 'requested_changes', APPROVED: 'approved', COMMENTED: 'reviewed' }

export function gitlabRoutes({ state, refuse, caller, repoOf, pullOf, mergePull, submitHeldReviews, now, idOf, tip, isAncestor, nextId, paged }) {
  const author = (login) => ({ id: idOf(login), username: login, name: login, state: 'active', web_url: `${WEB}/${login}` })

  /** The project `:id` names (its URL-encoded path), served on GitLab only. */
  function project(id) {
    const path = decodeURIComponent(id)
    const cut = path.lastIndexOf('/')
    if (cut < 0) refuse(404, 'Project Not Found')
    try {
      return repoOf(path.slice(0, cut), path.slice(cut + 1), 'gitlab')
    } catch {
      return refuse(404, 'Project Not Found')
    }
  }

  /** The project and the caller, who needs `need` on it; no grant at all is not found. */
  function access(req, id, need) {
    const repo = project(id)
    try {
      return { repo, token: caller(req, repo, need) }
    } catch (error) {
      if (error.status === 404) refuse(404, 'Project Not Found')
      if (error.status === 403) refuse(403, 'Forbidden')
      throw error
    }
  }

  function mergeRequest(repo, pr) {
    const state = pr.mergedAt ? 'merged' : pr.state === 'open' ? 'opened' : 'closed'
    const draft = /^(draft:|\[draft\]|\(draft\))/i.test(pr.title)
    return {
      id: pr.id,
      iid: pr.number,
      project_id: idOf(repo.key),
      title: pr.title,
      description: pr.body,
      state,
      draft,
      work_in_progress: draft,
      source_branch: pr.head,
      target_branch: pr.base,
      source_project_id: idOf(repo.key),
      target_project_id: idOf(repo.key),
      sha: tip(repo.gitDir, pr.head) ?? pr.headSha,
      merge_commit_sha: pr.method === 'squash' ? null : pr.mergeCommit,
      squash_commit_sha: pr.method === 'squash' ? pr.mergeCommit : null,
      author: author(pr.author),
      merged_by: pr.mergedBy ? author(pr.mergedBy) : null,
      web_url: `${WEB}/${repo.key}/-/merge_requests/${pr.number}`,
      created_at: pr.createdAt,
      updated_at: pr.updatedAt,
      merged_at: pr.mergedAt,
      closed_at: pr.mergedAt ? null : pr.closedAt,
      detailed_merge_status: state === 'opened' ? 'mergeable' : 'not_open',
      user_notes_count: notes(repo, pr).length,
    }
  }

  function note(pr, { id, login, body, at }, position) {
    const out = { id, type: position ? 'DiffNote' : null, body, author: author(login), created_at: at, updated_at: at, system: false, noteable_id: pr.id, noteable_type: 'MergeRequest', noteable_iid: pr.number, resolvable: Boolean(position), confidential: false, internal: false }
    if (position) out.position = position
    return out
  }

  /** A merge request's notes, oldest first: reviews' bodies, their line comments, and comments. */
  function notes(repo, pr) {
    const base = tip(repo.gitDir, pr.base)
    const said = pr.reviews.filter((r) => r.body).map((r) => note(pr, r))
    const onLines = pr.lineComments.map((c) =>
      note(pr, c, { base_sha: base, start_sha: base, head_sha: c.commit, old_path: c.path, new_path: c.path, position_type: 'text', old_line: null, new_line: c.line }),
    )
    const comments = pr.issueComments.map((c) => note(pr, c))
    return [...said, ...onLines, ...comments].sort((a, b) => a.id - b.id)
  }

  function issue(repo, i) {
    return { id: i.id, iid: i.number, project_id: idOf(repo.key), title: i.title, description: i.body, state: i.state === 'open' ? 'opened' : 'closed', labels: i.labels ?? [], author: author(i.author), web_url: `${WEB}/${repo.key}/-/issues/${i.number}`, created_at: i.createdAt, updated_at: i.updatedAt, closed_at: i.closedAt, user_notes_count: i.issueComments.length }
  }

  function issueOf(repo, iid) {
    const found = repo.issues.find((i) => i.number === Number(iid))
    if (!found) refuse(404, 'Not found')
    return found
  }

  function mrOf(repo, iid) {
    try {
      return pullOf(repo, iid)
    } catch {
      return refuse(404, 'Not found')
    }
  }

  /** The commit statuses of `sha`: check runs and statuses, the newest per name. */
  function statuses(repo, sha) {
    const fromRuns = repo.checkRuns.filter((r) => r.sha === sha).map((r) => ({
      id: r.id, name: r.name, at: r.at, description: r.summary ?? null, target_url: r.detailsUrl ?? null,
      status: r.status !== 'completed' ? 'running' : ['success', 'neutral', 'skipped'].includes(r.conclusion) ? 'success' : 'failed',
    }))
    const fromStatuses = repo.statuses.filter((s) => s.sha === sha).map((s) => ({
      id: s.id, name: s.context, at: s.at, description: s.description ?? null, target_url: s.targetUrl ?? null,
      status: { success: 'success', pending: 'pending', failure: 'failed', error: 'failed' }[s.state],
    }))
    const newest = new Map()
    for (const s of [...fromRuns, ...fromStatuses].sort((a, b) => a.id - b.id)) newest.set(s.name, s)
    return [...newest.values()].map((s) => ({ id: s.id, sha, ref: null, status: s.status, name: s.name, target_url: s.target_url, description: s.description, created_at: s.at, started_at: s.at, finished_at: ['success', 'failed'].includes(s.status) ? s.at : null, allow_failure: false, coverage: null, author: author('ci') }))
  }

  const newestFirst = (query) => (a, b) => (query.get('sort') === 'asc' ? a.number - b.number : b.number - a.number)

  /** A page of `list` as GitLab pages it. */
  const page = (repo, url, list) => {
    const { items, headers } = paged('gitlab', url, list, { cap: repo.pageCap })
    return { body: items, headers }
  }

  return [
    ['GET', '/api/v4/user', ({ req }) => {
      const token = caller(req)
      return { body: author(token.login) }
    }],
    ['GET', '/api/v4/personal_access_tokens/self', ({ req }) => {
      const token = caller(req)
      return { body: { id: idOf(token.login + 'token'), name: 'spectask', revoked: false, created_at: '2026-01-01T00:00:00Z', scopes: token.scopes, user_id: idOf(token.login), last_used_at: now(), active: true, expires_at: null } }
    }],
    ['GET', '/api/v4/projects/:id', ({ req, p }) => {
      const { repo, token } = access(req, p.id)
      const level = LEVEL[token.grants[repo.key]]
      return { body: { id: idOf(repo.key), name: repo.name, path: repo.name, path_with_namespace: repo.key, default_branch: repo.defaultBranch, web_url: `${WEB}/${repo.key}`, http_url_to_repo: `${WEB}/${repo.key}.git`, visibility: 'private', permissions: { project_access: { access_level: level, notification_level: 3 }, group_access: null } } }
    }],
    ['GET', '/api/v4/projects/:id/merge_requests', ({ req, p, query, url }) => {
      const { repo } = access(req, p.id)
      const wanted = query.get('state') ?? 'all'
      const list = repo.pulls
        .map((pr) => mergeRequest(repo, pr))
        .filter((mr) => wanted === 'all' || mr.state === wanted)
        .filter((mr) => !query.get('source_branch') || mr.source_branch === query.get('source_branch'))
        .filter((mr) => !query.get('target_branch') || mr.target_branch === query.get('target_branch'))
        .sort((a, b) => b.iid - a.iid)
      return page(repo, url, list)
    }],
    ['POST', '/api/v4/projects/:id/merge_requests', ({ req, p, body }) => {
      const { repo, token } = access(req, p.id, 'write')
      for (const key of ['source_branch', 'target_branch', 'title']) if (!body[key]) refuse(400, `Bad Request: ${key} is missing`)
      const head = body.source_branch
      if (!tip(repo.gitDir, head)) refuse(422, `Source branch "${head}" does not exist`)
      if (!tip(repo.gitDir, body.target_branch)) refuse(422, `Target branch "${body.target_branch}" does not exist`)
      const open = repo.pulls.find((pr) => pr.state === 'open' && pr.head === head)
      if (open) refuse(409, `Another open merge request already exists for this source branch: !${open.number}`)
      const pr = { id: nextId(), number: repo.nextNumber++, state: 'open', title: body.title, body: body.description ?? null, draft: false, head, base: body.target_branch, author: token.login, createdAt: now(), updatedAt: now(), closedAt: null, mergedAt: null, mergedBy: null, mergeCommit: null, reviews: [], lineComments: [], issueComments: [] }
      repo.pulls.push(pr)
      return { status: 201, body: mergeRequest(repo, pr) }
    }],
    ['GET', '/api/v4/projects/:id/merge_requests/:iid', ({ req, p }) => {
      const { repo } = access(req, p.id)
      return { body: mergeRequest(repo, mrOf(repo, p.iid)) }
    }],
    ['GET', '/api/v4/projects/:id/merge_requests/:iid/notes', ({ req, p, query, url }) => {
      const { repo } = access(req, p.id)
      const pr = mrOf(repo, p.iid)
      submitHeldReviews(repo, pr)
      const list = notes(repo, pr)
      return page(repo, url, query.get('sort') === 'desc' ? list.reverse() : list)
    }],
    ['POST', '/api/v4/projects/:id/merge_requests/:iid/notes', ({ req, p, body }) => {
      const { repo, token } = access(req, p.id, 'write')
      const pr = mrOf(repo, p.iid)
      if (!body.body) refuse(400, 'Bad Request: body is missing')
      const c = { id: nextId(), login: token.login, body: body.body, at: now() }
      pr.issueComments.push(c)
      return { status: 201, body: note(pr, c) }
    }],
    ['GET', '/api/v4/projects/:id/merge_requests/:iid/reviewers', ({ req, p }) => {
      const { repo } = access(req, p.id)
      const latest = new Map()
      for (const r of mrOf(repo, p.iid).reviews) latest.set(r.login, r)
      // Not paged: a merge request's reviewers come whole.
      return { body: [...latest.values()].map((r) => ({ user: author(r.login), state: REVIEWER_STATE[r.state], created_at: r.at })) }
    }],
    ['PUT', '/api/v4/projects/:id/merge_requests/:iid/merge', ({ req, p, body }) => {
      const { repo, token } = access(req, p.id, 'write')
      const pr = mrOf(repo, p.iid)
      const head = tip(repo.gitDir, pr.head)
      if (body.sha && body.sha !== head) refuse(409, `SHA does not match HEAD of source branch: ${head}`)
      const method = body.squash ? 'squash' : 'merge'
      try {
        mergePull(repo, pr, token.login, method)
      } catch (error) {
        if (error.status === 405) refuse(405, 'Method Not Allowed')
        throw error
      }
      pr.method = method
      return { body: mergeRequest(repo, pr) }
    }],
    ['GET', '/api/v4/projects/:id/repository/commits/:sha/statuses', ({ req, p, url }) => {
      const { repo } = access(req, p.id)
      return page(repo, url, statuses(repo, tip(repo.gitDir, p.sha) ?? p.sha))
    }],
    ['GET', '/api/v4/projects/:id/issues', ({ req, p, query, url }) => {
      const { repo } = access(req, p.id)
      const wanted = query.get('state') ?? 'all'
      const labels = (query.get('labels') ?? '').split(',').map((l) => l.trim()).filter(Boolean)
      const list = repo.issues
        .filter((i) => wanted === 'all' || (wanted === 'opened') === (i.state === 'open'))
        .filter((i) => labels.every((l) => (i.labels ?? []).includes(l)))
        .sort(newestFirst(query))
      return page(repo, url, list.map((i) => issue(repo, i)))
    }],
    ['GET', '/api/v4/projects/:id/issues/:iid', ({ req, p }) => {
      const { repo } = access(req, p.id)
      return { body: issue(repo, issueOf(repo, p.iid)) }
    }],
    ['PUT', '/api/v4/projects/:id/issues/:iid', ({ req, p, body }) => {
      const { repo } = access(req, p.id, 'write')
      const i = issueOf(repo, p.iid)
      if (body.state_event === 'close' && i.state === 'open') Object.assign(i, { state: 'closed', closedAt: now() })
      if (body.state_event === 'reopen') Object.assign(i, { state: 'open', closedAt: null })
      if (body.title !== undefined) i.title = body.title
      i.updatedAt = now()
      return { body: issue(repo, i) }
    }],
    ['POST', '/api/v4/projects/:id/issues/:iid/notes', ({ req, p, body }) => {
      const { repo, token } = access(req, p.id, 'write')
      const i = issueOf(repo, p.iid)
      if (!body.body) refuse(400, 'Bad Request: body is missing')
      const c = { id: nextId(), login: token.login, body: body.body, at: now() }
      i.issueComments.push(c)
      return { status: 201, body: { ...note({ id: i.id, number: i.number }, c), noteable_type: 'Issue' } }
    }],
  ]
}
