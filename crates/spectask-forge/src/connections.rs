//! The forge connections of the configuration file: `[forges.<name>]`.
//!
//! ```toml
//! [forges.github]
//! kind = "github"                      # github, gitlab, or forgejo (gitea is an alias)
//! host = "github.com"                  # the host repositories' remote URLs name (default per kind)
//! api_url = "https://api.github.com"   # default per kind, from the host (see `default_api_url`)
//! token_env = "GITHUB_TOKEN"           # or token_file = "/path/to/token"
//! poll_seconds = 60                    # how often open pull requests are read
//! webhook_secret_env = "GITHUB_WEBHOOK_SECRET"   # optional (or webhook_secret_file): deliveries
//!                                                # to /api/v1/forges/<name>/webhook make readings due
//! repositories = ["acme/*", "tools/app"]         # optional: the only repositories it serves
//! ```
//!
//! `repositories` limits what the connection's token is used for: only repositories it names have
//! their pull requests opened and read, their issues imported and their labelled issues taken up
//! through it. `owner/name` names one repository, `owner/*` every repository of that owner
//! (user, organisation, or GitLab group), `owner/**` those of its subgroups too. Without it the
//! connection serves every repository on its host.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::error::ForgeError;
use crate::remote_url::{ForgeRepo, parse_remote};
use crate::transport::{ForgeUsage, Wire};

/// Which API a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForgeKind {
    GitHub,
    GitLab,
    /// Forgejo, and Gitea, whose API Forgejo's still is.
    Forgejo,
}

impl ForgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
            Self::Forgejo => "forgejo",
        }
    }

    /// What the forge calls a pull request: GitLab's is a `merge request`.
    pub fn pull_request_noun(self) -> &'static str {
        match self {
            Self::GitLab => "merge request",
            Self::GitHub | Self::Forgejo => "pull request",
        }
    }

    /// What the forge calls a pull request, with its number: `pull request #7`, or GitLab's
    /// `merge request !7`.
    pub fn pull_request_name(self, number: u64) -> String {
        match self {
            Self::GitLab => format!("merge request !{number}"),
            Self::GitHub | Self::Forgejo => format!("pull request #{number}"),
        }
    }

    /// The page of `path` on `branch` of the repository whose page is `web_url`, as the forge
    /// shows it.
    pub fn tree_url(self, web_url: &str, branch: &str, path: &str) -> String {
        let web_url = web_url.trim_end_matches('/');
        match self {
            Self::GitHub => format!("{web_url}/tree/{branch}/{path}"),
            Self::GitLab => format!("{web_url}/-/tree/{branch}/{path}"),
            Self::Forgejo => format!("{web_url}/src/branch/{branch}/{path}"),
        }
    }

    /// The host of the kind's public service.
    fn default_host(self) -> &'static str {
        match self {
            Self::GitHub => "github.com",
            Self::GitLab => "gitlab.com",
            Self::Forgejo => "codeberg.org",
        }
    }

    /// Where the REST API of a service at `host` is: GitHub's own, or GitHub Enterprise Server's
    /// `/api/v3`; GitLab's `/api/v4`; Forgejo's `/api/v1`.
    fn default_api_url(self, host: &str) -> String {
        match (self, host) {
            (Self::GitHub, "github.com") => "https://api.github.com".to_owned(),
            (Self::GitHub, _) => format!("https://{host}/api/v3"),
            (Self::GitLab, _) => format!("https://{host}/api/v4"),
            (Self::Forgejo, _) => format!("https://{host}/api/v1"),
        }
    }
}

/// One connection, its token read.
#[derive(Clone)]
pub struct Forge {
    /// Its name in the configuration (`[forges.<name>]`).
    pub name: String,
    pub kind: ForgeKind,
    /// The host (and port) repositories' remote URLs name, lower case.
    pub host: String,
    pub api_url: url::Url,
    /// How often an open pull request is read.
    pub poll_interval: Duration,
    pub(crate) token: String,
    /// The secret webhook deliveries are signed with; `None`: webhooks are off.
    pub(crate) webhook_secret: Option<String>,
    /// The repositories it serves (`repositories`, lower case); `None`: every one on its host.
    pub(crate) repositories: Option<Vec<String>>,
    /// The connection's HTTP client and what it learned of the forge, shared by its clones.
    pub(crate) wire: Arc<Wire>,
}

impl Forge {
    /// What the connection asked of the forge since the process started, and its rate limit.
    pub fn usage(&self) -> ForgeUsage {
        self.wire.usage(chrono::Utc::now())
    }

    /// Whether the connection serves `repo` (its `repositories`, every repository without them).
    pub fn serves(&self, repo: &ForgeRepo) -> bool {
        let Some(patterns) = &self.repositories else { return true };
        let (owner, full) = (repo.owner.to_ascii_lowercase(), repo.to_string().to_ascii_lowercase());
        patterns.iter().any(|pattern| {
            if let Some(of) = pattern.strip_suffix("/**") {
                owner == of || owner.strip_prefix(of).is_some_and(|rest| rest.starts_with('/'))
            } else if let Some(of) = pattern.strip_suffix("/*") {
                owner == of
            } else {
                full == *pattern
            }
        })
    }

    /// What the connection serves, in words: `acme/*, tools/app`, or every repository on its host.
    pub fn serving(&self) -> String {
        match &self.repositories {
            Some(patterns) => format!("only {}", patterns.join(", ")),
            None => format!("every repository on {}", self.host),
        }
    }
}

impl std::fmt::Debug for Forge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forge")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("api_url", &self.api_url.as_str())
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

/// Every connection of the configuration.
#[derive(Debug, Clone, Default)]
pub struct Forges {
    forges: Vec<Forge>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    forges: BTreeMap<String, Section>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    kind: String,
    host: Option<String>,
    api_url: Option<String>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    poll_seconds: Option<f64>,
    /// Where the webhook secret is read from, when the forge delivers webhooks.
    webhook_secret_env: Option<String>,
    webhook_secret_file: Option<PathBuf>,
    /// The repositories it serves: `owner/name`, `owner/*`, `owner/**`.
    repositories: Option<Vec<String>>,
}

impl Forges {
    /// The `[forges.*]` tables of a configuration file's text (other tables are not read), each
    /// token read now: from the environment variable `token_env` names, or the file `token_file`
    /// names.
    pub fn from_toml(text: &str) -> Result<Self, ForgeError> {
        let file: File = toml::from_str(text)
            .map_err(|e| ForgeError::Config { forge: "*".into(), message: e.message().to_owned() })?;
        let mut forges = Vec::new();
        for (name, section) in file.forges {
            forges.push(connection(&name, section, |var| std::env::var(var).ok())?);
        }
        for (i, forge) in forges.iter().enumerate() {
            if let Some(other) = forges[..i].iter().find(|f| f.host == forge.host) {
                return Err(ForgeError::Config {
                    forge: forge.name.clone(),
                    message: format!("host {} is also [forges.{}]'s", forge.host, other.name),
                });
            }
        }
        Ok(Self { forges })
    }

    pub fn is_empty(&self) -> bool {
        self.forges.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Forge> {
        self.forges.iter()
    }

    pub fn named(&self, name: &str) -> Option<&Forge> {
        self.forges.iter().find(|f| f.name == name)
    }

    /// The connection whose host a remote URL names, when it serves the repository the URL names
    /// there ([`Forge::serves`]), and that repository.
    pub fn for_remote(&self, url: &str) -> Option<(&Forge, ForgeRepo)> {
        let (forge, repo) = self.on_host_of(url)?;
        forge.serves(&repo).then_some((forge, repo))
    }

    /// The connection whose host a remote URL names, whether or not it serves the repository the
    /// URL names there, and that repository: to say why [`Forges::for_remote`] found none.
    pub fn on_host_of(&self, url: &str) -> Option<(&Forge, ForgeRepo)> {
        let (host, repo) = parse_remote(url)?;
        self.forges.iter().find(|f| f.host == host).map(|f| (f, repo))
    }
}

fn connection(
    name: &str,
    section: Section,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Forge, ForgeError> {
    let config = |message: String| ForgeError::Config { forge: name.to_owned(), message };
    let kind = match section.kind.as_str() {
        "github" => ForgeKind::GitHub,
        "gitlab" => ForgeKind::GitLab,
        "forgejo" | "gitea" => ForgeKind::Forgejo,
        other => {
            return Err(config(format!(
                "kind = {other:?} is unknown; expected \"github\", \"gitlab\" or \"forgejo\""
            )));
        }
    };
    let host = section.host.unwrap_or_else(|| kind.default_host().to_owned()).trim().to_ascii_lowercase();
    let api_url = section.api_url.unwrap_or_else(|| kind.default_api_url(&host));
    let api_url = url::Url::parse(&api_url).map_err(|e| config(format!("api_url = {api_url:?}: {e}")))?;
    if !matches!(api_url.scheme(), "http" | "https") || api_url.cannot_be_a_base() {
        return Err(config(format!("api_url = {api_url:?} is not an http(s) URL")));
    }
    let mut api_url = api_url;
    if !api_url.path().ends_with('/') {
        api_url.set_path(&format!("{}/", api_url.path()));
    }
    let token = match (section.token_env, section.token_file) {
        (Some(var), None) => env(&var)
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| config(format!("token_env names {var}, which is not set or empty")))?,
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map_err(|e| config(format!("token_file {}: {e}", path.display())))?,
        (Some(_), Some(_)) => return Err(config("give token_env or token_file, not both".into())),
        (None, None) => return Err(config("give token_env or token_file: the token's source".into())),
    };
    let poll = section.poll_seconds.unwrap_or(60.0);
    let poll_interval = Duration::try_from_secs_f64(poll)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| config(format!("poll_seconds = {poll} is not a positive duration")))?;
    let webhook_secret = match (section.webhook_secret_env, section.webhook_secret_file) {
        (Some(var), None) => {
            Some(env(&var).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).ok_or_else(|| {
                config(format!("webhook_secret_env names {var}, which is not set or empty"))
            })?)
        }
        (None, Some(path)) => Some(
            std::fs::read_to_string(&path)
                .map(|s| s.trim().to_owned())
                .map_err(|e| config(format!("webhook_secret_file {}: {e}", path.display())))?,
        ),
        (Some(_), Some(_)) => {
            return Err(config("give webhook_secret_env or webhook_secret_file, not both".into()));
        }
        (None, None) => None,
    };
    let repositories = match section.repositories {
        None => None,
        Some(patterns) if patterns.is_empty() => {
            return Err(config("repositories = [] serves nothing: name them, or leave it out for all".into()));
        }
        Some(patterns) => Some(
            patterns
                .into_iter()
                .map(|p| repository_pattern(&p).ok_or_else(|| config(format!(
                    "repositories: {p:?} is not owner/name, owner/* or owner/** (a GitLab group may nest: group/sub/name)"
                ))))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let wire = Wire::new(concat!("spectask/", env!("CARGO_PKG_VERSION")))
        .map_err(|e| config(format!("cannot make its HTTP client: {e}")))?;
    Ok(Forge {
        name: name.to_owned(),
        kind,
        host,
        api_url,
        poll_interval,
        token: token.trim().to_owned(),
        webhook_secret,
        repositories,
        wire: Arc::new(wire),
    })
}

/// One entry of `repositories`, lower case: `owner/name`, `owner/*` or `owner/**`, the owner
/// perhaps nested; `None` when it is none of these.
fn repository_pattern(text: &str) -> Option<String> {
    let pattern = text.trim().trim_matches('/').to_ascii_lowercase();
    let segments: Vec<&str> = pattern.split('/').collect();
    let (last, owner) = segments.split_last()?;
    let plain = |s: &&str| !s.is_empty() && !s.contains('*') && *s != "." && *s != "..";
    let fine = !owner.is_empty() && owner.iter().all(plain) && (matches!(*last, "*" | "**") || plain(last));
    fine.then_some(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Forge>, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let env = |var: &str| (var == "GH").then(|| "secret-token\n".to_owned());
        file.forges.into_iter().map(|(n, s)| connection(&n, s, env).map_err(|e| e.to_string())).collect()
    }

    #[test]
    fn a_github_connection_takes_its_defaults_and_its_token() {
        let forges = read("[forges.gh]\nkind = \"github\"\ntoken_env = \"GH\"\n").unwrap();
        let gh = &forges[0];
        assert_eq!((gh.host.as_str(), gh.api_url.as_str()), ("github.com", "https://api.github.com/"));
        assert_eq!(gh.token, "secret-token");
        assert_eq!(gh.poll_interval, Duration::from_secs(60));
        assert!(!format!("{gh:?}").contains("secret"), "the token is never shown");
        let enterprise = read("[forges.e]\nkind = \"github\"\nhost = \"GHE.example\"\ntoken_env = \"GH\"\n");
        assert_eq!(enterprise.unwrap()[0].api_url.as_str(), "https://ghe.example/api/v3/");
    }

    #[test]
    fn gitlab_and_forgejo_connections_take_their_own_defaults() {
        let cases = [
            ("gitlab", None, "gitlab.com", "https://gitlab.com/api/v4/"),
            ("gitlab", Some("git.corp.example"), "git.corp.example", "https://git.corp.example/api/v4/"),
            ("forgejo", None, "codeberg.org", "https://codeberg.org/api/v1/"),
            ("gitea", Some("gitea.example"), "gitea.example", "https://gitea.example/api/v1/"),
        ];
        for (kind, host, want_host, want_api) in cases {
            let host = host.map(|h| format!("host = \"{h}\"\n")).unwrap_or_default();
            let found = read(&format!("[forges.f]\nkind = \"{kind}\"\n{host}token_env = \"GH\"\n")).unwrap();
            assert_eq!((found[0].host.as_str(), found[0].api_url.as_str()), (want_host, want_api), "{kind}");
        }
    }

    #[test]
    fn a_connection_that_cannot_work_is_refused_naming_what_is_wrong() {
        let cases = [
            ("kind = \"gitbucket\"\ntoken_env = \"GH\"", "unknown"),
            ("kind = \"github\"\ntoken_env = \"NOPE\"", "NOPE, which is not set"),
            ("kind = \"github\"", "give token_env or token_file"),
            ("kind = \"github\"\ntoken_env = \"GH\"\ntoken_file = \"/x\"", "not both"),
            ("kind = \"github\"\ntoken_file = \"/nonexistent/token\"", "/nonexistent/token"),
            ("kind = \"github\"\ntoken_env = \"GH\"\npoll_seconds = 0", "poll_seconds"),
            ("kind = \"github\"\ntoken_env = \"GH\"\napi_url = \"file:///x\"", "not an http(s) URL"),
            ("kind = \"github\"\ntoken_env = \"GH\"\ntoken = \"x\"", "unknown field"),
        ];
        for (body, expected) in cases {
            let err = read(&format!("[forges.f]\n{body}\n")).unwrap_err();
            assert!(err.contains(expected), "{body}: {err}");
        }
    }

    #[test]
    fn each_forge_names_its_pull_requests_and_pages_its_own_way() {
        assert_eq!(ForgeKind::GitHub.pull_request_name(7), "pull request #7");
        assert_eq!(ForgeKind::GitLab.pull_request_name(7), "merge request !7");
        let tree = |kind: ForgeKind| kind.tree_url("https://f.example/acme/app/", "docs", "specs/x");
        assert_eq!(tree(ForgeKind::GitHub), "https://f.example/acme/app/tree/docs/specs/x");
        assert_eq!(tree(ForgeKind::GitLab), "https://f.example/acme/app/-/tree/docs/specs/x");
        assert_eq!(tree(ForgeKind::Forgejo), "https://f.example/acme/app/src/branch/docs/specs/x");
    }

    #[test]
    fn a_connection_serves_the_repositories_it_names_and_no_other() {
        let text = "[forges.gh]\nkind = \"gitlab\"\ntoken_env = \"GH\"\nrepositories = [\"Acme/*\", \"tools/app\", \"corp/**\"]\n";
        let forges = Forges { forges: read(text).unwrap() };
        let served = |url: &str| forges.for_remote(url).map(|(f, r)| (f.name.clone(), r.to_string()));
        assert_eq!(served("https://gitlab.com/acme/app.git"), Some(("gh".into(), "acme/app".into())));
        assert!(served("https://gitlab.com/ACME/web.git").is_some(), "names are matched whatever their case");
        assert!(served("https://gitlab.com/acme/web/app.git").is_none(), "acme/* is not its subgroups");
        assert!(served("https://gitlab.com/tools/app.git").is_some());
        assert!(served("https://gitlab.com/tools/other.git").is_none());
        assert!(
            served("https://gitlab.com/corp/app.git").is_some()
                && served("https://gitlab.com/corp/a/b/app.git").is_some()
        );
        assert!(served("https://gitlab.com/corpus/app.git").is_none());
        let (forge, repo) = forges.on_host_of("https://gitlab.com/evil/app.git").unwrap();
        assert!(!forge.serves(&repo));
        assert_eq!(forge.serving(), "only acme/*, tools/app, corp/**");
        let all = read("[forges.gh]\nkind = \"github\"\ntoken_env = \"GH\"\n").unwrap();
        assert_eq!(all[0].serving(), "every repository on github.com");
        for bad in ["[]", "[\"acme\"]", "[\"*/app\"]", "[\"acme/a*\"]", "[\"acme//app\"]", "[\"../app\"]"] {
            let text = format!("[forges.gh]\nkind = \"github\"\ntoken_env = \"GH\"\nrepositories = {bad}\n");
            let err = read(&text).unwrap_err();
            assert!(err.contains("repositories"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_remote_url_finds_the_connection_of_its_host() {
        let forges = Forges { forges: read("[forges.gh]\nkind = \"github\"\ntoken_env = \"GH\"\n").unwrap() };
        let (forge, repo) = forges.for_remote("git@github.com:acme/app.git").unwrap();
        assert_eq!((forge.name.as_str(), repo.to_string().as_str()), ("gh", "acme/app"));
        assert!(forges.for_remote("https://gitlab.com/acme/app.git").is_none());
    }
}
