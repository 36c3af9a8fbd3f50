//! The assessment: what the model submits through `submit_assessment`, how its evidence is
//! checked against the tool calls it cites, and the policy guards that keep the seed's headline
//! — no false MALICIOUS, no silent BENIGN.
//!
//! The model's input is validated strictly (an invalid submission gets an error `tool_result`
//! saying exactly what to fix, and the model submits again). Evidence items cite `tool_use` ids;
//! a citation is verified when it names a successful tool call of this alert's conversation.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The harness tool that ends each phase of an investigation.
pub const SUBMIT_ASSESSMENT: &str = "submit_assessment";

/// Caps on what one submission may hold: enough for a thorough analyst, not a flood.
pub const MAX_ITEMS: usize = 20;
pub const MAX_TEXT_CHARS: usize = 2000;
pub const MAX_TITLE_CHARS: usize = 150;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Classification {
    Benign,
    Suspicious,
    Malicious,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Benign => "BENIGN",
            Classification::Suspicious => "SUSPICIOUS",
            Classification::Malicious => "MALICIOUS",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "Low",
            Confidence::Medium => "Medium",
            Confidence::High => "High",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HypothesisKind {
    Benign,
    Malicious,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HypothesisStatus {
    Supported,
    Refuted,
    Open,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hypothesis {
    pub kind: HypothesisKind,
    pub explanation: String,
    pub status: HypothesisStatus,
    /// Why the evidence supports, refutes, or leaves it open.
    #[serde(default)]
    pub reasoning: String,
}

/// One piece of evidence, with the `tool_use` ids it rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub text: String,
    #[serde(default)]
    pub citations: Vec<String>,
    /// Set by the harness: at least one citation names a successful call of this conversation.
    #[serde(default)]
    pub verified: bool,
    /// Set by the harness: citations that name no successful call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unverified_citations: Vec<String>,
}

/// Evidence as the model submits it: the harness's fields cannot be set by the model.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceInput {
    text: String,
    #[serde(default)]
    citations: Vec<String>,
}

/// A submission as the model sends it (strict), turned into an [`Assessment`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssessmentInput {
    classification: Classification,
    confidence: Confidence,
    title: String,
    #[serde(default)]
    user: Option<String>,
    what_happened: String,
    hypotheses: Vec<Hypothesis>,
    #[serde(default)]
    benign_evidence: Vec<EvidenceInput>,
    #[serde(default)]
    concerning_evidence: Vec<EvidenceInput>,
    #[serde(default)]
    data_gaps: Vec<String>,
    #[serde(default)]
    questions: Vec<String>,
    #[serde(default)]
    changes: Option<String>,
}

impl From<AssessmentInput> for Assessment {
    fn from(i: AssessmentInput) -> Self {
        let ev = |v: Vec<EvidenceInput>| {
            v.into_iter()
                .map(|e| Evidence {
                    text: e.text,
                    citations: e.citations,
                    verified: false,
                    unverified_citations: Vec::new(),
                })
                .collect()
        };
        Assessment {
            classification: i.classification,
            confidence: i.confidence,
            title: i.title,
            user: i.user.filter(|u| !u.trim().is_empty()),
            what_happened: i.what_happened,
            hypotheses: i.hypotheses,
            benign_evidence: ev(i.benign_evidence),
            concerning_evidence: ev(i.concerning_evidence),
            data_gaps: i.data_gaps,
            questions: i.questions,
            changes: i.changes,
        }
    }
}

/// One `submit_assessment` submission, with the harness's verification marks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub classification: Classification,
    pub confidence: Confidence,
    /// One line, e.g. "Team member assumed privileged access role".
    pub title: String,
    /// The principal involved (user, role, service account), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub what_happened: String,
    pub hypotheses: Vec<Hypothesis>,
    #[serde(default)]
    pub benign_evidence: Vec<Evidence>,
    #[serde(default)]
    pub concerning_evidence: Vec<Evidence>,
    #[serde(default)]
    pub data_gaps: Vec<String>,
    #[serde(default)]
    pub questions: Vec<String>,
    /// Critique passes: what changed since the previous submission, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<String>,
}

/// A classification changed by a guard, recorded and shown in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardChange {
    /// Stable rule id, e.g. `malicious_needs_verified_evidence`.
    pub rule: String,
    pub from: Classification,
    pub to: Classification,
    /// Shown to the analyst: "lowered from MALICIOUS: no verified concerning evidence".
    pub reason: String,
}

/// The JSON schema of `submit_assessment`'s input. `critique` adds the required `changes`.
pub fn assessment_schema(critique: bool) -> Value {
    let evidence = json!({
        "type": "array",
        "maxItems": MAX_ITEMS,
        "items": {
            "type": "object",
            "properties": {
                "text": {"type": "string", "description": "One fact, stated plainly, with the figures."},
                "citations": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "The tool_use ids of the tool calls this fact comes from (e.g. toolu_01A...). Facts taken only from the alert itself cite \"alert\"."
                }
            },
            "required": ["text", "citations"],
            "additionalProperties": false
        }
    });
    let mut required = vec![
        "classification",
        "confidence",
        "title",
        "what_happened",
        "hypotheses",
        "benign_evidence",
        "concerning_evidence",
        "data_gaps",
        "questions",
    ];
    if critique {
        required.push("changes");
    }
    json!({
        "type": "object",
        "properties": {
            "classification": {"type": "string", "enum": ["BENIGN", "SUSPICIOUS", "MALICIOUS"],
                "description": "BENIGN: evidence strongly supports legitimate activity. SUSPICIOUS: mixed or insufficient evidence, needs human review. MALICIOUS: evidence strongly supports malicious activity. When uncertain, SUSPICIOUS."},
            "confidence": {"type": "string", "enum": ["Low", "Medium", "High"]},
            "title": {"type": "string", "description": "One line summary, under 100 characters, no markup."},
            "user": {"type": "string", "description": "The user, role or service account involved, if known."},
            "what_happened": {"type": "string", "description": "One to three sentences: what the alert shows happened."},
            "hypotheses": {
                "type": "array",
                "minItems": 2,
                "maxItems": 5,
                "description": "2-3 hypotheses ranked by probability: the most likely benign explanation, the most likely malicious one, others.",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": ["benign", "malicious", "other"]},
                        "explanation": {"type": "string"},
                        "status": {"type": "string", "enum": ["supported", "refuted", "open"]},
                        "reasoning": {"type": "string", "description": "Which evidence supports or refutes it."}
                    },
                    "required": ["kind", "explanation", "status", "reasoning"],
                    "additionalProperties": false
                }
            },
            "benign_evidence": evidence.clone(),
            "concerning_evidence": evidence,
            "data_gaps": {"type": "array", "maxItems": MAX_ITEMS, "items": {"type": "string"},
                "description": "What you could not check and why (missing baseline, empty index, failed tool)."},
            "questions": {"type": "array", "maxItems": MAX_ITEMS, "items": {"type": "string"},
                "description": "Questions for the analyst, phrased as questions, never as instructions or actions."},
            "changes": {"type": "string", "description": "What changed since your previous submission and why (or why nothing changed)."}
        },
        "required": required,
        "additionalProperties": false
    })
}

/// Parses and validates a submission. The error is written for the model: it says what to fix.
pub fn parse_submission(input: &Value, critique: bool) -> Result<Assessment, String> {
    let a: Assessment = serde_json::from_value::<AssessmentInput>(input.clone())
        .map_err(|e| {
            format!("The submission does not match the schema of submit_assessment: {e}. Fix it and call submit_assessment again.")
        })?
        .into();
    let mut problems = Vec::new();
    if a.title.trim().is_empty() {
        problems.push("`title` is empty".to_string());
    }
    if a.title.chars().count() > MAX_TITLE_CHARS {
        problems.push(format!(
            "`title` is longer than {MAX_TITLE_CHARS} characters"
        ));
    }
    if a.what_happened.trim().is_empty() {
        problems.push("`what_happened` is empty".to_string());
    }
    if a.hypotheses.len() < 2 {
        problems.push(
            "give at least 2 hypotheses: the most likely benign and the most likely malicious explanation"
                .to_string(),
        );
    }
    if !a
        .hypotheses
        .iter()
        .any(|h| h.kind == HypothesisKind::Benign)
        || !a
            .hypotheses
            .iter()
            .any(|h| h.kind == HypothesisKind::Malicious)
    {
        problems.push(
            "`hypotheses` must include at least one of kind \"benign\" and one of kind \"malicious\""
                .to_string(),
        );
    }
    for (field, n) in [
        ("hypotheses", a.hypotheses.len()),
        ("benign_evidence", a.benign_evidence.len()),
        ("concerning_evidence", a.concerning_evidence.len()),
        ("data_gaps", a.data_gaps.len()),
        ("questions", a.questions.len()),
    ] {
        if n > MAX_ITEMS {
            problems.push(format!("`{field}` has {n} items; keep it to {MAX_ITEMS}"));
        }
    }
    let long = a
        .benign_evidence
        .iter()
        .chain(&a.concerning_evidence)
        .map(|e| e.text.as_str())
        .chain(a.data_gaps.iter().map(String::as_str))
        .chain(a.questions.iter().map(String::as_str))
        .chain(std::iter::once(a.what_happened.as_str()))
        .any(|t| t.chars().count() > MAX_TEXT_CHARS);
    if long {
        problems.push(format!("keep each text under {MAX_TEXT_CHARS} characters"));
    }
    if critique && a.changes.as_deref().is_none_or(|c| c.trim().is_empty()) {
        problems.push("`changes` is required in a critique pass: say what changed and why, or why nothing did".to_string());
    }
    if problems.is_empty() {
        Ok(a)
    } else {
        Err(format!(
            "The submission was not accepted: {}. Fix it and call submit_assessment again.",
            problems.join("; ")
        ))
    }
}

/// Marks each evidence item verified when one of its citations names a successful tool call
/// (`ok_calls`). A citation of the alert itself (`"alert"`) counts as verified: the alert is
/// data the harness gave the model.
pub fn verify(a: &mut Assessment, ok_calls: &HashSet<String>) {
    for e in a
        .benign_evidence
        .iter_mut()
        .chain(a.concerning_evidence.iter_mut())
    {
        let (good, bad): (Vec<&String>, Vec<&String>) = e
            .citations
            .iter()
            .partition(|c| c.as_str() == "alert" || ok_calls.contains(c.as_str()));
        e.verified = !good.is_empty();
        e.unverified_citations = bad.into_iter().cloned().collect();
    }
}

/// Applies the policy guards to a verified assessment; returns the final classification and
/// every change made.
pub fn apply_guards(a: &Assessment) -> (Classification, Vec<GuardChange>) {
    let mut changes = Vec::new();
    let mut c = a.classification;
    // Verified evidence must rest on a tool call, not only on the alert restating itself.
    let tool_verified = |items: &[Evidence]| {
        items.iter().any(|e| {
            e.verified
                && e.citations
                    .iter()
                    .any(|c| c != "alert" && !e.unverified_citations.contains(c))
        })
    };
    if c == Classification::Malicious && !tool_verified(&a.concerning_evidence) {
        changes.push(GuardChange {
            rule: "malicious_needs_verified_evidence".into(),
            from: c,
            to: Classification::Suspicious,
            reason:
                "lowered from MALICIOUS: no concerning evidence is backed by a successful tool call"
                    .into(),
        });
        c = Classification::Suspicious;
    }
    if c == Classification::Benign && a.confidence == Confidence::Low {
        changes.push(GuardChange {
            rule: "benign_needs_confidence".into(),
            from: c,
            to: Classification::Suspicious,
            reason: "raised from BENIGN: confidence is Low".into(),
        });
        c = Classification::Suspicious;
    }
    if c == Classification::Benign && !tool_verified(&a.benign_evidence) {
        changes.push(GuardChange {
            rule: "benign_needs_verified_evidence".into(),
            from: c,
            to: Classification::Suspicious,
            reason: "raised from BENIGN: no benign evidence is backed by a successful tool call"
                .into(),
        });
        c = Classification::Suspicious;
    }
    (c, changes)
}

#[cfg(test)]
mod tests;
