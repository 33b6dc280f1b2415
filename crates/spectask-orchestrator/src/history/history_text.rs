//! How history entries look on the design-docs branch: where each goes, the marker line that
//! delimits it (so files can be read back entry by entry by `spectask recover`), and the compact
//! seq ranges of the `History-Seqs` trailer that make committing exactly-once across crashes.

use spectask_core::{HistoryEntry, HistoryFile, Timestamp};
use spectask_git::{TaskHandle, coordination_log_path, progress_update_path, session_path};

/// The trailer naming every history seq a commit holds, as ranges: `1-40,42,45-50`.
pub(crate) const SEQS_TRAILER: &str = "History-Seqs";
/// The trailer naming the highest history seq a commit holds.
pub(crate) const MAX_SEQ_TRAILER: &str = "History-Seq";

const MARKER_START: &str = "<!-- spectask-history ";
const MARKER_END: &str = " -->";

/// The file on the design-docs branch an entry is appended to.
pub(crate) fn entry_path(task: &TaskHandle, entry: &HistoryEntry) -> String {
    match (entry.file, entry.work_session_id) {
        (HistoryFile::CoordinationLog, _) => coordination_log_path(task),
        (HistoryFile::ProgressUpdate, _) => {
            progress_update_path(task, &format!("{}.md", entry.created_at.format("%Y-%m-%d")))
        }
        (file, Some(session)) => session_path(task, &session.to_string(), file.file_name()),
        (file, None) => format!("sessions/{task}/{}", file.file_name()),
    }
}

/// The marker line, the content as it is, a newline if it had none, and a blank line.
pub(crate) fn entry_text(entry: &HistoryEntry) -> String {
    let mut text = format!(
        "{MARKER_START}seq={} at={} len={}{MARKER_END}\n{}",
        entry.seq,
        entry.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        entry.content.len(),
        entry.content
    );
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text
}

/// One entry read back from a history file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecordedEntry {
    pub seq: i64,
    pub at: Timestamp,
    pub content: String,
}

/// Every entry of a history file, in file order; text outside markers is skipped.
pub(crate) fn parse_entries(text: &str) -> Vec<RecordedEntry> {
    let mut entries = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(MARKER_START) {
        let after = &rest[start + MARKER_START.len()..];
        let Some((header, body)) = after.split_once(&format!("{MARKER_END}\n")) else { break };
        let field = |name: &str| {
            header.split(' ').find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
        };
        let parsed = (|| {
            let seq = field("seq")?.parse().ok()?;
            let at = chrono::DateTime::parse_from_rfc3339(field("at")?).ok()?.with_timezone(&chrono::Utc);
            let len: usize = field("len")?.parse().ok()?;
            Some((seq, at, body.get(..len)?.to_owned()))
        })();
        match parsed {
            Some((seq, at, content)) => {
                rest = &body[content.len()..];
                entries.push(RecordedEntry { seq, at, content });
            }
            None => rest = body,
        }
    }
    entries
}

/// `1-3,5,7-8` for `[1, 2, 3, 5, 7, 8]` (sorted, deduplicated first).
pub(crate) fn format_seqs(seqs: &[i64]) -> String {
    let mut sorted = seqs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    parts.join(",")
}

/// The seqs of a `History-Seqs` value; malformed parts are skipped.
pub(crate) fn parse_seqs(value: &str) -> Vec<i64> {
    let mut seqs = Vec::new();
    for part in value.split(',').map(str::trim) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<i64>(), b.parse::<i64>())
                    && b >= a
                    && b - a < 1_000_000
                {
                    seqs.extend(a..=b);
                }
            }
            None => seqs.extend(part.parse::<i64>().ok()),
        }
    }
    seqs
}

#[cfg(test)]
mod tests {
    use super::*;
    use spectask_core::{SpecTaskId, WorkSessionId};

    fn entry(seq: i64, file: HistoryFile, content: &str) -> HistoryEntry {
        HistoryEntry {
            seq,
            spec_task_id: id::<SpecTaskId>(1),
            work_session_id: Some(id::<WorkSessionId>(2)),
            file,
            content: content.to_owned(),
            created_at: chrono::DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
            committed_at: None,
            commit_id: None,
        }
    }

    fn id<T: std::str::FromStr>(n: u8) -> T
    where
        T::Err: std::fmt::Debug,
    {
        format!("00000000-0000-7000-8000-0000000000{n:02}").parse().unwrap()
    }

    #[test]
    fn seq_ranges_round_trip() {
        assert_eq!(format_seqs(&[5, 1, 2, 3, 8, 7, 3]), "1-3,5,7-8");
        assert_eq!(parse_seqs("1-3,5,7-8"), [1, 2, 3, 5, 7, 8]);
        assert_eq!(parse_seqs("x,4,9-2"), [4]);
        assert_eq!(format_seqs(&[]), "");
    }

    #[test]
    fn entries_read_back_exactly_whatever_their_content() {
        let contents =
            ["plain", "ends with newline\n", "", "## heading\n\n- item\n\n", "<!-- spectask-history x -->"];
        let text: String = contents
            .iter()
            .enumerate()
            .map(|(i, c)| entry_text(&entry(i as i64 + 10, HistoryFile::Conversation, c)))
            .collect();
        let back = parse_entries(&format!("# preamble\n\n{text}"));
        assert_eq!(back.iter().map(|e| e.content.as_str()).collect::<Vec<_>>(), contents);
        assert_eq!(back.iter().map(|e| e.seq).collect::<Vec<_>>(), [10, 11, 12, 13, 14]);
        assert_eq!(back[0].at.timestamp_millis(), 1_700_000_000_123);
    }

    #[test]
    fn entries_go_to_the_seed_layout() {
        let task = TaskHandle::new("7f3a0b1c-login").unwrap();
        let session = id::<WorkSessionId>(2);
        let code = entry(1, HistoryFile::CodeChanges, "x");
        assert_eq!(entry_path(&task, &code), format!("sessions/7f3a0b1c-login/{session}/code-changes.md"));
        let coordination = entry(1, HistoryFile::CoordinationLog, "x");
        assert_eq!(entry_path(&task, &coordination), "sessions/7f3a0b1c-login/coordination-log.md");
        let progress = entry(1, HistoryFile::ProgressUpdate, "x");
        assert_eq!(entry_path(&task, &progress), "sessions/7f3a0b1c-login/progress-updates/2023-11-14.md");
    }
}
