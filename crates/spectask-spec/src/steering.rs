//! Steering documents: the project guidance a repository keeps for every agent (Kiro's
//! `.kiro/steering/*.md`, spec-kit's constitution, spectask's `.spectask/steering/*.md`), selected
//! and rendered as one bounded prompt section.
//!
//! Kiro's front matter decides inclusion: `inclusion: always` (or no front matter) is included,
//! `manual` is skipped, and `fileMatch` is included with its pattern stated, because a planner or a
//! session works across the whole change rather than one file.
//!
//! A steering document may also state rules the lint checks ([`rules`]).

pub mod rules;

/// Folders whose Markdown files are steering documents, in the order they are shown.
pub const STEERING_DIRS: &[&str] = &[".kiro/steering", ".spectask/steering"];

/// Single files that are steering documents (spec-kit's constitution), shown first.
pub const STEERING_FILES: &[&str] = &[".specify/memory/constitution.md", "memory/constitution.md"];

/// The most a steering section holds, headings included.
pub const STEERING_BUDGET_BYTES: usize = 32 * 1024;

/// When a steering document applies, from its front matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inclusion {
    Always,
    /// Only for files matching the pattern (Kiro's `fileMatchPattern`).
    FileMatch(String),
    Manual,
}

/// Whether `path` names a steering document.
pub fn is_steering_path(path: &str) -> bool {
    STEERING_FILES.contains(&path)
        || STEERING_DIRS.iter().any(|dir| {
            path.strip_prefix(dir)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|name| name.ends_with(".md") && !name.contains('/'))
        })
}

/// The inclusion a document asks for and its body without the front matter.
pub fn parse_steering(text: &str) -> (Inclusion, &str) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some((front, body)) = split_front_matter(text) else { return (Inclusion::Always, text) };
    let field = |name: &str| {
        front.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().trim_matches(|c| c == '"' || c == '\'').to_owned())
        })
    };
    let inclusion = match field("inclusion").as_deref() {
        Some("manual") => Inclusion::Manual,
        Some("fileMatch") => Inclusion::FileMatch(field("fileMatchPattern").unwrap_or_default()),
        _ => Inclusion::Always,
    };
    (inclusion, body)
}

/// `---` on the first line, closed by a later `---` line: the front matter and the rest.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// The prompt section for the steering documents among `files` (`(path, text)`), or `None` when no
/// document is included. `level` is the heading level of the section (`2` renders `## `).
/// Constitutions come first, then each steering folder in [`STEERING_DIRS`] order, by path. Past
/// [`STEERING_BUDGET_BYTES`] a document is cut and the rest are listed as left out.
pub fn steering_section(files: &[(String, String)], level: usize) -> Option<String> {
    let mut chosen: Vec<(&str, Inclusion, &str)> = files
        .iter()
        .filter(|(path, _)| is_steering_path(path))
        .map(|(path, text)| {
            let (inclusion, body) = parse_steering(text);
            (path.as_str(), inclusion, body.trim())
        })
        .filter(|(_, inclusion, body)| *inclusion != Inclusion::Manual && !body.is_empty())
        .collect();
    if chosen.is_empty() {
        return None;
    }
    chosen.sort_by_key(|(path, _, _)| (rank(path), *path));
    let heading = "#".repeat(level.max(1));
    let mut out = format!(
        "{heading} Steering documents\n\nThe repository's steering documents: guidance every plan and \
         change in this repository must follow.\n\n"
    );
    let (mut left_out, mut full) = (Vec::new(), false);
    for (path, inclusion, body) in &chosen {
        if full {
            left_out.push(*path);
            continue;
        }
        let mut part = format!("{heading}# {path}\n\n");
        if let Inclusion::FileMatch(pattern) = inclusion {
            part.push_str(&format!("(Applies to files matching `{pattern}`.)\n\n"));
        }
        let room = STEERING_BUDGET_BYTES.saturating_sub(out.len() + part.len() + CUT_NOTE_ROOM);
        if room == 0 {
            left_out.push(*path);
            full = true;
            continue;
        }
        if body.len() > room {
            let end = floor_char_boundary(body, room);
            part.push_str(&body[..end]);
            part.push_str(&format!("\n\n[cut: {} more bytes of {path} not shown]\n\n", body.len() - end));
            out.push_str(&part);
            full = true;
            continue;
        }
        part.push_str(body);
        part.push_str("\n\n");
        out.push_str(&part);
    }
    if !left_out.is_empty() {
        out.push_str(&format!(
            "[left out, over the {} KiB bound: {}]\n",
            STEERING_BUDGET_BYTES / 1024,
            left_out.join(", ")
        ));
    }
    Some(out)
}

/// Room kept for the note that says what was cut or left out.
const CUT_NOTE_ROOM: usize = 512;

/// Constitutions first, then the folders in order.
fn rank(path: &str) -> usize {
    if STEERING_FILES.contains(&path) {
        return 0;
    }
    1 + STEERING_DIRS.iter().position(|dir| path.starts_with(dir)).unwrap_or(STEERING_DIRS.len())
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut end = at.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect()
    }

    #[test]
    fn steering_paths_are_the_known_folders_and_constitutions() {
        assert!(is_steering_path(".kiro/steering/product.md"));
        assert!(is_steering_path(".spectask/steering/style.md"));
        assert!(is_steering_path(".specify/memory/constitution.md"));
        assert!(is_steering_path("memory/constitution.md"));
        assert!(!is_steering_path(".kiro/steering/notes.txt"));
        assert!(!is_steering_path(".kiro/steering/old/tech.md"));
        assert!(!is_steering_path(".kiro/specs/login/requirements.md"));
        assert!(!is_steering_path("docs/memory/constitution.md"));
    }

    #[test]
    fn front_matter_decides_inclusion_and_is_not_shown() {
        assert_eq!(parse_steering("# Product\n"), (Inclusion::Always, "# Product\n"));
        assert_eq!(parse_steering("---\ninclusion: always\n---\nBody\n"), (Inclusion::Always, "Body\n"));
        assert_eq!(parse_steering("---\ninclusion: manual\n---\nBody\n").0, Inclusion::Manual);
        assert_eq!(
            parse_steering(
                "---\r\ninclusion: fileMatch\r\nfileMatchPattern: \"src/**/*.ts\"\r\n---\r\nBody\r\n"
            ),
            (Inclusion::FileMatch("src/**/*.ts".into()), "Body\r\n")
        );
        // An unclosed block is text, not front matter.
        assert_eq!(parse_steering("---\ninclusion: manual\n").0, Inclusion::Always);
    }

    #[test]
    fn section_orders_selects_and_marks_file_match() {
        let section = steering_section(
            &files(&[
                (".spectask/steering/a.md", "Spectask rule."),
                (".kiro/steering/tech.md", "Use Rust."),
                (".kiro/steering/manual.md", "---\ninclusion: manual\n---\nSecret recipe."),
                (
                    ".kiro/steering/api.md",
                    "---\ninclusion: fileMatch\nfileMatchPattern: 'api/*'\n---\nREST only.",
                ),
                ("memory/constitution.md", "Tests first."),
                ("README.md", "Not steering."),
                (".kiro/steering/empty.md", "---\ninclusion: always\n---\n\n"),
            ]),
            2,
        )
        .unwrap();
        assert!(section.starts_with("## Steering documents\n"));
        let order: Vec<&str> = section.lines().filter_map(|l| l.strip_prefix("### ")).collect();
        assert_eq!(
            order,
            [
                "memory/constitution.md",
                ".kiro/steering/api.md",
                ".kiro/steering/tech.md",
                ".spectask/steering/a.md"
            ]
        );
        assert!(section.contains("(Applies to files matching `api/*`.)\n\nREST only."));
        assert!(!section.contains("Secret recipe") && !section.contains("Not steering"));
        assert!(!section.contains("inclusion:"));
    }

    #[test]
    fn no_steering_documents_means_no_section() {
        assert_eq!(steering_section(&files(&[("README.md", "x")]), 1), None);
        assert_eq!(
            steering_section(&files(&[(".kiro/steering/m.md", "---\ninclusion: manual\n---\nx")]), 1),
            None
        );
    }

    #[test]
    fn section_is_bounded_and_says_what_it_cut() {
        let big = "é".repeat(STEERING_BUDGET_BYTES / 4 + 50);
        let section = steering_section(
            &files(&[
                (".kiro/steering/a.md", &big),
                (".kiro/steering/b.md", &big),
                (".kiro/steering/c.md", "small"),
            ]),
            1,
        )
        .unwrap();
        assert!(section.len() <= STEERING_BUDGET_BYTES, "{} bytes", section.len());
        assert!(section.contains("# .kiro/steering/a.md") && section.contains("# .kiro/steering/b.md"));
        assert!(section.contains("more bytes of .kiro/steering/b.md not shown]"));
        assert!(section.ends_with("[left out, over the 32 KiB bound: .kiro/steering/c.md]\n"));
    }
}
