//! The commit-message check (`scripts/check-commits`, also the commit-msg hook): what it lets
//! through and what it refuses, with the reason it gives.

use std::path::PathBuf;
use std::process::Command;

/// Runs the check on one message: its exit status and what it printed.
fn check(message: &str) -> (bool, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("COMMIT_EDITMSG");
    std::fs::write(&file, message).unwrap();
    let out = Command::new("bash")
        .arg(root.join("scripts/check-commits"))
        .arg("--message-file")
        .arg(&file)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn scoped_imperative_subjects_pass_and_their_body_is_free() {
    for message in [
        "git: make merges safe against kill -9\n\nThe why, at any length, in the body.\n",
        "# a comment git adds\n\nweb: embed the dashboard's fonts\n",
        "store,server: refuse a second review of one version\n",
        "Merge branch 'x' into main\n",
    ] {
        let (ok, said) = check(message);
        assert!(ok, "{message:?} refused: {said}");
    }
}

#[test]
fn long_unscoped_or_non_imperative_subjects_are_refused_with_the_reason() {
    let long = format!("git: make {}\n", "x".repeat(70));
    for (message, reason) in [
        (long.as_str(), "is 80 characters (max 72)"),
        ("Make merges safe\n", "lower-case scope and a colon"),
        ("git: added push\n", "`added` is a past form"),
        ("git: adding push\n", "`adding` is a gerund"),
        ("git: adds push\n", "`adds` is a third person form"),
        ("web: the board wraps\n", "starts with `the`"),
    ] {
        let (ok, said) = check(message);
        assert!(!ok && said.contains(reason), "{message:?}: wanted {reason:?}, got {said}");
    }
}
