//! The one turn every fake model server scripts, whatever its vendor's API: read the README, write
//! `hello.txt`, run `cat hello.txt`, answer. Which step comes next is told by how many tool results
//! the conversation holds.

use std::sync::Arc;

/// What the model does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Read { path: String },
    Write { path: String, content: String },
    Run { command: String },
    Answer(String),
}

/// What the fake model sees of the conversation when it is asked for its next step.
pub struct Seen<'a> {
    /// Tool results in the conversation so far.
    pub results: usize,
    /// The session's working directory, when the agent states it (Claude Code does).
    pub cwd: Option<&'a str>,
    /// Every text the user side said (prompts, and what spectask sent back), in order.
    pub said: &'a [String],
}

/// What a fake model does at each request of the agent's loop.
pub type Script = Arc<dyn Fn(&Seen) -> Step + Send + Sync>;

pub const GREETING: &str = "hello from the agent\n";
pub const ANSWER: &str = "Done: read README.md, wrote hello.txt and ran cat hello.txt.";

/// The usual turn as a [`Script`].
pub fn usual() -> Script {
    Arc::new(|seen| next(seen.results, seen.cwd))
}

/// The step after `results` tool results; paths are absolute under the session's working directory
/// `cwd` when the agent needs them so, relative otherwise.
pub fn next(results: usize, cwd: Option<&str>) -> Step {
    match results {
        0 => Step::Read { path: path(cwd, "README.md") },
        1 => Step::Write { path: path(cwd, "hello.txt"), content: GREETING.to_owned() },
        2 => Step::Run { command: "cat hello.txt".to_owned() },
        _ => Step::Answer(ANSWER.to_owned()),
    }
}

/// `name` under `cwd` when the agent wants absolute paths.
pub fn path(cwd: Option<&str>, name: &str) -> String {
    cwd.map_or_else(|| name.to_owned(), |cwd| format!("{cwd}/{name}"))
}
