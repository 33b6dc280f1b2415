//! The finding codes: one per kind of finding, each with a fixed level and a stable name.
//!
//! Codes never change meaning and are never reused. The letter names the document a finding is about
//! (R requirements, D design, T tasks, S spec-kit spec.md, X references between documents, W a
//! workflow template's gates, M any document's text as git left it).
//!
//! Levels follow one rule: an **error** means the spec cannot be scheduled (the task plan's order is
//! unknowable) or contradicts itself (a reference to nothing, one id for two things, two versions of
//! a text left by a merge), or breaks a gate of its workflow template; anything about
//! style or completeness is a **warning**, or a **note** when it is a matter of taste. The conventions of
//! Kiro, cc-sdd and spec-kit themselves (unticked parents, `the system`, no commas in `WHEN … THEN`,
//! spec-kit's un-referenced tasks) are not findings at all.

use serde::Serialize;

use super::Level;

macro_rules! codes {
    ($($variant:ident = $code:literal, $name:literal, $level:ident, $doc:literal;)*) => {
        /// The kind of a finding.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable code: `T104`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The stable kebab-case name: `task-without-reference`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The level every finding of this kind has.
            pub fn level(self) -> Level {
                match self { $(Code::$variant => Level::$level,)* }
            }

            /// One sentence on what the finding means.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    NoRequirements = "R001", "no-requirements", Warning,
        "requirements.md has no `### Requirement N` section.";
    RequirementWithoutCriteria = "R002", "requirement-without-criteria", Warning,
        "A requirement has no acceptance criteria.";
    DuplicateCriterion = "R003", "duplicate-criterion-id", Error,
        "Two criteria have the same id, so a reference to it names two things.";
    CriterionWithoutShall = "R101", "criterion-without-shall", Warning,
        "A criterion has no `shall`: EARS states every response with `shall`.";
    SeveralShall = "R102", "several-shall", Warning,
        "A criterion has more than one `shall`: EARS asks for one requirement per sentence.";
    ConditionWithoutBoundary = "R103", "condition-without-boundary", Warning,
        "Nothing (comma, `then` or `the`) shows where a criterion's condition ends and its system begins.";
    ConditionAfterShall = "R104", "condition-after-shall", Warning,
        "A WHEN/WHILE/IF/WHERE clause follows `shall`: EARS puts conditions first.";
    CriterionWithoutSystem = "R105", "criterion-without-system", Warning,
        "A criterion names no system before `shall`.";
    SystemNotInGlossary = "R106", "system-not-in-glossary", Warning,
        "A criterion names a specific system that the document's glossary does not define.";
    VagueWord = "R107", "vague-word", Note,
        "A criterion uses a word that cannot be tested (`fast`, `appropriate`, `etc.` …).";
    MissingDesignSection = "D001", "missing-design-section", Warning,
        "design.md lacks a section the Kiro and cc-sdd design templates ask for.";
    DuplicateTaskId = "T001", "duplicate-task-id", Error,
        "Two tasks have the same id, so dependencies and progress marks on it are ambiguous.";
    UnknownDependency = "T002", "unknown-dependency", Error,
        "A task depends on a task id that the plan does not have.";
    DependencyCycle = "T003", "dependency-cycle", Error,
        "Tasks depend on each other in a cycle, so none of them can start.";
    NoTasks = "T004", "no-tasks", Warning,
        "tasks.md has no checkbox tasks.";
    UnknownMarker = "T101", "unknown-marker", Warning,
        "A checkbox holds a character other than ` `, `x`, `X`, `-`, `~` or `/`; the task counts as pending.";
    MalformedCheckbox = "T102", "malformed-checkbox", Warning,
        "A checkbox is empty (`[]`) or has several spaces (`[  ]`); it is not read as a task.";
    DoneParentOpenChild = "T103", "done-parent-with-open-sub-task", Warning,
        "A task is ticked done while one of its required sub-tasks is not.";
    TaskWithoutReference = "T104", "task-without-reference", Warning,
        "In a plan that references requirements, a task (and none of its sub-tasks) references none.";
    NeedsClarification = "S001", "needs-clarification", Warning,
        "spec.md still has a `[NEEDS CLARIFICATION …]` marker.";
    DuplicateSpecId = "S002", "duplicate-requirement-id", Warning,
        "spec.md uses one `FR-`/`SC-` id for two requirements.";
    MissingMandatorySection = "S003", "missing-mandatory-section", Warning,
        "spec.md lacks a section spec-kit's template marks mandatory.";
    UnknownReference = "X001", "unknown-reference", Error,
        "tasks.md or design.md references a requirement or criterion that requirements.md does not have.";
    UncoveredRequirement = "X002", "uncovered-requirement", Warning,
        "No task references a requirement or any of its criteria.";
    MissingTemplateSection = "W001", "missing-template-section", Error,
        "A document lacks a section its workflow template requires (a gate).";
    FirstTaskGate = "W002", "first-task-gate", Error,
        "The plan's first task does not do what its workflow requires first (a gate).";
    ComponentWithoutRequirement = "W003", "component-without-requirement", Warning,
        "In a design-first spec, no requirement names a component the design has.";
    SteeringRuleBroken = "G001", "steering-rule-broken", Error,
        "A spec document breaks a rule a steering document states in a `spectask-lint` block.";
    InvalidSteeringRule = "G002", "invalid-steering-rule", Warning,
        "A steering document's `spectask-lint` block cannot be read, so its rules are not checked.";
    ConflictMarker = "M001", "conflict-marker", Error,
        "A document holds git's conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`): two versions of its text were left unmerged.";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_shaped() {
        let codes: HashSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let names: HashSet<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        assert_eq!((codes.len(), names.len()), (Code::ALL.len(), Code::ALL.len()));
        for code in Code::ALL {
            let s = code.as_str();
            assert!(
                s.len() == 4 && "RDTSXWGM".contains(&s[..1]) && s[1..].bytes().all(|b| b.is_ascii_digit())
            );
            assert!(code.name().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", code.name());
        }
    }

    #[test]
    fn errors_are_only_what_blocks_scheduling_contradicts_itself_or_breaks_a_gate() {
        let errors: Vec<&str> =
            Code::ALL.iter().filter(|c| c.level() == Level::Error).map(|c| c.as_str()).collect();
        assert_eq!(errors, ["R003", "T001", "T002", "T003", "X001", "W001", "W002", "G001", "M001"]);
    }
}
