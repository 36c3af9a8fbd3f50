//! `triage tools`: the tools the model would see (and those hidden, with why), and
//! `triage tools call NAME JSON` to call one by hand exactly as the model would.

use serde::Serialize;

use crate::cli::{OutputFormat, ToolsAction, ToolsArgs};
use crate::config::Config;
use crate::mcp::McpHub;
use crate::output::write_stdout;
use crate::{Failure, exit};

#[derive(Serialize)]
struct ToolLine<'a> {
    name: &'a str,
    server: &'a str,
    description: &'a str,
    offered: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    hidden_because: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_schema: Option<&'a serde_json::Value>,
}

pub async fn run(config: &Config, args: &ToolsArgs) -> Result<u8, Failure> {
    // Parse the input before anything is contacted.
    let call = match &args.action {
        Some(ToolsAction::Call { name, input }) => {
            let value: serde_json::Value = serde_json::from_str(input).map_err(|e| {
                Failure::fatal(format!(
                    "the tool input is not valid JSON ({e}); pass one JSON object, e.g. '{{\"query\": \"…\"}}'"
                ))
            })?;
            if !value.is_object() {
                return Err(Failure::fatal(
                    "the tool input must be a JSON object, e.g. '{\"query\": \"…\"}'",
                ));
            }
            Some((name.clone(), value))
        }
        None => None,
    };
    let hub = McpHub::connect(config, &[], false)
        .await
        .map_err(|e| Failure::fatal(e.0))?;
    super::with_hub(hub, async |hub: &McpHub| match &call {
        Some((name, input)) => call_tool(hub, name, input).await,
        None => list(hub, args),
    })
    .await
}

async fn call_tool(hub: &McpHub, name: &str, input: &serde_json::Value) -> Result<u8, Failure> {
    match hub.registry().get(name) {
        None => {
            let offered: Vec<&str> = hub.registry().allowed().map(|t| t.name.as_str()).collect();
            return Err(Failure::fatal(format!(
                "no tool named `{name}` is connected; the model sees: {} (run `triage tools`)",
                if offered.is_empty() {
                    "nothing".to_string()
                } else {
                    offered.join(", ")
                }
            )));
        }
        Some(t) if !t.allowed => {
            return Err(Failure::fatal(format!(
                "`{name}` is hidden from the model ({}); add it with --allow-tool or TRIAGE_ALLOWED_TOOLS if it is read-only",
                t.hidden_because.as_deref().unwrap_or("not allowed")
            )));
        }
        Some(_) => {}
    }
    let out = hub.call(name, input).await;
    // Exactly what the model would get, including the size cap.
    let (text, _) =
        crate::agent::cap_tool_result(&out, crate::agent::DEFAULT_MAX_TOOL_RESULT_BYTES);
    write_stdout(&format!("{text}\n"))?;
    if out.is_error {
        tracing::warn!("the tool returned an error result (is_error: true)");
        Ok(exit::PARTIAL)
    } else {
        Ok(exit::OK)
    }
}

fn list(hub: &McpHub, args: &ToolsArgs) -> Result<u8, Failure> {
    let lines: Vec<ToolLine> = hub
        .registry()
        .all()
        .iter()
        .filter(|t| t.allowed || args.all)
        .map(|t| ToolLine {
            name: &t.name,
            server: &t.server,
            description: &t.description,
            offered: t.allowed,
            hidden_because: t.hidden_because.as_deref(),
            input_schema: args.schema.then_some(&t.input_schema),
        })
        .collect();
    let text = match args.format {
        OutputFormat::Json => lines
            .iter()
            .map(|l| serde_json::to_string(l).unwrap_or_default() + "\n")
            .collect::<String>(),
        OutputFormat::Text => {
            let mut s = String::new();
            if lines.is_empty() {
                s.push_str("(no tools: no connected server offers an allow-listed tool)\n");
            }
            for l in &lines {
                let first_line = l.description.lines().next().unwrap_or("");
                let desc: String = first_line.chars().take(100).collect();
                s.push_str(&format!("{}  [{}]  {desc}\n", l.name, l.server));
                if let Some(why) = l.hidden_because {
                    s.push_str(&format!("    hidden: {why}\n"));
                }
                if let Some(schema) = l.input_schema {
                    let pretty = serde_json::to_string_pretty(schema).unwrap_or_default();
                    for line in pretty.lines() {
                        s.push_str(&format!("    {line}\n"));
                    }
                }
            }
            s
        }
    };
    write_stdout(&text)?;
    Ok(exit::OK)
}
