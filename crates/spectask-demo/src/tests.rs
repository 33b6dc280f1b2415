//! Every sample is complete: its spec lints clean, every plan task has the coder's change, and
//! every changed file is in `changes/`.

use spectask_spec::{SpecFiles, lint_spec, parse_plan};

use crate::{SAMPLES, SpecDoc, scripts};

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
        let coder = scripts::coder(sample);
        assert!(coder.contains("Your task: 1 "), "{coder}");
        assert!(coder.contains("*Your task: Implement the whole plan*"), "{coder}");
        assert!(scripts::planner(sample).contains("tasks.md"));
    }
}

/// Each code sample's own tests pass before and after the coder's changes, where its toolchain is
/// on the machine (node for the JavaScript samples, python3 for python-api).
#[test]
fn the_code_samples_tests_pass_before_and_after_the_coders_changes() {
    for sample in SAMPLES.iter().filter(|s| s.tests.is_some()) {
        let command: Vec<&str> = sample.tests.unwrap().split_whitespace().collect();
        if std::process::Command::new(command[0]).arg("--version").output().is_err() {
            eprintln!("{}: {} is not installed; its tests are not run", sample.name, command[0]);
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, content: &str| {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, content).unwrap();
        };
        for (path, content) in sample.repository_files() {
            write(path, content);
        }
        let run = |when: &str| {
            let out = std::process::Command::new(command[0])
                .args(&command[1..])
                .current_dir(dir.path())
                .output()
                .unwrap();
            let text =
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "{} {when}: {:?} failed:\n{text}", sample.name, sample.tests);
            text
        };
        run("as it starts");
        for change in sample.changes {
            for path in change.files {
                write(path, sample.changed(path));
            }
        }
        let after = run("after the changes");
        assert!(!after.contains("Ran 0 tests") && !after.contains("# tests 0"), "{after}");
    }
}
