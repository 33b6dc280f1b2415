//! What the planner says to the model: the format rules (system prompt), the change request with a
//! bounded repository context, the repair turn quoting lint errors, and the revision turn.

use spectask_spec::{Template, Workflow};
use std::fmt::Write as _;

use spectask_core::{LineComment, SpecDocument};

use crate::extract::{DELIMITER_END, Documents, delimiter};

/// The repository as shown to the model: a file tree and a few whole files (README, manifests).
/// The caller chooses them; [`crate::LlmPlannerConfig::context_budget_bytes`] bounds what is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoContext {
    /// Paths relative to the repository root, one per entry.
    pub file_tree: Vec<String>,
    /// `(path, content)` pairs.
    pub files: Vec<(String, String)>,
}

/// What a reviewer asked for: overall text and comments on documents or their lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewComments {
    pub overall: String,
    pub line_comments: Vec<LineComment>,
}

/// Role, format rules and output format; the same for generation, repair and revision.
pub(crate) fn system_prompt(template: &Template) -> String {
    let mut text = String::from(SYSTEM_RULES);
    let workflow = template.planner_rules();
    if !workflow.is_empty() {
        text.push('\n');
        text.push_str(&workflow);
    }
    text.push_str("\n## Output format\n\n");
    text.push_str(
        "Answer with the three complete documents and nothing else: no preamble, no closing remarks, \
         no code fence around a document. Start each document with its delimiter line and end the \
         answer with the end line, exactly like this (in this order):\n\n",
    );
    for document in document_order(template) {
        let _ = writeln!(text, "{}\n<the whole {} here>", delimiter(document), document.file_name());
    }
    text.push_str(DELIMITER_END);
    text.push('\n');
    text.push_str(QUESTIONS_RULE);
    text.push_str(CONSISTENCY_RULE);
    text
}

/// The order the documents are written in: a design-first spec's design before the requirements
/// derived from it (the model writes its answer in this order, so the design comes first).
pub(crate) fn document_order(template: &Template) -> [SpecDocument; 3] {
    match template.base {
        Workflow::DesignFirst => [SpecDocument::Design, SpecDocument::Requirements, SpecDocument::Tasks],
        _ => [SpecDocument::Requirements, SpecDocument::Design, SpecDocument::Tasks],
    }
}

/// How a planner asks the person something, in every mode.
pub(crate) const QUESTIONS_RULE: &str = "\nIf something the change request leaves open would change the spec \
substantially, you may add one more section before the end line, `=== questions.md ===`, with at most five \
numbered questions for the person; their answers come back with their review. Usually write all three documents \
as well, assuming the likeliest answers and saying so in the introduction. Only when no sound spec can be written \
without the answers, answer with the questions section alone (then the end line): the first version is written \
once they are answered.\n";

/// How a planner reports its own consistency check of the three documents, in every mode.
pub(crate) const CONSISTENCY_RULE: &str = "\nBefore the end line, check the three documents against each other: \
every acceptance criterion implemented by a task, every design component built by one, no criterion contradicting \
another. Resolve what you can in the documents; list what you leave, one per line as `file:line: what`, in one \
more section, `=== consistency.md ===` (leave the section out when they agree).\n";

/// The first user turn: the change request, the steering documents (a rendered section, already
/// bounded) and the repository context.
pub(crate) fn generation_prompt(
    title: &str,
    request: &str,
    steering: &str,
    repo: &RepoContext,
    budget_bytes: usize,
) -> String {
    let mut text = String::from("# Change request\n\n");
    if !title.trim().is_empty() {
        let _ = writeln!(text, "Title: {}\n", title.trim());
    }
    text.push_str(request.trim());
    text.push_str("\n\n");
    if !steering.trim().is_empty() {
        text.push_str(steering.trim_end());
        text.push_str("\n\n");
    }
    text.push_str("# Repository context\n\n");
    render_repo_context(&mut text, repo, budget_bytes);
    text.push_str(
        "\nWrite requirements.md, design.md and tasks.md for this change, following the rules and \
         the output format exactly.\n",
    );
    text
}

/// How many lint errors a repair turn quotes; a draft with more is mostly wrong anyway.
const MAX_QUOTED_ERRORS: usize = 60;

/// The turn after a faulty answer: what was cut off or is missing, and every lint error, quoted.
/// Lint errors ask for all three documents again; missing documents alone ask only for those.
pub(crate) fn repair_prompt(
    missing: &[SpecDocument],
    lint_errors: &[String],
    cut_off: Option<SpecDocument>,
) -> String {
    let mut text = String::from("Your answer does not pass the spec checks yet.\n\n");
    if let Some(document) = cut_off {
        let _ = writeln!(
            text,
            "It reached the output length limit and stopped inside {}, so that document was \
             dropped. Be more concise.\n",
            document.file_name()
        );
    }
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|d| format!("`{}`", delimiter(*d))).collect();
        let _ =
            writeln!(text, "Missing documents: no section starting with {} was found.\n", names.join(", "));
    }
    if !lint_errors.is_empty() {
        text.push_str("Lint errors (`file:line: level[CODE]: message`):\n\n```text\n");
        for line in lint_errors.iter().take(MAX_QUOTED_ERRORS) {
            text.push_str(line);
            text.push('\n');
        }
        if lint_errors.len() > MAX_QUOTED_ERRORS {
            let _ = writeln!(text, "… and {} more errors", lint_errors.len() - MAX_QUOTED_ERRORS);
        }
        text.push_str("```\n\n");
    }
    text.push_str(if lint_errors.is_empty() {
        "Answer with only the missing documents, complete and each starting with its delimiter \
         line, then the end line; the documents you already wrote are kept.\n"
    } else {
        "Fix every problem listed, keep everything else as it was, and answer again with all three \
         complete documents in the output format.\n"
    });
    text
}

/// After the change request, for a first draft written once the planner's questions are answered:
/// the questions and the person's review with their answers.
pub(crate) fn answers_section(questions: &[String], comments: &ReviewComments) -> String {
    let mut text =
        String::from("\n# Your questions, answered\n\nYou asked these before writing the spec:\n\n");
    for (n, question) in questions.iter().enumerate() {
        let _ = writeln!(text, "{}. {question}", n + 1);
    }
    text.push_str("\nThe person's reply:\n\n");
    text.push_str(comments.overall.trim());
    text.push_str(
        "\n\nWrite all three documents now, following the answers; ask again only what they leave \
         open.\n",
    );
    text
}

/// The first user turn of a revision: the version under review, the steering documents (a rendered
/// section, already bounded) and the reviewer's comments.
pub(crate) fn revision_prompt(previous: &Documents, comments: &ReviewComments, steering: &str) -> String {
    let mut text = String::from("# Spec under review\n\nThis is the current version:\n\n");
    text.push_str(&previous.render());
    if !steering.trim().is_empty() {
        text.push_str("\n\n");
        text.push_str(steering.trim_end());
    }
    text.push_str("\n\n# Reviewer's comments\n\n");
    if !comments.overall.trim().is_empty() {
        text.push_str(comments.overall.trim());
        text.push_str("\n\n");
    }
    for comment in &comments.line_comments {
        let document = comment.document.file_name();
        match comment.line {
            Some(line) => {
                let quoted = previous
                    .get(comment.document)
                    .lines()
                    .nth((line as usize).saturating_sub(1))
                    .unwrap_or("")
                    .trim();
                let _ = writeln!(text, "- {document} line {line} (`{quoted}`): {}", comment.comment);
            }
            None => {
                let _ = writeln!(text, "- {document}: {}", comment.comment);
            }
        }
    }
    text.push_str(
        "\nWrite the next version: address every comment, keep what nobody commented on unless \
         consistency requires a change, and answer with all three complete documents in the output \
         format.\n",
    );
    text
}

/// The file tree gets at most a quarter of the budget; files share the rest fairly (a small file
/// is shown whole, leaving more to the larger ones). Every cut is said where it happens.
fn render_repo_context(text: &mut String, repo: &RepoContext, budget_bytes: usize) {
    let tree_budget = budget_bytes / 4;
    text.push_str("## File tree\n\n");
    if repo.file_tree.is_empty() {
        text.push_str("(not provided)\n");
    }
    let mut tree = String::new();
    let mut shown = 0;
    for path in &repo.file_tree {
        if tree.len() + path.len() + 1 > tree_budget {
            break;
        }
        tree.push_str(path);
        tree.push('\n');
        shown += 1;
    }
    if !tree.is_empty() {
        push_fenced(text, &tree);
    }
    if shown < repo.file_tree.len() {
        let _ = writeln!(text, "[file tree truncated: {} of {} entries shown]", shown, repo.file_tree.len());
    }
    let file_budget = budget_bytes - tree.len();
    let allowances = fair_shares(&repo.files, file_budget);
    for ((path, content), allowed) in repo.files.iter().zip(allowances) {
        let _ = writeln!(text, "\n## {path}\n");
        let cut = floor_char_boundary(content, allowed);
        if cut == 0 && !content.is_empty() {
            let _ = writeln!(text, "[{path} omitted: {} bytes, context budget used up]", content.len());
            continue;
        }
        push_fenced(text, &content[..cut]);
        if cut < content.len() {
            let _ = writeln!(text, "[{path} truncated: first {cut} of {} bytes shown]", content.len());
        }
    }
}

/// Splits `budget` over the files, smallest first, each getting at most an equal share of what
/// is left; returns the allowance of each file in the original order.
fn fair_shares(files: &[(String, String)], budget: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| files[i].1.len());
    let mut allowances = vec![0; files.len()];
    let mut left = budget;
    for (done, &i) in order.iter().enumerate() {
        let share = left / (files.len() - done);
        allowances[i] = files[i].1.len().min(share);
        left -= allowances[i];
    }
    allowances
}

fn floor_char_boundary(text: &str, max: usize) -> usize {
    let mut cut = max.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// Quotes `content` in a fence longer than any backtick run inside it.
fn push_fenced(text: &mut String, content: &str) {
    let longest_run = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let _ = writeln!(text, "{fence}text\n{}\n{fence}", content.trim_end_matches('\n'));
}

/// The role and the rules of the three documents; the output format is appended in code.
/// The format rules of the three documents (shared with planning through a coding agent).
pub const SYSTEM_RULES: &str = include_str!("prompt/system_rules.md");

#[cfg(test)]
mod tests;
