//! The demo's agents: scripted ACP agents that plan (writing a bundled spec) and implement (writing
//! bundled code), generated as scripts and a config file in the demo's data directory.

use std::path::Path;

use anyhow::Context;
use toml::{Table, Value};

const REQUIREMENTS: &str = include_str!("../demo/planner/requirements.md");
const DESIGN: &str = include_str!("../demo/planner/design.md");
const TASKS: &str = include_str!("../demo/planner/tasks.md");

const USERS: &str = include_str!("../demo/coder/users.js");
const TOKENS: &str = include_str!("../demo/coder/tokens.js");
const ROUTES: &str = include_str!("../demo/coder/routes.js");
const MIDDLEWARE: &str = include_str!("../demo/coder/middleware.js");
/// The sample app's server as the demo repository starts with it.
const SERVER: &str = include_str!("../demo/nodejs-todo/src/server.js");

/// The sample app's server once the auth routes are wired in.
const SERVER_WITH_AUTH: &str = "const express = require('express');\n\
const todos = require('./todos');\n\
const auth = require('./auth/routes');\n\
const requireToken = require('./auth/middleware');\n\n\
const app = express();\napp.use(express.json());\napp.use('/auth', auth);\napp.use('/todos', requireToken);\n\n\
app.get('/todos', (req, res) => res.json(todos.list().filter((t) => t.userId === req.userId)));\n\n\
app.post('/todos', (req, res) => {\n  try {\n    const todo = todos.create(req.body.title);\n    todo.userId = req.userId;\n    res.status(201).json(todo);\n  } catch (err) {\n    res.status(400).json({ error: err.message });\n  }\n});\n\n\
if (require.main === module) {\n  app.listen(process.env.PORT || 3000);\n}\n\nmodule.exports = app;\n";

/// Writes the scripts (always: they follow the binary) and the config (only when absent, so a
/// person's edits stay).
pub fn install(data_dir: &Path) -> anyhow::Result<()> {
    let dir = data_dir.join("agents");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let planner = dir.join("planner.toml");
    let coder = dir.join("coder.toml");
    write(&planner, &planner_script())?;
    write(&coder, &coder_script())?;
    let config = data_dir.join("config.toml");
    if !config.exists() {
        let agent = |script: &Path| {
            let mut t = Table::new();
            t.insert("kind".into(), "acp".into());
            t.insert("command".into(), "spectask".into());
            let args = [
                "agent",
                "scripted",
                "--script",
                &script.display().to_string(),
                "--state-dir",
                &dir.join("state").display().to_string(),
            ]
            .map(|a| Value::String(a.to_owned()));
            t.insert("args".into(), Value::Array(args.to_vec()));
            // The agents run sandboxed: their session store is the one path they write outside
            // the worktree.
            let state = Value::String(dir.join("state").display().to_string());
            t.insert("sandbox_write".into(), Value::Array(vec![state]));
            Value::Table(t)
        };
        let mut agents = Table::new();
        agents.insert("demo-planner".into(), agent(&planner));
        agents.insert("demo-coder".into(), agent(&coder));
        let mut orchestrator = Table::new();
        orchestrator.insert("default_planning_agent".into(), "demo-planner".into());
        orchestrator.insert("default_implementation_agent".into(), "demo-coder".into());
        let mut root = Table::new();
        root.insert("agents".into(), Value::Table(agents));
        root.insert("orchestrator".into(), Value::Table(orchestrator));
        let text = format!(
            "# spectask demo configuration (edit freely; it is not rewritten)\n\n{}",
            toml::to_string(&root)?
        );
        write(&config, &text)?;
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn rule(pattern: &str, steps: Vec<Value>) -> Value {
    let mut t = Table::new();
    t.insert("match".into(), pattern.into());
    t.insert("steps".into(), Value::Array(steps));
    Value::Table(t)
}

fn write_file(path: &str, content: &str) -> Value {
    let mut file = Table::new();
    file.insert("path".into(), path.into());
    file.insert("content".into(), content.into());
    let mut step = Table::new();
    step.insert("write_file".into(), Value::Table(file));
    Value::Table(step)
}

/// What a coding agent reports before writing a file: an `edit` tool call carrying the diff
/// (`old: None` for a new file), which the history shows in `code-changes.md`; then the write.
fn edit_file(path: &str, old: Option<&str>, new: &str) -> Vec<Value> {
    let mut call = Table::new();
    call.insert("id".into(), format!("edit {path}").into());
    call.insert("title".into(), format!("Edit {path}").into());
    call.insert("path".into(), path.into());
    if let Some(old) = old {
        call.insert("old_text".into(), old.into());
    }
    call.insert("new_text".into(), new.into());
    let mut step = Table::new();
    step.insert("tool_call".into(), Value::Table(call));
    vec![Value::Table(step), write_file(path, new)]
}

fn message(text: &str) -> Value {
    let mut step = Table::new();
    step.insert("message".into(), text.into());
    Value::Table(step)
}

fn plan(entries: &[(&str, &str)]) -> Value {
    let items = entries
        .iter()
        .map(|(content, status)| {
            let mut e = Table::new();
            e.insert("content".into(), (*content).into());
            e.insert("status".into(), (*status).into());
            Value::Table(e)
        })
        .collect();
    let mut step = Table::new();
    step.insert("plan".into(), Value::Array(items));
    Value::Table(step)
}

/// Asks the person for permission to run a command (answered by the profile's policy: `auto`
/// allows it; with `permission_policy = "ask"` it waits in the dashboard's session view).
fn permission(title: &str) -> Value {
    let mut request = Table::new();
    request.insert("title".into(), title.into());
    let mut step = Table::new();
    step.insert("permission".into(), Value::Table(request));
    Value::Table(step)
}

fn sleep(ms: i64) -> Value {
    let mut step = Table::new();
    step.insert("sleep".into(), ms.into());
    Value::Table(step)
}

fn script(rules: Vec<Value>) -> String {
    let mut root = Table::new();
    root.insert("rule".into(), Value::Array(rules));
    toml::to_string(&root).unwrap_or_default()
}

fn spec_steps(introduction_note: &str) -> Vec<Value> {
    let requirements = REQUIREMENTS.replace("## Glossary", &format!("{introduction_note}## Glossary"));
    vec![
        sleep(600),
        write_file(".spectask/spec/requirements.md", &requirements),
        write_file(".spectask/spec/design.md", DESIGN),
        write_file(".spectask/spec/tasks.md", TASKS),
        message("The spec is written to .spectask/spec/."),
    ]
}

fn planner_script() -> String {
    script(vec![
        rule(
            "*Revise the spec*",
            spec_steps("Revised after review: the reviewer's comments are addressed.\n\n"),
        ),
        rule("*Write the spec*", spec_steps("")),
    ])
}

fn coder_script() -> String {
    script(vec![
        rule(
            "*Your task: 1 Add the user store*",
            [
                vec![plan(&[("write src/auth/users.js", "in_progress"), ("run the tests", "pending")]), sleep(800)],
                edit_file("src/auth/users.js", None, USERS),
                vec![
                    plan(&[("write src/auth/users.js", "completed"), ("run the tests", "completed")]),
                    message(
                        "Added src/auth/users.js: register and verify with scrypt hashes. Ran node --test: passing.",
                    ),
                ],
            ]
            .concat(),
        ),
        rule(
            "*Your task: 2 Add token issuing*",
            [
                vec![plan(&[("write src/auth/tokens.js", "in_progress")]), sleep(1000)],
                edit_file("src/auth/tokens.js", None, TOKENS),
                vec![
                    plan(&[("write src/auth/tokens.js", "completed")]),
                    message("Added src/auth/tokens.js: one-hour HS256 tokens."),
                ],
            ]
            .concat(),
        ),
        rule(
            "*Your task: 3 Add the auth routes*",
            [
                vec![
                    plan(&[("routes", "in_progress"), ("middleware", "pending"), ("wire into server.js", "pending")]),
                    sleep(700),
                ],
                edit_file("src/auth/routes.js", None, ROUTES),
                vec![plan(&[("routes", "completed"), ("middleware", "in_progress"), ("wire into server.js", "pending")])],
                edit_file("src/auth/middleware.js", None, MIDDLEWARE),
                edit_file("src/server.js", Some(SERVER), SERVER_WITH_AUTH),
                vec![
                    permission("Run the tests: node --test"),
                    plan(&[("routes", "completed"), ("middleware", "completed"), ("wire into server.js", "completed")]),
                    message("Added the auth routes and the token middleware; /todos now requires a token."),
                ],
            ]
            .concat(),
        ),
        rule("*", vec![sleep(300), message("Done: nothing else needed changing.")]),
    ])
}
