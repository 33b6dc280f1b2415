//! Taking up existing specs through the binary: the public Kiro (bugfix, first and second
//! generation), cc-sdd (English and Japanese) and spec-kit folders of the spec crate's golden tests,
//! committed to a repository, become SpecTasks whose version 1 holds their documents byte for byte,
//! without any planner, linted under their workflow's gates and the repository's steering rules; one
//! approved at once is handed off, and only its unticked plan tasks get sessions.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::crash_restart::wait_for;
use crate::implementation::{git, sessions, wait_for_state};
use crate::support::{Server, scripted_coder_data, stderr};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spectask-spec/tests/golden");
const CODER: &str = "[[rule]]\nmatch = \"*\"\nsteps = [ { message = \"Nothing to change.\" } ]\n";

fn golden(name: &str, file: &str) -> String {
    std::fs::read_to_string(Path::new(GOLDEN).join(name).join(file)).unwrap()
}

/// The repository, with `golden/<name>` committed at each `(folder, name)`, and `more` files.
fn repository(dir: &Path, folders: &[(&str, &str)], more: &[(&str, &str)]) -> std::path::PathBuf {
    let mut owned: Vec<(String, String)> = vec![("README.md".into(), "# app\n".into())];
    owned.extend(more.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())));
    for (folder, name) in folders {
        for entry in std::fs::read_dir(Path::new(GOLDEN).join(name)).unwrap() {
            let file = entry.unwrap().file_name().to_string_lossy().into_owned();
            owned.push((format!("{folder}/{file}"), golden(name, &file)));
        }
    }
    let files: Vec<(&str, &str)> = owned.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let repo = dir.join("app");
    spectask_git::init_repository(&repo, &files, "init").unwrap();
    repo
}

fn documents(server: &Server, id: &str) -> Vec<Value> {
    server.task_json(&["spec", id, "--json"]).as_array().cloned().unwrap_or_default()
}

/// The adopted task `id` holds `golden/<name>`'s documents byte for byte, from `files` (its first
/// document, design, tasks; `None` where the folder has none).
fn assert_kept(server: &Server, id: &str, name: &str, files: [Option<&str>; 3]) {
    let docs = documents(server, id);
    for (doc, file) in docs.iter().zip(files) {
        let want = file.map(|f| golden(name, f)).unwrap_or_default();
        assert!(doc["content"] == want.as_str(), "{name}: {file:?} changed: {doc:#}");
    }
}

/// A steering rule the kiro-gen2 spec breaks (its design names PostgreSQL), checked on adopted specs too.
const STEERING: &str = "# Tech\n\n```spectask-lint\n[[forbid]]\nwords = [\"PostgreSQL\"]\nwhy = \"the billing store is named by its role\"\n```\n";

#[test]
fn public_spec_folders_are_taken_up_byte_for_byte_without_a_planner() {
    let dir = tempfile::tempdir().unwrap();
    let repo = repository(
        dir.path(),
        &[
            (".kiro/specs/upload-fix", "kiro-bugfix"),
            (".kiro/specs/auth", "kiro-gen2"),
            (".kiro/specs/notes", "kiro-gen1"),
            (".kiro/specs/imports", "cc-sdd"),
            (".kiro/specs/recurring", "cc-sdd-ja"),
            ("specs/001-chat", "spec-kit"),
        ],
        &[(".spectask/steering/tech.md", STEERING)],
    );
    let server = Server::start(&scripted_coder_data(dir.path(), CODER), None);
    let path = repo.to_str().unwrap();

    // A bugfix runs its reproduction test in a session of its own: not as a simple task.
    let simple = server.task(&["adopt", ".kiro/specs/upload-fix", "--repo", path, "--complexity", "simple"]);
    assert!(stderr(&simple).contains("complexity `simple`"), "{}", stderr(&simple));

    let bugfix = server.task_json(&["adopt", ".kiro/specs/upload-fix", "--repo", path, "--json"]);
    assert_eq!(
        (bugfix["status"].as_str(), bugfix["workflow"].as_str()),
        (Some("spec_review"), Some("bugfix"))
    );
    assert_eq!(bugfix["title"], "Upload fix");
    let id = bugfix["id"].as_str().unwrap();
    assert_eq!(documents(&server, id)[0]["file_name"], "bugfix.md");
    assert_kept(&server, id, "kiro-bugfix", [Some("bugfix.md"), Some("design.md"), Some("tasks.md")]);
    let versions = crate::support::http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/spec-versions"));
    assert_eq!(versions[0]["lint"], serde_json::json!([]), "the bugfix gates pass: {versions:#}");

    let kiro = server.task_json(&["adopt", ".kiro/specs/auth", "--repo", path, "--title", "Auth", "--json"]);
    let id = kiro["id"].as_str().unwrap();
    assert_kept(&server, id, "kiro-gen2", [Some("requirements.md"), Some("design.md"), Some("tasks.md")]);
    let versions = crate::support::http_json(&server.url, &format!("/api/v1/spec-tasks/{id}/spec-versions"));
    let steered: Vec<&str> = versions[0]["lint"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|l| l.contains("[G001]"))
        .collect();
    assert!(
        !steered.is_empty()
            && steered.iter().all(|l| l.starts_with(".kiro/specs/auth/")
                && l.contains("the billing store is named by its role")),
        "the steering rule is checked on the adopted spec: {versions:#}"
    );

    for (folder, name, files) in [
        (".kiro/specs/notes", "kiro-gen1", [Some("requirements.md"), Some("design.md"), Some("tasks.md")]),
        (".kiro/specs/imports", "cc-sdd", [Some("requirements.md"), Some("design.md"), Some("tasks.md")]),
        (".kiro/specs/recurring", "cc-sdd-ja", [Some("requirements.md"), None, Some("tasks.md")]),
        ("specs/001-chat", "spec-kit", [Some("spec.md"), Some("plan.md"), Some("tasks.md")]),
    ] {
        let adopted = server.task_json(&["adopt", folder, "--repo", path, "--json"]);
        assert_eq!(adopted["status"], "spec_review", "{adopted:#}");
        assert_kept(&server, adopted["id"].as_str().unwrap(), name, files);
    }

    // Folders that cannot be taken up are refused, naming why.
    let missing = server.task(&["adopt", ".kiro/specs/nothing", "--repo", path]);
    assert!(stderr(&missing).contains(".kiro/specs/nothing holds no files"), "{}", stderr(&missing));
    let no_plan = server.task(&["adopt", ".kiro", "--repo", path]);
    assert!(!no_plan.status.success());
    let listed = server.task_json(&["list", "--json"]);
    assert_eq!(listed["total"], 6, "nothing made by a refusal: {listed}");
    server.stop();
}

const TICKED: &str = "# Implementation Plan\n\n- [x] 1. Add the user model\n- [ ] 2. Add the login route\n\
- [x] 3. Hash the passwords\n- [ ] 4. Add the logout route\n";

/// Writes a file for each unticked plan task; a session of a ticked one would change nothing.
const TICKED_CODER: &str = r#"
[[rule]]
match = "*Your task: 2 Add the login route*"
steps = [{ write_file = { path = "login.js", content = "module.exports = {};\n" } }, { message = "Added login.js." }]

[[rule]]
match = "*Your task: 4 Add the logout route*"
steps = [{ write_file = { path = "logout.js", content = "module.exports = {};\n" } }, { message = "Added logout.js." }]
"#;

/// Approved when taken up, a spec with ticked plan tasks is handed off as it is and only its
/// unticked tasks get sessions.
#[test]
fn an_adopted_spec_approved_at_once_implements_only_its_unticked_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let requirements = golden("kiro-gen2", "requirements.md");
    let files = [
        (".kiro/specs/login/requirements.md", requirements.as_str()),
        (".kiro/specs/login/tasks.md", TICKED),
    ];
    let repo = repository(dir.path(), &[], &files);
    let server = Server::start(&scripted_coder_data(dir.path(), TICKED_CODER), None);
    let path = repo.to_str().unwrap();
    let adopted = server.task_json(&["adopt", ".kiro/specs/login", "--repo", path, "--approve", "--json"]);
    let handle = adopted["handle"].as_str().unwrap().to_owned();
    let id = adopted["id"].as_str().unwrap().to_owned();
    wait_for_state("the adopted spec is on the design-docs branch", || {
        let listed = git(&repo, &["ls-tree", "-r", "--name-only", "helix-design-docs"]);
        if listed.contains(&format!("specs/{handle}/tasks.md")) { Ok(()) } else { Err(listed) }
    });
    let shown = git(&repo, &["show", &format!("helix-design-docs:specs/{handle}/requirements.md")]);
    assert!(shown == requirements, "requirements.md changed on its way to git");
    // As handed off: the sessions it starts at once may have ticked it in progress since.
    let path = format!("specs/{handle}/tasks.md");
    let added = git(&repo, &["log", "--diff-filter=A", "--format=%H", "helix-design-docs", "--", &path]);
    let plan = git(&repo, &["show", &format!("{}:{path}", added.trim())]);
    assert!(plan == TICKED, "{plan}");
    wait_for(&server, &id, "implementation_review", Duration::from_secs(90));
    let mut names: Vec<String> =
        sessions(&server, &id).iter().map(|s| s["name"].as_str().unwrap_or_default().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["2 Add the login route", "4 Add the logout route"]);
    server.stop();
}
