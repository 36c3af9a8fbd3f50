//! `triage --demo`, `--lake-dir` and `triage eval` end to end on the real binary, with wiremock
//! as Claude scripted to query the sample lake (served by the binary itself over stdio).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::model::{self, Turn, assessment, calls, requests, revised, submit, tool_use};
use crate::support::{run_triage, stderr, stdout};

const KEY: &str = "sk-ant-demo-secret-0009";

/// The text of the first tool_result in the last user message, parsed as JSON.
fn last_result(t: &Turn) -> Value {
    let last = t.body["messages"].as_array().unwrap().last().unwrap();
    let text = last["content"][0]["content"][0]["text"].as_str().unwrap();
    serde_json::from_str(text).unwrap_or_else(|_| json!({"text": text}))
}

/// The collection conversation: one query of `_detections`, then hand over every row.
fn collect(t: &Turn, from: &str, to: &str) -> Value {
    match t.n {
        0 => calls(vec![tool_use(
            "toolu_c1",
            "mcp__scanner__execute_query",
            json!({"query": "@index=_detections", "from": from, "to": to, "max_rows": 100}),
        )]),
        _ => {
            let rows = last_result(t)["rows"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let alerts: Vec<Value> = rows
                .iter()
                .map(|r| json!({"id": r["id"], "name": r["name"], "severity": r["severity"], "timestamp": r["timestamp"], "raw": r}))
                .collect();
            calls(vec![tool_use(
                "toolu_c2",
                "submit_alerts",
                json!({"alerts": alerts}),
            )])
        }
    }
}

/// An investigation that queries the lake once and submits `verdict` (with evidence resting on
/// that query, so the guards keep it) three times.
fn investigate(t: &Turn, verdict: &str) -> Value {
    let a = &t.alert;
    let q = format!("toolu_{}_q", &a[..8.min(a.len())]);
    let qs = [q.as_str()];
    let x = |c: Option<&str>| {
        let v = match verdict {
            "MALICIOUS" => assessment(
                verdict,
                "High",
                "Bad",
                &[],
                &[("Reads a bucket never touched before", &qs[..])],
            ),
            "BENIGN" => assessment(
                verdict,
                "High",
                "Fine",
                &[("Matches the 30-day baseline", &qs[..])],
                &[],
            ),
            _ => assessment(
                verdict,
                "Medium",
                "Unclear",
                &[("Known user", &qs[..])],
                &[("Unusual hour", &qs[..])],
            ),
        };
        c.map(|c| revised(v.clone(), c)).unwrap_or(v)
    };
    match t.n {
        0 => calls(vec![tool_use(
            &q,
            "mcp__scanner__execute_query",
            json!({"query": "@index=cloudtrail | count"}),
        )]),
        1 => {
            let r = last_result(t);
            assert!(
                r["n_bytes_scanned"].as_u64().unwrap_or(0) > 0,
                "the lake answered: {r}"
            );
            submit(&format!("{q}s1"), x(None))
        }
        2 => submit(&format!("{q}s2"), x(Some("none"))),
        _ => submit(&format!("{q}s3"), x(Some("none"))),
    }
}

fn env(api: &wiremock::MockServer, state: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("ANTHROPIC_API_KEY", KEY.to_string()),
        ("ANTHROPIC_BASE_URL", api.uri()),
        ("TRIAGE_STATE_DIR", state.display().to_string()),
    ]
}

async fn run(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&'static str, String)],
) -> std::process::Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run_triage(dir, args, &env).await;
    assert!(!stdout(&out).contains(KEY) && !stderr(&out).contains(KEY));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_triages_the_sample_lake_with_only_an_api_key() {
    let api = model::start(|t| {
        if t.alert.is_empty() {
            let u = t.body["messages"][0].to_string();
            assert!(
                u.contains(triage::lake::ALERTS_FROM) && u.contains(triage::lake::LAKE_END),
                "the demo window: {u}"
            );
            collect(t, triage::lake::ALERTS_FROM, triage::lake::LAKE_END)
        } else {
            investigate(t, "SUSPICIOUS")
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let e = env(&api, &dir.path().join("state"));
    let out = run(
        dir.path(),
        &["--demo", "--max-alerts", "3", "--format", "json"],
        &e,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reports: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 3);
    // The three most severe of the sample's alerts, in severity order.
    let mut expected: Vec<triage::alert::Alert> = triage::lake::alerts()
        .into_iter()
        .map(|v| triage::alert::Alert::from_value(v).unwrap())
        .collect();
    triage::alert::sort_alerts(&mut expected);
    let got: Vec<&str> = reports
        .iter()
        .map(|r| r["alert"]["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = expected.iter().take(3).map(|a| a.id.as_str()).collect();
    assert_eq!(got, want);
    assert!(reports.iter().all(|r| r["status"] == "complete"));
    // A second demo run shows the same alerts again (no dedupe in demo mode).
    let out = run(dir.path(), &["--demo", "--max-alerts", "1"], &e).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(want[0]), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lake_dir_runs_the_pipeline_over_exported_logs() {
    let logs = tempfile::tempdir().unwrap();
    let write = |name: &str, lines: &[Value]| {
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        std::fs::write(logs.path().join(name), text).unwrap();
    };
    write(
        "_detections.jsonl",
        &[
            json!({"id": "x-1", "name": "Root console login", "severity": "Critical", "timestamp": "2025-03-01T10:00:00Z"}),
        ],
    );
    write(
        "cloudtrail.jsonl",
        &[
            json!({"timestamp": "2025-03-01T09:59:00Z", "eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}}),
        ],
    );
    let api = model::start(|t| {
        if t.alert.is_empty() {
            collect(t, "1970-01-01T00:00:00Z", "2030-01-01T00:00:00Z")
        } else {
            investigate(t, "MALICIOUS")
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let e = env(&api, &dir.path().join("state"));
    let lake_dir = logs.path().display().to_string();
    let out = run(
        dir.path(),
        &["--lake-dir", &lake_dir, "--format", "json"],
        &e,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(r["alert"]["id"], "x-1");
    assert_eq!(r["classification"], "MALICIOUS");
}

/// Verdicts of the scripted model: the label, except for two alerts it gets wrong.
fn scripted_verdicts() -> (BTreeMap<String, String>, String, String) {
    let labels = triage::lake::labels();
    let benign = labels
        .iter()
        .find(|l| l.label.as_str() == "BENIGN")
        .unwrap()
        .alert_id
        .clone();
    let malicious = labels
        .iter()
        .find(|l| l.label.as_str() == "MALICIOUS")
        .unwrap()
        .alert_id
        .clone();
    let mut v: BTreeMap<String, String> = labels
        .iter()
        .map(|l| (l.alert_id.clone(), l.label.as_str().to_string()))
        .collect();
    v.insert(benign.clone(), "MALICIOUS".into());
    v.insert(malicious.clone(), "BENIGN".into());
    (v, benign, malicious)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_prints_the_exact_confusion_matrix_and_gates_on_a_baseline() {
    let (verdicts, wrong_benign, wrong_malicious) = scripted_verdicts();
    let v2 = verdicts.clone();
    let api = model::start(move |t| investigate(t, &v2[&t.alert])).await;
    let dir = tempfile::tempdir().unwrap();
    let e = env(&api, &dir.path().join("state"));
    let out = run(
        dir.path(),
        &["eval", "--format", "json", "--concurrency", "8"],
        &e,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();

    let labels = triage::lake::labels();
    let n = labels.len();
    let count = |l: &str| labels.iter().filter(|x| x.label.as_str() == l).count();
    let (b, s, m) = (count("BENIGN"), count("SUSPICIOUS"), count("MALICIOUS"));
    assert_eq!(r["schema"], "triage.eval/v1");
    assert_eq!(r["alerts"], n);
    assert_eq!(
        r["matrix"],
        json!({
            "BENIGN": {"BENIGN": b - 1, "SUSPICIOUS": 0, "MALICIOUS": 1},
            "SUSPICIOUS": {"BENIGN": 0, "SUSPICIOUS": s, "MALICIOUS": 0},
            "MALICIOUS": {"BENIGN": 1, "SUSPICIOUS": 0, "MALICIOUS": m - 1}
        })
    );
    let acc = (n - 2) as f64 / n as f64;
    assert!((r["accuracy"].as_f64().unwrap() - acc).abs() < 1e-9);
    assert_eq!(r["false_malicious"], 1);
    assert_eq!(r["missed_true_positives"], 1);
    assert_eq!(r["incomplete"], 0);
    assert!((r["suspicious_rate"].as_f64().unwrap() - s as f64 / n as f64).abs() < 1e-9);
    assert_eq!(r["verdicts"][&wrong_benign]["got"], json!(["MALICIOUS"]));
    assert_eq!(r["verdicts"][&wrong_malicious]["got"], json!(["BENIGN"]));
    assert!(r["tokens_per_alert"].as_f64().unwrap() > 0.0);
    // Four model calls per alert, no collection.
    assert_eq!(requests(&api).await.len(), 4 * n);

    // The text table.
    let out = run(dir.path(), &["eval", "--concurrency", "8"], &e).await;
    let so = stdout(&out);
    assert!(
        so.contains(&format!(
            "BENIGN           {:>6}  {:>10}  {:>9}",
            b - 1,
            0,
            1
        )),
        "{so}"
    );
    assert!(so.contains("false MALICIOUS"), "{so}");
    assert!(
        so.contains(&format!("{wrong_malicious} (")),
        "misclassified listed: {so}"
    );

    // As a regression gate: a better baseline makes it exit 3; an equal one passes.
    let mut better = r.clone();
    better["accuracy"] = json!(1.0);
    better["false_malicious"] = json!(0);
    std::fs::write(dir.path().join("better.json"), better.to_string()).unwrap();
    std::fs::write(dir.path().join("same.json"), r.to_string()).unwrap();
    let out = run(
        dir.path(),
        &["eval", "--concurrency", "8", "--baseline", "better.json"],
        &e,
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stdout(&out).contains("vs baseline"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("worse than the baseline"),
        "{}",
        stderr(&out)
    );
    let out = run(
        dir.path(),
        &["eval", "--concurrency", "8", "--baseline", "same.json"],
        &e,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_over_a_dataset_directory_with_repeats_reports_stability() {
    let ds = tempfile::tempdir().unwrap();
    std::fs::create_dir(ds.path().join("lake")).unwrap();
    let write = |name: &str, lines: &[Value]| {
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        std::fs::write(ds.path().join(name), text).unwrap();
    };
    write(
        "lake/_detections.jsonl",
        &[
            json!({"id": "e-steady", "name": "A", "severity": "High", "timestamp": "2025-03-01T10:00:00Z"}),
            json!({"id": "e-flaky", "name": "B", "severity": "Low", "timestamp": "2025-03-01T11:00:00Z"}),
        ],
    );
    write(
        "labels.jsonl",
        &[
            json!({"alert_id": "e-steady", "label": "MALICIOUS", "rationale": "r", "alert_type": "t1"}),
            json!({"alert_id": "e-flaky", "label": "BENIGN", "rationale": "r", "alert_type": "t2"}),
        ],
    );
    write(
        "lake/cloudtrail.jsonl",
        &[json!({"timestamp": "2025-03-01T09:00:00Z", "eventName": "GetObject"})],
    );
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let api = model::start(move |t| {
        if t.alert == "e-flaky" && t.n == 0 {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        let verdict = match t.alert.as_str() {
            "e-steady" => "MALICIOUS".to_string(),
            // BENIGN on the first triage, SUSPICIOUS on the second.
            _ => {
                let first = seen.load(std::sync::atomic::Ordering::SeqCst) <= 1;
                if first {
                    "BENIGN".into()
                } else {
                    "SUSPICIOUS".into()
                }
            }
        };
        investigate(t, &verdict)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let e = env(&api, &dir.path().join("state"));
    let ds_arg = ds.path().display().to_string();
    let out = run(
        dir.path(),
        &[
            "eval",
            "--dataset",
            &ds_arg,
            "--repeat",
            "2",
            "--concurrency",
            "1",
            "--format",
            "json",
        ],
        &e,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(r["repeat"], 2);
    assert_eq!(r["unstable"], json!(["e-flaky"]));
    assert_eq!(
        r["verdicts"]["e-flaky"]["got"],
        json!(["BENIGN", "SUSPICIOUS"])
    );
    assert_eq!(r["matrix"]["MALICIOUS"]["MALICIOUS"], 2);
    assert!((r["accuracy"].as_f64().unwrap() - 0.75).abs() < 1e-9);

    // A label without its alert is refused before anything runs.
    write(
        "labels.jsonl",
        &[json!({"alert_id": "nope", "label": "BENIGN"})],
    );
    let out = run(dir.path(), &["eval", "--dataset", &ds_arg], &e).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("alerts without a label: e-steady, e-flaky"),
        "{}",
        stderr(&out)
    );
}
