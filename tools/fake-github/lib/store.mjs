// The fake's state, all in memory: users, tokens, repositories and what happens on them (issues
// and pull requests sharing one numbering, comments, reviews, check runs, commit statuses), and
// the log of API requests.

/** A timestamp the way GitHub writes them: ISO 8601 to the second, UTC. */
export const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')

const key = (owner, name) => `${owner}/${name}`.toLowerCase()

/** What a grant allows, as GitHub's `permissions` object. */
export function permissionsOf(grant) {
  const level = { read: 1, write: 2, admin: 3 }[grant] ?? 0
  return { admin: level >= 3, maintain: level >= 3, push: level >= 2, triage: level >= 2, pull: level >= 1 }
}

export class Store {
  constructor() {
    this.lastId = 1000
    this.users = new Map() // lowercased login → user
    this.tokens = new Map() // token → { token, login, scopes (null: a token without scopes), grants }
    this.repos = new Map() // lowercased owner/name → repository
    this.requests = [] // API requests the fake answered, in order
  }

  nextId() {
    this.lastId += 1
    return this.lastId
  }

  /** The user `login`, made on first mention. */
  user(login) {
    const found = this.users.get(login.toLowerCase())
    if (found) return found
    const user = { login, id: this.nextId(), name: null, email: null, created_at: now() }
    this.users.set(login.toLowerCase(), user)
    return user
  }

  addToken({ token, login, scopes, grants }) {
    this.user(login)
    const entry = { token, login, scopes, grants: {} }
    for (const [repo, grant] of Object.entries(grants)) entry.grants[repo.toLowerCase()] = grant
    this.tokens.set(token, entry)
    return entry
  }

  addRepo({ owner, name, gitDir, isPrivate, settings }) {
    this.user(owner)
    const repo = {
      id: this.nextId(),
      owner,
      name,
      gitDir,
      private: isPrivate,
      created_at: now(),
      settings,
      protections: {}, // branch → { merge_blocked }
      lastNumber: 0,
      items: [], // issues and pull requests
      labels: new Map(), // lowercased name → label
      issueComments: [],
      reviews: [],
      reviewComments: [],
      checkRuns: [],
      statuses: [],
    }
    this.repos.set(key(owner, name), repo)
    return repo
  }

  repo(owner, name) {
    return this.repos.get(key(owner, name)) ?? null
  }

  /** The token's grant on `repo` ('read', 'write', 'admin') or null. */
  grant(token, repo) {
    return token?.grants[key(repo.owner, repo.name)] ?? null
  }

  /** Whether a classic token's scopes allow `scope` work ('read' or 'write') on `repo`. */
  scopesAllow(token, repo, scope) {
    if (token.scopes === null) return true
    if (token.scopes.includes('repo')) return true
    if (repo.private) return false
    return scope === 'read' || token.scopes.includes('public_repo')
  }

  /** Whether `token` (null: anonymous) sees `repo`. */
  canSee(token, repo) {
    if (!repo.private) return true
    return Boolean(token && this.grant(token, repo) && this.scopesAllow(token, repo, 'read'))
  }

  /** Whether `token` may push to `repo` (merge, edit others' pull requests and issues). */
  canPush(token, repo) {
    return Boolean(token && permissionsOf(this.grant(token, repo)).push && this.scopesAllow(token, repo, 'write'))
  }

  /** How `login` is associated with `repo`, as GitHub's `author_association`. */
  association(repo, login) {
    if (login.toLowerCase() === repo.owner.toLowerCase()) return 'OWNER'
    for (const token of this.tokens.values()) {
      if (token.login.toLowerCase() === login.toLowerCase() && permissionsOf(this.grant(token, repo)).push) {
        return 'COLLABORATOR'
      }
    }
    return 'NONE'
  }

  /** A new issue or pull request of `repo`, numbered after the last of either. */
  addItem(repo, fields) {
    repo.lastNumber += 1
    const at = now()
    const item = {
      number: repo.lastNumber,
      id: this.nextId(),
      isPull: false,
      title: '',
      body: null,
      user: null,
      state: 'open',
      state_reason: null,
      labels: [],
      locked: false,
      created_at: at,
      updated_at: at,
      closed_at: null,
      closed_by: null,
      ...fields,
    }
    repo.items.push(item)
    return item
  }

  item(repo, number) {
    return repo.items.find((i) => i.number === Number(number)) ?? null
  }

  pull(repo, number) {
    const item = this.item(repo, number)
    return item?.isPull ? item : null
  }

  /** The label `name` of `repo`, made on first use. */
  label(repo, name) {
    const found = repo.labels.get(name.toLowerCase())
    if (found) return found
    const label = { id: this.nextId(), name, description: '', color: 'ededed', default: false }
    repo.labels.set(name.toLowerCase(), label)
    return label
  }

  setLabels(repo, item, names) {
    item.labels = [...new Set(names.map((name) => this.label(repo, name).name))]
  }

  /** Closes an issue or pull request; `reason` is GitHub's state_reason for issues. */
  close(item, login, reason = 'completed') {
    const at = now()
    item.state = 'closed'
    item.closed_at = at
    item.closed_by = login
    item.updated_at = at
    if (!item.isPull) item.state_reason = reason
  }

  reopen(item) {
    item.state = 'open'
    item.closed_at = null
    item.closed_by = null
    item.updated_at = now()
    if (!item.isPull) item.state_reason = 'reopened'
  }

  /** The newest commit status of each context on `sha`, newest first. */
  latestStatuses(repo, sha) {
    const seen = new Set()
    return [...repo.statuses].reverse().filter((s) => s.sha === sha && !seen.has(s.context) && seen.add(s.context))
  }

  /** The state a JSON answer can hold (for GET /_fake/state). */
  snapshot() {
    const repos = [...this.repos.values()].map((repo) => ({
      ...repo,
      labels: [...repo.labels.values()],
    }))
    return { users: [...this.users.values()], tokens: [...this.tokens.values()], repos, requests: this.requests }
  }
}
