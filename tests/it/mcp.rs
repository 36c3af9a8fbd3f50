//! The MCP hub against real MCP servers on loopback: HTTP with bearer auth, and the stdio fake.

use std::time::{Duration, Instant};

use serde_json::json;
use triage::config::{Config, ConfigOptions, Env};
use triage::mcp::McpHub;

use crate::support::{HttpMcp, Script, refused_port, stdio_server_path};

fn mcp_config(dir: &tempfile::TempDir, servers: serde_json::Value) -> std::path::PathBuf {
    let p = dir.path().join("mcp.json");
    std::fs::write(&p, json!({"mcpServers": servers}).to_string()).unwrap();
    p
}

fn config(
    pairs: &[(&str, &str)],
    file: Option<std::path::PathBuf>,
    call_timeout: Option<Duration>,
) -> Config {
    let mut env: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(p) = std::env::var_os("PATH") {
        env.push(("PATH".into(), p.to_string_lossy().into_owned()));
    }
    Config::load(
        &Env::from_map(env),
        &ConfigOptions {
            mcp_config: file,
            mcp_call_timeout: call_timeout,
            mcp_startup_timeout: Some(Duration::from_secs(10)),
            allowed_tools: vec![
                "mcp__local__echo_env".into(),
                "mcp__local__slow_tool".into(),
                "mcp__local__fail_tool".into(),
                "mcp__local__crash".into(),
                "mcp__local__pid".into(),
                "mcp__local__falcon_update_detections".into(),
            ],
            ..Default::default()
        },
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_server_with_bearer_token_lists_and_calls_tools() {
    let srv = HttpMcp::start(Some("scanner-token-abc"), Script::default()).await;
    let c = config(
        &[
            ("SCANNER_MCP_URL", &srv.url),
            ("SCANNER_MCP_API_KEY", "scanner-token-abc"),
        ],
        None,
        None,
    );
    let hub = McpHub::connect(&c, &["scanner"], true).await.unwrap();
    let offered: Vec<&str> = hub.registry().allowed().map(|t| t.name.as_str()).collect();
    assert_eq!(
        offered,
        [
            "mcp__scanner__execute_query",
            "mcp__scanner__fetch_query_results",
            "mcp__scanner__get_scanner_context",
            "mcp__scanner__get_top_columns",
        ]
    );
    // Hidden: everything else, the mutating and Slack tools with their reasons.
    let upd = hub
        .registry()
        .get("mcp__scanner__falcon_update_detections")
        .unwrap();
    assert!(!upd.allowed);
    let out = hub
        .call(
            "mcp__scanner__get_top_columns",
            &json!({"indices": ["_detections"]}),
        )
        .await;
    assert!(!out.is_error, "{out:?}");
    assert!(out.text.contains("sourceIPAddress"));
    assert_eq!(srv.calls(), ["get_top_columns"]);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_bearer_token_fails_a_required_server_with_exit_reason() {
    let srv = HttpMcp::start(Some("right-token"), Script::default()).await;
    let c = config(
        &[
            ("SCANNER_MCP_URL", &srv.url),
            ("SCANNER_MCP_API_KEY", "wrong-token-123"),
        ],
        None,
        None,
    );
    let err = McpHub::connect(&c, &["scanner"], true)
        .await
        .err()
        .expect("must fail");
    assert!(
        err.0
            .starts_with("MCP server `scanner` (from SCANNER_MCP_URL) failed to start:"),
        "{}",
        err.0
    );
    assert!(
        err.0.contains("401") || err.0.to_lowercase().contains("unauthorized"),
        "{}",
        err.0
    );
    assert!(
        !err.0.contains("wrong-token-123"),
        "secret leaked: {}",
        err.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_names_the_variable() {
    let url = format!("http://127.0.0.1:{}/mcp", refused_port());
    let c = config(
        &[
            ("SCANNER_MCP_URL", &url),
            ("SCANNER_MCP_API_KEY", "k-123456"),
        ],
        None,
        None,
    );
    let err = McpHub::connect(&c, &["scanner"], true)
        .await
        .err()
        .expect("must fail");
    assert!(err.0.contains("SCANNER_MCP_URL"), "{}", err.0);
    assert!(err.0.contains(&url), "{}", err.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_child_gets_its_env_plus_path_home_but_not_the_anthropic_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = mcp_config(
        &dir,
        json!({"local": {"command": stdio_server_path(), "env": {"LOCAL_API_KEY": "${LOCAL_KEY}"}}}),
    );
    let c = config(
        &[
            ("ANTHROPIC_API_KEY", "sk-ant-never-passed"),
            ("LOCAL_KEY", "local-secret-1"),
            ("HOME", "/home/t"),
        ],
        Some(file),
        None,
    );
    let hub = McpHub::connect(&c, &["local"], true).await.unwrap();
    let get = |name: &'static str| {
        let hub = &hub;
        async move {
            hub.call("mcp__local__echo_env", &json!({"name": name}))
                .await
                .text
        }
    };
    assert_eq!(get("LOCAL_API_KEY").await, "local-secret-1");
    assert_eq!(get("HOME").await, "/home/t");
    assert_ne!(get("PATH").await, "<unset>");
    assert_eq!(get("ANTHROPIC_API_KEY").await, "<unset>");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_stdio_start_shows_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let file = mcp_config(
        &dir,
        json!({"local": {"command": stdio_server_path(), "env": {"FAKE_MCP_FAIL_START": "1"}}}),
    );
    let c = config(&[], Some(file), None);
    let err = McpHub::connect(&c, &["local"], true)
        .await
        .err()
        .expect("must fail");
    assert!(
        err.0.contains("invalid API key (401 from upstream)"),
        "{}",
        err.0
    );
    // Optional: a warning, and the run goes on.
    let hub = McpHub::connect(&c, &[], true).await.unwrap();
    assert!(!hub.is_connected("local"));
    assert!(
        hub.statuses()[0]
            .error
            .as_deref()
            .unwrap()
            .contains("invalid API key")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_command_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let file = mcp_config(
        &dir,
        json!({"local": {"command": "definitely-not-a-command-xyz"}}),
    );
    let c = config(&[], Some(file), None);
    let err = McpHub::connect(&c, &["local"], true)
        .await
        .err()
        .expect("must fail");
    assert!(
        err.0
            .contains("command `definitely-not-a-command-xyz` was not found on PATH"),
        "{}",
        err.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_tool_hits_the_call_timeout_and_later_calls_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = mcp_config(&dir, json!({"local": {"command": stdio_server_path()}}));
    let c = config(&[], Some(file), Some(Duration::from_millis(300)));
    let hub = McpHub::connect(&c, &["local"], true).await.unwrap();
    let t = Instant::now();
    let out = hub
        .call("mcp__local__slow_tool", &json!({"millis": 5000}))
        .await;
    assert!(out.is_error);
    assert!(
        out.text.contains("timed out after 300ms and was cancelled"),
        "{}",
        out.text
    );
    assert!(t.elapsed() < Duration::from_secs(3));
    let out = hub
        .call("mcp__local__slow_tool", &json!({"millis": 1}))
        .await;
    assert_eq!(out.text, "done");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_outside_the_allow_list_are_refused_and_never_reach_the_server() {
    let srv = HttpMcp::start(None, Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = mcp_config(&dir, json!({"falcon": {"type": "http", "url": srv.url}}));
    // Even explicitly allowed, a mutating tool stays hidden.
    let c = config(
        &[("TRIAGE_ALLOWED_TOOLS", "mcp__falcon__*")],
        Some(file),
        None,
    );
    let hub = McpHub::connect(&c, &[], true).await.unwrap();
    assert!(
        !hub.registry()
            .get("mcp__falcon__falcon_update_detections")
            .unwrap()
            .allowed
    );
    assert!(
        !hub.registry()
            .get("mcp__falcon__slack_post_message")
            .unwrap()
            .allowed
    );
    let out = hub
        .call(
            "mcp__falcon__falcon_update_detections",
            &json!({"ids": ["d1"], "status": "closed"}),
        )
        .await;
    assert!(out.is_error);
    assert!(out.text.contains("not on the allow-list"), "{}", out.text);
    let out = hub.call("mcp__nope__x", &json!({})).await;
    assert!(
        out.text
            .starts_with("There is no tool named `mcp__nope__x`"),
        "{}",
        out.text
    );
    // An allowed tool with a non-object input is refused before the server.
    let out = hub
        .call("mcp__falcon__get_ip_report", &json!(["1.2.3.4"]))
        .await;
    assert!(out.text.contains("must be a JSON object"), "{}", out.text);
    assert!(
        srv.calls().is_empty(),
        "calls reached the server: {:?}",
        srv.calls()
    );
    let out = hub
        .call("mcp__falcon__get_ip_report", &json!({"ip": "1.2.3.4"}))
        .await;
    assert!(!out.is_error);
    assert_eq!(srv.calls(), ["get_ip_report"]);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_stdio_children() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("log.jsonl");
    let file = mcp_config(
        &dir,
        json!({"local": {"command": stdio_server_path(), "env": {"FAKE_MCP_LOG": pidfile}}}),
    );
    let c = config(&[], Some(file), None);
    let hub = McpHub::connect(&c, &["local"], true).await.unwrap();
    let pid = hub.call("mcp__local__pid", &json!({})).await.text;
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    assert!(proc_dir.exists(), "child {pid} should be running");
    hub.shutdown().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while proc_dir.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !proc_dir.exists(),
        "child {pid} still running after shutdown"
    );
    // After shutdown the connection is closed: calls fail fast.
    let out = hub
        .call("mcp__local__echo_env", &json!({"name": "X"}))
        .await;
    assert!(out.is_error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_server_spaces_its_calls_without_delaying_another() {
    let limited = HttpMcp::start(None, Script::default()).await;
    let free = HttpMcp::start(None, Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // 600 a minute: one call every 100 ms.
    let file = mcp_config(
        &dir,
        json!({
            "slowvt": {"type": "http", "url": limited.url, "rateLimit": 600, "allowedTools": ["get_ip_report"]},
            "fast": {"type": "http", "url": free.url, "allowedTools": ["get_ip_report"]}
        }),
    );
    let c = config(&[], Some(file), None);
    let hub = std::sync::Arc::new(McpHub::connect(&c, &[], true).await.unwrap());
    let t0 = Instant::now();
    let spawn = |name: &'static str| {
        let hub = hub.clone();
        tokio::spawn(async move {
            let out = hub.call(name, &json!({"ip": "198.51.100.1"})).await;
            assert!(!out.is_error, "{out:?}");
            t0.elapsed()
        })
    };
    let slow: Vec<_> = (0..4)
        .map(|_| spawn("mcp__slowvt__get_ip_report"))
        .collect();
    let fast: Vec<_> = (0..4).map(|_| spawn("mcp__fast__get_ip_report")).collect();
    let mut slow_done = Vec::new();
    for h in slow {
        slow_done.push(h.await.unwrap());
    }
    let mut fast_done = Vec::new();
    for h in fast {
        fast_done.push(h.await.unwrap());
    }
    slow_done.sort();
    // Four calls at 100 ms spacing: the last starts at >= 300 ms.
    assert!(slow_done[3] >= Duration::from_millis(300), "{slow_done:?}");
    // The other server was not held up by the limited one: all its calls were done before the
    // limited server's last call (which had to wait at least 300 ms for its slot).
    assert!(
        fast_done.iter().all(|d| *d < slow_done[3]),
        "{fast_done:?} vs {slow_done:?}"
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_child_is_restarted_once_then_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = mcp_config(&dir, json!({"local": {"command": stdio_server_path()}}));
    let c = config(&[], Some(file), Some(Duration::from_secs(5)));
    let hub = McpHub::connect(&c, &["local"], true).await.unwrap();
    let t = Instant::now();
    let pid1 = hub.call("mcp__local__pid", &json!({})).await.text;
    // First crash: the call fails, the server is restarted.
    let out = hub.call("mcp__local__crash", &json!({})).await;
    assert!(out.is_error);
    assert!(out.text.contains("stopped"), "{}", out.text);
    assert!(
        out.text.contains("crashing on purpose"),
        "stderr is shown: {}",
        out.text
    );
    assert!(out.text.contains("It was restarted"), "{}", out.text);
    let pid2 = hub.call("mcp__local__pid", &json!({})).await;
    assert!(!pid2.is_error, "{pid2:?}");
    assert_ne!(pid1, pid2.text);
    // Second crash: no more restarts; the server is left out.
    let out = hub.call("mcp__local__crash", &json!({})).await;
    assert!(out.text.contains("could not be restarted"), "{}", out.text);
    let out = hub.call("mcp__local__pid", &json!({})).await;
    assert!(out.is_error);
    assert!(
        out.text
            .contains("stopped during this run and could not be restarted"),
        "{}",
        out.text
    );
    // Errors, never hangs.
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    hub.shutdown().await;
}
