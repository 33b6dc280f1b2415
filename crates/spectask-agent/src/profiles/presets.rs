//! The built-in presets: how each known agent is started, what it needs in its sandbox (its config
//! and cache folders, the ports of its model endpoint) and how its own approval system is set to ask
//! spectask before every edit and command.
//!
//! `scripted` runs `spectask agent scripted`, which echoes every prompt unless the configuration adds
//! `--script FILE` to its args; it needs nothing in the home directory and no network.

use std::collections::BTreeMap;

use spectask_sandbox::Network;

use super::{AgentProfile, CredentialHint, ProfileKind};

/// HTTPS: the model endpoints of the hosted agents, and the npm registry for `npx`.
const HTTPS: u16 = 443;

/// What a preset declares besides its command.
#[derive(Default)]
struct Needs<'a> {
    read: &'a [&'a str],
    write: &'a [&'a str],
    ports: &'a [u16],
    env: &'a [(&'a str, &'a str)],
    approval_mode: Option<&'a str>,
}

fn preset(
    name: &str,
    command: &str,
    args: &[&str],
    credentials: CredentialHint,
    needs: Needs<'_>,
) -> AgentProfile {
    let owned = |list: &[&str]| Some(list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let mut profile = AgentProfile::acp(name, command, args.iter().map(|a| (*a).to_owned()).collect());
    profile.credentials = credentials;
    if let ProfileKind::Acp {
        env, sandbox_read, sandbox_write, network, connect_ports, approval_mode, ..
    } = &mut profile.kind
    {
        *env = needs.env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>();
        *sandbox_read = owned(needs.read);
        *sandbox_write = owned(needs.write);
        *network = Some(Network::Restricted);
        *connect_ports = Some(needs.ports.to_vec());
        *approval_mode = needs.approval_mode.map(str::to_owned);
    }
    profile
}

fn creds(vars: &[&str], login: Option<&str>) -> CredentialHint {
    CredentialHint {
        env_any_of: vars.iter().map(|v| (*v).to_owned()).collect(),
        login: login.map(str::to_owned),
    }
}

/// OpenCode's permission configuration, as its `OPENCODE_PERMISSION` override: ask for edits,
/// shell commands and fetches (the answers come from spectask's policy). OpenCode merges it over
/// the `permission` of every configuration it loads (global, project, `OPENCODE_CONFIG_CONTENT`), so
/// a profile that configures OpenCode through `OPENCODE_CONFIG_CONTENT` (a provider, a model) keeps
/// it, and a repository's `opencode.json` cannot turn the questions off.
const OPENCODE_ASK: &str = r#"{"edit":"ask","bash":"ask","webfetch":"ask"}"#;

pub(super) fn all() -> Vec<AgentProfile> {
    vec![
        AgentProfile {
            requires: Some(
                "@agentclientprotocol/claude-agent-acp needs Node.js 22 or newer; on Node.js 20 set \
                 command = \"claude-agent-acp\" from @zed-industries/claude-agent-acp@0.23.1"
                    .to_owned(),
            ),
            ..preset(
                "claude",
                "npx",
                &["-y", "@agentclientprotocol/claude-agent-acp"],
                creds(&["ANTHROPIC_API_KEY"], Some("log in with `claude /login`")),
                // npx needs its cache (~/.npm) and the npm configuration; Claude Code its folder.
                Needs {
                    read: &["~/.npmrc", "~/.claude.json"],
                    write: &["~/.npm", "~/.claude"],
                    ports: &[HTTPS],
                    // Claude Code refuses to start as root unless told it runs in a sandbox,
                    // which it does; it keeps its state in ~/.claude.json, which it replaces by
                    // renaming a file in the home directory (not writable): kept in ~/.claude;
                    // its shell writes under /tmp unless told otherwise.
                    env: &[
                        ("IS_SANDBOX", "1"),
                        ("CLAUDE_CONFIG_DIR", "~/.claude"),
                        ("CLAUDE_CODE_TMPDIR", "~/.claude/tmp"),
                    ],
                    approval_mode: Some("default"),
                },
            )
        },
        preset(
            "codex",
            "codex-acp",
            // Codex sandboxes its commands with bubblewrap, which cannot run inside spectask's
            // sandbox (nor where it is not installed); its Landlock sandbox nests in spectask's.
            &["-c", "features.use_legacy_landlock=true"],
            creds(&["OPENAI_API_KEY", "CODEX_API_KEY"], Some("log in with `codex login`")),
            Needs {
                write: &["~/.codex"],
                ports: &[HTTPS],
                approval_mode: Some("read-only"),
                ..Needs::default()
            },
        ),
        preset(
            "gemini",
            "gemini",
            &["--acp", "--approval-mode", "default"],
            creds(&["GEMINI_API_KEY"], Some("log in with `gemini` (Google login)")),
            Needs {
                write: &["~/.gemini"],
                ports: &[HTTPS],
                approval_mode: Some("default"),
                ..Needs::default()
            },
        ),
        AgentProfile {
            requires: Some("Qwen Code needs Node.js 22 or newer; check with `node --version`".to_owned()),
            ..preset(
                "qwen",
                "qwen",
                &["--acp", "--approval-mode", "default"],
                CredentialHint::default(),
                Needs {
                    write: &["~/.qwen"],
                    ports: &[HTTPS],
                    approval_mode: Some("default"),
                    ..Needs::default()
                },
            )
        },
        preset(
            "goose",
            "goose",
            &["acp"],
            CredentialHint::default(),
            Needs {
                write: &["~/.config/goose", "~/.local/share/goose", "~/.local/state/goose"],
                ports: &[HTTPS],
                env: &[("GOOSE_MODE", "approve")],
                ..Needs::default()
            },
        ),
        preset(
            "opencode",
            "opencode",
            // Its ACP layer talks to an HTTP server of its own on loopback: on a port spectask
            // chooses at each start, the only extra port the sandbox opens for it.
            &["acp", "--port", super::LOOPBACK_PORT],
            CredentialHint::default(),
            Needs {
                write: &[
                    "~/.config/opencode",
                    "~/.local/share/opencode",
                    "~/.local/state/opencode",
                    "~/.cache/opencode",
                ],
                ports: &[HTTPS],
                // No self-update: its installation is read-only in the sandbox.
                env: &[("OPENCODE_PERMISSION", OPENCODE_ASK), ("OPENCODE_DISABLE_AUTOUPDATE", "1")],
                ..Needs::default()
            },
        ),
        preset("scripted", "spectask", &["agent", "scripted"], CredentialHint::default(), Needs::default()),
    ]
}
