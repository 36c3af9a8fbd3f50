//! The per-alert method, enforced: investigate → `submit_assessment`, critique pass 1 of 2 →
//! `submit_assessment`, critique pass 2 of 2 → `submit_assessment` (final). Every pass is kept.
//! A limit, refusal or error ends the alert as incomplete/failed and SUSPICIOUS, with whatever
//! was found so far — never silently BENIGN.

use std::time::{Duration, Instant};

use crate::agent::{Conversation, Limits, Model, PhaseEnd, Tools, Trail};
use crate::alert::{Alert, Severity, render_alert_for_prompt};
use crate::anthropic::ToolDefinition;
use crate::assessment::{
    self, Assessment, Classification, Confidence, GuardChange, SUBMIT_ASSESSMENT, apply_guards,
    parse_submission, verify,
};
use crate::config::Models;
use crate::prompts::{Prompts, fill};
use crate::report::{AlertReport, AlertSummary, Pass, Phase, REPORT_SCHEMA, Status, Verification};
use crate::usage::token_usage;

/// Bytes of alert JSON put in the prompt; longer alerts are cut (with a note).
pub const MAX_ALERT_PROMPT_BYTES: usize = 30_000;
/// Critique passes after the first assessment (the seed's "run this step twice").
pub const CRITIQUE_PASSES: usize = 2;

/// Settings of one run's investigations.
#[derive(Clone)]
pub struct Settings {
    /// The run's audit file, when kept.
    pub audit: Option<std::sync::Arc<crate::audit::Audit>>,
    /// The run's spend so far (for `--max-cost-usd`).
    pub meter: crate::agent::CostMeter,
    /// Set when the run must stop (signal, or the API refused the key).
    pub stop: crate::signals::StopFlag,
    pub max_turns: u32,
    pub alert_timeout: Duration,
    pub max_tool_result_bytes: usize,
    /// The run's window, for the prompt ("2026-11-24T10:00:00Z to 2026-11-25T10:00:00Z").
    pub window: String,
    /// The servers and tools available, for the prompt.
    pub tools_summary: String,
}

/// The model for an alert's severity.
pub fn model_for(models: &Models, severity: Severity) -> &str {
    match severity {
        Severity::Critical => &models.critical,
        Severity::High => &models.high,
        Severity::Medium => &models.medium,
        Severity::Low | Severity::Informational | Severity::Unknown => &models.low,
    }
}

/// The harness tool definition (same bytes in every request: part of the cached prefix).
pub fn submit_assessment_tool() -> ToolDefinition {
    ToolDefinition {
        name: SUBMIT_ASSESSMENT.to_string(),
        description: "Submit your assessment of the alert. This is the only way to finish a step: the investigation and each critique pass end when you call it. In critique passes, `changes` is required.".to_string(),
        input_schema: assessment::assessment_schema(false),
        cache_control: None,
    }
}

/// Investigates one alert and returns its report. Never fails: problems become the report's
/// status.
pub async fn investigate(
    alert: &Alert,
    model_name: &str,
    model: &impl Model,
    tools: &impl Tools,
    tool_defs: &[ToolDefinition],
    prompts: &Prompts,
    settings: &Settings,
) -> AlertReport {
    let started = Instant::now();
    let limits = Limits {
        max_turns: settings.max_turns,
        deadline: started + settings.alert_timeout,
        max_tool_result_bytes: settings.max_tool_result_bytes,
    };
    // `<` is escaped inside the JSON so alert data cannot close the untrusted wrapper.
    let alert_json = render_alert_for_prompt(alert, MAX_ALERT_PROMPT_BYTES).replace('<', "\\u003c");
    let max_turns = settings.max_turns.to_string();
    let first = fill(
        &prompts.investigate,
        &[
            ("alert_json", &alert_json),
            ("alert_id", &sanitize_inline(&alert.id)),
            ("alert_name", &sanitize_inline(&alert.name)),
            ("severity", &sanitize_inline(&alert.severity_label)),
            ("window", &settings.window),
            ("tools", &settings.tools_summary),
            ("max_turns", &max_turns),
        ],
    );
    let mut conv = Conversation::new(
        model_name.to_string(),
        &prompts.system,
        tool_defs.to_vec(),
        first,
    );
    conv.meter = Some(settings.meter.clone());
    conv.trail = settings.audit.as_ref().map(|audit| Trail {
        audit: audit.clone(),
        label: alert.id.clone(),
    });
    conv.audit(
        "alert_start",
        serde_json::json!({"severity": alert.severity_label, "name": alert.name, "model": model_name}),
    );
    let mut passes: Vec<Pass> = Vec::new();
    let mut ended: Option<(Status, String)> = None;
    let phases = [Phase::Investigate, Phase::Critique1, Phase::Critique2];
    for (i, phase) in phases.into_iter().enumerate() {
        if let Some(prev) = passes.last() {
            let a = &prev.assessment;
            let pass = i.to_string();
            let passes_n = CRITIQUE_PASSES.to_string();
            conv.say(fill(
                &prompts.critique,
                &[
                    ("pass", &pass),
                    ("passes", &passes_n),
                    ("previous_classification", a.classification.as_str()),
                    ("previous_confidence", a.confidence.as_str()),
                    ("verification", &verification_note(a)),
                    ("pass_focus", &prompts.critique_focus[i - 1]),
                ],
            ));
        }
        let critique = i > 0;
        conv.phase = phase.label().to_string();
        let end = conv
            .run_phase(model, tools, SUBMIT_ASSESSMENT, &limits, |input, conv| {
                let mut a = parse_submission(input, critique)?;
                verify(&mut a, &conv.ok_calls);
                Ok(a)
            })
            .await;
        let during = phase.label();
        match end {
            PhaseEnd::Submitted(assessment) => {
                conv.audit(
                    "submission",
                    serde_json::json!({"phase": during, "accepted": true, "assessment": assessment}),
                );
                passes.push(Pass { phase, assessment })
            }
            PhaseEnd::NoSubmission => {
                ended = Some((
                    Status::Incomplete,
                    format!(
                        "the model stopped without calling submit_assessment during the {during}, even after a reminder"
                    ),
                ))
            }
            PhaseEnd::TurnLimit => {
                ended = Some((
                    Status::Incomplete,
                    format!(
                        "turn limit reached ({} model calls) during the {during}",
                        settings.max_turns
                    ),
                ))
            }
            PhaseEnd::TimeLimit => {
                ended = Some((
                    Status::Incomplete,
                    format!(
                        "time limit reached ({}) during the {during}",
                        crate::mcp::fmt_duration(settings.alert_timeout)
                    ),
                ))
            }
            PhaseEnd::Refused(category) => {
                ended = Some((
                    Status::Incomplete,
                    match category {
                        Some(c) => format!(
                            "the model declined to continue (refusal, category {c}) during the {during}"
                        ),
                        None => {
                            format!("the model declined to continue (refusal) during the {during}")
                        }
                    },
                ))
            }
            PhaseEnd::Fatal(why) => {
                settings.stop.set(crate::signals::Stop::Fatal(why.clone()));
                ended = Some((Status::Failed, why));
            }
            PhaseEnd::Failed(why) => {
                ended = Some((Status::Failed, format!("{why} (during the {during})")))
            }
        }
        if ended.is_some() {
            break;
        }
    }

    let (status, status_reason) = match ended {
        Some((s, r)) => (s, Some(r)),
        None => (Status::Complete, None),
    };
    let final_assessment: Option<Assessment> = passes.last().map(|p| p.assessment.clone());
    let (classification, guards, confidence) = match (&final_assessment, status) {
        (Some(a), Status::Complete) => {
            let (c, g) = apply_guards(a);
            (c, g, a.confidence)
        }
        (Some(a), _) => {
            let mut g = Vec::new();
            if a.classification != Classification::Suspicious {
                g.push(GuardChange {
                    rule: "incomplete_is_suspicious".into(),
                    from: a.classification,
                    to: Classification::Suspicious,
                    reason: format!(
                        "set to SUSPICIOUS from {}: the triage did not finish, a human should review",
                        a.classification
                    ),
                });
            }
            (Classification::Suspicious, g, a.confidence)
        }
        (None, _) => (Classification::Suspicious, Vec::new(), Confidence::Low),
    };
    let verification = final_assessment
        .as_ref()
        .map(verification_of)
        .unwrap_or_default();
    AlertReport {
        schema: REPORT_SCHEMA.to_string(),
        alert: AlertSummary::of(alert),
        status,
        status_reason,
        classification,
        confidence,
        assessment: final_assessment,
        passes,
        guards,
        verification,
        model: model_name.to_string(),
        usage: token_usage(model_name, &conv.usage),
        model_calls: conv.model_calls,
        tool_calls: conv.calls.len() as u32,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

/// A report for an alert whose investigation could not start or was cut short from outside
/// (interrupted): SUSPICIOUS, with the reason.
pub fn unfinished_report(
    alert: &Alert,
    model_name: &str,
    status: Status,
    reason: String,
) -> AlertReport {
    AlertReport {
        schema: REPORT_SCHEMA.to_string(),
        alert: AlertSummary::of(alert),
        status,
        status_reason: Some(reason),
        classification: Classification::Suspicious,
        confidence: Confidence::Low,
        assessment: None,
        passes: Vec::new(),
        guards: Vec::new(),
        verification: Verification::default(),
        model: model_name.to_string(),
        usage: Default::default(),
        model_calls: 0,
        tool_calls: 0,
        duration_ms: 0,
    }
}

fn verification_of(a: &Assessment) -> Verification {
    let items: Vec<_> = a
        .benign_evidence
        .iter()
        .chain(&a.concerning_evidence)
        .collect();
    let mut unverified: Vec<String> = items
        .iter()
        .flat_map(|e| e.unverified_citations.iter().cloned())
        .collect();
    unverified.sort();
    unverified.dedup();
    Verification {
        evidence_items: items.len(),
        verified: items.iter().filter(|e| e.verified).count(),
        unverified_citations: unverified,
    }
}

/// The harness's note on the previous submission's citations, for the critique prompt.
fn verification_note(a: &Assessment) -> String {
    let v = verification_of(a);
    let unverified = v.evidence_items - v.verified;
    if v.evidence_items == 0 {
        "Your previous submission cited no evidence at all. Evidence must cite the tool_use ids of the calls it comes from.".to_string()
    } else if unverified == 0 {
        format!(
            "All {} evidence items of your previous submission cite successful tool calls.",
            v.evidence_items
        )
    } else {
        let mut s = format!(
            "{unverified} of {} evidence items of your previous submission are unverified: they cite no successful tool call of this conversation",
            v.evidence_items
        );
        if !v.unverified_citations.is_empty() {
            s.push_str(&format!(
                " (unknown or failed ids: {})",
                v.unverified_citations.join(", ")
            ));
        }
        s.push_str(". Cite the tool_use ids they come from, gather the evidence, or drop them.");
        s
    }
}

/// Alert ids and names go into the prompt outside the JSON: one line, no markup-like `<`.
fn sanitize_inline(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '<' || c == '>' { '_' } else { c })
        .take(200)
        .collect()
}
