// The git work a forge does on its bare repositories, through the git program.
import { execFileSync } from 'node:child_process'

function git(gitDir, args, input) {
  return execFileSync('git', ['--git-dir', gitDir, ...args], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, GIT_AUTHOR_NAME: 'Fake GitHub', GIT_AUTHOR_EMAIL: 'noreply@github.invalid', GIT_COMMITTER_NAME: 'Fake GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.invalid' },
  }).trim()
}

/** The commit `branch` points at, or null. */
export function tip(gitDir, branch) {
  try {
    return git(gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`])
  } catch {
    return null
  }
}

/** Whether branch `older` is in the history of branch `newer` (nothing of it to merge). */
export function isAncestor(gitDir, older, newer) {
  try {
    git(gitDir, ['merge-base', '--is-ancestor', `refs/heads/${older}`, `refs/heads/${newer}`])
    return true
  } catch {
    return false
  }
}

/**
 * Merges `head` into `base` as GitHub does: a two-parent merge commit (`merge`), or one commit
 * with the merged tree (`squash`). Returns the new tip of `base`, or null when the branches
 * conflict (nothing moves).
 */
export function merge(gitDir, base, head, method, message) {
  const ours = tip(gitDir, base)
  const theirs = tip(gitDir, head)
  if (!ours || !theirs) return null
  let tree
  try {
    tree = git(gitDir, ['merge-tree', '--write-tree', ours, theirs]).split('\n')[0]
  } catch {
    return null
  }
  const parents = method === 'squash' ? ['-p', ours] : ['-p', ours, '-p', theirs]
  const commit = git(gitDir, ['commit-tree', tree, ...parents, '-m', message])
  git(gitDir, ['update-ref', `refs/heads/${base}`, commit, ours])
  return commit
}
