//! What the operator lets users register: where on the server's disk, and from which URLs.
//!
//! The operator (the local user of an open server) and users with the `admin` role may register
//! any path and any URL but a denied host's. A member may register paths only under the
//! configured roots, and URLs only of the allowed schemes (`https` and `ssh` by default), of an
//! allowed host when the operator lists them, and never of a loopback, private or link-local
//! address unless the operator lists that host: a member's URL must not reach into the server's
//! own network.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;

use super::remote_url::RemoteUrl;
use crate::{ApiError, Caller};

/// The `[repositories]` table of the server's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepositoryPolicy {
    /// Directories under which members may register repositories by path (canonical).
    pub roots: Vec<PathBuf>,
    /// The URL schemes members may register (`https`, `ssh`, `http`, `git`; `file` is the
    /// operator's only).
    pub url_schemes: Vec<String>,
    /// The hosts members may clone from (`host` or `*.domain`); empty: any host that is not a
    /// loopback, private or link-local address.
    pub allow_hosts: Vec<String>,
    /// The hosts nobody clones from, administrators included.
    pub deny_hosts: Vec<String>,
}

impl Default for RepositoryPolicy {
    fn default() -> Self {
        Self {
            roots: Vec::new(),
            url_schemes: vec!["https".to_owned(), "ssh".to_owned()],
            allow_hosts: Vec::new(),
            deny_hosts: Vec::new(),
        }
    }
}

/// The one refusal of a path a member may not register: the same whether the path exists, is a
/// repository, or is someone else's, so that it tells nothing about the server's disk.
pub(crate) fn path_not_allowed(path: &Path) -> ApiError {
    ApiError::forbidden(
        "path_not_allowed",
        format!(
            "path {} is outside the directories this server lets you register repositories from; \
             register it by URL, or ask the operator",
            path.display()
        ),
    )
}

impl RepositoryPolicy {
    /// Admits `caller` to register the repository at `root` (canonical).
    pub(crate) fn check_path(&self, caller: &Caller, given: &Path, root: &Path) -> Result<(), ApiError> {
        if caller.admin || self.roots.iter().any(|allowed| root.starts_with(allowed)) {
            return Ok(());
        }
        Err(path_not_allowed(given))
    }

    /// Admits `caller` to register the repository at `root` (the main working tree `given`
    /// leads to): a member only when it keeps its own git directory. A `.git` symlink or file may
    /// name the git directory of a repository registered by someone else, which git would then
    /// write to under this registration.
    pub(crate) fn check_git_dir(&self, caller: &Caller, given: &Path, root: &Path) -> Result<(), ApiError> {
        if caller.admin || super::locate::owns_git_dir(root) {
            return Ok(());
        }
        Err(ApiError::forbidden(
            "path_not_allowed",
            format!(
                "{}: its .git is not a directory of its own (a symlink, or a file naming a git directory \
                 elsewhere); only an administrator may register such a repository",
                given.display()
            ),
        ))
    }

    /// Admits `caller` to clone `url`. Names resolve first (a blocking lookup, bounded), so a
    /// public name for a private address is refused too.
    pub(crate) async fn check_url(&self, caller: &Caller, url: &RemoteUrl) -> Result<(), ApiError> {
        let refuse = |why: String| ApiError::forbidden("url_not_allowed", format!("url {}: {why}", url.text));
        if let Some(host) = &url.host
            && self.deny_hosts.iter().any(|pattern| host_matches(pattern, host))
        {
            return Err(refuse(format!("the host {host} is denied on this server")));
        }
        if caller.admin {
            return Ok(());
        }
        if !self.url_schemes.iter().any(|s| s.eq_ignore_ascii_case(&url.scheme)) || url.scheme == "file" {
            let allowed: Vec<&str> =
                self.url_schemes.iter().map(String::as_str).filter(|s| *s != "file").collect();
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "url_not_allowed",
                format!(
                    "url {}: {} URLs are not allowed here; use {}",
                    url.text,
                    url.scheme,
                    allowed.join(" or ")
                ),
            ));
        }
        let Some(host) = &url.host else { return Err(refuse("names no host".to_owned())) };
        let listed = self.allow_hosts.iter().any(|pattern| host_matches(pattern, host));
        if !self.allow_hosts.is_empty() && !listed {
            return Err(refuse(format!("the host {host} is not one this server clones from")));
        }
        if !listed && reaches_inside(host).await {
            return Err(refuse(format!(
                "the host {host} is a loopback, private or link-local address; the operator can allow it"
            )));
        }
        Ok(())
    }
}

/// `pattern` is `host` or `*.domain` (any host under it).
fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim().to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => pattern == host,
    }
}

/// Whether `host` is, or resolves to, an address inside the server's own machine or network.
async fn reaches_inside(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return is_inside(ip);
    }
    let lookup = tokio::net::lookup_host((host, 0));
    match tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await {
        Ok(Ok(addresses)) => addresses.map(|a| a.ip()).any(is_inside),
        // Unresolvable here: git cannot reach it either, and says so as for any host.
        _ => false,
    }
}

fn is_inside(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast()
                // Carrier-grade NAT, 100.64.0.0/10.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_inside(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member() -> Caller {
        Caller { name: "bob".to_owned(), sees_all: false, admin: false }
    }

    #[tokio::test]
    async fn a_member_clones_public_https_and_ssh_only() {
        let policy = RepositoryPolicy::default();
        let check = |url: &str| {
            let url = RemoteUrl::parse(url).unwrap();
            let policy = policy.clone();
            async move { policy.check_url(&member(), &url).await.map_err(|e| e.code) }
        };
        assert_eq!(check("https://203.0.114.7/acme/app").await, Ok(()));
        assert_eq!(check("git@203.0.114.7:acme/app").await, Ok(()));
        for url in [
            "file:///srv/git/app",
            "http://203.0.114.7/a",
            "git://203.0.114.7/a",
            "https://127.0.0.1:9418/a",
            "https://[::1]/a",
            "https://10.1.2.3/a",
            "https://169.254.169.254/latest",
            "https://localhost/a",
            "https://localhost.:7172/a",
            "https://127.0.0.1./a",
            "ssh://git@192.168.1.4/a",
        ] {
            assert_eq!(check(url).await, Err("url_not_allowed"), "{url}");
        }
        let admin = Caller { admin: true, ..member() };
        let file = RemoteUrl::parse("file:///srv/git/app").unwrap();
        assert!(policy.check_url(&admin, &file).await.is_ok());
    }

    #[tokio::test]
    async fn the_operator_lists_hosts_and_denies_them_to_everyone() {
        let policy = RepositoryPolicy {
            allow_hosts: vec!["127.0.0.1".to_owned(), "*.example.com".to_owned()],
            deny_hosts: vec!["evil.example.com".to_owned()],
            ..RepositoryPolicy::default()
        };
        let url = |u: &str| RemoteUrl::parse(u).unwrap();
        assert!(policy.check_url(&member(), &url("https://127.0.0.1:8080/a")).await.is_ok());
        assert!(policy.check_url(&member(), &url("https://git.example.com/a")).await.is_ok());
        assert!(policy.check_url(&member(), &url("https://203.0.114.7/a")).await.is_err());
        let admin = Caller { admin: true, ..member() };
        assert!(policy.check_url(&admin, &url("https://evil.example.com/a")).await.is_err());
        assert!(policy.check_url(&admin, &url("https://EVIL.example.com./a")).await.is_err(), "any spelling");
    }

    #[test]
    fn members_register_paths_under_the_roots_only() {
        let policy =
            RepositoryPolicy { roots: vec![PathBuf::from("/srv/code")], ..RepositoryPolicy::default() };
        let given = Path::new("/srv/code/app");
        assert!(policy.check_path(&member(), given, Path::new("/srv/code/app")).is_ok());
        let outside = policy.check_path(&member(), given, Path::new("/home/alice/app")).unwrap_err();
        assert_eq!(outside.code, "path_not_allowed");
        assert!(!outside.message.contains("alice"), "names the path given, not where it leads");
        let admin = Caller { admin: true, ..member() };
        assert!(policy.check_path(&admin, given, Path::new("/home/alice/app")).is_ok());
    }
}
