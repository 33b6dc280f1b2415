//! `spectask-scripted-agent [--script FILE] [--state-dir DIR]`: the scripted ACP agent on stdin/stdout.
//! Without a script every prompt is echoed.

use std::path::PathBuf;
use std::process::ExitCode;

use spectask_scripted_agent::{Script, run_scripted_agent};

const USAGE: &str = "usage: spectask-scripted-agent [--script FILE] [--state-dir DIR]";

fn parse_args() -> Result<(Option<PathBuf>, Option<PathBuf>), String> {
    let mut script = None;
    let mut state_dir = std::env::var_os("SPECTASK_SCRIPTED_STATE_DIR").map(PathBuf::from);
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let value = |args: &mut dyn Iterator<Item = std::ffi::OsString>| {
            args.next().map(PathBuf::from).ok_or_else(|| format!("missing value for {arg:?}\n{USAGE}"))
        };
        match arg.to_str() {
            Some("--script") => script = Some(value(&mut args)?),
            Some("--state-dir") => state_dir = Some(value(&mut args)?),
            _ => return Err(format!("unknown argument {arg:?}\n{USAGE}")),
        }
    }
    Ok((script, state_dir))
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match parse_args() {
        Ok((script, state_dir)) => {
            match script.map_or_else(|| Ok(Script::default()), |path| Script::load(&path)) {
                Ok(script) => run_scripted_agent(script, state_dir).await.map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            }
        }
        Err(message) => Err(message),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("spectask-scripted-agent: {message}");
            ExitCode::FAILURE
        }
    }
}
