//! A scripted fake of the Messages API on wiremock: each conversation is recognised by the alert
//! id in its first message, and its turn by the number of assistant messages so far.

#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the fake model does at one turn of one conversation.
pub type Plan = Arc<dyn Fn(&Turn) -> Value + Send + Sync>;

/// The state of a conversation when a request arrives.
pub struct Turn {
    /// The alert id found in the first user message ("" for the collection conversation).
    pub alert: String,
    /// Assistant messages so far (0 on the first call).
    pub n: usize,
    pub body: Value,
}

impl Turn {
    /// The text of the last user message (its text blocks joined).
    pub fn last_user_text(&self) -> String {
        let msgs = self.body["messages"].as_array().unwrap();
        let last = msgs.last().unwrap();
        blocks_text(last)
    }

    /// tool_use ids whose tool_result in the last user message was not an error.
    pub fn ok_results(&self) -> Vec<String> {
        let last = self.body["messages"].as_array().unwrap().last().unwrap();
        last["content"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter(|b| b["type"] == "tool_result" && b["is_error"] != true)
                    .map(|b| b["tool_use_id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn blocks_text(msg: &Value) -> String {
    match &msg["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

struct Scripted(Plan);

impl Respond for Scripted {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let msgs = body["messages"].as_array().unwrap();
        let first = blocks_text(&msgs[0]);
        let alert = first
            .split("(id ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap_or("")
            .to_string();
        let n = msgs.iter().filter(|m| m["role"] == "assistant").count();
        let turn = Turn { alert, n, body };
        let mut resp = (self.0)(&turn);
        let delay = resp
            .as_object_mut()
            .and_then(|o| o.remove("__delay_ms"))
            .and_then(|d| d.as_u64())
            .unwrap_or(0);
        let status = resp.get("__status").and_then(Value::as_u64).unwrap_or(200) as u16;
        let mut template = match (
            resp.get("__raw").and_then(Value::as_str),
            resp.get("__status"),
        ) {
            (Some(raw), _) => ResponseTemplate::new(status)
                .set_body_raw(raw.as_bytes().to_vec(), "application/json"),
            (None, Some(_)) => ResponseTemplate::new(status).set_body_json(&resp["body"]),
            (None, None) => ResponseTemplate::new(200).set_body_json(&resp),
        };
        if let Some(h) = resp.get("__headers").and_then(Value::as_object) {
            for (k, v) in h {
                template = template.insert_header(k.as_str(), v.as_str().unwrap_or_default());
            }
        }
        template.set_delay(std::time::Duration::from_millis(delay))
    }
}

/// Starts the fake model API with a plan.
pub async fn start(plan: impl Fn(&Turn) -> Value + Send + Sync + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(Scripted(Arc::new(plan)))
        .mount(&server)
        .await;
    server
}

/// A response with content blocks and a stop reason.
pub fn response(content: Vec<Value>, stop: &str) -> Value {
    json!({
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "fake",
        "content": content,
        "stop_reason": stop,
        "usage": {"input_tokens": 1000, "output_tokens": 200, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 800}
    })
}

pub fn tool_use(id: &str, name: &str, input: Value) -> Value {
    json!({"type": "tool_use", "id": id, "name": name, "input": input})
}

pub fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

/// A call to one or more tools.
pub fn calls(uses: Vec<Value>) -> Value {
    response(uses, "tool_use")
}

/// An HTTP error response from the API, with headers.
pub fn http_error(status: u16, kind: &str, headers: Value) -> Value {
    json!({"__status": status, "__headers": headers,
           "body": {"type": "error", "error": {"type": kind, "message": format!("{kind} (test)")}, "request_id": "req_fault"}})
}

/// Delays a response (to make alerts finish out of order).
pub fn delayed(mut v: Value, ms: u64) -> Value {
    v["__delay_ms"] = json!(ms);
    v
}

/// A complete assessment input.
pub fn assessment(
    classification: &str,
    confidence: &str,
    title: &str,
    benign: &[(&str, &[&str])],
    concerning: &[(&str, &[&str])],
) -> Value {
    let ev = |items: &[(&str, &[&str])]| -> Vec<Value> {
        items
            .iter()
            .map(|(t, c)| json!({"text": t, "citations": c}))
            .collect()
    };
    json!({
        "classification": classification,
        "confidence": confidence,
        "title": title,
        "user": "jchen",
        "what_happened": "User assumed a privileged role from the office network.",
        "hypotheses": [
            {"kind": "benign", "explanation": "Routine on-call work", "status": "supported", "reasoning": "Matches baseline."},
            {"kind": "malicious", "explanation": "Stolen credentials", "status": "refuted", "reasoning": "Known IP and device."}
        ],
        "benign_evidence": ev(benign),
        "concerning_evidence": ev(concerning),
        "data_gaps": ["No change-ticket system to check authorization"],
        "questions": ["Was this access authorized? Is there a change ticket?"]
    })
}

/// `assessment` with `changes` set (critique passes).
pub fn revised(mut a: Value, changes: &str) -> Value {
    a["changes"] = json!(changes);
    a
}

pub fn submit(id: &str, input: Value) -> Value {
    calls(vec![tool_use(id, "submit_assessment", input)])
}

/// Every request captured by the fake, as JSON.
pub async fn requests(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/v1/messages")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// Checks the tool-use contract on every captured request: each assistant `tool_use` is
/// answered, in the very next user message, by exactly one `tool_result` with its id, results
/// first; no `tool_result` answers anything else.
pub fn assert_tool_results_answer_tool_uses(requests: &[Value]) {
    for (r, req) in requests.iter().enumerate() {
        let msgs = req["messages"].as_array().unwrap();
        for (i, m) in msgs.iter().enumerate() {
            let uses: Vec<&str> = m["content"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter(|b| b["type"] == "tool_use")
                        .map(|b| b["id"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            let results_in = |msg: &Value| -> Vec<String> {
                msg["content"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .filter(|b| b["type"] == "tool_result")
                            .map(|b| b["tool_use_id"].as_str().unwrap().to_string())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            if m["role"] == "assistant" {
                if let Some(next) = msgs.get(i + 1) {
                    let mut got = results_in(next);
                    let mut want: Vec<String> = uses.iter().map(|s| s.to_string()).collect();
                    got.sort();
                    want.sort();
                    assert_eq!(
                        got,
                        want,
                        "request {r}, message {}: tool_results do not answer the tool_uses",
                        i + 1
                    );
                    // Results come first.
                    if let Some(c) = next["content"].as_array() {
                        let first_other = c
                            .iter()
                            .position(|b| b["type"] != "tool_result")
                            .unwrap_or(c.len());
                        assert!(
                            c[first_other..].iter().all(|b| b["type"] != "tool_result"),
                            "request {r}: tool_result after text"
                        );
                    }
                }
            } else if i == 0 || msgs[i - 1]["role"] != "assistant" {
                assert!(
                    results_in(m).is_empty(),
                    "request {r}: stray tool_result in message {i}"
                );
            }
        }
    }
}

/// A complete, valid short conversation for one alert: a query, then three submissions
/// (investigation and both critique passes) citing it.
pub fn good_short(t: &Turn) -> Value {
    let a = &t.alert;
    let q = format!("toolu_{a}_q");
    let qs = [q.as_str()];
    let x = |changes: Option<&str>| {
        let v = assessment(
            "BENIGN",
            "High",
            &format!("Fine: {a}"),
            &[("Office IP, 30-day baseline", &qs[..])],
            &[],
        );
        match changes {
            Some(c) => revised(v, c),
            None => v,
        }
    };
    match t.n {
        0 => calls(vec![tool_use(
            &q,
            "mcp__scanner__execute_query",
            json!({"query": format!("user:jchen {a}")}),
        )]),
        1 => submit(&format!("toolu_{a}_s1"), x(None)),
        2 => submit(&format!("toolu_{a}_s2"), x(Some("none"))),
        3 => submit(&format!("toolu_{a}_s3"), x(Some("none"))),
        n => panic!("turn {n}"),
    }
}

/// An alert with the fields every test needs.
pub fn alert(id: &str, severity: &str) -> Value {
    json!({"id": id, "name": format!("Rule {id}"), "severity": severity, "timestamp": "2026-11-25T01:00:00Z"})
}

/// JSON lines.
pub fn lines(v: &[Value]) -> String {
    v.iter().map(|x| x.to_string() + "\n").collect()
}
