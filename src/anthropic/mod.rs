//! Anthropic Messages API client: wire types, errors, and the retry policy of the official SDKs.
//!
//! Hand-written on `reqwest` so we control exactly what is sent (no `temperature`/`top_p`/`top_k`,
//! byte-stable prompts for caching) and what is kept (unknown content blocks and stop reasons are
//! preserved raw and echoed back unchanged). See `reference/anthropic-api.md` for the facts this
//! module relies on.
//!
//! - [`types`]: request and response bodies ([`MessagesRequest`], [`MessagesResponse`], ...).
//! - [`error`]: [`ApiError`], one variant per way a caller reacts.
//! - [`client`]: [`Client`], [`ClientConfig`], the HTTP calls and the retry loop.
//! - `retry`: the retry policy (which failures, how long to wait).

pub mod client;
pub mod error;
mod retry;
pub mod types;

pub use client::{
    API_VERSION, Client, ClientConfig, DEFAULT_BACKOFF_BASE, DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT, Exchange,
};
pub use error::{ApiError, ErrorDetail};
pub use types::{
    CacheControl, CacheTtl, ContentBlock, MAX_NON_STREAMING_TOKENS, Message, MessagesRequest,
    MessagesResponse, ModelInfo, Role, StopReason, SystemBlock, ToolChoice, ToolDefinition,
    ToolResultContent, Usage,
};
