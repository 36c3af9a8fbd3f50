//! The embedded sample lake: a small, faithful implementation of Scanner's query language over
//! JSON events, a synthetic dataset with labelled alerts compiled into the binary, and an MCP
//! server (`triage lake serve`) that speaks Scanner's tool surface — so a new user can watch
//! triage work without a Scanner tenant, and `triage eval` can measure it against known answers.
//!
//! - [`query`]: the parser; [`matching`]: how a filter tests one event; [`engine`]: indexes,
//!   time ranges, pipes and Scanner-like results.
//! - [`dataset`]: the generated sample lake, its alerts and their [`Label`]s.
//! - [`load`]: `--lake-dir`, the same engine over a user's JSON-lines exports.
//! - [`server`]: the MCP tools.

pub mod dataset;
mod docs;
pub mod engine;
pub mod load;
pub mod matching;
pub mod query;
pub mod server;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

pub use dataset::{ALERTS_FROM, DETECTIONS, LAKE_END, LAKE_START, Label, labels};
pub use engine::Lake;

use crate::{Failure, exit};

/// The sample lake, generated on first use and shared.
pub fn sample() -> Arc<Lake> {
    static SAMPLE: OnceLock<Arc<Lake>> = OnceLock::new();
    SAMPLE.get_or_init(|| Arc::new(dataset::build())).clone()
}

/// The sample lake's alerts (the `_detections` events, oldest first), in Scanner's shape.
pub fn alerts() -> Vec<Value> {
    alerts_of(&sample())
}

/// A lake's alerts: its `_detections` events, oldest first.
pub fn alerts_of(lake: &Lake) -> Vec<Value> {
    lake.index(DETECTIONS)
        .map(|i| i.events().iter().map(|e| e.value.clone()).collect())
        .unwrap_or_default()
}

/// `triage lake …`
#[derive(Debug, clap::Args)]
pub struct LakeArgs {
    #[command(subcommand)]
    pub action: LakeAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum LakeAction {
    /// Serve the lake as a Scanner-like MCP server on stdin/stdout (for an MCP config file or
    /// any MCP client). Nothing but MCP is written to stdout.
    Serve(SourceArgs),
    /// Run one query and print the result as `execute_query` returns it.
    Query {
        #[command(flatten)]
        source: SourceArgs,
        /// The query, e.g. '@index=cloudtrail userIdentity.userName: jchen | groupbycount eventName'.
        query: String,
        /// Start of the time range (RFC 3339); default: the start of the data.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// End of the time range (RFC 3339, exclusive); default: the end of the data.
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        /// Rows to keep (the first 50 are printed).
        #[arg(long, value_name = "N")]
        max_rows: Option<u64>,
    },
    /// Print the lake's alerts as JSON lines (input for `triage --alerts -`), or with --labels
    /// the sample lake's answer key.
    Alerts {
        #[command(flatten)]
        source: SourceArgs,
        /// Print the labels (alert_id, label, rationale, alert_type) instead of the alerts.
        #[arg(long, conflicts_with = "lake_dir")]
        labels: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Use your own exported logs instead of the built-in sample: a directory with one
    /// JSON-lines file per index (cloudtrail.jsonl → index `cloudtrail`, alerts in
    /// _detections.jsonl), each event with an RFC 3339 "timestamp".
    #[arg(long, value_name = "DIR")]
    pub lake_dir: Option<PathBuf>,
}

impl SourceArgs {
    fn open(&self) -> Result<(Arc<Lake>, server::Origin), Failure> {
        match &self.lake_dir {
            Some(dir) => {
                let lake = load::load_dir(dir).map_err(Failure::fatal)?;
                Ok((
                    Arc::new(lake),
                    server::Origin::Dir(dir.display().to_string()),
                ))
            }
            None => Ok((sample(), server::Origin::Sample)),
        }
    }
}

/// Runs `triage lake …`. Needs no configuration or API key.
pub async fn run(args: &LakeArgs) -> Result<u8, Failure> {
    match &args.action {
        LakeAction::Serve(source) => {
            let server = match &source.lake_dir {
                Some(_) => {
                    let (lake, origin) = source.open()?;
                    tracing::info!(indexes = ?lake.index_names(), "serving the lake over MCP on stdio");
                    server::LakeServer::new(lake, origin)
                }
                None => {
                    // Generate the sample while the client connects.
                    std::thread::spawn(|| drop(sample()));
                    server::LakeServer::sample()
                }
            };
            server::serve_stdio(server).await.map_err(Failure::fatal)?;
            Ok(exit::OK)
        }
        LakeAction::Query {
            source,
            query,
            from,
            to,
            max_rows,
        } => {
            let (lake, origin) = source.open()?;
            let srv = server::LakeServer::new(lake, origin);
            let text = srv
                .run_query(&server::QueryArgs {
                    query: query.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    max_rows: *max_rows,
                })
                .map_err(|e| Failure {
                    code: exit::FATAL,
                    message: e,
                })?;
            print_out(&format!("{text}\n"))
        }
        LakeAction::Alerts { source, labels } => {
            let mut out = String::new();
            if *labels {
                for l in dataset::labels() {
                    out.push_str(&serde_json::to_string(&l).unwrap_or_default());
                    out.push('\n');
                }
            } else {
                let (lake, _) = source.open()?;
                for a in alerts_of(&lake) {
                    out.push_str(&a.to_string());
                    out.push('\n');
                }
            }
            print_out(&out)
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_out(text: &str) -> Result<u8, Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(exit::OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::OK),
        Err(e) => Err(Failure::fatal(format!("cannot write to stdout: {e}"))),
    }
}
