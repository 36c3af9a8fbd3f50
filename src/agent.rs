//! The tool-use loop shared by alert collection and investigation: model ↔ tools, with limits.
//!
//! A [`Conversation`] holds one model conversation (its messages, usage and the ids of the tool
//! calls that succeeded). [`Conversation::run_phase`] drives it until the model calls the
//! phase's harness tool (`submit_assessment`, `submit_alerts`) with valid input, or a limit,
//! refusal or error ends it. Every `tool_use` gets exactly one `tool_result` in the next user
//! message — even when refused, failed or timed out. The model and the tools sit behind two
//! small traits so the loop can be tested without servers.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures_util::future::join_all;
use serde_json::Value;

use crate::anthropic::{
    self, ApiError, CacheControl, ContentBlock, Exchange, Message, MessagesRequest, Role,
    StopReason, SystemBlock, ToolChoice, ToolDefinition, Usage,
};
use crate::audit::{Audit, capped};
use crate::mcp::{McpHub, ToolOutput};

/// Output tokens per model call: room for a full assessment plus reasoning, below the
/// non-streaming ceiling.
pub const MAX_OUTPUT_TOKENS: u32 = 8_000;
/// Default cap on one tool result given to the model. Large enough for a useful page of rows;
/// beyond it the model is told to narrow the query or page.
pub const DEFAULT_MAX_TOOL_RESULT_BYTES: usize = 40_000;
/// Message breakpoints kept for prompt caching (plus tools and system: 4, the API's maximum).
const MESSAGE_CACHE_BREAKPOINTS: usize = 2;

/// The model API, as the loop needs it: one serialized `MessagesRequest` in, one exchange out.
pub trait Model: Send + Sync {
    fn send(&self, body: String) -> impl Future<Output = Result<Exchange, ApiError>> + Send;
}

impl Model for anthropic::Client {
    fn send(&self, body: String) -> impl Future<Output = Result<Exchange, ApiError>> + Send {
        self.messages_raw(body)
    }
}

/// The MCP tools, as the loop needs them.
pub trait Tools: Send + Sync {
    fn call(&self, name: &str, input: &Value) -> impl Future<Output = ToolOutput> + Send;
}

impl Tools for McpHub {
    fn call(&self, name: &str, input: &Value) -> impl Future<Output = ToolOutput> + Send {
        McpHub::call(self, name, input)
    }
}

/// Limits shared by every phase of one conversation.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Model calls across all phases.
    pub max_turns: u32,
    pub deadline: Instant,
    pub max_tool_result_bytes: usize,
}

/// How a phase ended.
#[derive(Debug)]
pub enum PhaseEnd<T> {
    /// The harness tool was called with valid input.
    Submitted(T),
    /// The model ended its turn without submitting, even after a reminder.
    NoSubmission,
    TurnLimit,
    TimeLimit,
    /// `stop_reason: refusal`, with `stop_details.category` when given.
    Refused(Option<String>),
    /// An API error or a stop the conversation cannot continue from.
    Failed(String),
    /// The API refused the key (401/403): nothing else can succeed, the run must stop.
    Fatal(String),
}

/// A tool call made in the conversation, for the audit and the report's counts.
#[derive(Clone, Debug)]
pub struct ToolCallRecord {
    pub id: String,
    pub name: String,
    pub input: Value,
    pub output: ToolOutput,
    pub millis: u64,
}

/// Where a conversation records what it does: the run's audit file, under a label (the alert
/// id, or `collect`).
#[derive(Clone)]
pub struct Trail {
    pub audit: Arc<Audit>,
    pub label: String,
}

/// The run's estimated spend so far, in millionths of a dollar, shared by every conversation.
#[derive(Clone, Default)]
pub struct CostMeter(Arc<AtomicU64>);

impl CostMeter {
    pub fn add_usd(&self, usd: f64) {
        self.0
            .fetch_add((usd * 1e6).round() as u64, Ordering::Relaxed);
    }

    pub fn usd(&self) -> f64 {
        self.0.load(Ordering::Relaxed) as f64 / 1e6
    }
}

/// One model conversation.
pub struct Conversation {
    pub model: String,
    system: Vec<SystemBlock>,
    tools: Vec<ToolDefinition>,
    messages: Vec<Message>,
    /// Tool results owed to the previous assistant turn, sent with the next user message.
    pending: Vec<ContentBlock>,
    pub usage: Usage,
    pub model_calls: u32,
    pub calls: Vec<ToolCallRecord>,
    /// `tool_use` ids of MCP calls that succeeded (citations must name one of these).
    pub ok_calls: HashSet<String>,
    /// Every request body sent, largest size seen (for the benchmark and audit).
    pub largest_request_bytes: usize,
    pub request_bytes_total: usize,
    /// The audit trail, when the run keeps one.
    pub trail: Option<Trail>,
    /// Shared spend meter, fed after every model call.
    pub meter: Option<CostMeter>,
    /// What the current phase is called in the audit ("investigation", "critique pass 1 of 2").
    pub phase: String,
    /// Messages already written to the audit.
    audited_messages: usize,
}

impl Conversation {
    /// `system` and `tools` form the stable, cached prefix: byte-identical across a run.
    pub fn new(model: String, system: &str, mut tools: Vec<ToolDefinition>, first: String) -> Self {
        if let Some(last) = tools.last_mut() {
            last.cache_control = Some(CacheControl::ephemeral());
        }
        let system = vec![SystemBlock {
            text: system.to_string(),
            cache_control: Some(CacheControl::ephemeral()),
        }];
        Self {
            model,
            system,
            tools,
            messages: vec![Message::user(vec![ContentBlock::text(first)])],
            pending: Vec::new(),
            usage: Usage::default(),
            model_calls: 0,
            calls: Vec::new(),
            ok_calls: HashSet::new(),
            largest_request_bytes: 0,
            request_bytes_total: 0,
            trail: None,
            meter: None,
            phase: String::new(),
            audited_messages: 0,
        }
    }

    pub fn audit(&self, kind: &str, mut fields: Value) {
        if let Some(t) = &self.trail {
            fields["alert"] = Value::String(t.label.clone());
            t.audit.record(kind, fields);
        }
    }

    /// Adds a user message (after any tool results owed to the previous turn).
    pub fn say(&mut self, text: String) {
        let mut content = std::mem::take(&mut self.pending);
        content.push(ContentBlock::text(text));
        self.messages.push(Message::user(content));
    }

    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Runs until `harness` is called with input that `accept` takes, or the phase ends
    /// otherwise. `accept` returns the value or a message telling the model what to fix.
    pub async fn run_phase<T>(
        &mut self,
        model: &impl Model,
        tools: &impl Tools,
        harness: &str,
        limits: &Limits,
        mut accept: impl FnMut(&Value, &Conversation) -> Result<T, String>,
    ) -> PhaseEnd<T> {
        let mut reminded = false;
        loop {
            if self.model_calls >= limits.max_turns {
                return PhaseEnd::TurnLimit;
            }
            let now = Instant::now();
            if now >= limits.deadline {
                return PhaseEnd::TimeLimit;
            }
            let body = match self.request_body() {
                Ok(b) => b,
                Err(e) => return PhaseEnd::Failed(format!("cannot encode the request: {e}")),
            };
            let turn = self.model_calls + 1;
            if self.trail.is_some() {
                let new = serde_json::to_value(&self.messages[self.audited_messages..])
                    .unwrap_or_default();
                self.audit(
                    "model_request",
                    serde_json::json!({"turn": turn, "phase": self.phase, "model": self.model,
                        "messages": self.messages.len(), "new_messages": new}),
                );
                self.audited_messages = self.messages.len();
            }
            let sent = Instant::now();
            let exchange = match tokio::time::timeout(limits.deadline - now, model.send(body)).await
            {
                Err(_) => {
                    self.audit(
                            "model_error",
                            serde_json::json!({"turn": turn, "error": "time limit reached while waiting for the model"}),
                        );
                    return PhaseEnd::TimeLimit;
                }
                Ok(Err(e)) => {
                    self.audit(
                        "model_error",
                        serde_json::json!({"turn": turn, "error": e.to_string()}),
                    );
                    if matches!(e, ApiError::Authentication(_) | ApiError::Permission(_)) {
                        return PhaseEnd::Fatal(format!(
                            "the model API refused the request: {e}; check ANTHROPIC_API_KEY (and that the key may use the configured models)"
                        ));
                    }
                    return PhaseEnd::Failed(format!("model API error: {e}"));
                }
                Ok(Ok(x)) => x,
            };
            self.model_calls += 1;
            self.request_bytes_total += exchange.request_body.len();
            self.largest_request_bytes =
                self.largest_request_bytes.max(exchange.request_body.len());
            let response = exchange.response;
            self.usage.add(&response.usage);
            if let Some(m) = &self.meter {
                m.add_usd(crate::usage::estimate_cost(&self.model, &response.usage).unwrap_or(0.0));
            }
            if self.trail.is_some() {
                let uses: Vec<Value> = response
                    .tool_uses()
                    .map(|(id, name, input)| serde_json::json!({"id": id, "name": name, "input": input}))
                    .collect();
                self.audit(
                    "model_response",
                    serde_json::json!({"turn": turn, "request_id": exchange.request_id,
                        "stop_reason": response.stop_reason.as_ref().map(|s| s.as_str().to_string()),
                        "text": response.text(), "tool_uses": uses, "usage": response.usage,
                        "bytes_sent": exchange.request_body.len(),
                        "ms": sent.elapsed().as_millis() as u64}),
                );
            }
            // The assistant turn goes back exactly as received (thinking and unknown blocks too).
            self.messages
                .push(Message::assistant(response.content.clone()));

            let stop = response.stop_reason.clone().unwrap_or(StopReason::EndTurn);
            match stop {
                StopReason::Refusal => return PhaseEnd::Refused(response.refusal_category()),
                StopReason::ModelContextWindowExceeded => {
                    return PhaseEnd::Failed(
                        "the conversation outgrew the model's context window".to_string(),
                    );
                }
                StopReason::PauseTurn => continue,
                _ => {}
            }
            let uses: Vec<(String, String, Value)> = response
                .tool_uses()
                .map(|(id, name, input)| (id.to_string(), name.to_string(), input.clone()))
                .collect();
            if uses.is_empty() {
                if stop == StopReason::MaxTokens {
                    self.say(format!(
                        "Your response was cut off (max_tokens). Be more concise and call `{harness}` when done."
                    ));
                    continue;
                }
                if reminded {
                    return PhaseEnd::NoSubmission;
                }
                reminded = true;
                self.say(format!(
                    "You ended your turn without calling `{harness}`. This step ends only when you call `{harness}`: call it now with what you found{}.",
                    if harness == crate::assessment::SUBMIT_ASSESSMENT {
                        " (use SUSPICIOUS if you are unsure)"
                    } else {
                        ""
                    }
                ));
                continue;
            }

            let cut_off = stop == StopReason::MaxTokens;
            let mut results: Vec<Option<ContentBlock>> = vec![None; uses.len()];
            let mut accepted = None;
            // Harness calls first (in order); at most one is accepted per turn.
            for (i, (id, name, input)) in uses.iter().enumerate() {
                if name != harness {
                    continue;
                }
                let text = if cut_off {
                    Err("Not accepted: your response hit max_tokens and this input may be cut off. Submit again, more concisely.".to_string())
                } else if accepted.is_some() {
                    Err(format!(
                        "Only one `{harness}` per turn is accepted; this one was ignored."
                    ))
                } else {
                    accept(input, self).map(|v| accepted = Some(v))
                };
                if let Err(msg) = &text {
                    self.audit("submission", serde_json::json!({"phase": self.phase, "accepted": false, "error": msg, "input": input}));
                }
                results[i] = Some(match text {
                    Ok(()) => ContentBlock::tool_result(id.clone(), "Accepted.", false),
                    Err(msg) => ContentBlock::tool_result(id.clone(), msg, true),
                });
            }
            // MCP calls concurrently.
            let mcp: Vec<usize> = (0..uses.len()).filter(|&i| results[i].is_none()).collect();
            let outputs = join_all(mcp.iter().map(|&i| {
                let (_, name, input) = &uses[i];
                async move {
                    let started = Instant::now();
                    let out = if cut_off {
                        ToolOutput::error("Not executed: your response hit max_tokens and this call's input may be cut off. Repeat it if you still need it.")
                    } else if is_harness_name(name) {
                        ToolOutput::error(format!(
                            "`{name}` is not available in this step; use `{harness}`."
                        ))
                    } else {
                        // The alert's deadline bounds a tool call too (a long rate-limit wait).
                        let left = limits.deadline.saturating_duration_since(Instant::now());
                        match tokio::time::timeout(left, tools.call(name, input)).await {
                            Ok(out) => out,
                            Err(_) => ToolOutput::error(
                                "Not completed: this alert's time limit was reached while the call was waiting or running.",
                            ),
                        }
                    };
                    (out, started.elapsed().as_millis() as u64)
                }
            }))
            .await;
            for (&i, (out, millis)) in mcp.iter().zip(outputs) {
                let (id, name, input) = &uses[i];
                let (text, is_error) = cap_tool_result(&out, limits.max_tool_result_bytes);
                if !out.is_error {
                    self.ok_calls.insert(id.clone());
                }
                self.audit(
                    "tool_call",
                    serde_json::json!({"id": id, "name": name, "input": input, "is_error": out.is_error,
                        "output": capped(&out.text), "ms": millis}),
                );
                self.calls.push(ToolCallRecord {
                    id: id.clone(),
                    name: name.clone(),
                    input: input.clone(),
                    output: out,
                    millis,
                });
                results[i] = Some(ContentBlock::tool_result(id.clone(), text, is_error));
            }
            self.pending = results.into_iter().flatten().collect();
            if let Some(v) = accepted {
                return PhaseEnd::Submitted(v);
            }
            let content = std::mem::take(&mut self.pending);
            self.messages.push(Message::user(content));
        }
    }

    /// The request for the next call, with cache breakpoints on the last user messages.
    fn request_body(&mut self) -> Result<String, serde_json::Error> {
        // The conversation is moved into the request and back: no copy per call. Breakpoints
        // are set for this request only, so older turns are sent exactly as before and the
        // cached prefix keeps matching.
        let mut req = MessagesRequest {
            model: std::mem::take(&mut self.model),
            max_tokens: MAX_OUTPUT_TOKENS,
            system: std::mem::take(&mut self.system),
            messages: std::mem::take(&mut self.messages),
            tools: std::mem::take(&mut self.tools),
            tool_choice: Some(ToolChoice::auto()),
            metadata: None,
        };
        let mark = |req: &mut MessagesRequest, on: bool| {
            for m in req
                .messages
                .iter_mut()
                .rev()
                .filter(|m| m.role == Role::User)
                .take(MESSAGE_CACHE_BREAKPOINTS)
            {
                if let Some(block) = m.content.last_mut() {
                    block.set_cache_control(on.then(CacheControl::ephemeral));
                }
            }
        };
        mark(&mut req, true);
        let body = serde_json::to_string(&req);
        mark(&mut req, false);
        self.model = req.model;
        self.system = req.system;
        self.messages = req.messages;
        self.tools = req.tools;
        body
    }

    /// Texts of every successful tool result so far (for checking collected alert ids).
    pub fn tool_result_texts(&self) -> impl Iterator<Item = &str> {
        self.calls
            .iter()
            .filter(|c| !c.output.is_error)
            .map(|c| c.output.text.as_str())
    }
}

fn is_harness_name(name: &str) -> bool {
    name.starts_with("submit_")
}

/// Cuts a tool result to `max` bytes at a character boundary and tells the model how much was
/// cut and how to get the rest.
pub fn cap_tool_result(out: &ToolOutput, max: usize) -> (String, bool) {
    if out.text.len() <= max {
        return (out.text.clone(), out.is_error);
    }
    let mut end = max;
    while !out.text.is_char_boundary(end) {
        end -= 1;
    }
    let text = format!(
        "{}\n\n[triage: result cut at {} of {} bytes ({} bytes not shown). Narrow the query (shorter time range, more specific filters, an aggregation such as `| stats count() by field`, fewer rows with max_rows or `| head N`) or page through the results with the result handle.]",
        &out.text[..end],
        end,
        out.text.len(),
        out.text.len() - end
    );
    (text, out.is_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_cuts_at_char_boundary_and_explains() {
        let out = ToolOutput {
            text: "é".repeat(10),
            is_error: false,
        };
        let (t, e) = cap_tool_result(&out, 5);
        assert!(!e);
        assert!(
            t.starts_with("éé\n\n[triage: result cut at 4 of 20 bytes (16 bytes not shown)."),
            "{t}"
        );
        let small = ToolOutput {
            text: "ok".into(),
            is_error: true,
        };
        assert_eq!(cap_tool_result(&small, 5), ("ok".to_string(), true));
    }
}
