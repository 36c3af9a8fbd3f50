//! Test-only stdio MCP server (built by `cargo test`, used by the integration tests).
//!
//! `FAKE_MCP_SCRIPT`: JSON `{"detections": [...], "rows": [...]}` for `execute_query`.
//! `FAKE_MCP_FAIL_START=1`: write an error to stderr and exit before speaking MCP.
//! `FAKE_MCP_LOG`: append every call as a JSON line to this file.
//! `FAKE_MCP_PIDFILE`: write the server's process id to this file at start.

#[path = "../tests/support/fake_mcp.rs"]
mod fake_mcp;

use rmcp::ServiceExt;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::var_os("FAKE_MCP_FAIL_START").is_some() {
        eprintln!("fake server: invalid API key (401 from upstream)");
        std::process::exit(1);
    }
    if let Some(path) = std::env::var_os("FAKE_MCP_PIDFILE") {
        let _ = std::fs::write(path, std::process::id().to_string());
    }
    let script = std::env::var("FAKE_MCP_SCRIPT")
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let server = fake_mcp::FakeServer::new(script);
    match server.serve(rmcp::transport::stdio()).await {
        Ok(running) => {
            let _ = running.waiting().await;
        }
        Err(e) => {
            eprintln!("fake server: {e}");
            std::process::exit(1);
        }
    }
}
