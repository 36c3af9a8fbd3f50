//! The MCP config file: the `.mcp.json` format Claude tools use, plus triage's own keys.
//!
//! ```json
//! {"mcpServers": {
//!   "splunk": {"type": "http", "url": "${SPLUNK_MCP_URL}",
//!              "headers": {"Authorization": "Bearer ${SPLUNK_TOKEN}"},
//!              "allowedTools": ["search_*"]},
//!   "virustotal": {"command": "npx", "args": ["-y", "@burtthecoder/mcp-virustotal"],
//!                  "env": {"VIRUSTOTAL_API_KEY": "${VIRUSTOTAL_API_KEY}"}},
//!   "wiz": {"disabled": true}
//! }}
//! ```
//! `${VAR}` and `${VAR:-default}` are expanded in every string. A server with the name of a
//! built-in one replaces it; `"disabled": true` removes it.

use std::path::Path;

use serde_json::{Map, Value};

use super::{
    ConfigError, Env, ServerConfig, ServerSource, Transport, check_tool_pattern, check_url,
};
use crate::secret::Secret;

/// Parses the file's text. Returns the servers it defines and the names it disables.
pub fn parse_mcp_config(
    text: &str,
    path: &Path,
    env: &Env,
) -> Result<(Vec<ServerConfig>, Vec<String>), ConfigError> {
    let file = path.display().to_string();
    let root: Value = serde_json::from_str(text).map_err(|e| {
        ConfigError::one(format!(
            "{file} line {} column {}: {}; the file must be JSON like {{\"mcpServers\": {{\"name\": {{\"type\": \"http\", \"url\": \"…\"}}}}}}",
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        ))
    })?;
    let Some(servers) = root.get("mcpServers") else {
        return Err(ConfigError::one(format!(
            "{file}: no \"mcpServers\" object; write {{\"mcpServers\": {{\"name\": {{…}}}}}}"
        )));
    };
    let Some(servers) = servers.as_object() else {
        return Err(ConfigError::one(format!(
            "{file} line {}: \"mcpServers\" must be an object of name → server",
            line_of_key(text, "mcpServers")
        )));
    };

    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut disabled = Vec::new();
    for (raw_name, entry) in servers {
        let line = line_of_key(text, raw_name);
        let at = format!("{file} line {line}: server `{raw_name}`");
        let name = match sanitize_server_name(raw_name) {
            Some(n) => n,
            None => {
                errors.push(format!(
                    "{at}: the name must contain letters, digits, _ or -"
                ));
                continue;
            }
        };
        let Some(entry) = entry.as_object() else {
            errors.push(format!("{at}: must be an object"));
            continue;
        };
        if entry.get("disabled").and_then(Value::as_bool) == Some(true) {
            disabled.push(name);
            continue;
        }
        let rate_limit = match entry.get("rateLimit") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let n = v
                    .as_u64()
                    .or_else(|| v.get("requestsPerMinute").and_then(Value::as_u64));
                match n {
                    Some(0) => None,
                    Some(n) if n <= 100_000 => Some(n as u32),
                    _ => {
                        errors.push(format!(
                            "{at}: \"rateLimit\" must be a number of requests per minute (e.g. 4) or {{\"requestsPerMinute\": 4}}"
                        ));
                        continue;
                    }
                }
            }
        };
        match parse_entry(entry, &name, &at, env) {
            Ok((transport, allowed_tools)) => out.push(ServerConfig {
                rate_limit,
                name,
                transport,
                source: ServerSource::File {
                    path: path.to_path_buf(),
                    line,
                },
                allowed_tools,
                origin_hint: format!("{file} line {line}"),
            }),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() {
        Ok((out, disabled))
    } else {
        Err(ConfigError(errors))
    }
}

fn parse_entry(
    entry: &Map<String, Value>,
    name: &str,
    at: &str,
    env: &Env,
) -> Result<(Transport, Vec<String>), Vec<String>> {
    let mut errors = Vec::new();
    let expand = |errors: &mut Vec<String>, field: &str, v: &str| -> String {
        match expand_vars(v, env) {
            Ok(s) => s,
            Err(var) => {
                errors.push(format!(
                    "{at}: \"{field}\" uses ${{{var}}}, which is not set; set {var} in .env or the environment, or write ${{{var}:-default}}"
                ));
                String::new()
            }
        }
    };
    let get_str = |field: &str| entry.get(field).and_then(Value::as_str);

    let kind = match get_str("type") {
        Some(t) => t.to_ascii_lowercase(),
        None if entry.contains_key("command") => "stdio".into(),
        None if entry.contains_key("url") => "http".into(),
        None => {
            return Err(vec![format!(
                "{at}: has neither \"command\" (stdio) nor \"url\" (http); add one"
            )]);
        }
    };
    let transport = match kind.as_str() {
        "http" | "streamable-http" | "streamablehttp" | "streamable_http" => {
            let Some(url) = get_str("url") else {
                return Err(vec![format!("{at}: type http needs a \"url\"")]);
            };
            let url = expand(&mut errors, "url", url);
            let mut bearer = None;
            let mut headers = Vec::new();
            match entry.get("headers") {
                None => {}
                Some(Value::Object(h)) => {
                    for (k, v) in h {
                        let Some(v) = v.as_str() else {
                            errors.push(format!("{at}: header \"{k}\" must be a string"));
                            continue;
                        };
                        let v = expand(&mut errors, &format!("headers.{k}"), v);
                        if k.eq_ignore_ascii_case("authorization")
                            && let Some(token) = v.strip_prefix("Bearer ")
                        {
                            bearer = Some(Secret::new(token.trim()));
                        } else if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                            || reqwest::header::HeaderValue::from_str(&v).is_err()
                        {
                            errors.push(format!(
                                "{at}: header \"{k}\" is not a valid HTTP header name or value"
                            ));
                        } else {
                            headers.push((k.clone(), Secret::new(v)));
                        }
                    }
                }
                Some(_) => errors.push(format!("{at}: \"headers\" must be an object")),
            }
            if !url.is_empty()
                && let Err(why) = check_url(&url)
            {
                errors.push(format!("{at}: \"url\" is not usable ({why})"));
            }
            Transport::Http {
                url,
                bearer,
                headers,
            }
        }
        "stdio" => {
            let Some(command) = get_str("command") else {
                return Err(vec![format!("{at}: type stdio needs a \"command\"")]);
            };
            let command = expand(&mut errors, "command", command);
            let mut args = Vec::new();
            match entry.get("args") {
                None => {}
                Some(Value::Array(a)) => {
                    for (i, v) in a.iter().enumerate() {
                        match v.as_str() {
                            Some(s) => args.push(expand(&mut errors, &format!("args[{i}]"), s)),
                            None => errors.push(format!("{at}: args[{i}] must be a string")),
                        }
                    }
                }
                Some(_) => errors.push(format!("{at}: \"args\" must be an array of strings")),
            }
            let mut child_env = Vec::new();
            match entry.get("env") {
                None => {}
                Some(Value::Object(m)) => {
                    for (k, v) in m {
                        match v.as_str() {
                            Some(s) => {
                                let v = expand(&mut errors, &format!("env.{k}"), s);
                                child_env.push((k.clone(), Secret::new(v)))
                            }
                            None => errors.push(format!("{at}: env \"{k}\" must be a string")),
                        }
                    }
                }
                Some(_) => errors.push(format!("{at}: \"env\" must be an object")),
            }
            Transport::Stdio {
                command,
                args,
                env: child_env,
            }
        }
        "sse" => {
            return Err(vec![format!(
                "{at}: type sse is not supported (it is deprecated in MCP); use the server's streamable HTTP endpoint with type http"
            )]);
        }
        other => {
            return Err(vec![format!(
                "{at}: unknown type `{other}`; use \"http\" (streamable HTTP) or \"stdio\""
            )]);
        }
    };

    let mut allowed = Vec::new();
    match entry.get("allowedTools") {
        None => {}
        Some(Value::Array(a)) => {
            for v in a {
                let Some(p) = v.as_str() else {
                    errors.push(format!("{at}: allowedTools entries must be strings"));
                    continue;
                };
                let full = if p.starts_with("mcp__") {
                    p.to_string()
                } else {
                    format!("mcp__{name}__{p}")
                };
                match check_tool_pattern(&full) {
                    Ok(()) => allowed.push(full),
                    Err(why) => errors.push(format!(
                        "{at}: allowedTools entry `{p}` {why}; use tool names with * as a wildcard"
                    )),
                }
            }
        }
        Some(_) => errors.push(format!(
            "{at}: \"allowedTools\" must be an array of strings"
        )),
    }
    if errors.is_empty() {
        Ok((transport, allowed))
    } else {
        Err(errors)
    }
}

/// Expands `${VAR}` and `${VAR:-default}`; `$$` is a literal `$`. Returns the undefined name.
pub fn expand_vars(s: &str, env: &Env) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(after_dollar) = after.strip_prefix('$') {
            out.push('$');
            rest = after_dollar;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                out.push_str(&rest[i..]);
                return Ok(out);
            };
            let inner = &body[..end];
            let (var, default) = match inner.split_once(":-") {
                Some((v, d)) => (v, Some(d)),
                None => (inner, None),
            };
            match (env.get(var), default) {
                (Some(v), _) => out.push_str(v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => return Err(var.to_string()),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Server names end up in tool names: keep `[A-Za-z0-9_-]`, replace the rest with `_`.
fn sanitize_server_name(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(32)
        .collect();
    (!s.trim_matches('_').is_empty()).then_some(s)
}

/// The 1-based line where `"key"` first appears as an object key (best effort, for messages).
fn line_of_key(text: &str, key: &str) -> usize {
    let needle = format!("\"{key}\"");
    text.find(&needle)
        .map(|pos| text[..pos].matches('\n').count() + 1)
        .unwrap_or(1)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
