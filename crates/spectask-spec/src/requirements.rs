//! `requirements.md`: requirements, user stories, acceptance criteria with their ids and EARS patterns,
//! and the glossary.
//!
//! A criterion's id is implicit (requirement number, dot, position in the requirement's list: `2.3`) or
//! written on the line (`2.12 WHEN …`, as bugfix specs do); an explicit id whose requirement has no
//! heading creates that requirement, titled after the heading above it.

mod parse;

use serde::Serialize;

use crate::ears::{Ears, EarsPattern};

/// A parsed `requirements.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequirementsDoc {
    /// The level-1 heading.
    pub title: Option<String>,
    pub glossary: Vec<GlossaryEntry>,
    pub requirements: Vec<Requirement>,
}

/// `- **Issue_Manager**: the component that …`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GlossaryEntry {
    pub term: String,
    pub definition: String,
    pub line: u32,
}

/// `### Requirement 2: Title` and what follows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// The number as written: `2`.
    pub id: String,
    pub title: Option<String>,
    /// The `**User Story:**` (or cc-sdd `**Objective:**`) text, continuation lines joined.
    pub user_story: Option<String>,
    pub line: u32,
    pub criteria: Vec<Criterion>,
}

/// One acceptance criterion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Criterion {
    /// `2.3`.
    pub id: String,
    /// Whether the id is written on the line rather than implied by the position.
    pub explicit_id: bool,
    /// The criterion's text, hard-wrapped lines joined by single spaces.
    pub text: String,
    /// First and last line.
    pub line: u32,
    pub end_line: u32,
    pub ears: Ears,
}

/// Counts of criteria per EARS pattern.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EarsCounts {
    pub ubiquitous: usize,
    pub event: usize,
    pub state: usize,
    pub unwanted: usize,
    pub optional: usize,
    pub complex: usize,
    pub non_ears: usize,
}

impl EarsCounts {
    fn add(&mut self, pattern: EarsPattern) {
        let slot = match pattern {
            EarsPattern::Ubiquitous => &mut self.ubiquitous,
            EarsPattern::Event => &mut self.event,
            EarsPattern::State => &mut self.state,
            EarsPattern::Unwanted => &mut self.unwanted,
            EarsPattern::Optional => &mut self.optional,
            EarsPattern::Complex => &mut self.complex,
            EarsPattern::NonEars => &mut self.non_ears,
        };
        *slot += 1;
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequirementsSummary {
    pub requirements: usize,
    pub criteria: usize,
    pub ears: EarsCounts,
}

/// Parses a `requirements.md` (or a bugfix analysis). Never fails.
pub fn parse_requirements(text: &str) -> RequirementsDoc {
    parse::parse(text)
}

impl RequirementsDoc {
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The criterion with this id (`2.3`).
    pub fn criterion(&self, id: &str) -> Option<&Criterion> {
        self.criteria().find(|c| c.id == id)
    }

    /// Every criterion in document order.
    pub fn criteria(&self) -> impl Iterator<Item = &Criterion> {
        self.requirements.iter().flat_map(|r| &r.criteria)
    }

    /// Whether a task reference (`2.3`, or a bare requirement number `2`) names something here.
    pub fn resolves(&self, reference: &str) -> bool {
        self.criterion(reference).is_some() || self.requirement(reference).is_some()
    }

    pub fn summary(&self) -> RequirementsSummary {
        let mut summary = RequirementsSummary { requirements: self.requirements.len(), ..Default::default() };
        for criterion in self.criteria() {
            summary.criteria += 1;
            summary.ears.add(criterion.ears.pattern);
        }
        summary
    }
}
