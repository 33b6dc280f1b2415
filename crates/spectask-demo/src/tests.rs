//! Every sample is complete: its spec lints clean, every plan task has the coder's change, and
//! every changed file is in `changes/`; a review sample's findings hold on its branch's code.

use spectask_spec::{SpecFiles, Template, Workflow, parse_findings, parse_plan};

use crate::{Pace, SAMPLES, Sample, SpecDoc, scripts};

#[test]
fn every_sample_has_a_repository_and_a_clean_spec_or_a_branch_to_review() {
    for sample in &SAMPLES {
        let files = sample.repository_files();
        assert!(files.iter().any(|(p, _)| *p == "README.md"), "{}: {files:?}", sample.name);
        match sample.workflow {
            Workflow::Review => assert_reviews_its_branch(sample),
            _ => assert_plans_and_implements(sample),
        }
    }
}

/// A planned sample: its spec lints clean, every plan task has the coder's change, and every
/// changed file is in `changes/`.
fn assert_plans_and_implements(sample: &Sample) {
    assert!(sample.review_branch.is_none() && sample.findings().is_none(), "{}", sample.name);
    for doc in SpecDoc::ALL {
        assert!(!sample.spec(doc).is_empty(), "{}: no {}", sample.name, doc.file_name());
    }
    // Clean under every workflow its agents are offered for, its demo task's first.
    assert_eq!(sample.workflows()[0], sample.workflow, "{}", sample.name);
    for workflow in sample.workflows() {
        assert_eq!(workflow.requirements_file(), sample.spec_file(SpecDoc::Requirements), "{}", sample.name);
        let report = Template::builtin(*workflow).lint(&SpecFiles {
            requirements: Some(sample.spec(SpecDoc::Requirements)),
            design: Some(sample.spec(SpecDoc::Design)),
            tasks: Some(sample.spec(SpecDoc::Tasks)),
        });
        assert!(report.diagnostics.is_empty(), "{} as {workflow:?}: {:#?}", sample.name, report.diagnostics);
    }
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

/// A review sample: no spec and no plan, a branch whose files are in `changes/`, and findings
/// that spectask takes, each at a written line of the branch's code; its coder writes them at
/// every pace, when asked to review that branch.
fn assert_reviews_its_branch(sample: &Sample) {
    let name = sample.name;
    let branch = sample.review_branch.as_ref().unwrap_or_else(|| panic!("{name}: no branch to review"));
    assert_eq!(sample.workflows(), [Workflow::Review], "{name}");
    assert!(sample.changes.is_empty(), "{name}: a review has no plan tasks");
    for doc in SpecDoc::ALL {
        assert!(sample.spec(doc).is_empty(), "{name}: a review has no {}", doc.file_name());
    }
    let branch_file = |path: &str| -> Option<&str> {
        if branch.files.contains(&path) {
            Some(sample.changed(path)).filter(|text| !text.is_empty())
        } else {
            sample.original(path)
        }
    };
    for path in branch.files {
        assert!(branch_file(path).is_some(), "{name}: changes/{path} is missing");
    }
    let written = sample.findings().unwrap_or_else(|| panic!("{name}: no review/findings.md"));
    let lines_of = |path: &str| branch_file(path).map(|text| text.lines().count() as u32);
    let findings = parse_findings(written, lines_of).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_eq!(findings.len(), 2, "{name}: {findings:#?}");
    for finding in &findings {
        assert!(
            branch.files.contains(&finding.file.as_str()),
            "{name}: {finding:?} is not in the branch's code"
        );
        let line = branch_file(&finding.file).and_then(|text| text.lines().nth(finding.line as usize - 1));
        assert!(line.is_some_and(|l| !l.trim().is_empty()), "{name}: {finding:?} names a blank line");
    }
    let asked = format!("*Review the changes of {}*", branch.name);
    for pace in [Pace::Fast, Pace::Human, Pace::Brisk] {
        let coder = scripts::coder(sample, pace);
        let script: toml::Table = toml::from_str(&coder).unwrap();
        let rule = &script["rule"][0];
        assert_eq!(rule["match"].as_str(), Some(asked.as_str()), "{coder}");
        let steps = rule["steps"].as_array().unwrap();
        let writes = steps.iter().filter_map(|s| s.get("write_file")).collect::<Vec<_>>();
        assert_eq!(writes.len(), 1, "{coder}");
        assert_eq!(writes[0]["path"].as_str(), Some(".spectask/review/findings.md"));
        assert_eq!(writes[0]["content"].as_str(), Some(written));
        let paced = steps.iter().filter(|s| s.get("message").is_some() || s.get("thought").is_some()).count();
        assert!((pace == Pace::Fast) == (paced == 1), "{pace:?}: {paced} steps said in {coder}");
    }
}

/// Each code sample's check (its own tests) passes as it starts and after each of the coder's
/// changes in plan order (every session's completion is checked), where its toolchain is on the
/// machine (node for the JavaScript samples, python3 for the Python ones). A bugfix sample's check
/// fails after its first change instead: the test reproducing the bug, before the fix. A review
/// sample's branch passes its check.
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
            std::fs::write(&file, content).unwrap();
            // Python takes a cached module of the same size written in the same second as current
            // (python-invoices' fix is as long as its bug): the next run compiles it afresh.
            let _ = std::fs::remove_dir_all(file.parent().unwrap().join("__pycache__"));
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
        let run = |when: &str, written: &[&str], passes: bool| {
            let out = std::process::Command::new(command[0])
                .args(&command[1..])
                // As spectask runs a check: in the agent's environment, which does not carry this.
                .env_remove("PYTHONDONTWRITEBYTECODE")
                .current_dir(dir.path())
                .output()
                .unwrap();
            let text =
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.success(), passes, "{} {when}: {check} said:\n{text}", sample.name);
            assert!(!text.contains("Ran 0 tests") && !text.contains("# tests 0"), "{text}");
            let status = git(&["status", "--porcelain", "--untracked-files=all"]);
            let left: Vec<&str> = status
                .lines()
                .filter_map(|line| line.strip_prefix("?? "))
                .filter(|path| !written.contains(path))
                .collect();
            assert!(left.is_empty(), "{} {when}: {check} left untracked files: {left:?}", sample.name);
        };
        run("as it starts", &written, true);
        for (n, change) in sample.changes.iter().enumerate() {
            for path in change.files {
                write(path, sample.changed(path));
                written.push(path);
            }
            let reproduces = sample.workflow == Workflow::Bugfix && n == 0;
            run(&format!("after plan task {}", change.plan_task), &written, !reproduces);
        }
        // A reviewed branch's tests pass too: its flaws are what they miss.
        if let Some(branch) = &sample.review_branch {
            for path in branch.files {
                write(path, sample.changed(path));
                written.push(path);
            }
            run(&format!("on {}", branch.name), &written, true);
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
    let planner = scripts::planner(crate::sample("react-dashboard").unwrap(), Pace::Human);
    let at = |file: &str| planner.find(&format!(".spectask/spec/{file}")).unwrap();
    assert!(at("design.md") < at("requirements.md"), "design-first writes the design first: {planner}");
    assert_eq!("brisk".parse::<Pace>(), Ok(Pace::Brisk));
    assert!("slow".parse::<Pace>().is_err());
}
