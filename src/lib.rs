//! `triage`: a SOC analyst's first pass on security alerts, as one binary.
//!
//! `main` parses the command line and hands over to [`run`], which loads the configuration,
//! dispatches to a command and returns the exit code. See `README.md` for the user's view.

pub mod agent;
pub mod alert;
pub mod anthropic;
pub mod assessment;
pub mod audit;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod config;
pub mod eval;
pub mod investigate;
pub mod lake;
pub mod mcp;
pub mod output;
pub mod progress;
pub mod prompts;
pub mod report;
pub mod run;
pub mod secret;
pub mod signals;
pub mod state;
pub mod tls;
pub mod usage;

use cli::{Cli, Command};
use config::{Config, ConfigOptions, Env};

/// Exit codes (documented in `--help` and the README).
pub mod exit {
    /// Everything worked.
    pub const OK: u8 = 0;
    /// Finished, but something is incomplete or failed.
    pub const PARTIAL: u8 = 1;
    /// Nothing could be done: usage, configuration, authentication, required server down.
    pub const FATAL: u8 = 2;
    /// `--fail-on`: a final verdict at or above the given level.
    pub const VERDICT: u8 = 3;
    /// Another run holds the state directory's lock (a script can tell "busy" from "failed").
    pub const BUSY: u8 = 4;
    /// Interrupted by SIGINT.
    pub const SIGINT: u8 = 130;
    /// Interrupted by SIGTERM.
    pub const SIGTERM: u8 = 143;
}

/// A failure that ends the command, with its exit code and an already-redacted message.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            code: exit::FATAL,
            message: message.into(),
        }
    }
}

/// Runs one invocation; returns the exit code, or the failure to print.
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    if let Some(Command::Completions { shell }) = &cli.command {
        return commands::completions(*shell);
    }
    // The lake needs no configuration or API key.
    if let Some(Command::Lake(args)) = &cli.command {
        return lake::run(args).await;
    }
    let env =
        Env::load(cli.global.env_file.as_deref()).map_err(|e| Failure::fatal(e.to_string()))?;
    let opts = ConfigOptions {
        mcp_config: cli.global.mcp_config.clone(),
        allowed_tools: cli.global.allow_tool.clone(),
        model: cli.global.model.clone(),
        mcp_startup_timeout: cli.global.mcp_startup_timeout,
        mcp_call_timeout: cli.global.mcp_call_timeout,
        state_dir: cli.global.state_dir.clone(),
        audit_dir: cli.global.audit_dir.clone(),
    };
    let config = Config::load(&env, &opts).map_err(|e| Failure::fatal(e.to_string()))?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let redactor = config.redactor.clone();
    let result = match cli.command {
        Some(Command::Check(args)) => commands::check::run(&config, &args).await,
        Some(Command::Tools(args)) => commands::tools::run(&config, &args).await,
        Some(Command::Audit(args)) => commands::audit::run(&config, &args),
        Some(Command::Eval(args)) => {
            let dataset = eval::dataset(args.dataset.as_deref())?;
            eval::run(&config, &args, dataset).await
        }
        // Both return before the configuration is loaded; listed for completeness.
        Some(Command::Completions { shell }) => commands::completions(shell),
        Some(Command::Lake(args)) => lake::run(&args).await,
        None => run::run(&config, &cli.run, cli.global.quiet > 0).await,
    };
    result.map_err(|f| Failure {
        code: f.code,
        message: redactor.redact(&f.message),
    })
}

/// The model API client for this configuration.
pub fn anthropic_client(config: &Config) -> Result<anthropic::Client, Failure> {
    anthropic::Client::new(anthropic::ClientConfig {
        base_url: config.anthropic.base_url.clone(),
        api_key: config.anthropic.api_key.clone(),
        ..Default::default()
    })
    .map_err(|e| Failure::fatal(format!("cannot set up the model API client: {e:#}")))
}
