//! `spectask demo`: the offline demo on the bundled sample repositories, on the embedded defaults
//! (SQLite, no credentials, no network): one SpecTask per sample, each planned and implemented by
//! its sample's scripted agents, which `agents` writes into the demo's data directory.

mod agents;

use std::path::PathBuf;
use std::process::ExitCode;

use spectask_core::{NewSpecTask, Priority, TaskKind};
use spectask_demo::{ASKING_SAMPLE, Pace, SAMPLES, Sample};
use spectask_sandbox::find_on_path;
use spectask_store::{DatabaseUrl, SettingsChange, SpecTaskFilter, Store};

use crate::cli::DemoArgs;
use crate::output::outln;
use crate::serve::{default_data_dir, init_logging, open_store, serve_until_signal};

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    init_logging("warn");
    let pace = args.pace;
    let data_dir = match args.data_dir {
        Some(dir) => std::path::absolute(dir)?,
        None => default_data_dir()?.join("demo"),
    };
    let repos_dir = data_dir.join("repos");
    agents::install(&data_dir, args.pace)?;
    let store = open_store(&DatabaseUrl::sqlite_in(&data_dir)).await?;
    for sample in &SAMPLES {
        seed(&store, sample, &repos_dir).await?;
    }

    let config = crate::config::load(None, &data_dir)?;
    serve_until_signal(store, args.addr, None, Some(repos_dir.clone()), config, |addr| {
        outln!()?;
        outln!("spectask demo")?;
        outln!("  data                 {}", data_dir.display())?;
        outln!("  sample repositories  {}", repos_dir.display())?;
        outln!("  dashboard            http://{addr}/")?;
        outln!("  API                  http://{addr}/api/v1/health")?;
        let server = if addr.to_string() == "127.0.0.1:7070" {
            String::new()
        } else {
            format!(" --server http://{addr}")
        };
        outln!()?;
        outln!(
            "One task per sample repository is being planned (a review sample's: its branch reviewed) by \
             scripted agents (offline, no credentials)."
        )?;
        outln!("{}", pace_note(pace))?;
        for sample in &SAMPLES {
            let check = match (sample.tests, sample.check_command(installed)) {
                (Some(_), Some(check)) => format!(" (checked by its tests: {check})"),
                (Some(tests), None) => {
                    format!(" (its tests `{tests}` are not run: not installed outside a shims directory)")
                }
                (None, _) => String::new(),
            };
            outln!("  {:<18} {}{check}", sample.name, sample.prompt.lines().next().unwrap_or_default())?;
        }
        outln!("Open the dashboard in a browser, or follow them from a terminal:")?;
        outln!("  spectask task{server} list                 # see them reach spec_review")?;
        outln!("  spectask task{server} spec <id>            # read requirements, design and tasks")?;
        outln!("  spectask task{server} approve <id>         # agents implement the plan in parallel")?;
        outln!("  spectask task{server} watch <id>           # follow the sessions live")?;
        outln!("  spectask task{server} sessions <id>        # the session tree")?;
        outln!(
            "  spectask task{server} approve <id>         # approve the implementation: merged into main"
        )?;
        outln!("Agents and their scripts: {}", data_dir.join("config.toml").display())?;
        outln!("Ctrl-C stops the demo; run it again to continue where you left off.")
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Creates the sample's repository, registers it with its tests as its check (when their toolchain
/// is installed and no check is set) and creates its demo task, once (a review sample's on its
/// branch).
async fn seed(store: &Store, sample: &'static Sample, repos_dir: &std::path::Path) -> anyhow::Result<()> {
    let dir = repos_dir.to_owned();
    let info = tokio::task::spawn_blocking(move || sample.create_repository(&dir)).await??;
    let mut repository = store
        .register_repository(&info.root, &info.default_branch, "helix-design-docs", Some("local"))
        .await?;
    if repository.check_command.is_none()
        && let Some(check) = sample.check_command(installed)
    {
        let change = SettingsChange { check_command: Some(Some(check)), ..SettingsChange::default() };
        repository = store.change_repository_settings(repository.id, "local", &change).await?;
    }
    let existing = store
        .list_spec_tasks(&SpecTaskFilter {
            repository_id: Some(repository.id),
            limit: 1,
            ..Default::default()
        })
        .await?;
    if existing.total == 0 {
        store
            .create_spec_task(NewSpecTask {
                planning_agent: Some(sample.planner_profile()),
                implementation_agent: Some(sample.coder_profile()),
                priority: Priority::High,
                workflow: sample.workflow.name().to_owned(),
                workflow_base: sample.workflow.name().to_owned(),
                review_target: sample.review_branch.as_ref().map(|b| b.name.to_owned()),
                ..NewSpecTask::new(
                    TaskKind::Spec,
                    repository.id,
                    spectask_core::derive_title(sample.prompt),
                    sample.prompt,
                    "demo",
                )
            })
            .await?;
    }
    Ok(())
}

/// What the agents' pace means for the person following them.
fn pace_note(pace: Pace) -> String {
    match pace {
        Pace::Fast => "They work as fast as they can (--pace fast): the tour is over in seconds.".to_owned(),
        _ => format!(
            "They work at a pace you can follow (--pace fast skips the waits). The {ASKING_SAMPLE} coder asks \
             before it edits: answer it on its session's page. The agents follow a fixed script whatever \
             the prompt or review says."
        ),
    }
}

/// Where `program` is installed for the agents: the first on PATH that is not a version manager's
/// shim (a `shims` directory: pyenv, rbenv, asdf), as a shim runs its manager from a directory the
/// agents' sandbox does not open. The check names it by that path, since the sandbox's PATH would
/// find the shim first.
fn installed(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir.file_name().is_none_or(|name| name != "shims"))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.to_str().is_some_and(|c| find_on_path(c, None).is_some()))
}
