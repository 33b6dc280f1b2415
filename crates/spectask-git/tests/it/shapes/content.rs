//! What the repository does to file contents: end-of-line conversion, a clean and smudge filter,
//! Git LFS.

use super::*;

#[test]
fn gitattributes_text_auto_eol_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let root = new_repo(dir.path(), &[]);
    std::fs::write(root.join(".gitattributes"), "* text=auto eol=crlf\n").unwrap();
    git(&root, &["add", ".gitattributes"]);
    git(&root, &["commit", "-q", "-m", "CRLF in checkouts"]);
    // Check everything out again, as a clone would: with CRLF.
    for file in [".gitattributes", "README.md", EDITED, "src/lib.rs"] {
        std::fs::remove_file(root.join(file)).unwrap();
    }
    git(&root, &["checkout", "-q", "--", "."]);
    assert_eq!(read(&root.join("README.md")), b"hello\r\n");
    assert_eq!(status(&root), "");

    let shape = Shape { crlf: true, binary: true, ..Shape::default() };
    let done = run_whole_task(&root, "7f3a-crlf", shape);

    for (path, written) in &done.files {
        let blob = git_bytes(&root, &["cat-file", "-p", &format!("{}:{path}", done.work_commit)]);
        let on_disk = read(&root.join(path));
        if path.ends_with(".bin") {
            assert_eq!(blob, *written, "{path}: binary, stored as written{}", state(&root));
            assert_eq!(on_disk, *written, "{path}: binary, checked out as written{}", state(&root));
        } else {
            assert!(
                !blob.contains(&b'\r'),
                "{path} is stored with LF: {:?}{}",
                String::from_utf8_lossy(&blob),
                state(&root)
            );
            assert_eq!(blob, lf(written), "{path}{}", state(&root));
            assert!(on_disk.ends_with(b"\r\n"), "{path} is checked out with CRLF{}", state(&root));
            assert_eq!(
                replace(&on_disk, b"\r\n", b"").iter().filter(|&&b| b == b'\n').count(),
                0,
                "{path}: no lone LF"
            );
        }
    }
    assert_eq!(status(&done.worktree), "");
}

const ROT13: &str = "tr A-Za-z N-ZA-Mn-za-m";

#[test]
fn clean_and_smudge_filter() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    git(dir.path(), &["init", "-q", "-b", "main", root.to_str().unwrap()]);
    git(&root, &["config", "filter.rot.clean", ROT13]);
    git(&root, &["config", "filter.rot.smudge", ROT13]);
    git(&root, &["config", "filter.rot.required", "true"]);
    seed(&root);
    std::fs::write(root.join(".gitattributes"), "*.txt filter=rot\n").unwrap();
    std::fs::write(root.join("existing.txt"), "Plain Text On Main\n").unwrap();
    git(&root, &["add", ".gitattributes", "existing.txt"]);
    git(&root, &["commit", "-q", "-m", "rot13 for text files"]);
    assert_eq!(
        git(&root, &["cat-file", "-p", "HEAD:existing.txt"]),
        "Cynva Grkg Ba Znva",
        "the filter works"
    );

    let done = run_whole_task(&root, "7f3a-rot", Shape::default());

    let (_, notes) = done.files.iter().find(|(p, _)| p == "notes.txt").unwrap();
    let blob = git(&root, &["rev-parse", &format!("{}:notes.txt", done.work_commit)]);
    let cleaned = git(&done.worktree, &["hash-object", "--path", "notes.txt", "notes.txt"]);
    assert_eq!(blob, cleaned, "spectask's blob of notes.txt went through the clean filter{}", state(&root));
    assert_eq!(git_bytes(&root, &["cat-file", "-p", &blob]), rot13(notes), "{}", state(&root));
    assert_eq!(read(&root.join("notes.txt")), *notes, "the main checkout is smudged back");

    let clone = dir.path().join("clone");
    let url = format!("file://{}", root.display());
    let clean = format!("filter.rot.clean={ROT13}");
    let smudge = format!("filter.rot.smudge={ROT13}");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "-c",
            &clean,
            "-c",
            &smudge,
            "-c",
            "filter.rot.required=true",
            &url,
            clone.to_str().unwrap(),
        ],
    );
    assert_eq!(read(&clone.join("notes.txt")), *notes, "a fresh clone shows the agent's file as written");
    assert_eq!(read(&clone.join("existing.txt")), b"Plain Text On Main\n");
    assert_eq!(status(&clone), "");
}

#[test]
fn git_lfs() {
    let dir = tempfile::tempdir().unwrap();
    let version = git_output(dir.path(), &["lfs", "version"]);
    if !version.status.success() {
        eprintln!(
            "skipped: `git lfs version` failed ({}): {} (install git-lfs; scripts/test does)",
            version.status,
            String::from_utf8_lossy(&version.stderr).trim()
        );
        return;
    }
    let root = new_repo(dir.path(), &[]);
    git(&root, &["lfs", "install", "--local"]);
    git(&root, &["lfs", "track", "*.bin"]);
    git(&root, &["add", ".gitattributes"]);
    git(&root, &["commit", "-q", "-m", "LFS for binaries"]);

    let done = run_whole_task(&root, "7f3a-lfs", Shape { binary: true, ..Shape::default() });

    let blob = git_bytes(&root, &["cat-file", "-p", &format!("{}:assets/data.bin", done.work_commit)]);
    assert!(
        blob.starts_with(b"version https://git-lfs.github.com/spec/v1\n"),
        "assets/data.bin is committed as an LFS pointer, not as {} bytes of content{}",
        blob.len(),
        state(&root)
    );
    let pointer = git_bytes(&root, &["lfs", "pointer", "--file=assets/data.bin"]);
    assert_eq!(
        String::from_utf8_lossy(&blob),
        String::from_utf8_lossy(&pointer),
        "the pointer of the file as written"
    );
    assert_eq!(
        read(&root.join("assets/data.bin")),
        binary_bytes(8),
        "the main checkout has the real contents"
    );
    let fsck = git_output(&root, &["lfs", "fsck"]);
    assert!(
        fsck.status.success(),
        "git lfs fsck: {}{}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr),
        state(&root)
    );
}
