//! spec-kit's `spec.md` (a "Feature Specification"): user stories, `FR-`/`SC-` requirements and the
//! `[NEEDS CLARIFICATION: …]` markers still open.
//!
//! spec-kit does not write EARS: requirements are `- **FR-001**: System MUST …` bullets and scenarios
//! are Given/When/Then, so this is its own small document kind rather than a `requirements.md`.

use serde::Serialize;

use crate::design::{DesignSection, parse_design};
use crate::text::{heading, scan, strip_emphasis};

/// A parsed spec-kit `spec.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FeatureSpec {
    /// The level-1 heading (`Feature Specification: Team Invitations`).
    pub title: Option<String>,
    pub sections: Vec<DesignSection>,
    pub user_stories: Vec<UserStory>,
    /// `FR-001` … functional requirements.
    pub requirements: Vec<SpecItem>,
    /// `SC-001` … measurable outcomes.
    pub success_criteria: Vec<SpecItem>,
    /// Every `[NEEDS CLARIFICATION: …]` marker.
    pub open_questions: Vec<OpenQuestion>,
}

/// `### User Story 2 - Manage invitations (Priority: P2)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserStory {
    pub title: String,
    pub priority: Option<String>,
    pub line: u32,
}

/// `- **FR-003**: System MUST …`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpecItem {
    pub id: String,
    pub text: String,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenQuestion {
    pub question: String,
    pub line: u32,
}

/// The sections spec-kit's spec template marks `*(mandatory)*` in every version of the template.
pub const MANDATORY_SECTIONS: [&str; 2] = ["User Scenarios & Testing", "Requirements"];

const MARKER: &str = "[NEEDS CLARIFICATION";

pub fn parse_feature_spec(text: &str) -> FeatureSpec {
    let design = parse_design(text);
    let mut spec = FeatureSpec { title: design.title, sections: design.sections, ..FeatureSpec::default() };
    for line in scan(text).iter().filter(|l| !l.hidden) {
        if let Some((_, title)) = heading(line.text) {
            if let Some(story) = user_story(title, line.number) {
                spec.user_stories.push(story);
            }
            continue;
        }
        let body = line.text.trim_start().trim_start_matches(['-', '*', '+']).trim_start();
        if let Some(item) = spec_item(body, line.number) {
            if item.id.starts_with("FR-") {
                spec.requirements.push(item);
            } else {
                spec.success_criteria.push(item);
            }
        }
        let mut rest = line.text;
        while let Some(at) = rest.find(MARKER) {
            let after = &rest[at + MARKER.len()..];
            let end = after.find(']').unwrap_or(after.len());
            let question = after[..end].trim_start_matches(':').trim().to_owned();
            spec.open_questions.push(OpenQuestion { question, line: line.number });
            rest = &after[end..];
        }
    }
    spec
}

impl FeatureSpec {
    /// The mandatory sections no level-2 heading names (`## Requirements *(mandatory)*` names
    /// Requirements).
    pub fn missing_sections(&self) -> Vec<&'static str> {
        let titles: Vec<String> =
            self.sections.iter().filter(|s| s.level == 2).map(|s| s.title.to_lowercase()).collect();
        MANDATORY_SECTIONS
            .into_iter()
            .filter(|name| !titles.iter().any(|t| t.starts_with(&name.to_lowercase())))
            .collect()
    }
}

fn user_story(title: &str, line: u32) -> Option<UserStory> {
    let rest = title.strip_prefix("User Story")?.trim_start();
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start();
    let rest = rest.trim_start_matches(['-', '–', '—', ':']).trim();
    let (title, priority) = match rest.rsplit_once("(Priority:") {
        Some((title, p)) => (title.trim(), Some(p.split(')').next().unwrap_or(p).trim().to_owned())),
        None => (rest, None),
    };
    Some(UserStory { title: title.to_owned(), priority, line })
}

/// `**FR-001**: text` or `FR-001: text` (also `SC-`).
fn spec_item(body: &str, line: u32) -> Option<SpecItem> {
    let plain = body.strip_prefix("**").unwrap_or(body);
    let (id, rest) = plain.split_once([':', '*'])?;
    let id = id.trim();
    let number = id.strip_prefix("FR-").or_else(|| id.strip_prefix("SC-"))?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let text = strip_emphasis(rest.trim_start_matches(['*', ':'])).to_owned();
    Some(SpecItem { id: id.to_owned(), text, line })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stories_items_and_open_questions() {
        let spec = parse_feature_spec(
            "# Feature Specification: X\n\n## User Scenarios & Testing *(mandatory)*\n\n### User Story 1 - Sign in (Priority: P1)\n\n## Requirements *(mandatory)*\n\n- **FR-001**: System MUST work [NEEDS CLARIFICATION: how?]\n- **SC-001**: 90% succeed\n<!-- - **FR-009**: hidden [NEEDS CLARIFICATION: no] -->\n",
        );
        assert_eq!(spec.title.as_deref(), Some("Feature Specification: X"));
        assert_eq!(
            spec.user_stories,
            [UserStory { title: "Sign in".into(), priority: Some("P1".into()), line: 5 }]
        );
        assert_eq!(
            spec.requirements,
            [SpecItem {
                id: "FR-001".into(),
                text: "System MUST work [NEEDS CLARIFICATION: how?]".into(),
                line: 9
            }]
        );
        assert_eq!(spec.success_criteria[0].id, "SC-001");
        assert_eq!(spec.open_questions, [OpenQuestion { question: "how?".into(), line: 9 }]);
        assert_eq!(spec.missing_sections(), Vec::<&str>::new());
        assert_eq!(parse_feature_spec("## Requirements\n").missing_sections(), ["User Scenarios & Testing"]);
    }
}
