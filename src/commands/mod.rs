//! The subcommands other than the triage run: `check` and `tools`.

pub mod audit;
pub mod check;
pub mod tools;

use std::future::Future;

use crate::mcp::McpHub;
use crate::{Failure, signals};

/// Runs `body` with the hub, stopping at SIGINT/SIGTERM; the hub is shut down either way, so no
/// child process outlives the command.
pub async fn with_hub<T>(
    hub: McpHub,
    body: impl AsyncFnOnce(&McpHub) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let result = {
        let fut = body(&hub);
        interruptible(fut).await
    };
    hub.shutdown().await;
    result
}

/// Races a future against SIGINT/SIGTERM.
pub async fn interruptible<T>(fut: impl Future<Output = Result<T, Failure>>) -> Result<T, Failure> {
    tokio::select! {
        r = fut => r,
        sig = signals::wait() => Err(Failure {
            code: sig.exit_code(),
            message: format!("interrupted by {}", sig.name()),
        }),
    }
}

/// `triage completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<u8, Failure> {
    use clap::CommandFactory;
    let mut cmd = crate::cli::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "triage", &mut buf);
    crate::output::write_stdout(&String::from_utf8_lossy(&buf))?;
    Ok(crate::exit::OK)
}
