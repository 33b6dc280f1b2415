//! Every sample is complete: its spec lints clean, every plan task has the coder's change, and
//! every changed file is in `changes/`.

use spectask_spec::{SpecFiles, lint_spec, parse_plan};

use crate::{Pace, SAMPLES, SpecDoc, scripts};

#[test]
fn every_sample_has_a_repository_a_clean_spec_and_a_change_per_plan_task() {
    for sample in &SAMPLES {
        let files = sample.repository_files();
        assert!(files.iter().any(|(p, _)| *p == "README.md"), "{}: {files:?}", sample.name);
        for doc in SpecDoc::ALL {
            assert!(!sample.spec(doc).is_empty(), "{}: no {}", sample.name, doc.file_name());
        }
        let report = lint_spec(&SpecFiles {
            requirements: Some(sample.spec(SpecDoc::Requirements)),
            design: Some(sample.spec(SpecDoc::Design)),
            tasks: Some(sample.spec(SpecDoc::Tasks)),
        });
        assert!(report.diagnostics.is_empty(), "{}: {:#?}", sample.name, report.diagnostics);
        let plan = parse_plan(sample.spec(SpecDoc::Tasks));
        let ids: Vec<String> = plan.tasks().iter().filter_map(|t| t.id.clone()).collect();
        let changed: Vec<&str> = sample.changes.iter().map(|c| c.plan_task).collect();
        assert_eq!(ids, changed, "{}: plan tasks and changes differ", sample.name);
        for change in sample.changes {
            for path in change.files {
                assert!(!sample.changed(path).is_empty(), "{}: changes/{path} is missing", sample.name);
            }
        }
        let coder = scripts::coder(sample, Pace::Fast);
        assert!(coder.contains("Your task: 1 "), "{coder}");
        assert!(coder.contains("*Your task: Implement the whole plan*"), "{coder}");
        assert!(scripts::planner(sample, Pace::Fast).contains("tasks.md"));
        for pace in [Pace::Human, Pace::Brisk] {
            assert!(scripts::coder(sample, pace).contains("Your task: 1 "));
            assert!(scripts::planner(sample, pace).contains("tasks.md"));
        }
    }
}

/// Each code sample's check (its own tests) passes as it starts and after each of the coder's
/// changes in plan order (every session's completion is checked), where its toolchain is on the
/// machine (node for the JavaScript samples, python3 for python-api).
#[test]
fn the_code_samples_checks_pass_before_and_after_each_of_the_coders_changes() {
    let installed = |program: &str| {
        let found = std::process::Command::new(program).arg("--version").output().is_ok();
        found.then(|| std::path::PathBuf::from(program))
    };
    for sample in SAMPLES.iter().filter(|s| s.tests.is_some()) {
        let Some(check) = sample.check_command(installed) else {
            eprintln!("{}: {:?} is not installed; its tests are not run", sample.name, sample.tests);
            continue;
        };
        let command: Vec<&str> = check.split_whitespace().collect();
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, content: &str| {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, content).unwrap();
        };
        for (path, content) in sample.repository_files() {
            write(path, content);
        }
        // The sample as a repository, so that what its check leaves behind shows as untracked: a
        // check's byproducts (Python's __pycache__) would otherwise be committed into the user's
        // main branch as changes no work session reported.
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        git(&["init", "-q"]);
        git(&["add", "-A"]);
        git(&["commit", "-qm", "sample"]);
        let mut written: Vec<&str> = Vec::new();
        let run = |when: &str, written: &[&str]| {
            let out = std::process::Command::new(command[0])
                .args(&command[1..])
                // As spectask runs a check: in the agent's environment, which does not carry this.
                .env_remove("PYTHONDONTWRITEBYTECODE")
                .current_dir(dir.path())
                .output()
                .unwrap();
            let text =
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "{} {when}: {check} failed:\n{text}", sample.name);
            assert!(!text.contains("Ran 0 tests") && !text.contains("# tests 0"), "{text}");
            let status = git(&["status", "--porcelain", "--untracked-files=all"]);
            let left: Vec<&str> = status
                .lines()
                .filter_map(|line| line.strip_prefix("?? "))
                .filter(|path| !written.contains(path))
                .collect();
            assert!(left.is_empty(), "{} {when}: {check} left untracked files: {left:?}", sample.name);
        };
        run("as it starts", &written);
        for change in sample.changes {
            for path in change.files {
                write(path, sample.changed(path));
                written.push(path);
            }
            run(&format!("after plan task {}", change.plan_task), &written);
        }
    }
}

#[test]
fn a_sample_is_checked_only_when_its_tests_program_is_installed() {
    let node = crate::sample("nodejs-todo").unwrap();
    let locate = |p: &str| (p == "node").then(|| std::path::PathBuf::from("/usr/bin/node"));
    assert_eq!(node.check_command(locate).as_deref(), Some("/usr/bin/node --test test/"));
    assert_eq!(node.check_command(|_| None), None);
    let content = crate::sample("linkedin-outreach").unwrap();
    assert_eq!(content.check_command(|p| Some(p.into())), None);
}

/// At a followable pace the tour's moments are in the scripts, with pauses; at the fast pace none is.
#[test]
fn the_paced_scripts_hold_the_tours_moments() {
    let coder = |name: &str, pace: Pace| scripts::coder(crate::sample(name).unwrap(), pace);
    assert!(coder("nodejs-todo", Pace::Human).contains("kind = \"edit\""));
    assert!(coder("python-api", Pace::Human).contains("spawn_session"));
    assert!(coder("react-dashboard", Pace::Human).contains("send_message"));
    assert!(coder("react-dashboard", Pace::Human).contains("sleep = 24000"));
    assert!(coder("react-dashboard", Pace::Brisk).contains("sleep = 6000"));
    for sample in &SAMPLES {
        let fast = scripts::coder(sample, Pace::Fast);
        assert!(!fast.contains("spawn_session") && !fast.contains("kind = \"edit\""), "{fast}");
    }
    assert_eq!("brisk".parse::<Pace>(), Ok(Pace::Brisk));
    assert!("slow".parse::<Pace>().is_err());
}
