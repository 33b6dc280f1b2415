//! EARS (Easy Approach to Requirements Syntax) classification of one acceptance criterion.
//!
//! The pattern comes from the clause keywords before the first `shall` (case-insensitive, at the start
//! of the criterion or after a comma): WHERE → optional, WHILE → state, WHEN → event, IF → unwanted,
//! none → ubiquitous, more than one kind → complex. Both strict EARS (`WHEN x, THE Sys SHALL y`) and
//! Kiro's first form (`WHEN x THEN sys SHALL y`) are accepted. The system is the noun phrase between
//! the clauses and `shall`, without a leading `the`; the clauses end at whichever comes last of their
//! last comma, a `THEN`, or a `the` (an upper-case `THE` first).
//!
//! **Is the comma after a clause required?** No. In the paper that introduced EARS (Mavin, Wilkinson,
//! Harwood and Novak, "Easy Approach to Requirements Syntax (EARS)", RE'09) the generic syntax is
//! `<optional preconditions> <optional trigger> the <system name> shall <system response>`, and its
//! templates carry no comma except the unwanted-behaviour one (`IF <preconditions> <trigger>, THEN the
//! <system name> shall …`): `WHERE <feature is included> the <system name> shall …`, `WHILE <in a
//! specific state> the …`. It is the keywords that mark the clauses, which "always appear in the same
//! order" (Mavin's EARS guide). The commas in Mavin's later write-ups (`While <precondition(s)>, the
//! <system name> shall …`) are punctuation for readers, and Kiro's own first form (`WHEN … THEN … SHALL`)
//! has none. So `WHERE x THE Y SHALL z` is an optional-feature criterion like any other, with no
//! finding. Only when nothing at all (comma, `THEN` or `the`) separates the condition from the system
//! can the system not be told apart, and that is at most a warning (`EarsProblem::UnseparatedClause`).
//!
//! A criterion is `non_ears` when it has no `shall`, when nothing separates its condition from the
//! system, or when an upper-case WHEN/WHILE/IF/WHERE follows `shall` (the condition comes last).

use serde::Serialize;

/// The EARS pattern of a criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EarsPattern {
    Ubiquitous,
    Event,
    State,
    Unwanted,
    Optional,
    Complex,
    NonEars,
}

impl EarsPattern {
    pub fn as_str(self) -> &'static str {
        match self {
            EarsPattern::Ubiquitous => "ubiquitous",
            EarsPattern::Event => "event",
            EarsPattern::State => "state",
            EarsPattern::Unwanted => "unwanted",
            EarsPattern::Optional => "optional",
            EarsPattern::Complex => "complex",
            EarsPattern::NonEars => "non_ears",
        }
    }
}

/// Why a criterion is not EARS-shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EarsProblem {
    /// No `shall` at all.
    NoShall,
    /// A WHEN/WHILE/IF/WHERE clause with no comma, `THEN` or `the` before the system.
    UnseparatedClause,
    /// An upper-case WHEN, WHILE, IF or WHERE after `shall`: the condition must come first.
    LateClause,
}

/// What the classifier found in a criterion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ears {
    pub pattern: EarsPattern,
    pub problem: Option<EarsProblem>,
    /// The system name, when one stands before `shall`.
    pub system: Option<String>,
    /// How many times the word `shall` occurs.
    pub shall_count: usize,
    /// `shall not`.
    pub negated: bool,
    /// `shall continue to` (bugfix specs' unchanged behaviour).
    pub continues: bool,
    /// Vague words found (`fast`, `etc`, `user-friendly` …), lower case, in order.
    pub vague_words: Vec<String>,
}

const VAGUE: &[&str] = &[
    "fast",
    "quick",
    "quickly",
    "user-friendly",
    "easy",
    "easily",
    "etc",
    "appropriate",
    "appropriately",
    "robust",
    "intuitive",
    "seamless",
    "seamlessly",
    "adequate",
    "sufficient",
    "reasonable",
    "flexible",
    "efficient",
    "efficiently",
    "and/or",
];
const VAGUE_PHRASES: &[[&str; 2]] = &[["as", "needed"], ["if", "possible"], ["as", "appropriate"]];

/// A word of the criterion with its byte span; markdown emphasis and backticks are not part of words.
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    /// A comma (or semicolon) directly precedes it.
    after_comma: bool,
}

fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    let mut comma = false;
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '\'');
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (start, is_word(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let word = text[s..i].trim_matches(['-', '/', '\'']);
                if !word.is_empty() {
                    out.push(Word { text: word, start: s, end: i, after_comma: comma });
                }
                comma = false;
                start = None;
            }
            _ => {}
        }
        if start.is_none() && matches!(c, ',' | ';') {
            comma = true;
        }
    }
    out
}

/// Classifies one criterion (its whole text, continuation lines joined).
pub fn classify(text: &str) -> Ears {
    let words = words(text);
    let is = |w: &Word<'_>, k: &str| w.text.eq_ignore_ascii_case(k);
    let shall_at: Vec<usize> = (0..words.len()).filter(|&i| is(&words[i], "shall")).collect();
    let vague_words = vague(&words);
    let Some(&first_shall) = shall_at.first() else {
        let pattern = EarsPattern::NonEars;
        return Ears {
            pattern,
            problem: Some(EarsProblem::NoShall),
            system: None,
            shall_count: 0,
            negated: false,
            continues: false,
            vague_words,
        };
    };
    let after = |k: usize| words.get(first_shall + k);
    let negated = after(1).is_some_and(|w| is(w, "not"));
    let continues = after(1).is_some_and(|w| is(w, "continue")) && after(2).is_some_and(|w| is(w, "to"));

    let mut kinds = Vec::new();
    for (i, word) in words[..first_shall].iter().enumerate() {
        let clause_start = i == 0 || word.after_comma;
        let kind = ["where", "while", "when", "if"].into_iter().find(|k| is(word, k));
        if let Some(kind) = kind.filter(|_| clause_start)
            && !kinds.contains(&kind)
        {
            kinds.push(kind);
        }
    }
    let pattern = match kinds.as_slice() {
        [] => EarsPattern::Ubiquitous,
        ["where"] => EarsPattern::Optional,
        ["while"] => EarsPattern::State,
        ["when"] => EarsPattern::Event,
        ["if"] => EarsPattern::Unwanted,
        _ => EarsPattern::Complex,
    };
    let subject_start = if kinds.is_empty() {
        Some(0)
    } else {
        let then = words[..first_shall].iter().rposition(|w| is(w, "then")).map(|i| i + 1);
        let comma = words[..=first_shall].iter().rposition(|w| w.after_comma);
        let before_shall = &words[1..first_shall];
        let the = before_shall
            .iter()
            .rposition(|w| w.text == "THE")
            .or_else(|| before_shall.iter().rposition(|w| is(w, "the")))
            .map(|i| i + 1);
        then.max(comma).max(the).filter(|&s| s > 0)
    };
    let late = words[first_shall..].iter().any(|w| matches!(w.text, "WHEN" | "WHILE" | "IF" | "WHERE"));
    let (pattern, problem, system) = match subject_start {
        Some(s) if late => {
            (EarsPattern::NonEars, Some(EarsProblem::LateClause), system_name(text, &words[s..first_shall]))
        }
        Some(s) => (pattern, None, system_name(text, &words[s..first_shall])),
        None => (EarsPattern::NonEars, Some(EarsProblem::UnseparatedClause), None),
    };
    Ears { pattern, problem, system, shall_count: shall_at.len(), negated, continues, vague_words }
}

/// The words before `shall`, as written (without emphasis, backticks or quotes), without a leading `the`.
fn system_name(text: &str, subject: &[Word<'_>]) -> Option<String> {
    let subject = match subject.first() {
        Some(w) if w.text.eq_ignore_ascii_case("the") => &subject[1..],
        _ => subject,
    };
    let (first, last) = (subject.first()?, subject.last()?);
    Some(text[first.start..last.end].replace(['`', '*', '"'], ""))
}

fn vague(words: &[Word<'_>]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let lower = word.text.to_lowercase();
        if VAGUE.contains(&lower.as_str()) {
            found.push(lower);
        } else if let Some(next) = words.get(i + 1) {
            let next = next.text.to_lowercase();
            if VAGUE_PHRASES.iter().any(|[a, b]| *a == lower && *b == next) {
                found.push(format!("{lower} {next}"));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests;
