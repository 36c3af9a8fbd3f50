//! MCP connections: every configured server, connected once per run, shared by every alert.
//!
//! All servers connect concurrently, each within the startup timeout. A required server that
//! fails stops the run (exit 2) with the reason — for a stdio child, the tail of its stderr. An
//! optional server that fails costs one warning line and the run goes on without it. Calls go
//! through [`McpHub::call`], which resolves the exposed name through the [`ToolRegistry`],
//! refuses anything outside the allow-list, and bounds every call by the call timeout.

mod connect;
pub mod rate;
pub mod registry;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{Peer, RoleClient};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::config::{Config, ServerConfig, ServerSource};
use crate::secret::Redactor;
pub use registry::{ListedTool, ToolEntry, ToolRegistry};

/// How long shutdown waits for one server to close before giving up on it (children are killed
/// on drop regardless).
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(3);

/// After a child's connection closed, how long to wait for its last stderr lines.
const STDERR_AFTER_EXIT: Duration = Duration::from_millis(300);

/// What happened when a server was connected, for `triage check` and warnings.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ServerStatus {
    pub name: String,
    /// The variable that switched a built-in server on, or `FILE line N`.
    pub source: String,
    pub transport: &'static str,
    pub required: bool,
    pub connected: bool,
    /// Time to connect and list tools.
    pub startup_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of one tool call, as the model will receive it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolOutput {
    pub text: String,
    pub is_error: bool,
}

impl ToolOutput {
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: true,
        }
    }
}

struct Connection {
    server: ServerConfig,
    /// Cloned out for each call (never held across an await).
    peer: std::sync::RwLock<Peer<RoleClient>>,
    limiter: Option<rate::RateLimiter>,
    /// The running service, for shutdown and the one restart after a crash.
    service: Mutex<Option<connect::Service>>,
    stderr: std::sync::RwLock<Option<Arc<connect::StderrTail>>>,
    /// A server that stopped mid-run is restarted once; after that it is gone for the run.
    restarted: std::sync::atomic::AtomicBool,
    gone: std::sync::atomic::AtomicBool,
}

impl Connection {
    fn peer(&self) -> Peer<RoleClient> {
        match self.peer.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn stderr_tail(&self) -> String {
        self.stderr
            .read()
            .ok()
            .and_then(|s| s.as_ref().map(|t| t.tail()))
            .unwrap_or_default()
    }
}

/// Every connected server and the tool table.
pub struct McpHub {
    conns: HashMap<String, Connection>,
    registry: ToolRegistry,
    statuses: Vec<ServerStatus>,
    call_timeout: Duration,
    startup_timeout: Duration,
    base_env: Vec<(String, String)>,
    redactor: Redactor,
}

/// A required server could not be used: the run cannot go on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RequiredServerError(pub String);

impl McpHub {
    /// Connects every configured server concurrently. Servers named in `required` must
    /// connect; the others may fail with a warning. When `fail_fast` is false (for `triage
    /// check`), a required failure is reported in the statuses instead of as an error.
    pub async fn connect(
        config: &Config,
        required: &[&str],
        fail_fast: bool,
    ) -> Result<McpHub, RequiredServerError> {
        let tasks = config.servers.iter().map(|s| {
            let s = s.clone();
            let startup = config.mcp_startup_timeout;
            let base_env = config.child_base_env.clone();
            async move {
                let start = Instant::now();
                let res =
                    tokio::time::timeout(startup, connect::connect_server(&s, &base_env)).await;
                let res = match res {
                    Ok(r) => r,
                    Err(_) => Err(connect::ConnectError {
                        message: format!(
                            "did not start within {} (raise --mcp-startup-timeout if it is slow to start)",
                            fmt_duration(startup)
                        ),
                        stderr: None,
                    }),
                };
                (s, start.elapsed(), res)
            }
        });
        let results = join_all(tasks).await;

        let mut conns = HashMap::new();
        let mut statuses = Vec::new();
        let mut listed = BTreeMap::new();
        let mut fatal = Vec::new();
        for (server, elapsed, res) in results {
            let is_required = required.contains(&server.name.as_str());
            let mut status = ServerStatus {
                name: server.name.clone(),
                source: match &server.source {
                    ServerSource::BuiltIn => server.origin_hint.clone(),
                    file => file.to_string(),
                },
                transport: match server.transport {
                    crate::config::Transport::Http { .. } => "http",
                    crate::config::Transport::Stdio { .. } => "stdio",
                },
                required: is_required,
                connected: false,
                startup_ms: elapsed.as_millis() as u64,
                error: None,
            };
            match res {
                Ok(c) => {
                    status.connected = true;
                    listed.insert(server.name.clone(), c.tools);
                    conns.insert(
                        server.name.clone(),
                        Connection {
                            peer: std::sync::RwLock::new(c.service.peer().clone()),
                            limiter: server.rate_limit.map(rate::RateLimiter::per_minute),
                            service: Mutex::new(Some(c.service)),
                            stderr: std::sync::RwLock::new(c.stderr),
                            restarted: Default::default(),
                            gone: Default::default(),
                            server: server.clone(),
                        },
                    );
                }
                Err(e) => {
                    let reason = config.redactor.redact(&e.describe(&server));
                    let msg = failure_message(&server, &reason);
                    if is_required {
                        fatal.push(msg);
                    } else {
                        tracing::warn!("{msg}; continuing without it");
                    }
                    status.error = Some(reason);
                }
            }
            statuses.push(status);
        }
        let registry = ToolRegistry::build(&listed, &config.allowed_tools, &config.denied_tools);
        let hub = McpHub {
            conns,
            registry,
            statuses,
            call_timeout: config.mcp_call_timeout,
            startup_timeout: config.mcp_startup_timeout,
            base_env: config.child_base_env.clone(),
            redactor: config.redactor.clone(),
        };
        if fail_fast && !fatal.is_empty() {
            hub.shutdown().await;
            return Err(RequiredServerError(fatal.join("\n")));
        }
        Ok(hub)
    }

    pub fn registry(&self) -> &ToolRegistry {
        &self.registry
    }

    pub fn statuses(&self) -> &[ServerStatus] {
        &self.statuses
    }

    pub fn is_connected(&self, server: &str) -> bool {
        self.conns.contains_key(server)
    }

    /// Calls an allow-listed tool by its exposed name. Never fails: every problem becomes an
    /// error result the model can act on (the caller owes the model one `tool_result` per call).
    pub async fn call(&self, name: &str, args: &Value) -> ToolOutput {
        let Some(entry) = self.registry.get(name) else {
            tracing::warn!(tool = name, "model called an unknown tool; refused");
            return ToolOutput::error(format!(
                "There is no tool named `{name}`. Use only the tools listed in this conversation."
            ));
        };
        if !entry.allowed {
            tracing::warn!(
                tool = name,
                "model called a tool outside the allow-list; refused"
            );
            return ToolOutput::error(format!(
                "Tool `{name}` is not available: investigation is read-only and this tool is not on the allow-list. Use only the tools listed in this conversation."
            ));
        }
        self.call_server_tool(&entry.server, &entry.tool, args)
            .await
    }

    /// Calls a tool on a server by its own name, bypassing the model's allow-list. Only the
    /// program itself uses this (posting a report to Slack), never with model-chosen names.
    pub async fn call_server_tool(&self, server: &str, tool: &str, args: &Value) -> ToolOutput {
        let Some(conn) = self.conns.get(server) else {
            return ToolOutput::error(format!(
                "Server `{server}` is not connected, so its tools cannot be used in this run."
            ));
        };
        let arguments = match args {
            Value::Object(m) => m.clone(),
            Value::Null => serde_json::Map::new(),
            other => {
                return ToolOutput::error(format!(
                    "The tool input must be a JSON object, not {}.",
                    json_kind(other)
                ));
            }
        };
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        if let Some(limiter) = &conn.limiter {
            let waited = limiter.wait().await;
            if !waited.is_zero() {
                tracing::debug!(
                    server,
                    ms = waited.as_millis() as u64,
                    "waited for the rate limit"
                );
            }
        }
        let started = Instant::now();
        if conn.gone.load(std::sync::atomic::Ordering::Relaxed) {
            return ToolOutput::error(format!(
                "Server `{server}` stopped during this run and could not be restarted; its tools are unavailable. Continue without it and note the gap."
            ));
        }
        let peer = conn.peer();
        let res = tokio::time::timeout(self.call_timeout, peer.call_tool(params)).await;
        let out = match res {
            Err(_) => ToolOutput::error(format!(
                "The call to `{tool}` timed out after {} and was cancelled. Narrow it (a shorter time range, a more specific filter, fewer rows) and try again, or continue without it.",
                fmt_duration(self.call_timeout)
            )),
            Ok(Err(e)) if peer.is_transport_closed() => {
                let stderr = conn.stderr.read().ok().and_then(|s| s.clone());
                if let Some(s) = stderr {
                    s.wait_for_end(STDERR_AFTER_EXIT).await;
                }
                let tail = conn.stderr_tail();
                let restarted = self.restart(server, conn).await;
                let mut msg =
                    format!("The call to `{tool}` failed: server `{server}` stopped ({e}).");
                if !tail.is_empty() {
                    msg.push_str(&format!(" Its stderr: {tail}."));
                }
                msg.push_str(if restarted {
                    " It was restarted: you may retry the call."
                } else {
                    " It could not be restarted: continue without it and note the gap."
                });
                ToolOutput::error(self.redactor.redact(&msg))
            }
            Ok(Err(e)) => {
                let mut msg = format!("The call to `{tool}` on server `{server}` failed: {e}.");
                let tail = conn.stderr_tail();
                if !tail.is_empty() {
                    msg.push_str(&format!(" Server stderr: {tail}"));
                }
                ToolOutput::error(self.redactor.redact(&msg))
            }
            Ok(Ok(result)) => render_result(&result),
        };
        tracing::debug!(
            server,
            tool,
            ms = started.elapsed().as_millis() as u64,
            is_error = out.is_error,
            "tool call"
        );
        out
    }

    /// Restarts a server whose connection closed, once per run. Concurrent callers wait for the
    /// one restart; returns whether the server is usable again.
    async fn restart(&self, name: &str, conn: &Connection) -> bool {
        use std::sync::atomic::Ordering;
        let mut service = conn.service.lock().await;
        // Someone else already restarted it while we waited.
        if !conn.peer().is_transport_closed() {
            return true;
        }
        if conn.gone.load(Ordering::Relaxed) || conn.restarted.swap(true, Ordering::Relaxed) {
            conn.gone.store(true, Ordering::Relaxed);
            tracing::warn!("MCP server `{name}` stopped again; continuing without it");
            return false;
        }
        if let Some(old) = service.take() {
            let _ = tokio::time::timeout(SHUTDOWN_TIMEOUT, old.cancel()).await;
        }
        let started = tokio::time::timeout(
            self.startup_timeout,
            connect::connect_server(&conn.server, &self.base_env),
        )
        .await;
        match started {
            Ok(Ok(c)) => {
                if let Ok(mut p) = conn.peer.write() {
                    *p = c.service.peer().clone();
                }
                if let Ok(mut s) = conn.stderr.write() {
                    *s = c.stderr;
                }
                *service = Some(c.service);
                tracing::warn!("MCP server `{name}` stopped mid-run and was restarted");
                true
            }
            Ok(Err(e)) => {
                conn.gone.store(true, Ordering::Relaxed);
                let why = self.redactor.redact(&e.describe(&conn.server));
                tracing::warn!(
                    "MCP server `{name}` stopped mid-run and could not be restarted: {why}; continuing without it"
                );
                false
            }
            Err(_) => {
                conn.gone.store(true, Ordering::Relaxed);
                tracing::warn!(
                    "MCP server `{name}` stopped mid-run and did not restart in time; continuing without it"
                );
                false
            }
        }
    }

    /// Closes every connection and stops every child. Idempotent.
    pub async fn shutdown(&self) {
        let closes = self.conns.iter().map(|(name, c)| async move {
            // No restart after shutdown.
            c.gone.store(true, std::sync::atomic::Ordering::Relaxed);
            let service = c.service.lock().await.take();
            if let Some(service) = service
                && tokio::time::timeout(SHUTDOWN_TIMEOUT, service.cancel())
                    .await
                    .is_err()
            {
                tracing::debug!(server = name.as_str(), "server did not close in time");
            }
        });
        join_all(closes).await;
    }
}

fn failure_message(server: &ServerConfig, reason: &str) -> String {
    let what = match &server.source {
        ServerSource::BuiltIn => {
            format!("MCP server `{}` (from {})", server.name, server.origin_hint)
        }
        ServerSource::File { .. } => format!("MCP server `{}` ({})", server.name, server.source),
    };
    format!("{what} failed to start: {reason}")
}

/// Turns a tool result into the text the model reads. Non-text content is described, not
/// dropped silently; structured content is used when there is no text.
pub fn render_result(result: &CallToolResult) -> ToolOutput {
    use rmcp::model::ContentBlock;
    let mut parts = Vec::new();
    for block in &result.content {
        match block {
            ContentBlock::Text(t) => parts.push(t.text.clone()),
            ContentBlock::Image(i) => {
                parts.push(format!("[image content ({}) omitted]", i.mime_type))
            }
            ContentBlock::Audio(a) => {
                parts.push(format!("[audio content ({}) omitted]", a.mime_type))
            }
            ContentBlock::Resource(r) => match &r.resource {
                rmcp::model::ResourceContents::TextResourceContents { uri, text, .. } => {
                    parts.push(format!("[resource {uri}]\n{text}"))
                }
                _ => parts.push("[binary resource omitted]".to_string()),
            },
            ContentBlock::ResourceLink(l) => parts.push(format!("[resource link {}]", l.uri)),
            #[allow(unreachable_patterns)]
            _ => parts.push("[unsupported content omitted]".to_string()),
        }
    }
    if parts.is_empty()
        && let Some(s) = &result.structured_content
    {
        parts.push(s.to_string());
    }
    let is_error = result.is_error.unwrap_or(false);
    let mut text = parts.join("\n");
    if text.is_empty() {
        text = if is_error {
            "The tool reported an error without a message.".into()
        } else {
            "(the tool returned no content)".into()
        };
    }
    ToolOutput { text, is_error }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `1.5s`, `60s`, `250ms` — for messages.
pub fn fmt_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::ContentBlock;

    #[test]
    fn non_text_content_is_described_and_structured_content_used() {
        let r = CallToolResult::success(vec![
            ContentBlock::text("rows: 3"),
            ContentBlock::image("aGVsbG8=", "image/png"),
        ]);
        assert_eq!(
            render_result(&r),
            ToolOutput {
                text: "rows: 3\n[image content (image/png) omitted]".into(),
                is_error: false
            }
        );
        let mut r = CallToolResult::success(vec![]);
        r.structured_content = Some(serde_json::json!({"count": 7}));
        assert_eq!(render_result(&r).text, "{\"count\":7}");
        let r = CallToolResult::error(vec![]);
        assert_eq!(
            render_result(&r),
            ToolOutput::error("The tool reported an error without a message.")
        );
    }
}
