//! The lake server over MCP, end to end: the real binary (`triage lake serve`) spawned as a
//! stdio server through the MCP hub, on the built-in sample and on a `--lake-dir` made here;
//! and the `triage lake` commands that need no configuration.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use triage::config::{Config, ConfigOptions, Env};
use triage::mcp::McpHub;

use crate::support::{run_triage, stderr, stdout};

/// A config with one stdio server, `lake`, running this build of triage with `args`.
fn config(dir: &Path, args: &[&str]) -> Config {
    let file = dir.join("mcp.json");
    let servers =
        json!({"mcpServers": {"lake": {"command": env!("CARGO_BIN_EXE_triage"), "args": args}}});
    std::fs::write(&file, servers.to_string()).unwrap();
    let mut env = Vec::new();
    if let Some(p) = std::env::var_os("PATH") {
        env.push(("PATH".to_string(), p.to_string_lossy().into_owned()));
    }
    Config::load(
        &Env::from_map(env),
        &ConfigOptions {
            mcp_config: Some(file),
            allowed_tools: vec!["mcp__lake__*".into()],
            // A debug build generates the sample lake in about a second.
            mcp_startup_timeout: Some(Duration::from_secs(30)),
            mcp_call_timeout: Some(Duration::from_secs(30)),
            ..Default::default()
        },
    )
    .unwrap()
}

/// Calls a lake tool; returns (parsed JSON or the raw text, is_error).
async fn call(hub: &McpHub, tool: &str, args: Value) -> (Value, bool) {
    let out = hub.call(&format!("mcp__lake__{tool}"), &args).await;
    let v = serde_json::from_str(&out.text).unwrap_or(Value::String(out.text));
    (v, out.is_error)
}

async fn query(hub: &McpHub, args: Value) -> Value {
    let (v, err) = call(hub, "execute_query", args).await;
    assert!(!err, "{v}");
    v
}

const FROM: &str = "2026-11-17T00:00:00Z";
const TO: &str = "2026-11-20T00:00:00Z";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_lake_over_mcp_lists_tools_queries_pages_and_explains_errors() {
    let dir = tempfile::tempdir().unwrap();
    let hub = McpHub::connect(&config(dir.path(), &["lake", "serve"]), &["lake"], true)
        .await
        .unwrap();
    let tools: Vec<&str> = hub.registry().allowed().map(|t| t.name.as_str()).collect();
    assert_eq!(
        tools,
        [
            "mcp__lake__execute_query",
            "mcp__lake__fetch_cached_results",
            "mcp__lake__fetch_query_results",
            "mcp__lake__get_docs",
            "mcp__lake__get_scanner_context",
            "mcp__lake__get_top_columns",
        ]
    );

    let (ctx, err) = call(&hub, "get_scanner_context", json!({})).await;
    assert!(!err);
    assert_eq!(
        ctx["data_time_span"],
        json!({"from": "2026-10-21T00:00:00Z", "to": "2026-11-20T00:00:00Z"})
    );
    let names: Vec<&str> = ctx["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["_detections", "cloudtrail", "okta", "vpn"]);

    // The collection step's first query.
    let v = query(
        &hub,
        json!({"query": "@index=_detections | stats count() by severity", "from": FROM, "to": TO}),
    )
    .await;
    assert_eq!(v["columns"], json!(["severity", "@q.count", "count()"]));
    assert_eq!(
        v["rows"],
        json!([
            {"severity": "Medium", "@q.count": 15, "count()": 15},
            {"severity": "Low", "@q.count": 8, "count()": 8},
            {"severity": "High", "@q.count": 6, "count()": 6},
            {"severity": "Critical", "@q.count": 1, "count()": 1},
        ])
    );
    assert!(v["n_bytes_scanned"].as_u64().unwrap() > 0);
    assert!(v.get("results_caveat").is_none());

    // Its second: the alerts themselves, then a page of them through the handle.
    let v = query(&hub, json!({"query": "@index=_detections severity: (\"Medium\" \"High\" \"Critical\" \"Fatal\")", "from": FROM, "to": TO, "max_rows": 50})).await;
    assert_eq!(v["row_count"], 22);
    let inline = v["rows"].as_array().unwrap().clone();
    assert!(!inline.is_empty());
    assert_eq!(inline[0]["@index"], "_detections");
    assert!(inline.iter().all(|a| {
        a["results_table"]["rows"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    }));
    let handle = v["result_handle"].as_str().unwrap().to_string();
    let (page, err) = call(
        &hub,
        "fetch_query_results",
        json!({"result_handle": handle, "offset": 5, "limit": 5}),
    )
    .await;
    assert!(!err, "{page}");
    assert_eq!(page["total_rows"], 22);
    assert_eq!(page["rows_returned"], 5);
    assert_eq!(page["next_offset"], 10);
    let ids = |rows: &[Value]| rows.iter().map(|r| r["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(page["rows"].as_array().unwrap()), ids(&inline[5..10]));
    let (last, _) = call(
        &hub,
        "fetch_cached_results",
        json!({"result_handle": handle, "offset": 20}),
    )
    .await;
    assert_eq!(last["rows_returned"], 2);
    assert_eq!(last["next_offset"], Value::Null);

    // A big result: the first rows inline (at most 50 and about 24 kB), the rest by paging.
    let v = query(&hub, json!({"query": "@index=cloudtrail userIdentity.userName=jchen", "from": "2026-10-21T00:00:00Z", "to": TO})).await;
    let kept = v["rows_kept"].as_u64().unwrap();
    assert!(
        v["row_count"].as_u64().unwrap() >= kept && kept > 50,
        "{}",
        v["row_count"]
    );
    let n = v["rows_returned"].as_u64().unwrap();
    assert!((10..50).contains(&n), "{n} rows of about 900 bytes");
    assert!(v.to_string().len() < 40_000);
    let handle = v["result_handle"].as_str().unwrap();
    assert_eq!(
        v["more_rows"],
        format!(
            "{} more rows: call fetch_query_results with result_handle \"{handle}\" and offset {n}",
            kept - n
        )
    );
    assert_eq!(
        v["summary"]["same_in_every_row"]["userIdentity.userName"],
        "jchen"
    );
    let (page, _) = call(
        &hub,
        "fetch_query_results",
        json!({"result_handle": handle, "offset": n, "limit": 3}),
    )
    .await;
    assert_eq!(page["rows_returned"], 3);
    assert_eq!(page["next_offset"], n + 3);

    // Mistakes come back as tool errors the model can act on.
    let (e, err) = call(&hub, "execute_query", json!({"query": "eventName: and x"})).await;
    assert!(err);
    assert_eq!(
        e,
        "query syntax error at column 12: expected a value after `:`, but found `and` (quote values that are keywords or contain spaces or :()\"'<>=|,)\n  eventName: and x\n             ^"
    );
    let (e, err) = call(
        &hub,
        "execute_query",
        json!({"query": "*", "from": "yesterday"}),
    )
    .await;
    assert!(err);
    assert_eq!(
        e,
        "`from` is not an RFC 3339 time like 2026-11-19T00:00:00Z: \"yesterday\""
    );
    let (e, err) = call(
        &hub,
        "fetch_query_results",
        json!({"result_handle": "rh-999"}),
    )
    .await;
    assert!(err);
    assert!(
        e.as_str()
            .unwrap()
            .starts_with("unknown result_handle \"rh-999\""),
        "{e}"
    );
    let (e, err) = call(&hub, "get_docs", json!({"topic": "nope"})).await;
    assert!(err);
    assert_eq!(
        e,
        "unknown topic `nope`; topics: syntax, aggregation, examples, best_practices_and_mistakes"
    );

    // Outside the data: zero bytes and a caveat, not an error.
    let v = query(&hub, json!({"query": "@index=okta", "from": "2025-01-01T00:00:00Z", "to": "2025-01-02T00:00:00Z"})).await;
    assert_eq!(v["n_bytes_scanned"], 0);
    assert!(
        v["results_caveat"]
            .as_str()
            .unwrap()
            .starts_with("NoData: index `okta` has no events")
    );

    let (docs, err) = call(&hub, "get_docs", json!({"topic": "aggregation"})).await;
    assert!(!err && docs.as_str().unwrap().starts_with("# Aggregation"));
    let (cols, _) = call(
        &hub,
        "get_top_columns",
        json!({"indices": ["okta", "nope"]}),
    )
    .await;
    let okta: Vec<&str> = cols["okta"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["column"].as_str().unwrap())
        .collect();
    assert!(
        okta.contains(&"actor.alternateId") && okta.contains(&"debugContext.debugData.behaviors")
    );
    assert_eq!(
        cols["nope"]["error"],
        "no index named `nope`; the indexes are: _detections, cloudtrail, okta, vpn"
    );
    hub.shutdown().await;
}

fn write(dir: &Path, name: &str, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.join(name), text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lake_dir_serves_a_users_own_logs() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let events = [
        json!({"timestamp": "2025-03-01T10:00:00Z", "eventName": "ConsoleLogin", "userIdentity": {"userName": "alice"}, "sourceIPAddress": "198.51.100.7"}),
        json!({"timestamp": "2025-03-01T11:00:00Z", "eventName": "GetObject", "userIdentity": {"userName": "alice"}, "sourceIPAddress": "198.51.100.7"}),
        json!({"timestamp": "2025-03-02T09:00:00Z", "eventName": "GetObject", "userIdentity": {"userName": "bob"}, "sourceIPAddress": "192.0.2.9"}),
    ];
    write(&logs, "cloudtrail.jsonl", &events);
    write(
        &logs,
        "_detections.jsonl",
        &[
            json!({"id": "a-1", "name": "Console login", "severity": "Low", "timestamp": "2025-03-01T10:05:00Z", "results_table": {"columns": ["user"], "rows": [["alice"]], "total_row_count": 1}}),
        ],
    );
    let logs_arg = logs.to_str().unwrap();
    let hub = McpHub::connect(
        &config(dir.path(), &["lake", "serve", "--lake-dir", logs_arg]),
        &["lake"],
        true,
    )
    .await
    .unwrap();
    let (ctx, _) = call(&hub, "get_scanner_context", json!({})).await;
    assert!(
        ctx["lake"].as_str().unwrap().contains(logs_arg),
        "{}",
        ctx["lake"]
    );
    assert_eq!(
        ctx["data_time_span"],
        json!({"from": "2025-03-01T10:00:00Z", "to": "2025-03-02T09:00:00Z"})
    );
    let v = query(&hub, json!({"query": "@index=cloudtrail eventName=GetObject | groupbycount userIdentity.userName"})).await;
    assert_eq!(
        v["rows"],
        json!([{"userIdentity.userName": "alice", "@q.count": 1}, {"userIdentity.userName": "bob", "@q.count": 1}])
    );
    let all_bytes: u64 = events.iter().map(|e| e.to_string().len() as u64).sum();
    assert_eq!(v["n_bytes_scanned"], all_bytes);
    let v = query(&hub, json!({"query": "@index=cloudtrail", "from": "2025-03-02T00:00:00Z", "to": "2025-03-03T00:00:00Z"})).await;
    assert_eq!(v["row_count"], 1);
    assert_eq!(v["n_bytes_scanned"], events[2].to_string().len() as u64);
    let v = query(&hub, json!({"query": "@index=_detections"})).await;
    assert_eq!(v["rows"][0]["id"], "a-1");
    hub.shutdown().await;

    // A bad line stops the start, naming the file and line.
    std::fs::write(
        logs.join("okta.jsonl"),
        "{\"timestamp\":\"2025-03-01T00:00:00Z\"}\n{oops\n",
    )
    .unwrap();
    let err = McpHub::connect(
        &config(dir.path(), &["lake", "serve", "--lake-dir", logs_arg]),
        &["lake"],
        true,
    )
    .await
    .err()
    .expect("must fail");
    assert!(err.0.contains("okta.jsonl:2: not valid JSON"), "{}", err.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lake_commands_need_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_triage(dir.path(), &["lake", "alerts"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let alerts: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 30);
    let out = run_triage(dir.path(), &["lake", "alerts", "--labels"], &[]).await;
    let labels: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids = |v: &[Value], k: &str| v.iter().map(|x| x[k].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&alerts, "id"), ids(&labels, "alert_id"));
    assert_eq!(
        labels.iter().filter(|l| l["label"] == "MALICIOUS").count(),
        5
    );

    let out = run_triage(
        dir.path(),
        &[
            "lake",
            "query",
            "@index=vpn | count",
            "--from",
            FROM,
            "--to",
            TO,
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v["rows"][0]["@q.count"].as_u64().unwrap() > 10);

    let out = run_triage(dir.path(), &["lake", "query", "a | sort b"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).starts_with(
            "error: query syntax error at column 5: unknown function `sort` after `|`"
        ),
        "{}",
        stderr(&out)
    );
}
