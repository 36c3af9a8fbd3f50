//! [`Client`]: sends Messages API requests over HTTP, with the SDKs' retry policy.
//!
//! A request is serialized once; the same bytes go out on every attempt and are handed back in
//! the [`Exchange`] so the audit trail records exactly what the model saw.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use tracing::{debug, warn};

use super::error::{ApiError, ErrorDetail};
use super::retry;
use super::types::{MessagesRequest, MessagesResponse, ModelInfo, ModelsPage};
use crate::secret::{Redactor, Secret};

/// The public API; `ANTHROPIC_BASE_URL` replaces it for proxies and compatible servers.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";

/// The `anthropic-version` header: the stable API version every SDK sends.
pub const API_VERSION: &str = "2023-06-01";

/// Time to establish a connection (TCP + TLS); a healthy endpoint needs well under a second.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Time for a whole non-streaming call: generating 16k output tokens can take minutes.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Retries after the first attempt, as in the official SDKs.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// First backoff delay when the server gives no usable `retry-after`; doubles per retry up to
/// 8 s.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(500);

/// Models asked for per `GET /v1/models` page (the API's maximum).
const MODELS_PAGE_LIMIT: u32 = 1000;

/// Pages of `GET /v1/models` followed at most: a server that always says `has_more` must not
/// keep `triage check` busy forever.
const MAX_MODELS_PAGES: usize = 20;

/// How to reach the model API.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// E.g. `https://api.anthropic.com`; a trailing slash is tolerated.
    pub base_url: String,
    /// `None` only for compatible servers that need no key: no `x-api-key` header is sent.
    pub api_key: Option<Secret>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Retries after the first attempt (so at most `max_retries + 1` requests).
    pub max_retries: u32,
    /// First backoff delay (tests use a millisecond).
    pub backoff_base: Duration,
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            backoff_base: DEFAULT_BACKOFF_BASE,
            user_agent: concat!("triage/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// A Messages API client. Cloning is cheap and clones share the connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Without trailing slash.
    base_url: String,
    max_retries: u32,
    backoff_base: Duration,
    /// Scrubs the API key from every error message.
    redactor: Redactor,
}

/// A successful `POST /v1/messages`, with the exact bytes on both sides for the audit trail.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The JSON body sent (the same on every attempt).
    pub request_body: String,
    /// The JSON body received.
    pub response_body: String,
    pub response: MessagesResponse,
    pub request_id: Option<String>,
    /// HTTP requests made: 1 when the first attempt succeeded.
    pub attempts: u32,
}

/// A 2xx response, body read in full.
struct Success {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    attempts: u32,
}

impl Client {
    pub fn new(config: ClientConfig) -> anyhow::Result<Self> {
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        let parsed = Url::parse(&base_url)
            .with_context(|| format!("the model API base URL {base_url:?} is not a valid URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("the model API base URL {base_url:?} must start with https:// or http://");
        }

        let mut headers = HeaderMap::new();
        headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
        if let Some(key) = &config.api_key {
            // The error must not echo the value.
            let mut value = HeaderValue::from_str(key.expose()).map_err(|_| {
                anyhow!(
                    "the API key contains characters not allowed in an HTTP header (a newline?)"
                )
            })?;
            value.set_sensitive(true);
            headers.insert("x-api-key", value);
        }

        let http = crate::tls::client_builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent)
            .default_headers(headers)
            // The API never redirects, and a redirect would carry `x-api-key` to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the HTTP client for the model API")?;

        Ok(Self {
            http,
            inner: Arc::new(Inner {
                base_url,
                max_retries: config.max_retries,
                backoff_base: config.backoff_base,
                redactor: Redactor::new(config.api_key),
            }),
        })
    }

    /// `POST /v1/messages`.
    pub async fn messages(&self, request: &MessagesRequest) -> Result<MessagesResponse, ApiError> {
        Ok(self.messages_exchange(request).await?.response)
    }

    /// `POST /v1/messages`, keeping the bytes sent and received.
    pub async fn messages_exchange(&self, request: &MessagesRequest) -> Result<Exchange, ApiError> {
        let body = serde_json::to_string(request).map_err(|e| {
            ApiError::InvalidRequest(ErrorDetail {
                message: format!("the request cannot be serialized: {e}"),
                ..ErrorDetail::default()
            })
        })?;
        self.messages_raw(body).await
    }

    /// `POST /v1/messages` with a body serialized by the caller (who may have recorded it).
    pub async fn messages_raw(&self, body: String) -> Result<Exchange, ApiError> {
        let url = self.url("/v1/messages")?;
        let success = self.send(Method::POST, url, Some(&body)).await?;
        let response_body = String::from_utf8(success.body).map_err(|e| {
            self.decode_error(
                &success.headers,
                success.status,
                &e.to_string(),
                e.as_bytes(),
            )
        })?;
        let response = serde_json::from_str::<MessagesResponse>(&response_body).map_err(|e| {
            self.decode_error(
                &success.headers,
                success.status,
                &format!("not a Messages API response: {e}"),
                response_body.as_bytes(),
            )
        })?;
        Ok(Exchange {
            request_body: body,
            response_body,
            response,
            request_id: retry::request_id(&success.headers),
            attempts: success.attempts,
        })
    }

    /// `GET /v1/models`, following pagination (up to a cap).
    ///
    /// A compatible server without this endpoint answers 404: `err.status() == Some(404)`.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, ApiError> {
        let mut models = Vec::new();
        let mut after_id: Option<String> = None;
        for _ in 0..MAX_MODELS_PAGES {
            let mut url = self.url("/v1/models")?;
            url.query_pairs_mut()
                .append_pair("limit", &MODELS_PAGE_LIMIT.to_string());
            if let Some(id) = &after_id {
                url.query_pairs_mut().append_pair("after_id", id);
            }
            let success = self.send(Method::GET, url, None).await?;
            let page: ModelsPage = serde_json::from_slice(&success.body).map_err(|e| {
                self.decode_error(
                    &success.headers,
                    success.status,
                    &format!("not a model list: {e}"),
                    &success.body,
                )
            })?;
            models.extend(page.data);
            match page.last_id {
                Some(last) if page.has_more && after_id.as_ref() != Some(&last) => {
                    after_id = Some(last);
                }
                _ => return Ok(models),
            }
        }
        warn!(
            pages = MAX_MODELS_PAGES,
            models = models.len(),
            "the model list has more pages than this client follows; keeping what was read"
        );
        Ok(models)
    }

    fn url(&self, path: &str) -> Result<Url, ApiError> {
        let text = format!("{}{path}", self.inner.base_url);
        Url::parse(&text).map_err(|e| {
            ApiError::InvalidRequest(ErrorDetail {
                message: self
                    .inner
                    .redactor
                    .redact(&format!("invalid URL {text:?}: {e}")),
                ..ErrorDetail::default()
            })
        })
    }

    fn decode_error(
        &self,
        headers: &HeaderMap,
        status: u16,
        problem: &str,
        body: &[u8],
    ) -> ApiError {
        ApiError::decode(status, headers, problem, body, &self.inner.redactor)
    }

    /// Sends until a 2xx, a final error, or the retry budget is spent.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&str>,
    ) -> Result<Success, ApiError> {
        let mut retries = 0;
        loop {
            match self.attempt(method.clone(), url.clone(), body).await {
                Ok((status, headers, body)) => {
                    debug!(
                        %method,
                        path = url.path(),
                        status,
                        request_id = retry::request_id(&headers).as_deref(),
                        attempts = retries + 1,
                        "model API call succeeded"
                    );
                    return Ok(Success {
                        status,
                        headers,
                        body,
                        attempts: retries + 1,
                    });
                }
                Err(err) if retries < self.inner.max_retries && err.is_retryable() => {
                    let delay = retry::delay(err.retry_after(), retries, self.inner.backoff_base);
                    warn!(
                        status = err.status(),
                        request_id = err.request_id(),
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        retry = retries + 1,
                        max_retries = self.inner.max_retries,
                        error = %err,
                        "model API call failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    retries += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// One HTTP request: a 2xx with its full body, or the classified failure.
    async fn attempt(
        &self,
        method: Method,
        url: Url,
        body: Option<&str>,
    ) -> Result<(u16, HeaderMap, Vec<u8>), ApiError> {
        let redactor = &self.inner.redactor;
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::transport(&e, None, redactor))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await;
        if !(200..300).contains(&status) {
            // A body lost mid-way still leaves the status to classify by.
            let body = body.map(|b| b.to_vec()).unwrap_or_default();
            return Err(ApiError::from_response(status, &headers, &body, redactor));
        }
        match body {
            Ok(body) => Ok((status, headers, body.to_vec())),
            Err(e) => Err(ApiError::transport(&e, Some((status, &headers)), redactor)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_validated_without_echoing_the_key() {
        let bad_url = Client::new(ClientConfig {
            base_url: "localhost:8080".into(),
            ..ClientConfig::default()
        })
        .unwrap_err();
        assert!(bad_url.to_string().contains("https://"), "{bad_url:#}");

        let key = "sk-ant-line\nbreak";
        let bad_key = Client::new(ClientConfig {
            api_key: Some(Secret::new(key)),
            ..ClientConfig::default()
        })
        .unwrap_err();
        assert!(!format!("{bad_key:#}").contains("sk-ant"), "{bad_key:#}");
    }

    #[test]
    fn trailing_slash_is_tolerated() {
        let client = Client::new(ClientConfig {
            base_url: "http://127.0.0.1:9/prefix//".into(),
            ..ClientConfig::default()
        })
        .unwrap();
        assert_eq!(
            client.url("/v1/messages").unwrap().as_str(),
            "http://127.0.0.1:9/prefix/v1/messages"
        );
    }
}
