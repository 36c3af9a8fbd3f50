//! Fault injection and hostile input on the real binary. Every test asserts the guarantees: no
//! panic, every alert yields exactly one report (or the run fails before triaging anything), the
//! exit code matches the contract, no secret anywhere, every wait bounded (each run has its own
//! deadline in `run_triage`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::model::{
    self, Turn, alert, assessment, calls, delayed, good_short, http_error, requests, response,
    revised, submit, text, tool_use,
};
use crate::support::{
    HttpMcp, Script, refused_port, run_triage, stderr, stdio_server_path, stdout,
};

const KEY: &str = "sk-ant-fault-secret-0007";
const SCANNER_KEY: &str = "scanner-fault-secret-0008";

/// `good_short`, but shifted: turn `n` of the plan happens at request `n - shift`.
fn good_from(t: &Turn, shift: usize) -> Value {
    good_short(&Turn {
        alert: t.alert.clone(),
        n: t.n - shift,
        body: t.body.clone(),
    })
}

struct Fx {
    api: wiremock::MockServer,
    scanner: HttpMcp,
    dir: tempfile::TempDir,
}

impl Fx {
    async fn new(plan: impl Fn(&Turn) -> Value + Send + Sync + 'static) -> Fx {
        Fx {
            api: model::start(plan).await,
            scanner: HttpMcp::start(Some(SCANNER_KEY), Script::default()).await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ANTHROPIC_API_KEY", KEY.into()),
            ("ANTHROPIC_BASE_URL", self.api.uri()),
            ("SCANNER_MCP_URL", self.scanner.url.clone()),
            ("SCANNER_MCP_API_KEY", SCANNER_KEY.into()),
        ]
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.dir.path().join(name), bytes).unwrap();
    }

    async fn run(&self, args: &[&str], extra: &[(&'static str, &str)]) -> std::process::Output {
        let mut env = self.env();
        env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = run_triage(self.dir.path(), args, &env).await;
        guarantees(&out);
        out
    }

    /// One alert `f1` from a file, JSON output; returns the output and the parsed reports.
    async fn one(&self, extra_args: &[&str]) -> (std::process::Output, Vec<Value>) {
        self.write("a.json", alert("f1", "High").to_string().as_bytes());
        let mut args = vec!["--alerts", "a.json", "--format", "json", "--no-slack"];
        args.extend_from_slice(extra_args);
        let out = self.run(&args, &[]).await;
        let reports = reports(&out);
        (out, reports)
    }
}

fn guarantees(out: &std::process::Output) {
    let (so, se) = (stdout(out), stderr(out));
    assert!(!se.contains("panicked"), "panic: {se}");
    for s in [KEY, SCANNER_KEY] {
        assert!(!so.contains(s) && !se.contains(s), "secret leaked");
    }
}

fn reports(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON report"))
        .collect()
}

/// A plan that answers the first `k` requests with `fault`, then behaves.
fn after(k: usize, fault: Value) -> impl Fn(&Turn) -> Value {
    let seen = Arc::new(AtomicUsize::new(0));
    move |t| {
        if seen.fetch_add(1, Ordering::SeqCst) < k {
            fault.clone()
        } else {
            good_short(t)
        }
    }
}

// ---- Model API faults ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_with_retry_after_is_waited_out() {
    let fx = Fx::new(after(
        1,
        http_error(429, "rate_limit_error", json!({"retry-after": "1"})),
    ))
    .await;
    let started = std::time::Instant::now();
    let (out, r) = fx.one(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(r[0]["status"], "complete");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry-after not honoured"
    );
    assert_eq!(requests(&fx.api).await.len(), 5);
    assert!(stderr(&out).contains("retrying"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overloaded_bursts_and_server_errors_are_retried() {
    for (status, kind) in [(529, "overloaded_error"), (500, "api_error")] {
        let fx = Fx::new(after(
            2,
            http_error(status, kind, json!({"retry-after-ms": "10"})),
        ))
        .await;
        let (out, r) = fx.one(&[]).await;
        assert_eq!(out.status.code(), Some(0), "{status}: {}", stderr(&out));
        assert_eq!(r[0]["status"], "complete");
        assert_eq!(requests(&fx.api).await.len(), 6);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_overload_fails_the_alert_not_the_run() {
    let fx = Fx::new(|_| http_error(529, "overloaded_error", json!({"retry-after-ms": "5"}))).await;
    let (out, r) = fx.one(&[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r[0]["status"], "failed");
    assert_eq!(r[0]["classification"], "SUSPICIOUS");
    let reason = r[0]["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("529") && reason.contains("req_fault"),
        "{reason}"
    );
    // Bounded: the first attempt and two retries.
    assert_eq!(requests(&fx.api).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_and_forbidden_stop_the_run_at_once_with_exit_2() {
    for (status, kind) in [(401, "authentication_error"), (403, "permission_error")] {
        let fx = Fx::new(move |_| http_error(status, kind, json!({}))).await;
        fx.write(
            "a.jsonl",
            format!("{}\n{}\n", alert("u1", "High"), alert("u2", "Low")).as_bytes(),
        );
        let out = fx
            .run(
                &["--alerts", "a.jsonl", "--concurrency", "1", "--no-slack"],
                &[],
            )
            .await;
        assert_eq!(out.status.code(), Some(2), "{status}");
        assert_eq!(stdout(&out), "");
        let se = stderr(&out);
        assert!(se.contains("check ANTHROPIC_API_KEY"), "{se}");
        assert!(se.contains(&status.to_string()), "{se}");
        // No retries, and no second alert started.
        assert_eq!(requests(&fx.api).await.len(), 1, "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_too_large_and_malformed_json_fail_the_alert_without_retries() {
    let fx =
        Fx::new(|_| json!({"__status": 413, "__raw": "<html>413 Request Entity Too Large</html>"}))
            .await;
    let (out, r) = fx.one(&[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r[0]["status"], "failed");
    assert!(r[0]["status_reason"].as_str().unwrap().contains("413"));
    assert_eq!(requests(&fx.api).await.len(), 1);

    let fx =
        Fx::new(|_| json!({"__raw": "{\"id\": \"msg\", \"content\": [ {\"type\": \"text\""})).await;
    let (out, r) = fx.one(&[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r[0]["status"], "failed");
    assert_eq!(r[0]["classification"], "SUSPICIOUS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_slower_than_the_alert_time_limit_ends_it_as_incomplete() {
    let fx = Fx::new(|t| delayed(good_short(t), 5_000)).await;
    let started = std::time::Instant::now();
    let (out, r) = fx.one(&["--alert-timeout", "1s"]).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the wait was not bounded"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r[0]["status"], "incomplete");
    assert_eq!(
        r[0]["status_reason"],
        "time limit reached (1s) during the investigation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_tool_use_is_not_executed_and_the_model_is_told() {
    let fx = Fx::new(|t| match t.n {
        0 => response(
            vec![tool_use(
                "toolu_cut",
                "mcp__scanner__execute_query",
                json!({"query": "user:jch"}),
            )],
            "max_tokens",
        ),
        1 => {
            let last = t.body["messages"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .to_string();
            assert!(
                last.contains("Not executed: your response hit max_tokens"),
                "{last}"
            );
            good_from(t, 1)
        }
        _ => good_from(t, 1),
    })
    .await;
    let (out, r) = fx.one(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(r[0]["status"], "complete");
    // Only the later, complete query reached the server.
    assert_eq!(fx.scanner.calls(), ["execute_query"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_turn_is_continued_and_unknown_blocks_are_sent_back_unchanged() {
    let odd =
        json!({"type": "server_tool_use_v9", "id": "srv_1", "payload": {"z": 1, "a": [1, 2]}});
    let odd2 = odd.clone();
    let fx = Fx::new(move |t| match t.n {
        0 => response(vec![odd2.clone(), text("Thinking it over…")], "pause_turn"),
        1 => {
            let msgs = t.body["messages"].as_array().unwrap();
            let last = msgs.last().unwrap();
            assert_eq!(
                last["role"], "assistant",
                "pause_turn: the assistant turn is sent back to continue"
            );
            assert_eq!(last["content"][0], odd2, "unknown block changed");
            assert_eq!(
                last["content"][0].to_string(),
                odd2.to_string(),
                "key order changed"
            );
            good_from(t, 1)
        }
        _ => good_from(t, 1),
    })
    .await;
    let (out, r) = fx.one(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(r[0]["status"], "complete");
    let _ = odd;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_window_exceeded_fails_the_alert_with_the_reason() {
    let fx = Fx::new(|t| match t.n {
        0 => good_short(t),
        _ => response(vec![], "model_context_window_exceeded"),
    })
    .await;
    let (out, r) = fx.one(&[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(r[0]["status"], "failed");
    assert!(
        r[0]["status_reason"]
            .as_str()
            .unwrap()
            .contains("context window"),
        "{}",
        r[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tools_bad_inputs_and_empty_responses_are_survived() {
    let fx = Fx::new(|t| match t.n {
        // An empty response: one reminder.
        0 => response(vec![], "end_turn"),
        // A tool that does not exist, and a real tool with input that does not match its schema.
        1 => calls(vec![
            tool_use("toolu_x1", "mcp__nope__drop_tables", json!({})),
            tool_use(
                "toolu_x2",
                "mcp__scanner__execute_query",
                json!({"query": 42}),
            ),
        ]),
        2 => {
            let last = t.body["messages"].as_array().unwrap().last().unwrap();
            let results = last["content"].as_array().unwrap();
            assert_eq!(results.len(), 2);
            assert!(results.iter().all(|r| r["is_error"] == true), "{last}");
            assert!(
                results[0].to_string().contains("There is no tool named"),
                "{last}"
            );
            good_from(t, 2)
        }
        _ => good_from(t, 2),
    })
    .await;
    let (out, r) = fx.one(&[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(r[0]["status"], "complete");
    assert_eq!(r[0]["model_calls"], 6);
}

// ---- MCP faults ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanner_that_refuses_connections_or_fails_stops_a_scanner_run_with_exit_2() {
    let fx = Fx::new(|_| panic!("no model call expected")).await;
    let refused = format!("http://127.0.0.1:{}/v1/mcp", refused_port());
    let out = fx
        .run(&["--no-slack"], &[("SCANNER_MCP_URL", refused.as_str())])
        .await;
    assert_eq!(out.status.code(), Some(2));
    let se = stderr(&out);
    assert!(se.contains("SCANNER_MCP_URL"), "{se}");
    assert!(
        se.contains("Connection refused") || se.contains("connection refused"),
        "{se}"
    );

    let broken = HttpMcp::failing(500).await;
    let out = fx
        .run(&["--no-slack"], &[("SCANNER_MCP_URL", broken.url.as_str())])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("HTTP 500"), "{}", stderr(&out));

    let out = fx
        .run(
            &["--no-slack"],
            &[("SCANNER_MCP_API_KEY", "wrong-key-123456")],
        )
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("refused the credentials (HTTP 401"),
        "{}",
        stderr(&out)
    );
    assert!(requests(&fx.api).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_errors_are_data_gaps_and_citing_them_is_unverified() {
    let fx = Fx::new(|t| match t.n {
        0 => calls(vec![tool_use(
            "toolu_f",
            "mcp__scanner__fail_tool",
            json!({}),
        )]),
        1 => {
            let last = t.body["messages"].as_array().unwrap().last().unwrap();
            assert_eq!(last["content"][0]["is_error"], true);
            assert!(last.to_string().contains("index cloudtrail is unavailable"));
            submit(
                "toolu_s1",
                assessment(
                    "BENIGN",
                    "High",
                    "t",
                    &[("Baseline normal", &["toolu_f"])],
                    &[],
                ),
            )
        }
        n => submit(
            &format!("toolu_s{n}"),
            revised(
                assessment(
                    "BENIGN",
                    "High",
                    "t",
                    &[("Baseline normal", &["toolu_f"])],
                    &[],
                ),
                "none",
            ),
        ),
    })
    .await;
    fx.write("a.json", alert("f1", "High").to_string().as_bytes());
    let out = fx
        .run(
            &["--alerts", "a.json", "--format", "json", "--no-slack"],
            &[("TRIAGE_ALLOWED_TOOLS", "mcp__scanner__fail_tool")],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = &reports(&out)[0];
    // A failed call is no evidence: BENIGN resting on it is raised to SUSPICIOUS.
    assert_eq!(r["classification"], "SUSPICIOUS");
    assert_eq!(r["guards"][0]["rule"], "benign_needs_verified_evidence");
    assert_eq!(
        r["verification"]["unverified_citations"],
        json!(["toolu_f"])
    );
}

// ---- Hostile alert data ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_megabyte_description_is_cut_for_the_prompt() {
    let fx = Fx::new(good_short).await;
    let mut a = alert("big", "High");
    a["description"] = json!("A".repeat(1_000_000));
    fx.write("a.json", a.to_string().as_bytes());
    let out = fx
        .run(
            &["--alerts", "a.json", "--format", "json", "--no-slack"],
            &[],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reqs = fx.api.received_requests().await.unwrap();
    let largest = reqs.iter().map(|r| r.body.len()).max().unwrap();
    assert!(largest < 100_000, "a request of {largest} bytes");
    let first: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert!(
        first["messages"][0].to_string().contains("[cut "),
        "the cut is marked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_files_are_refused_whole_with_every_bad_record() {
    let fx = Fx::new(|_| panic!("nothing may be triaged")).await;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"{\"id\": \"ok\", \"name\": \"fine\"}\n");
    bytes.extend_from_slice(b"{\"id\": \"bad\xff\xfe\", \"name\": \"x\"}\n");
    bytes.extend_from_slice(b"{\"id\": \"n\0ul\", \"name\": \"x\"}\n");
    bytes.extend_from_slice(format!("{}\n", "[".repeat(5000)).as_bytes());
    bytes.extend_from_slice(b"{\"name\": \"missing id\"}\n");
    bytes.extend_from_slice(b"{\"id\": \"ok\", \"name\": \"different\"}\n");
    fx.write("bad.jsonl", &bytes);
    let out = fx.run(&["--alerts", "bad.jsonl"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    let se = stderr(&out);
    assert!(
        se.contains("5 of 6 records are invalid; nothing was triaged"),
        "{se}"
    );
    for line in 2..=6 {
        assert!(
            se.contains(&format!("line {line}:")),
            "line {line} not listed: {se}"
        );
    }
    assert!(!se.chars().any(|c| c == '\0'), "NUL echoed to the terminal");
    assert!(requests(&fx.api).await.is_empty());
    assert!(fx.scanner.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_and_unknown_severities_each_get_one_report_sorted_last() {
    let fx = Fx::new(good_short).await;
    let lines = [
        alert("dup", "High").to_string(),
        alert("dup", "High").to_string(),
        json!({"id": "weird", "name": "Odd", "severity": "Sev-ZZ", "timestamp": "2026-11-25T00:00:00Z"}).to_string(),
        alert("low", "Low").to_string(),
    ];
    fx.write("a.jsonl", (lines.join("\n") + "\n").as_bytes());
    let out = fx
        .run(
            &["--alerts", "a.jsonl", "--format", "json", "--no-slack"],
            &[],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids: Vec<String> = reports(&out)
        .iter()
        .map(|r| r["alert"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["dup", "low", "weird"]);
    assert!(stderr(&out).contains("duplicate"), "{}", stderr(&out));
    assert_eq!(reports(&out)[2]["alert"]["severity_label"], "Sev-ZZ");
}

// ---- Bad configuration -----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_is_named_with_its_fix() {
    let fx = Fx::new(|_| panic!("nothing may be contacted")).await;
    fx.write("a.json", alert("c1", "High").to_string().as_bytes());
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "mcp1.json",
            "{\"mcpServers\": {\n  \"x\": {\"url\": \"http://a\",}\n}}".into(),
            "mcp1.json line 2 column",
        ),
        (
            "mcp2.json",
            "{\"mcpServers\": {\"x\": {\"type\": \"websocket\", \"url\": \"ws://a\"}}}".into(),
            "unknown type `websocket`",
        ),
        (
            "mcp3.json",
            "{\"mcpServers\": {\"x\": {\"url\": \"${NOT_SET_ANYWHERE}\"}}}".into(),
            "uses ${NOT_SET_ANYWHERE}, which is not set",
        ),
        (
            "mcp4.json",
            "{\"mcpServers\": {\"x\": {\"url\": \"splunk.internal/mcp\"}}}".into(),
            "it has no scheme",
        ),
    ];
    for (name, text, expect) in cases {
        fx.write(name, text.as_bytes());
        let out = fx
            .run(&["--alerts", "a.json", "--mcp-config", name], &[])
            .await;
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(stderr(&out).contains(expect), "{name}: {}", stderr(&out));
        assert_eq!(stdout(&out), "");
    }
    let out = fx
        .run(
            &["--alerts", "a.json"],
            &[("SCANNER_MCP_URL", "mcp.example.scanner.dev/v1/mcp")],
        )
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("SCANNER_MCP_URL (set in the environment) is not a usable URL"),
        "{}",
        stderr(&out)
    );
    assert!(requests(&fx.api).await.is_empty());
}

// ---- Signals ---------------------------------------------------------------------------------

async fn interrupt_mid_run(signal: &str, code: i32) {
    // i1 is quick; i2 and i3 are slow, so the signal lands while they run.
    let fx = Fx::new(|t| {
        let r = good_short(t);
        if t.alert == "i1" {
            r
        } else {
            delayed(r, 1_500)
        }
    })
    .await;
    let pidfile = fx.dir.path().join("child.pid");
    std::fs::write(
        fx.dir.path().join("mcp.json"),
        json!({"mcpServers": {"side": {"command": stdio_server_path(), "env": {"FAKE_MCP_PIDFILE": pidfile}}}}).to_string(),
    )
    .unwrap();
    let state = fx.dir.path().join("state");
    fx.write(
        "a.jsonl",
        format!(
            "{}\n{}\n{}\n",
            alert("i1", "High"),
            alert("i2", "High"),
            alert("i3", "High")
        )
        .as_bytes(),
    );
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_triage"));
    cmd.args([
        "--alerts",
        "a.jsonl",
        "--format",
        "json",
        "--no-slack",
        "--concurrency",
        "2",
        "--mcp-config",
        "mcp.json",
    ])
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap())
    .env("TRIAGE_STATE_DIR", &state)
    .current_dir(fx.dir.path())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    for (k, v) in fx.env() {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap();
    // Wait for i1's report, then signal.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = std::fs::read(state.join("state.json"))
            .map(|b| String::from_utf8_lossy(&b).contains("i1"))
            .unwrap_or(false);
        if seen {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "i1 never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let child_pid: String = std::fs::read_to_string(&pidfile).unwrap();
    std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    guarantees(&out);
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    let r = reports(&out);
    let ids: Vec<&str> = r
        .iter()
        .map(|x| x["alert"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["i1", "i2", "i3"],
        "every alert has exactly one report"
    );
    assert_eq!(r[0]["status"], "complete");
    for x in &r[1..] {
        assert_eq!(x["status"], "interrupted");
        assert_eq!(x["classification"], "SUSPICIOUS");
    }
    // State: only the finished alert is recorded.
    let st: Value =
        serde_json::from_slice(&std::fs::read(state.join("state.json")).unwrap()).unwrap();
    assert_eq!(
        st["seen"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["i1"]
    );
    // The stdio child is gone.
    let proc_dir = std::path::PathBuf::from(format!("/proc/{}", child_pid.trim()));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while proc_dir.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!proc_dir.exists(), "MCP child left running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_mid_run_reports_unfinished_alerts_as_interrupted_and_exits_130() {
    interrupt_mid_run("-INT", 130).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_run_exits_143() {
    interrupt_mid_run("-TERM", 143).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_body_is_retried() {
    // A proxy in front of the fake API: its first connection answers half a response and
    // closes; every later one is forwarded to the fake.
    let fx = Fx::new(good_short).await;
    let upstream = fx.api.address().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            if acc.fetch_add(1, Ordering::SeqCst) == 0 {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{\"id\": \"msg_cut\", \"content\": [")
                    .await;
                let _ = sock.shutdown().await;
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut up) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut sock, &mut up).await;
                }
            });
        }
    });
    fx.write("a.json", alert("f1", "High").to_string().as_bytes());
    let base = format!("http://{addr}");
    let out = fx
        .run(
            &["--alerts", "a.json", "--format", "json", "--no-slack"],
            &[("ANTHROPIC_BASE_URL", base.as_str())],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(reports(&out)[0]["status"], "complete");
    assert!(accepted.load(Ordering::SeqCst) >= 2);
    assert!(stderr(&out).contains("retrying"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alert_time_limit_also_bounds_a_tool_call() {
    let fx = Fx::new(|t| match t.n {
        0 => calls(vec![tool_use(
            "toolu_slow",
            "mcp__scanner__slow_tool",
            json!({"millis": 10_000}),
        )]),
        _ => good_from(t, 1),
    })
    .await;
    fx.write("a.json", alert("f1", "High").to_string().as_bytes());
    let started = std::time::Instant::now();
    let out = fx
        .run(
            &[
                "--alerts",
                "a.json",
                "--format",
                "json",
                "--no-slack",
                "--alert-timeout",
                "1s",
            ],
            &[("TRIAGE_ALLOWED_TOOLS", "mcp__scanner__slow_tool")],
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let r = &reports(&out)[0];
    assert_eq!(r["status"], "incomplete");
    assert_eq!(r["classification"], "SUSPICIOUS");
}
