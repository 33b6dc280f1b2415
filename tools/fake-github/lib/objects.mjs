// GitHub's answers, complete to the schemas of its OpenAPI description (every required field,
// plausible values), built from the store's records. API URLs are under `urls.api` (what clients
// call: Prism's address), web URLs under `urls.web` (the fake's own address).
// Live facts of a pull request (branch tips, mergeability, counts) are computed by the caller.
import { defaultBranch } from './git.mjs'
import { permissionsOf } from './store.mjs'

const nodeId = (prefix, id) => `${prefix}_${Buffer.from(`fake:${id}`).toString('base64url')}`

const noReactions = (url) => ({
  url,
  total_count: 0,
  '+1': 0,
  '-1': 0,
  laugh: 0,
  confused: 0,
  heart: 0,
  hooray: 0,
  eyes: 0,
  rocket: 0,
})

export class Objects {
  /** `store` for users and associations; `urls` { api, web }, read at each call. */
  constructor(store, urls) {
    this.store = store
    this.urls = urls
  }

  repoApi(repo) {
    return `${this.urls.api}/repos/${repo.owner}/${repo.name}`
  }

  repoWeb(repo) {
    return `${this.urls.web}/${repo.owner}/${repo.name}`
  }

  /** `simple-user` (null for no login, where the schema allows it). */
  simpleUser(login) {
    if (!login) return null
    const user = this.store.user(login)
    const api = `${this.urls.api}/users/${user.login}`
    return {
      login: user.login,
      id: user.id,
      node_id: nodeId('U', user.id),
      avatar_url: `${this.urls.web}/avatars/u/${user.id}?v=4`,
      gravatar_id: '',
      url: api,
      html_url: `${this.urls.web}/${user.login}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: 'User',
      user_view_type: 'public',
      site_admin: false,
    }
  }

  /** `private-user`: the token's own user (GET /user). */
  privateUser(login) {
    const user = this.store.user(login)
    const owned = [...this.store.repos.values()].filter((r) => r.owner.toLowerCase() === login.toLowerCase())
    const ownedPrivate = owned.filter((r) => r.private).length
    return {
      ...this.simpleUser(login),
      user_view_type: 'private',
      name: user.name,
      company: null,
      blog: '',
      location: null,
      email: user.email,
      notification_email: user.email,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: owned.length - ownedPrivate,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: user.created_at,
      updated_at: user.created_at,
      private_gists: 0,
      total_private_repos: ownedPrivate,
      owned_private_repos: ownedPrivate,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
      plan: { name: 'free', space: 976562499, collaborators: 0, private_repos: 10000 },
    }
  }

  /** `repository` (as in a pull request's head and base); `permissions` when given. */
  repository(repo, permissions) {
    const api = this.repoApi(repo)
    const web = this.repoWeb(repo)
    const host = new URL(this.urls.web).host
    const s = repo.settings
    const out = {
      id: repo.id,
      node_id: nodeId('R', repo.id),
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      owner: this.simpleUser(repo.owner),
      private: repo.private,
      html_url: web,
      description: null,
      fork: false,
      url: api,
      archive_url: `${api}/{archive_format}{/ref}`,
      assignees_url: `${api}/assignees{/user}`,
      blobs_url: `${api}/git/blobs{/sha}`,
      branches_url: `${api}/branches{/branch}`,
      collaborators_url: `${api}/collaborators{/collaborator}`,
      comments_url: `${api}/comments{/number}`,
      commits_url: `${api}/commits{/sha}`,
      compare_url: `${api}/compare/{base}...{head}`,
      contents_url: `${api}/contents/{+path}`,
      contributors_url: `${api}/contributors`,
      deployments_url: `${api}/deployments`,
      downloads_url: `${api}/downloads`,
      events_url: `${api}/events`,
      forks_url: `${api}/forks`,
      git_commits_url: `${api}/git/commits{/sha}`,
      git_refs_url: `${api}/git/refs{/sha}`,
      git_tags_url: `${api}/git/tags{/sha}`,
      git_url: `git://${host}/${repo.owner}/${repo.name}.git`,
      issue_comment_url: `${api}/issues/comments{/number}`,
      issue_events_url: `${api}/issues/events{/number}`,
      issues_url: `${api}/issues{/number}`,
      keys_url: `${api}/keys{/key_id}`,
      labels_url: `${api}/labels{/name}`,
      languages_url: `${api}/languages`,
      merges_url: `${api}/merges`,
      milestones_url: `${api}/milestones{/number}`,
      notifications_url: `${api}/notifications{?since,all,participating}`,
      pulls_url: `${api}/pulls{/number}`,
      releases_url: `${api}/releases{/id}`,
      ssh_url: `git@${new URL(this.urls.web).hostname}:${repo.owner}/${repo.name}.git`,
      stargazers_url: `${api}/stargazers`,
      statuses_url: `${api}/statuses/{sha}`,
      subscribers_url: `${api}/subscribers`,
      subscription_url: `${api}/subscription`,
      tags_url: `${api}/tags`,
      teams_url: `${api}/teams`,
      trees_url: `${api}/git/trees{/sha}`,
      clone_url: `${web}.git`,
      mirror_url: null,
      hooks_url: `${api}/hooks`,
      svn_url: web,
      homepage: null,
      language: null,
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 0,
      default_branch: defaultBranch(repo.gitDir) ?? 'main',
      open_issues_count: repo.items.filter((i) => i.state === 'open').length,
      open_issues: repo.items.filter((i) => i.state === 'open').length,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: false,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: repo.private ? 'private' : 'public',
      pushed_at: repo.created_at,
      created_at: repo.created_at,
      updated_at: repo.created_at,
      allow_merge_commit: s.allow_merge_commit,
      allow_squash_merge: s.allow_squash_merge,
      allow_rebase_merge: s.allow_rebase_merge,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      allow_forking: true,
      web_commit_signoff_required: false,
      license: null,
    }
    if (permissions) out.permissions = permissions
    return out
  }

  /** `full-repository` (GET /repos/{owner}/{repo}); `grant` of the caller's token, if any. */
  fullRepository(repo, grant) {
    const base = this.repository(repo, grant === undefined ? undefined : permissionsOf(grant ?? (repo.private ? null : 'read')))
    return {
      ...base,
      allow_update_branch: false,
      use_squash_pr_title_as_default: false,
      squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
      squash_merge_commit_message: 'COMMIT_MESSAGES',
      merge_commit_title: 'MERGE_MESSAGE',
      merge_commit_message: 'PR_TITLE',
      subscribers_count: 0,
      network_count: 0,
    }
  }

  /** A label as pull requests and issues hold them. */
  label(repo, name) {
    const label = this.store.label(repo, name)
    return {
      id: label.id,
      node_id: nodeId('LA', label.id),
      url: `${this.repoApi(repo)}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      description: label.description,
      color: label.color,
      default: label.default,
    }
  }

  /** `pull-request-simple` (the list); `live` = { headSha, baseSha }. */
  pullRequestSimple(repo, pr, live) {
    const api = this.repoApi(repo)
    const web = this.repoWeb(repo)
    const url = `${api}/pulls/${pr.number}`
    const html = `${web}/pull/${pr.number}`
    const issue = `${api}/issues/${pr.number}`
    const side = (ref, sha) => ({
      label: `${repo.owner}:${ref}`,
      ref,
      sha,
      user: this.simpleUser(repo.owner),
      repo: this.repository(repo),
    })
    return {
      url,
      id: pr.id,
      node_id: nodeId('PR', pr.id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issue,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${api}/pulls/comments{/number}`,
      comments_url: `${issue}/comments`,
      statuses_url: `${api}/statuses/${live.headSha}`,
      number: pr.number,
      state: pr.state,
      locked: pr.locked,
      title: pr.title,
      user: this.simpleUser(pr.user),
      body: pr.body,
      labels: pr.labels.map((name) => this.label(repo, name)),
      milestone: null,
      active_lock_reason: null,
      created_at: pr.created_at,
      updated_at: pr.updated_at,
      closed_at: pr.closed_at,
      merged_at: pr.merged_at,
      merge_commit_sha: pr.merge_commit_sha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: side(pr.head.ref, live.headSha),
      base: side(pr.base.ref, live.baseSha),
      _links: {
        self: { href: url },
        html: { href: html },
        issue: { href: issue },
        comments: { href: `${issue}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${api}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${api}/statuses/${live.headSha}` },
      },
      author_association: this.store.association(repo, pr.user),
      auto_merge: null,
      draft: pr.draft,
    }
  }

  /**
   * `pull-request`; `live` = { headSha, baseSha, mergeable, rebaseable, mergeableState, commits,
   * additions, deletions, changedFiles }.
   */
  pullRequest(repo, pr, live) {
    return {
      ...this.pullRequestSimple(repo, pr, live),
      merged: pr.merged,
      mergeable: live.mergeable,
      rebaseable: live.rebaseable,
      mergeable_state: live.mergeableState,
      merged_by: this.simpleUser(pr.merged_by),
      comments: repo.issueComments.filter((c) => c.number === pr.number).length,
      review_comments: repo.reviewComments.filter((c) => c.number === pr.number).length,
      maintainer_can_modify: false,
      commits: live.commits,
      additions: live.additions,
      deletions: live.deletions,
      changed_files: live.changedFiles,
    }
  }

  /** `pull-request-merge-result`. */
  mergeResult(sha) {
    return { sha, merged: true, message: 'Pull Request successfully merged' }
  }

  /** `issue` (an issue, or a pull request seen as an issue, with `pull_request`). */
  issue(repo, item) {
    const api = this.repoApi(repo)
    const url = `${api}/issues/${item.number}`
    const html = `${this.repoWeb(repo)}/${item.isPull ? 'pull' : 'issues'}/${item.number}`
    const out = {
      id: item.id,
      node_id: nodeId(item.isPull ? 'PR' : 'I', item.id),
      url,
      repository_url: api,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: html,
      number: item.number,
      state: item.state,
      state_reason: item.isPull ? null : item.state_reason,
      title: item.title,
      body: item.body,
      user: this.simpleUser(item.user),
      labels: item.labels.map((name) => this.label(repo, name)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: item.locked,
      active_lock_reason: null,
      comments: repo.issueComments.filter((c) => c.number === item.number).length,
      closed_at: item.closed_at,
      created_at: item.created_at,
      updated_at: item.updated_at,
      closed_by: this.simpleUser(item.closed_by),
      author_association: this.store.association(repo, item.user),
      reactions: noReactions(`${url}/reactions`),
    }
    if (item.isPull) {
      out.draft = item.draft
      out.pull_request = {
        url: `${api}/pulls/${item.number}`,
        html_url: html,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        merged_at: item.merged_at,
      }
    }
    return out
  }

  /** `issue-comment`. */
  issueComment(repo, comment) {
    const api = this.repoApi(repo)
    const item = this.store.item(repo, comment.number)
    const url = `${api}/issues/comments/${comment.id}`
    return {
      id: comment.id,
      node_id: nodeId('IC', comment.id),
      url,
      html_url: `${this.repoWeb(repo)}/${item?.isPull ? 'pull' : 'issues'}/${comment.number}#issuecomment-${comment.id}`,
      body: comment.body,
      user: this.simpleUser(comment.user),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      issue_url: `${api}/issues/${comment.number}`,
      author_association: this.store.association(repo, comment.user),
      reactions: noReactions(`${url}/reactions`),
    }
  }

  /** `pull-request-review`. */
  review(repo, review) {
    const html = `${this.repoWeb(repo)}/pull/${review.number}#pullrequestreview-${review.id}`
    const pullUrl = `${this.repoApi(repo)}/pulls/${review.number}`
    return {
      id: review.id,
      node_id: nodeId('PRR', review.id),
      user: this.simpleUser(review.user),
      body: review.body,
      state: review.state,
      html_url: html,
      pull_request_url: pullUrl,
      _links: { html: { href: html }, pull_request: { href: pullUrl } },
      submitted_at: review.submitted_at,
      commit_id: review.commit_id,
      author_association: this.store.association(repo, review.user),
    }
  }

  /** `pull-request-review-comment` (a line comment). */
  reviewComment(repo, comment) {
    const api = this.repoApi(repo)
    const url = `${api}/pulls/comments/${comment.id}`
    const html = `${this.repoWeb(repo)}/pull/${comment.number}#discussion_r${comment.id}`
    const pullUrl = `${api}/pulls/${comment.number}`
    const out = {
      url,
      pull_request_review_id: comment.review_id,
      id: comment.id,
      node_id: nodeId('PRRC', comment.id),
      diff_hunk: comment.diff_hunk,
      path: comment.path,
      commit_id: comment.commit_id,
      original_commit_id: comment.commit_id,
      user: this.simpleUser(comment.user),
      body: comment.body,
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      html_url: html,
      pull_request_url: pullUrl,
      author_association: this.store.association(repo, comment.user),
      _links: { self: { href: url }, html: { href: html }, pull_request: { href: pullUrl } },
      start_line: null,
      original_start_line: null,
      start_side: null,
      line: comment.line,
      original_line: comment.line,
      side: 'RIGHT',
      subject_type: 'line',
      reactions: noReactions(`${url}/reactions`),
    }
    if (comment.in_reply_to_id) out.in_reply_to_id = comment.in_reply_to_id
    return out
  }

  /** The app check runs come from (`integration`). */
  app() {
    const at = '2018-07-30T09:30:17Z'
    return {
      id: 15368,
      slug: 'github-actions',
      node_id: nodeId('A', 15368),
      owner: { ...this.simpleUser('github'), type: 'Organization' },
      name: 'GitHub Actions',
      description: 'Automate your workflow from idea to production',
      external_url: `${this.urls.web}/features/actions`,
      html_url: `${this.urls.web}/apps/github-actions`,
      created_at: at,
      updated_at: at,
      permissions: { checks: 'write', contents: 'write', metadata: 'read' },
      events: ['check_run', 'check_suite', 'pull_request', 'push'],
    }
  }

  /** `check-run`; `pulls` = open pull requests whose head is the run's commit, with `baseSha`. */
  checkRun(repo, run, pulls) {
    const api = this.repoApi(repo)
    const html = `${this.repoWeb(repo)}/runs/${run.id}`
    const minimalRepo = { id: repo.id, url: api, name: repo.name }
    return {
      id: run.id,
      head_sha: run.head_sha,
      node_id: nodeId('CR', run.id),
      external_id: '',
      url: `${api}/check-runs/${run.id}`,
      html_url: html,
      details_url: run.details_url ?? html,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      output: {
        title: run.output.title,
        summary: run.output.summary,
        text: run.output.text,
        annotations_count: 0,
        annotations_url: `${api}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: run.suite_id },
      app: this.app(),
      pull_requests: pulls.map(({ pr, baseSha }) => ({
        id: pr.id,
        number: pr.number,
        url: `${api}/pulls/${pr.number}`,
        head: { ref: pr.head.ref, sha: run.head_sha, repo: minimalRepo },
        base: { ref: pr.base.ref, sha: baseSha, repo: minimalRepo },
      })),
    }
  }

  /** `simple-commit-status`. */
  status(repo, status) {
    return {
      id: status.id,
      node_id: nodeId('SC', status.id),
      url: `${this.repoApi(repo)}/statuses/${status.sha}`,
      avatar_url: null,
      state: status.state,
      description: status.description,
      target_url: status.target_url,
      context: status.context,
      created_at: status.created_at,
      updated_at: status.updated_at,
    }
  }

  /** `combined-commit-status` of `sha` from its latest status per context. */
  combinedStatus(repo, sha, statuses) {
    const states = statuses.map((s) => s.state)
    let state = 'success'
    if (states.some((s) => s === 'error' || s === 'failure')) state = 'failure'
    else if (states.length === 0 || states.includes('pending')) state = 'pending'
    return {
      state,
      statuses: statuses.map((s) => this.status(repo, s)),
      sha,
      total_count: statuses.length,
      repository: this.repository(repo),
      commit_url: `${this.repoApi(repo)}/commits/${sha}`,
      url: `${this.repoApi(repo)}/commits/${sha}/status`,
    }
  }
}
