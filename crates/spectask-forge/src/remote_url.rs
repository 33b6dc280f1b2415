//! A repository's remote URL read as a forge sees it: the host, and the owner and name.

/// A repository on a forge: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForgeRepo {
    /// A user or an organisation; on GitLab a group, which may nest (`group/subgroup`).
    pub owner: String,
    pub name: String,
}

impl std::str::FromStr for ForgeRepo {
    type Err = String;

    /// `owner/name`, the owner perhaps nested (`group/sub/name`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.rsplit_once('/') {
            Some((owner, name)) if !name.is_empty() && !owner.split('/').any(str::is_empty) => {
                Ok(Self { owner: owner.to_owned(), name: name.to_owned() })
            }
            _ => Err(format!("{text:?} is no owner/name")),
        }
    }
}

impl std::fmt::Display for ForgeRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The host (with its port, when the URL names one) and the `owner/name` of a remote URL:
/// `https://github.com/o/r(.git)`, `ssh://git@github.com/o/r.git`, `git@github.com:o/r.git`; the
/// owner of `https://gitlab.com/group/sub/r.git` is `group/sub`. `None` for a URL of another shape
/// (a local path, `file://`, a path of one part).
pub fn parse_remote(url: &str) -> Option<(String, ForgeRepo)> {
    let url = url.trim();
    let (host, path) = if let Ok(parsed) = url::Url::parse(url)
        && matches!(parsed.scheme(), "https" | "http" | "ssh" | "git")
    {
        let host = parsed.host_str()?.to_owned();
        let host = match (parsed.scheme(), parsed.port()) {
            ("http" | "https", Some(port)) => format!("{host}:{port}"),
            _ => host,
        };
        (host, parsed.path().to_owned())
    } else {
        // scp-like: `[user@]host:path`.
        let (authority, path) = url.split_once(':')?;
        if path.starts_with("//") || authority.contains('/') {
            return None;
        }
        let host = authority.rsplit('@').next()?.to_owned();
        (host, path.to_owned())
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let (owner, name) = path.rsplit_once('/')?;
    if owner.split('/').any(str::is_empty) || name.is_empty() || host.is_empty() {
        return None;
    }
    Some((host.to_ascii_lowercase(), ForgeRepo { owner: owner.to_owned(), name: name.to_owned() }))
}

/// The host, repository and number of an issue's page: `https://github.com/o/r/issues/7`, or
/// GitLab's `https://gitlab.com/group/sub/r/-/issues/7`.
pub fn parse_issue_url(url: &str) -> Option<(String, ForgeRepo, u64)> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return None;
    }
    let host = match parsed.port() {
        Some(port) => format!("{}:{port}", parsed.host_str()?),
        None => parsed.host_str()?.to_owned(),
    };
    let parts: Vec<&str> = parsed.path().trim_matches('/').split('/').collect();
    let [path @ .., "issues", number] = parts.as_slice() else { return None };
    let path = path.strip_suffix(&["-"]).unwrap_or(path);
    let [owner @ .., name] = path else { return None };
    if owner.is_empty() || owner.iter().chain([name]).any(|part| part.is_empty() || *part == "-") {
        return None;
    }
    let number = number.parse().ok()?;
    let repo = ForgeRepo { owner: owner.join("/"), name: (*name).to_owned() };
    Some((host.to_ascii_lowercase(), repo, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(owner: &str, name: &str) -> ForgeRepo {
        ForgeRepo { owner: owner.into(), name: name.into() }
    }

    #[test]
    fn remote_urls_of_every_shape_name_host_and_repository() {
        let cases = [
            ("https://github.com/acme/app.git", "github.com"),
            ("https://github.com/acme/app", "github.com"),
            ("http://127.0.0.1:8123/acme/app.git", "127.0.0.1:8123"),
            ("ssh://git@GitHub.com/acme/app.git", "github.com"),
            ("git@github.com:acme/app.git", "github.com"),
            ("https://token@github.com/acme/app/", "github.com"),
        ];
        for (url, host) in cases {
            assert_eq!(parse_remote(url), Some((host.to_owned(), repo("acme", "app"))), "{url}");
        }
        let nested = parse_remote("git@gitlab.com:acme/web/app.git");
        assert_eq!(nested, Some(("gitlab.com".to_owned(), repo("acme/web", "app"))));
    }

    #[test]
    fn an_issue_page_names_host_repository_and_number() {
        let found = parse_issue_url("https://github.com/acme/app/issues/42");
        assert_eq!(found, Some(("github.com".to_owned(), repo("acme", "app"), 42)));
        let found = parse_issue_url("https://gitlab.com/acme/web/app/-/issues/7");
        assert_eq!(found, Some(("gitlab.com".to_owned(), repo("acme/web", "app"), 7)));
        for url in [
            "https://github.com/acme/app/pull/42",
            "https://github.com/acme/issues/4",
            "https://gitlab.com/acme/app/-/merge_requests/4",
            "https://gitlab.com/-/issues/4",
            "ssh://h/a/b/issues/1",
        ] {
            assert_eq!(parse_issue_url(url), None, "{url}");
        }
    }

    #[test]
    fn a_repository_reads_back_from_what_it_shows() {
        for shown in ["acme/app", "acme/web/app"] {
            assert_eq!(shown.parse::<ForgeRepo>().map(|r| r.to_string()), Ok(shown.to_owned()));
        }
        for bad in ["app", "acme/", "/app", "acme//app"] {
            assert!(bad.parse::<ForgeRepo>().is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_no_forge_repository_names_give_none() {
        for url in ["file:///srv/app.git", "/srv/app", "https://github.com/acme", "https://h/a//c.git", ""] {
            assert_eq!(parse_remote(url), None, "{url}");
        }
    }
}
