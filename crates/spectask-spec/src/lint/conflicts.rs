//! A rule for every document: git's conflict markers left in the text by a merge. A conflicted
//! document holds two versions of the same lines, so whatever it says is said twice, differently.
//! Markers inside a code fence, front matter or an HTML comment are an example, not a conflict.

use super::{Code, Sink};
use crate::text::scan;

/// The marker a line is, if it is one: `<<<<<<<`, `|||||||` or `>>>>>>>` alone or followed by a
/// space (git's label), or `=======` alone inside a conflict (elsewhere it underlines a heading).
fn marker(text: &str, open: bool) -> Option<&'static str> {
    let text = text.trim_end();
    let labelled = |m: &str| text == m || text.strip_prefix(m).is_some_and(|rest| rest.starts_with(' '));
    if labelled("<<<<<<<") {
        Some("<<<<<<<")
    } else if labelled(">>>>>>>") {
        Some(">>>>>>>")
    } else if open && labelled("|||||||") {
        Some("|||||||")
    } else if open && text == "=======" {
        Some("=======")
    } else {
        None
    }
}

/// Reports each conflict (from its `<<<<<<<` to its `>>>>>>>`) once, at its first marker; a lone
/// closing marker is reported where it stands.
pub(super) fn lint(text: &str, sink: &mut Sink<'_>) {
    let mut open: Option<u32> = None;
    for line in scan(text).iter().filter(|l| !l.hidden) {
        match marker(line.text, open.is_some()) {
            Some("<<<<<<<") => {
                if let Some(start) = open.replace(line.number) {
                    report(sink, start, None);
                }
            }
            Some(">>>>>>>") => report(sink, open.take().unwrap_or(line.number), Some(line.number)),
            _ => {}
        }
    }
    if let Some(start) = open {
        report(sink, start, None);
    }
}

fn report(sink: &mut Sink<'_>, start: u32, end: Option<u32>) {
    let message = match end {
        Some(end) if end > start => {
            format!("unresolved merge conflict: conflict markers from line {start} to line {end}")
        }
        _ => "unresolved merge conflict: a conflict marker is left in the text".to_owned(),
    };
    sink.report(Code::ConflictMarker, start, message);
}
