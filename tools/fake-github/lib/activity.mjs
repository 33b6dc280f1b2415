// What people and CI do on a repository, shared by the API and the admin API: issues, comments,
// reviews with line comments, check runs and commit statuses.
import * as git from './git.mjs'
import { tips } from './pulls.mjs'
import { now } from './store.mjs'

export function addIssue(store, repo, login, { title, body, labels = [] }) {
  const issue = store.addItem(repo, { title, body: body ?? null, user: login })
  store.setLabels(repo, issue, labels)
  return issue
}

export function addIssueComment(store, repo, item, login, body) {
  const at = now()
  const comment = { id: store.nextId(), number: item.number, user: login, body, created_at: at, updated_at: at }
  repo.issueComments.push(comment)
  item.updated_at = at
  return comment
}

function lineComment(store, repo, pr, review, { path, line, body, inReplyTo }) {
  const { headSha, baseSha } = tips(repo, pr)
  const at = now()
  const comment = {
    id: store.nextId(),
    number: pr.number,
    review_id: review.id,
    user: review.user,
    path,
    line,
    body,
    commit_id: headSha,
    diff_hunk: inReplyTo?.diff_hunk ?? git.diffHunk(repo.gitDir, baseSha, headSha, path, line),
    in_reply_to_id: inReplyTo ? (inReplyTo.in_reply_to_id ?? inReplyTo.id) : null,
    created_at: at,
    updated_at: at,
  }
  repo.reviewComments.push(comment)
  return comment
}

/**
 * A submitted review of `pr` by `login`: { state (APPROVED, CHANGES_REQUESTED, COMMENTED), body,
 * comments: [{ path, line, body }] }, its line comments belonging to it as on GitHub.
 */
export function addReview(store, repo, pr, login, { state, body = '', comments = [] }) {
  const { headSha } = tips(repo, pr)
  const review = {
    id: store.nextId(),
    number: pr.number,
    user: login,
    state,
    body,
    commit_id: headSha,
    submitted_at: now(),
  }
  repo.reviews.push(review)
  const made = comments.map((c) => lineComment(store, repo, pr, review, c))
  pr.updated_at = review.submitted_at
  return { review, comments: made }
}

/**
 * A single line comment (or, with `inReplyTo`, a reply in its thread): on GitHub it comes with a
 * review of its own, COMMENTED with an empty body.
 */
export function addLineComment(store, repo, pr, login, { path, line, body, inReplyTo }) {
  const { review } = addReview(store, repo, pr, login, { state: 'COMMENTED', body: '' })
  const target = inReplyTo ? { path: inReplyTo.path, line: inReplyTo.line } : { path, line }
  return lineComment(store, repo, pr, review, { ...target, body, inReplyTo })
}

/** A check run on commit `sha`: { name, status, conclusion, output: { title, summary, text }, details_url }. */
export function addCheckRun(store, repo, sha, { name, status, conclusion, output = {}, details_url }) {
  const at = now()
  const run = {
    id: store.nextId(),
    suite_id: store.nextId(),
    head_sha: sha,
    name,
    status,
    conclusion: conclusion ?? null,
    started_at: status === 'queued' ? null : at,
    completed_at: status === 'completed' ? at : null,
    output: { title: output.title ?? null, summary: output.summary ?? null, text: output.text ?? null },
    details_url: details_url ?? null,
  }
  repo.checkRuns.push(run)
  return run
}

/** A commit status on `sha`: { state, context, description, target_url }. */
export function addStatus(store, repo, sha, { state, context = 'default', description, target_url }) {
  const at = now()
  const status = {
    id: store.nextId(),
    sha,
    state,
    context,
    description: description ?? null,
    target_url: target_url ?? null,
    created_at: at,
    updated_at: at,
  }
  repo.statuses.push(status)
  return status
}
