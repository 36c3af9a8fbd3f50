//! One structured result per alert ([`AlertReport`]) and its renderings: Slack mrkdwn and JSON
//! lines. Renderings are pure functions of the report.

mod json;
mod slack;

use serde::{Deserialize, Serialize};

use crate::alert::{Alert, Severity};
use crate::assessment::{Assessment, Classification, Confidence, GuardChange};

pub use json::render_json;
pub use slack::{SLACK_MESSAGE_LIMIT, no_alerts_line, render_slack, split_for_slack};

/// The JSON schema id, bumped on any incompatible change.
pub const REPORT_SCHEMA: &str = "triage.report/v1";

/// How an alert's triage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// All three passes submitted.
    Complete,
    /// Stopped early (turn or time limit, refusal, no submission): what was found so far.
    Incomplete,
    /// An error stopped the investigation.
    Failed,
    /// Not started: `--max-cost-usd` was reached. Not recorded as seen: the next run takes it.
    SkippedBudget,
    /// Not finished: the run was interrupted (SIGINT/SIGTERM). Tried again next run.
    Interrupted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Incomplete => "incomplete",
            Status::Failed => "failed",
            Status::SkippedBudget => "not triaged (cost budget reached)",
            Status::Interrupted => "interrupted",
        }
    }
}

/// Which pass produced a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Investigate,
    Critique1,
    Critique2,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Investigate => "investigation",
            Phase::Critique1 => "critique pass 1 of 2",
            Phase::Critique2 => "critique pass 2 of 2",
        }
    }
}

/// One submission, as made (with verification marks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    pub phase: Phase,
    pub assessment: Assessment,
}

/// The alert as shown in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSummary {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    /// As the source wrote it ("Fatal", "Information").
    pub severity_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Best-effort principal from the alert's fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

impl AlertSummary {
    pub fn of(alert: &Alert) -> Self {
        Self {
            id: alert.id.clone(),
            name: alert.name.clone(),
            severity: alert.severity,
            severity_label: alert.severity_label.clone(),
            timestamp: alert.timestamp.map(|t| t.to_string()),
            user: alert.user_hint(),
        }
    }
}

/// Citation check totals over the final assessment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub evidence_items: usize,
    pub verified: usize,
    /// Citations that name no successful tool call of this conversation.
    pub unverified_citations: Vec<String>,
}

/// Tokens used for one alert (all passes), and the estimated cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    /// `None` when the model is not in the price table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_cost_usd: Option<f64>,
}

/// Everything known about one alert's triage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertReport {
    pub schema: String,
    pub alert: AlertSummary,
    pub status: Status,
    /// Why the triage is incomplete or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Final classification after the guards (SUSPICIOUS when incomplete or failed).
    pub classification: Classification,
    pub confidence: Confidence,
    /// The final submission (pass 2, or the latest one when incomplete), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
    /// Every submission in order.
    pub passes: Vec<Pass>,
    /// Classification changes made by the guards.
    pub guards: Vec<GuardChange>,
    pub verification: Verification,
    pub model: String,
    pub usage: TokenUsage,
    pub model_calls: u32,
    pub tool_calls: u32,
    pub duration_ms: u64,
}
