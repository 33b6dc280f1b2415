//! Taking up a spec a repository already has: a Kiro or cc-sdd folder (`requirements.md` or
//! `bugfix.md`, `design.md`, `tasks.md`) or a spec-kit one (`spec.md`, `plan.md`, `tasks.md`), read
//! into the three documents of a spec version, each kept byte for byte.

use crate::workflow::Workflow;

/// A spec folder's documents in spectask's three places.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdoptedSpec {
    /// requirements.md, bugfix.md or spec-kit's spec.md; empty when the folder has none.
    pub requirements: String,
    /// design.md or spec-kit's plan.md; empty when the folder has none.
    pub design: String,
    pub tasks: String,
    /// `bugfix` for a folder with bugfix.md, else `feature`.
    pub workflow: Workflow,
    /// The file each document came from, in the order above (`None` for an empty one).
    pub sources: [Option<String>; 3],
}

/// Why a folder cannot be taken up.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdoptError {
    #[error("{folder} has no tasks.md: a spec is taken up with its plan")]
    NoPlan { folder: String },
    #[error(
        "{folder} has no requirements.md, bugfix.md or spec.md: a spec is taken up with what it asks for"
    )]
    NoRequirements { folder: String },
    #[error("{folder} has both {first} and {second}; keep one")]
    Ambiguous { folder: String, first: String, second: String },
    #[error("{path} is not UTF-8 text")]
    NotText { path: String },
}

/// The documents of the folder `folder`, given its files as (path, bytes); files in sub-folders and
/// other names (spec-kit's research.md, data-model.md, checklists) are not documents of the spec.
pub fn adopt_folder(folder: &str, files: &[(String, Vec<u8>)]) -> Result<AdoptedSpec, AdoptError> {
    let named = |names: &[&str]| -> Result<Option<(String, String)>, AdoptError> {
        let mut found: Option<(String, String)> = None;
        for (path, bytes) in files {
            let name = path.rsplit('/').next().unwrap_or(path);
            if !names.contains(&name) {
                continue;
            }
            let text =
                String::from_utf8(bytes.clone()).map_err(|_| AdoptError::NotText { path: path.clone() })?;
            if let Some((first, _)) = &found {
                return Err(AdoptError::Ambiguous {
                    folder: folder.to_owned(),
                    first: first.clone(),
                    second: path.clone(),
                });
            }
            found = Some((path.clone(), text));
        }
        Ok(found)
    };
    let requirements = named(&["requirements.md", "bugfix.md", "spec.md"])?
        .ok_or_else(|| AdoptError::NoRequirements { folder: folder.to_owned() })?;
    let tasks = named(&["tasks.md"])?.ok_or_else(|| AdoptError::NoPlan { folder: folder.to_owned() })?;
    let design = named(&["design.md", "plan.md"])?;
    let workflow = if requirements.0.ends_with("bugfix.md") { Workflow::Bugfix } else { Workflow::Feature };
    Ok(AdoptedSpec {
        sources: [Some(requirements.0), design.as_ref().map(|d| d.0.clone()), Some(tasks.0)],
        requirements: requirements.1,
        design: design.map(|d| d.1).unwrap_or_default(),
        tasks: tasks.1,
        workflow,
    })
}

/// A title from the folder's name: `.kiro/specs/user-auth` → `User auth`, spec-kit's
/// `specs/003-chat-export` → `Chat export`.
pub fn title_of_folder(folder: &str) -> String {
    let name = folder.trim_end_matches('/').rsplit('/').next().unwrap_or(folder);
    let name = name.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start_matches(['-', '_']);
    let words = name.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => folder.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> (String, Vec<u8>) {
        (path.to_owned(), text.as_bytes().to_vec())
    }

    #[test]
    fn a_kiro_bugfix_folder_is_a_bugfix_spec_kept_byte_for_byte() {
        let files = [
            file("f/bugfix.md", "# Bugfix\r\n\r\nx\r\n"),
            file("f/design.md", "\u{feff}# Design\n"),
            file("f/tasks.md", "- [x] 1. Done\n- [ ] 2. Next\n"),
        ];
        let spec = adopt_folder("f", &files).unwrap();
        assert_eq!(spec.workflow, Workflow::Bugfix);
        assert_eq!(spec.requirements, "# Bugfix\r\n\r\nx\r\n");
        assert_eq!(spec.design, "\u{feff}# Design\n");
        assert_eq!(spec.tasks, "- [x] 1. Done\n- [ ] 2. Next\n");
    }

    #[test]
    fn a_spec_kit_folder_maps_spec_and_plan() {
        let files = [
            file("specs/003-chat-export/spec.md", "# Spec\n"),
            file("specs/003-chat-export/plan.md", "# Plan\n"),
            file("specs/003-chat-export/research.md", "# Research\n"),
            file("specs/003-chat-export/tasks.md", "- [ ] T001 Do\n"),
        ];
        let spec = adopt_folder("specs/003-chat-export", &files).unwrap();
        assert_eq!((spec.requirements.as_str(), spec.design.as_str()), ("# Spec\n", "# Plan\n"));
        assert_eq!(spec.sources[1].as_deref(), Some("specs/003-chat-export/plan.md"));
        assert_eq!(title_of_folder("specs/003-chat-export"), "Chat export");
        assert_eq!(title_of_folder(".kiro/specs/user-auth/"), "User auth");
    }

    #[test]
    fn faults_name_the_folder_and_what_is_missing() {
        let no_plan = adopt_folder("f", &[file("f/requirements.md", "# R\n")]).unwrap_err();
        assert_eq!(no_plan.to_string(), "f has no tasks.md: a spec is taken up with its plan");
        let two = [file("f/requirements.md", "a"), file("f/spec.md", "b"), file("f/tasks.md", "c")];
        assert!(
            adopt_folder("f", &two).unwrap_err().to_string().contains("both f/requirements.md and f/spec.md")
        );
        let binary = [file("f/requirements.md", "a"), (String::from("f/tasks.md"), vec![0xff, 0xfe])];
        assert_eq!(
            adopt_folder("f", &binary).unwrap_err(),
            AdoptError::NotText { path: "f/tasks.md".into() }
        );
        assert!(matches!(
            adopt_folder("f", &[file("f/tasks.md", "x")]),
            Err(AdoptError::NoRequirements { .. })
        ));
    }
}
