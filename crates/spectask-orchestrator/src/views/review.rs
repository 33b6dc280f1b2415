//! The implementation review: the task branch's commits with what each implements, each
//! acceptance criterion with the plan tasks, sessions and commits implementing it (from the
//! approved spec, the sessions and the commits' trailers), each session's commits and check
//! results (its `work_session.check` events), a bugfix's reproduction (its test failing before the
//! fix, the check passing after), and the summary for review. The branch's diff is read from git
//! by the caller.

use spectask_core::events::payload::WorkSessionCheck;
use spectask_core::{EventKind, SpecTask, Timestamp, WorkSession, WorkSessionId, WorkSessionStatus};
use spectask_git::CommitInfo;
use spectask_spec::{Plan, parse_requirements};
use spectask_store::{Store, StoreError};

/// What the implementation review shows, the diff aside.
#[derive(Clone, Debug, PartialEq)]
pub struct ImplementationReview {
    pub commits: Vec<ReviewCommit>,
    pub criteria: Vec<CriterionReview>,
    pub sessions: Vec<SessionReview>,
    /// A bugfix's evidence, once its reproduction test failed (see `drive/reproduction.rs`).
    pub reproduction: Option<Reproduction>,
    pub summary: String,
}

/// A bugfix's reproduction test failing before the fix, and the check passing after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reproduction {
    /// The last check that failed on the reproduction test, and its session.
    pub before: (WorkSessionId, CheckResult),
    /// The last check that passed after it (on the fix), and its session; none while the bug is
    /// not fixed yet.
    pub after: Option<(WorkSessionId, CheckResult)>,
}

/// A commit of the task branch.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewCommit {
    pub id: String,
    /// The message's first line.
    pub subject: String,
    pub message: String,
    pub trailers: Vec<(String, String)>,
    /// The session that made it (its `Work-Session` trailer), when it is one of the task's.
    pub work_session_id: Option<WorkSessionId>,
    /// What its `Implements` trailer names: criteria or requirements.
    pub implements: Vec<String>,
}

/// An acceptance criterion and what implements it.
#[derive(Clone, Debug, PartialEq)]
pub struct CriterionReview {
    pub id: String,
    pub requirement_id: String,
    pub requirement_title: Option<String>,
    pub text: String,
    /// The plan tasks naming it or its requirement.
    pub plan_tasks: Vec<ReviewPlanTask>,
    /// The sessions on those plan tasks.
    pub work_session_ids: Vec<WorkSessionId>,
    /// The commits implementing it: named in `Implements`, or made by one of those sessions.
    pub commits: Vec<String>,
}

/// A plan task as the review names it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewPlanTask {
    pub index: usize,
    pub id: Option<String>,
    pub title: String,
}

/// A session, its commits and its check results.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionReview {
    pub id: WorkSessionId,
    pub name: String,
    pub status: WorkSessionStatus,
    pub plan_task_index: Option<u32>,
    /// What the agent said it did, when it said anything.
    pub summary: Option<String>,
    pub commits: Vec<String>,
    pub checks: Vec<CheckResult>,
}

/// One run of the repository's check on a session's work.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckResult {
    pub at: Timestamp,
    pub check: WorkSessionCheck,
}

/// The review of `task`, whose branch has `commits` (none when it has no branch yet).
pub async fn implementation_review(
    store: &Store,
    task: &SpecTask,
    commits: &[CommitInfo],
) -> Result<ImplementationReview, StoreError> {
    let sessions = store.work_sessions_of(task.id).await?;
    let checks = store.events_of_spec_task_kind(task.id, EventKind::WorkSessionCheck).await?;
    let checks: Vec<(Option<WorkSessionId>, CheckResult)> = checks
        .iter()
        .filter_map(|e| Some((e.work_session_id, CheckResult { at: e.at, check: e.payload_as()? })))
        .collect();
    let commits: Vec<ReviewCommit> = commits.iter().map(|c| review_commit(c, &sessions)).collect();
    let mut details = store.work_session_details(task.id).await?;
    let session_reviews = sessions
        .iter()
        .map(|session| {
            let summary = details.remove(&session.id).and_then(|(_, s)| s).filter(|s| !s.trim().is_empty());
            session_review(session, summary, &commits, &checks)
        })
        .collect();
    let criteria = match task.spec_version {
        0 => Vec::new(),
        version => {
            let spec = store.spec_version(task.id, Some(version)).await?.documents;
            criteria(task, (&spec.requirements, &spec.tasks), &sessions, &commits)
        }
    };
    let reproduction = reproduction(&checks);
    let summary = crate::views::summary::implementation_summary(store, task).await?;
    Ok(ImplementationReview { commits, criteria, sessions: session_reviews, reproduction, summary })
}

/// The reproduction among the task's checks, in the order they ran.
fn reproduction(checks: &[(Option<WorkSessionId>, CheckResult)]) -> Option<Reproduction> {
    let session_check =
        |(session, check): &(Option<WorkSessionId>, CheckResult)| Some((((*session)?), check.clone()));
    let at = checks.iter().rposition(|(_, c)| c.check.expects_failure && c.check.outcome == "reproduced")?;
    let before = session_check(&checks[at])?;
    let after = checks[at + 1..]
        .iter()
        .rev()
        .find(|(_, c)| !c.check.expects_failure && c.check.passed)
        .and_then(session_check);
    Some(Reproduction { before, after })
}

fn trailer<'a>(commit: &'a CommitInfo, key: &str) -> Option<&'a str> {
    commit.trailers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn review_commit(commit: &CommitInfo, sessions: &[WorkSession]) -> ReviewCommit {
    let work_session_id = trailer(commit, "Work-Session")
        .and_then(|v| v.parse::<WorkSessionId>().ok())
        .filter(|id| sessions.iter().any(|s| s.id == *id));
    let implements = trailer(commit, "Implements")
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    ReviewCommit {
        id: commit.id.to_string(),
        subject: commit.message.lines().next().unwrap_or_default().to_owned(),
        message: commit.message.clone(),
        trailers: commit.trailers.clone(),
        work_session_id,
        implements,
    }
}

fn session_review(
    session: &WorkSession,
    summary: Option<String>,
    commits: &[ReviewCommit],
    checks: &[(Option<WorkSessionId>, CheckResult)],
) -> SessionReview {
    SessionReview {
        id: session.id,
        name: session.name.clone(),
        status: session.status(),
        plan_task_index: session.plan_task.as_ref().map(|p| p.index),
        summary,
        commits: commits
            .iter()
            .filter(|c| c.work_session_id == Some(session.id))
            .map(|c| c.id.clone())
            .collect(),
        checks: checks.iter().filter(|(s, _)| *s == Some(session.id)).map(|(_, c)| c.clone()).collect(),
    }
}

/// Each acceptance criterion with the plan tasks naming it (or its requirement), their sessions
/// (a simple task's one session for the whole plan implements every plan task), and the commits
/// implementing it: named in `Implements`, or made by one of those sessions.
fn criteria(
    task: &SpecTask,
    (requirements, tasks): (&str, &str),
    sessions: &[WorkSession],
    commits: &[ReviewCommit],
) -> Vec<CriterionReview> {
    let plan = Plan::parse(tasks);
    let mut out = Vec::new();
    for requirement in parse_requirements(requirements).requirements {
        for criterion in &requirement.criteria {
            let names = |id: &String| *id == criterion.id || *id == requirement.id;
            let plan_tasks: Vec<ReviewPlanTask> = plan
                .tasks()
                .iter()
                .filter(|t| t.requirements.iter().any(names))
                .map(|t| ReviewPlanTask { index: t.index, id: t.id.clone(), title: t.title.clone() })
                .collect();
            let work_session_ids: Vec<WorkSessionId> = sessions
                .iter()
                .filter(|s| match &s.plan_task {
                    Some(p) => plan_tasks.iter().any(|t| t.index == p.index as usize),
                    // A simple task's whole-plan session: on the plan tasks no session has as its
                    // own (a converge round's have).
                    None => {
                        task.is_whole_plan_session(s)
                            && plan_tasks.iter().any(|t| {
                                !sessions.iter().any(|o| {
                                    o.plan_task.as_ref().is_some_and(|p| p.index as usize == t.index)
                                })
                            })
                    }
                })
                .map(|s| s.id)
                .collect();
            let commits = commits
                .iter()
                .filter(|c| {
                    c.implements.iter().any(names)
                        || c.work_session_id.is_some_and(|s| work_session_ids.contains(&s))
                })
                .map(|c| c.id.clone())
                .collect();
            out.push(CriterionReview {
                id: criterion.id.clone(),
                requirement_id: requirement.id.clone(),
                requirement_title: requirement.title.clone(),
                text: criterion.text.clone(),
                plan_tasks,
                work_session_ids,
                commits,
            });
        }
    }
    out
}
