//! Unattended runs: state (dedupe, escalation, watermark, lock, kill -9), the audit trail and
//! `triage audit`, the cost budget, the cached prefix, the tool-result cap.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use crate::model::{
    self, Turn, alert, assessment, calls, delayed, good_short, lines, requests, submit, tool_use,
};
use crate::support::{HttpMcp, Script, run_triage, stderr, stdout};

const KEY: &str = "sk-ant-cron-secret-0005";
const SCANNER_KEY: &str = "scanner-cron-secret-0006";

struct Cron {
    api: wiremock::MockServer,
    scanner: HttpMcp,
    dir: tempfile::TempDir,
}

impl Cron {
    async fn new(plan: impl Fn(&Turn) -> Value + Send + Sync + 'static, script: Script) -> Cron {
        Cron {
            api: model::start(plan).await,
            scanner: HttpMcp::start(Some(SCANNER_KEY), script).await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn state(&self) -> std::path::PathBuf {
        self.dir.path().join("state")
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ANTHROPIC_API_KEY", KEY.into()),
            ("ANTHROPIC_BASE_URL", self.api.uri()),
            ("SCANNER_MCP_URL", self.scanner.url.clone()),
            ("SCANNER_MCP_API_KEY", SCANNER_KEY.into()),
            ("TRIAGE_STATE_DIR", self.state().display().to_string()),
        ]
    }

    async fn run(&self, args: &[&str]) -> std::process::Output {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = run_triage(self.dir.path(), args, &env).await;
        for s in [KEY, SCANNER_KEY] {
            assert!(
                !stdout(&out).contains(s) && !stderr(&out).contains(s),
                "secret leaked"
            );
        }
        out
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    fn audit_files(&self) -> Vec<std::path::PathBuf> {
        triage::audit::list_runs(&self.state().join("audit"))
    }
}

fn ids(out: &std::process::Output) -> Vec<String> {
    stdout(out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["alert"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedupe_across_runs_and_escalation_is_triaged_again() {
    let c = Cron::new(good_short, Script::default()).await;
    c.write(
        "a.jsonl",
        &lines(&[alert("d1", "Low"), alert("d2", "Medium")]),
    );
    let out = c.run(&["--alerts", "a.jsonl", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(ids(&out), ["d2", "d1"]);
    let first = stderr(&out);
    assert!(
        first.contains("triage: 2 alerts triaged: 2 benign"),
        "{first}"
    );
    let calls_after_first = requests(&c.api).await.len();

    // Second run: both already triaged.
    let out = c.run(&["--alerts", "a.jsonl"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("✅ No new alerts"),
        "{}",
        stdout(&out)
    );
    let second = stderr(&out);
    assert!(second.contains("triage: 0 alerts triaged"), "{second}");
    assert!(
        second.contains("2 already triaged by an earlier run"),
        "{second}"
    );
    assert_eq!(requests(&c.api).await.len(), calls_after_first);
    eprintln!("first run stderr: {first}second run stderr: {second}");

    // d1's severity rose: triaged again; d2 unchanged: skipped.
    c.write(
        "b.jsonl",
        &lines(&[alert("d1", "High"), alert("d2", "Medium")]),
    );
    let out = c.run(&["--alerts", "b.jsonl", "--format", "json"]).await;
    assert_eq!(ids(&out), ["d1"]);
    // --retriage forces.
    let out = c
        .run(&["--alerts", "b.jsonl", "--format", "json", "--retriage"])
        .await;
    assert_eq!(ids(&out), ["d1", "d2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_last_continues_from_the_previous_window() {
    let windows = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(
        jiff::Timestamp,
        jiff::Timestamp,
    )>::new()));
    let w2 = windows.clone();
    let c = Cron::new(
        move |t| {
            if t.n == 0 {
                let u = t.last_user_text();
                let range = u.split("Time range: from ").nth(1).unwrap();
                let (from, rest) = range.split_once(" to ").unwrap();
                let to = rest.split(". ").next().unwrap().trim_end_matches('.');
                w2.lock()
                    .unwrap()
                    .push((from.parse().unwrap(), to.parse().unwrap()));
                return calls(vec![tool_use(
                    "toolu_c1",
                    "mcp__scanner__execute_query",
                    json!({"query": "@index=_detections"}),
                )]);
            }
            calls(vec![tool_use(
                "toolu_c2",
                "submit_alerts",
                json!({"alerts": []}),
            )])
        },
        Script::default(),
    )
    .await;
    let out = c.run(&["--since", "last"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = c.run(&["--since", "last"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let w = windows.lock().unwrap().clone();
    assert_eq!(w.len(), 2);
    assert_eq!(
        w[0].1.duration_since(w[0].0).as_secs(),
        24 * 3600,
        "first run: 24h"
    );
    assert_eq!(w[1].0, w[0].1, "second run starts where the first ended");
    assert!(w[1].1 > w[1].0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_state_is_refused_with_its_own_exit_code() {
    let c = Cron::new(|_| panic!("no model call expected"), Script::default()).await;
    c.write("a.json", &alert("l1", "Low").to_string());
    let _held = triage::state::State::open(&c.state()).unwrap();
    let out = c.run(&["--alerts", "a.json"]).await;
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(stdout(&out), "");
    let se = stderr(&out);
    assert_eq!(se.lines().count(), 1, "{se}");
    assert!(se.contains("another triage run is using"), "{se}");
    assert!(requests(&c.api).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_run_loses_and_duplicates_nothing() {
    // k1 answers at once; every other alert is slow, so the kill lands while they run.
    let c = Cron::new(
        |t| {
            let r = good_short(t);
            if t.alert == "k1" { r } else { delayed(r, 400) }
        },
        Script::default(),
    )
    .await;
    let all = ["k1", "k2", "k3", "k4"];
    c.write(
        "a.jsonl",
        &lines(&all.iter().map(|id| alert(id, "High")).collect::<Vec<_>>()),
    );
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_triage"));
    cmd.args([
        "--alerts",
        "a.jsonl",
        "--format",
        "json",
        "--concurrency",
        "1",
    ])
    .env_clear()
    .current_dir(c.dir.path())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::null())
    .kill_on_drop(true);
    for (k, v) in c.env() {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut reader = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), reader.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["alert"]["id"], "k1");
    // kill -9 while k2 is being investigated.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().unwrap() as i32;
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    let _ = child.wait().await;
    let mut printed = vec!["k1".to_string()];
    while let Ok(Some(l)) = reader.next_line().await {
        printed.push(
            serde_json::from_str::<Value>(&l).unwrap()["alert"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }

    // The state file is readable and holds exactly what was printed.
    let state: Value =
        serde_json::from_slice(&std::fs::read(c.state().join("state.json")).unwrap()).unwrap();
    let mut seen: Vec<String> = state["seen"].as_object().unwrap().keys().cloned().collect();
    seen.sort();
    let mut p = printed.clone();
    p.sort();
    assert_eq!(seen, p);

    // The next run takes exactly the rest.
    let out = c.run(&["--alerts", "a.jsonl", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut everything: Vec<String> = printed.into_iter().chain(ids(&out)).collect();
    everything.sort();
    assert_eq!(everything, all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_trail_is_complete_redacted_and_readable() {
    // The model puts a secret into a tool input: the audit must not keep it.
    let c = Cron::new(
        |t| match t.n {
            0 => calls(vec![tool_use(
                &format!("toolu_{}_q", t.alert),
                "mcp__scanner__execute_query",
                json!({"query": format!("token:{SCANNER_KEY} or key:{KEY}")}),
            )]),
            n => {
                let mut t2 = good_short(&Turn {
                    alert: t.alert.clone(),
                    n,
                    body: t.body.clone(),
                });
                if n == 1 {
                    t2 = submit(
                        "toolu_s1",
                        assessment(
                            "MALICIOUS",
                            "High",
                            "Looks bad",
                            &[],
                            &[("Odd", &["toolu_nope"])],
                        ),
                    );
                }
                t2
            }
        },
        Script {
            rows: vec![json!({"user": "jchen", "echo": SCANNER_KEY})],
            ..Default::default()
        },
    )
    .await;
    c.write("a.json", &alert("au1", "High").to_string());
    let out = c.run(&["--alerts", "a.json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files = c.audit_files();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    for s in [KEY, SCANNER_KEY] {
        assert!(!text.contains(s), "secret in the audit file");
    }
    assert!(text.contains("[redacted]"));
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds[0], "header");
    assert_eq!(*kinds.last().unwrap(), "summary");
    for k in [
        "alert_start",
        "model_request",
        "model_response",
        "tool_call",
        "submission",
        "report",
    ] {
        assert!(kinds.contains(&k), "no {k} in {kinds:?}");
    }
    let h = &events[0];
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(h["config"]["models"]["high"], "claude-opus-4-6");
    assert_eq!(h["prompts"]["system"].as_str().unwrap().len(), 16);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "model_response")
            .count(),
        4
    );
    let tool = events.iter().find(|e| e["type"] == "tool_call").unwrap();
    assert_eq!(tool["name"], "mcp__scanner__execute_query");
    assert!(tool["output"]["bytes"].as_u64().unwrap() > 0);
    let report = events.iter().find(|e| e["type"] == "report").unwrap();
    assert_eq!(report["report"]["classification"], "BENIGN");

    // `triage audit` tells the story: passes, the verdict moving, tools with timings.
    let out = c.run(&["audit"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let so = stdout(&out);
    assert!(so.starts_with("Run "), "{so}");
    assert!(
        so.contains("== Alert au1 (High) Rule au1 — model claude-opus-4-6"),
        "{so}"
    );
    assert!(so.contains("tool mcp__scanner__execute_query"), "{so}");
    assert!(
        so.contains("▸ investigation: MALICIOUS (High) — Looks bad"),
        "{so}"
    );
    assert!(
        so.contains("▸ critique pass 1 of 2: BENIGN (High) — Fine: au1"),
        "{so}"
    );
    assert!(so.contains("changes: none"), "{so}");
    assert!(
        so.contains("⇒ final: BENIGN (High) — status complete"),
        "{so}"
    );
    assert!(so.contains("Summary: 1 alerts"), "{so}");
    let id = files[0].file_stem().unwrap().to_string_lossy().into_owned();
    let out = c.run(&["audit", &id, "--alert", "nope"]).await;
    assert!(!stdout(&out).contains("== Alert"), "{}", stdout(&out));
    let out = c.run(&["audit", "no-such-run"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("runs there: {id}")),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_stops_new_investigations_and_leaves_them_for_the_next_run() {
    let c = Cron::new(good_short, Script::default()).await;
    c.write(
        "a.jsonl",
        &lines(&[
            alert("b1", "High"),
            alert("b2", "High"),
            alert("b3", "High"),
        ]),
    );
    let out = c
        .run(&[
            "--alerts",
            "a.jsonl",
            "--format",
            "json",
            "--concurrency",
            "1",
            "--max-cost-usd",
            "0.001",
        ])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let reports: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[0]["status"], "complete");
    assert!(reports[0]["usage"]["estimated_cost_usd"].as_f64().unwrap() > 0.001);
    for r in &reports[1..] {
        assert_eq!(r["status"], "skipped_budget");
        assert_eq!(r["model_calls"], 0);
    }
    // Skipped alerts were not marked seen: the next run takes them.
    let out = c.run(&["--alerts", "a.jsonl", "--format", "json"]).await;
    assert_eq!(ids(&out), ["b2", "b3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cached_prefix_is_byte_identical_and_breakpoints_are_bounded() {
    let c = Cron::new(good_short, Script::default()).await;
    c.write(
        "a.jsonl",
        &lines(&[
            alert("p1", "High"),
            alert("p2", "High"),
            alert("p3", "High"),
        ]),
    );
    let out = c.run(&["--alerts", "a.jsonl", "--concurrency", "3"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let received = c.api.received_requests().await.unwrap();
    assert_eq!(received.len(), 12);
    let prefix = |body: &[u8]| -> String {
        // The raw bytes from the start of "tools" and "system": serialised in a fixed order.
        let text = String::from_utf8_lossy(body).into_owned();
        let v: Value = serde_json::from_str(&text).unwrap();
        format!("{}{}", v["tools"], v["system"])
    };
    let first = prefix(&received[0].body);
    for r in &received {
        assert_eq!(prefix(&r.body), first);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        let tools = v["tools"].as_array().unwrap();
        assert_eq!(tools.last().unwrap()["cache_control"]["type"], "ephemeral");
        assert!(
            tools[..tools.len() - 1]
                .iter()
                .all(|t| t.get("cache_control").is_none())
        );
        assert_eq!(v["system"][0]["cache_control"]["type"], "ephemeral");
        let marks = v["messages"].to_string().matches("cache_control").count();
        assert!((1..=2).contains(&marks), "{marks} message breakpoints");
        // The system prompt carries no per-alert text.
        assert!(!v["system"].to_string().contains("p1"));
    }
    // And the raw request bytes of the prefix are identical too.
    let raw_prefix = |b: &[u8]| {
        let s = String::from_utf8_lossy(b).into_owned();
        let start = s.find("\"system\"").unwrap();
        let end = s.find("\"messages\"").unwrap();
        s[start..end].to_string()
    };
    let p0 = raw_prefix(&received[0].body);
    assert!(received.iter().all(|r| raw_prefix(&r.body) == p0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_tool_results_are_cut_and_the_model_is_told_how_to_narrow() {
    let c = Cron::new(
        |t| {
            if t.n == 1 {
                let last = t.body["messages"].as_array().unwrap().last().unwrap();
                let text = last["content"][0]["content"][0]["text"].as_str().unwrap();
                assert!(text.len() < 5_000 + 600, "{}", text.len());
                assert!(
                    text.contains("[triage: result cut at 5000 of"),
                    "{}",
                    &text[text.len() - 400..]
                );
                assert!(text.contains("Narrow the query"));
            }
            good_short(t)
        },
        Script {
            pad_to: Some(100_000),
            ..Default::default()
        },
    )
    .await;
    c.write("a.json", &alert("cap1", "Low").to_string());
    let out = c
        .run(&["--alerts", "a.json", "--max-tool-result-bytes", "5000"])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_triage(dir.path(), &["completions", "bash"], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("_triage()"), "{}", stdout(&out));
}
