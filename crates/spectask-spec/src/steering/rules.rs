//! Rules a steering document states for the lint. Prose guidance is for the agents to read; a
//! rule the lint can check is written in a fenced `spectask-lint` block of TOML:
//!
//! ````markdown
//! ```spectask-lint
//! [[forbid]]
//! words = ["MongoDB", "Mongo"]          # no spec document may name them (whole words, any case)
//! why = "everything is stored in PostgreSQL"
//!
//! [[require]]
//! section = "Security Considerations"   # design.md must have this section
//! why = "every change states its threat model"
//! ```
//! ````
//!
//! A broken rule is a lint error (G001) naming the steering file, so a planner repairs its draft
//! as for any other error. A block that cannot be read is a warning (G002): its rules are not
//! checked, and the finding says why.

use serde::Deserialize;

use crate::design::parse_design;
use crate::lint::{Code, Diagnostic, SpecFiles};
use crate::steering::{Inclusion, is_steering_path, parse_steering};
use crate::text::scan;

/// The info string of a fenced block holding lint rules.
pub const RULES_FENCE: &str = "spectask-lint";

/// The checkable rules of a repository's steering documents, and the blocks that could not be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SteeringRules {
    rules: Vec<SteeringRule>,
    /// `(steering file, what is wrong)`.
    faults: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SteeringRule {
    /// The steering document that states it.
    source: String,
    why: Option<String>,
    kind: RuleKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RuleKind {
    Forbid(Vec<String>),
    RequireDesignSection(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesBlock {
    #[serde(default)]
    forbid: Vec<ForbidRule>,
    #[serde(default)]
    require: Vec<RequireRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForbidRule {
    words: Vec<String>,
    why: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequireRule {
    section: String,
    why: Option<String>,
}

impl SteeringRules {
    /// The rules of the steering documents among `files` (`(path, text)`); a document its front
    /// matter marks `manual` states none.
    pub fn of(files: &[(String, String)]) -> SteeringRules {
        let mut out = SteeringRules::default();
        for (path, text) in files.iter().filter(|(path, _)| is_steering_path(path)) {
            let (inclusion, body) = parse_steering(text);
            if inclusion == Inclusion::Manual {
                continue;
            }
            for block in rule_blocks(body) {
                match parse_block(path, &block) {
                    Ok(rules) => out.rules.extend(rules),
                    Err(fault) => out.faults.push((path.clone(), fault)),
                }
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.faults.is_empty()
    }

    /// The findings of the rules on a spec whose documents are named `names`.
    pub(crate) fn check(&self, files: &SpecFiles<'_>, names: [&str; 3], out: &mut Vec<Diagnostic>) {
        for (source, fault) in &self.faults {
            out.push(Diagnostic::new(source, 1, Code::InvalidSteeringRule, fault.clone()));
        }
        let documents = [files.requirements, files.design, files.tasks];
        for rule in &self.rules {
            let because = rule.why.as_deref().map(|why| format!(": {why}")).unwrap_or_default();
            match &rule.kind {
                RuleKind::Forbid(words) => {
                    for (name, text) in names.iter().zip(documents) {
                        let Some(text) = text else { continue };
                        for (line, word) in forbidden_words(text, words) {
                            out.push(Diagnostic::new(
                                name,
                                line,
                                Code::SteeringRuleBroken,
                                format!("`{word}` is ruled out by {}{because}", rule.source),
                            ));
                        }
                    }
                }
                RuleKind::RequireDesignSection(section) => {
                    let Some(design) = files.design else { continue };
                    if parse_design(design).section(section).is_none() {
                        out.push(Diagnostic::new(
                            "design.md",
                            1,
                            Code::SteeringRuleBroken,
                            format!("{} asks for a \"{section}\" section{because}", rule.source),
                        ));
                    }
                }
            }
        }
    }
}

/// The text of each fenced `spectask-lint` block of `body`.
fn rule_blocks(body: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in body.lines() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                let fence: String = trimmed.chars().take_while(|c| *c == '`' || *c == '~').collect();
                if fence.len() >= 3 && trimmed[fence.len()..].trim() == RULES_FENCE {
                    open = Some((fence, String::new()));
                }
            }
            Some((fence, text)) => {
                if trimmed.starts_with(fence.as_str())
                    && trimmed.trim_start_matches(&fence[..1]).trim().is_empty()
                {
                    blocks.push(std::mem::take(text));
                    open = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    blocks
}

fn parse_block(source: &str, text: &str) -> Result<Vec<SteeringRule>, String> {
    let block: RulesBlock = toml::from_str(text)
        .map_err(|e| format!("its `{RULES_FENCE}` block is not valid: {}", e.message()))?;
    let mut rules = Vec::new();
    for forbid in block.forbid {
        let words: Vec<String> = forbid.words.iter().map(|w| w.trim().to_owned()).collect();
        if words.is_empty() || words.iter().any(String::is_empty) {
            return Err(format!(
                "its `{RULES_FENCE}` block has a [[forbid]] rule with no words or a blank one"
            ));
        }
        rules.push(SteeringRule {
            source: source.to_owned(),
            why: forbid.why,
            kind: RuleKind::Forbid(words),
        });
    }
    for require in block.require {
        let section = require.section.trim().to_owned();
        if section.is_empty() {
            return Err(format!("its `{RULES_FENCE}` block has a [[require]] rule with a blank section"));
        }
        rules.push(SteeringRule {
            source: source.to_owned(),
            why: require.why,
            kind: RuleKind::RequireDesignSection(section),
        });
    }
    Ok(rules)
}

/// Each line of `text` (outside code blocks and comments) naming one of `words` as a whole word,
/// in any case, with the word as written in the rule.
fn forbidden_words(text: &str, words: &[String]) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for line in scan(text).iter().filter(|l| !l.hidden) {
        let lower = line.text.to_lowercase();
        for word in words {
            if contains_word(&lower, &word.to_lowercase()) {
                found.push((line.number, word.clone()));
            }
        }
    }
    found
}

fn contains_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Template, Workflow};

    const TECH: &str = "---\ninclusion: always\n---\n# Tech\n\nWe use PostgreSQL.\n\n```spectask-lint\n\
        [[forbid]]\nwords = [\"MongoDB\"]\nwhy = \"everything is stored in PostgreSQL\"\n\n\
        [[require]]\nsection = \"Security Considerations\"\n```\n";

    fn lint(steering: &[(&str, &str)], design: &str) -> Vec<Diagnostic> {
        let files: Vec<(String, String)> =
            steering.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect();
        let template =
            Template { steering: SteeringRules::of(&files), ..Template::builtin(Workflow::Feature) };
        let report = template.lint(&SpecFiles {
            requirements: Some("# Requirements\n\nStore todos in mongodb.\n"),
            design: Some(design),
            tasks: None,
        });
        report.diagnostics.into_iter().filter(|d| d.code.as_str().starts_with('G')).collect()
    }

    #[test]
    fn a_forbidden_word_and_a_missing_section_break_the_steering_rules() {
        let found =
            lint(&[(".kiro/steering/tech.md", TECH)], "# Design\n\n## Overview\n\nA MongoDB-free design.\n");
        let said: Vec<String> =
            found.iter().map(|d| format!("{}:{} {}", d.file, d.line, d.message)).collect();
        assert_eq!(
            said,
            [
                "requirements.md:3 `MongoDB` is ruled out by .kiro/steering/tech.md: everything is stored in PostgreSQL",
                "design.md:1 .kiro/steering/tech.md asks for a \"Security Considerations\" section",
                "design.md:5 `MongoDB` is ruled out by .kiro/steering/tech.md: everything is stored in PostgreSQL",
            ],
        );
        assert!(found.iter().all(|d| d.code == Code::SteeringRuleBroken));
    }

    #[test]
    fn a_spec_that_keeps_the_rules_has_no_finding() {
        let design =
            "# Design\n\n## Security Considerations\n\nTokens expire.\n\n```\nmongodb in a code block\n```\n";
        let files = [(".kiro/steering/tech.md", TECH)];
        let found: Vec<Diagnostic> =
            lint(&files, design).into_iter().filter(|d| d.file == "design.md").collect();
        assert!(found.is_empty(), "{found:#?}");
        assert!(!contains_word("mongodbx", "mongodb") && contains_word("(mongodb)", "mongodb"));
    }

    #[test]
    fn an_unreadable_block_is_named_and_manual_documents_state_no_rules() {
        let broken = "# Tech\n\n```spectask-lint\n[[forbid]]\nword = \"Mongo\"\n```\n";
        let manual = format!("---\ninclusion: manual\n---\n{TECH}");
        let found = lint(
            &[(".spectask/steering/tech.md", broken), (".kiro/steering/manual.md", &manual)],
            "# Design\n",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            (found[0].file.as_str(), found[0].code),
            (".spectask/steering/tech.md", Code::InvalidSteeringRule)
        );
        assert!(found[0].message.contains("unknown field `word`"), "{}", found[0].message);
    }
}
