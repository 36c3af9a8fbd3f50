//! The Messages API client against fake servers on loopback: request shape, retry policy, errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use triage::anthropic::{
    ApiError, CacheControl, Client, ClientConfig, ContentBlock, Message, MessagesRequest,
    StopReason, SystemBlock, ToolChoice, ToolDefinition,
};
use triage::secret::Secret;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-ant-test-key-0123456789";

fn config(base_url: &str, max_retries: u32) -> ClientConfig {
    ClientConfig {
        base_url: base_url.to_owned(),
        api_key: Some(Secret::new(KEY)),
        max_retries,
        backoff_base: Duration::from_millis(1),
        ..ClientConfig::default()
    }
}

fn client(base_url: &str, max_retries: u32) -> Client {
    Client::new(config(base_url, max_retries)).unwrap()
}

fn ok_body() -> Value {
    json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
        "content": [{"type": "text", "text": "hello"}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 3,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    })
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("request-id", "req_ok")
        .set_body_json(ok_body())
}

fn api_error(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("request-id", format!("req_{status}").as_str())
        .set_body_json(
            json!({"type": "error", "error": {"type": kind, "message": message},
                              "request_id": format!("req_{status}")}),
        )
}

fn variant(err: &ApiError) -> &'static str {
    match err {
        ApiError::Authentication(_) => "Authentication",
        ApiError::Permission(_) => "Permission",
        ApiError::RateLimited(_) => "RateLimited",
        ApiError::Overloaded(_) => "Overloaded",
        ApiError::ContextTooLong(_) => "ContextTooLong",
        ApiError::InvalidRequest(_) => "InvalidRequest",
        ApiError::Server(_) => "Server",
        ApiError::Transport(_) => "Transport",
        ApiError::Decode(_) => "Decode",
    }
}

fn small_request() -> MessagesRequest {
    MessagesRequest {
        model: "claude-sonnet-4-6".into(),
        max_tokens: 1024,
        messages: vec![Message::user(vec![ContentBlock::text("hi")])],
        ..MessagesRequest::default()
    }
}

/// Answers the next `times` POSTs to /v1/messages with `response`; mounted first, matched first.
async fn answer(server: &MockServer, response: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(response)
        .up_to_n_times(times)
        .mount(server)
        .await;
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

#[tokio::test]
async fn request_has_the_documented_shape_and_headers() {
    let server = MockServer::start().await;
    answer(&server, ok(), 1).await;

    // 1-hour breakpoints must come before 5-minute ones (order: tools, system, messages).
    let mut system = SystemBlock::new("You are a careful SOC analyst.");
    system.cache_control = Some(CacheControl::one_hour());
    let mut tool_result = ContentBlock::tool_result("toolu_01", "3 events", false);
    assert!(tool_result.set_cache_control(Some(CacheControl::ephemeral())));
    let request = MessagesRequest {
        model: "claude-sonnet-4-6".into(),
        max_tokens: 16_000,
        system: vec![system],
        messages: vec![
            Message::user(vec![ContentBlock::text("Investigate alert A-1.")]),
            Message::assistant(vec![
                ContentBlock::Thinking {
                    thinking: "Check the logs.".into(),
                    signature: "sig==".into(),
                },
                ContentBlock::ToolUse {
                    id: "toolu_01".into(),
                    name: "mcp__scanner__query".into(),
                    input: json!({"query": "user = 'bob'", "limit": 10}),
                },
                ContentBlock::ToolUse {
                    id: "toolu_02".into(),
                    name: "mcp__scanner__forbidden".into(),
                    input: json!({}),
                },
            ]),
            Message::user(vec![
                tool_result,
                ContentBlock::tool_result("toolu_02", "tool not allowed", true),
                ContentBlock::text("Continue."),
            ]),
        ],
        tools: vec![ToolDefinition {
            name: "mcp__scanner__query".into(),
            description: "Run a query.".into(),
            input_schema: json!({"type": "object", "properties": {"query": {"type": "string"}},
                                 "required": ["query"]}),
            cache_control: Some(CacheControl::one_hour()),
        }],
        tool_choice: Some(ToolChoice::Auto {
            disable_parallel_tool_use: Some(false),
        }),
        metadata: Some(json!({"user_id": "triage"})),
    };

    let exchange = client(&server.uri(), 0)
        .messages_exchange(&request)
        .await
        .unwrap();
    assert_eq!(exchange.attempts, 1);
    assert_eq!(exchange.request_id.as_deref(), Some("req_ok"));
    assert_eq!(exchange.response.text(), "hello");
    assert_eq!(exchange.response.stop_reason, Some(StopReason::EndTurn));

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let sent = &received[0];
    assert_eq!(sent.headers["x-api-key"], KEY);
    assert_eq!(sent.headers["anthropic-version"], "2023-06-01");
    assert_eq!(sent.headers["content-type"], "application/json");
    assert_eq!(sent.body, exchange.request_body.as_bytes());
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    for forbidden in ["temperature", "top_p", "top_k"] {
        assert!(body.get(forbidden).is_none(), "{forbidden} was sent");
    }
    insta::assert_json_snapshot!("request_shape", body);
}

#[tokio::test]
async fn no_api_key_sends_no_key_header() {
    let server = MockServer::start().await;
    answer(&server, ok(), 1).await;
    let client = Client::new(ClientConfig {
        api_key: None,
        ..config(&format!("{}/", server.uri()), 0)
    })
    .unwrap();
    client.messages(&small_request()).await.unwrap();
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("x-api-key").is_none());
    assert_eq!(received[0].headers["anthropic-version"], "2023-06-01");
}

#[tokio::test]
async fn retries_429_with_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    answer(
        &server,
        api_error(429, "rate_limit_error", "slow down").insert_header("retry-after", "0"),
        1,
    )
    .await;
    answer(&server, ok(), 1).await;

    let exchange = client(&server.uri(), 2)
        .messages_exchange(&small_request())
        .await
        .unwrap();
    assert_eq!(exchange.attempts, 2);
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn retry_after_ms_is_honoured_instead_of_backoff() {
    let server = MockServer::start().await;
    answer(
        &server,
        api_error(429, "rate_limit_error", "slow down").insert_header("retry-after-ms", "10"),
        1,
    )
    .await;
    answer(&server, ok(), 1).await;
    // With this base, a backoff would take at least 6 s: only the header makes the test fast.
    let client = Client::new(ClientConfig {
        backoff_base: Duration::from_secs(30),
        ..config(&server.uri(), 2)
    })
    .unwrap();

    let request = small_request();
    let call = client.messages(&request);
    let response = tokio::time::timeout(Duration::from_secs(3), call)
        .await
        .expect("retry-after-ms was not honoured")
        .unwrap();
    assert_eq!(response.id, "msg_01");
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn retries_overloaded_and_server_errors_then_succeeds() {
    for (status, kind) in [
        (529, "overloaded_error"),
        (500, "api_error"),
        (503, "api_error"),
        (408, "timeout"),
        (409, "conflict"),
    ] {
        let server = MockServer::start().await;
        answer(&server, api_error(status, kind, "try again"), 2).await;
        answer(&server, ok(), 1).await;

        let exchange = client(&server.uri(), 2)
            .messages_exchange(&small_request())
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(exchange.attempts, 3, "{status}");
        assert_eq!(request_count(&server).await, 3, "{status}");
    }
}

#[tokio::test]
async fn no_retry_on_client_errors() {
    let cases = [
        (400, "invalid_request_error", "InvalidRequest"),
        (401, "authentication_error", "Authentication"),
        (403, "permission_error", "Permission"),
        (404, "not_found_error", "InvalidRequest"),
        (413, "request_too_large", "InvalidRequest"),
    ];
    for (status, kind, expected) in cases {
        let server = MockServer::start().await;
        answer(&server, api_error(status, kind, "no"), 5).await;

        let err = client(&server.uri(), 2)
            .messages(&small_request())
            .await
            .unwrap_err();
        assert_eq!(variant(&err), expected, "{status}: {err:?}");
        assert!(!err.is_retryable(), "{status}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(request_count(&server).await, 1, "{status}");
    }
}

#[tokio::test]
async fn x_should_retry_overrides_the_status_rule() {
    let server = MockServer::start().await;
    answer(
        &server,
        api_error(500, "api_error", "do not bother").insert_header("x-should-retry", "false"),
        5,
    )
    .await;
    let err = client(&server.uri(), 2)
        .messages(&small_request())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Server(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(request_count(&server).await, 1);

    let server = MockServer::start().await;
    answer(
        &server,
        api_error(400, "invalid_request_error", "transient")
            .insert_header("x-should-retry", "true"),
        1,
    )
    .await;
    answer(&server, ok(), 1).await;
    let exchange = client(&server.uri(), 2)
        .messages_exchange(&small_request())
        .await
        .unwrap();
    assert_eq!(exchange.attempts, 2);
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = MockServer::start().await;
    answer(
        &server,
        api_error(529, "overloaded_error", "Overloaded").insert_header("retry-after", "0"),
        100,
    )
    .await;

    let err = client(&server.uri(), 3)
        .messages(&small_request())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Overloaded(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(529));
    assert_eq!(request_count(&server).await, 4);
}

#[tokio::test]
async fn unknown_content_block_is_echoed_back_unchanged() {
    let unknown_text = r#"{"type":"server_tool_use","zeta":"last-first","id":"srvtoolu_01","input":{"q":"x","a":[3,2,1]},"alpha":null}"#;
    let unknown: Value = serde_json::from_str(unknown_text).unwrap();
    let mut first = ok_body();
    first["content"] = json!([{"type": "text", "text": "searching"}, unknown,
                             {"type": "thinking", "thinking": "t", "signature": "s"}]);
    first["stop_reason"] = json!("pause_turn");

    let server = MockServer::start().await;
    answer(&server, ResponseTemplate::new(200).set_body_json(first), 1).await;
    answer(&server, ok(), 1).await;
    let client = client(&server.uri(), 0);

    let mut request = small_request();
    let response = client.messages(&request).await.unwrap();
    assert_eq!(response.stop_reason, Some(StopReason::PauseTurn));
    assert!(matches!(response.content[1], ContentBlock::Unknown(_)));
    request.messages.push(Message::assistant(response.content));
    client.messages(&request).await.unwrap();

    let received = server.received_requests().await.unwrap();
    let second: Value = serde_json::from_slice(&received[1].body).unwrap();
    let echoed = &second["messages"][1]["content"][1];
    assert_eq!(echoed, &unknown);
    // Key order too (serde_json keeps insertion order), as in the bytes we received.
    assert_eq!(serde_json::to_string(echoed).unwrap(), unknown_text);
    let sent_text = String::from_utf8(received[1].body.clone()).unwrap();
    assert!(sent_text.contains(unknown_text), "{sent_text}");
}

#[tokio::test]
async fn every_error_names_its_request_id() {
    let cases = [
        (
            api_error(400, "invalid_request_error", "bad"),
            "InvalidRequest",
        ),
        (
            api_error(
                400,
                "invalid_request_error",
                "prompt is too long: 215000 tokens > 200000 maximum",
            ),
            "ContextTooLong",
        ),
        (
            api_error(401, "authentication_error", "invalid x-api-key"),
            "Authentication",
        ),
        (api_error(403, "permission_error", "no"), "Permission"),
        (
            api_error(404, "not_found_error", "model: nope"),
            "InvalidRequest",
        ),
        (api_error(429, "rate_limit_error", "slow"), "RateLimited"),
        (api_error(500, "api_error", "oops"), "Server"),
        (
            api_error(529, "overloaded_error", "Overloaded"),
            "Overloaded",
        ),
        // A proxy's 413 is HTML.
        (
            ResponseTemplate::new(413)
                .insert_header("request-id", "req_413")
                .set_body_raw(
                    "<html><body>413 Request Entity Too Large</body></html>",
                    "text/html",
                ),
            "InvalidRequest",
        ),
        // Only the body has the id.
        (
            ResponseTemplate::new(502).set_body_json(json!({
                "type": "error", "error": {"type": "api_error", "message": "bad gateway"},
                "request_id": "req_502"})),
            "Server",
        ),
        // A 2xx that is no Messages response.
        (
            ResponseTemplate::new(200)
                .insert_header("request-id", "req_200")
                .set_body_raw("<html>captive portal</html>", "text/html"),
            "Decode",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        answer(&server, response, 1).await;
        let err = client(&server.uri(), 0)
            .messages(&small_request())
            .await
            .unwrap_err();
        assert_eq!(variant(&err), expected, "{err:?}");
        let status = err.status().unwrap();
        let id = format!("req_{status}");
        assert_eq!(err.request_id(), Some(id.as_str()), "{err:?}");
        assert!(
            err.to_string().contains(&format!("(request-id {id})")),
            "{err}"
        );
        assert!(!err.to_string().contains(KEY));
    }
}

/// Collects formatted log output, for asserting what a retry logs.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_retry_is_logged_as_a_warning_without_the_key() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded: the client runs on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);
    // tracing caches each callsite's interest globally. While only one scoped dispatcher exists,
    // a callsite first hit on another test's thread is cached as "never"; with two alive, every
    // registration consults all of them (ours included).
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());

    let server = MockServer::start().await;
    answer(
        &server,
        api_error(429, "rate_limit_error", &format!("echoing {KEY}"))
            .insert_header("retry-after-ms", "5"),
        1,
    )
    .await;
    answer(&server, ok(), 1).await;
    client(&server.uri(), 2)
        .messages(&small_request())
        .await
        .unwrap();

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].contains("WARN"), "{text}");
    assert!(lines[0].contains("status=429"), "{text}");
    assert!(lines[0].contains("request_id=\"req_429\""), "{text}");
    assert!(lines[0].contains("delay_ms=5"), "{text}");
    assert!(!text.contains(KEY), "{text}");
}

#[tokio::test]
async fn api_key_never_appears_in_errors() {
    let server = MockServer::start().await;
    answer(
        &server,
        api_error(
            401,
            "authentication_error",
            &format!("invalid x-api-key {KEY}"),
        ),
        1,
    )
    .await;
    let err = client(&server.uri(), 0)
        .messages(&small_request())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Authentication(_)));
    assert!(!err.to_string().contains(KEY), "{err}");
    assert!(!format!("{err:?}").contains(KEY), "{err:?}");
    assert!(!format!("{:?}", config("http://x", 0)).contains(KEY));
}

#[tokio::test]
async fn redirects_are_not_followed_so_the_key_stays_home() {
    let elsewhere = MockServer::start().await;
    answer(&elsewhere, ok(), 1).await;
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(307).insert_header(
            "location",
            format!("{}/v1/messages", elsewhere.uri()).as_str(),
        ),
        1,
    )
    .await;

    let err = client(&server.uri(), 2)
        .messages(&small_request())
        .await
        .unwrap_err();
    assert_eq!(variant(&err), "InvalidRequest", "{err:?}");
    assert_eq!(err.status(), Some(307));
    assert_eq!(request_count(&server).await, 1);
    assert_eq!(request_count(&elsewhere).await, 0);
}

#[tokio::test]
async fn connection_refused_is_a_retryable_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    let err = client(&format!("http://{addr}"), 1)
        .messages(&small_request())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.status(), None);
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn request_timeout_is_a_transport_error() {
    let server = MockServer::start().await;
    answer(&server, ok().set_delay(Duration::from_secs(5)), 1).await;
    let client = Client::new(ClientConfig {
        request_timeout: Duration::from_millis(100),
        ..config(&server.uri(), 0)
    })
    .unwrap();
    let err = client.messages(&small_request()).await.unwrap_err();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

/// What the raw server does on each connection (the last entry repeats).
#[derive(Clone, Copy)]
enum Raw {
    /// Reads the request and closes without a byte of response.
    Close,
    /// Sends headers and the start of the body, then closes.
    Partial,
    /// Sends a complete, valid response.
    Full,
}

/// A one-request-per-connection HTTP/1.1 server on 127.0.0.1 whose connections follow `script`.
async fn raw_server(script: Vec<Raw>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let step = script[n.min(script.len() - 1)];
            tokio::spawn(async move {
                read_request(&mut stream).await;
                let body = ok_body().to_string();
                let reply = match step {
                    Raw::Close => String::new(),
                    Raw::Partial => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         request-id: req_partial\r\ncontent-length: {}\r\n\r\n{}",
                        body.len(),
                        &body[..body.len() / 2]
                    ),
                    Raw::Full => format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    ),
                };
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), connections)
}

/// Reads one request (headers, then `content-length` bytes of body).
async fn read_request(stream: &mut TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if buf.len() >= end + 4 + length {
            return;
        }
    }
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let (url, connections) = raw_server(vec![Raw::Close, Raw::Partial, Raw::Full]).await;
    let exchange = client(&url, 2)
        .messages_exchange(&small_request())
        .await
        .unwrap();
    assert_eq!(exchange.attempts, 3);
    assert_eq!(exchange.response.id, "msg_01");
    assert_eq!(connections.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn body_cut_mid_way_is_a_transport_error_with_status_and_request_id() {
    let (url, connections) = raw_server(vec![Raw::Partial]).await;
    let err = client(&url, 0)
        .messages(&small_request())
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.request_id(), Some("req_partial"));
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn list_models_follows_pagination() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(query_param_is_missing("after_id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                {"id": "claude-opus-4-6", "display_name": "Claude Opus 4.6", "type": "model",
                 "created_at": "2026-02-01T00:00:00Z"},
                {"id": "claude-sonnet-4-6", "display_name": "Claude Sonnet 4.6", "type": "model"}
            ],
            "has_more": true, "first_id": "claude-opus-4-6", "last_id": "claude-sonnet-4-6"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(query_param("after_id", "claude-sonnet-4-6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id": "claude-haiku-4-5-20251001", "type": "model"}],
            "has_more": false, "first_id": "claude-haiku-4-5-20251001",
            "last_id": "claude-haiku-4-5-20251001"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let models = client(&server.uri(), 0).list_models().await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "claude-opus-4-6",
            "claude-sonnet-4-6",
            "claude-haiku-4-5-20251001"
        ]
    );
    assert_eq!(models[0].display_name.as_deref(), Some("Claude Opus 4.6"));
    assert_eq!(models[2].display_name, None);
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].headers["x-api-key"], KEY);
}

#[tokio::test]
async fn list_models_missing_endpoint_is_recognisable() {
    // A compatible server without /v1/models: wiremock answers 404 with an empty body.
    let server = MockServer::start().await;
    let err = client(&server.uri(), 2).list_models().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(matches!(err, ApiError::InvalidRequest(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(request_count(&server).await, 1);
}
