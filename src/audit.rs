//! The audit trail: one JSON-lines file per run, so "what did the agent do and why" can be
//! answered months later. It holds a header (version, configuration without secrets, prompt
//! hashes, models, window), every model request (the messages it added) and response, every tool
//! call with its arguments and (capped) result, every submission, guard changes, each final
//! report, and a summary. Every line goes through the [`Redactor`] before it is written.
//!
//! `triage audit` renders a trail for people ([`render`]).

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::secret::Redactor;

/// Tool results longer than this are stored cut, with their full size.
pub const AUDIT_RESULT_CAP: usize = 16 * 1024;

/// An open audit file. Lines are written whole (one `write` each), from any task.
pub struct Audit {
    path: PathBuf,
    file: Mutex<File>,
    redactor: Redactor,
}

impl Audit {
    /// Creates `<dir>/<run_id>.jsonl`.
    pub fn create(dir: &Path, run_id: &str, redactor: Redactor) -> Result<Audit, String> {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "cannot create the audit directory {}: {e}; set --audit-dir to a writable directory",
                dir.display()
            )
        })?;
        let path = dir.join(format!("{run_id}.jsonl"));
        let file = File::create(&path)
            .map_err(|e| format!("cannot create the audit file {}: {e}", path.display()))?;
        Ok(Audit {
            path,
            file: Mutex::new(file),
            redactor,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event (`{"ts", "type", ...fields}`). A write failure is logged, not fatal:
    /// losing the audit must not lose the alert.
    pub fn record(&self, kind: &str, fields: Value) {
        let mut obj = serde_json::Map::new();
        obj.insert("ts".into(), json!(Timestamp::now().to_string()));
        obj.insert("type".into(), json!(kind));
        if let Value::Object(m) = fields {
            obj.extend(m);
        }
        let line = self.redactor.redact(&Value::Object(obj).to_string()) + "\n";
        let res = match self.file.lock() {
            Ok(mut f) => f.write_all(line.as_bytes()),
            Err(_) => Ok(()),
        };
        if let Err(e) = res {
            tracing::warn!("cannot write the audit file {}: {e}", self.path.display());
        }
    }
}

/// A tool result for the audit: cut above [`AUDIT_RESULT_CAP`], with its full size.
pub fn capped(text: &str) -> Value {
    if text.len() <= AUDIT_RESULT_CAP {
        return json!({"text": text, "bytes": text.len()});
    }
    let mut end = AUDIT_RESULT_CAP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    json!({"text": &text[..end], "bytes": text.len(), "truncated": true})
}

/// A short, stable fingerprint of a prompt (FNV-1a, 64 bits): enough to tell which prompt text
/// a run used; not a security hash.
pub fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A new run id: sortable by time, unique per process.
pub fn new_run_id() -> String {
    let now = Timestamp::now();
    let s = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    format!("{s}-{}", std::process::id())
}

/// The audit files in `dir`, oldest first.
pub fn list_runs(dir: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    runs.sort();
    runs
}

/// Renders an audit file for people: the run, then per alert the conversation, the tools
/// called with timings, and how the verdict moved across passes and why.
pub fn render(text: &str, only_alert: Option<&str>) -> String {
    let events: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut out = String::new();
    for e in &events {
        let kind = e["type"].as_str().unwrap_or("");
        let alert = e["alert"].as_str().unwrap_or("");
        if let Some(only) = only_alert
            && kind != "header"
            && kind != "summary"
            && alert != only
        {
            continue;
        }
        match kind {
            "header" => {
                let _ = writeln!(
                    out,
                    "Run {} — triage {} — started {}",
                    s(&e["run_id"]),
                    s(&e["version"]),
                    s(&e["ts"])
                );
                let _ = writeln!(out, "  window: {}", s(&e["window"]));
                let _ = writeln!(out, "  models: {}", e["config"]["models"]);
                let servers: Vec<String> = e["config"]["servers"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|x| format!("{} ({})", s(&x["name"]), s(&x["transport"])))
                            .collect()
                    })
                    .unwrap_or_default();
                let _ = writeln!(out, "  servers: {}", servers.join(", "));
                let _ = writeln!(out, "  prompts: {}", e["prompts"]);
            }
            "alert_start" => {
                let _ = writeln!(
                    out,
                    "\n== Alert {} ({}) {} — model {}",
                    alert,
                    s(&e["severity"]),
                    s(&e["name"]),
                    s(&e["model"])
                );
            }
            "model_response" => {
                let text = e["text"].as_str().unwrap_or("").trim();
                let _ = writeln!(
                    out,
                    "  [turn {}] model: stop {} · {} in / {} out tokens ({} cache read) · {} ms{}",
                    e["turn"],
                    s(&e["stop_reason"]),
                    e["usage"]["input_tokens"],
                    e["usage"]["output_tokens"],
                    e["usage"]["cache_read_input_tokens"],
                    e["ms"],
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!("\n      “{}”", shorten(text, 300))
                    }
                );
            }
            "model_error" => {
                let _ = writeln!(
                    out,
                    "  [turn {}] model error: {}",
                    e["turn"],
                    s(&e["error"])
                );
            }
            "tool_call" => {
                let _ = writeln!(
                    out,
                    "  tool {} {} → {}{} bytes in {} ms",
                    s(&e["name"]),
                    shorten(&e["input"].to_string(), 160),
                    if e["is_error"] == true { "ERROR, " } else { "" },
                    e["output"]["bytes"],
                    e["ms"]
                );
            }
            "submission" => {
                if e["accepted"] == true {
                    let a = &e["assessment"];
                    let _ = writeln!(
                        out,
                        "  ▸ {}: {} ({}) — {}",
                        s(&e["phase"]),
                        s(&a["classification"]),
                        s(&a["confidence"]),
                        s(&a["title"])
                    );
                    if let Some(c) = a["changes"].as_str() {
                        let _ = writeln!(out, "      changes: {}", shorten(c, 400));
                    }
                } else {
                    let _ = writeln!(
                        out,
                        "  ▸ submission refused: {}",
                        shorten(&s(&e["error"]), 300)
                    );
                }
            }
            "report" => {
                let r = &e["report"];
                let _ = writeln!(
                    out,
                    "  ⇒ final: {} ({}) — status {}{}",
                    s(&r["classification"]),
                    s(&r["confidence"]),
                    s(&r["status"]),
                    r["status_reason"]
                        .as_str()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                );
                for g in r["guards"].as_array().into_iter().flatten() {
                    let _ = writeln!(out, "      guard: {}", s(&g["reason"]));
                }
            }
            "skipped" => {
                let _ = writeln!(out, "\n== Alert {alert}: skipped — {}", s(&e["reason"]));
            }
            "summary" => {
                let _ = writeln!(
                    out,
                    "\nSummary: {} alerts · {} · tokens {} in / {} out ({} cache read) · ${:.4} · {:.1}s",
                    e["alerts"],
                    e["verdicts"],
                    e["usage"]["input_tokens"],
                    e["usage"]["output_tokens"],
                    e["usage"]["cache_read_input_tokens"],
                    e["cost_usd"].as_f64().unwrap_or(0.0),
                    e["seconds"].as_f64().unwrap_or(0.0)
                );
            }
            _ => {}
        }
    }
    out
}

fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

fn shorten(t: &str, max: usize) -> String {
    let one: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= max {
        one
    } else {
        let cut: String = one.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn records_are_redacted_lines() {
        let dir = tempfile::tempdir().unwrap();
        let a = Audit::create(
            dir.path(),
            "run1",
            Redactor::new([Secret::new("topsecret-123")]),
        )
        .unwrap();
        a.record(
            "tool_call",
            json!({"alert": "x", "input": {"q": "key=topsecret-123"}}),
        );
        let text = std::fs::read_to_string(a.path()).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(!text.contains("topsecret-123"));
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["type"], "tool_call");
        assert_eq!(v["input"]["q"], "key=[redacted]");
    }

    #[test]
    fn capped_results_keep_their_size() {
        let big = "x".repeat(AUDIT_RESULT_CAP + 10);
        let v = capped(&big);
        assert_eq!(v["bytes"], AUDIT_RESULT_CAP + 10);
        assert_eq!(v["truncated"], true);
        assert_eq!(v["text"].as_str().unwrap().len(), AUDIT_RESULT_CAP);
        assert_eq!(capped("ok")["truncated"], Value::Null);
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fingerprint(""), "cbf29ce484222325");
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }
}
