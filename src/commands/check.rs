//! `triage check`: is everything the run needs in place? The API key and models, then every MCP
//! server: connected or why not, startup time, tools offered to the model, tools hidden.
//!
//! Exit 0 when everything works, 1 when only an optional server failed, 2 when something
//! required (the key, a model, Scanner) does not work.

use serde::Serialize;

use crate::anthropic::{self, ApiError};
use crate::cli::{CheckArgs, OutputFormat};
use crate::config::Config;
use crate::mcp::{McpHub, ServerStatus};
use crate::{Failure, exit};

#[derive(Debug, Serialize)]
struct Report {
    ok: bool,
    anthropic: ApiCheck,
    servers: Vec<ServerReport>,
}

#[derive(Debug, Serialize)]
struct ApiCheck {
    base_url: String,
    key_set: bool,
    ok: bool,
    /// Every configured model and whether the API lists it (`None`: could not be checked).
    models: Vec<ModelCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

#[derive(Debug, Serialize)]
struct ModelCheck {
    model: String,
    available: Option<bool>,
}

#[derive(Debug, Serialize)]
struct ServerReport {
    #[serde(flatten)]
    status: ServerStatus,
    tools_offered: Vec<String>,
    tools_hidden: Vec<HiddenTool>,
}

#[derive(Debug, Serialize)]
struct HiddenTool {
    name: String,
    reason: String,
}

pub async fn run(config: &Config, args: &CheckArgs) -> Result<u8, Failure> {
    config
        .require_anthropic()
        .map_err(|e| Failure::fatal(e.to_string()))?;
    let scanner_missing = config.require_scanner().err();

    let client = crate::anthropic_client(config)?;
    let models = config.models.distinct();
    let (api, hub) = tokio::join!(check_api(&client, config, &models), async {
        McpHub::connect(config, &["scanner"], false).await
    });
    let hub = hub.map_err(|e| Failure::fatal(e.0))?;

    super::with_hub(hub, async |hub: &McpHub| {
        let servers: Vec<ServerReport> = hub
            .statuses()
            .iter()
            .map(|s| ServerReport {
                status: s.clone(),
                tools_offered: hub
                    .registry()
                    .allowed()
                    .filter(|t| t.server == s.name)
                    .map(|t| t.name.clone())
                    .collect(),
                tools_hidden: hub
                    .registry()
                    .all()
                    .iter()
                    .filter(|t| t.server == s.name && !t.allowed)
                    .map(|t| HiddenTool {
                        name: t.name.clone(),
                        reason: t.hidden_because.clone().unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        let required_failed = servers
            .iter()
            .any(|s| s.status.required && !s.status.connected)
            || scanner_missing.is_some()
            || !api.ok;
        let optional_failed = servers.iter().any(|s| !s.status.connected);
        let report = Report {
            ok: !required_failed && !optional_failed,
            anthropic: api,
            servers,
        };
        let text = match args.format {
            OutputFormat::Json => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
            OutputFormat::Text => {
                render_text(&report, scanner_missing.as_ref().map(|e| e.to_string()))
            }
        };
        crate::output::write_stdout(&config.redactor.redact(&text))?;
        Ok(if required_failed {
            exit::FATAL
        } else if optional_failed {
            exit::PARTIAL
        } else {
            exit::OK
        })
    })
    .await
}

async fn check_api(client: &anthropic::Client, config: &Config, models: &[String]) -> ApiCheck {
    let mut check = ApiCheck {
        base_url: config.anthropic.base_url.clone(),
        key_set: config.anthropic.api_key.is_some(),
        ok: false,
        models: models
            .iter()
            .map(|m| ModelCheck {
                model: m.clone(),
                available: None,
            })
            .collect(),
        error: None,
        warning: None,
    };
    match client.list_models().await {
        Ok(list) => {
            let mut all = true;
            for m in &mut check.models {
                // Aliases (claude-haiku-4-5) match dated ids (claude-haiku-4-5-20251001).
                let found = list.iter().any(|info| {
                    info.id == m.model || info.id.starts_with(&format!("{}-", m.model))
                });
                m.available = Some(found);
                all &= found;
            }
            check.ok = all;
            if !all {
                check.error = Some(format!(
                    "not available to this key: {}; set TRIAGE_MODEL (or the per-severity TRIAGE_MODEL_*) to a model that `GET /v1/models` lists",
                    check
                        .models
                        .iter()
                        .filter(|m| m.available == Some(false))
                        .map(|m| m.model.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Err(e @ (ApiError::Authentication { .. } | ApiError::Permission { .. })) => {
            check.error = Some(format!(
                "the API key was refused: {e}; check ANTHROPIC_API_KEY (console.anthropic.com → API keys)"
            ));
        }
        Err(e)
            if config.anthropic.custom_base_url && matches!(e.status(), Some(404 | 405 | 501)) =>
        {
            check.ok = true;
            check.warning = Some(format!(
                "this server has no GET /v1/models ({}); the models were not checked",
                e.status().unwrap_or_default()
            ));
        }
        Err(e) => {
            check.error = Some(format!("cannot list models: {e}"));
        }
    }
    check
}

fn render_text(r: &Report, scanner_missing: Option<String>) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let a = &r.anthropic;
    let _ = writeln!(
        s,
        "Anthropic API  {}  ({})",
        a.base_url,
        if a.key_set { "key set" } else { "no key" }
    );
    for m in &a.models {
        let state = match m.available {
            Some(true) => "available",
            Some(false) => "NOT AVAILABLE",
            None => "not checked",
        };
        let _ = writeln!(s, "  model {:<32} {state}", m.model);
    }
    if let Some(e) = &a.error {
        let _ = writeln!(s, "  FAILED: {e}");
    }
    if let Some(w) = &a.warning {
        let _ = writeln!(s, "  warning: {w}");
    }
    let _ = writeln!(s, "\nMCP servers");
    if let Some(m) = scanner_missing {
        let _ = writeln!(s, "  scanner      FAILED (required): {m}");
    }
    if r.servers.is_empty() {
        let _ = writeln!(s, "  (none configured)");
    }
    for srv in &r.servers {
        let st = &srv.status;
        let role = if st.required { "required" } else { "optional" };
        if st.connected {
            let _ = writeln!(
                s,
                "  {:<12} connected in {} ms  ({}, {}, {role})  {} tools offered, {} hidden",
                st.name,
                st.startup_ms,
                st.transport,
                st.source,
                srv.tools_offered.len(),
                srv.tools_hidden.len()
            );
        } else {
            let _ = writeln!(
                s,
                "  {:<12} FAILED ({}, {}, {role}) after {} ms: {}",
                st.name,
                st.transport,
                st.source,
                st.startup_ms,
                st.error.as_deref().unwrap_or("unknown error")
            );
        }
        for t in &srv.tools_offered {
            let _ = writeln!(s, "      offered  {t}");
        }
        for t in &srv.tools_hidden {
            let _ = writeln!(s, "      hidden   {}  ({})", t.name, t.reason);
        }
    }
    let _ = writeln!(
        s,
        "\n{}",
        if r.ok {
            "OK: everything works"
        } else {
            "NOT OK: see FAILED above"
        }
    );
    s
}
