//! The `triage` binary: parse arguments, start logging on stderr, run, map to an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = triage::cli::Cli::parse();
    init_tracing(cli.global.verbose, cli.global.quiet);
    triage::tls::init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(triage::exit::FATAL);
        }
    };
    let code = match runtime.block_on(triage::run(cli)) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.code
        }
    };
    // Don't wait for blocked stdin readers or lingering tasks.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    ExitCode::from(code)
}

fn init_tracing(verbose: u8, quiet: u8) {
    let level = match (quiet, verbose) {
        (q, _) if q >= 2 => "off",
        (1, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        (_, 2) => "debug",
        _ => "trace",
    };
    // Other crates' logs (rmcp's transport errors, hyper) only from -vv: triage reports every
    // failure itself, in words that name the fix.
    let default = if verbose >= 2 {
        level.to_string()
    } else {
        format!("triage={level}")
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(verbose >= 2);
    if verbose == 0 {
        builder.without_time().init();
    } else {
        builder.init();
    }
}
