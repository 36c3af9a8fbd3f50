//! Shared test fixtures: fake MCP servers on loopback, the stdio fake, running the binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

#[path = "../support/fake_mcp.rs"]
pub mod fake_mcp;

pub use fake_mcp::{CallLog, FakeServer, Script};

/// Every test that runs the binary gives it at most this long.
pub const BINARY_DEADLINE: Duration = Duration::from_secs(60);

/// A fake MCP server over streamable HTTP on 127.0.0.1, requiring a bearer token when given.
pub struct HttpMcp {
    pub url: String,
    pub log: CallLog,
    ct: CancellationToken,
}

impl Drop for HttpMcp {
    fn drop(&mut self) {
        self.ct.cancel();
    }
}

impl HttpMcp {
    pub async fn start(token: Option<&str>, script: Script) -> HttpMcp {
        Self::start_opts(token, script, None).await
    }

    /// A server whose every HTTP response is `status` (e.g. 500).
    pub async fn failing(status: u16) -> HttpMcp {
        Self::start_opts(None, Script::default(), Some(status)).await
    }

    async fn start_opts(token: Option<&str>, script: Script, fail: Option<u16>) -> HttpMcp {
        let log = CallLog::default();
        let ct = CancellationToken::new();
        let server = FakeServer::with_log(script, log.clone());
        let service: StreamableHttpService<FakeServer, LocalSessionManager> =
            StreamableHttpService::new(
                move || Ok(server.clone()),
                Default::default(),
                StreamableHttpServerConfig::default()
                    .with_sse_keep_alive(None)
                    .with_cancellation_token(ct.child_token()),
            );
        let expected = token.map(|t| format!("Bearer {t}"));
        let router =
            axum::Router::new()
                .nest_service("/mcp", service)
                .layer(axum::middleware::from_fn(
                    move |req: Request, next: Next| {
                        let expected = expected.clone();
                        async move {
                            if let Some(status) = fail {
                                return Response::builder()
                                    .status(StatusCode::from_u16(status).unwrap())
                                    .body(axum::body::Body::from("upstream failure"))
                                    .unwrap();
                            }
                            if let Some(expected) = expected {
                                let got = req
                                    .headers()
                                    .get("authorization")
                                    .and_then(|v| v.to_str().ok());
                                if got != Some(expected.as_str()) {
                                    return Response::builder()
                                        .status(StatusCode::UNAUTHORIZED)
                                        .body(axum::body::Body::from(
                                            "{\"error\":\"invalid token\"}",
                                        ))
                                        .unwrap();
                                }
                            }
                            next.run(req).await
                        }
                    },
                ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = ct.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled_owned().await })
                .await;
        });
        HttpMcp {
            url: format!("http://{addr}/mcp"),
            log,
            ct,
        }
    }

    /// Names of the tools called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }
}

/// The stdio fake server binary (an example target, built by `cargo test`).
pub fn stdio_server_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug_dir = exe.parent().unwrap().parent().unwrap();
    let p = debug_dir.join("examples").join("fake_mcp_stdio");
    assert!(
        p.exists(),
        "{} is missing: run the tests with `cargo test`",
        p.display()
    );
    p
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn refused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Runs the real binary with exactly `env` (the process environment cleared) in `dir`.
pub async fn run_triage(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_triage"));
    cmd.args(args)
        .env_clear()
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(BINARY_DEADLINE, cmd.output())
        .await
        .expect("triage did not finish within the test deadline")
        .expect("triage could not be started")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
