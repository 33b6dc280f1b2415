//! Detail-line metadata of a task: requirement references, dependencies and boundaries.

use crate::text::strip_emphasis;

/// What one detail line says about its task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Meta {
    /// `_Requirements: 1.1, 2.3_` or `**Validates: Requirements 1.2**`: ids and free text.
    Requirements { ids: Vec<String>, free: Vec<String> },
    /// `_Depends: 1.2, 1.3_`.
    Depends(Vec<String>),
    /// `_Boundary: Component_`.
    Boundary(String),
}

/// Reads a detail line (bullet already removed).
pub(crate) fn detail_meta(text: &str) -> Option<Meta> {
    let plain = strip_emphasis(text);
    let (label, value) = plain.split_once(':')?;
    let label = strip_emphasis(label).to_ascii_lowercase();
    let value = strip_emphasis(value);
    match label.as_str() {
        "requirements" | "requirement" | "reqs" => Some(requirements(value)),
        "validates" => {
            let value = strip_word(value, "requirements")
                .or_else(|| strip_word(value, "requirement"))
                .unwrap_or(value);
            Some(requirements(value))
        }
        "depends" | "depends on" | "dependencies" => Some(Meta::Depends(id_list(value))),
        "boundary" => Some(Meta::Boundary(value.to_owned())),
        _ => None,
    }
}

fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let head = text.get(..word.len())?;
    head.eq_ignore_ascii_case(word).then(|| text[word.len()..].trim_start())
}

fn requirements(value: &str) -> Meta {
    let mut ids = Vec::new();
    let mut free = Vec::new();
    for part in value.split([',', ';', '、']) {
        let part = part.trim().trim_end_matches(['.', '_', '*']).trim();
        if part.is_empty() {
            continue;
        }
        let bare = strip_word(part, "requirements")
            .or_else(|| strip_word(part, "requirement"))
            .or_else(|| strip_word(part, "req"))
            .unwrap_or(part);
        match expand(bare) {
            Some(expanded) => ids.extend(expanded),
            None => free.push(part.to_owned()),
        }
    }
    Meta::Requirements { ids, free }
}

/// `1.2` → [1.2]; `1.1-1.4` → [1.1, 1.2, 1.3, 1.4]; `1.1-4` likewise; a range across requirements
/// (`1.3-2.2`) keeps its two ends. Anything else is not an id.
fn expand(part: &str) -> Option<Vec<String>> {
    if is_numeric_id(part) {
        return Some(vec![part.to_owned()]);
    }
    let (from, to) = part
        .split_once(['-', '–', '—'])
        .map(|(a, b)| (a.trim(), b.trim()))
        .or_else(|| part.split_once(" to ").map(|(a, b)| (a.trim(), b.trim())))?;
    if !is_numeric_id(from) || !is_numeric_id(to) {
        return None;
    }
    let (prefix, first) = from.rsplit_once('.').unwrap_or(("", from));
    let last = match to.rsplit_once('.') {
        Some((to_prefix, last)) if to_prefix == prefix => last,
        None if !prefix.is_empty() => to,
        _ => return Some(vec![from.to_owned(), to.to_owned()]),
    };
    let (first, last) = (first.parse::<u32>().ok()?, last.parse::<u32>().ok()?);
    if last < first || last - first > 500 {
        return Some(vec![from.to_owned(), to.to_owned()]);
    }
    let dotted = |n: u32| {
        if prefix.is_empty() { n.to_string() } else { format!("{prefix}.{n}") }
    };
    Some((first..=last).map(dotted).collect())
}

/// Digits separated by single dots: `1`, `2.3`, `7.2.1`.
pub(crate) fn is_numeric_id(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// A spec-kit id: `T` then three or more digits, or `T-` then digits; either may end in one letter
/// (`T072b`, a task inserted after `T072` without renumbering).
pub(crate) fn is_spec_kit_id(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('T') else {
        return false;
    };
    let (dashed, rest) = match rest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let digits = rest.strip_suffix(|c: char| c.is_ascii_alphabetic()).unwrap_or(rest);
    digits.len() >= if dashed { 1 } else { 3 } && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Task ids in a list like `1.2, 1.3 and T012`.
fn id_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(|word| word.trim_matches(|c: char| matches!(c, '.' | '(' | ')' | '_' | '*' | '`')))
        .filter(|word| is_numeric_id(word) || is_spec_kit_id(word))
        .map(str::to_owned)
        .collect()
}

/// The task ids a "depends on" phrase names: ids, and the words `task(s)`, `and`, `or` between them, up
/// to the first other word. So "depends on T012, T013" and "depends on tasks 1 and 2" name tasks, and
/// "depends on (Requirement 2.3)" or "depends on the API design" name none.
fn prose_ids(phrase: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for word in phrase.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
        let word = word.trim_matches(|c: char| matches!(c, '.' | '(' | ')' | '_' | '*' | '`'));
        if is_numeric_id(word) || is_spec_kit_id(word) {
            ids.push(word.to_owned());
        } else if !word.is_empty()
            && !matches!(word.to_lowercase().as_str(), "task" | "tasks" | "and" | "or" | "&")
        {
            break;
        }
    }
    ids
}

/// Ids named by "depends on T012, T013" prose anywhere in `text` (see `prose_ids`).
pub(crate) fn prose_depends(text: &str) -> Vec<String> {
    const NEEDLE: &[u8] = b"depends on";
    let find = |from: usize| {
        let rest = text.get(from..)?;
        rest.match_indices(['d', 'D']).map(|(at, _)| at).find(|&at| {
            rest.as_bytes()[at..].get(..NEEDLE.len()).is_some_and(|w| w.eq_ignore_ascii_case(NEEDLE))
        })
    };
    let mut ids = Vec::new();
    let mut from = 0;
    while let Some(at) = find(from) {
        let start = from + at + "depends on".len();
        let rest = &text[start..];
        let end = rest.find([')', ']', '\n']).unwrap_or(rest.len());
        ids.extend(prose_ids(&rest[..end]));
        from = start;
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reqs(text: &str) -> (Vec<String>, Vec<String>) {
        match detail_meta(text) {
            Some(Meta::Requirements { ids, free }) => (ids, free),
            other => panic!("not requirements: {other:?}"),
        }
    }

    #[test]
    fn reads_every_reference_form() {
        assert_eq!(reqs("_Requirements: 1.1, 2.3_").0, ["1.1", "2.3"]);
        assert_eq!(reqs("_Requirements: 1.1,2.3").0, ["1.1", "2.3"]);
        assert_eq!(reqs("_Requirements: 1.1-1.4_").0, ["1.1", "1.2", "1.3", "1.4"]);
        assert_eq!(reqs("_Requirements: 3.2–4_").0, ["3.2", "3.3", "3.4"]);
        assert_eq!(reqs("_Requirements: 1.3-2.2_").0, ["1.3", "2.2"]);
        assert_eq!(reqs("**Validates: Requirements 1.2, 1.3**").0, ["1.2", "1.3"]);
        assert_eq!(reqs("_Requirements: 2_").0, ["2"]);
        assert_eq!(reqs("_Requirements: Requirement 1.1, Req 2.3_").0, ["1.1", "2.3"]);
        let (ids, free) = reqs("_Requirements: 全要件の基盤となる環境構築_");
        assert!(ids.is_empty());
        assert_eq!(free, ["全要件の基盤となる環境構築"]);
    }

    #[test]
    fn reads_dependencies_and_boundaries() {
        assert_eq!(detail_meta("_Depends: 1.2, 1.3_"), Some(Meta::Depends(vec!["1.2".into(), "1.3".into()])));
        assert_eq!(detail_meta("_Boundary: AuthService_"), Some(Meta::Boundary("AuthService".into())));
        assert_eq!(prose_depends("Wire routes (depends on T012, T013) later"), ["T012", "T013"]);
        assert_eq!(prose_depends("Depends on tasks 1.2 and 1.3."), ["1.2", "1.3"]);
        assert_eq!(prose_depends("the mock tier depends on (Requirement 2.3)"), Vec::<String>::new());
        assert_eq!(prose_depends("depends on the API design in 2.1"), Vec::<String>::new());
        assert_eq!(prose_depends("depends on 1.2 being merged, not on 1.3"), ["1.2"]);
        assert_eq!(detail_meta("Create the `scripts/` directory: done"), None);
    }

    #[test]
    fn spec_kit_ids_need_three_digits_or_a_dash() {
        assert!(is_spec_kit_id("T001"));
        assert!(is_spec_kit_id("T-1"));
        assert!(!is_spec_kit_id("T1"));
        assert!(!is_spec_kit_id("Tests"));
        assert!(is_spec_kit_id("T072b") && is_spec_kit_id("T-7a"));
        assert!(!is_spec_kit_id("T07b") && !is_spec_kit_id("T072bc") && !is_spec_kit_id("T-b"));
    }
}
