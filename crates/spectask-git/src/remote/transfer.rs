//! Repositories by URL: cloned by `git clone`, fetched before spectask bases work on them, and
//! pushed after it. Credentials are git's own (the operator's credential helpers, SSH keys and
//! agent): spectask never sees or stores them, and git never prompts. Every transfer is bounded in
//! time (`Git::transfer`).
//!
//! The clone's remote-tracking refs have several writers, each under its own lock: the fetch of
//! everything (the default branch's lock), a task branch's fetch and push (that task's push lock),
//! the design-docs branch's (its lock). git updates a ref only if it still holds what git read
//! at its start, so one of them landing meanwhile fails another's update of that ref ("cannot
//! lock ref … but expected …"). The remote was reached; the transfer is made again
//! (`Git::run_waiting`), which reads both anew.

use std::path::Path;
use std::time::Instant;

use crate::error::GitError;
use crate::plumbing::cmd::{Git, RemoteTrust};
use crate::plumbing::lock::{LockScope, RepoLock};
use crate::plumbing::worktree::{checked_out_at, fast_forward_checkout};
use crate::repository::inspect::{RepositoryInfo, inspect_repository};
use crate::repository::registration::{CLONE_REMOTE, RegisterOptions, Repo};

/// Whether `location` names a remote repository (`https://…`, `ssh://…`, `git://…`, `file://…`,
/// or scp-like `user@host:path`) rather than a path on this machine.
pub fn is_remote_url(location: &str) -> bool {
    let location = location.trim();
    if ["https://", "http://", "ssh://", "git://", "file://"].iter().any(|s| location.starts_with(s)) {
        return true;
    }
    // `user@host:path`: a colon before any slash, after a user and host.
    match location.split_once(':') {
        Some((before, _)) => before.contains('@') && !before.contains('/') && !location.starts_with('/'),
        None => false,
    }
}

/// Clones `url` to `dest` (its default branch checked out), trusting the remote as `trust` says,
/// and inspects the clone. A clone of the same URL already at `dest` is reused
/// as it is; anything else there is refused; an empty directory is cloned into.
pub fn clone_repository(url: &str, dest: &Path, trust: RemoteTrust) -> Result<RepositoryInfo, GitError> {
    if !is_remote_url(url) {
        return Err(GitError::Remote { url: url.to_owned(), message: "is not a repository URL".to_owned() });
    }
    if dest.exists() && std::fs::read_dir(dest).map(|mut d| d.next().is_some()).unwrap_or(true) {
        let existing = Git::at(dest).reading().output(&["remote", "get-url", CLONE_REMOTE], None)?;
        if existing.status.success() && String::from_utf8_lossy(&existing.stdout).trim() == url {
            return inspect_repository(dest);
        }
        return Err(GitError::Remote {
            url: url.to_owned(),
            message: format!("{} already exists and is not a clone of it", dest.display()),
        });
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(crate::error::io_err("create directory", parent))?;
    }
    git_clone(url, dest, trust)?;
    inspect_repository(dest)
}

/// `git clone` of `url` into `dest`.
fn git_clone(url: &str, dest: &Path, trust: RemoteTrust) -> Result<(), GitError> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    let dest_arg = dest.to_string_lossy().into_owned();
    let args = ["clone", "--quiet", "--origin", CLONE_REMOTE, "--", url, dest_arg.as_str()];
    Git::at(parent).trusting(trust).transfer().run(&args).map_err(|e| remote_error(url, e, trust))?;
    Ok(())
}

/// [`clone_repository`] into spectask's own folder of clones, made aside (`.<name>.partial`) and
/// renamed into place when `dest` is absent: neither another caller nor a restart after a crash
/// mid-clone finds a half-made clone at `dest`. The caller holds the clone's lock.
fn clone_aside(url: &str, dest: &Path, trust: RemoteTrust) -> Result<(), GitError> {
    if dest.exists() || !is_remote_url(url) {
        return clone_repository(url, dest, trust).map(drop);
    }
    let partial = beside(dest, "partial")?;
    let parent = partial.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(crate::error::io_err("create directory", parent))?;
    // What a crash mid-clone left.
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .map_err(crate::error::io_err("remove a partial clone", &partial))?;
    }
    git_clone(url, &partial, trust)?;
    std::fs::rename(&partial, dest).map_err(crate::error::io_err("move the clone into place", dest))
}

/// `.<name>.<suffix>` next to `dest`.
fn beside(dest: &Path, suffix: &str) -> Result<std::path::PathBuf, GitError> {
    let Some(name) = dest.file_name() else {
        return Err(GitError::PathNotFound { path: dest.to_path_buf() });
    };
    Ok(dest.with_file_name(format!(".{}.{suffix}", name.to_string_lossy())))
}

/// This machine's clone of a repository registered by URL on another node: cloned to `dest`
/// (reused when there), its default branch made from the remote's when the clone lacks it, and
/// registered with `options` as the first node registered it, tracking the remote. Once that is
/// done, opening it again runs one git command. A node's jobs asking at once are queued on a lock
/// beside `dest` (`.<name>.lock`, in spectask's folder of clones) until the clone is registered.
/// The clone and the handle trust the remote as `options` says.
pub fn clone_registered(url: &str, dest: &Path, options: &RegisterOptions) -> Result<Repo, GitError> {
    let handle = |repo: Repo| repo.with_trust(options.trust);
    if let Some(repo) = registered_clone(url, dest, options)? {
        return Ok(handle(repo));
    }
    let _lock = RepoLock::acquire_at(&beside(dest, "lock")?)?;
    // Made by the caller this one waited for.
    if let Some(repo) = registered_clone(url, dest, options)? {
        return Ok(handle(repo));
    }
    clone_aside(url, dest, options.trust)?;
    if let Some(branch) = options.default_branch.as_deref() {
        let git = Git::at(dest).trusting(options.trust);
        let local = format!("refs/heads/{branch}");
        if !git.yes_no(&["rev-parse", "-q", "--verify", &local])? {
            let theirs = format!("refs/remotes/{CLONE_REMOTE}/{branch}");
            git.run(&["branch", "--quiet", "--track", branch, &theirs])?;
        }
    }
    // Registered trusting the remote as the clone did: its first fetch and push, tracking the
    // remote, refuse what the clone refused.
    Repo::register(dest, options)?.repo.track_remote(CLONE_REMOTE)
}

/// The clone of `url` at `dest` when it is registered (again, when the hook policy changed).
fn registered_clone(url: &str, dest: &Path, options: &RegisterOptions) -> Result<Option<Repo>, GitError> {
    match Repo::open(dest) {
        Ok(repo) if repo.remote_url() == Some(url) => {
            if options.hooks.is_some_and(|hooks| hooks != repo.hooks()) {
                return Ok(Some(Repo::register(dest, options)?.repo));
            }
            Ok(Some(repo))
        }
        _ => Ok(None),
    }
}

impl Repo {
    /// Fetches the remote (when the repository has one) and fast-forwards the default branch to
    /// the remote's, so that work starts from what the team has. A default branch that has
    /// commits the remote lacks (a merge not yet pushed) is left as it is. Returns whether this
    /// call moved the default branch.
    ///
    /// Fetches queue on the default branch's lock. One that another fetch of this handle (or a
    /// clone of it) answered is not made again: when its turn comes and a fetch that started after
    /// it was asked has succeeded, the remote was read after it asked, and it returns `false`. Many
    /// sessions starting together on one repository so fetch about twice, not once each.
    pub fn fetch(&self) -> Result<bool, GitError> {
        let Some(remote) = self.remote() else { return Ok(false) };
        let asked = Instant::now();
        let _lock = self.lock(LockScope::DefaultBranch)?;
        if self.last_fetch().started_since(asked) {
            return Ok(false);
        }
        let started = Instant::now();
        let moved = self.fetch_locked(remote)?;
        self.last_fetch().succeeded(started);
        Ok(moved)
    }

    /// [`Repo::fetch`], its lock held.
    fn fetch_locked(&self, remote: &str) -> Result<bool, GitError> {
        let main = self.main_git();
        let url = self.remote_url().unwrap_or_default().to_owned();
        main.transfer()
            .run_waiting(&["fetch", "--quiet", "--prune", remote], None)
            .map_err(|e| remote_error(&url, e, self.trust()))?;
        let tracking = format!("refs/remotes/{remote}/{}", self.default_branch());
        let (Some(theirs), Some(ours)) = (self.ref_tip(&tracking)?, self.tip_of(self.default_branch())?)
        else {
            return Ok(false);
        };
        if theirs == ours || !self.is_ancestor(ours, theirs)? {
            return Ok(false);
        }
        match checked_out_at(&main, self.default_branch())? {
            Some(path) => fast_forward_checkout(&main.checkout_at(&path), self.default_branch(), theirs)?,
            None => {
                let (full, new, old) =
                    (format!("refs/heads/{}", self.default_branch()), theirs.to_string(), ours.to_string());
                main.run(&["update-ref", "-m", "spectask: fetch", &full, &new, &old])?;
            }
        }
        tracing::info!(root = %self.root().display(), %theirs, "fast-forwarded the default branch to the remote's");
        Ok(true)
    }

    /// Pushes `branches` to the remote (when the repository has one), each to the branch of the
    /// same name, never forced: a branch whose remote one (as last fetched) has commits it lacks
    /// is [`GitError::RemoteBranchDiverged`]; a push the remote refuses (it moved meanwhile, a
    /// protected branch) is [`GitError::Remote`] with git's reason. Nothing local is lost.
    pub fn push(&self, branches: &[&str]) -> Result<(), GitError> {
        let Some(remote) = self.remote() else { return Ok(()) };
        if branches.is_empty() {
            return Ok(());
        }
        for branch in branches {
            let theirs = self.ref_tip(&format!("refs/remotes/{remote}/{branch}"))?;
            if let (Some(theirs), Some(ours)) = (theirs, self.tip_of(branch)?)
                && theirs != ours
                && !self.is_ancestor(theirs, ours)?
            {
                return Err(GitError::RemoteBranchDiverged {
                    branch: (*branch).to_owned(),
                    ours: ours.to_string(),
                    theirs: theirs.to_string(),
                });
            }
        }
        let specs: Vec<String> = branches.iter().map(|b| format!("refs/heads/{b}:refs/heads/{b}")).collect();
        let mut args = vec!["push", "--quiet", "--porcelain", remote];
        args.extend(specs.iter().map(String::as_str));
        let url = self.remote_url().unwrap_or_default().to_owned();
        self.main_git()
            .transfer()
            .run_waiting(&args, None)
            .map_err(|e| remote_error(&url, e, self.trust()))?;
        Ok(())
    }
}

impl Repo {
    /// Deletes `branch` on the remote (when the repository has one); one the remote does not have
    /// is no error.
    pub fn delete_remote_branch(&self, branch: &str) -> Result<(), GitError> {
        let Some(remote) = self.remote() else { return Ok(()) };
        let url = self.remote_url().unwrap_or_default().to_owned();
        let spec = format!(":refs/heads/{branch}");
        match self.main_git().transfer().run(&["push", "--quiet", "--porcelain", remote, &spec]) {
            Ok(_) => Ok(()),
            Err(GitError::Command { message, .. }) if message.contains("remote ref does not exist") => Ok(()),
            Err(error) => Err(remote_error(&url, error, self.trust())),
        }
    }
}

/// A failed fetch, push or clone, named by its URL with git's reason; a redirect refused (trusting
/// the remote as `trust` says) says so.
pub(crate) fn remote_error(url: &str, error: GitError, trust: RemoteTrust) -> GitError {
    match error {
        GitError::Command { mut message, .. } => {
            let redirected = (300..400).any(|status| message.contains(&format!("returned error: {status}")));
            if redirected && trust == RemoteTrust::Member {
                message.push_str(
                    "; the remote answered with a redirect, which spectask follows for no repository a \
                     member registered: register it by the URL the redirect leads to",
                );
            }
            GitError::Remote { url: url.to_owned(), message }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths() {
        for url in
            ["https://github.com/a/b.git", "git@github.com:a/b.git", "ssh://git@host/a", "file:///srv/a.git"]
        {
            assert!(is_remote_url(url), "{url}");
        }
        for path in ["/home/me/src/app", "relative/dir", "./a:b", "/srv/with:colon", "C"] {
            assert!(!is_remote_url(path), "{path}");
        }
    }

    #[test]
    fn credentials_in_urls_are_left_out_of_messages() {
        let redacted = crate::error::redact("fatal: unable to access 'https://me:t0ken@host/a.git/': 403");
        assert_eq!(redacted, "fatal: unable to access 'https://***@host/a.git/': 403");
        assert_eq!(crate::error::redact("file:///srv/a.git"), "file:///srv/a.git");
    }
}
