//! The table of tools the model may see: exposed names, the allow-list, and name resolution.
//!
//! The model sees `mcp__{server}__{tool}` restricted to `[A-Za-z0-9_-]{1,64}`. Names are
//! sanitised and collisions resolved deterministically (servers by name, tools by name, `_2`,
//! `_3`… suffixes), and a call is resolved through this table — never by splitting the string.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::config::glob_match;

/// The Messages API's limit on tool names.
pub const MAX_TOOL_NAME_LEN: usize = 64;

/// One tool of one server, as the model would see it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ToolEntry {
    /// The name the model uses.
    pub name: String,
    pub server: String,
    /// The server's own name for the tool.
    pub tool: String,
    pub description: String,
    pub input_schema: Value,
    /// Offered to the model (matched the allow-list and no deny rule).
    pub allowed: bool,
    /// Why a tool is hidden, for `triage check` and `triage tools`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_because: Option<String>,
}

/// A tool as listed by a server, before naming.
#[derive(Clone, Debug)]
pub struct ListedTool {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
}

/// Exposed names → tools, with the allow-list applied.
#[derive(Clone, Debug, Default)]
pub struct ToolRegistry {
    entries: Vec<ToolEntry>,
    index: HashMap<String, usize>,
}

impl ToolRegistry {
    /// Builds the table. `servers` maps a server name to the tools it listed.
    pub fn build(
        servers: &BTreeMap<String, Vec<ListedTool>>,
        allow: &[String],
        deny: &[String],
    ) -> Self {
        let mut reg = ToolRegistry::default();
        for (server, tools) in servers {
            let mut tools: Vec<&ListedTool> = tools.iter().collect();
            tools.sort_by(|a, b| a.name.cmp(&b.name));
            for t in tools {
                let name = reg.unique_name(&exposed_name(server, &t.name));
                let raw = format!("mcp__{server}__{}", t.name);
                let allow_hit = allow
                    .iter()
                    .any(|p| glob_match(p, &name) || glob_match(p, &raw));
                // Deny rules ignore case: `UpdateHost` is as much an update as `update_host`.
                let (lname, lraw) = (name.to_ascii_lowercase(), raw.to_ascii_lowercase());
                let deny_hit = deny.iter().find(|p| {
                    let p = p.to_ascii_lowercase();
                    glob_match(&p, &lname) || glob_match(&p, &lraw)
                });
                let (allowed, hidden_because) = match (allow_hit, deny_hit) {
                    (_, Some(p)) if server == "slack" || p.contains("slack") => (
                        false,
                        Some("Slack tools are never given to the model".to_string()),
                    ),
                    (_, Some(p)) => (
                        false,
                        Some(format!("looks like it changes state (deny rule `{p}`)")),
                    ),
                    (false, None) => (false, Some("not in the allow-list".to_string())),
                    (true, None) => (true, None),
                };
                reg.index.insert(name.clone(), reg.entries.len());
                reg.entries.push(ToolEntry {
                    name,
                    server: server.clone(),
                    tool: t.name.clone(),
                    description: t.description.clone(),
                    input_schema: t.input_schema.clone(),
                    allowed,
                    hidden_because,
                });
            }
        }
        reg
    }

    fn unique_name(&self, base: &str) -> String {
        if !self.index.contains_key(base) {
            return base.to_string();
        }
        (2..)
            .map(|n| {
                let suffix = format!("_{n}");
                let keep = MAX_TOOL_NAME_LEN
                    .saturating_sub(suffix.len())
                    .min(base.len());
                format!("{}{suffix}", &base[..keep])
            })
            .find(|candidate| !self.index.contains_key(candidate))
            .unwrap_or_else(|| base.to_string())
    }

    /// Every tool, allowed or not, in a stable order.
    pub fn all(&self) -> &[ToolEntry] {
        &self.entries
    }

    /// The tools offered to the model.
    pub fn allowed(&self) -> impl Iterator<Item = &ToolEntry> {
        self.entries.iter().filter(|e| e.allowed)
    }

    pub fn get(&self, name: &str) -> Option<&ToolEntry> {
        self.index.get(name).map(|&i| &self.entries[i])
    }
}

/// `mcp__{server}__{tool}` with every character outside `[A-Za-z0-9_-]` replaced by `_`,
/// cut to 64 characters.
pub fn exposed_name(server: &str, tool: &str) -> String {
    format!("mcp__{server}__{tool}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_TOOL_NAME_LEN)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn listed(names: &[&str]) -> Vec<ListedTool> {
        names
            .iter()
            .map(|n| ListedTool {
                name: n.to_string(),
                description: format!("{n} tool"),
                input_schema: json!({"type": "object"}),
            })
            .collect()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sanitises_and_resolves_collisions_deterministically() {
        let mut servers = BTreeMap::new();
        servers.insert(
            "lake".to_string(),
            listed(&["search.events", "search_events", "search/events", "ok-name"]),
        );
        let reg = ToolRegistry::build(&servers, &strings(&["mcp__lake__*"]), &[]);
        let names: Vec<(&str, &str)> = reg
            .all()
            .iter()
            .map(|e| (e.tool.as_str(), e.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("ok-name", "mcp__lake__ok-name"),
                ("search.events", "mcp__lake__search_events"),
                ("search/events", "mcp__lake__search_events_2"),
                ("search_events", "mcp__lake__search_events_3"),
            ]
        );
        assert_eq!(
            reg.get("mcp__lake__search_events_2").unwrap().tool,
            "search/events"
        );
    }

    #[test]
    fn long_names_are_cut_to_64_and_stay_unique() {
        let long = "a".repeat(80);
        let mut servers = BTreeMap::new();
        servers.insert("s".to_string(), listed(&[&long, &format!("{long}b")]));
        let reg = ToolRegistry::build(&servers, &strings(&["*"]), &[]);
        let names: Vec<&str> = reg.all().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names[0].len(), 64);
        assert_eq!(names[1].len(), 64);
        assert!(names[1].ends_with("_2"));
        assert_ne!(names[0], names[1]);
    }

    #[test]
    fn allow_list_and_deny_rules() {
        let mut servers = BTreeMap::new();
        servers.insert(
            "falcon".to_string(),
            listed(&[
                "falcon_search_hosts",
                "falcon_update_detections",
                "Falcon_Update_Hosts",
            ]),
        );
        servers.insert(
            "slack".to_string(),
            listed(&["slack_post_message", "slack_list_channels"]),
        );
        servers.insert("vt".to_string(), listed(&["get_ip_report"]));
        let reg = ToolRegistry::build(
            &servers,
            &strings(&["mcp__falcon__*", "mcp__slack__*"]),
            &strings(crate::config::ALWAYS_DENIED_TOOLS),
        );
        let allowed: Vec<&str> = reg.allowed().map(|e| e.name.as_str()).collect();
        assert_eq!(allowed, vec!["mcp__falcon__falcon_search_hosts"]);
        let upd = reg.get("mcp__falcon__falcon_update_detections").unwrap();
        assert_eq!(
            upd.hidden_because.as_deref(),
            Some("looks like it changes state (deny rule `*__*update_*`)")
        );
        let post = reg.get("mcp__slack__slack_post_message").unwrap();
        assert_eq!(
            post.hidden_because.as_deref(),
            Some("Slack tools are never given to the model")
        );
        assert_eq!(
            reg.get("mcp__vt__get_ip_report")
                .unwrap()
                .hidden_because
                .as_deref(),
            Some("not in the allow-list")
        );
    }
}
