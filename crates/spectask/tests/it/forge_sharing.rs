//! A forge connection on a server others share: its token serves the repositories its
//! `repositories` name and no other, and an issue is imported only into a repository the caller
//! owns or is a member of, once per registered repository.

use serde_json::json;

use crate::fake_forge::FakeForgeExt;
use crate::forge_setup::OnForge;
use crate::repo_owners::{as_user, user};
use crate::support::{json, spectask, stderr};

#[test]
fn a_forge_connection_serves_its_repositories_and_imports_go_only_into_the_callers() {
    let dir = tempfile::tempdir().unwrap();
    let gh = OnForge::start_configured(
        "github",
        dir.path(),
        "shared",
        "write",
        "",
        "poll_seconds = 0.2\nrepositories = [\"acme/shared\", \"tools/*\"]\n",
    );
    let data = dir.path().join("data");
    let (alice, bob, carol) = (user(&data, "alice"), user(&data, "bob"), user(&data, "carol"));
    // The fake forge is on loopback, which only an administrator may register.
    let role = spectask().args(["user", "role", "alice", "admin", "--data-dir"]).arg(&data).output().unwrap();
    assert!(role.status.success(), "{}", stderr(&role));
    let added = as_user(&gh.server, &alice, &["repo", "add", &gh.url, "--json"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let added = json(&added);
    assert_eq!(added["owner"], "alice");
    let repo_id = added["id"].as_str().unwrap().to_owned();
    let filed =
        gh.act("POST", "/issues", json!({ "login": "dan", "title": "Add a changelog", "body": "Please." }));
    let issue_url = gh.issue_url(filed["number"].as_u64().unwrap());
    let import = |token: &str, url: &str| {
        as_user(&gh.server, token, &["task", "import", url, "--kind", "coding_session", "--json"])
    };

    // Carol has no repository of it: refused naming the rule, and not whose it is.
    let refused = import(&carol, &issue_url);
    let said = stderr(&refused);
    assert!(!refused.status.success(), "carol imported into alice's repository");
    assert!(said.contains("you own or are a member of") && said.contains("repo add its URL first"), "{said}");
    assert!(said.contains("403") && !said.contains("alice") && !said.contains(&repo_id), "{said}");

    // A repository the connection does not serve is never asked about with its token.
    let elsewhere = issue_url.replace("acme/shared", "acme/secret");
    let refused = import(&alice, &elsewhere);
    let said = stderr(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("serves only acme/shared, tools/*, not acme/secret"), "{said}");
    let asked = gh.fake.requests();
    assert!(!asked.iter().any(|r| r["path"].as_str().is_some_and(|p| p.contains("acme/secret"))));

    // A member of alice's repository imports into it; once per repository, so hers comes second.
    let member = as_user(&gh.server, &alice, &["repo", "member", "add", &repo_id, "bob"]);
    assert!(member.status.success(), "{}", stderr(&member));
    let his = import(&bob, &issue_url);
    assert!(his.status.success(), "{}", stderr(&his));
    let his = json(&his);
    assert_eq!(
        (his["created_by"].as_str(), his["repository"]["id"].as_str()),
        (Some("bob"), Some(repo_id.as_str()))
    );
    let again = import(&alice, &issue_url);
    assert!(
        !again.status.success() && stderr(&again).contains("taken up already (HTTP 409)"),
        "{}",
        stderr(&again)
    );
    gh.server.stop();
}
