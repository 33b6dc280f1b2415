//! A repository URL as a caller gives it, taken apart to be judged (scheme, host) and compared
//! (the same remote under another spelling is the same repository).
//!
//! Forms: `https://host/path`, `http://…`, `ssh://[user@]host[:port]/path`, scp-like
//! `user@host:path`, `git://host/path`, `file:///path`. Credentials in a URL are refused: a
//! URL is stored, shown and logged, and a password in it would be too.

use crate::ApiError;

/// A parsed repository URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteUrl {
    /// As given (trimmed): what git clones and what is recorded.
    pub text: String,
    /// `https`, `http`, `ssh`, `git` or `file`, lowercase.
    pub scheme: String,
    /// Lowercase, without brackets, port or a trailing dot; `None` for `file://`.
    pub host: Option<String>,
    /// The path on the host, without a leading `/`, a trailing `/` or `.git`.
    pub path: String,
}

impl RemoteUrl {
    /// Parses `text`, refusing what is not a repository URL or carries credentials, naming the
    /// field `url` and the rule.
    pub(crate) fn parse(text: &str) -> Result<Self, ApiError> {
        let text = text.trim();
        let invalid = |why: &str| ApiError::bad_request("invalid_url", format!("url {text:?} {why}"));
        if text.is_empty() {
            return Err(invalid("is empty"));
        }
        if text.chars().any(char::is_control) {
            return Err(invalid("holds control characters"));
        }
        if let Some(helper) = remote_helper(text) {
            return Err(invalid(&format!(
                "names git's remote helper {helper:?} (<transport>::<address>); give an https or ssh URL"
            )));
        }
        if !text.contains("://") {
            let url = scp_like(text).ok_or_else(|| {
                invalid("is not a repository URL (https://host/path, ssh://host/path or user@host:path)")
            })?;
            return optionless(url).map_err(|()| invalid(OPTION_LIKE));
        }
        let url = url::Url::parse(text).map_err(|e| invalid(&format!("is not a URL: {e}")))?;
        let scheme = url.scheme().to_ascii_lowercase();
        if !["https", "http", "ssh", "git", "file"].contains(&scheme.as_str()) {
            return Err(invalid("has a scheme git clones with spectask: https, http, ssh, git or file"));
        }
        if url.password().is_some() || (!url.username().is_empty() && scheme != "ssh") {
            return Err(ApiError::bad_request(
                "credentials_in_url",
                "url holds credentials: give the URL without them (the server's git credential \
                 helper or SSH key authenticates)",
            ));
        }
        let host = match url.host_str() {
            Some(host) => Some(host_name(host)),
            None if scheme == "file" => None,
            None => return Err(invalid("names no host")),
        };
        if url.username().starts_with('-') {
            return Err(invalid(OPTION_LIKE));
        }
        let url = Self { text: text.to_owned(), scheme, host, path: trimmed_path(url.path()) };
        optionless(url).map_err(|()| invalid(OPTION_LIKE))
    }

    /// Who the remote is, whatever the spelling: `host/path` (`file:` and the path for a local
    /// one). `https://github.com/a/b`, `ssh://git@github.com/a/b.git` and `git@github.com:a/b`
    /// are one identity.
    pub(crate) fn identity(&self) -> String {
        match &self.host {
            Some(host) => format!("{host}/{}", self.path),
            None => format!("file:/{}", self.path),
        }
    }

    /// A name for this node's clone directory: the last path segment and a short hash of the
    /// identity, so that two remotes of one name get two directories.
    pub(crate) fn clone_dir_name(&self) -> String {
        use sha2::Digest;
        let last = self.path.rsplit('/').next().unwrap_or_default();
        let name: String = last
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' })
            .collect();
        let name = name.trim_matches(['.', '-']);
        let name = if name.is_empty() { "repository" } else { name };
        let digest = sha2::Sha256::digest(self.identity().as_bytes());
        let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("{name}-{short}")
    }
}

const OPTION_LIKE: &str = "names a user or host starting with '-', which ssh would take for an option";

/// `url` unless its host starts with `-`.
fn optionless(url: RemoteUrl) -> Result<RemoteUrl, ()> {
    if url.host.as_deref().is_some_and(|host| host.starts_with('-')) { Err(()) } else { Ok(url) }
}

/// The remote helper `text` names, as git reads it: a scheme-like word followed by `::`
/// (`ext::<command>`, `fd::<n>`), which git runs instead of fetching.
fn remote_helper(text: &str) -> Option<&str> {
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && (c.is_ascii_digit() || "+.-".contains(c)))))
        .map_or(text.len(), |(i, _)| i);
    (end > 0 && text[end..].starts_with("::")).then(|| &text[..end])
}

/// `user@host:path` (git's scp-like syntax, an ssh URL): `None` when `text` is not one. A path
/// with a `/` before the first `:` is a local path, as git reads it.
fn scp_like(text: &str) -> Option<RemoteUrl> {
    let (before, path) = text.split_once(':')?;
    if before.contains('/') || path.is_empty() || before.is_empty() {
        return None;
    }
    let host = before.rsplit_once('@').map_or(before, |(_, host)| host);
    if host.is_empty() || before.starts_with('-') {
        return None;
    }
    Some(RemoteUrl {
        text: text.to_owned(),
        scheme: "ssh".to_owned(),
        host: Some(host_name(host)),
        path: trimmed_path(path),
    })
}

/// A host as it is judged and compared: lowercase, without brackets, and without the trailing
/// dot of a fully qualified name (`localhost.` is `localhost`).
fn host_name(host: &str) -> String {
    host.trim_matches(['[', ']']).trim_end_matches('.').to_ascii_lowercase()
}

fn trimmed_path(path: &str) -> String {
    let path = path.trim_matches('/');
    path.strip_suffix(".git").unwrap_or(path).trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_remote_under_every_spelling_is_one_identity() {
        let spellings = [
            "https://github.com/acme/app",
            "https://GitHub.com/acme/app.git",
            "https://github.com/acme/app/",
            "ssh://git@github.com/acme/app.git",
            "ssh://git@github.com:22/acme/app",
            "git@github.com:acme/app.git",
            "https://github.com./acme/app",
        ];
        for spelling in spellings {
            assert_eq!(RemoteUrl::parse(spelling).unwrap().identity(), "github.com/acme/app", "{spelling}");
        }
        assert_ne!(
            RemoteUrl::parse("https://github.com/acme/app").unwrap().identity(),
            RemoteUrl::parse("https://github.com/acme/other").unwrap().identity()
        );
        let file = RemoteUrl::parse("file:///srv/git/app.git").unwrap();
        assert_eq!((file.scheme.as_str(), file.host.as_deref()), ("file", None));
        assert_eq!(file.identity(), "file:/srv/git/app");
    }

    #[test]
    fn credentials_and_what_is_no_url_are_refused() {
        for url in ["https://alice:secret@github.com/a/b", "https://ghp_token@github.com/a/b"] {
            let err = RemoteUrl::parse(url).unwrap_err();
            assert_eq!(err.code, "credentials_in_url", "{url}");
            assert!(!err.message.contains("secret") && !err.message.contains("ghp_"), "{err:?}");
        }
        for url in ["", "/srv/app", "ftp://host/a", "https://", "a b", "https://host/a\tb"] {
            assert!(RemoteUrl::parse(url).is_err(), "{url:?}");
        }
        assert_eq!(RemoteUrl::parse("git@example.com:a/b").unwrap().scheme, "ssh");
    }

    #[test]
    fn remote_helpers_and_option_like_hosts_are_refused() {
        for url in [
            "ext::sh -c touch% /tmp/pwn",
            "fd::0",
            "https::127.0.0.1:7172/x",
            "a+b.c-d::whatever",
            "ssh://-oProxyCommand=touch%20x/a/b",
            "ssh://-oProxyCommand=x@host/a/b",
            "-oProxyCommand=x:a/b",
            "git@-host:a/b",
        ] {
            assert_eq!(RemoteUrl::parse(url).map_err(|e| e.code), Err("invalid_url"), "{url:?}");
        }
        assert!(RemoteUrl::parse("git@[::1]:a/b").is_ok(), "an address in brackets names no helper");
        assert_eq!(remote_helper("ext::x"), Some("ext"));
        assert_eq!(remote_helper("https://host/a::b"), None);
    }

    #[test]
    fn clone_directories_differ_for_remotes_of_one_name() {
        let a = RemoteUrl::parse("https://github.com/acme/app").unwrap().clone_dir_name();
        let b = RemoteUrl::parse("https://gitlab.com/acme/app").unwrap().clone_dir_name();
        assert!(a.starts_with("app-") && b.starts_with("app-") && a != b, "{a} {b}");
        assert_eq!(a, RemoteUrl::parse("git@github.com:acme/app.git").unwrap().clone_dir_name());
    }
}
