//! The one turn every fake model server scripts, whatever its vendor's API: read the README, write
//! `hello.txt`, run `cat hello.txt`, answer. Which step comes next is told by how many tool results
//! the conversation holds.

/// What the model does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Read { path: String },
    Write { path: String, content: String },
    Run { command: String },
    Answer(String),
}

pub const GREETING: &str = "hello from the agent\n";
pub const ANSWER: &str = "Done: read README.md, wrote hello.txt and ran cat hello.txt.";

/// The step after `results` tool results; paths are absolute under the session's working directory
/// `cwd` when the agent needs them so, relative otherwise.
pub fn next(results: usize, cwd: Option<&str>) -> Step {
    let path = |name: &str| cwd.map_or_else(|| name.to_owned(), |cwd| format!("{cwd}/{name}"));
    match results {
        0 => Step::Read { path: path("README.md") },
        1 => Step::Write { path: path("hello.txt"), content: GREETING.to_owned() },
        2 => Step::Run { command: "cat hello.txt".to_owned() },
        _ => Step::Answer(ANSWER.to_owned()),
    }
}
