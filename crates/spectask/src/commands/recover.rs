//! `spectask recover --repo PATH`: rebuild an empty database from a design-docs branch.

use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::json;
use spectask_store::DatabaseUrl;

use crate::cli::RecoverArgs;
use crate::output::outln;
use crate::serve::{default_data_dir, open_store};

pub async fn run(args: RecoverArgs) -> anyhow::Result<ExitCode> {
    let url = match (&args.database_url, args.data_dir) {
        (Some(url), _) => DatabaseUrl::parse(url)?,
        (None, Some(dir)) => DatabaseUrl::sqlite_in(&dir),
        (None, None) => DatabaseUrl::sqlite_in(&default_data_dir()?),
    };
    let repo = args.repo.canonicalize().with_context(|| format!("cannot resolve {}", args.repo.display()))?;
    let store = open_store(&url).await?;
    if !store.is_empty().await? {
        store.close().await;
        bail!("the database {} is not empty; recover only into an empty database", url.display());
    }
    let report = spectask_orchestrator::recover(&store, &repo)
        .await
        .map_err(|e| anyhow::anyhow!("cannot recover from {}: {e}", repo.display()))?;
    store.close().await;
    if args.json {
        let answer = json!({
            "repository": report.repository,
            "tasks": report.tasks,
            "spec_versions": report.spec_versions,
            "reviews": report.reviews,
            "work_sessions": report.work_sessions,
            "coordination_events": report.coordination_events,
            "history_entries": report.history_entries,
        });
        outln!("{}", serde_json::to_string_pretty(&answer)?)?;
    } else {
        outln!(
            "recovered {} tasks ({} spec versions, {} reviews, {} work sessions, {} coordination events, \
             {} history entries) from {} into {}",
            report.tasks.len(),
            report.spec_versions,
            report.reviews,
            report.work_sessions,
            report.coordination_events,
            report.history_entries,
            report.repository.display(),
            url.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
