//! Command-line definitions. The doc comments are the `--help` text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Examples:
  triage                            triage the last 24 h of Scanner alerts, Slack format
  triage --since 2h --format json   the last 2 hours, one JSON object per alert
  triage --alerts alerts.jsonl      triage alerts from a file (or - for stdin)
  triage --fail-on malicious -q     for scripts: exit 3 on a MALICIOUS verdict
  triage --demo                     triage the built-in sample lake's alerts (only an API key needed)
  triage eval                       accuracy over the labelled sample set
  triage check                      check the API key, models and every MCP server
  triage tools                      list the tools the model may call
  triage tools call mcp__scanner__get_top_columns '{\"indices\":[\"_detections\"]}'

Exit codes:
  0  everything worked (for `check`: every server works)
  1  finished, but something is incomplete or failed (a report or the output says what;
     for `check`: an optional server failed)
  2  nothing could be done: usage, configuration, authentication, or a required server down
  3  --fail-on: a final verdict at or above the given level
  4  another triage run holds the state directory's lock (try again later)
  130/143  interrupted by SIGINT/SIGTERM

Configuration comes from the environment and .env (see .env.example); logs and warnings
go to stderr, command output to stdout.";

/// First-pass SOC triage of security alerts with Claude over read-only MCP tools.
#[derive(Debug, Parser)]
#[command(name = "triage", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of the triage run (`triage` with no subcommand).
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Read alerts from FILE (`-` for stdin) instead of Scanner: one JSON object (a Scanner
    /// webhook payload as is), a JSON array, or JSON lines.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,

    /// Window to collect alerts from, ending now (e.g. 30m, 24h, 7d), or `last`: from where the
    /// last successful run's window ended (24h on the first run) [default: 24h; with --demo the
    /// sample lake's alerts, with --lake-dir everything].
    #[arg(long, value_name = "DURATION|last", value_parser = parse_since, conflicts_with = "from")]
    pub since: Option<Since>,

    /// Window start (RFC 3339, e.g. 2026-11-24T00:00:00Z); use with --to or alone (until now).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,

    /// Window end (RFC 3339); needs --from.
    #[arg(long, value_name = "TIME", requires = "from")]
    pub to: Option<String>,

    /// Triage at most N alerts (the most severe first).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_alerts: usize,

    /// Skip alerts below this severity (critical, high, medium, low, informational).
    #[arg(long, value_name = "LEVEL")]
    pub min_severity: Option<String>,

    #[command(flatten)]
    pub investigation: InvestigationArgs,

    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Slack)]
    pub format: ReportFormat,

    /// Exit 3 when a final verdict is at or above this level (and the run otherwise succeeded).
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// Post each report to this Slack channel (overrides SLACK_CHANNEL_ID).
    #[arg(long, value_name = "CHANNEL_ID")]
    pub slack_channel: Option<String>,

    /// Don't post to Slack even when it is configured.
    #[arg(long)]
    pub no_slack: bool,

    /// Triage alerts again even if an earlier run already triaged them.
    #[arg(long)]
    pub retriage: bool,

    /// Run against the built-in sample lake instead of Scanner (needs only ANTHROPIC_API_KEY):
    /// ~30 days of synthetic activity and ~30 alerts, a few of them real attacks.
    #[arg(long, conflicts_with_all = ["alerts", "lake_dir"])]
    pub demo: bool,

    /// Like --demo, over your own exported logs: DIR holds one JSON-lines file per index and
    /// the alerts in _detections.jsonl.
    #[arg(long, value_name = "DIR", conflicts_with = "alerts")]
    pub lake_dir: Option<PathBuf>,

    /// Start no new investigation once the run's estimated cost reaches this many US dollars;
    /// the rest are reported as skipped_budget and left for the next run.
    #[arg(long, value_name = "USD")]
    pub max_cost_usd: Option<f64>,
}

/// How each alert is investigated (the triage run and `eval`).
#[derive(Debug, Args, Clone)]
pub struct InvestigationArgs {
    /// Alerts investigated at the same time (they share the MCP connections).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Model calls per alert, across the investigation and both critique passes.
    #[arg(long, value_name = "N", default_value_t = 24, value_parser = clap::value_parser!(u32).range(3..=200))]
    pub max_turns: u32,

    /// Time limit per alert.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration_arg)]
    pub alert_timeout: Duration,

    /// Largest tool result given to the model; longer ones are cut and the model is told how
    /// to narrow the query.
    #[arg(long, value_name = "BYTES", default_value_t = crate::agent::DEFAULT_MAX_TOOL_RESULT_BYTES)]
    pub max_tool_result_bytes: usize,

    /// Use the prompts in DIR (any of system.md, investigate.md, critique.md,
    /// critique_focus_1.md, critique_focus_2.md, collect.md) instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub prompts: Option<PathBuf>,
}

/// The start of the collection window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// From the last successful run's window end.
    Last,
    Span(Duration),
}

fn parse_since(s: &str) -> Result<Since, String> {
    if s.eq_ignore_ascii_case("last") {
        Ok(Since::Last)
    } else {
        parse_duration_arg(s).map(Since::Span)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The seed's Slack mrkdwn report, reports separated by `---`.
    Slack,
    /// One JSON object per alert per line (schema triage.report/v1).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Suspicious,
    Malicious,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Less output on stderr (-q errors only, -qq nothing).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Read variables from this file instead of ./.env (real environment variables win).
    #[arg(long, value_name = "PATH", global = true)]
    pub env_file: Option<PathBuf>,

    /// MCP config file (.mcp.json format) adding or overriding servers [env: TRIAGE_MCP_CONFIG].
    #[arg(long, value_name = "PATH", global = true)]
    pub mcp_config: Option<PathBuf>,

    /// Also allow this tool (full name, `*` as a wildcard); repeatable. Adds to TRIAGE_ALLOWED_TOOLS.
    #[arg(long = "allow-tool", value_name = "PATTERN", global = true)]
    pub allow_tool: Vec<String>,

    /// Use this model for every step (overrides TRIAGE_MODEL and the per-severity models).
    #[arg(long, global = true)]
    pub model: Option<String>,

    /// How long an MCP server may take to start and list its tools [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, global = true)]
    pub mcp_startup_timeout: Option<Duration>,

    /// How long one MCP tool call may take [default: 60s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_arg, global = true)]
    pub mcp_call_timeout: Option<Duration>,

    /// State directory: seen alerts, watermark, lock, audit files [env: TRIAGE_STATE_DIR;
    /// default: $XDG_STATE_HOME/triage or ~/.local/state/triage].
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<PathBuf>,

    /// Write (and read) audit files here instead of <state dir>/audit.
    #[arg(long, value_name = "DIR", global = true)]
    pub audit_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration: API key, models, and every MCP server with its tools.
    Check(CheckArgs),
    /// List the tools the model would see, or call one by hand.
    Tools(ToolsArgs),
    /// Show a run's audit trail: the conversation, tools called with timings, and how the
    /// verdict moved across passes and why.
    Audit(AuditArgs),
    /// Measure accuracy over a labelled set (the bundled sample by default): confusion matrix,
    /// false MALICIOUS, missed threats, cost; `--baseline` makes it a regression gate.
    Eval(EvalArgs),
    /// The built-in sample data lake: serve it over MCP, query it, list its alerts.
    Lake(crate::lake::LakeArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A labelled set: a directory with labels.jsonl and lake/ (one JSON-lines file per index,
    /// alerts in lake/_detections.jsonl) [default: the bundled sample lake].
    #[arg(long, value_name = "DIR")]
    pub dataset: Option<PathBuf>,

    /// Triage each alert K times and report verdict stability.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub repeat: u16,

    /// Compare with an earlier `triage eval --format json` result; exit 3 when accuracy falls
    /// or false MALICIOUS rises.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    #[command(flatten)]
    pub investigation: InvestigationArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A run id (the audit file's name without .jsonl) or an audit file's path [default: the
    /// latest run].
    pub run: Option<String>,

    /// Only this alert.
    #[arg(long, value_name = "ID")]
    pub alert: Option<String>,

    /// Print the raw JSON lines instead.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ToolsArgs {
    #[command(subcommand)]
    pub action: Option<ToolsAction>,

    /// Show each tool's input schema.
    #[arg(long)]
    pub schema: bool,

    /// Also list the tools hidden by the allow-list, with the reason.
    #[arg(long)]
    pub all: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Debug, Subcommand)]
pub enum ToolsAction {
    /// Call one allow-listed tool and print the result exactly as the model would receive it.
    Call {
        /// The tool's name as the model sees it, e.g. mcp__scanner__execute_query.
        name: String,
        /// The tool's input as a JSON object.
        #[arg(default_value = "{}")]
        input: String,
    },
}

fn parse_duration_arg(s: &str) -> Result<Duration, String> {
    match crate::config::parse_duration(s)? {
        d if d.is_zero() => Err("must be more than zero".into()),
        d => Ok(d),
    }
}
