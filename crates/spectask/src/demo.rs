//! `spectask demo`: the offline demo on a bundled sample repository, on the embedded defaults
//! (SQLite, no credentials, no network).

use std::path::Path;
use std::process::ExitCode;

use spectask_core::{NewSpecTask, Priority, TaskKind};
use spectask_store::{DatabaseUrl, SpecTaskFilter, Store};

use crate::cli::DemoArgs;
use crate::output::outln;
use crate::serve::{default_data_dir, init_logging, open_store, serve_until_signal};

/// The sample repository, compiled into the binary.
const NODEJS_TODO: &[(&str, &str)] = &[
    ("README.md", include_str!("../demo/nodejs-todo/README.md")),
    ("package.json", include_str!("../demo/nodejs-todo/package.json")),
    ("src/server.js", include_str!("../demo/nodejs-todo/src/server.js")),
    ("src/todos.js", include_str!("../demo/nodejs-todo/src/todos.js")),
    ("test/todos.test.js", include_str!("../demo/nodejs-todo/test/todos.test.js")),
];

const SAMPLE_PROMPT: &str = "Add user authentication with JWT\n\n\
    Users register and log in with an email and a password; todo routes require a valid token.";

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    init_logging("warn");
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?.join("demo"),
    };
    let repo_path = data_dir.join("repos/nodejs-todo");
    let sample = repo_path.clone();
    let info = tokio::task::spawn_blocking(move || {
        spectask_git::init_repository(&sample, NODEJS_TODO, "nodejs-todo: a small Express todo service")
    })
    .await??;
    crate::demo_agents::install(&data_dir)?;
    let store = open_store(&DatabaseUrl::sqlite_in(&data_dir)).await?;
    seed(&store, &info.root, &info.default_branch).await?;

    let config = crate::config::load(None, &data_dir)?;
    serve_until_signal(store, args.addr, None, config, |addr| {
        outln!()?;
        outln!("spectask demo")?;
        outln!("  data               {}", data_dir.display())?;
        outln!("  sample repository  {}", repo_path.display())?;
        outln!("  dashboard          http://{addr}/")?;
        outln!("  API                http://{addr}/api/v1/health")?;
        let server = if addr.to_string() == "127.0.0.1:7070" {
            String::new()
        } else {
            format!(" --server http://{addr}")
        };
        outln!()?;
        outln!("The sample task is being planned by a scripted agent (offline, no credentials).")?;
        outln!("Open the dashboard in a browser, or follow it from a terminal:")?;
        outln!("  spectask task{server} list                 # see it reach spec_review")?;
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

/// Registers the sample repository and creates the sample task once.
async fn seed(store: &Store, root: &Path, default_branch: &str) -> anyhow::Result<()> {
    let repository = store.register_repository(root, default_branch, "helix-design-docs").await?;
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
                priority: Priority::High,
                ..NewSpecTask::new(
                    TaskKind::Spec,
                    repository.id,
                    spectask_core::derive_title(SAMPLE_PROMPT),
                    SAMPLE_PROMPT,
                    "demo",
                )
            })
            .await?;
    }
    Ok(())
}
