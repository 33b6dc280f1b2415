//! `spectask-sandbox --policy JSON -- COMMAND [ARGS…]`: the sandbox launcher of the agent crate's
//! tests (the `spectask` binary has the same as `spectask agent sandbox-exec`). Confines itself with
//! Landlock, then execs the command; exits 125 without running it when it cannot. The launcher itself
//! is `launcher::run` of the `spectask-sandbox` crate; this is only its `main`.

use std::process::ExitCode;

use spectask_sandbox::launcher::{EXIT_NOT_CONFINED, run};

fn main() -> ExitCode {
    let message = run(std::env::args_os().skip(1));
    eprintln!("spectask-sandbox: {message}");
    ExitCode::from(EXIT_NOT_CONFINED)
}
