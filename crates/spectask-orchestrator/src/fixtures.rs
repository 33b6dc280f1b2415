//! Fixtures for the orchestrator's benchmarks, stress simulation and tests (feature `test-support`): a
//! registered repository, and spec tasks brought to review without planning.

use std::path::Path;

use serde_json::json;
use spectask_core::{
    NewSpecTask, Repository, RepositoryId, ReviewDecision, SpecDocuments, SpecTask, SpecTaskCommand, TaskKind,
};
use spectask_git::{RegisterOptions, Repo};
use spectask_store::{NewSpecReview, NewSpecVersion, Store};

/// What a fixture could not set up.
pub type FixtureError = Box<dyn std::error::Error + Send + Sync>;

/// `dir/app`: a new repository (one commit, a README) registered for spectask — its design-docs
/// branch and worktree made — and its row in `store`.
pub async fn registered_repository(store: &Store, dir: &Path) -> Result<(Repo, Repository), FixtureError> {
    let path = dir.join("app");
    spectask_git::init_repository(&path, &[("README.md", "app\n")], "init")?;
    let repo = Repo::register(&path, &RegisterOptions::default())?.repo;
    let repository = store
        .register_repository(repo.root(), repo.default_branch(), repo.design_docs_branch(), Some("local"))
        .await?;
    Ok((repo, repository))
}

/// A spec task implemented by the agent profile `agent`, waiting for review of its first spec
/// version, whose plan is `tasks` (planning is skipped).
pub async fn spec_task_in_review(
    store: &Store,
    repository: RepositoryId,
    title: &str,
    tasks: &str,
    agent: &str,
) -> Result<SpecTask, FixtureError> {
    let new = NewSpecTask {
        implementation_agent: Some(agent.to_owned()),
        ..NewSpecTask::new(TaskKind::Spec, repository, title, title, agent)
    };
    let task = store.create_spec_task(new).await?;
    let task = store.transition_spec_task(&task, &SpecTaskCommand::StartSpecGeneration).await?.value;
    let version = NewSpecVersion {
        documents: SpecDocuments {
            requirements: REQUIREMENTS.into(),
            design: DESIGN.into(),
            tasks: tasks.into(),
        },
        planner: agent.to_owned(),
        usage: json!([]),
        lint: vec![],
        questions: Vec::new(),
        consistency: Vec::new(),
    };
    Ok(store.submit_spec_version(&task, version).await?.0.value)
}

/// Approves the task's spec as `reviewer`.
pub async fn approve_spec(store: &Store, task: &SpecTask, reviewer: &str) -> Result<(), FixtureError> {
    let review = NewSpecReview {
        decision: ReviewDecision::Approve,
        comments: String::new(),
        line_comments: vec![],
        reviewer: reviewer.to_owned(),
    };
    store.review_spec(task, review).await?;
    Ok(())
}

const REQUIREMENTS: &str = "# Requirements Document\n\n## Introduction\n\nParts.\n\n## Requirements\n\n\
    ### Requirement 1: Parts\n\n**User Story:** As a user, I want parts, so that I can build them.\n\n\
    #### Acceptance Criteria\n\n1. WHEN a part is built, THE App SHALL write its file\n";
const DESIGN: &str = "# Design Document\n\n## Overview\n\nOne file per part.\n\n## Architecture\n\nFiles.\n";
