//! Opening one MCP connection: streamable HTTP with a bearer token, or a stdio child process.
//!
//! A stdio child gets only the variables it needs plus `PATH`/`HOME` (never our Anthropic key),
//! runs in its own process group (so `npx`'s grandchildren die with it), and has its stderr
//! captured: the last lines explain a failed start or a crash.

use std::collections::{HashMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use process_wrap::tokio::{CommandWrap, KillOnDrop, ProcessGroup};
use rmcp::ServiceExt;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{RoleClient, RunningService};

/// A running client connection.
pub type Service = RunningService<RoleClient, ClientConfig>;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use tokio::io::AsyncBufReadExt;

use super::registry::ListedTool;
use crate::config::{ServerConfig, Transport};

/// How many stderr lines of a child are kept to explain a failure.
const STDERR_TAIL_LINES: usize = 20;
/// How many bytes of one stderr line are kept.
const STDERR_LINE_MAX: usize = 500;
/// After a child fails to start, how long to wait for its last stderr lines to arrive.
const STDERR_DRAIN: std::time::Duration = std::time::Duration::from_millis(300);
/// Connect timeout for HTTP servers (the startup timeout bounds the whole handshake).
const HTTP_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub struct Connected {
    pub service: Service,
    pub tools: Vec<ListedTool>,
    pub stderr: Option<Arc<StderrTail>>,
}

#[derive(Debug)]
pub struct ConnectError {
    pub message: String,
    pub stderr: Option<String>,
}

impl ConnectError {
    /// One readable reason, with the child's stderr when there is any.
    pub fn describe(&self, server: &ServerConfig) -> String {
        let mut s = self.message.clone();
        if let Transport::Http { url, .. } = &server.transport {
            s = format!("{s} (url {url})");
        }
        if let Some(tail) = self.stderr.as_deref().filter(|t| !t.trim().is_empty()) {
            s.push_str(&format!("; its stderr said: {}", tail.trim()));
        }
        s
    }
}

/// The last lines a child wrote to stderr.
#[derive(Default)]
pub struct StderrTail {
    lines: Mutex<VecDeque<String>>,
    /// Set when the child's stderr reached its end (the child exited).
    eof: std::sync::atomic::AtomicBool,
    eof_notify: tokio::sync::Notify,
}

impl StderrTail {
    fn push(&self, line: String) {
        if let Ok(mut l) = self.lines.lock() {
            if l.len() == STDERR_TAIL_LINES {
                l.pop_front();
            }
            l.push_back(line);
        }
    }

    /// Waits (at most `limit`) until the child's stderr is read to its end, so the lines it
    /// wrote just before dying are in the tail.
    pub async fn wait_for_end(&self, limit: std::time::Duration) {
        let wait = async {
            loop {
                let notified = self.eof_notify.notified();
                if self.eof.load(std::sync::atomic::Ordering::Acquire) {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(limit, wait).await;
    }

    pub fn tail(&self) -> String {
        self.lines
            .lock()
            .map(|l| l.iter().cloned().collect::<Vec<_>>().join(" | "))
            .unwrap_or_default()
    }
}

pub async fn connect_server(
    server: &ServerConfig,
    base_env: &[(String, String)],
) -> Result<Connected, ConnectError> {
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("triage", env!("CARGO_PKG_VERSION")),
    );
    match &server.transport {
        Transport::Http {
            url,
            bearer,
            headers,
        } => {
            let mut cfg = StreamableHttpClientTransportConfig::with_uri(url.as_str());
            if let Some(token) = bearer {
                cfg = cfg.auth_header(token.expose().to_string());
            }
            if !headers.is_empty() {
                let mut map = HashMap::new();
                for (k, v) in headers {
                    let name =
                        reqwest::header::HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
                            ConnectError {
                                message: format!("header name `{k}` is invalid"),
                                stderr: None,
                            }
                        })?;
                    let mut value =
                        reqwest::header::HeaderValue::from_str(v.expose()).map_err(|_| {
                            ConnectError {
                                message: format!("the value of header `{k}` is invalid"),
                                stderr: None,
                            }
                        })?;
                    value.set_sensitive(true);
                    map.insert(name, value);
                }
                cfg = cfg.custom_headers(map);
            }
            let client = crate::tls::client_builder()
                .connect_timeout(HTTP_CONNECT_TIMEOUT)
                .build()
                .map_err(|e| ConnectError {
                    message: format!("cannot build an HTTP client: {e}"),
                    stderr: None,
                })?;
            let transport = StreamableHttpClientTransport::with_client(client.clone(), cfg);
            let service = match info.serve(transport).await {
                Ok(s) => s,
                Err(e) => {
                    let why = diagnose_http(&client, url, bearer.as_ref()).await;
                    return Err(ConnectError {
                        message: why.unwrap_or_else(|| {
                            format!("the MCP handshake failed: {}", error_chain(&e))
                        }),
                        stderr: None,
                    });
                }
            };
            let tools = list_tools(&service).await?;
            Ok(Connected {
                service,
                tools,
                stderr: None,
            })
        }
        Transport::Stdio { command, args, env } => {
            let mut cmd = tokio::process::Command::new(command);
            cmd.args(args).env_clear();
            for (k, v) in base_env {
                cmd.env(k, v);
            }
            for (k, v) in env {
                cmd.env(k, v.expose());
            }
            let mut wrapped = CommandWrap::from(cmd);
            wrapped.wrap(ProcessGroup::leader());
            wrapped.wrap(KillOnDrop);
            let (transport, stderr) = TokioChildProcess::builder(wrapped)
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| ConnectError {
                    message: if e.kind() == std::io::ErrorKind::NotFound {
                        format!("command `{command}` was not found on PATH; install it or set the command in the MCP config file")
                    } else {
                        format!("cannot start `{command}`: {e}")
                    },
                    stderr: None,
                })?;
            let tail = Arc::new(StderrTail::default());
            let reader = stderr.map(|s| {
                let tail = tail.clone();
                let name = server.name.clone();
                tokio::spawn(async move {
                    let mut lines = tokio::io::BufReader::new(s).lines();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let line: String = line.chars().take(STDERR_LINE_MAX).collect();
                        tracing::debug!(server = name.as_str(), "stderr: {line}");
                        tail.push(line);
                    }
                    tail.eof.store(true, std::sync::atomic::Ordering::Release);
                    tail.eof_notify.notify_waiters();
                })
            });
            let started = async {
                let service = info
                    .serve(transport)
                    .await
                    .map_err(|e| format!("the MCP handshake failed: {}", error_chain(&e)))?;
                let tools = list_tools(&service).await.map_err(|e| e.message)?;
                Ok::<_, String>((service, tools))
            }
            .await;
            match started {
                Ok((service, tools)) => Ok(Connected {
                    service,
                    tools,
                    stderr: Some(tail),
                }),
                Err(message) => {
                    if let Some(r) = reader {
                        let _ = tokio::time::timeout(STDERR_DRAIN, r).await;
                    }
                    Err(ConnectError {
                        message: format!("`{command}` {message}"),
                        stderr: Some(tail.tail()),
                    })
                }
            }
        }
    }
}

async fn list_tools(service: &Service) -> Result<Vec<ListedTool>, ConnectError> {
    let tools = service
        .peer()
        .list_all_tools()
        .await
        .map_err(|e| ConnectError {
            message: format!("listing its tools failed: {}", error_chain(&e)),
            stderr: None,
        })?;
    Ok(tools
        .into_iter()
        .map(|t| ListedTool {
            name: t.name.to_string(),
            description: t.description.map(|d| d.to_string()).unwrap_or_default(),
            input_schema: serde_json::Value::Object((*t.input_schema).clone()),
        })
        .collect())
}

/// rmcp's handshake errors name transport types but hide the cause. After a failed handshake,
/// one plain request tells the user what is wrong: refused, unreachable, TLS, or an HTTP status
/// (401/403: the token). `None` when the probe itself looks fine.
async fn diagnose_http(
    client: &reqwest::Client,
    url: &str,
    bearer: Option<&crate::secret::Secret>,
) -> Option<String> {
    let mut req = client
        .post(url)
        .timeout(HTTP_CONNECT_TIMEOUT)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#);
    if let Some(token) = bearer {
        req = req.bearer_auth(token.expose());
    }
    match req.send().await {
        Err(e) => {
            let root = root_cause(&e);
            Some(if e.is_connect() {
                format!("cannot connect: {root}")
            } else if e.is_timeout() {
                "the server did not answer in time".to_string()
            } else {
                format!("the request failed: {root}")
            })
        }
        Ok(resp) => {
            let status = resp.status();
            match status.as_u16() {
                401 | 403 => Some(format!(
                    "the server refused the credentials (HTTP {status}); check the token"
                )),
                404 => Some(format!(
                    "HTTP {status}: no MCP endpoint at this URL; check the path (Scanner's ends in /v1/mcp)"
                )),
                s if s >= 400 => {
                    let body = resp.text().await.unwrap_or_default();
                    let body: String = body.chars().take(200).collect();
                    Some(format!("HTTP {status}: {}", body.trim()))
                }
                _ => None,
            }
        }
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// An error with its sources, `a: b: c`, so "connection refused" is not hidden behind
/// "transport error".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}
