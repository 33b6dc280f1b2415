//! Forge issues taken up as SpecTasks: one by its URL (`POST /spec-tasks/import`), and, for a
//! repository with an `issue_label`, every open issue carrying it, read by each node's watcher
//! every `poll_seconds` of its forge. An issue becomes one task of each registered repository
//! however many nodes read it (the store's unique link, per registered repository: one user's
//! import into a clone of their own takes nothing from another's); the issue is told which task
//! took it up.

use spectask_core::{Complexity, NewSpecTask, Priority, Repository, SpecTask, TaskKind};
use spectask_forge::{Forge, ForgeClient, ForgeRepo, Issue};
use spectask_store::{NewTaskIssue, Store, StoreError};

/// How a task taken up from an issue is made.
#[derive(Debug, Clone, Default)]
pub struct TakeUp {
    pub kind: Option<TaskKind>,
    pub complexity: Option<Complexity>,
    pub priority: Option<Priority>,
    /// Whose task it is.
    pub created_by: String,
}

/// Makes a SpecTask of `issue` in `repository`, linked to it in the same write, and tells the
/// issue (a failure to tell it is logged: the task stands).
pub async fn take_up(
    store: &Store,
    forge: &Forge,
    client: &ForgeClient,
    repository: &Repository,
    forge_repo: &ForgeRepo,
    issue: &Issue,
    how: &TakeUp,
) -> Result<SpecTask, StoreError> {
    let new = NewSpecTask {
        title: issue.title.trim().to_owned(),
        prompt: format!("{}\n\n{}\n\nFrom {}", issue.title.trim(), issue.body.trim(), issue.url),
        kind: how.kind.unwrap_or_default(),
        complexity: how.complexity.unwrap_or_default(),
        repository_id: repository.id,
        planning_agent: None,
        implementation_agent: None,
        workflow: spectask_core::DEFAULT_WORKFLOW.to_owned(),
        workflow_base: spectask_core::DEFAULT_WORKFLOW.to_owned(),
        review_target: None,
        priority: how.priority.unwrap_or_default(),
        created_by: how.created_by.clone(),
    };
    let link = NewTaskIssue {
        forge: forge.name.clone(),
        repository: forge_repo.to_string(),
        number: issue.number,
        url: issue.url.clone(),
        title: issue.title.clone(),
    };
    let task = store.create_spec_task_from_issue(new, &link).await?;
    let said = format!("spectask took this up as task `{}`.", task.handle());
    if let Err(err) = client.comment_on_issue(forge_repo, issue.number, &said).await {
        tracing::warn!(task = %task.id, %err, "cannot comment on the issue a task was taken up from");
    }
    Ok(task)
}

/// Takes up the open issues carrying each repository's `issue_label` on `forge`, those not taken
/// up yet, as tasks of the repository's owner.
pub(crate) async fn sync_labelled(store: &Store, forge: &Forge) -> Result<usize, String> {
    let repositories = store.list_repositories().await.map_err(|e| e.to_string())?;
    let mut made = 0;
    for repository in repositories {
        let (Some(label), Some(url)) = (repository.issue_label.as_deref(), repository.remote_url.as_deref())
        else {
            continue;
        };
        let Some((host, forge_repo)) = spectask_forge::parse_remote(url) else { continue };
        // Only the repositories the connection serves (its `repositories`).
        if host != forge.host || !forge.serves(&forge_repo) {
            continue;
        }
        let client = ForgeClient::new(forge);
        let issues = client.labelled_issues(&forge_repo, label).await.map_err(|e| e.to_string())?;
        for issue in issues {
            let repo = forge_repo.to_string();
            let taken = store.issue_taken_up(repository.id, &forge.name, &repo, issue.number).await;
            if taken.map_err(|e| e.to_string())? {
                continue;
            }
            let how = TakeUp {
                created_by: repository.owner.clone().unwrap_or_else(|| "forge".to_owned()),
                ..TakeUp::default()
            };
            match take_up(store, forge, &client, &repository, &forge_repo, &issue, &how).await {
                Ok(task) => {
                    made += 1;
                    tracing::info!(task = %task.id, issue = issue.number, "took up a labelled issue");
                }
                // Another node took it up first (the link is unique).
                Err(StoreError::Taken(_)) => {}
                Err(err) => return Err(err.to_string()),
            }
        }
    }
    Ok(made)
}
