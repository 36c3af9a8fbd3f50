//! The triage run (`triage` with no subcommand): alerts in, one investigation per alert (N at a
//! time over shared MCP connections), reports out in severity order, each as soon as it and
//! every report before it are done.

use std::sync::Arc;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::alert::{Alert, Severity, parse_alerts, sort_alerts};
use crate::anthropic::ToolDefinition;
use crate::assessment::Classification;
use crate::cli::{FailOn, ReportFormat, RunArgs};
use crate::collect::{self, CollectRequest, ServerTools};
use crate::config::Config;
use crate::investigate::{self, Settings, model_for, submit_assessment_tool};
use crate::mcp::McpHub;
use crate::output::write_stdout;
use crate::prompts::Prompts;
use crate::report::{
    AlertReport, SLACK_MESSAGE_LIMIT, Status, no_alerts_line, render_json, render_slack,
    split_for_slack,
};
use crate::{Failure, exit};

/// The Slack tool the program (never the model) uses to post reports.
const SLACK_POST_TOOL: &str = "slack_post_message";

/// Where the alerts come from and the window they cover.
struct Window {
    from: Timestamp,
    to: Timestamp,
}

impl Window {
    fn describe(&self) -> String {
        format!("{} to {}", self.from, self.to)
    }
}

pub async fn run(config: &Config, args: &RunArgs, quiet: bool) -> Result<u8, Failure> {
    let started = Instant::now();
    // Everything that can be checked without contacting anything, first.
    config
        .require_anthropic()
        .map_err(|e| Failure::fatal(e.to_string()))?;
    let from_file = args.alerts.is_some();
    if !from_file {
        config
            .require_scanner()
            .map_err(|e| Failure::fatal(e.to_string()))?;
    }
    let min_severity = match &args.min_severity {
        Some(s) => Some(
            Severity::parse_level(s).map_err(|e| Failure::fatal(format!("--min-severity: {e}")))?,
        ),
        None => None,
    };
    let window = window(args)?;
    let prompts = Prompts::load(args.prompts.as_deref()).map_err(Failure::fatal)?;
    let file_alerts = match &args.alerts {
        Some(path) => Some(read_alert_file(path)?),
        None => None,
    };
    let slack_channel = if args.no_slack {
        None
    } else {
        args.slack_channel
            .clone()
            .or_else(|| config.slack_channel.clone())
    };

    let required: &[&str] = if from_file { &[] } else { &["scanner"] };
    let hub = McpHub::connect(config, required, true)
        .await
        .map_err(|e| Failure::fatal(e.0))?;
    let client = crate::anthropic_client(config)?;
    let hub = Arc::new(hub);
    let result = {
        let hub = hub.clone();
        crate::commands::interruptible(async move {
            triage(
                config,
                args,
                &hub,
                &client,
                &prompts,
                file_alerts,
                &window,
                min_severity,
                slack_channel,
                started,
                quiet,
            )
            .await
        })
        .await
    };
    hub.shutdown().await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn triage(
    config: &Config,
    args: &RunArgs,
    hub: &Arc<McpHub>,
    client: &crate::anthropic::Client,
    prompts: &Prompts,
    file_alerts: Option<Vec<Alert>>,
    window: &Window,
    min_severity: Option<Severity>,
    slack_channel: Option<String>,
    started: Instant,
    quiet: bool,
) -> Result<u8, Failure> {
    // Alerts in.
    let mut alerts = match file_alerts {
        Some(a) => a,
        None => {
            let scanner_tools: Vec<ToolDefinition> =
                tool_defs(hub, Some("scanner"), collect::submit_alerts_tool());
            let from = window.from.to_string();
            let to = window.to.to_string();
            let req = CollectRequest {
                model_name: &config.models.collect,
                from: &from,
                to: &to,
                max_alerts: args.max_alerts,
                min_severity: min_severity.unwrap_or(Severity::Unknown),
            };
            let tools = ServerTools {
                hub,
                server: "scanner",
            };
            let collected = collect::collect(&req, client, &tools, scanner_tools, prompts)
                .await
                .map_err(|e| {
                    Failure::fatal(format!("could not collect alerts from Scanner: {e}"))
                })?;
            for w in &collected.warnings {
                tracing::warn!("{w}");
            }
            tracing::info!(
                alerts = collected.alerts.len(),
                model_calls = collected.model_calls,
                "collected alerts from Scanner"
            );
            collected.alerts
        }
    };
    if let Some(min) = min_severity {
        let before = alerts.len();
        alerts.retain(|a| a.severity.at_least(min));
        if alerts.len() < before {
            tracing::info!(
                "{} alerts below {} skipped",
                before - alerts.len(),
                min.as_str()
            );
        }
    }
    sort_alerts(&mut alerts);
    if alerts.len() > args.max_alerts {
        tracing::warn!(
            "{} alerts found; triaging the {} most severe (--max-alerts) and leaving {} for a later run",
            alerts.len(),
            args.max_alerts,
            alerts.len() - args.max_alerts
        );
        alerts.truncate(args.max_alerts);
    }
    if alerts.is_empty() {
        if args.format == ReportFormat::Slack {
            write_stdout(&format!("{}\n", no_alerts_line(&window.describe())))?;
        }
        tracing::info!("no alerts to triage");
        return Ok(exit::OK);
    }

    // Investigations, N at a time; reports printed in order.
    let tool_defs = Arc::new(tool_defs(hub, None, submit_assessment_tool()));
    let settings = Arc::new(Settings {
        max_turns: args.max_turns,
        alert_timeout: args.alert_timeout,
        max_tool_result_bytes: args.max_tool_result_bytes,
        window: window.describe(),
        tools_summary: tools_summary(hub),
    });
    let prompts = Arc::new(prompts.clone());
    let semaphore = Arc::new(Semaphore::new(args.concurrency as usize));
    let total = alerts.len();
    let mut handles = Vec::with_capacity(total);
    for alert in alerts {
        let (hub, client, tool_defs, settings, prompts, semaphore) = (
            hub.clone(),
            client.clone(),
            tool_defs.clone(),
            settings.clone(),
            prompts.clone(),
            semaphore.clone(),
        );
        let model_name = model_for(&config.models, alert.severity).to_string();
        handles.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            investigate::investigate(
                &alert,
                &model_name,
                &client,
                hub.as_ref(),
                &tool_defs,
                &prompts,
                &settings,
            )
            .await
        }));
    }

    let mut counts = [0usize; 3];
    let mut unfinished = 0;
    let mut slack_failed = false;
    let mut worst = None::<Classification>;
    let mut first = true;
    for handle in handles {
        let report = match handle.await {
            Ok(r) => r,
            Err(e) => return Err(Failure::fatal(format!("an investigation task failed: {e}"))),
        };
        let text = match args.format {
            ReportFormat::Slack => render_slack(&report),
            ReportFormat::Json => render_json(&report),
        };
        let out = match (args.format, first) {
            (ReportFormat::Slack, false) => format!("---\n{text}\n"),
            _ => format!("{text}\n"),
        };
        first = false;
        write_stdout(&out)?;
        if let Some(channel) = &slack_channel
            && !post_to_slack(hub, channel, &report).await
        {
            slack_failed = true;
        }
        counts[report.classification as usize] += 1;
        if report.status != Status::Complete {
            unfinished += 1;
        }
        worst = worst.max(Some(report.classification));
    }

    if !quiet {
        eprintln!("{}", summary(total, counts, unfinished, started));
    }
    let verdict_hit = match (args.fail_on, worst) {
        (Some(FailOn::Malicious), Some(c)) => c >= Classification::Malicious,
        (Some(FailOn::Suspicious), Some(c)) => c >= Classification::Suspicious,
        _ => false,
    };
    Ok(if unfinished > 0 || slack_failed {
        exit::PARTIAL
    } else if verdict_hit {
        exit::VERDICT
    } else {
        exit::OK
    })
}

/// The run summary line, for stderr.
fn summary(total: usize, counts: [usize; 3], unfinished: usize, started: Instant) -> String {
    format!(
        "triage: {total} alert{} triaged: {} benign, {} suspicious, {} malicious{} in {:.1}s",
        if total == 1 { "" } else { "s" },
        counts[Classification::Benign as usize],
        counts[Classification::Suspicious as usize],
        counts[Classification::Malicious as usize],
        if unfinished > 0 {
            format!(" ({unfinished} incomplete or failed)")
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64()
    )
}

/// Posts a rendered report to Slack (split under the message limit). Slack's MCP server
/// reports errors as text (`{"ok": false, "error": ...}`), so the text is checked too.
async fn post_to_slack(hub: &McpHub, channel: &str, report: &AlertReport) -> bool {
    if !hub.is_connected("slack") {
        tracing::warn!(
            "Slack is not connected; report {} not posted",
            report.alert.id
        );
        return false;
    }
    for part in split_for_slack(&render_slack(report), SLACK_MESSAGE_LIMIT) {
        let out = hub
            .call_server_tool(
                "slack",
                SLACK_POST_TOOL,
                &json!({"channel_id": channel, "text": part}),
            )
            .await;
        let slack_error = serde_json::from_str::<serde_json::Value>(&out.text)
            .ok()
            .and_then(|v| match (v.get("ok"), v.get("error")) {
                (Some(serde_json::Value::Bool(false)), e) | (None, e @ Some(_)) => Some(
                    e.map(|e| e.to_string())
                        .unwrap_or_else(|| "ok: false".into()),
                ),
                _ => None,
            });
        if out.is_error || slack_error.is_some() {
            tracing::warn!(
                "posting report {} to Slack failed: {}",
                report.alert.id,
                slack_error.unwrap_or(out.text)
            );
            return false;
        }
    }
    true
}

/// Allowed MCP tools (of one server, or all) plus the phase's harness tool, in a stable order.
fn tool_defs(hub: &McpHub, server: Option<&str>, harness: ToolDefinition) -> Vec<ToolDefinition> {
    let mut defs: Vec<ToolDefinition> = hub
        .registry()
        .allowed()
        .filter(|t| server.is_none_or(|s| t.server == s))
        .map(|t| ToolDefinition {
            name: t.name.clone(),
            description: t.description.clone(),
            input_schema: t.input_schema.clone(),
            cache_control: None,
        })
        .collect();
    defs.push(harness);
    defs
}

/// "scanner (4 tools), virustotal (4 tools)" for the prompt.
fn tools_summary(hub: &McpHub) -> String {
    let mut servers: Vec<(String, usize)> = Vec::new();
    for t in hub.registry().allowed() {
        match servers.iter_mut().find(|(s, _)| *s == t.server) {
            Some((_, n)) => *n += 1,
            None => servers.push((t.server.clone(), 1)),
        }
    }
    if servers.is_empty() {
        return "none (no MCP server is connected: say so in data_gaps)".to_string();
    }
    servers
        .iter()
        .map(|(s, n)| format!("{s} ({n} tool{})", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(", ")
}

fn window(args: &RunArgs) -> Result<Window, Failure> {
    // Whole seconds: readable in prompts and queries.
    let now = Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| Timestamp::now());
    let parse = |flag: &str, s: &str| -> Result<Timestamp, Failure> {
        s.parse::<Timestamp>().map_err(|e| {
            Failure::fatal(format!(
                "{flag} `{s}` is not an RFC 3339 time ({e}); write e.g. 2026-11-24T08:00:00Z"
            ))
        })
    };
    let (from, to) = match (&args.from, &args.to) {
        (Some(f), Some(t)) => (parse("--from", f)?, parse("--to", t)?),
        (Some(f), None) => (parse("--from", f)?, now),
        _ => {
            let span = SignedDuration::try_from(args.since)
                .map_err(|_| Failure::fatal("--since is too long"))?;
            let from = now
                .checked_sub(span)
                .map_err(|_| Failure::fatal("--since reaches too far back"))?;
            (from, now)
        }
    };
    if from >= to {
        return Err(Failure::fatal(format!(
            "the window is empty: --from {from} is not before --to {to}"
        )));
    }
    Ok(Window { from, to })
}

fn read_alert_file(path: &std::path::Path) -> Result<Vec<Alert>, Failure> {
    let (bytes, source) = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .map_err(|e| Failure::fatal(format!("cannot read alerts from stdin: {e}")))?;
        (buf, "stdin".to_string())
    } else {
        let bytes = std::fs::read(path)
            .map_err(|e| Failure::fatal(format!("cannot read --alerts {}: {e}", path.display())))?;
        (bytes, path.display().to_string())
    };
    let parsed = parse_alerts(&bytes, &source).map_err(|e| Failure::fatal(e.to_string()))?;
    for w in &parsed.warnings {
        tracing::warn!("{w}");
    }
    Ok(parsed.alerts)
}
