//! How a permission answer reads in a session's `decisions.md`: what was asked, the answer with
//! the option's own name, who gave it, and the tool call's id to find it in the transcript.

use spectask_agent::events::{DecidedBy, Decision, PermissionChoice};

/// One line, e.g. `- Write src/a.js: allowed (Allow once) by a person [tool call toolu_1]`.
/// `asked` names the tool call; `options` are the choices the agent offered, if known.
pub(crate) fn decision_line(
    asked: &str,
    tool_call_id: &str,
    decision: &Decision,
    options: &[PermissionChoice],
    by: DecidedBy,
) -> String {
    let name = |option_id: &str| {
        options.iter().find(|o| o.option_id == option_id).map_or(option_id.to_owned(), |o| o.name.clone())
    };
    let answer = match decision {
        Decision::Allowed { option_id } => format!("allowed ({})", name(option_id)),
        Decision::Rejected { option_id } => format!("refused ({})", name(option_id)),
        Decision::Cancelled => "not answered, the turn was cancelled".to_owned(),
    };
    let by = match by {
        DecidedBy::Policy => "by the permission policy",
        DecidedBy::User => "by a person",
        DecidedBy::Editor => "by a person in the editor",
        DecidedBy::SessionCancelled => "as the session was cancelled",
    };
    let asked = if asked.trim().is_empty() { "a tool call" } else { asked.trim() };
    format!("- {asked}: {answer} {by} [tool call {tool_call_id}]\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(id: &str, name: &str) -> PermissionChoice {
        PermissionChoice { option_id: id.to_owned(), name: name.to_owned(), kind: "allow_once".to_owned() }
    }

    #[test]
    fn an_answer_reads_as_what_was_asked_the_options_name_and_who() {
        let allow = Decision::Allowed { option_id: "allow".to_owned() };
        let line = decision_line(
            "Write src/a.js",
            "toolu_1",
            &allow,
            &[choice("allow", "Allow once")],
            DecidedBy::User,
        );
        assert_eq!(line, "- Write src/a.js: allowed (Allow once) by a person [tool call toolu_1]\n");
        let reject = Decision::Rejected { option_id: "no".to_owned() };
        let line = decision_line("", "t2", &reject, &[], DecidedBy::Policy);
        assert_eq!(line, "- a tool call: refused (no) by the permission policy [tool call t2]\n");
        let line = decision_line("Run `ls`", "t3", &Decision::Cancelled, &[], DecidedBy::SessionCancelled);
        assert_eq!(
            line,
            "- Run `ls`: not answered, the turn was cancelled as the session was cancelled [tool call t3]\n"
        );
    }
}
