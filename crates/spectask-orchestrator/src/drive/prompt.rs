//! The prompt of a work session, built from the spec: its plan task, the requirements it references
//! in full, the relevant design sections, progress so far and what sibling sessions finished.

use spectask_core::{PlanTaskRef, SpecDocuments, SpecTask, WorkSession};
use spectask_spec::{DesignDoc, Plan, parse_design, parse_requirements};

/// Bounds of each part, so one huge document cannot crowd out the rest.
const MAX_DESIGN_BYTES: usize = 12 * 1024;
const MAX_PROGRESS_BYTES: usize = 6 * 1024;
const MAX_REQUIREMENTS_BYTES: usize = 12 * 1024;

/// What a sibling session finished, for context.
pub(crate) struct Sibling {
    pub name: String,
    pub summary: String,
}

/// What a session resumed after an interruption already left in the worktree.
pub(crate) struct Resuming {
    /// The files the session reported changing.
    pub touched: Vec<String>,
    /// Every file changed in the worktree and not committed yet (its own and other sessions').
    pub uncommitted: Vec<String>,
}

pub(crate) struct SessionPrompt<'a> {
    pub task: &'a SpecTask,
    pub session: &'a WorkSession,
    /// The approved spec (absent for kinds without planning).
    pub spec: Option<&'a SpecDocuments>,
    pub progress: Option<&'a str>,
    /// The repository's steering documents, a rendered `##` section.
    pub steering: Option<&'a str>,
    pub siblings: &'a [Sibling],
    /// Set when the session was interrupted and is picked up again.
    pub resuming: Option<&'a Resuming>,
    /// The name of the MCP server of the session's coordination tools, when the agent has it.
    pub tools: Option<&'a str>,
}

impl SessionPrompt<'_> {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let s = self.session;
        out.push_str(&format!(
            "You are working on \"{}\" in this repository (your working directory is the task's git worktree).\n\n",
            self.task.title
        ));
        if let Some(resuming) = self.resuming {
            resumed(resuming, &mut out);
        }
        match &s.plan_task {
            Some(plan_task) => {
                let id = plan_task.id.as_deref().map(|i| format!("{i} ")).unwrap_or_default();
                out.push_str(&format!("## Your task: {id}{}\n\n", plan_task.title));
                if !plan_task.description.trim().is_empty() {
                    out.push_str(&format!("{}\n\n", plan_task.description.trim()));
                }
            }
            None => {
                out.push_str(&format!("## Your task: {}\n\n", s.name));
                let text = if s.description.trim().is_empty() { &self.task.prompt } else { &s.description };
                out.push_str(&format!("{}\n\n", text.trim()));
            }
        }
        if let Some(spec) = self.spec {
            let refs = self.session.plan_task.as_ref().map(|p| plan_task_refs(spec, p)).unwrap_or_default();
            if !refs.is_empty() {
                requirements(spec, Some(&refs), &mut out);
            } else if self.task.is_whole_plan_session(self.session) {
                requirements(spec, None, &mut out);
            }
            let words = match &self.session.plan_task {
                Some(p) => p.title.as_str(),
                // The whole plan's session lists every open task: the design sections for all of them.
                None if self.task.is_whole_plan_session(self.session) => &self.session.description,
                None => self.session.name.as_str(),
            };
            design(spec, &keywords(words), &mut out);
        }
        if let Some(steering) = self.steering {
            out.push_str(steering.trim_end());
            out.push_str("\n\n");
        }
        context(self.progress, self.siblings, self.tools, &mut out);
        out.push_str(
            "## How to work\n\n\
             - Change only files inside your working directory; other sessions work beside you.\n\
             - Do not commit: spectask commits your changes with the task's trailers when you finish.\n\
             - When you are done, answer with a short summary: what you changed, and which tests you ran.\n",
        );
        out
    }
}

/// The spec slice an editor thread of a spec task is given before the person's first prompt (and
/// again when its agent thread had to be opened anew): what a work session's prompt says of the
/// spec, for a thread that has no plan task of its own. It takes the plan task of the session the
/// thread was opened from, when there is one; otherwise every requirement, and the design sections
/// that share words with what the person asked.
pub(crate) struct EditorSlice<'a> {
    pub task: &'a SpecTask,
    /// The editor's name (`zed`).
    pub client: &'a str,
    pub spec: &'a SpecDocuments,
    /// The plan task of the session the thread was opened from.
    pub plan_task: Option<&'a PlanTaskRef>,
    /// What the person asks in this first prompt.
    pub request: &'a str,
    pub progress: Option<&'a str>,
    pub siblings: &'a [Sibling],
    pub tools: Option<&'a str>,
}

impl EditorSlice<'_> {
    pub fn render(&self) -> String {
        let mut out = format!(
            "You are working on \"{}\" in this repository (your working directory is the task's git \
             worktree). A person works with you from {}; their request follows this spec slice, which \
             spectask adds to the first prompt of the thread.\n\n## The task\n\n{}\n\n",
            self.task.title,
            self.client,
            cut(self.task.prompt.trim(), MAX_PROGRESS_BYTES)
        );
        let refs = self.plan_task.map(|p| plan_task_refs(self.spec, p)).unwrap_or_default();
        let mut words = self.request.to_owned();
        if let Some(plan_task) = self.plan_task {
            let id = plan_task.id.as_deref().map(|i| format!("{i} ")).unwrap_or_default();
            out.push_str(&format!("## Opened from plan task {id}{}\n\n", plan_task.title));
            if !plan_task.description.trim().is_empty() {
                out.push_str(&format!("{}\n\n", plan_task.description.trim()));
            }
            words = format!("{} {words}", plan_task.title);
        }
        requirements(self.spec, (!refs.is_empty()).then_some(refs.as_slice()), &mut out);
        design(self.spec, &keywords(&words), &mut out);
        context(self.progress, self.siblings, self.tools, &mut out);
        out.push_str(
            "## How to work\n\n\
             - Change only files inside your working directory; other sessions work beside you.\n\
             - Do not commit: spectask commits your changes with the task's trailers.\n",
        );
        out
    }
}

/// Progress, what sibling sessions finished, and the coordination tools: the tail of every prompt.
fn context(progress: Option<&str>, siblings: &[Sibling], tools: Option<&str>, out: &mut String) {
    if let Some(progress) = progress.filter(|p| !p.trim().is_empty()) {
        out.push_str("## Progress so far\n\n");
        out.push_str(&cut(progress, MAX_PROGRESS_BYTES));
        out.push_str("\n\n");
    }
    if !siblings.is_empty() {
        out.push_str("## Finished by other sessions of this task\n\n");
        for sibling in siblings {
            out.push_str(&format!("- {}: {}\n", sibling.name, one_line(&sibling.summary)));
        }
        out.push('\n');
    }
    if let Some(server) = tools {
        out.push_str(&format!(
            "## Coordinating with the other sessions\n\n\
             Your MCP server \"{server}\" has tools for this: `plan_status` and `read_coordination` \
             show what the task's other sessions are doing; `send_message` tells one of them something \
             (it reaches its conversation at its next turn; without a recipient it is logged for \
             everyone); `handoff` passes work to another session with a note; `report_blocked` says \
             you are waiting for a session or for a reason; `spawn_session` starts a child session for \
             work that can go on in parallel. Name a session by its plan task id (such as 2.1) or its \
             name. Use them when they help: spectask schedules, commits and reviews your work either way.\n\n"
        ));
    }
}

/// The requirement and criterion ids a plan task references.
fn plan_task_refs(spec: &SpecDocuments, plan_task: &PlanTaskRef) -> Vec<String> {
    let plan = Plan::parse(&spec.tasks);
    plan.tasks()
        .iter()
        .find(|t| t.index == plan_task.index as usize)
        .map(|t| t.requirements.clone())
        .unwrap_or_default()
}

/// The words of `text` that pick design sections.
fn keywords(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 3).map(str::to_lowercase).collect()
}

/// The full text of every requirement `refs` names (by criterion or requirement id), or of every
/// requirement when `refs` is `None`.
fn requirements(spec: &SpecDocuments, refs: Option<&[String]>, out: &mut String) {
    let named = |id: &str| refs.is_none_or(|refs| refs.iter().any(|r| r == id));
    let doc = parse_requirements(&spec.requirements);
    let mut text = String::new();
    for requirement in &doc.requirements {
        if !named(&requirement.id) && !requirement.criteria.iter().any(|c| named(&c.id)) {
            continue;
        }
        let title = requirement.title.as_deref().map(|t| format!(": {t}")).unwrap_or_default();
        text.push_str(&format!("### Requirement {}{title}\n", requirement.id));
        if let Some(story) = &requirement.user_story {
            text.push_str(&format!("{story}\n"));
        }
        for c in &requirement.criteria {
            if named(&c.id) || named(&requirement.id) {
                text.push_str(&format!("- {} {}\n", c.id, c.text.trim()));
            }
        }
        text.push('\n');
    }
    if text.is_empty() {
        return;
    }
    out.push_str(match refs {
        Some(_) => "## Requirements this task implements\n\n",
        None => "## Requirements\n\n",
    });
    out.push_str(&cut(&text, MAX_REQUIREMENTS_BYTES));
    out.push('\n');
}

/// Overview and Architecture always; other sections when they mention one of `keywords`.
fn design(spec: &SpecDocuments, keywords: &[String], out: &mut String) {
    let doc: DesignDoc = parse_design(&spec.design);
    let mut text = String::new();
    for section in &doc.sections {
        let title = section.title.to_lowercase();
        let always = title.contains("overview") || title.contains("architecture");
        let body = section.body.to_lowercase();
        if always || keywords.iter().any(|k| body.contains(k.as_str())) {
            text.push_str(&format!("### {}\n\n{}\n\n", section.title, section.body.trim()));
        }
    }
    if !text.is_empty() {
        out.push_str("## Design (relevant sections)\n\n");
        out.push_str(&cut(&text, MAX_DESIGN_BYTES));
        out.push('\n');
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[… cut at {max} bytes]", &text[..end])
}

fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line
    }
}

/// Bounds of the resumption's file lists.
const MAX_RESUME_FILES: usize = 40;

/// The part of a resumed session's prompt that says it was interrupted and what is already there.
fn resumed(resuming: &Resuming, out: &mut String) {
    out.push_str(
        "## You are resuming this task\n\n\
         Your work on it was interrupted (spectask or the agent restarted) before you finished, and \
         your conversation may not hold all of it. The task is restated below in full. Look at what is \
         already in the worktree, then do whatever is still missing.\n\n",
    );
    let list = |title: &str, files: &[String], out: &mut String| {
        if files.is_empty() {
            return;
        }
        out.push_str(&format!("{title}:\n"));
        for file in files.iter().take(MAX_RESUME_FILES) {
            out.push_str(&format!("- `{file}`\n"));
        }
        if files.len() > MAX_RESUME_FILES {
            out.push_str(&format!("- … and {} more\n", files.len() - MAX_RESUME_FILES));
        }
        out.push('\n');
    };
    list("Files you changed before the interruption", &resuming.touched, out);
    list("Uncommitted changes in the worktree (yours and other sessions')", &resuming.uncommitted, out);
    if resuming.touched.is_empty() && resuming.uncommitted.is_empty() {
        out.push_str("Nothing of yours is in the worktree yet.\n\n");
    }
}
