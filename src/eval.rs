//! `triage eval`: accuracy over a labelled set, so a prompt or model change can be judged.
//!
//! Every alert of the set is triaged by the normal investigation (three passes, guards) against
//! the set's lake, served by `triage lake serve` in place of Scanner; the final verdicts are
//! compared with the labels. Prints a confusion matrix (expected × got), accuracy, false
//! MALICIOUS, missed true positives, the SUSPICIOUS rate, incomplete count, tokens and cost per
//! alert, wall time; with `--repeat K`, verdict stability; with `--baseline FILE`, the deltas and
//! a non-zero exit when accuracy falls or false MALICIOUS rises.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::alert::{Alert, parse_alerts, sort_alerts};
use crate::assessment::Classification;
use crate::cli::{EvalArgs, OutputFormat};
use crate::config::Config;
use crate::investigate::{self, Settings, model_for, submit_assessment_tool};
use crate::mcp::McpHub;
use crate::output::write_stdout;
use crate::prompts::Prompts;
use crate::report::{AlertReport, Status};
use crate::{Failure, exit};

/// The JSON schema id of an eval result.
pub const EVAL_SCHEMA: &str = "triage.eval/v1";
const CLASSES: [Classification; 3] = [
    Classification::Benign,
    Classification::Suspicious,
    Classification::Malicious,
];

/// One labelled alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub alert_id: String,
    pub label: Classification,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub alert_type: String,
}

/// A labelled set: alerts, their labels, and the lake to investigate them in.
pub struct Dataset {
    pub name: String,
    pub alerts: Vec<Alert>,
    pub labels: BTreeMap<String, Label>,
    /// `None`: the lake compiled into the binary.
    pub lake_dir: Option<PathBuf>,
}

impl Dataset {
    /// A directory with `labels.jsonl` (one `{"alert_id", "label", "rationale", "alert_type"}`
    /// per line) and `lake/`: the lake's JSON-lines files, one per index, alerts in
    /// `lake/_detections.jsonl` (the layout `--lake-dir` reads).
    pub fn load(dir: &Path) -> Result<Dataset, String> {
        let lake = dir.join("lake");
        let alerts_path = lake.join("_detections.jsonl");
        let bytes = std::fs::read(&alerts_path).map_err(|e| {
            format!(
                "--dataset {}: cannot read {}: {e}; a dataset holds labels.jsonl and lake/ (one JSON-lines file per index, alerts in lake/_detections.jsonl)",
                dir.display(),
                alerts_path.display()
            )
        })?;
        let alerts = parse_alerts(&bytes, &alerts_path.display().to_string())
            .map_err(|e| e.to_string())?
            .alerts;
        let labels_path = dir.join("labels.jsonl");
        let text = std::fs::read_to_string(&labels_path)
            .map_err(|e| format!("--dataset: cannot read {}: {e}", labels_path.display()))?;
        let mut labels = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let l: Label = serde_json::from_str(line).map_err(|e| {
                format!(
                    "{} line {}: {e}; each line is {{\"alert_id\": …, \"label\": \"BENIGN|SUSPICIOUS|MALICIOUS\", \"rationale\": …}}",
                    labels_path.display(),
                    i + 1
                )
            })?;
            labels.insert(l.alert_id.clone(), l);
        }
        Dataset::new(dir.display().to_string(), alerts, labels, Some(lake))
    }

    /// Checks that every alert has a label and every label an alert.
    pub fn new(
        name: String,
        alerts: Vec<Alert>,
        labels: BTreeMap<String, Label>,
        lake_dir: Option<PathBuf>,
    ) -> Result<Dataset, String> {
        let unlabelled: Vec<&str> = alerts
            .iter()
            .filter(|a| !labels.contains_key(&a.id))
            .map(|a| a.id.as_str())
            .collect();
        if !unlabelled.is_empty() {
            return Err(format!(
                "dataset {name}: alerts without a label: {}",
                unlabelled.join(", ")
            ));
        }
        let orphan: Vec<&str> = labels
            .keys()
            .filter(|id| !alerts.iter().any(|a| &a.id == *id))
            .map(String::as_str)
            .collect();
        if !orphan.is_empty() {
            return Err(format!(
                "dataset {name}: labels for alerts that are not there: {}",
                orphan.join(", ")
            ));
        }
        Ok(Dataset {
            name,
            alerts,
            labels,
            lake_dir,
        })
    }
}

/// The set to evaluate: `--dataset DIR`, or the bundled sample.
pub fn dataset(dir: Option<&Path>) -> Result<Dataset, Failure> {
    match dir {
        Some(d) => Dataset::load(d).map_err(Failure::fatal),
        None => bundled().map_err(Failure::fatal),
    }
}

/// The sample lake compiled into the binary, with its answer key.
pub fn bundled() -> Result<Dataset, String> {
    let alerts = crate::lake::alerts()
        .into_iter()
        .map(Alert::from_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the bundled sample has an invalid alert: {e}"))?;
    let labels = crate::lake::labels()
        .into_iter()
        .map(|l| {
            (
                l.alert_id.clone(),
                Label {
                    alert_id: l.alert_id,
                    label: l.label,
                    rationale: l.rationale,
                    alert_type: l.alert_type,
                },
            )
        })
        .collect();
    Dataset::new("the bundled sample lake".into(), alerts, labels, None)
}

/// The figures of one eval, also its JSON form (`--format json`, and `--baseline` input).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    pub schema: String,
    pub dataset: String,
    pub models: Vec<String>,
    pub alerts: usize,
    pub repeat: usize,
    /// `matrix[expected][got]` counts over every triage (alerts × repeats).
    pub matrix: BTreeMap<String, BTreeMap<String, usize>>,
    pub accuracy: f64,
    pub false_malicious: usize,
    /// Labelled MALICIOUS, triaged BENIGN.
    pub missed_true_positives: usize,
    /// Labelled MALICIOUS, triaged SUSPICIOUS (caught for a human, not called).
    pub malicious_as_suspicious: usize,
    pub suspicious_rate: f64,
    pub incomplete: usize,
    pub tokens_per_alert: f64,
    pub cost_per_alert_usd: f64,
    pub wall_seconds: f64,
    /// Alerts whose verdict differed between repeats.
    pub unstable: Vec<String>,
    /// Per alert: expected and every verdict got.
    pub verdicts: BTreeMap<String, AlertVerdicts>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertVerdicts {
    pub expected: String,
    pub alert_type: String,
    pub got: Vec<String>,
}

/// Computes the figures from (label, report) pairs.
pub fn score(
    dataset: &Dataset,
    runs: &[(String, AlertReport)],
    repeat: usize,
    wall_seconds: f64,
) -> EvalResult {
    let mut r = EvalResult {
        schema: EVAL_SCHEMA.into(),
        dataset: dataset.name.clone(),
        alerts: dataset.alerts.len(),
        repeat,
        wall_seconds,
        ..Default::default()
    };
    for e in CLASSES {
        let row = r.matrix.entry(e.as_str().into()).or_default();
        for g in CLASSES {
            row.insert(g.as_str().into(), 0);
        }
    }
    let mut correct = 0;
    let mut suspicious = 0;
    let mut tokens = 0u64;
    let mut cost = 0.0;
    let mut models: Vec<String> = Vec::new();
    for (id, rep) in runs {
        let Some(label) = dataset.labels.get(id) else {
            continue;
        };
        let (exp, got) = (label.label, rep.classification);
        *r.matrix
            .entry(exp.as_str().into())
            .or_default()
            .entry(got.as_str().into())
            .or_default() += 1;
        correct += usize::from(exp == got);
        suspicious += usize::from(got == Classification::Suspicious);
        if got == Classification::Malicious && exp != Classification::Malicious {
            r.false_malicious += 1;
        }
        if exp == Classification::Malicious && got == Classification::Benign {
            r.missed_true_positives += 1;
        }
        if exp == Classification::Malicious && got == Classification::Suspicious {
            r.malicious_as_suspicious += 1;
        }
        if rep.status != Status::Complete {
            r.incomplete += 1;
        }
        tokens += rep.usage.input_tokens
            + rep.usage.cache_creation_input_tokens
            + rep.usage.cache_read_input_tokens
            + rep.usage.output_tokens;
        cost += rep.usage.estimated_cost_usd.unwrap_or(0.0);
        if !models.contains(&rep.model) {
            models.push(rep.model.clone());
        }
        let v = r
            .verdicts
            .entry(id.clone())
            .or_insert_with(|| AlertVerdicts {
                expected: exp.as_str().into(),
                alert_type: label.alert_type.clone(),
                got: Vec::new(),
            });
        v.got.push(got.as_str().into());
    }
    let n = runs.len().max(1) as f64;
    r.accuracy = correct as f64 / n;
    r.suspicious_rate = suspicious as f64 / n;
    r.tokens_per_alert = tokens as f64 / n;
    r.cost_per_alert_usd = cost / n;
    models.sort();
    r.models = models;
    r.unstable = r
        .verdicts
        .iter()
        .filter(|(_, v)| v.got.windows(2).any(|w| w[0] != w[1]))
        .map(|(id, _)| id.clone())
        .collect();
    r
}

/// The human-readable table.
pub fn render_text(r: &EvalResult, baseline: Option<&EvalResult>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Eval of {} — {} alerts × {} = {} triages — models {}",
        r.dataset,
        r.alerts,
        r.repeat,
        r.alerts * r.repeat,
        r.models.join(", ")
    );
    let _ = writeln!(s, "\nexpected \\ got   BENIGN  SUSPICIOUS  MALICIOUS");
    for e in CLASSES {
        let row = &r.matrix[e.as_str()];
        let _ = writeln!(
            s,
            "{:<16} {:>6}  {:>10}  {:>9}",
            e.as_str(),
            row["BENIGN"],
            row["SUSPICIOUS"],
            row["MALICIOUS"]
        );
    }
    let _ = writeln!(s);
    let line = |s: &mut String, name: &str, v: String, delta: Option<String>| {
        let _ = writeln!(
            s,
            "{name:<26} {v:>10}{}",
            delta
                .map(|d| format!("   ({d} vs baseline)"))
                .unwrap_or_default()
        );
    };
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    let dpct = |a: f64, b: f64| format!("{:+.1} pt", (a - b) * 100.0);
    let dn = |a: usize, b: usize| format!("{:+}", a as i64 - b as i64);
    line(
        &mut s,
        "accuracy",
        pct(r.accuracy),
        baseline.map(|b| dpct(r.accuracy, b.accuracy)),
    );
    line(
        &mut s,
        "false MALICIOUS",
        r.false_malicious.to_string(),
        baseline.map(|b| dn(r.false_malicious, b.false_malicious)),
    );
    line(
        &mut s,
        "missed true positives",
        r.missed_true_positives.to_string(),
        baseline.map(|b| dn(r.missed_true_positives, b.missed_true_positives)),
    );
    line(
        &mut s,
        "MALICIOUS → SUSPICIOUS",
        r.malicious_as_suspicious.to_string(),
        None,
    );
    line(
        &mut s,
        "SUSPICIOUS rate",
        pct(r.suspicious_rate),
        baseline.map(|b| dpct(r.suspicious_rate, b.suspicious_rate)),
    );
    line(
        &mut s,
        "incomplete",
        r.incomplete.to_string(),
        baseline.map(|b| dn(r.incomplete, b.incomplete)),
    );
    line(
        &mut s,
        "tokens per alert",
        format!("{:.0}", r.tokens_per_alert),
        None,
    );
    line(
        &mut s,
        "cost per alert",
        format!("${:.4}", r.cost_per_alert_usd),
        baseline.map(|b| format!("{:+.4}", r.cost_per_alert_usd - b.cost_per_alert_usd)),
    );
    line(
        &mut s,
        "wall time",
        format!("{:.1} s", r.wall_seconds),
        None,
    );
    if r.repeat > 1 {
        let _ = writeln!(
            s,
            "\nverdict stability: {} of {} alerts changed between repeats{}",
            r.unstable.len(),
            r.alerts,
            if r.unstable.is_empty() {
                String::new()
            } else {
                format!(": {}", r.unstable.join(", "))
            }
        );
    }
    let wrong: Vec<String> = r
        .verdicts
        .iter()
        .filter(|(_, v)| v.got.iter().any(|g| *g != v.expected))
        .map(|(id, v)| {
            format!(
                "  {id} ({}): expected {}, got {}",
                v.alert_type,
                v.expected,
                v.got.join("/")
            )
        })
        .collect();
    if !wrong.is_empty() {
        let _ = writeln!(s, "\nmisclassified:\n{}", wrong.join("\n"));
    }
    s
}

/// True when `r` is worse than `baseline` on the gate: accuracy fell or false MALICIOUS rose.
pub fn regressed(r: &EvalResult, baseline: &EvalResult) -> bool {
    r.accuracy + 1e-9 < baseline.accuracy || r.false_malicious > baseline.false_malicious
}

/// Runs the eval. `dataset` is the loaded set; `lake` is how to serve its lake.
pub async fn run(config: &Config, args: &EvalArgs, dataset: Dataset) -> Result<u8, Failure> {
    let started = Instant::now();
    config
        .require_anthropic()
        .map_err(|e| Failure::fatal(e.to_string()))?;
    let baseline = match &args.baseline {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Failure::fatal(format!("--baseline {}: {e}", p.display())))?;
            let b: EvalResult = serde_json::from_str(&text).map_err(|e| {
                Failure::fatal(format!(
                    "--baseline {}: not an eval result ({e}); write one with `triage eval --format json > FILE`",
                    p.display()
                ))
            })?;
            Some(b)
        }
        None => None,
    };
    let prompts =
        Arc::new(Prompts::load(args.investigation.prompts.as_deref()).map_err(Failure::fatal)?);
    let mut config = config.clone();
    config.use_lake_as_scanner(dataset.lake_dir.as_deref())?;
    let hub = Arc::new(
        McpHub::connect(&config, &["scanner"], true)
            .await
            .map_err(|e| Failure::fatal(e.0))?,
    );
    let client = crate::anthropic_client(&config)?;
    let tool_defs = Arc::new(crate::run::tool_defs(&hub, None, submit_assessment_tool()));
    let settings = Arc::new(Settings {
        audit: None,
        meter: Default::default(),
        stop: Default::default(),
        max_turns: args.investigation.max_turns,
        alert_timeout: args.investigation.alert_timeout,
        max_tool_result_bytes: args.investigation.max_tool_result_bytes,
        window: dataset_window(&dataset.alerts),
        tools_summary: crate::run::tools_summary(&hub),
    });
    let mut alerts = dataset.alerts.clone();
    sort_alerts(&mut alerts);
    let repeat = usize::from(args.repeat.max(1));
    let mut turns = crate::run::InOrder::new(args.investigation.concurrency as usize);
    let mut handles = Vec::new();
    for round in 0..repeat {
        for alert in &alerts {
            let (alert, hub, client, tool_defs, settings, prompts) = (
                alert.clone(),
                hub.clone(),
                client.clone(),
                tool_defs.clone(),
                settings.clone(),
                prompts.clone(),
            );
            let ticket = turns.ticket();
            let model_name = model_for(&config.models, alert.severity).to_string();
            handles.push(tokio::spawn(async move {
                let _permit = ticket.acquire().await;
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
                tracing::info!(
                    alert = alert.id.as_str(),
                    round,
                    verdict = r.classification.as_str(),
                    "eval triage done"
                );
                (alert.id.clone(), r)
            }));
        }
    }
    let work = async {
        let mut runs = Vec::new();
        for h in handles {
            runs.push(
                h.await
                    .map_err(|e| Failure::fatal(format!("an eval task failed: {e}")))?,
            );
        }
        Ok::<_, Failure>(runs)
    };
    let runs = crate::commands::interruptible(work).await;
    hub.shutdown().await;
    let runs = runs?;
    if let Some(crate::signals::Stop::Fatal(msg)) = settings.stop.get() {
        return Err(Failure::fatal(msg));
    }
    let result = score(&dataset, &runs, repeat, started.elapsed().as_secs_f64());
    let text = match args.format {
        OutputFormat::Json => serde_json::to_string_pretty(&result).unwrap_or_default() + "\n",
        OutputFormat::Text => render_text(&result, baseline.as_ref()),
    };
    write_stdout(&text)?;
    if let Some(b) = &baseline
        && regressed(&result, b)
    {
        tracing::warn!(
            "worse than the baseline: accuracy {:.1} % → {:.1} %, false MALICIOUS {} → {}",
            b.accuracy * 100.0,
            result.accuracy * 100.0,
            b.false_malicious,
            result.false_malicious
        );
        return Ok(exit::VERDICT);
    }
    Ok(if result.incomplete > 0 {
        exit::PARTIAL
    } else {
        exit::OK
    })
}

/// The span of the alerts' timestamps, for the prompt.
fn dataset_window(alerts: &[Alert]) -> String {
    let ts: Vec<jiff::Timestamp> = alerts.iter().filter_map(|a| a.timestamp).collect();
    match (ts.iter().min(), ts.iter().max()) {
        (Some(a), Some(b)) => format!("{a} to {b} (the dataset's alerts)"),
        _ => "the dataset's time span".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(id: &str, c: Classification, status: Status) -> AlertReport {
        let alert = Alert::from_value(json!({"id": id, "name": "n", "severity": "High"})).unwrap();
        let mut r =
            investigate::unfinished_report(&alert, "claude-sonnet-4-6", status, String::new());
        r.classification = c;
        r
    }

    fn dataset() -> Dataset {
        let alerts = ["a", "b", "c", "d"]
            .iter()
            .map(|id| {
                Alert::from_value(json!({"id": id, "name": "n", "severity": "High"})).unwrap()
            })
            .collect();
        let labels = [
            ("a", Classification::Benign),
            ("b", Classification::Benign),
            ("c", Classification::Malicious),
            ("d", Classification::Suspicious),
        ]
        .iter()
        .map(|(id, l)| {
            (
                id.to_string(),
                Label {
                    alert_id: id.to_string(),
                    label: *l,
                    rationale: String::new(),
                    alert_type: "t".into(),
                },
            )
        })
        .collect();
        Dataset::new("test".into(), alerts, labels, None).unwrap()
    }

    #[test]
    fn scores_confusion_matrix_and_gate() {
        use Classification::*;
        let runs = vec![
            ("a".to_string(), report("a", Benign, Status::Complete)),
            ("b".to_string(), report("b", Malicious, Status::Complete)),
            ("c".to_string(), report("c", Benign, Status::Complete)),
            ("d".to_string(), report("d", Suspicious, Status::Incomplete)),
        ];
        let r = score(&dataset(), &runs, 1, 1.0);
        assert_eq!(r.matrix["BENIGN"]["BENIGN"], 1);
        assert_eq!(r.matrix["BENIGN"]["MALICIOUS"], 1);
        assert_eq!(r.matrix["MALICIOUS"]["BENIGN"], 1);
        assert_eq!(r.matrix["SUSPICIOUS"]["SUSPICIOUS"], 1);
        assert_eq!(r.accuracy, 0.5);
        assert_eq!(r.false_malicious, 1);
        assert_eq!(r.missed_true_positives, 1);
        assert_eq!(r.incomplete, 1);
        assert_eq!(r.suspicious_rate, 0.25);
        let better = EvalResult {
            accuracy: 0.75,
            false_malicious: 0,
            ..r.clone()
        };
        assert!(regressed(&r, &better));
        assert!(!regressed(&better, &r));
        assert!(!regressed(&r, &r));
    }

    #[test]
    fn the_bundled_set_has_a_label_for_every_alert() {
        let d = bundled().unwrap();
        assert!(d.alerts.len() >= 25, "{} alerts", d.alerts.len());
        assert_eq!(d.labels.len(), d.alerts.len());
        let count = |c: Classification| d.labels.values().filter(|l| l.label == c).count();
        assert!(count(Classification::Malicious) >= 3);
        assert!(count(Classification::Benign) > count(Classification::Malicious));
    }

    #[test]
    fn unlabelled_alerts_are_refused() {
        let alerts = vec![Alert::from_value(json!({"id": "x", "name": "n"})).unwrap()];
        let e = Dataset::new("d".into(), alerts, BTreeMap::new(), None)
            .err()
            .unwrap();
        assert_eq!(e, "dataset d: alerts without a label: x");
    }
}
