//! [`ApiError`]: one variant per way a caller reacts to a failed model API call.
//!
//! Stop the run (authentication, permission), wait and try later (rate limit, overload, server),
//! shrink the conversation (context too long), or fix the request. Every variant carries the same
//! [`ErrorDetail`] (status, the API's error type and message, `request-id`), so the request-id is
//! always in the text a user pastes into a support ticket. Messages pass through the client's
//! [`Redactor`] before they are stored: the API key cannot leak through an error.

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::retry;
use crate::secret::Redactor;

/// Most characters of a non-JSON error body kept in a message (a 413 from a proxy may be a page
/// of HTML).
const MAX_BODY_SNIPPET_CHARS: usize = 300;

/// What is known about a failed call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// The API's `error.type`, e.g. `rate_limit_error`.
    pub error_type: Option<String>,
    /// The API's `error.message`, or a description of the failure.
    pub message: String,
    /// The `request-id` header, or the body's `request_id`.
    pub request_id: Option<String>,
    /// The delay the server asked for (`retry-after-ms` / `retry-after`), as sent.
    pub retry_after: Option<Duration>,
    /// The server's `x-should-retry` verdict, which overrides the status rule.
    pub should_retry: Option<bool>,
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut prefix = Vec::new();
        if let Some(status) = self.status {
            prefix.push(format!("HTTP {status}"));
        }
        if let Some(error_type) = &self.error_type {
            prefix.push(error_type.clone());
        }
        if !prefix.is_empty() {
            write!(f, "{}: ", prefix.join(" "))?;
        }
        f.write_str(&self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request-id {id})")?;
        }
        Ok(())
    }
}

/// A failed model API call. Branch on the variant; read details through the accessors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: the key is missing, wrong or revoked.
    #[error("the model API rejected the API key (check ANTHROPIC_API_KEY): {0}")]
    Authentication(ErrorDetail),
    /// 403, and 402 (billing): the key may not do this.
    #[error("the model API refused access for this key: {0}")]
    Permission(ErrorDetail),
    /// 429. [`ApiError::retry_after`] says when to come back.
    #[error("the model API rate limit was exceeded: {0}")]
    RateLimited(ErrorDetail),
    /// 529: the API is overloaded for everyone.
    #[error("the model API is overloaded: {0}")]
    Overloaded(ErrorDetail),
    /// 400 whose message says the prompt does not fit the model's context window.
    #[error("the conversation is too long for the model's context window: {0}")]
    ContextTooLong(ErrorDetail),
    /// Other 4xx (400, 404, 413, 422, ...): the request itself is wrong.
    #[error("the model API rejected the request: {0}")]
    InvalidRequest(ErrorDetail),
    /// 5xx other than 529.
    #[error("the model API failed: {0}")]
    Server(ErrorDetail),
    /// No complete response: connection refused or dropped, timeout (408 included).
    #[error("no complete answer from the model API: {0}")]
    Transport(ErrorDetail),
    /// A 2xx whose body is not a valid response.
    #[error("the model API sent a response this client cannot read: {0}")]
    Decode(ErrorDetail),
}

impl ApiError {
    pub fn detail(&self) -> &ErrorDetail {
        match self {
            Self::Authentication(d)
            | Self::Permission(d)
            | Self::RateLimited(d)
            | Self::Overloaded(d)
            | Self::ContextTooLong(d)
            | Self::InvalidRequest(d)
            | Self::Server(d)
            | Self::Transport(d)
            | Self::Decode(d) => d,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.detail().status
    }

    pub fn request_id(&self) -> Option<&str> {
        self.detail().request_id.as_deref()
    }

    /// The delay the server asked for, if any (may exceed what the retry loop honours).
    pub fn retry_after(&self) -> Option<Duration> {
        self.detail().retry_after
    }

    /// Whether sending the same request again may succeed: `x-should-retry` when the server sent
    /// it, else the SDKs' rule (transport failures, 408, 409, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        let detail = self.detail();
        match self {
            Self::Decode(_) => false,
            Self::Transport(_) => detail.should_retry.unwrap_or(true),
            _ => detail
                .should_retry
                .unwrap_or_else(|| detail.status.is_some_and(retry::status_is_retryable)),
        }
    }

    /// Classifies a non-2xx response.
    pub(crate) fn from_response(
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        redactor: &Redactor,
    ) -> Self {
        let parsed = serde_json::from_slice::<Value>(body).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let error_type = error
            .and_then(|e| e.get("type"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let message = error
            .and_then(|e| e.get("message").or(Some(e)))
            .or_else(|| {
                parsed
                    .as_ref()
                    .and_then(|v| v.get("message").or(v.get("detail")))
            })
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| body_snippet(body, status));
        let request_id = retry::request_id(headers).or_else(|| {
            parsed
                .as_ref()
                .and_then(|v| v.get("request_id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let detail = ErrorDetail {
            status: Some(status),
            error_type,
            message: redactor.redact(&message),
            request_id,
            retry_after: retry::retry_after(headers),
            should_retry: retry::should_retry(headers),
        };
        match status {
            401 => Self::Authentication(detail),
            402 | 403 => Self::Permission(detail),
            408 => Self::Transport(detail),
            429 => Self::RateLimited(detail),
            529 => Self::Overloaded(detail),
            500..=599 => Self::Server(detail),
            400 if says_context_too_long(&detail.message) => Self::ContextTooLong(detail),
            _ => Self::InvalidRequest(detail),
        }
    }

    /// A request that got no complete response; `status`/`headers` when the failure came while
    /// reading the body.
    pub(crate) fn transport(
        err: &reqwest::Error,
        response: Option<(u16, &HeaderMap)>,
        redactor: &Redactor,
    ) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        if err.is_timeout() && !message.contains("timed out") {
            message.push_str(" (timed out)");
        }
        Self::Transport(ErrorDetail {
            status: response.map(|(status, _)| status),
            message: redactor.redact(&message),
            request_id: response.and_then(|(_, headers)| retry::request_id(headers)),
            ..ErrorDetail::default()
        })
    }

    /// A 2xx whose body could not be decoded.
    pub(crate) fn decode(
        status: u16,
        headers: &HeaderMap,
        problem: &str,
        body: &[u8],
        redactor: &Redactor,
    ) -> Self {
        let snippet = body_snippet(body, status);
        Self::Decode(ErrorDetail {
            status: Some(status),
            message: redactor.redact(&format!("{problem}; the body starts with: {snippet}")),
            request_id: retry::request_id(headers),
            ..ErrorDetail::default()
        })
    }
}

/// The start of a body as text, or the status's reason phrase when the body is empty.
fn body_snippet(body: &[u8], status: u16) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no reason given");
        return format!("{reason} (empty body)");
    }
    let mut snippet: String = text.chars().take(MAX_BODY_SNIPPET_CHARS).collect();
    if snippet.len() < text.len() {
        snippet.push('…');
    }
    snippet
}

/// The API says "prompt is too long: 215000 tokens > 200000 maximum"; compatible servers speak of
/// the context window or length. The only place where an error is recognised by its text: the
/// API gives this case no error type of its own.
fn says_context_too_long(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "prompt is too long",
        "context window",
        "context length",
        "maximum context",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use reqwest::header::HeaderValue;

    fn classify(status: u16, body: &str, request_id: Option<&str>) -> ApiError {
        let mut headers = HeaderMap::new();
        if let Some(id) = request_id {
            headers.insert("request-id", HeaderValue::from_str(id).unwrap());
        }
        ApiError::from_response(status, &headers, body.as_bytes(), &Redactor::default())
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

    fn api_body(kind: &str, message: &str) -> String {
        serde_json::json!({"type": "error", "error": {"type": kind, "message": message},
                           "request_id": "req_body"})
        .to_string()
    }

    #[test]
    fn statuses_map_to_variants() {
        let cases = [
            (401, "authentication_error", "Authentication"),
            (402, "billing_error", "Permission"),
            (403, "permission_error", "Permission"),
            (404, "not_found_error", "InvalidRequest"),
            (400, "invalid_request_error", "InvalidRequest"),
            (408, "timeout", "Transport"),
            (429, "rate_limit_error", "RateLimited"),
            (500, "api_error", "Server"),
            (504, "timeout_error", "Server"),
            (529, "overloaded_error", "Overloaded"),
        ];
        for (status, kind, expected) in cases {
            let err = classify(status, &api_body(kind, "m"), Some("req_hdr"));
            assert_eq!(variant(&err), expected, "{status}: {err:?}");
            assert_eq!(err.status(), Some(status));
            assert_eq!(err.detail().error_type.as_deref(), Some(kind));
            assert_eq!(err.request_id(), Some("req_hdr"));
            assert_eq!(err.is_retryable(), retry::status_is_retryable(status));
        }
    }

    #[test]
    fn context_too_long_is_recognised() {
        let err = classify(
            400,
            &api_body(
                "invalid_request_error",
                "prompt is too long: 215000 tokens > 200000 maximum",
            ),
            None,
        );
        assert_eq!(variant(&err), "ContextTooLong");
        assert_eq!(err.request_id(), Some("req_body"));
        assert!(!err.is_retryable());
    }

    #[test]
    fn display_names_status_type_message_and_request_id() {
        let err = classify(
            401,
            &api_body("authentication_error", "invalid x-api-key"),
            None,
        );
        assert_eq!(
            err.to_string(),
            "the model API rejected the API key (check ANTHROPIC_API_KEY): \
             HTTP 401 authentication_error: invalid x-api-key (request-id req_body)"
        );
    }

    #[test]
    fn non_json_and_odd_bodies() {
        let html = classify(413, "<html>Request Entity Too Large</html>", Some("req_9"));
        assert!(matches!(html, ApiError::InvalidRequest(_)));
        assert_eq!(
            html.detail().message,
            "<html>Request Entity Too Large</html>"
        );
        assert!(html.to_string().contains("(request-id req_9)"));

        let empty = classify(502, "", None);
        assert_eq!(empty.detail().message, "Bad Gateway (empty body)");

        let long = classify(400, &"x".repeat(1000), None);
        assert_eq!(
            long.detail().message.chars().count(),
            MAX_BODY_SNIPPET_CHARS + 1
        );

        let openai_style = classify(400, r#"{"error":"bad model"}"#, None);
        assert_eq!(openai_style.detail().message, "bad model");
        let fastapi_style = classify(422, r#"{"detail":"field required"}"#, None);
        assert_eq!(fastapi_style.detail().message, "field required");
    }

    #[test]
    fn messages_are_redacted() {
        let key = "sk-ant-secret-key-123";
        let redactor = Redactor::new([Secret::new(key)]);
        let body = api_body("authentication_error", &format!("bad key {key}"));
        let err = ApiError::from_response(401, &HeaderMap::new(), body.as_bytes(), &redactor);
        assert!(!err.to_string().contains(key));
        assert!(!format!("{err:?}").contains(key));
    }

    #[test]
    fn should_retry_header_overrides_status() {
        let mut headers = HeaderMap::new();
        headers.insert("x-should-retry", HeaderValue::from_static("false"));
        let err = ApiError::from_response(500, &headers, b"", &Redactor::default());
        assert!(!err.is_retryable());
        headers.insert("x-should-retry", HeaderValue::from_static("true"));
        let err = ApiError::from_response(400, &headers, b"", &Redactor::default());
        assert!(err.is_retryable());
    }
}
