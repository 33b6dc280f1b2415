//! Every shape of coordination data the log has held reads back typed, and writes back as it was.

use serde_json::{Value, json};

use super::*;
use crate::ids::SpecTaskId;

fn event(kind: CoordinationKind, data: Value) -> CoordinationEvent {
    CoordinationEvent {
        spec_task_id: SpecTaskId::from_uuid(uuid::Uuid::nil()),
        seq: 1,
        kind,
        from_session: None,
        to_session: None,
        message: String::new(),
        data,
        at: chrono::DateTime::UNIX_EPOCH,
    }
}

fn of(kind: CoordinationKind, data: Value) -> Option<CoordinationData> {
    CoordinationData::of(&event(kind, data))
}

/// Every shape written today, by kind: each reads, and writes back byte for byte.
#[test]
fn every_stored_shape_reads_and_writes_back() {
    use CoordinationKind::*;
    let shapes = [
        (Handoff, json!({ "step": "commit", "session": "0191c1d2-0000-7000-8000-000000000001" })),
        (Handoff, json!({ "step": "set_aside", "node": "a", "ref": "refs/spectask/aside/x" })),
        (Handoff, json!({ "step": "push_held", "node": "a", "tip": "0123abcd" })),
        (Handoff, json!({ "step": "held_only_here", "node": "b", "tip": "0123abcd" })),
        (Handoff, json!({ "step": "integrate", "commit": "0123abcd" })),
        (Handoff, json!({ "step": "merge" })),
        (Handoff, json!({ "step": "forge_wait" })),
        (Handoff, json!({ "step": "pull_request", "number": 7, "url": "https://f.example/o/r/pull/7" })),
        (Handoff, json!({ "step": "pull_request", "number": 7, "state": "merged" })),
        (Handoff, json!({ "step": "pull_request", "number": 7, "state": "closed" })),
        (Handoff, json!({ "step": "pull_request", "number": 7, "checks": ["ci/test", "lint"] })),
        (
            Handoff,
            json!({
                "step": "pull_request", "number": 7, "fix": true,
                "answers": { "reviewers": ["bob"], "checks": ["ci/test"] },
            }),
        ),
        (Handoff, json!({ "step": "pull_request", "number": 7, "merge": "squash", "waiting": "bob asked" })),
        (Handoff, json!({ "step": "pull_request", "number": 7, "merge": "rebase" })),
        (Handoff, json!({ "text": "take 2.1", "from": "api", "to": "ui" })),
        (Handoff, json!({ "branch": "spectask/abc12345-login" })),
        (Converge, json!({ "round": 1, "tasks": ["4 Add the list", "5 Page it"], "spec_version": 3 })),
        (Converge, json!({ "converged": true, "rounds": 2, "spec_version": 4 })),
        (Converge, json!({ "rounds_used": 3, "gaps": ["R2.1 is not built"], "spec_version": 5 })),
        (SessionBlocked, json!({ "reported_by": "agent", "session": "ui", "on": "api", "reason": "" })),
        (SessionBlocked, json!({ "reported_by": "agent", "session": "ui", "on": null, "reason": "no key" })),
        (SessionBlocked, json!({ "session": "4 Four", "plan_task": "4" })),
        (SessionBlocked, json!({ "session": "review fixes", "plan_task": null })),
        (Message, json!({ "text": "the API is ready", "from": "api", "to": null })),
        (Message, json!({ "text": "use /v2", "from": "api", "to": "ui" })),
        (ReviewDecision, json!({ "decision": "approve", "comments": "", "reviewer": "alice" })),
        (ReviewDecision, json!({ "step": "summarize", "round": 2, "summary": "# Task\n" })),
    ];
    for (kind, data) in shapes {
        let read = of(kind, data.clone()).unwrap_or_else(|| panic!("{kind:?} {data} reads"));
        assert_eq!(read.data(), data, "{kind:?}");
        assert_eq!(read.data().to_string(), data.to_string(), "{kind:?}: stored as it was");
    }
}

/// Shapes only earlier builds wrote: they read, and mean what they meant.
#[test]
fn shapes_of_earlier_builds_read() {
    let push = json!({ "step": "push", "branch": "spectask/x", "error": "refused" });
    assert!(matches!(
        HandoffData::of(&event(CoordinationKind::Handoff, push)),
        Some(HandoffData::Step(HandoffStep::Push { .. }))
    ));
    let conflicts = json!({ "step": "integrate", "conflicts": ["a.txt"] });
    assert!(matches!(
        HandoffData::of(&event(CoordinationKind::Handoff, conflicts)),
        Some(HandoffData::Step(HandoffStep::Integrate(Integrated::Conflicts { .. })))
    ));
    // A fix pushed before the decision said what it answers.
    let fix = json!({ "step": "pull_request", "number": 7, "fix": true });
    let read = HandoffData::of(&event(CoordinationKind::Handoff, fix.clone())).unwrap();
    assert_eq!(read.pull_request().and_then(PullRequestHandoff::fix), Some(FixAnswers::default()));
    assert_eq!(read.data(), fix);
}

#[test]
fn reads_what_each_reader_asks() {
    let handoff = |data| HandoffData::of(&event(CoordinationKind::Handoff, data));
    assert_eq!(handoff(json!({ "step": "merge" })), Some(HandoffData::Step(HandoffStep::Merge)));
    let fix = handoff(json!({
        "step": "pull_request", "number": 7, "fix": true, "answers": { "reviewers": ["bob"], "checks": [] },
    }))
    .unwrap();
    let answers = fix.pull_request().and_then(PullRequestHandoff::fix).unwrap();
    assert_eq!(answers.reviewers, ["bob"]);
    let opened = handoff(json!({ "step": "pull_request", "number": 7, "url": "u" })).unwrap();
    assert_eq!(opened.pull_request().map(|p| p.number), Some(7));
    assert_eq!(opened.pull_request().and_then(PullRequestHandoff::fix), None);
    // Typed by its kind: a hand-off's shape in another kind's entry is not a hand-off.
    assert_eq!(HandoffData::of(&event(CoordinationKind::Message, json!({ "step": "merge" }))), None);
    assert_eq!(handoff(json!({ "step": "shrug" })), None);
    assert_eq!(handoff(json!({ "step": "shrug", "branch": "b" })), None);

    let blocked = |data| BlockedData::of(&event(CoordinationKind::SessionBlocked, data));
    let reported = json!({ "reported_by": "agent", "session": "ui", "on": null, "reason": "x" });
    assert!(blocked(reported).unwrap().by_agent());
    assert!(!blocked(json!({ "session": "4 Four", "plan_task": "4" })).unwrap().by_agent());

    let converge = |data| ConvergeData::of(&event(CoordinationKind::Converge, data));
    assert!(matches!(
        converge(json!({ "converged": true, "rounds": 0, "spec_version": 1 })),
        Some(ConvergeData::Converged { converged: true, .. })
    ));
    assert_eq!(converge(json!({ "round": "one" })), None);
    assert_eq!(of(CoordinationKind::SessionStarted, json!({ "session": "a", "plan_task": "1" })), None);
}
