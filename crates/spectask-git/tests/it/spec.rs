//! Spec hand-off commit, readers at the design-docs tip, the tar.gz archive and the recovery index.

use std::io::Read;

use spectask_git::{EntryKind, ReviewDocument, SpecHandOff, TaskHandle, parse_trailers};

use crate::support::{assert_fsck_clean, git, registered_repo, status};

fn hand_off(task: &str, version: u32) -> SpecHandOff {
    SpecHandOff {
        task: TaskHandle::new(task).unwrap(),
        spec_task: "0190c2de-0000-7000-8000-00000000abcd".to_owned(),
        version,
        requirements_file: spectask_git::SpecFile::Requirements,
        requirements: "# Requirements\n".to_owned(),
        design: "# Design\n".to_owned(),
        tasks: "- [ ] 1. do it\n".to_owned(),
        progress: "# Progress\n- [ ] 1. do it\n".to_owned(),
        metadata_json: "{\"version\": 1}\n".to_owned(),
        reviews: vec![
            ReviewDocument { number: 1, decision: "request_changes".to_owned(), body: "more\n".to_owned() },
            ReviewDocument { number: 2, decision: "approve".to_owned(), body: "ok\n".to_owned() },
        ],
    }
}

#[test]
fn hand_off_is_one_commit_with_every_document_and_trailers() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let before = repo.branch_tip("helix-design-docs").unwrap().unwrap();
    let tip = repo.hand_off_spec(&hand_off("7f3a-login", 2)).unwrap();

    let info = repo.commit_info(tip).unwrap();
    assert_eq!(info.parents, vec![before], "one commit on top of the previous tip");
    assert!(info.message.starts_with("spec(7f3a-login): version 2\n"), "{}", info.message);
    assert_eq!(
        parse_trailers(&info.message),
        vec![
            ("Spec-Task".to_owned(), "0190c2de-0000-7000-8000-00000000abcd".to_owned()),
            ("Spec-Version".to_owned(), "2".to_owned()),
        ]
    );
    let mut files: Vec<String> =
        repo.changed_files(Some(before), tip).unwrap().into_iter().map(|c| c.path).collect();
    files.sort();
    let expected = [
        "design.md",
        "progress.md",
        "requirements.md",
        "reviews/1-request_changes.md",
        "reviews/2-approve.md",
        "spec-metadata.json",
        "tasks.md",
    ]
    .map(|f| format!("specs/7f3a-login/{f}"));
    assert_eq!(files, expected);
    let wt = repo.design_docs_worktree();
    assert_eq!(std::fs::read_to_string(wt.join("specs/7f3a-login/tasks.md")).unwrap(), "- [ ] 1. do it\n");
    assert_eq!(status(&wt), "");
    assert_eq!(git(&wt, &["log", "-1", "--format=%s"]), "spec(7f3a-login): version 2");
    assert_fsck_clean(repo.root());
}

#[test]
fn readers_see_the_design_docs_tip() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    repo.hand_off_spec(&hand_off("7f3a-login", 1)).unwrap();
    assert_eq!(repo.read_design_doc("specs/7f3a-login/design.md").unwrap().unwrap(), b"# Design\n");
    assert_eq!(repo.read_design_doc("specs/7f3a-login/missing.md").unwrap(), None);
    let entries = repo.list_design_docs("specs/7f3a-login").unwrap();
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["design.md", "progress.md", "requirements.md", "reviews", "spec-metadata.json", "tasks.md"]
    );
    assert_eq!(entries[3].kind, EntryKind::Directory);
    assert_eq!(entries[3].path, "specs/7f3a-login/reviews");
    let root: Vec<_> = repo.list_design_docs("").unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(root, ["README.md", "specs"]);
    assert!(repo.list_design_docs("sessions").unwrap().is_empty());
    assert_fsck_clean(repo.root());
}

#[test]
fn archive_holds_exactly_the_task_specs() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    repo.hand_off_spec(&hand_off("7f3a-login", 1)).unwrap();
    repo.hand_off_spec(&hand_off("9b1c-other", 1)).unwrap();
    let task = TaskHandle::new("7f3a-login").unwrap();
    let bytes = repo.spec_archive(&task).unwrap().unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut found = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut contents = String::new();
        entry.read_to_string(&mut contents).unwrap();
        found.push((path, contents));
    }
    found.sort();
    assert_eq!(found.len(), 7, "{found:?}");
    assert!(found.iter().all(|(p, _)| p.starts_with("specs/7f3a-login/")), "{found:?}");
    assert!(found.contains(&("specs/7f3a-login/reviews/2-approve.md".to_owned(), "ok\n".to_owned())));
    assert_eq!(repo.spec_archive(&TaskHandle::new("nope").unwrap()).unwrap(), None);
    assert_fsck_clean(repo.root());
}

#[test]
fn recovery_index_lists_spec_metadata_and_session_files() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    repo.hand_off_spec(&hand_off("7f3a-login", 1)).unwrap();
    repo.hand_off_spec(&hand_off("9b1c-other", 1)).unwrap();
    let task = TaskHandle::new("7f3a-login").unwrap();
    let commit = spectask_git::DesignDocsCommit {
        message: "history(7f3a-login): ws-1".to_owned(),
        trailers: vec![],
        writes: vec![
            spectask_git::FileWrite::append(spectask_git::coordination_log_path(&task), "x\n"),
            spectask_git::FileWrite::append(
                spectask_git::session_path(&task, "ws-1", "conversation.md"),
                "y\n",
            ),
        ],
    };
    let tip = repo.commit_design_docs(&commit).unwrap();
    let index = repo.recovery_index().unwrap();
    assert_eq!(index.tip, tip);
    assert_eq!(
        index.spec_metadata,
        ["specs/7f3a-login/spec-metadata.json", "specs/9b1c-other/spec-metadata.json"]
    );
    assert_eq!(
        index.session_files,
        ["sessions/7f3a-login/coordination-log.md", "sessions/7f3a-login/ws-1/conversation.md"]
    );
    assert_eq!(index.spec_files.len(), 14);
    let metadata = repo.read_file_at(index.tip, &index.spec_metadata[0]).unwrap().unwrap();
    assert_eq!(metadata, b"{\"version\": 1}\n");
    assert_eq!(
        repo.list_design_doc_files("sessions/7f3a-login/ws-1").unwrap(),
        ["sessions/7f3a-login/ws-1/conversation.md"]
    );
    assert_fsck_clean(repo.root());
}

#[test]
fn commit_log_shows_every_hand_off_with_its_trailers() {
    let dir = tempfile::tempdir().unwrap();
    let repo = registered_repo(dir.path());
    let start = repo.branch_tip("helix-design-docs").unwrap();
    let v1 = repo.hand_off_spec(&hand_off("7f3a-login", 1)).unwrap();
    let v2 = repo
        .hand_off_spec(&SpecHandOff { design: "# Design v2\n".to_owned(), ..hand_off("7f3a-login", 2) })
        .unwrap();
    let log = repo.commit_log("helix-design-docs", start).unwrap();
    assert_eq!(log.iter().map(|c| c.id).collect::<Vec<_>>(), [v1, v2]);
    let versions: Vec<_> = log
        .iter()
        .flat_map(|c| c.trailers.iter().filter(|(k, _)| k == "Spec-Version").map(|(_, v)| v.clone()))
        .collect();
    assert_eq!(versions, ["1", "2"]);
    assert_eq!(repo.read_file_at(v1, "specs/7f3a-login/design.md").unwrap().unwrap(), b"# Design\n");
    assert_eq!(repo.commit_log("helix-design-docs", None).unwrap().len(), 3);
    assert!(repo.commit_log("no-such-branch", None).unwrap().is_empty());
    assert_fsck_clean(repo.root());
}
