//! `triage check`, `triage tools` and `triage tools call` end to end on the real binary:
//! cleared environment, temp dir, wiremock as the model API, rmcp servers as MCP servers.

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{
    HttpMcp, Script, refused_port, run_triage, stderr, stdio_server_path, stdout,
};

const KEY: &str = "sk-ant-test-secret-key-0001";
const SCANNER_KEY: &str = "scanner-test-secret-0002";

async fn models_api(ids: &[&str]) -> MockServer {
    let api = MockServer::start().await;
    let data: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "type": "model", "display_name": id}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(header("x-api-key", KEY))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": data, "has_more": false})),
        )
        .mount(&api)
        .await;
    api
}

fn no_secrets(out: &std::process::Output) {
    for s in [KEY, SCANNER_KEY] {
        assert!(!stdout(out).contains(s), "secret on stdout");
        assert!(!stderr(out).contains(s), "secret on stderr");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_http_and_stdio_servers_prints_their_tools() {
    let api = models_api(&[
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "claude-haiku-4-5-20251001",
    ])
    .await;
    let scanner = HttpMcp::start(Some(SCANNER_KEY), Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcp.json"),
        json!({"mcpServers": {"lake": {"command": stdio_server_path(), "allowedTools": ["pid", "get_ip_*"]}}})
            .to_string(),
    )
    .unwrap();
    let out = run_triage(
        dir.path(),
        &["check", "--mcp-config", "mcp.json"],
        &[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", &api.uri()),
            ("SCANNER_MCP_URL", &scanner.url),
            ("SCANNER_MCP_API_KEY", SCANNER_KEY),
        ],
    )
    .await;
    let so = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{so}\nstderr:\n{}",
        stderr(&out)
    );
    assert!(so.contains("model claude-opus-4-6"), "{so}");
    assert!(
        so.lines()
            .any(|l| l.starts_with("  model claude-haiku-4-5 ") && l.ends_with(" available")),
        "{so}"
    );
    assert!(so.contains("scanner      connected in"), "{so}");
    assert!(
        so.contains("(http, SCANNER_MCP_URL, required)  4 tools offered"),
        "{so}"
    );
    assert!(so.contains("offered  mcp__scanner__execute_query"), "{so}");
    assert!(
        so.contains(
            "hidden   mcp__scanner__falcon_update_detections  (looks like it changes state"
        ),
        "{so}"
    );
    assert!(so.contains("lake         connected in"), "{so}");
    assert!(so.contains("offered  mcp__lake__get_ip_report"), "{so}");
    assert!(so.contains("offered  mcp__lake__pid"), "{so}");
    assert!(
        so.contains(
            "hidden   mcp__lake__slack_post_message  (Slack tools are never given to the model)"
        ),
        "{so}"
    );
    assert!(so.ends_with("OK: everything works\n"), "{so}");
    assert_eq!(stderr(&out), "", "stderr must be empty on success");
    no_secrets(&out);

    // JSON for scripts.
    let out = run_triage(
        dir.path(),
        &["check", "--format", "json", "--mcp-config", "mcp.json"],
        &[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", &api.uri()),
            ("SCANNER_MCP_URL", &scanner.url),
            ("SCANNER_MCP_API_KEY", SCANNER_KEY),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["servers"][0]["name"], "scanner");
    assert_eq!(v["servers"][0]["connected"], true);
    assert_eq!(v["servers"][1]["name"], "lake");
    assert_eq!(v["servers"][1]["transport"], "stdio");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_refused_scanner_exits_2_naming_the_variable() {
    let api = models_api(&["claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"]).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/v1/mcp", refused_port());
    let out = run_triage(
        dir.path(),
        &["check"],
        &[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", &api.uri()),
            ("SCANNER_MCP_URL", &url),
            ("SCANNER_MCP_API_KEY", SCANNER_KEY),
        ],
    )
    .await;
    let so = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{so}");
    assert!(
        so.contains("scanner      FAILED (http, SCANNER_MCP_URL, required)"),
        "{so}"
    );
    assert!(so.contains("Connection refused"), "{so}");
    assert!(so.contains(&url), "{so}");
    assert!(so.ends_with("NOT OK: see FAILED above\n"), "{so}");
    no_secrets(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_a_refused_key_and_unavailable_model() {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("request-id", "req_check_401")
                .set_body_json(json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})),
        )
        .mount(&api)
        .await;
    let scanner = HttpMcp::start(Some(SCANNER_KEY), Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let uri = api.uri();
    let env = [
        ("ANTHROPIC_API_KEY", KEY),
        ("ANTHROPIC_BASE_URL", uri.as_str()),
        ("SCANNER_MCP_URL", scanner.url.as_str()),
        ("SCANNER_MCP_API_KEY", SCANNER_KEY),
    ];
    let out = run_triage(dir.path(), &["check"], &env).await;
    let so = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{so}");
    assert!(so.contains("FAILED: the API key was refused"), "{so}");
    assert!(so.contains("req_check_401"), "{so}");
    no_secrets(&out);

    let api2 = models_api(&["claude-sonnet-4-6"]).await;
    let out = run_triage(
        dir.path(),
        &["check", "--model", "claude-opus-9"],
        &[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", &api2.uri()),
            ("SCANNER_MCP_URL", &scanner.url),
            ("SCANNER_MCP_API_KEY", SCANNER_KEY),
        ],
    )
    .await;
    let so = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{so}");
    assert!(
        so.lines()
            .any(|l| l.starts_with("  model claude-opus-9 ") && l.ends_with(" NOT AVAILABLE")),
        "{so}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_without_api_key_exits_2_before_contacting_anything() {
    let scanner = HttpMcp::start(Some(SCANNER_KEY), Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run_triage(
        dir.path(),
        &["check"],
        &[
            ("SCANNER_MCP_URL", &scanner.url),
            ("SCANNER_MCP_API_KEY", SCANNER_KEY),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).starts_with("error: ANTHROPIC_API_KEY is not set;"),
        "{}",
        stderr(&out)
    );
    assert!(scanner.calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_config_exits_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "ANTHROPIC_API_KEY=x\nNOT A VALID LINE\n",
    )
    .unwrap();
    let out = run_triage(dir.path(), &["tools"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: .env line 2: cannot parse"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dotenv_in_the_working_directory_is_read() {
    let scanner = HttpMcp::start(Some(SCANNER_KEY), Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "SCANNER_MCP_URL={}\nSCANNER_MCP_API_KEY={SCANNER_KEY}\n",
            scanner.url
        ),
    )
    .unwrap();
    let out = run_triage(dir.path(), &["tools"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out)
            .lines()
            .map(|l| l.split("  ").next().unwrap())
            .collect::<Vec<_>>(),
        [
            "mcp__scanner__execute_query",
            "mcp__scanner__fetch_query_results",
            "mcp__scanner__get_scanner_context",
            "mcp__scanner__get_top_columns"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_lists_schema_and_json_and_calls_a_tool_as_the_model_would() {
    let scanner = HttpMcp::start(Some(SCANNER_KEY), Script::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("SCANNER_MCP_URL", scanner.url.as_str()),
        ("SCANNER_MCP_API_KEY", SCANNER_KEY),
    ];

    let out = run_triage(dir.path(), &["tools", "--schema"], &env).await;
    assert_eq!(out.status.code(), Some(0));
    let so = stdout(&out);
    assert!(
        so.contains("mcp__scanner__execute_query  [scanner]  Run a query over a time range"),
        "{so}"
    );
    assert!(so.contains("\"query\": {"), "{so}");

    let out = run_triage(dir.path(), &["tools", "--all", "--format", "json"], &env).await;
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let post = lines
        .iter()
        .find(|l| l["name"] == "mcp__scanner__slack_post_message")
        .unwrap();
    assert_eq!(post["offered"], false);
    assert_eq!(
        post["hidden_because"],
        "Slack tools are never given to the model"
    );

    let out = run_triage(
        dir.path(),
        &[
            "tools",
            "call",
            "mcp__scanner__get_top_columns",
            r#"{"indices": ["cloudtrail"]}"#,
        ],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"columns\":[\"timestamp\",\"user\",\"sourceIPAddress\",\"eventName\"]}\n"
    );
    assert_eq!(scanner.calls(), ["get_top_columns"]);

    // A hidden tool is refused and never reaches the server.
    let out = run_triage(
        dir.path(),
        &[
            "tools",
            "call",
            "mcp__scanner__falcon_update_detections",
            r#"{"ids": ["1"]}"#,
        ],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is hidden from the model (looks like it changes state"),
        "{}",
        stderr(&out)
    );
    assert_eq!(scanner.calls(), ["get_top_columns"]);

    // Bad JSON input is refused before anything is contacted.
    let out = run_triage(
        dir.path(),
        &["tools", "call", "mcp__scanner__execute_query", "{not json"],
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the tool input is not valid JSON"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_optional_server_failing_is_one_warning_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mcp.json"),
        json!({"mcpServers": {"vt": {"command": stdio_server_path(), "env": {"FAKE_MCP_FAIL_START": "1"}}}}).to_string(),
    )
    .unwrap();
    let out = run_triage(dir.path(), &["tools", "--mcp-config", "mcp.json"], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    let se = stderr(&out);
    assert_eq!(se.lines().count(), 1, "{se}");
    assert!(se.contains("MCP server `vt`"), "{se}");
    assert!(se.contains("invalid API key (401 from upstream)"), "{se}");
    assert!(se.contains("continuing without it"), "{se}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_exit_codes_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_triage(dir.path(), &["--help"], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Exit codes:"));
    let out = run_triage(dir.path(), &["--version"], &[]).await;
    assert_eq!(
        stdout(&out),
        format!("triage {}\n", env!("CARGO_PKG_VERSION"))
    );
}
