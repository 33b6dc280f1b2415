// Pull requests on a bare repository: their live facts (tips, mergeability, counts), opening,
// closing, reopening and merging them, with GitHub's refusals (as HttpErrors of the API).
import * as git from './git.mjs'
import { basicError, validationFailed } from './http.mjs'

const DOCS_CREATE = 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request'
const DOCS_UPDATE = 'https://docs.github.com/rest/pulls/pulls#update-a-pull-request'
const DOCS_MERGE = 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request'

const PASSED = new Set(['success', 'neutral', 'skipped'])

/**
 * The head and base commits of `pr`: the branches' tips while it is open (remembered, for when a
 * branch goes away), fixed once it is closed. `live` says whether both branches exist now.
 */
export function tips(repo, pr) {
  if (pr.state !== 'open') return { headSha: pr.head.sha, baseSha: pr.base.sha, live: false }
  const head = git.branchTip(repo.gitDir, pr.head.ref)
  const base = git.branchTip(repo.gitDir, pr.base.ref)
  if (head) pr.head.sha = head
  if (base) pr.base.sha = base
  return { headSha: pr.head.sha, baseSha: pr.base.sha, live: Boolean(head && base) }
}

/** Whether the checks and statuses on `sha` have all passed (true when there are none). */
function checksGreen(store, repo, sha) {
  const runs = repo.checkRuns.filter((r) => r.head_sha === sha)
  if (runs.some((r) => r.status !== 'completed' || !PASSED.has(r.conclusion))) return false
  return store.latestStatuses(repo, sha).every((s) => s.state === 'success')
}

/** Everything a `pull-request` answer needs beyond the record (see Objects.pullRequest). */
export function facts(store, repo, pr) {
  const { headSha, baseSha, live } = tips(repo, pr)
  const out = { headSha, baseSha, mergeable: null, rebaseable: null, mergeableState: 'unknown' }
  if (live) {
    out.mergeable = git.mergesCleanly(repo.gitDir, baseSha, headSha)
    out.rebaseable = out.mergeable
    if (!out.mergeable) out.mergeableState = 'dirty'
    else if (pr.draft) out.mergeableState = 'draft'
    else if (repo.protections[pr.base.ref]?.merge_blocked) out.mergeableState = 'blocked'
    else if (!checksGreen(store, repo, headSha)) out.mergeableState = 'unstable'
    else out.mergeableState = 'clean'
  }
  try {
    const stats = git.diffStats(repo.gitDir, baseSha, headSha)
    Object.assign(out, stats, { commits: git.commitsBetween(repo.gitDir, baseSha, headSha).length })
  } catch {
    // Commits no longer in the repository: nothing to count.
    Object.assign(out, { additions: 0, deletions: 0, changedFiles: 0, commits: 0 })
  }
  return out
}

/** The open pull request from `head` into `base`, other than `except`. */
function openDuplicate(repo, head, base, except) {
  return repo.items.find((i) => i.isPull && i !== except && i.state === 'open' && i.head.ref === head && i.base.ref === base)
}

/**
 * Opens a pull request as `login`: { title, head ('branch' or 'owner:branch'), base, body, draft }.
 * Refuses (422) like GitHub: a missing branch, a duplicate, no commits between the branches.
 */
export function open(store, repo, login, { title, head, base, body, draft }) {
  let headRef = head
  const colon = head.indexOf(':')
  if (colon >= 0) {
    // Only branches of the repository itself: the fake has no forks.
    if (head.slice(0, colon).toLowerCase() !== repo.owner.toLowerCase()) {
      throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }], DOCS_CREATE)
    }
    headRef = head.slice(colon + 1)
  }
  const headSha = git.branchTip(repo.gitDir, headRef)
  const baseSha = git.branchTip(repo.gitDir, base)
  const invalid = []
  if (!headSha) invalid.push({ resource: 'PullRequest', field: 'head', code: 'invalid' })
  if (!baseSha) invalid.push({ resource: 'PullRequest', field: 'base', code: 'invalid' })
  if (invalid.length) throw validationFailed(invalid, DOCS_CREATE)
  if (openDuplicate(repo, headRef, base)) {
    const message = `A pull request already exists for ${repo.owner}:${headRef}.`
    throw validationFailed([{ resource: 'PullRequest', code: 'custom', message }], DOCS_CREATE)
  }
  if (git.commitsBetween(repo.gitDir, baseSha, headSha).length === 0) {
    const message = `No commits between ${base} and ${headRef}`
    throw validationFailed([{ resource: 'PullRequest', code: 'custom', message }], DOCS_CREATE)
  }
  return store.addItem(repo, {
    isPull: true,
    title,
    body: body ?? null,
    user: login,
    draft: Boolean(draft),
    head: { ref: headRef, sha: headSha },
    base: { ref: base, sha: baseSha },
    merged: false,
    merged_at: null,
    merged_by: null,
    merge_commit_sha: null,
  })
}

/** Closes `pr` as `login`, keeping its tips as they are now. */
export function close(store, repo, pr, login) {
  tips(repo, pr)
  store.close(pr, login)
}

/** Reopens a closed, unmerged `pr`; 422 when it was merged, its head is gone or a duplicate is open. */
export function reopen(store, repo, pr) {
  const refuse = (message) => validationFailed([{ resource: 'PullRequest', field: 'state', code: 'custom', message }], DOCS_UPDATE)
  if (pr.merged) throw refuse('state cannot be changed. The pull request has been merged.')
  if (!git.branchTip(repo.gitDir, pr.head.ref)) {
    throw refuse(`state cannot be changed. The ${pr.head.ref} branch has been deleted.`)
  }
  if (openDuplicate(repo, pr.head.ref, pr.base.ref, pr)) {
    throw refuse(`A pull request already exists for ${repo.owner}:${pr.head.ref}.`)
  }
  store.reopen(pr)
}

/** Changes the base branch of an open `pr`; 422 when there is no such branch. */
export function retarget(repo, pr, base) {
  if (!git.branchTip(repo.gitDir, base)) {
    throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }], DOCS_UPDATE)
  }
  pr.base.ref = base
}

const NOT_ALLOWED = {
  merge: 'Merge commits are not allowed on this repository.',
  squash: 'Squash merges are not allowed on this repository.',
  rebase: 'Rebase merges are not allowed on this repository.',
}
const SETTING = { merge: 'allow_merge_commit', squash: 'allow_squash_merge', rebase: 'allow_rebase_merge' }

// "Fixes #12" and the like in a pull request's body close issue 12 when it merges into the default branch.
const CLOSING = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b/gi

/**
 * Merges `pr` as `login` with a real git merge into its base branch: { method ('merge', 'squash',
 * 'rebase'), commitTitle, commitMessage, sha (the head it must have) }. `protection` says whether
 * branch protection applies (it does to the API). Returns the new tip of the base branch.
 */
export function merge(store, repo, pr, login, { method = 'merge', commitTitle, commitMessage, sha, protection = true }) {
  const refuse = (status, message) => basicError(status, message, DOCS_MERGE)
  if (pr.state !== 'open') throw refuse(405, 'Pull Request is not mergeable')
  if (!repo.settings[SETTING[method]]) throw refuse(405, NOT_ALLOWED[method])
  const { headSha, baseSha, live } = tips(repo, pr)
  if (!live) throw refuse(405, 'Pull Request is not mergeable')
  if (sha && sha !== headSha) throw refuse(409, 'Head branch was modified. Review and try the merge again.')
  if (pr.draft) throw refuse(405, 'Pull Request is still a draft')
  if (protection && repo.protections[pr.base.ref]?.merge_blocked) {
    throw refuse(405, `Merging is blocked: the ${pr.base.ref} branch is protected and its rules are not met.`)
  }
  const user = store.user(login)
  let message
  if (method === 'squash') {
    const title = commitTitle ?? `${pr.title} (#${pr.number})`
    message = `${title}\n\n${commitMessage ?? git.commitMessages(repo.gitDir, baseSha, headSha).join('\n\n')}`
  } else {
    const title = commitTitle ?? `Merge pull request #${pr.number} from ${repo.owner}/${pr.head.ref}`
    message = `${title}\n\n${commitMessage ?? pr.title}`
  }
  let tip
  try {
    tip = git.merge(repo.gitDir, {
      baseRef: pr.base.ref,
      baseSha,
      headSha,
      method,
      message,
      person: { name: user.name ?? user.login, email: `${user.id}+${user.login}@users.noreply.github.com` },
    })
  } catch (error) {
    if (!(error instanceof git.MergeRefused)) throw error
    throw refuse(error.reason === 'moved' ? 409 : 405, error.message)
  }
  store.close(pr, login)
  Object.assign(pr, { merged: true, merged_at: pr.closed_at, merged_by: login, merge_commit_sha: tip })
  if (pr.base.ref === git.defaultBranch(repo.gitDir)) {
    for (const [, number] of (pr.body ?? '').matchAll(CLOSING)) {
      const issue = store.item(repo, number)
      if (issue && !issue.isPull && issue.state === 'open') store.close(issue, login, 'completed')
    }
  }
  return tip
}
