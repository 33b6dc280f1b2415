//! The offline demo's content: sample repositories (`samples/<name>/repo`), each with the prompt
//! and workflow of its demo task, the spec its scripted planner writes (`samples/<name>/spec`) and the
//! changes its scripted coder makes for each plan task (`samples/<name>/changes`). A review sample
//! has no spec: its repository has a branch (its files in `changes/`) that its scripted coder
//! reviews, writing the findings in `samples/<name>/review/findings.md`. `scripts`
//! turns a sample into the scripted agents' scripts, at a [`Pace`]; the binary installs them, and the server
//! creates a sample's repository when a person picks it.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod catalogue;
mod pace;
mod paced;
pub mod scripts;

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use spectask_git::{GitError, RepositoryInfo};
use spectask_spec::Workflow;

pub use catalogue::SAMPLES;
pub use pace::Pace;
pub use paced::ASKING_SAMPLE;

static FILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/samples");

/// One sample repository and its demo task.
#[derive(Debug)]
pub struct Sample {
    /// The repository's directory name (`nodejs-todo`).
    pub name: &'static str,
    pub description: &'static str,
    /// Languages and frameworks, for people choosing one.
    pub stack: &'static str,
    /// The command that runs the sample's own tests, when it has tests.
    pub tests: Option<&'static str>,
    /// The demo task's prompt (its first line is the title).
    pub prompt: &'static str,
    /// The workflow its demo task follows.
    pub workflow: Workflow,
    /// The branch a review sample's task reviews, made beside `main`.
    pub review_branch: Option<ReviewBranch>,
    /// What the scripted coder does for each plan task of the sample's spec.
    pub changes: &'static [Change],
}

/// A branch of a sample's repository: one commit on `main`.
#[derive(Debug)]
pub struct ReviewBranch {
    pub name: &'static str,
    /// Its commit's message.
    pub message: &'static str,
    /// Files it writes, relative to the repository (their content is in `changes/`).
    pub files: &'static [&'static str],
}

/// The scripted coder's work on one plan task.
#[derive(Debug)]
pub struct Change {
    /// The plan task's id in the sample's tasks.md.
    pub plan_task: &'static str,
    /// Files written, relative to the repository (their content is in `changes/`).
    pub files: &'static [&'static str],
    /// Asks the person before finishing (answered by the coder profile's permission policy).
    pub permission: Option<&'static str>,
    /// What the coder says when done.
    pub summary: &'static str,
}

/// A spec document the scripted planner writes.
#[derive(Debug, Clone, Copy)]
pub enum SpecDoc {
    Requirements,
    Design,
    Tasks,
}

impl SpecDoc {
    pub const ALL: [SpecDoc; 3] = [SpecDoc::Requirements, SpecDoc::Design, SpecDoc::Tasks];

    pub fn file_name(self) -> &'static str {
        match self {
            SpecDoc::Requirements => "requirements.md",
            SpecDoc::Design => "design.md",
            SpecDoc::Tasks => "tasks.md",
        }
    }
}

/// The sample named `name`.
pub fn sample(name: &str) -> Option<&'static Sample> {
    SAMPLES.iter().find(|s| s.name == name)
}

impl Sample {
    /// The repository as it starts: every file of `repo/`, with its path inside the repository.
    pub fn repository_files(&self) -> Vec<(&'static str, &'static str)> {
        let root = format!("{}/repo/", self.name);
        let mut files = Vec::new();
        if let Some(dir) = FILES.get_dir(format!("{}/repo", self.name)) {
            collect(dir, &root, &mut files);
        }
        files.sort();
        files
    }

    /// A document of the spec the scripted planner writes.
    pub fn spec(&self, doc: SpecDoc) -> &'static str {
        text(&format!("{}/spec/{}", self.name, self.spec_file(doc))).unwrap_or_default()
    }

    /// The file name of a spec document: the first is the workflow's (`bugfix.md` for a bugfix).
    pub fn spec_file(&self, doc: SpecDoc) -> &'static str {
        match doc {
            SpecDoc::Requirements => self.workflow.requirements_file(),
            other => other.file_name(),
        }
    }

    /// What the scripted planner asks the person with its first version (`spec/questions.md`), when
    /// the sample has questions.
    pub fn questions(&self) -> Option<&'static str> {
        text(&format!("{}/spec/questions.md", self.name))
    }

    /// A file as the scripted coder leaves it.
    pub fn changed(&self, path: &str) -> &'static str {
        text(&format!("{}/changes/{path}", self.name)).unwrap_or_default()
    }

    /// The findings its scripted coder writes when it reviews the sample's branch, for a review
    /// sample.
    pub fn findings(&self) -> Option<&'static str> {
        text(&format!("{}/review/findings.md", self.name))
    }

    /// A file as the repository starts with it, when it has it.
    pub fn original(&self, path: &str) -> Option<&'static str> {
        text(&format!("{}/repo/{path}", self.name))
    }

    /// The repository's check command (`repo add --check`): the sample's own tests, their program
    /// given as `locate` finds it (the path the agents' sandbox runs), when it is installed. Without
    /// it the sample has no check and its sessions complete unchecked.
    pub fn check_command(&self, locate: impl Fn(&str) -> Option<PathBuf>) -> Option<String> {
        let tests = self.tests?;
        let (program, args) = tests.split_once(' ').unwrap_or((tests, ""));
        let path = locate(program)?;
        Some(format!("{} {args}", path.display()).trim_end().to_owned())
    }

    /// The workflows its scripted agents follow, its demo task's first: a feature or design-first
    /// sample's planner writes the same three documents for either, a bugfix sample's only its
    /// bugfix.md, and a review sample's coder only reviews its branch.
    pub fn workflows(&self) -> &'static [Workflow] {
        match self.workflow {
            Workflow::Feature => &[Workflow::Feature, Workflow::DesignFirst],
            Workflow::DesignFirst => &[Workflow::DesignFirst, Workflow::Feature],
            Workflow::Bugfix => &[Workflow::Bugfix],
            Workflow::Review => &[Workflow::Review],
        }
    }

    /// The profile names of the sample's scripted agents.
    pub fn planner_profile(&self) -> String {
        format!("{}-planner", self.name)
    }

    pub fn coder_profile(&self) -> String {
        format!("{}-coder", self.name)
    }

    /// Creates the sample's git repository in `<repos_dir>/<name>`, with its review branch, on
    /// first use (an existing one is left as it is).
    pub fn create_repository(&self, repos_dir: &Path) -> Result<RepositoryInfo, GitError> {
        let files = self.repository_files();
        let message = format!("{}: {}", self.name, self.description);
        let path = repos_dir.join(self.name);
        let info = spectask_git::init_repository(&path, &files, &message)?;
        if let Some(branch) = &self.review_branch {
            let files: Vec<(&str, &str)> = branch.files.iter().map(|f| (*f, self.changed(f))).collect();
            spectask_git::create_branch(&path, branch.name, &files, branch.message)?;
        }
        Ok(info)
    }
}

fn text(path: &str) -> Option<&'static str> {
    FILES.get_file(path).and_then(|f| f.contents_utf8())
}

fn collect(dir: &'static Dir<'static>, root: &str, out: &mut Vec<(&'static str, &'static str)>) {
    for file in dir.files() {
        let path = file.path().to_str().unwrap_or_default();
        if let (Some(relative), Some(content)) = (path.strip_prefix(root), file.contents_utf8()) {
            out.push((relative, content));
        }
    }
    for sub in dir.dirs() {
        collect(sub, root, out);
    }
}

#[cfg(test)]
mod tests;
