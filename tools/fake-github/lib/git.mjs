// The forge's git work on a bare repository, with the `git` program: reading branch tips and
// diffs, and merging a pull request (merge, squash or rebase) the way GitHub does, without a
// work tree. Calls are synchronous on purpose: the fake serves one change at a time.
import { spawnSync } from 'node:child_process'

/** Runs git in `gitDir`; returns { status, stdout, stderr }. */
function run(gitDir, args, { env = {}, input } = {}) {
  const result = spawnSync('git', ['--git-dir', gitDir, ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', ...env },
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.error) throw result.error
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Runs git and returns its trimmed output; throws when it fails. */
function git(gitDir, args, options) {
  const result = run(gitDir, args, options)
  if (result.status !== 0) {
    throw new Error(`git ${args.join(' ')} failed (${result.status}): ${result.stderr.trim()}`)
  }
  return result.stdout.trim()
}

/** Whether `gitDir` is a git repository. */
export function isRepository(gitDir) {
  return run(gitDir, ['rev-parse', '--git-dir']).status === 0
}

/** The branch HEAD names (the default branch), or null. */
export function defaultBranch(gitDir) {
  const result = run(gitDir, ['symbolic-ref', '--quiet', '--short', 'HEAD'])
  return result.status === 0 ? result.stdout.trim() : null
}

/** The commit at the tip of branch `name`, or null when there is no such branch. */
export function branchTip(gitDir, name) {
  if (!name || name.startsWith('-')) return null
  const result = run(gitDir, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}^{commit}`])
  return result.status === 0 ? result.stdout.trim() : null
}

/** The commit a ref names (a full or short SHA, a branch or a tag), or null. */
export function resolveCommit(gitDir, ref) {
  if (!ref || ref.startsWith('-')) return null
  const result = run(gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
  return result.status === 0 ? result.stdout.trim() : null
}

/** The commits on `head` but not on `base`, oldest first. */
export function commitsBetween(gitDir, base, head) {
  const out = git(gitDir, ['rev-list', '--reverse', '--topo-order', `${base}..${head}`])
  return out ? out.split('\n') : []
}

/** Lines added and removed and files changed from the merge base of base and head to head. */
export function diffStats(gitDir, base, head) {
  const out = git(gitDir, ['diff', '--numstat', `${base}...${head}`])
  let additions = 0
  let deletions = 0
  let changedFiles = 0
  for (const line of out ? out.split('\n') : []) {
    const [added, removed] = line.split('\t')
    changedFiles += 1
    // Binary files count as changed, with no lines ("-").
    additions += Number(added) || 0
    deletions += Number(removed) || 0
  }
  return { additions, deletions, changedFiles }
}

/**
 * The diff hunk GitHub shows with a line comment: the hunk of `path` (base...head) holding the
 * new file's `line`, cut after that line; a bare hunk header when the line is not in the diff.
 */
export function diffHunk(gitDir, base, head, path, line) {
  const out = run(gitDir, ['diff', '--no-color', `${base}...${head}`, '--', path]).stdout || ''
  const hunks = out.split('\n').reduce((all, text) => {
    if (text.startsWith('@@')) all.push([text])
    else if (all.length) all[all.length - 1].push(text)
    return all
  }, [])
  for (const hunk of hunks) {
    const match = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(hunk[0])
    if (!match) continue
    let current = Number(match[1]) - 1
    for (let i = 1; i < hunk.length; i++) {
      if (!hunk[i].startsWith('-')) current += 1
      if (current === line && !hunk[i].startsWith('-')) return hunk.slice(0, i + 1).join('\n')
    }
  }
  return `@@ -${line},1 +${line},1 @@`
}

/** The tree of merging `theirs` into `ours` (with `mergeBase` when given), or null on a conflict. */
function mergedTree(gitDir, ours, theirs, mergeBase) {
  const args = ['merge-tree', '--write-tree', '--no-messages']
  if (mergeBase) args.push(`--merge-base=${mergeBase}`)
  const result = run(gitDir, [...args, ours, theirs])
  if (result.status === 0) return result.stdout.split('\n')[0].trim()
  if (result.status === 1) return null
  throw new Error(`git merge-tree failed (${result.status}): ${result.stderr.trim()}`)
}

/** Whether `head` merges into `base` without a conflict. */
export function mergesCleanly(gitDir, base, head) {
  return mergedTree(gitDir, base, head) !== null
}

/** The author of `commit`: { name, email, date } (date as git reads it). */
function authorOf(gitDir, commit) {
  const [name, email, date] = git(gitDir, ['log', '-1', '--format=%an%x00%ae%x00%ad', '--date=raw', commit]).split('\0')
  return { name, email, date }
}

function commitTree(gitDir, tree, parents, message, { author, committer }) {
  const env = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
  }
  if (author.date) env.GIT_AUTHOR_DATE = author.date
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-']
  return git(gitDir, args, { env, input: message.endsWith('\n') ? message : `${message}\n` })
}

/** An error the forge refuses a merge with: `reason` is 'conflict' or 'not-rebaseable' or 'moved'. */
export class MergeRefused extends Error {
  constructor(reason, message) {
    super(message)
    this.reason = reason
  }
}

/**
 * Merges branch `head` into branch `base` with `method` ('merge', 'squash' or 'rebase'), moving
 * `base` from `baseSha` (refused as 'moved' if another push moved it meanwhile). `person` is
 * { name, email }, the merge's author; GitHub commits as the committer. Returns the new tip of base.
 */
export function merge(gitDir, { baseRef, baseSha, headSha, method, message, person }) {
  const committer = { name: 'GitHub', email: 'noreply@github.com' }
  let tip
  if (method === 'rebase') {
    const commits = commitsBetween(gitDir, baseSha, headSha)
    tip = baseSha
    for (const commit of commits) {
      const parents = git(gitDir, ['rev-list', '--parents', '-n', '1', commit]).split(' ').slice(1)
      if (parents.length !== 1) throw new MergeRefused('not-rebaseable', 'This branch can\'t be rebased')
      const tree = mergedTree(gitDir, tip, commit, parents[0])
      if (tree === null) throw new MergeRefused('not-rebaseable', 'This branch can\'t be rebased')
      const text = git(gitDir, ['log', '-1', '--format=%B', commit])
      tip = commitTree(gitDir, tree, [tip], text, { author: authorOf(gitDir, commit), committer })
    }
  } else {
    const tree = mergedTree(gitDir, baseSha, headSha)
    if (tree === null) throw new MergeRefused('conflict', 'Pull Request is not mergeable')
    const parents = method === 'squash' ? [baseSha] : [baseSha, headSha]
    tip = commitTree(gitDir, tree, parents, message, { author: person, committer })
  }
  const moved = run(gitDir, ['update-ref', '-m', `merge ${headSha}`, `refs/heads/${baseRef}`, tip, baseSha])
  if (moved.status !== 0) throw new MergeRefused('moved', 'Base branch was modified. Review and try the merge again.')
  return tip
}

/** The messages of the commits on `head` but not on `base`, for a squash commit's default message. */
export function commitMessages(gitDir, base, head) {
  return commitsBetween(gitDir, base, head).map((c) => `* ${git(gitDir, ['log', '-1', '--format=%B', c]).trim()}`)
}
