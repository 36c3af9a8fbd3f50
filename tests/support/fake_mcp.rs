//! A fake MCP server for tests, built with rmcp's own server side. It speaks Scanner's tool
//! surface (scripted results), VirusTotal's `get_ip_report`, a mutating Falcon tool that must
//! never be called, and tools that misbehave on purpose (slow, failing, crashing).
//!
//! Used in-process over streamable HTTP (`tests/it/support.rs`) and as a stdio child
//! (`examples/fake_mcp_stdio.rs`). Every call is recorded: in memory, and as JSON lines in the
//! file named by `FAKE_MCP_LOG` when set.

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, schemars, tool, tool_handler, tool_router};
use serde_json::{Value, json};

/// Every call received: (tool, arguments).
pub type CallLog = Arc<Mutex<Vec<(String, Value)>>>;

/// What the fake returns for queries.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Script {
    /// Rows returned by `execute_query` for a query that mentions `_detections`.
    pub detections: Vec<Value>,
    /// Rows returned for any other query.
    pub rows: Vec<Value>,
    /// When set, every `execute_query` result is padded to about this many bytes.
    pub pad_to: Option<usize>,
}

#[derive(Clone)]
pub struct FakeServer {
    tool_router: ToolRouter<Self>,
    pub log: CallLog,
    pub script: Arc<Script>,
    log_file: Option<Arc<Mutex<std::fs::File>>>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct QueryArgs {
    /// The query, in Scanner's query language.
    pub query: String,
    /// Start of the time range (ISO 8601).
    #[serde(default)]
    pub from: Option<String>,
    /// End of the time range (ISO 8601).
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub max_rows: Option<u32>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct HandleArgs {
    pub result_handle: String,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct IndicesArgs {
    #[serde(default)]
    pub indices: Vec<String>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct IpArgs {
    pub ip: String,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct NameArgs {
    pub name: String,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct SleepArgs {
    pub millis: u64,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct UpdateArgs {
    pub ids: Vec<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct PostArgs {
    pub channel_id: String,
    pub text: String,
}

impl FakeServer {
    pub fn new(script: Script) -> Self {
        Self::with_log(script, CallLog::default())
    }

    pub fn with_log(script: Script, log: CallLog) -> Self {
        let log_file = std::env::var_os("FAKE_MCP_LOG").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
                .map(|f| Arc::new(Mutex::new(f)))
        });
        Self {
            tool_router: Self::tool_router(),
            log,
            script: Arc::new(script),
            log_file,
        }
    }

    fn record(&self, tool: &str, args: Value) {
        if let Some(f) = &self.log_file {
            let line = json!({"tool": tool, "args": args}).to_string();
            let _ = writeln!(f.lock().unwrap(), "{line}");
        }
        self.log.lock().unwrap().push((tool.to_string(), args));
    }
}

#[tool_router]
impl FakeServer {
    #[tool(description = "Scanner context: query syntax reference, indexes, and a context token.")]
    fn get_scanner_context(&self) -> String {
        self.record("get_scanner_context", json!({}));
        "Indexes: _detections, cloudtrail, okta. Query syntax: field:value, and/or/not, | stats count() by x.".to_string()
    }

    #[tool(description = "Most common columns of the given indexes.")]
    fn get_top_columns(&self, Parameters(a): Parameters<IndicesArgs>) -> String {
        self.record("get_top_columns", json!({"indices": a.indices}));
        json!({"columns": ["timestamp", "user", "sourceIPAddress", "eventName"]}).to_string()
    }

    #[tool(description = "Run a query over a time range; returns a summary and a result_handle.")]
    fn execute_query(&self, Parameters(a): Parameters<QueryArgs>) -> String {
        self.record(
            "execute_query",
            json!({"query": a.query, "from": a.from, "to": a.to, "max_rows": a.max_rows}),
        );
        let rows = if a.query.contains("_detections") {
            &self.script.detections
        } else {
            &self.script.rows
        };
        let mut out = json!({
            "result_handle": "rh-1",
            "row_count": rows.len(),
            "rows": rows,
            "n_bytes_scanned": 123456,
        })
        .to_string();
        if let Some(n) = self.script.pad_to {
            while out.len() < n {
                out.push_str(" padding");
            }
        }
        out
    }

    #[tool(description = "Fetch the rows of an earlier query by its result_handle.")]
    fn fetch_query_results(&self, Parameters(a): Parameters<HandleArgs>) -> String {
        self.record(
            "fetch_query_results",
            json!({"result_handle": a.result_handle}),
        );
        json!({"rows": self.script.rows}).to_string()
    }

    #[tool(description = "VirusTotal IP report.")]
    fn get_ip_report(&self, Parameters(a): Parameters<IpArgs>) -> String {
        self.record("get_ip_report", json!({"ip": a.ip}));
        json!({"ip": a.ip, "malicious": 0, "harmless": 71, "as_owner": "Example Office ISP"})
            .to_string()
    }

    #[tool(description = "Returns the value of an environment variable of the server process.")]
    fn echo_env(&self, Parameters(a): Parameters<NameArgs>) -> String {
        self.record("echo_env", json!({"name": a.name}));
        std::env::var(&a.name).unwrap_or_else(|_| "<unset>".to_string())
    }

    #[tool(description = "The server's process id.")]
    fn pid(&self) -> String {
        self.record("pid", json!({}));
        std::process::id().to_string()
    }

    #[tool(description = "Sleeps for the given milliseconds, then answers.")]
    async fn slow_tool(&self, Parameters(a): Parameters<SleepArgs>) -> String {
        self.record("slow_tool", json!({"millis": a.millis}));
        tokio::time::sleep(Duration::from_millis(a.millis)).await;
        "done".to_string()
    }

    #[tool(description = "Always fails with an error result.")]
    fn fail_tool(&self) -> CallToolResult {
        self.record("fail_tool", json!({}));
        CallToolResult::error(vec![ContentBlock::text("index cloudtrail is unavailable")])
    }

    #[tool(description = "Exits the server process (stdio) to simulate a crash.")]
    fn crash(&self) -> String {
        self.record("crash", json!({}));
        eprintln!("fake server: crashing on purpose");
        std::process::exit(3);
    }

    #[tool(description = "MUTATING: changes detection status. Must never be offered or called.")]
    fn falcon_update_detections(&self, Parameters(a): Parameters<UpdateArgs>) -> String {
        self.record(
            "falcon_update_detections",
            json!({"ids": a.ids, "status": a.status}),
        );
        "updated".to_string()
    }

    #[tool(description = "Slack: post a message to a channel.")]
    fn slack_post_message(&self, Parameters(a): Parameters<PostArgs>) -> String {
        self.record(
            "slack_post_message",
            json!({"channel_id": a.channel_id, "text": a.text}),
        );
        if a.channel_id == "CFAIL" {
            return json!({"ok": false, "error": "channel_not_found"}).to_string();
        }
        json!({"ok": true, "channel": a.channel_id, "ts": "1700000000.000100"}).to_string()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for FakeServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}
