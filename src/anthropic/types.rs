//! Wire types of the Messages API, shaped so that what we send is exactly what we mean.
//!
//! Requests have no `temperature`/`top_p`/`top_k` fields at all (newer API versions reject them),
//! optional parts are omitted rather than sent as `null`, and every content block we do not know
//! is kept as raw JSON ([`ContentBlock::Unknown`]) so it can be echoed back unchanged, key order
//! included (`serde_json` is built with `preserve_order`). Known blocks decode strictly: a
//! malformed `tool_use` is an error, never silently "unknown".

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// Largest `max_tokens` to ask for in a non-streaming call: a longer answer can outlast the
/// request timeout (the SDKs refuse such calls unless they stream).
pub const MAX_NON_STREAMING_TOKENS: u32 = 16_000;

/// Body of `POST /v1/messages`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessagesRequest {
    pub model: String,
    pub max_tokens: u32,
    /// Sent as an array of text blocks so each can carry a cache breakpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system: Vec<SystemBlock>,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// E.g. `{"user_id": "..."}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// One text block of the system prompt: `{"type":"text","text":..,"cache_control"?}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "text")]
pub struct SystemBlock {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
}

impl SystemBlock {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            cache_control: None,
        }
    }
}

/// A tool the model may call.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    /// Must match `^[a-zA-Z0-9_-]{1,64}$`.
    pub name: String,
    pub description: String,
    /// A JSON Schema of type `object`.
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<CacheControl>,
}

/// A prompt-cache breakpoint: `{"type":"ephemeral"}`, optionally with a `ttl`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "ephemeral")]
pub struct CacheControl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<CacheTtl>,
}

impl CacheControl {
    /// The default 5-minute cache.
    pub fn ephemeral() -> Self {
        Self { ttl: None }
    }

    /// The 1-hour cache (writes cost 2× input instead of 1.25×).
    pub fn one_hour() -> Self {
        Self {
            ttl: Some(CacheTtl::OneHour),
        }
    }
}

/// Lifetime of a cache entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CacheTtl {
    #[serde(rename = "5m")]
    FiveMinutes,
    #[serde(rename = "1h")]
    OneHour,
}

/// How the model must use the tools.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    Auto {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    Any {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    None {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
    Tool {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disable_parallel_tool_use: Option<bool>,
    },
}

impl ToolChoice {
    pub fn auto() -> Self {
        Self::Auto {
            disable_parallel_tool_use: None,
        }
    }

    /// Forces a call to the named tool.
    pub fn tool(name: impl Into<String>) -> Self {
        Self::Tool {
            name: name.into(),
            disable_parallel_tool_use: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    #[default]
    Assistant,
}

/// One turn of the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentBlock>,
}

impl Message {
    pub fn user(content: Vec<ContentBlock>) -> Self {
        Self {
            role: Role::User,
            content,
        }
    }

    /// An assistant turn, typically a response's `content` sent back verbatim.
    pub fn assistant(content: Vec<ContentBlock>) -> Self {
        Self {
            role: Role::Assistant,
            content,
        }
    }
}

/// The `type` values decoded into a typed [`ContentBlock`] variant; anything else stays raw.
const KNOWN_BLOCK_TYPES: &[&str] = &[
    "text",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
];

/// A content block of a message, in a request or a response.
///
/// Serde: known `type`s (see the variants) decode strictly; any other `type` decodes to
/// [`ContentBlock::Unknown`] holding the raw object, which serializes back identically.
#[derive(Clone, Debug, PartialEq)]
pub enum ContentBlock {
    Text {
        text: String,
        cache_control: Option<CacheControl>,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// `content` is sent as text blocks (a plain string is accepted when decoding); `is_error` is
    /// omitted when false.
    ToolResult {
        tool_use_id: String,
        content: Vec<ToolResultContent>,
        is_error: bool,
        cache_control: Option<CacheControl>,
    },
    /// Must be echoed back unmodified and in order (the signature covers it).
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    /// A block of a kind this client does not know (server tools, newer features), kept raw.
    Unknown(Value),
}

/// The serde shape of [`ContentBlock`]'s known variants (serde's "remote" derive: the compiler
/// checks it matches the enum). Private, so the strict decoder cannot be called by mistake in
/// place of the one that keeps unknown blocks.
#[derive(Serialize, Deserialize)]
#[serde(remote = "ContentBlock", tag = "type", rename_all = "snake_case")]
enum KnownBlock {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(
            default,
            skip_serializing_if = "Vec::is_empty",
            deserialize_with = "string_or_blocks"
        )]
        content: Vec<ToolResultContent>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    #[serde(skip)]
    Unknown(Value),
}

impl ContentBlock {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text {
            text: text.into(),
            cache_control: None,
        }
    }

    /// The answer to a `tool_use` with this id, as one text block.
    pub fn tool_result(
        tool_use_id: impl Into<String>,
        text: impl Into<String>,
        is_error: bool,
    ) -> Self {
        Self::ToolResult {
            tool_use_id: tool_use_id.into(),
            content: vec![ToolResultContent::Text { text: text.into() }],
            is_error,
            cache_control: None,
        }
    }

    /// Sets (or with `None` clears) the cache breakpoint on this block. Returns `false`, leaving
    /// the block unchanged, when its kind cannot carry one.
    pub fn set_cache_control(&mut self, cache_control: Option<CacheControl>) -> bool {
        match self {
            Self::Text {
                cache_control: slot,
                ..
            }
            | Self::ToolResult {
                cache_control: slot,
                ..
            } => {
                *slot = cache_control;
                true
            }
            Self::ToolUse { .. }
            | Self::Thinking { .. }
            | Self::RedactedThinking { .. }
            | Self::Unknown(_) => false,
        }
    }

    /// The block's `type` as sent on the wire.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::ToolUse { .. } => "tool_use",
            Self::ToolResult { .. } => "tool_result",
            Self::Thinking { .. } => "thinking",
            Self::RedactedThinking { .. } => "redacted_thinking",
            Self::Unknown(raw) => raw.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Unknown(raw) => raw.serialize(serializer),
            known => KnownBlock::serialize(known, serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        let Some(kind) = raw.get("type").and_then(Value::as_str) else {
            return Err(de::Error::custom(
                "content block is not an object with a string `type`",
            ));
        };
        if !KNOWN_BLOCK_TYPES.contains(&kind) {
            return Ok(Self::Unknown(raw));
        }
        let kind = kind.to_owned();
        KnownBlock::deserialize(raw)
            .map_err(|e| de::Error::custom(format_args!("invalid `{kind}` content block: {e}")))
    }
}

/// A block inside a `tool_result`'s `content`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolResultContent {
    Text { text: String },
}

/// `tool_result.content` may be a plain string on the wire; we always hold blocks.
fn string_or_blocks<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ToolResultContent>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Content {
        Text(String),
        Blocks(Vec<ToolResultContent>),
    }
    Ok(match Content::deserialize(deserializer)? {
        Content::Text(text) => vec![ToolResultContent::Text { text }],
        Content::Blocks(blocks) => blocks,
    })
}

/// Body of a successful `POST /v1/messages`.
///
/// Lenient (compatible servers omit things): only `content` is required, so that an error body
/// sent with a 2xx status still fails to decode instead of passing as an empty answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessagesResponse {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub role: Role,
    pub content: Vec<ContentBlock>,
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// Details of the stop, e.g. `{"type":"refusal","category":"cyber"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_details: Option<Value>,
    #[serde(default)]
    pub usage: Usage,
}

impl MessagesResponse {
    /// `stop_details.category` (e.g. `"cyber"` on a refusal), when given.
    pub fn refusal_category(&self) -> Option<String> {
        self.stop_details
            .as_ref()?
            .get("category")?
            .as_str()
            .map(str::to_owned)
    }

    /// The text blocks, joined by newlines.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        texts.join("\n")
    }

    /// `(id, name, input)` of each `tool_use` block, in order.
    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }
}

/// Why the model stopped. The list is open: unknown values are kept in [`StopReason::Other`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    ToolUse,
    /// The output hit `max_tokens`; a trailing `tool_use` may be cut off.
    MaxTokens,
    StopSequence,
    /// A long server-side turn was paused: send the assistant content back to continue.
    PauseTurn,
    /// See [`MessagesResponse::refusal_category`].
    Refusal,
    ModelContextWindowExceeded,
    Other(String),
}

impl StopReason {
    pub fn as_str(&self) -> &str {
        match self {
            Self::EndTurn => "end_turn",
            Self::ToolUse => "tool_use",
            Self::MaxTokens => "max_tokens",
            Self::StopSequence => "stop_sequence",
            Self::PauseTurn => "pause_turn",
            Self::Refusal => "refusal",
            Self::ModelContextWindowExceeded => "model_context_window_exceeded",
            Self::Other(other) => other,
        }
    }
}

impl From<String> for StopReason {
    fn from(value: String) -> Self {
        match value.as_str() {
            "end_turn" => Self::EndTurn,
            "tool_use" => Self::ToolUse,
            "max_tokens" => Self::MaxTokens,
            "stop_sequence" => Self::StopSequence,
            "pause_turn" => Self::PauseTurn,
            "refusal" => Self::Refusal,
            "model_context_window_exceeded" => Self::ModelContextWindowExceeded,
            _ => Self::Other(value),
        }
    }
}

impl Serialize for StopReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StopReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

/// Token counts of one response (or, summed with [`Usage::add`], of many).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens after the last cache breakpoint (neither read from nor written to cache).
    #[serde(default, deserialize_with = "null_as_zero")]
    pub input_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub output_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cache_creation_input_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cache_read_input_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
    }

    /// All input tokens: uncached + cache writes + cache reads.
    pub fn total_input(&self) -> u64 {
        self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens
    }
}

/// Compatible servers send `null` for counts they do not track.
fn null_as_zero<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(deserializer)?.unwrap_or(0))
}

/// One entry of `GET /v1/models`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// One page of `GET /v1/models`.
#[derive(Debug, Deserialize)]
pub(crate) struct ModelsPage {
    pub data: Vec<ModelInfo>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub last_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(block: &ContentBlock) -> ContentBlock {
        let text = serde_json::to_string(block).expect("serialize");
        serde_json::from_str(&text).expect("deserialize")
    }

    #[test]
    fn known_blocks_serialize_to_the_wire_shape() {
        let mut text = ContentBlock::text("hi");
        assert!(text.set_cache_control(Some(CacheControl::ephemeral())));
        assert_eq!(
            serde_json::to_value(&text).unwrap(),
            json!({"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}})
        );
        assert!(text.set_cache_control(None));
        assert_eq!(
            serde_json::to_value(&text).unwrap(),
            json!({"type": "text", "text": "hi"})
        );

        let ok = ContentBlock::tool_result("toolu_1", "fine", false);
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"type": "tool_result", "tool_use_id": "toolu_1",
                   "content": [{"type": "text", "text": "fine"}]})
        );
        let mut failed = ContentBlock::tool_result("toolu_2", "boom", true);
        assert!(failed.set_cache_control(Some(CacheControl::one_hour())));
        assert_eq!(
            serde_json::to_value(&failed).unwrap(),
            json!({"type": "tool_result", "tool_use_id": "toolu_2",
                   "content": [{"type": "text", "text": "boom"}], "is_error": true,
                   "cache_control": {"type": "ephemeral", "ttl": "1h"}})
        );

        let mut tool_use = ContentBlock::ToolUse {
            id: "toolu_3".into(),
            name: "mcp__scanner__query".into(),
            input: json!({"b": 1, "a": 2}),
        };
        assert!(!tool_use.set_cache_control(Some(CacheControl::ephemeral())));
        assert_eq!(
            serde_json::to_string(&tool_use).unwrap(),
            r#"{"type":"tool_use","id":"toolu_3","name":"mcp__scanner__query","input":{"b":1,"a":2}}"#
        );
    }

    #[test]
    fn every_known_block_roundtrips() {
        let blocks = [
            ContentBlock::text("t"),
            ContentBlock::ToolUse {
                id: "i".into(),
                name: "n".into(),
                input: json!({}),
            },
            ContentBlock::tool_result("i", "r", true),
            ContentBlock::Thinking {
                thinking: "hmm".into(),
                signature: "sig".into(),
            },
            ContentBlock::RedactedThinking { data: "xyz".into() },
        ];
        for block in &blocks {
            assert_eq!(&roundtrip(block), block);
        }
    }

    #[test]
    fn unknown_block_is_kept_raw_and_reserialized_identically() {
        let wire =
            r#"{"type":"server_tool_use","zeta":1,"id":"srvtoolu_1","alpha":{"y":[1,2],"x":null}}"#;
        let block: ContentBlock = serde_json::from_str(wire).unwrap();
        assert!(matches!(block, ContentBlock::Unknown(_)));
        assert_eq!(block.kind(), "server_tool_use");
        assert_eq!(serde_json::to_string(&block).unwrap(), wire);
        let mut block = block;
        assert!(!block.set_cache_control(Some(CacheControl::ephemeral())));
        assert_eq!(serde_json::to_string(&block).unwrap(), wire);
    }

    #[test]
    fn malformed_known_block_is_an_error_not_unknown() {
        for wire in [
            r#"{"type":"tool_use","id":"x","name":"n"}"#,
            r#"{"type":"text","text":5}"#,
            r#"{"type":"thinking","thinking":"x"}"#,
            r#"{"text":"no type"}"#,
            r#"{"type":7}"#,
            r#""just a string""#,
        ] {
            let err = serde_json::from_str::<ContentBlock>(wire).unwrap_err();
            assert!(err.is_data(), "{wire}: {err}");
        }
        let err =
            serde_json::from_str::<ContentBlock>(r#"{"type":"tool_use","id":"x","name":"n"}"#)
                .unwrap_err();
        assert!(
            err.to_string().contains("invalid `tool_use` content block"),
            "{err}"
        );
        assert!(err.to_string().contains("input"), "{err}");
    }

    #[test]
    fn tool_result_content_accepts_a_plain_string() {
        let block: ContentBlock =
            serde_json::from_str(r#"{"type":"tool_result","tool_use_id":"a","content":"ok"}"#)
                .unwrap();
        assert_eq!(block, ContentBlock::tool_result("a", "ok", false));
    }

    #[test]
    fn stop_reason_known_and_unknown_values() {
        for (wire, reason) in [
            ("end_turn", StopReason::EndTurn),
            ("tool_use", StopReason::ToolUse),
            ("max_tokens", StopReason::MaxTokens),
            ("stop_sequence", StopReason::StopSequence),
            ("pause_turn", StopReason::PauseTurn),
            ("refusal", StopReason::Refusal),
            (
                "model_context_window_exceeded",
                StopReason::ModelContextWindowExceeded,
            ),
            ("brand_new", StopReason::Other("brand_new".into())),
        ] {
            let parsed: StopReason = serde_json::from_value(json!(wire)).unwrap();
            assert_eq!(parsed, reason);
            assert_eq!(serde_json::to_value(&parsed).unwrap(), json!(wire));
        }
    }

    #[test]
    fn response_is_lenient_and_reads_refusal_category() {
        let resp: MessagesResponse = serde_json::from_value(json!({
            "content": [],
            "stop_reason": "refusal",
            "stop_details": {"type": "refusal", "category": "cyber"},
            "usage": {"input_tokens": 3, "output_tokens": 1, "cache_read_input_tokens": null}
        }))
        .unwrap();
        assert_eq!(resp.stop_reason, Some(StopReason::Refusal));
        assert_eq!(resp.refusal_category().as_deref(), Some("cyber"));
        assert_eq!(resp.usage.total_input(), 3);

        let bare: MessagesResponse = serde_json::from_value(json!({"content": []})).unwrap();
        assert_eq!(bare.stop_reason, None);
        assert_eq!(bare.refusal_category(), None);
        assert_eq!(bare.usage, Usage::default());

        let error_body = json!({"type": "error", "error": {"type": "api_error", "message": "x"}});
        assert!(serde_json::from_value::<MessagesResponse>(error_body).is_err());
    }

    #[test]
    fn usage_adds_and_totals() {
        let mut total = Usage::default();
        let one = Usage {
            input_tokens: 10,
            output_tokens: 5,
            cache_creation_input_tokens: 100,
            cache_read_input_tokens: 1000,
        };
        total.add(&one);
        total.add(&one);
        assert_eq!(total.output_tokens, 10);
        assert_eq!(total.total_input(), 2220);
    }

    #[test]
    fn request_omits_empty_optional_parts() {
        let req = MessagesRequest {
            model: "m".into(),
            max_tokens: 10,
            messages: vec![Message::user(vec![ContentBlock::text("x")])],
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({"model": "m", "max_tokens": 10,
                   "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]})
        );
        let choice = ToolChoice::Any {
            disable_parallel_tool_use: Some(true),
        };
        assert_eq!(
            serde_json::to_value(&choice).unwrap(),
            json!({"type": "any", "disable_parallel_tool_use": true})
        );
        assert_eq!(
            serde_json::to_value(ToolChoice::tool("t")).unwrap(),
            json!({"type": "tool", "name": "t"})
        );
    }
}
