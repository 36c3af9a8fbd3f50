//! The triage run (`triage` with no subcommand): alerts in, one investigation per alert (N at a
//! time over shared MCP connections), reports out in severity order, each as soon as it and
//! every report before it are done.
//!
//! Around it: the state directory (lock, dedupe, watermark — see `state.rs`), the audit trail,
//! the cost budget, Slack posting and the run summary on stderr.

use std::sync::Arc;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::agent::CostMeter;
use crate::alert::{Alert, Severity, parse_alerts, sort_alerts};
use crate::anthropic::{ToolDefinition, Usage};
use crate::assessment::Classification;
use crate::audit::{self, Audit};
use crate::cli::{FailOn, ReportFormat, RunArgs, Since};
use crate::collect::{self, CollectRequest, ServerTools};
use crate::config::Config;
use crate::investigate::{self, Settings, model_for, submit_assessment_tool};
use crate::mcp::McpHub;
use crate::output::write_stdout;
use crate::progress::Progress;
use crate::prompts::Prompts;
use crate::report::{
    AlertReport, SLACK_MESSAGE_LIMIT, Status, no_alerts_line, render_json, render_slack,
    split_for_slack,
};
use crate::signals::{Stop, StopFlag};
use crate::state::{Dedupe, State, StateError};
use crate::{Failure, exit};

/// The Slack tool the program (never the model) uses to post reports.
const SLACK_POST_TOOL: &str = "slack_post_message";
/// The window of a run without `--since`, and of a first `--since last` run.
const DEFAULT_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// The time window the alerts come from.
struct Window {
    from: Timestamp,
    to: Timestamp,
}

impl Window {
    fn describe(&self) -> String {
        format!("{} to {}", self.from, self.to)
    }
}

/// Everything one run needs, shared by its tasks.
struct Run<'a> {
    config: &'a Config,
    args: &'a RunArgs,
    hub: Arc<McpHub>,
    client: crate::anthropic::Client,
    prompts: Arc<Prompts>,
    window: Window,
    min_severity: Option<Severity>,
    slack_channel: Option<String>,
    state: Option<State>,
    audit: Option<Arc<Audit>>,
    meter: CostMeter,
    stop: StopFlag,
    usage: Usage,
    /// Alerts skipped because an earlier run triaged them.
    already_triaged: usize,
    /// Collection returned --max-alerts alerts: there may have been more.
    collection_full: bool,
    started: Instant,
    quiet: bool,
}

pub async fn run(config: &Config, args: &RunArgs, quiet: bool) -> Result<u8, Failure> {
    let started = Instant::now();
    // --demo / --lake-dir: this binary's sample lake stands in for Scanner, and the run keeps
    // no dedupe state (a demo shows every alert every time; a lake is not the live feed).
    let lake_mode = args.demo || args.lake_dir.is_some();
    let mut owned;
    let config = if lake_mode {
        owned = config.clone();
        owned.use_lake_as_scanner(args.lake_dir.as_deref())?;
        owned.state_dir = None;
        &owned
    } else {
        config
    };
    // From here on SIGINT/SIGTERM end the run in order (children stopped, state written).
    let stop = StopFlag::default();
    stop.listen_for_signals();
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
    if let Some(b) = args.max_cost_usd
        && !(b.is_finite() && b >= 0.0)
    {
        return Err(Failure::fatal(
            "--max-cost-usd must be a non-negative number of dollars, e.g. 2.50",
        ));
    }
    let prompts = Prompts::load(args.investigation.prompts.as_deref()).map_err(Failure::fatal)?;
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

    // One run per state directory.
    let state = match &config.state_dir {
        Some(dir) => match State::open(dir) {
            Ok(s) => Some(s),
            Err(StateError::Busy(dir)) => {
                return Err(Failure {
                    code: exit::BUSY,
                    message: format!(
                        "another triage run is using {}; this run did nothing (exit {})",
                        dir.display(),
                        exit::BUSY
                    ),
                });
            }
            Err(StateError::Io(e)) => return Err(Failure::fatal(e)),
        },
        None if lake_mode => None,
        None => {
            tracing::info!(
                "no state directory (set --state-dir, TRIAGE_STATE_DIR or HOME): dedupe, --since last and the run lock are off"
            );
            None
        }
    };
    let window = window(args, state.as_ref())?;
    let run_id = audit::new_run_id();
    let audit = match &config.audit_dir {
        Some(dir) => {
            let a = Audit::create(dir, &run_id, config.redactor.clone()).map_err(Failure::fatal)?;
            Some(Arc::new(a))
        }
        None => None,
    };
    if let Some(a) = &audit {
        a.record("header", header(&run_id, config, args, &prompts, &window));
    }

    // Built before the MCP connections: the first model request need not wait for it.
    let client = crate::anthropic_client(config)?;
    let required: &[&str] = if from_file { &[] } else { &["scanner"] };
    let hub = tokio::select! {
        hub = McpHub::connect(config, required, true) => hub.map_err(|e| Failure::fatal(e.0))?,
        why = stop.wait() => return Err(stopped(&why)),
    };
    let hub = Arc::new(hub);
    let mut run = Run {
        config,
        args,
        hub: hub.clone(),
        client,
        prompts: Arc::new(prompts),
        window,
        min_severity,
        slack_channel,
        state,
        audit,
        meter: CostMeter::default(),
        stop,
        usage: Usage::default(),
        already_triaged: 0,
        collection_full: false,
        started,
        quiet,
    };
    let result = run.triage(file_alerts).await;
    hub.shutdown().await;
    result
}

/// The failure for a run stopped before any alert was investigated.
fn stopped(why: &Stop) -> Failure {
    match why {
        Stop::Signal(s) => Failure {
            code: s.exit_code(),
            message: format!("interrupted by {}", s.name()),
        },
        Stop::Fatal(msg) => Failure::fatal(msg.clone()),
    }
}

impl Run<'_> {
    async fn triage(&mut self, file_alerts: Option<Vec<Alert>>) -> Result<u8, Failure> {
        let from_scanner = file_alerts.is_none();
        let mut alerts = match file_alerts {
            Some(a) => a,
            None => {
                let stop = self.stop.clone();
                tokio::select! {
                    a = self.collect() => a?,
                    why = stop.wait() => return Err(stopped(&why)),
                }
            }
        };
        if let Some(min) = self.min_severity {
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
        if let Some(state) = &self.state
            && !self.args.retriage
        {
            let before = alerts.len();
            alerts.retain(|a| match state.dedupe(a) {
                Dedupe::New => true,
                Dedupe::Escalated => {
                    tracing::info!(
                        "alert {} was triaged before at a lower severity; triaging it again",
                        a.id
                    );
                    true
                }
                Dedupe::AlreadyTriaged => false,
            });
            self.already_triaged = before - alerts.len();
        }
        sort_alerts(&mut alerts);
        let mut left_over: Vec<Alert> = Vec::new();
        if alerts.len() > self.args.max_alerts {
            left_over = alerts.split_off(self.args.max_alerts);
            tracing::warn!(
                "{} alerts to triage; taking the {} most severe (--max-alerts) and leaving {} for a later run",
                self.args.max_alerts + left_over.len(),
                self.args.max_alerts,
                left_over.len()
            );
        }
        if alerts.is_empty() {
            if self.args.format == ReportFormat::Slack {
                write_stdout(&format!("{}\n", no_alerts_line(&self.window.describe())))?;
            }
            self.finish(from_scanner, &[], &left_over, [0; 3], 0)?;
            return Ok(exit::OK);
        }

        // Investigations, N at a time; reports printed in order as they complete.
        let tool_defs = Arc::new(tool_defs(&self.hub, None, submit_assessment_tool()));
        let settings = Arc::new(Settings {
            audit: self.audit.clone(),
            meter: self.meter.clone(),
            stop: self.stop.clone(),
            max_turns: self.args.investigation.max_turns,
            alert_timeout: self.args.investigation.alert_timeout,
            max_tool_result_bytes: self.args.investigation.max_tool_result_bytes,
            window: self.window.describe(),
            tools_summary: tools_summary(&self.hub),
        });
        let mut turns = InOrder::new(self.args.investigation.concurrency as usize);
        let progress = Arc::new(Progress::new(alerts.len(), self.quiet));
        let budget = self.args.max_cost_usd;
        let mut handles: Vec<tokio::task::JoinHandle<AlertReport>> =
            Vec::with_capacity(alerts.len());
        for alert in &alerts {
            let alert = alert.clone();
            let ticket = turns.ticket();
            let (hub, client, tool_defs, settings, prompts, progress) = (
                self.hub.clone(),
                self.client.clone(),
                tool_defs.clone(),
                settings.clone(),
                self.prompts.clone(),
                progress.clone(),
            );
            let model_name = model_for(&self.config.models, alert.severity).to_string();
            handles.push(tokio::spawn(async move {
                let _permit = ticket.acquire().await;
                if let Some(why) = settings.stop.get() {
                    return interrupted(&alert, &model_name, &why);
                }
                if let Some(max) = budget
                    && settings.meter.usd() >= max
                {
                    if let Some(a) = &settings.audit {
                        a.record("skipped", json!({"alert": alert.id, "reason": "cost budget reached"}));
                    }
                    return investigate::unfinished_report(
                        &alert,
                        &model_name,
                        Status::SkippedBudget,
                        format!(
                            "not started: the run's estimated cost reached --max-cost-usd {max:.2}; the next run will take it"
                        ),
                    );
                }
                progress.started(&alert.id);
                let r = investigate::investigate(
                    &alert,
                    &model_name,
                    &client,
                    hub.as_ref(),
                    &tool_defs,
                    &prompts,
                    &settings,
                )
                .await;
                progress.finished(&alert.id);
                r
            }));
        }

        let mut counts = [0usize; 3];
        let mut unfinished: Vec<Alert> = Vec::new();
        let mut slack_failed = false;
        let mut worst = None::<Classification>;
        let mut first = true;
        let mut signal = None;
        for (i, alert) in alerts.iter().enumerate() {
            let handle = &mut handles[i];
            let model_name = model_for(&self.config.models, alert.severity);
            let report = tokio::select! {
                biased;
                r = &mut *handle => r.unwrap_or_else(|e| crashed(alert, model_name, &e)),
                why = self.stop.wait() => {
                    if handle.is_finished() {
                        (&mut *handle).await.unwrap_or_else(|e| crashed(alert, model_name, &e))
                    } else {
                        handle.abort();
                        if let Some(a) = &self.audit {
                            a.record("interrupted", json!({"alert": alert.id}));
                        }
                        interrupted(alert, model_name, &why)
                    }
                }
            };
            match self.stop.get() {
                Some(Stop::Fatal(msg)) => {
                    for h in &handles {
                        h.abort();
                    }
                    progress.clear();
                    if let Some(a) = &self.audit {
                        a.record("fatal", json!({"error": msg}));
                    }
                    return Err(Failure::fatal(msg));
                }
                Some(Stop::Signal(s)) => signal = Some(s),
                None => {}
            }
            let text = match self.args.format {
                ReportFormat::Slack => render_slack(&report),
                ReportFormat::Json => render_json(&report),
            };
            let out = match (self.args.format, first) {
                (ReportFormat::Slack, false) => format!("---\n{text}\n"),
                _ => format!("{text}\n"),
            };
            first = false;
            progress.clear();
            write_stdout(&out)?;
            if let Some(a) = &self.audit {
                a.record("report", json!({"alert": alert.id, "report": report}));
            }
            self.usage.add(&Usage {
                input_tokens: report.usage.input_tokens,
                output_tokens: report.usage.output_tokens,
                cache_creation_input_tokens: report.usage.cache_creation_input_tokens,
                cache_read_input_tokens: report.usage.cache_read_input_tokens,
            });
            if report.status == Status::Complete && !crate::output::stdout_closed() {
                // Recorded only now that the report reached stdout (a closed pipe means nobody
                // saw it: the next run takes it again).
                if let Some(state) = &mut self.state {
                    state
                        .record(alert, report.classification)
                        .map_err(|e| Failure::fatal(e.to_string()))?;
                }
                counts[report.classification as usize] += 1;
                worst = worst.max(Some(report.classification));
            } else {
                unfinished.push(alert.clone());
                if !matches!(report.status, Status::SkippedBudget | Status::Interrupted) {
                    counts[report.classification as usize] += 1;
                }
            }
            if let Some(channel) = &self.slack_channel
                && !matches!(report.status, Status::SkippedBudget | Status::Interrupted)
                && !post_to_slack(&self.hub, channel, &report).await
            {
                slack_failed = true;
            }
        }
        progress.clear();
        self.finish(from_scanner, &unfinished, &left_over, counts, alerts.len())?;
        if let Some(s) = signal {
            return Err(Failure {
                code: s.exit_code(),
                message: format!(
                    "interrupted by {}: {} alert(s) reported as interrupted; the next run takes them",
                    s.name(),
                    unfinished.len()
                ),
            });
        }

        let verdict_hit = match (self.args.fail_on, worst) {
            (Some(FailOn::Malicious), Some(c)) => c >= Classification::Malicious,
            (Some(FailOn::Suspicious), Some(c)) => c >= Classification::Suspicious,
            _ => false,
        };
        Ok(if !unfinished.is_empty() || slack_failed {
            exit::PARTIAL
        } else if verdict_hit {
            exit::VERDICT
        } else {
            exit::OK
        })
    }

    /// Collects the window's alerts from Scanner.
    async fn collect(&mut self) -> Result<Vec<Alert>, Failure> {
        let scanner_tools = tool_defs(&self.hub, Some("scanner"), collect::submit_alerts_tool());
        let from = self.window.from.to_string();
        let to = self.window.to.to_string();
        let req = CollectRequest {
            model_name: &self.config.models.collect,
            from: &from,
            to: &to,
            max_alerts: self.args.max_alerts,
            min_severity: self.min_severity.unwrap_or(Severity::Unknown),
        };
        let tools = ServerTools {
            hub: &self.hub,
            server: "scanner",
        };
        let trail = self.audit.as_ref().map(|audit| crate::agent::Trail {
            audit: audit.clone(),
            label: "collect".to_string(),
        });
        let collected = collect::collect(
            &req,
            &self.client,
            &tools,
            scanner_tools,
            &self.prompts,
            trail,
            Some(self.meter.clone()),
        )
        .await
        .map_err(|e| Failure::fatal(format!("could not collect alerts from Scanner: {e}")))?;
        for w in &collected.warnings {
            tracing::warn!("{w}");
        }
        tracing::info!(
            alerts = collected.alerts.len(),
            model_calls = collected.model_calls,
            "collected alerts from Scanner"
        );
        self.usage.add(&collected.usage);
        if collected.alerts.len() >= self.args.max_alerts {
            self.collection_full = true;
            tracing::warn!(
                "collection returned {} alerts (--max-alerts): there may be more in the window; the next --since last run covers the whole window again",
                collected.alerts.len()
            );
        }
        Ok(collected.alerts)
    }

    /// Moves the watermark, writes the summary to the audit and stderr.
    fn finish(
        &mut self,
        from_scanner: bool,
        unfinished: &[Alert],
        left_over: &[Alert],
        counts: [usize; 3],
        total: usize,
    ) -> Result<(), Failure> {
        if from_scanner && let Some(state) = &mut self.state {
            // Alerts not finished this run must fall inside the next `--since last` window.
            let earliest = unfinished
                .iter()
                .chain(left_over)
                .map(|a| a.timestamp.unwrap_or(self.window.from))
                .min();
            let mark = if self.collection_full {
                // Collection stopped at --max-alerts: more may have matched. The next run covers
                // the whole window again (dedupe skips what was triaged).
                self.window.from
            } else {
                earliest
                    .map(|t| t.max(self.window.from).min(self.window.to))
                    .unwrap_or(self.window.to)
            };
            state
                .finish_run(mark)
                .map_err(|e| Failure::fatal(e.to_string()))?;
        }
        let cost = self.meter.usd();
        let seconds = self.started.elapsed().as_secs_f64();
        if let Some(a) = &self.audit {
            a.record(
                "summary",
                json!({"alerts": total, "verdicts": {"benign": counts[0], "suspicious": counts[1], "malicious": counts[2]},
                    "unfinished": unfinished.len(), "left_for_later": left_over.len(),
                    "already_triaged": self.already_triaged,
                    "usage": self.usage, "cost_usd": cost, "seconds": seconds}),
            );
        }
        if !self.quiet {
            let mut line = summary(total, counts, unfinished.len(), &self.usage, cost, seconds);
            if self.already_triaged > 0 {
                line.push_str(&format!(
                    " · {} already triaged by an earlier run (--retriage to redo)",
                    self.already_triaged
                ));
            }
            eprintln!("{line}");
        }
        Ok(())
    }
}

/// Hands out a semaphore's permits in a fixed order, whatever order the tasks start in: each
/// ticket waits until the one before it holds a permit. Alerts are investigated in severity
/// order, so the most severe start first and reports come out as early as they can.
pub(crate) struct InOrder {
    semaphore: Arc<Semaphore>,
    previous: Option<tokio::sync::oneshot::Receiver<()>>,
}

pub(crate) struct Ticket {
    semaphore: Arc<Semaphore>,
    after: Option<tokio::sync::oneshot::Receiver<()>>,
    taken: tokio::sync::oneshot::Sender<()>,
}

impl InOrder {
    pub(crate) fn new(concurrency: usize) -> Self {
        Self {
            semaphore: Arc::new(Semaphore::new(concurrency.max(1))),
            previous: None,
        }
    }

    pub(crate) fn ticket(&mut self) -> Ticket {
        let (taken, next) = tokio::sync::oneshot::channel();
        Ticket {
            semaphore: self.semaphore.clone(),
            after: self.previous.replace(next),
            taken,
        }
    }
}

impl Ticket {
    /// Waits for this ticket's turn, then for a permit. `None` only if the semaphore closed.
    pub(crate) async fn acquire(self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        if let Some(after) = self.after {
            // An error means the earlier task ended without a permit: go on all the same.
            let _ = after.await;
        }
        let permit = self.semaphore.acquire_owned().await.ok();
        let _ = self.taken.send(());
        permit
    }
}

/// The report of an alert whose investigation task died (a bug): failed, never lost.
fn crashed(alert: &Alert, model_name: &str, e: &tokio::task::JoinError) -> AlertReport {
    investigate::unfinished_report(
        alert,
        model_name,
        Status::Failed,
        format!("the investigation stopped unexpectedly ({e}); a human should review this alert"),
    )
}

/// The report of an alert the run stopped before it finished.
fn interrupted(alert: &Alert, model_name: &str, why: &Stop) -> AlertReport {
    let reason = match why {
        Stop::Signal(s) => format!(
            "interrupted by {} before it finished; the next run takes it",
            s.name()
        ),
        Stop::Fatal(m) => format!("not finished: {m}"),
    };
    investigate::unfinished_report(alert, model_name, Status::Interrupted, reason)
}

/// The run summary line, for stderr.
fn summary(
    total: usize,
    counts: [usize; 3],
    unfinished: usize,
    usage: &Usage,
    cost: f64,
    seconds: f64,
) -> String {
    format!(
        "triage: {total} alert{} triaged: {} benign, {} suspicious, {} malicious{} · tokens {} in ({} cache read) / {} out · ~${cost:.2} · {seconds:.1}s",
        if total == 1 { "" } else { "s" },
        counts[Classification::Benign as usize],
        counts[Classification::Suspicious as usize],
        counts[Classification::Malicious as usize],
        if unfinished > 0 {
            format!(" ({unfinished} not finished: incomplete, failed or skipped)")
        } else {
            String::new()
        },
        usage.total_input(),
        usage.cache_read_input_tokens,
        usage.output_tokens,
    )
}

/// The audit header: version, configuration without secrets, prompt fingerprints, window.
fn header(
    run_id: &str,
    config: &Config,
    args: &RunArgs,
    prompts: &Prompts,
    window: &Window,
) -> serde_json::Value {
    let servers: Vec<serde_json::Value> = config
        .servers
        .iter()
        .map(|s| {
            json!({"name": s.name, "source": s.source.to_string(), "rate_limit_per_minute": s.rate_limit,
                "transport": match &s.transport {
                    crate::config::Transport::Http { .. } => "http",
                    crate::config::Transport::Stdio { .. } => "stdio",
                }})
        })
        .collect();
    json!({
        "run_id": run_id,
        "version": env!("CARGO_PKG_VERSION"),
        "window": window.describe(),
        "config": {
            "anthropic_base_url": config.anthropic.base_url,
            "models": config.models,
            "servers": servers,
            "allowed_tools": config.allowed_tools,
            "max_turns": args.investigation.max_turns,
            "concurrency": args.investigation.concurrency,
            "max_cost_usd": args.max_cost_usd,
            "max_tool_result_bytes": args.investigation.max_tool_result_bytes,
            "alerts_from": args.alerts.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "scanner".into()),
        },
        "prompts": {
            "system": audit::fingerprint(&prompts.system),
            "investigate": audit::fingerprint(&prompts.investigate),
            "critique": audit::fingerprint(&prompts.critique),
            "critique_focus_1": audit::fingerprint(&prompts.critique_focus[0]),
            "critique_focus_2": audit::fingerprint(&prompts.critique_focus[1]),
            "collect": audit::fingerprint(&prompts.collect),
        },
    })
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
pub(crate) fn tool_defs(
    hub: &McpHub,
    server: Option<&str>,
    harness: ToolDefinition,
) -> Vec<ToolDefinition> {
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
pub(crate) fn tools_summary(hub: &McpHub) -> String {
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

fn window(args: &RunArgs, state: Option<&State>) -> Result<Window, Failure> {
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
    let ago = |span: SignedDuration| {
        now.checked_sub(span)
            .map_err(|_| Failure::fatal("--since reaches too far back"))
    };
    let lake_start = |s: &str| {
        s.parse::<Timestamp>()
            .map_err(|e| Failure::fatal(format!("the sample lake's window: {e}")))
    };
    let (from, to) = match (&args.from, &args.to, args.since) {
        (Some(f), Some(t), _) => (parse("--from", f)?, parse("--to", t)?),
        (Some(f), None, _) => (parse("--from", f)?, now),
        // The sample lake's alerts sit at a fixed, reproducible point in time.
        (None, _, None) if args.demo => (
            lake_start(crate::lake::ALERTS_FROM)?,
            lake_start(crate::lake::LAKE_END)?,
        ),
        // A user's export: everything in it.
        (None, _, None) if args.lake_dir.is_some() => (Timestamp::UNIX_EPOCH, now),
        (None, _, None) => (ago(DEFAULT_WINDOW)?, now),
        (None, _, Some(Since::Span(d))) => {
            let span =
                SignedDuration::try_from(d).map_err(|_| Failure::fatal("--since is too long"))?;
            (ago(span)?, now)
        }
        (None, _, Some(Since::Last)) => match state.and_then(State::watermark) {
            // A watermark at (or past) now means nothing new: a one-second window.
            Some(mark) => (mark.min(now - SignedDuration::from_secs(1)), now),
            None => {
                if state.is_none() {
                    return Err(Failure::fatal(
                        "--since last needs a state directory: set --state-dir or TRIAGE_STATE_DIR (or HOME)",
                    ));
                }
                (ago(DEFAULT_WINDOW)?, now)
            }
        },
    };
    if from >= to {
        return Err(Failure::fatal(format!(
            "the window is empty: {from} is not before {to}"
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
