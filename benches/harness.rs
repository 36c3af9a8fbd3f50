//! The performance benchmark of the harness itself: `cargo bench --bench harness`.
//!
//! It builds the release binary (`cargo build --release --locked --bin triage`), then runs it
//! for N alerts × concurrency C against two fakes on 127.0.0.1, both with a fixed latency:
//!
//! - a fake Claude (axum) following a fixed script per alert: in each of the three phases
//!   (investigation, critique 1, critique 2) two rounds of `mcp__scanner__execute_query`, then
//!   `submit_assessment` citing those calls — 9 model calls and 6 tool calls per alert;
//! - a fake Scanner MCP server (rmcp, streamable HTTP; `tests/support/fake_mcp.rs`) that
//!   counts sessions (`initialize` requests) and TCP connections.
//!
//! The ideal time is the unavoidable chain of latencies: one alert's calls are sequential, so
//! `ideal = ceil(N / C) × (9 × model + 6 × tool)`. Overrides (environment):
//! `BENCH_MODEL_MS` (200), `BENCH_TOOL_MS` (20), `BENCH_N` (`1,10,100`), `BENCH_C` (`1,8`),
//! `BENCH_RESULT_BYTES` (size of a tool result, 2000), `BENCH_QUICK=1` (model 20 ms, tool
//! 2 ms), `BENCH_BIN` (a `triage` binary to use instead of building one, e.g. a wrapper
//! script running it under `perf`), `BENCH_NODELAY=0` (leave Nagle on in the fakes' sockets, as
//! axum does by default: tool results then stall ~40 ms on delayed ACKs), `BENCH_TRACE=1`
//! (print the timeline of the N=1 runs).
//!
//! Measured on the child: wall time (spawn to exit), peak RSS and CPU time (`wait4` rusage);
//! on the fakes: model calls, bytes of every request per alert, whether `tools` and `system`
//! are byte-identical in every request, MCP sessions and TCP connections, and the time from
//! spawn to the first model request, with the MCP handshake (first MCP request to the end of
//! the `tools/list` response) reported separately.

#[path = "../tests/support/fake_mcp.rs"]
mod fake_mcp;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use futures_util::StreamExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Model calls and tool calls per alert in the script.
const MODEL_CALLS_PER_ALERT: usize = 9;
const TOOL_CALLS_PER_ALERT: usize = 6;
const TOOL: &str = "mcp__scanner__execute_query";

// ---------------------------------------------------------------------------------------------
// Options

struct Opts {
    model: Duration,
    tool: Duration,
    result_bytes: usize,
    ns: Vec<usize>,
    cs: Vec<usize>,
    bin: Option<PathBuf>,
    /// TCP_NODELAY on the fakes' sockets, as production servers do. Without it, Nagle on the
    /// fake MCP server (its SSE response goes out in two writes) meets the client's delayed
    /// ACK and stalls tool results by ~40 ms.
    nodelay: bool,
}

fn opts() -> Opts {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v != "0" && !v.is_empty());
    let num = |name: &str, default: u64| -> u64 {
        match std::env::var(name) {
            Ok(v) => v
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
            Err(_) => default,
        }
    };
    let list = |name: &str, default: &[usize]| -> Vec<usize> {
        match std::env::var(name) {
            Ok(v) => {
                v.split(',')
                    .map(|s| {
                        s.trim().parse().ok().filter(|&n| n > 0).unwrap_or_else(|| {
                            panic!("{name}={v:?}: give positive numbers, e.g. 1,10")
                        })
                    })
                    .collect()
            }
            Err(_) => default.to_vec(),
        }
    };
    Opts {
        model: Duration::from_millis(num("BENCH_MODEL_MS", if quick { 20 } else { 200 })),
        tool: Duration::from_millis(num("BENCH_TOOL_MS", if quick { 2 } else { 20 })),
        result_bytes: num("BENCH_RESULT_BYTES", 2000) as usize,
        ns: list("BENCH_N", &[1, 10, 100]),
        cs: list("BENCH_C", &[1, 8]),
        bin: std::env::var_os("BENCH_BIN").map(PathBuf::from),
        nodelay: num("BENCH_NODELAY", 1) != 0,
    }
}

/// Builds the release binary with cargo and returns its path (from cargo's own report).
fn release_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    eprintln!("bench: cargo build --release --locked --bin triage");
    let mut cmd = Command::new(cargo);
    // Without the variables cargo sets for the bench itself: build scripts that watch them
    // (ring watches CARGO_MANIFEST_DIR) would rebuild half the tree.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_PKG_")
            || matches!(
                &*k,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_TMPDIR"
                    | "CARGO_RUSTC_CURRENT_DIR"
                    | "OUT_DIR"
            )
        {
            cmd.env_remove(&*k);
        }
    }
    let out = cmd
        .args([
            "build",
            "--release",
            "--locked",
            "--bin",
            "triage",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .expect("cannot run cargo");
    assert!(out.status.success(), "cargo build --release failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "triage")
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
        .expect("cargo did not report the triage executable")
}

// ---------------------------------------------------------------------------------------------
// Fake Claude

#[derive(Default)]
struct ModelLog {
    /// Per alert: (bytes sent in total, largest request, requests).
    per_alert: HashMap<String, (usize, usize, usize)>,
    /// `tools` and `system` of the first request, byte for byte.
    prefix: Option<(String, String)>,
    prefix_mismatches: usize,
    /// Every request: alert, turn, arrival (for `BENCH_TRACE=1`).
    arrivals: Vec<(String, usize, Instant)>,
    /// Per alert: when its previous request arrived.
    last_arrival: HashMap<String, Instant>,
    /// Harness time between a response and the next request of the same alert (the model
    /// latency taken off), after a tool round and after a submission.
    gap_after_tool: Vec<Duration>,
    gap_after_submit: Vec<Duration>,
    /// Departures from the script (rejected submissions, failed tools, unexpected turns).
    problems: Vec<String>,
}

struct FakeModel {
    latency: Duration,
    first: OnceLock<Instant>,
    calls: AtomicUsize,
    tcp: Arc<AtomicUsize>,
    /// Time the fake took beyond its latency (timer granularity), summed.
    slack_us: AtomicU64,
    log: Mutex<ModelLog>,
}

/// Sleeps until `deadline` to within about 0.1 ms: tokio's timer wakes up to 1-2 ms late, which
/// would be charged to the harness; the last 2 ms are slept by a blocking thread (nanosleep).
async fn sleep_until(deadline: Instant) {
    let early = Duration::from_millis(2);
    if let Some(t) = deadline.checked_sub(early) {
        tokio::time::sleep_until(t.into()).await;
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros() as u64
}

#[derive(Deserialize)]
struct MessagesBody<'a> {
    #[serde(borrow)]
    system: &'a RawValue,
    #[serde(borrow)]
    tools: &'a RawValue,
    #[serde(borrow)]
    messages: Vec<MessageBody<'a>>,
}

#[derive(Deserialize)]
struct MessageBody<'a> {
    role: &'a str,
    #[serde(borrow)]
    content: &'a RawValue,
}

fn blocks(content: &RawValue) -> Vec<Value> {
    match serde_json::from_str::<Value>(content.get()) {
        Ok(Value::Array(b)) => b,
        Ok(Value::String(s)) => vec![json!({"type": "text", "text": s})],
        _ => Vec::new(),
    }
}

fn text_of(blocks: &[Value]) -> String {
    blocks
        .iter()
        .filter_map(|b| b["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn messages(State(m): State<Arc<FakeModel>>, body: Bytes) -> Response {
    let arrived = Instant::now();
    let _ = m.first.set(arrived);
    m.calls.fetch_add(1, Ordering::Relaxed);
    let (status, reply) = match m.turn(&body, arrived) {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => {
            m.log.lock().unwrap().problems.push(e.clone());
            (
                StatusCode::BAD_REQUEST,
                json!({"type": "error", "error": {"type": "invalid_request_error", "message": e}}),
            )
        }
    };
    sleep_until(arrived + m.latency).await;
    m.slack_us.fetch_add(
        micros(arrived.elapsed().saturating_sub(m.latency)),
        Ordering::Relaxed,
    );
    (status, axum::Json(reply)).into_response()
}

impl FakeModel {
    fn turn(&self, raw: &[u8], arrived: Instant) -> Result<Value, String> {
        let body: MessagesBody =
            serde_json::from_slice(raw).map_err(|e| format!("unreadable request: {e}"))?;
        let first = text_of(&blocks(body.messages.first().ok_or("no messages")?.content));
        let alert = first
            .split("(id ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .ok_or("no alert id in the first message")?
            .to_string();
        let n = body
            .messages
            .iter()
            .filter(|m| m.role == "assistant")
            .count();
        let last = blocks(body.messages.last().unwrap().content);
        {
            let mut log = self.log.lock().unwrap();
            log.arrivals.push((alert.clone(), n, arrived));
            if let Some(prev) = log.last_arrival.insert(alert.clone(), arrived) {
                let gap = arrived.saturating_duration_since(prev + self.latency);
                if n % 3 == 0 {
                    log.gap_after_submit.push(gap);
                } else {
                    log.gap_after_tool.push(gap);
                }
            }
            let e = log.per_alert.entry(alert.clone()).or_default();
            e.0 += raw.len();
            e.1 = e.1.max(raw.len());
            e.2 += 1;
            match &log.prefix {
                None => log.prefix = Some((body.tools.get().into(), body.system.get().into())),
                Some((t, s)) => {
                    if t != body.tools.get() || s != body.system.get() {
                        log.prefix_mismatches += 1;
                    }
                }
            }
            for b in last.iter().filter(|b| b["type"] == "tool_result") {
                if b["is_error"] == true {
                    log.problems.push(format!(
                        "{alert} turn {n}: error tool_result: {}",
                        b["content"]
                            .to_string()
                            .chars()
                            .take(300)
                            .collect::<String>()
                    ));
                }
            }
            if n == 3 || n == 6 {
                let want = format!("Self-critique, pass {} of 2", n / 3);
                if !text_of(&last).contains(&want) {
                    log.problems
                        .push(format!("{alert} turn {n}: no \"{want}\" prompt"));
                }
            }
        }
        let phase = n / 3;
        let q = |k: usize| format!("toolu_{alert}_q{k}");
        let content = match n % 3 {
            _ if n >= MODEL_CALLS_PER_ALERT => {
                return Err(format!("{alert}: unexpected turn {n}"));
            }
            0 | 1 => {
                let k = phase * 2 + n % 3 + 1;
                json!([{"type": "tool_use", "id": q(k), "name": TOOL, "input": {
                    "query": format!("user:jchen sourceIPAddress:198.51.100.7 step:{k} | stats count() by eventName"),
                    "from": "2026-11-24T00:00:00Z", "to": "2026-11-25T00:00:00Z", "max_rows": 100
                }}])
            }
            _ => {
                let ids: Vec<String> = (1..=phase * 2 + 2).map(q).collect();
                let ev = |odd: bool| -> Vec<Value> {
                    ids.iter()
                        .enumerate()
                        .filter(|(i, _)| (i % 2 == 0) == odd)
                        .map(|(i, id)| json!({"text": format!("Query {} shows 970K events from the office IP for 9 users", i + 1), "citations": [id]}))
                        .collect()
                };
                let mut a = json!({
                    "classification": "BENIGN",
                    "confidence": "High",
                    "title": format!("Assessment of {alert}"),
                    "user": "jchen",
                    "what_happened": "User assumed a privileged role from the office network.",
                    "hypotheses": [
                        {"kind": "benign", "explanation": "Routine on-call work", "status": "supported", "reasoning": "Matches baseline."},
                        {"kind": "malicious", "explanation": "Stolen credentials", "status": "refuted", "reasoning": "Known IP and device."}
                    ],
                    "benign_evidence": ev(true),
                    "concerning_evidence": ev(false),
                    "data_gaps": ["No change-ticket system to check authorization"],
                    "questions": ["Was this access authorized? Is there a change ticket?"]
                });
                if phase > 0 {
                    a["changes"] = json!(format!(
                        "Pass {phase}: two more queries; they agree with the baseline."
                    ));
                }
                json!([{"type": "tool_use", "id": format!("toolu_{alert}_s{phase}"), "name": "submit_assessment", "input": a}])
            }
        };
        Ok(json!({
            "id": format!("msg_{alert}_{n}"),
            "type": "message",
            "role": "assistant",
            "model": "claude-bench",
            "content": content,
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 1000, "output_tokens": 200,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 800}
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Fake Scanner MCP

/// One HTTP request to the MCP server: JSON-RPC method (or HTTP method), arrival, end of the
/// response body (set for the handshake requests).
type McpRequest = (String, Instant, Arc<OnceLock<Instant>>);

struct McpState {
    latency: Duration,
    sessions: AtomicUsize,
    tool_calls: AtomicUsize,
    tcp: Arc<AtomicUsize>,
    slack_us: AtomicU64,
    requests: Mutex<Vec<McpRequest>>,
}

#[derive(Deserialize)]
struct JsonRpc {
    method: Option<String>,
}

async fn mcp_middleware(State(s): State<Arc<McpState>>, req: Request, next: Next) -> Response {
    let arrived = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let method = serde_json::from_slice::<JsonRpc>(&bytes)
        .ok()
        .and_then(|m| m.method)
        .unwrap_or_else(|| parts.method.to_string());
    let done = Arc::new(OnceLock::new());
    s.requests
        .lock()
        .unwrap()
        .push((method.clone(), arrived, done.clone()));
    match method.as_str() {
        "initialize" => {
            s.sessions.fetch_add(1, Ordering::Relaxed);
        }
        "tools/call" => {
            s.tool_calls.fetch_add(1, Ordering::Relaxed);
            sleep_until(arrived + s.latency).await;
            s.slack_us.fetch_add(
                micros(arrived.elapsed().saturating_sub(s.latency)),
                Ordering::Relaxed,
            );
        }
        _ => {}
    }
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if !matches!(method.as_str(), "initialize" | "tools/list" | "tools/call") {
        return resp;
    }
    // When the last byte of the response leaves (the handshake's end; a tool call's).
    let (parts, body) = resp.into_parts();
    let stream = body.into_data_stream().inspect(move |_| {
        let _ = done.set(Instant::now());
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

// ---------------------------------------------------------------------------------------------
// One run

struct Servers {
    model: Arc<FakeModel>,
    model_url: String,
    mcp: Arc<McpState>,
    mcp_url: String,
    ct: CancellationToken,
}

async fn start_servers(o: &Opts) -> Servers {
    let ct = CancellationToken::new();

    let model = Arc::new(FakeModel {
        latency: o.model,
        first: OnceLock::new(),
        calls: AtomicUsize::new(0),
        tcp: Arc::new(AtomicUsize::new(0)),
        slack_us: AtomicU64::new(0),
        log: Mutex::new(ModelLog::default()),
    });
    let router = axum::Router::new()
        .route("/v1/messages", axum::routing::post(messages))
        .with_state(model.clone());
    let tcp = model.tcp.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let model_url = format!("http://{}", listener.local_addr().unwrap());
    let nodelay = o.nodelay;
    let listener = listener.tap_io(move |io| {
        tcp.fetch_add(1, Ordering::Relaxed);
        if nodelay {
            let _ = io.set_nodelay(true);
        }
    });
    let stop = ct.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
    });

    let mcp = Arc::new(McpState {
        latency: o.tool,
        sessions: AtomicUsize::new(0),
        tool_calls: AtomicUsize::new(0),
        tcp: Arc::new(AtomicUsize::new(0)),
        slack_us: AtomicU64::new(0),
        requests: Mutex::new(Vec::new()),
    });
    let server = fake_mcp::FakeServer::new(fake_mcp::Script {
        rows: vec![json!({"eventName": "AssumeRole", "user": "jchen", "count": 970123})],
        pad_to: Some(o.result_bytes),
        ..Default::default()
    });
    let service: StreamableHttpService<fake_mcp::FakeServer, LocalSessionManager> =
        StreamableHttpService::new(
            move || Ok(server.clone()),
            Default::default(),
            StreamableHttpServerConfig::default()
                .with_sse_keep_alive(None)
                .with_cancellation_token(ct.child_token()),
        );
    let router = axum::Router::new().nest_service("/mcp", service).layer(
        axum::middleware::from_fn_with_state(mcp.clone(), mcp_middleware),
    );
    let tcp = mcp.tcp.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mcp_url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let nodelay = o.nodelay;
    let listener = listener.tap_io(move |io| {
        tcp.fetch_add(1, Ordering::Relaxed);
        if nodelay {
            let _ = io.set_nodelay(true);
        }
    });
    let stop = ct.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
    });
    Servers {
        model,
        model_url,
        mcp,
        mcp_url,
        ct,
    }
}

fn alerts_jsonl(n: usize) -> String {
    (0..n)
        .map(|i| {
            json!({
                "id": format!("bench-{i:04}"),
                "name": "AWS privileged role assumed outside change window",
                "severity": "High",
                "timestamp": format!("2026-11-24T{:02}:{:02}:00Z", (i / 60) % 24, i % 60),
                "description": "A user assumed the OrganizationAccountAccessRole from an IP seen before.",
                "results_table": {
                    "columns": ["timestamp", "user", "sourceIPAddress", "eventName", "roleArn"],
                    "rows": [["2026-11-24T08:00:00Z", "jchen", "198.51.100.7", "AssumeRole",
                              "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"]]
                }
            })
            .to_string()
                + "\n"
        })
        .collect()
}

/// What the child process did.
struct ChildRun {
    spawned: Instant,
    wall: Duration,
    exit: Option<i32>,
    max_rss_kb: i64,
    cpu: Duration,
    stdout: String,
    stderr: String,
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// Runs the binary to completion (killed after `deadline`) and takes its resource usage from
/// `wait4`.
fn run_child(
    bin: &Path,
    dir: &Path,
    args: &[String],
    env: &[(String, String)],
    deadline: Duration,
) -> ChildRun {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_clear()
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let spawned = Instant::now();
    let mut child = cmd.spawn().expect("cannot start triage");
    let pid = child.id() as libc::pid_t;
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(deadline).is_err() {
            eprintln!("bench: triage (pid {pid}) exceeded {deadline:?}; killing it");
            // SAFETY: kill(2) on our own child, not yet reaped (wait4 below reaps it).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = spawned.elapsed();
    let _ = done_tx.send(());
    let _ = watchdog.join();
    assert_eq!(r, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    // The child is reaped: `Child` must not wait on it again (dropping it does not).
    drop(child);
    ChildRun {
        spawned,
        wall,
        exit: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        max_rss_kb: ru.ru_maxrss,
        cpu: timeval(ru.ru_utime) + timeval(ru.ru_stime),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// One row of the table.
struct Row {
    n: usize,
    c: usize,
    wall: Duration,
    ideal: Duration,
    rss_mb: f64,
    cpu: Duration,
    model_calls: usize,
    tool_calls: usize,
    sessions: usize,
    mcp_tcp: usize,
    model_tcp: usize,
    /// Bytes per alert: min and max over the run's alerts, and the largest single request.
    bytes_min: usize,
    bytes_max: usize,
    largest: usize,
    first_model: Option<Duration>,
    mcp_handshake: Option<Duration>,
    /// From the start to the first MCP request.
    first_mcp: Option<Duration>,
    prefix_mismatches: usize,
    /// Means: harness time between a response and the next request after a tool round, the
    /// tool call as the MCP server saw it (arrival to last byte, latency included), and the
    /// harness time after a submission (no tool call).
    gap_tool: Option<Duration>,
    mcp_call: Option<Duration>,
    gap_submit: Option<Duration>,
    /// Mean time the fakes took beyond their latencies (timer granularity), model and tool.
    slack_model: Duration,
    slack_tool: Duration,
    /// Bytes of `tools` + `system` in a request.
    prefix_bytes: usize,
    /// Empty when every alert was triaged by the script; otherwise what went wrong.
    problems: Vec<String>,
}

impl Row {
    fn cpu_per_call_ms(&self) -> f64 {
        self.cpu.as_secs_f64() * 1000.0 / self.model_calls.max(1) as f64
    }
    fn first_excl_mcp(&self) -> Option<Duration> {
        Some(
            self.first_model?
                .saturating_sub(self.mcp_handshake.unwrap_or_default()),
        )
    }
}

async fn run_one(o: &Opts, bin: &Path, n: usize, c: usize) -> Row {
    let chain = o.model * MODEL_CALLS_PER_ALERT as u32 + o.tool * TOOL_CALLS_PER_ALERT as u32;
    let ideal = chain * n.div_ceil(c) as u32;
    eprintln!("bench: N={n} C={c}: ideal {:.1} s ...", ideal.as_secs_f64());
    let s = start_servers(o).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alerts.jsonl"), alerts_jsonl(n)).unwrap();
    let args: Vec<String> = [
        "--alerts",
        "alerts.jsonl",
        "--format",
        "json",
        "--no-slack",
        "--concurrency",
        &c.to_string(),
        "--max-turns",
        "40",
        "--max-alerts",
        &n.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let env: Vec<(String, String)> = [
        ("ANTHROPIC_API_KEY", "sk-ant-bench"),
        ("ANTHROPIC_BASE_URL", s.model_url.as_str()),
        ("SCANNER_MCP_URL", s.mcp_url.as_str()),
        ("SCANNER_MCP_API_KEY", "scanner-bench"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let ticker = {
        let model = s.model.clone();
        let total = n * MODEL_CALLS_PER_ALERT;
        tokio::spawn(async move {
            let started = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_secs(15)).await;
                eprintln!(
                    "bench:   {:>5.0} s: {}/{total} model calls",
                    started.elapsed().as_secs_f64(),
                    model.calls.load(Ordering::Relaxed)
                );
            }
        })
    };
    let deadline = ideal * 3 + Duration::from_secs(60);
    let bin = bin.to_path_buf();
    let dir_path = dir.path().to_path_buf();
    let run =
        tokio::task::spawn_blocking(move || run_child(&bin, &dir_path, &args, &env, deadline))
            .await
            .unwrap();
    ticker.abort();
    s.ct.cancel();

    let mut problems = Vec::new();
    if run.exit != Some(0) {
        problems.push(format!(
            "exit {:?}; stderr: {}",
            run.exit,
            run.stderr.trim()
        ));
    }
    let reports: Vec<Value> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let good = reports
        .iter()
        .filter(|r| {
            r["status"] == "complete"
                && r["classification"] == "BENIGN"
                && r["model_calls"] == MODEL_CALLS_PER_ALERT
                && r["tool_calls"] == TOOL_CALLS_PER_ALERT
                && r["passes"].as_array().is_some_and(|p| p.len() == 3)
        })
        .count();
    if good != n {
        problems.push(format!(
            "{good} of {n} reports complete and BENIGN after 9 model and 6 tool calls ({} reports); first: {}",
            reports.len(),
            reports
                .iter()
                .find(|r| r["status"] != "complete")
                .map(|r| r["status_reason"].to_string())
                .unwrap_or_default()
        ));
    }
    let log = std::mem::take(&mut *s.model.log.lock().unwrap());
    problems.extend(log.problems.iter().take(5).cloned());
    let totals: Vec<usize> = log.per_alert.values().map(|v| v.0).collect();
    let first_model = s.model.first.get().map(|t| t.duration_since(run.spawned));
    if n == 1 && std::env::var_os("BENCH_TRACE").is_some() {
        let mut events: Vec<(Duration, String)> = log
            .arrivals
            .iter()
            .map(|(a, n, t)| {
                (
                    t.duration_since(run.spawned),
                    format!("model request {a} turn {n}"),
                )
            })
            .collect();
        for (m, t, done) in s.mcp.requests.lock().unwrap().iter() {
            events.push((t.duration_since(run.spawned), format!("MCP {m} arrives")));
            if let Some(d) = done.get() {
                events.push((d.duration_since(run.spawned), format!("MCP {m} last byte")));
            }
        }
        events.sort();
        for (t, e) in events {
            eprintln!("trace {:>9.1} ms  {e}", t.as_secs_f64() * 1000.0);
        }
    }
    let mean =
        |v: &[Duration]| (!v.is_empty()).then(|| v.iter().sum::<Duration>() / v.len() as u32);
    let mcp_calls: Vec<Duration> = s
        .mcp
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.0 == "tools/call")
        .filter_map(|r| r.2.get().map(|d| d.duration_since(r.1)))
        .collect();
    let first_mcp = s
        .mcp
        .requests
        .lock()
        .unwrap()
        .first()
        .map(|r| r.1.duration_since(run.spawned));
    let mcp_handshake = {
        let reqs = s.mcp.requests.lock().unwrap();
        let start = reqs.first().map(|r| r.1);
        let end = reqs
            .iter()
            .filter(|r| r.0 == "tools/list")
            .filter_map(|r| r.2.get().copied())
            .min();
        start.zip(end).map(|(a, b)| b.duration_since(a))
    };
    Row {
        n,
        c,
        wall: run.wall,
        ideal,
        rss_mb: run.max_rss_kb as f64 / 1024.0,
        cpu: run.cpu,
        model_calls: s.model.calls.load(Ordering::Relaxed),
        tool_calls: s.mcp.tool_calls.load(Ordering::Relaxed),
        sessions: s.mcp.sessions.load(Ordering::Relaxed),
        mcp_tcp: s.mcp.tcp.load(Ordering::Relaxed),
        model_tcp: s.model.tcp.load(Ordering::Relaxed),
        bytes_min: totals.iter().copied().min().unwrap_or(0),
        bytes_max: totals.iter().copied().max().unwrap_or(0),
        largest: log.per_alert.values().map(|v| v.1).max().unwrap_or(0),
        first_model,
        mcp_handshake,
        first_mcp,
        prefix_mismatches: log.prefix_mismatches,
        gap_tool: mean(&log.gap_after_tool),
        mcp_call: mean(&mcp_calls),
        gap_submit: mean(&log.gap_after_submit),
        slack_model: Duration::from_micros(s.model.slack_us.load(Ordering::Relaxed))
            / s.model.calls.load(Ordering::Relaxed).max(1) as u32,
        slack_tool: Duration::from_micros(s.mcp.slack_us.load(Ordering::Relaxed))
            / s.mcp.tool_calls.load(Ordering::Relaxed).max(1) as u32,
        prefix_bytes: log
            .prefix
            .as_ref()
            .map(|(t, s)| t.len() + s.len())
            .unwrap_or(0),
        problems,
    }
}

// ---------------------------------------------------------------------------------------------
// The table

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

const WALL_TARGET: f64 = 1.05;
const RSS_TARGET_MB: f64 = 40.0;
const FIRST_REQUEST_TARGET_MS: f64 = 50.0;
const CPU_PER_CALL_TARGET_MS: f64 = 1.0;

fn ms(d: Option<Duration>) -> String {
    d.map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
        .unwrap_or_else(|| "-".into())
}

fn print_table(o: &Opts, rows: &[Row]) {
    let chain = o.model * MODEL_CALLS_PER_ALERT as u32 + o.tool * TOOL_CALLS_PER_ALERT as u32;
    println!();
    println!(
        "triage harness benchmark: model {} ms/call, tool {} ms/call, tool result {} B; \
         ideal = ceil(N/C) × (9 × {} + 6 × {} ms) = ceil(N/C) × {} ms",
        o.model.as_millis(),
        o.tool.as_millis(),
        o.result_bytes,
        o.model.as_millis(),
        o.tool.as_millis(),
        chain.as_millis()
    );
    println!();
    println!(
        "| N | C | wall s | ideal s | wall/ideal | peak RSS MB | CPU s | CPU/model call ms | model calls | tool calls | MCP sessions (TCP) | model TCP | bytes to model/alert | largest request B | first model request ms | of which MCP ms | prefix identical |"
    );
    println!(
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"
    );
    for r in rows {
        let target_row = r.n == 100 && r.c == 8;
        let overhead = r.wall.as_secs_f64() / r.ideal.as_secs_f64();
        let bytes = if r.bytes_min == r.bytes_max {
            format!("{}", r.bytes_min)
        } else {
            format!("{}–{} ✗", r.bytes_min, r.bytes_max)
        };
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.3}{} | {:.1}{} | {:.2} | {:.2} {} | {} | {} | {} ({}) {} | {} | {} | {} | {} {} | {} | {} |",
            r.n,
            r.c,
            r.wall.as_secs_f64(),
            r.ideal.as_secs_f64(),
            overhead,
            if target_row {
                format!(" {}", mark(overhead <= WALL_TARGET))
            } else {
                String::new()
            },
            r.rss_mb,
            if target_row {
                format!(" {}", mark(r.rss_mb <= RSS_TARGET_MB))
            } else {
                String::new()
            },
            r.cpu.as_secs_f64(),
            r.cpu_per_call_ms(),
            mark(r.cpu_per_call_ms() <= CPU_PER_CALL_TARGET_MS),
            r.model_calls,
            r.tool_calls,
            r.sessions,
            r.mcp_tcp,
            mark(r.sessions == 1),
            r.model_tcp,
            bytes,
            r.largest,
            ms(r.first_model),
            mark(
                r.first_excl_mcp()
                    .is_some_and(|d| d.as_secs_f64() * 1000.0 <= FIRST_REQUEST_TARGET_MS)
            ),
            ms(r.mcp_handshake),
            if r.prefix_mismatches == 0 {
                "✓".to_string()
            } else {
                format!("✗ {} differ", r.prefix_mismatches)
            },
        );
    }
    println!();
    println!(
        "Where the time goes (means; \"gap\" = from when the fake model's response was due to the alert's next model request):"
    );
    println!();
    println!(
        "| N | C | (wall − ideal) per wave ms | start → first MCP request ms | gap after a tool round ms | … of which the MCP call at the server ms | gap after a submission ms | fakes' timer slack per call, model / tool ms | tools + system B |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let waves = r.n.div_ceil(r.c) as f64;
        println!(
            "| {} | {} | {:.1} | {} | {} | {} | {} | {} / {} | {} |",
            r.n,
            r.c,
            (r.wall.as_secs_f64() - r.ideal.as_secs_f64()) * 1000.0 / waves,
            ms(r.first_mcp),
            ms(r.gap_tool),
            ms(r.mcp_call),
            ms(r.gap_submit),
            ms(Some(r.slack_model)),
            ms(Some(r.slack_tool)),
            r.prefix_bytes,
        );
    }
    println!();
    for r in rows.iter().filter(|r| !r.problems.is_empty()) {
        println!("N={} C={}: the run did not follow the script:", r.n, r.c);
        for p in &r.problems {
            println!("  - {p}");
        }
    }

    // Targets.
    println!("Targets:");
    let target = rows.iter().find(|r| r.n == 100 && r.c == 8);
    match target {
        Some(r) => {
            let overhead = r.wall.as_secs_f64() / r.ideal.as_secs_f64();
            println!(
                "  {} wall ≤ {WALL_TARGET} × ideal at N=100, C=8: {overhead:.3} ({:.2} s vs {:.2} s)",
                mark(overhead <= WALL_TARGET),
                r.wall.as_secs_f64(),
                r.ideal.as_secs_f64()
            );
            println!(
                "  {} peak RSS ≤ {RSS_TARGET_MB} MB at N=100, C=8: {:.1} MB",
                mark(r.rss_mb <= RSS_TARGET_MB),
                r.rss_mb
            );
        }
        None => println!("  - wall and peak RSS at N=100, C=8: not run (BENCH_N/BENCH_C)"),
    }
    let worst_first = rows.iter().filter_map(Row::first_excl_mcp).max();
    println!(
        "  {} first model request ≤ {FIRST_REQUEST_TARGET_MS} ms after start, MCP handshake excluded: worst {} ms (MCP handshake up to {} ms)",
        mark(worst_first.is_some_and(|d| d.as_secs_f64() * 1000.0 <= FIRST_REQUEST_TARGET_MS)),
        ms(worst_first),
        ms(rows.iter().filter_map(|r| r.mcp_handshake).max()),
    );
    let sessions_ok = rows.iter().all(|r| r.sessions == 1);
    println!(
        "  {} one MCP connection per server per run: sessions per run {:?}, TCP connections per run {:?}",
        mark(sessions_ok),
        rows.iter().map(|r| r.sessions).collect::<Vec<_>>(),
        rows.iter().map(|r| r.mcp_tcp).collect::<Vec<_>>()
    );
    let lo = rows.iter().map(|r| r.bytes_min).min().unwrap_or(0);
    let hi = rows.iter().map(|r| r.bytes_max).max().unwrap_or(0);
    println!(
        "  {} bytes sent per alert independent of N: {lo}–{hi} B over every alert of every run",
        mark(lo == hi)
    );
    let mismatches: usize = rows.iter().map(|r| r.prefix_mismatches).sum();
    println!(
        "  {} tools + system prefix byte-identical across all requests of a run: {mismatches} requests differ",
        mark(mismatches == 0)
    );
    let cpu: Vec<String> = rows
        .iter()
        .map(|r| format!("{:.2}", r.cpu_per_call_ms()))
        .collect();
    println!(
        "  {} CPU per model call ≤ {CPU_PER_CALL_TARGET_MS} ms (process CPU / model calls): {} ms",
        mark(
            rows.iter()
                .all(|r| r.cpu_per_call_ms() <= CPU_PER_CALL_TARGET_MS)
        ),
        cpu.join(", ")
    );
    // Start-up excluded: the extra CPU of the largest N over the smallest, per extra call.
    for &c in rows
        .iter()
        .map(|r| &r.c)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let same_c = || rows.iter().filter(move |r| r.c == c);
        let (Some(lo), Some(hi)) = (same_c().min_by_key(|r| r.n), same_c().max_by_key(|r| r.n))
        else {
            continue;
        };
        if hi.model_calls > lo.model_calls {
            let marginal = (hi.cpu.as_secs_f64() - lo.cpu.as_secs_f64()) * 1000.0
                / (hi.model_calls - lo.model_calls) as f64;
            println!(
                "  {} … start-up excluded, C={c}: {marginal:.2} ms per model call (N={} over N={}); start-up ≈ {:.1} ms CPU",
                mark(marginal <= CPU_PER_CALL_TARGET_MS),
                hi.n,
                lo.n,
                (lo.cpu.as_secs_f64() * 1000.0 - marginal * lo.model_calls as f64).max(0.0),
            );
        }
    }
    println!(
        "  {} every run followed the script (exit 0, every alert complete after 9 model and 6 tool calls)",
        mark(rows.iter().all(|r| r.problems.is_empty()))
    );
}

fn main() {
    let o = opts();
    let bin = o.bin.clone().unwrap_or_else(release_binary);
    eprintln!("bench: binary {}", bin.display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for &n in &o.ns {
        for &c in &o.cs {
            let row = rt.block_on(run_one(&o, &bin, n, c));
            eprintln!(
                "bench: N={n} C={c}: {:.2} s (ideal {:.2} s), {} model calls",
                row.wall.as_secs_f64(),
                row.ideal.as_secs_f64(),
                row.model_calls
            );
            rows.push(row);
        }
    }
    print_table(&o, &rows);
}
