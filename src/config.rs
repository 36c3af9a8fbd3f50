//! Everything `triage` reads from the environment, `.env` and the MCP config file, validated once.
//!
//! Only this module reads the process environment ([`Env::load`]); everything else receives a
//! validated [`Config`], so tests build an [`Env`] from a map instead of mutating the process.
//! Every error names the variable (and where it was set), the file and line, and the fix.

mod mcp_file;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::secret::{Redactor, Secret};

pub use mcp_file::parse_mcp_config;

/// Variable names, in one place. The seed's names are a contract with its users.
pub mod vars {
    pub const ANTHROPIC_API_KEY: &str = "ANTHROPIC_API_KEY";
    pub const ANTHROPIC_BASE_URL: &str = "ANTHROPIC_BASE_URL";
    pub const SCANNER_MCP_URL: &str = "SCANNER_MCP_URL";
    pub const SCANNER_MCP_API_KEY: &str = "SCANNER_MCP_API_KEY";
    pub const VIRUSTOTAL_API_KEY: &str = "VIRUSTOTAL_API_KEY";
    pub const FALCON_CLIENT_ID: &str = "FALCON_CLIENT_ID";
    pub const FALCON_CLIENT_SECRET: &str = "FALCON_CLIENT_SECRET";
    pub const FALCON_BASE_URL: &str = "FALCON_BASE_URL";
    pub const WIZ_MCP_URL: &str = "WIZ_MCP_URL";
    pub const SLACK_BOT_TOKEN: &str = "SLACK_BOT_TOKEN";
    pub const SLACK_TEAM_ID: &str = "SLACK_TEAM_ID";
    pub const SLACK_CHANNEL_ID: &str = "SLACK_CHANNEL_ID";
    pub const TRIAGE_MCP_CONFIG: &str = "TRIAGE_MCP_CONFIG";
    pub const TRIAGE_ALLOWED_TOOLS: &str = "TRIAGE_ALLOWED_TOOLS";
    pub const TRIAGE_MODEL: &str = "TRIAGE_MODEL";
    pub const TRIAGE_MODEL_CRITICAL: &str = "TRIAGE_MODEL_CRITICAL";
    pub const TRIAGE_MODEL_HIGH: &str = "TRIAGE_MODEL_HIGH";
    pub const TRIAGE_MODEL_MEDIUM: &str = "TRIAGE_MODEL_MEDIUM";
    pub const TRIAGE_MODEL_LOW: &str = "TRIAGE_MODEL_LOW";
    pub const TRIAGE_COLLECT_MODEL: &str = "TRIAGE_COLLECT_MODEL";
    pub const TRIAGE_MCP_STARTUP_TIMEOUT: &str = "TRIAGE_MCP_STARTUP_TIMEOUT";
    pub const TRIAGE_MCP_CALL_TIMEOUT: &str = "TRIAGE_MCP_CALL_TIMEOUT";
    pub const TRIAGE_STATE_DIR: &str = "TRIAGE_STATE_DIR";
    pub const VIRUSTOTAL_RPM: &str = "VIRUSTOTAL_RPM";
    pub const XDG_STATE_HOME: &str = "XDG_STATE_HOME";
    pub const PATH: &str = "PATH";
    pub const HOME: &str = "HOME";
}

/// The public API, used when `ANTHROPIC_BASE_URL` is not set.
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// How long a server gets to start and list its tools. `npx`/`uvx` may download on first use,
/// but a server that needs more than this on a warm machine is broken or misconfigured.
pub const DEFAULT_MCP_STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one tool call may take. Scanner queries over large ranges take tens of seconds;
/// past a minute the model is better served by an error telling it to narrow the query.
pub const DEFAULT_MCP_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// VirusTotal's free tier: 4 requests per minute. Calls wait for their slot instead of failing.
pub const VIRUSTOTAL_FREE_RPM: u32 = 4;

/// Default models (the seed's cost advice: Opus for Critical/High, Sonnet below, a cheap model
/// for the mechanical alert-collection step). Prices live in one table elsewhere.
pub const DEFAULT_MODEL_HIGH: &str = "claude-opus-4-6";
pub const DEFAULT_MODEL_LOW: &str = "claude-sonnet-4-6";
pub const DEFAULT_COLLECT_MODEL: &str = "claude-haiku-4-5";

/// The tools the model may call unless configured otherwise: the seed's allow-list for the
/// built-in servers, with all of Scanner's read-only query tools. No Slack tool, ever.
pub const DEFAULT_ALLOWED_TOOLS: &[&str] = &[
    "mcp__scanner__get_scanner_context",
    "mcp__scanner__get_docs",
    "mcp__scanner__get_top_columns",
    "mcp__scanner__execute_query",
    "mcp__scanner__fetch_query_results",
    "mcp__scanner__fetch_cached_results",
    "mcp__virustotal__get_ip_report",
    "mcp__virustotal__get_domain_report",
    "mcp__virustotal__get_file_report",
    "mcp__virustotal__get_url_report",
    "mcp__falcon__falcon_search_hosts",
    "mcp__falcon__falcon_get_host_details",
    "mcp__falcon__falcon_search_detections",
    "mcp__falcon__falcon_get_detection_details",
    "mcp__wiz__wiz_get_issues",
    "mcp__wiz__wiz_get_issue_data_by_id",
    "mcp__wiz__wiz_get_projects",
    "mcp__wiz__wiz_get_threats",
    "mcp__wiz__wiz_search",
];

/// Tools that are never offered to the model, whatever the allow-list says: Slack (posting is
/// the program's job, done with the rendered report) and tool names that change state.
pub const ALWAYS_DENIED_TOOLS: &[&str] = &[
    "mcp__slack__*",
    "*__slack_*",
    "*__*update_*",
    "*__*delete_*",
    "*__*create_*",
    "*__*revoke_*",
    "*__*disable_*",
    "*__*contain_host*",
    "*__*lift_containment*",
    "*__*_rtr*",
];

/// Where a variable's value came from, so an error can point at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Process,
    DotEnv { path: PathBuf, line: usize },
    Test,
}

/// The variables visible to `triage`: the process environment over `.env`.
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: BTreeMap<String, (String, Origin)>,
}

/// A configuration error: a full sentence naming what is wrong, where, and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ConfigError(pub Vec<String>);

impl ConfigError {
    pub fn one(msg: impl Into<String>) -> Self {
        Self(vec![msg.into()])
    }
}

impl Env {
    /// Builds an environment from a map (tests, and `triage` runs that pass a lookup table).
    pub fn from_map<K: Into<String>, V: Into<String>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: map
                .into_iter()
                .map(|(k, v)| (k.into(), (v.into(), Origin::Test)))
                .collect(),
        }
    }

    /// Reads the process environment and the `.env` file: `env_file` when given (it must
    /// exist), otherwise `.env` in the working directory when present. Real environment
    /// variables win over `.env`.
    pub fn load(env_file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut env = Self::default();
        let (path, must_exist) = match env_file {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from(".env"), false),
        };
        if path.exists() || must_exist {
            env.merge_dotenv(&path)?;
        }
        for (k, v) in std::env::vars_os() {
            if let (Some(k), Some(v)) = (k.to_str(), v.to_str()) {
                env.vars
                    .insert(k.to_string(), (v.to_string(), Origin::Process));
            }
        }
        Ok(env)
    }

    /// Adds the variables of a `.env` file (not overriding what is already set).
    pub fn merge_dotenv(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::one(format!(
                "cannot read the env file {}: {e}; check the path given to --env-file",
                path.display()
            ))
        })?;
        let iter = dotenvy::from_read_iter(text.as_bytes());
        for item in iter {
            match item {
                Ok((k, v)) => {
                    let line = line_of_assignment(&text, &k).unwrap_or(0);
                    self.vars.entry(k).or_insert((
                        v,
                        Origin::DotEnv {
                            path: path.to_path_buf(),
                            line,
                        },
                    ));
                }
                Err(dotenvy::Error::LineParse(content, col)) => {
                    let line = text
                        .lines()
                        .position(|l| content.starts_with(l.trim_end()) && !l.trim().is_empty())
                        .map(|i| i + 1)
                        .unwrap_or(0);
                    let shown: String = content.chars().take(60).collect();
                    let name = shown.split('=').next().unwrap_or("").trim().to_string();
                    return Err(ConfigError::one(format!(
                        "{} line {line}: cannot parse `{name}=…` at column {}; write it as NAME=value \
                         (quote values that contain spaces or #)",
                        path.display(),
                        col + 1
                    )));
                }
                Err(e) => {
                    return Err(ConfigError::one(format!(
                        "{}: {e}; fix the file or point --env-file elsewhere",
                        path.display()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The value of a variable; an empty value counts as unset (a copied `.env.example`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|(v, _)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    /// "NAME (set in .env line 3)" — for error messages.
    pub fn describe(&self, name: &str) -> String {
        match self.vars.get(name).map(|(_, o)| o) {
            Some(Origin::DotEnv { path, line }) if *line > 0 => {
                format!("{name} (set in {} line {line})", path.display())
            }
            Some(Origin::DotEnv { path, .. }) => format!("{name} (set in {})", path.display()),
            Some(Origin::Process) => format!("{name} (set in the environment)"),
            _ => name.to_string(),
        }
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.get(name).map(Secret::new)
    }
}

fn line_of_assignment(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("export ").unwrap_or(l).trim_start();
            l.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// How `triage` reaches an MCP server.
#[derive(Clone, Debug)]
pub enum Transport {
    /// Streamable HTTP. Header values are secrets (they usually carry tokens).
    Http {
        url: String,
        bearer: Option<Secret>,
        headers: Vec<(String, Secret)>,
    },
    /// A child process speaking MCP on stdin/stdout. It gets `env` plus `PATH`/`HOME` only.
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, Secret)>,
    },
}

/// Where a server's definition came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerSource {
    BuiltIn,
    File { path: PathBuf, line: usize },
}

impl fmt::Display for ServerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerSource::BuiltIn => f.write_str("built-in"),
            ServerSource::File { path, line } => write!(f, "{} line {line}", path.display()),
        }
    }
}

/// One configured MCP server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The name in `mcp__{name}__{tool}` (already sanitised).
    pub name: String,
    pub transport: Transport,
    pub source: ServerSource,
    /// Extra allow-list patterns from the config file's `allowedTools`.
    pub allowed_tools: Vec<String>,
    /// The variable(s) that switched a built-in server on, for messages ("SCANNER_MCP_URL").
    pub origin_hint: String,
    /// Requests per minute allowed to this server (`None`: unlimited).
    pub rate_limit: Option<u32>,
}

/// Models per alert severity.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Models {
    pub critical: String,
    pub high: String,
    pub medium: String,
    pub low: String,
    pub collect: String,
}

impl Models {
    /// Every distinct model configured, for `triage check`.
    pub fn distinct(&self) -> Vec<String> {
        let mut all = vec![
            self.critical.clone(),
            self.high.clone(),
            self.medium.clone(),
            self.low.clone(),
            self.collect.clone(),
        ];
        all.sort();
        all.dedup();
        all
    }
}

/// The Anthropic API settings.
#[derive(Clone, Debug)]
pub struct AnthropicConfig {
    pub base_url: String,
    pub api_key: Option<Secret>,
    /// True when `ANTHROPIC_BASE_URL` points somewhere other than the public API.
    pub custom_base_url: bool,
}

/// Command-line settings that shape the configuration.
#[derive(Clone, Debug, Default)]
pub struct ConfigOptions {
    pub mcp_config: Option<PathBuf>,
    pub allowed_tools: Vec<String>,
    pub model: Option<String>,
    pub mcp_startup_timeout: Option<Duration>,
    pub mcp_call_timeout: Option<Duration>,
    pub state_dir: Option<PathBuf>,
    pub audit_dir: Option<PathBuf>,
}

/// The validated configuration of one `triage` invocation.
#[derive(Clone, Debug)]
pub struct Config {
    pub anthropic: AnthropicConfig,
    pub servers: Vec<ServerConfig>,
    /// Allow-list patterns (`*` matches any run of characters), applied to `mcp__server__tool`.
    pub allowed_tools: Vec<String>,
    pub denied_tools: Vec<String>,
    pub models: Models,
    pub mcp_startup_timeout: Duration,
    pub mcp_call_timeout: Duration,
    pub slack_channel: Option<String>,
    /// Seen alerts, watermark, lock and audit files (`None`: no place to keep state).
    pub state_dir: Option<PathBuf>,
    /// Audit files (default `<state_dir>/audit`).
    pub audit_dir: Option<PathBuf>,
    /// `PATH` and `HOME`, which every stdio child gets besides its own variables.
    pub child_base_env: Vec<(String, String)>,
    /// Every secret value configured, to scrub from anything written.
    pub redactor: Redactor,
    /// Warnings found while loading (printed once on stderr by the caller).
    pub warnings: Vec<String>,
}

impl Config {
    /// Validates everything; collects every error before failing.
    pub fn load(env: &Env, opts: &ConfigOptions) -> Result<Config, ConfigError> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut secrets = Vec::new();

        // Anthropic.
        let custom_base_url = env.get(vars::ANTHROPIC_BASE_URL).is_some();
        let base_url = match env.get(vars::ANTHROPIC_BASE_URL) {
            Some(u) => match check_url(u) {
                Ok(u) => u,
                Err(why) => {
                    errors.push(format!(
                        "{} is not a usable URL ({why}); set it to the API's base, e.g. https://api.anthropic.com",
                        env.describe(vars::ANTHROPIC_BASE_URL)
                    ));
                    String::new()
                }
            },
            None => DEFAULT_ANTHROPIC_BASE_URL.to_string(),
        };
        let api_key = env.secret(vars::ANTHROPIC_API_KEY);
        secrets.extend(api_key.clone());

        // Built-in servers, each on when its variables are set.
        let mut servers = Vec::new();
        if let Some(s) = builtin_scanner(env, &mut errors) {
            servers.push(s);
        }
        let vt_rpm = match env.get(vars::VIRUSTOTAL_RPM) {
            None => Some(VIRUSTOTAL_FREE_RPM),
            Some(v) => match v.trim().parse::<u32>() {
                Ok(0) => None,
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(format!(
                        "{} = `{v}` is not a number of requests per minute; write e.g. 4 (free tier), 500, or 0 for no limit",
                        env.describe(vars::VIRUSTOTAL_RPM)
                    ));
                    None
                }
            },
        };
        if let Some(key) = env.secret(vars::VIRUSTOTAL_API_KEY) {
            servers.push(ServerConfig {
                name: "virustotal".into(),
                transport: Transport::Stdio {
                    command: "mcp-virustotal".into(),
                    args: vec![],
                    env: vec![(vars::VIRUSTOTAL_API_KEY.into(), key)],
                },
                source: ServerSource::BuiltIn,
                allowed_tools: vec![],
                origin_hint: vars::VIRUSTOTAL_API_KEY.into(),
                rate_limit: vt_rpm,
            });
        }
        if let Some(s) = builtin_falcon(env, &mut errors) {
            servers.push(s);
        }
        if let Some(url) = env.get(vars::WIZ_MCP_URL) {
            match check_url(url) {
                Ok(url) => servers.push(ServerConfig {
                    name: "wiz".into(),
                    transport: Transport::Http {
                        url,
                        bearer: None,
                        headers: vec![],
                    },
                    source: ServerSource::BuiltIn,
                    allowed_tools: vec![],
                    origin_hint: vars::WIZ_MCP_URL.into(),
                    rate_limit: None,
                }),
                Err(why) => errors.push(format!(
                    "{} is not a usable URL ({why}); set it to the Wiz MCP endpoint, e.g. http://localhost:8000/mcp",
                    env.describe(vars::WIZ_MCP_URL)
                )),
            }
        }
        if let Some(token) = env.secret(vars::SLACK_BOT_TOKEN) {
            match env.secret(vars::SLACK_TEAM_ID) {
                Some(team) => servers.push(ServerConfig {
                    name: "slack".into(),
                    transport: Transport::Stdio {
                        command: "npx".into(),
                        args: vec!["-y".into(), "@modelcontextprotocol/server-slack".into()],
                        env: vec![
                            (vars::SLACK_BOT_TOKEN.into(), token),
                            (vars::SLACK_TEAM_ID.into(), team),
                        ],
                    },
                    source: ServerSource::BuiltIn,
                    allowed_tools: vec![],
                    origin_hint: vars::SLACK_BOT_TOKEN.into(),
                    rate_limit: None,
                }),
                None => errors.push(format!(
                    "{} is set but {} is not; Slack posting needs both (the team id is the T… id of your workspace), or unset {}",
                    env.describe(vars::SLACK_BOT_TOKEN),
                    vars::SLACK_TEAM_ID,
                    vars::SLACK_BOT_TOKEN
                )),
            }
        }

        // The MCP config file adds servers or overrides built-in ones by name.
        let file = opts
            .mcp_config
            .clone()
            .or_else(|| env.get(vars::TRIAGE_MCP_CONFIG).map(PathBuf::from));
        if let Some(path) = file {
            match std::fs::read_to_string(&path) {
                Ok(text) => match parse_mcp_config(&text, &path, env) {
                    Ok((file_servers, disabled)) => {
                        servers.retain(|s| !disabled.contains(&s.name));
                        for s in file_servers {
                            if let Some(existing) = servers.iter_mut().find(|b| b.name == s.name) {
                                *existing = s;
                            } else {
                                servers.push(s);
                            }
                        }
                    }
                    Err(e) => errors.extend(e.0),
                },
                Err(e) => errors.push(format!(
                    "cannot read the MCP config file {}: {e}; check --mcp-config or {}",
                    path.display(),
                    vars::TRIAGE_MCP_CONFIG
                )),
            }
        }

        for s in &servers {
            match &s.transport {
                Transport::Http {
                    bearer, headers, ..
                } => {
                    secrets.extend(bearer.clone());
                    secrets.extend(headers.iter().map(|(_, v)| v.clone()));
                }
                Transport::Stdio { env, .. } => secrets.extend(
                    env.iter()
                        .filter(|(k, _)| looks_secret(k))
                        .map(|(_, v)| v.clone()),
                ),
            }
        }

        // Allow-list.
        let mut allowed_tools: Vec<String> = DEFAULT_ALLOWED_TOOLS
            .iter()
            .map(|s| s.to_string())
            .collect();
        let extra_env = env
            .get(vars::TRIAGE_ALLOWED_TOOLS)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for pattern in extra_env.iter().chain(opts.allowed_tools.iter()) {
            match check_tool_pattern(pattern) {
                Ok(()) => allowed_tools.push(pattern.clone()),
                Err(why) => errors.push(format!(
                    "{}: allow-list entry `{pattern}` {why}; write full tool names like mcp__splunk__search_events, with * as a wildcard",
                    env.describe(vars::TRIAGE_ALLOWED_TOOLS)
                )),
            }
        }
        for s in &servers {
            for pattern in &s.allowed_tools {
                allowed_tools.push(pattern.clone());
            }
        }
        allowed_tools.dedup();
        for p in &allowed_tools {
            if p.starts_with("mcp__slack__") {
                warnings.push(format!(
                    "allow-list entry `{p}` is ignored: Slack tools are never given to the model (triage posts reports itself)"
                ));
            }
        }

        // Models.
        let pick = |var: &str, default: &str| -> String {
            opts.model
                .clone()
                .or_else(|| env.get(var).map(str::to_string))
                .or_else(|| env.get(vars::TRIAGE_MODEL).map(str::to_string))
                .unwrap_or_else(|| default.to_string())
        };
        let models = Models {
            critical: pick(vars::TRIAGE_MODEL_CRITICAL, DEFAULT_MODEL_HIGH),
            high: pick(vars::TRIAGE_MODEL_HIGH, DEFAULT_MODEL_HIGH),
            medium: pick(vars::TRIAGE_MODEL_MEDIUM, DEFAULT_MODEL_LOW),
            low: pick(vars::TRIAGE_MODEL_LOW, DEFAULT_MODEL_LOW),
            collect: opts
                .model
                .clone()
                .or_else(|| env.get(vars::TRIAGE_COLLECT_MODEL).map(str::to_string))
                .unwrap_or_else(|| DEFAULT_COLLECT_MODEL.to_string()),
        };

        let timeout =
            |flag: Option<Duration>, var: &str, default: Duration, errors: &mut Vec<String>| {
                if let Some(d) = flag {
                    return d;
                }
                match env.get(var) {
                    None => default,
                    Some(v) => match parse_duration(v) {
                        Ok(d) if !d.is_zero() => d,
                        _ => {
                            errors.push(format!(
                                "{} = `{v}` is not a duration; write e.g. 30s, 2m or 1500ms",
                                env.describe(var)
                            ));
                            default
                        }
                    },
                }
            };
        let mcp_startup_timeout = timeout(
            opts.mcp_startup_timeout,
            vars::TRIAGE_MCP_STARTUP_TIMEOUT,
            DEFAULT_MCP_STARTUP_TIMEOUT,
            &mut errors,
        );
        let mcp_call_timeout = timeout(
            opts.mcp_call_timeout,
            vars::TRIAGE_MCP_CALL_TIMEOUT,
            DEFAULT_MCP_CALL_TIMEOUT,
            &mut errors,
        );

        let state_dir = opts
            .state_dir
            .clone()
            .or_else(|| env.get(vars::TRIAGE_STATE_DIR).map(PathBuf::from))
            .or_else(|| {
                crate::state::default_dir(env.get(vars::XDG_STATE_HOME), env.get(vars::HOME))
            });

        if !errors.is_empty() {
            return Err(ConfigError(errors));
        }
        Ok(Config {
            anthropic: AnthropicConfig {
                base_url,
                api_key,
                custom_base_url,
            },
            servers,
            allowed_tools,
            denied_tools: ALWAYS_DENIED_TOOLS.iter().map(|s| s.to_string()).collect(),
            models,
            mcp_startup_timeout,
            mcp_call_timeout,
            slack_channel: env.get(vars::SLACK_CHANNEL_ID).map(str::to_string),
            state_dir: state_dir.clone(),
            audit_dir: opts
                .audit_dir
                .clone()
                .or_else(|| state_dir.as_ref().map(|d| d.join("audit"))),
            child_base_env: [vars::PATH, vars::HOME]
                .iter()
                .filter_map(|k| env.get(k).map(|v| (k.to_string(), v.to_string())))
                .collect(),
            redactor: Redactor::new(secrets),
            warnings,
        })
    }

    /// The model API must be reachable with a key (or a compatible server needing none).
    pub fn require_anthropic(&self) -> Result<(), ConfigError> {
        if self.anthropic.api_key.is_none() && !self.anthropic.custom_base_url {
            return Err(ConfigError::one(format!(
                "{} is not set; create a key at console.anthropic.com and put it in .env or the \
                 environment (or set {} to a compatible server that needs no key)",
                vars::ANTHROPIC_API_KEY,
                vars::ANTHROPIC_BASE_URL
            )));
        }
        Ok(())
    }

    /// The Scanner server must be configured (the default run pulls alerts from it).
    pub fn require_scanner(&self) -> Result<(), ConfigError> {
        if self.server("scanner").is_none() {
            return Err(ConfigError::one(format!(
                "{} is not set; the default run pulls alerts from Scanner: set it to \
                 https://mcp.<your-env>.scanner.dev/v1/mcp with {} (Scanner → Settings → API Keys), \
                 or give alerts with --alerts FILE",
                vars::SCANNER_MCP_URL,
                vars::SCANNER_MCP_API_KEY
            )));
        }
        Ok(())
    }

    /// Puts this binary's own sample lake (`triage lake serve`, over `lake_dir` when given) in
    /// place of Scanner, for `--demo`, `--lake-dir` and `triage eval`.
    pub fn use_lake_as_scanner(&mut self, lake_dir: Option<&Path>) -> Result<(), crate::Failure> {
        let exe = std::env::current_exe().map_err(|e| {
            crate::Failure::fatal(format!(
                "cannot find the triage binary to serve the sample lake: {e}"
            ))
        })?;
        let mut args = vec!["lake".to_string(), "serve".to_string()];
        if let Some(dir) = lake_dir {
            if !dir.is_dir() {
                return Err(crate::Failure::fatal(format!(
                    "--lake-dir {}: not a directory; give a directory of JSON-lines files (one per index, alerts in _detections.jsonl)",
                    dir.display()
                )));
            }
            args.push("--lake-dir".into());
            args.push(dir.display().to_string());
        }
        let lake = ServerConfig {
            name: "scanner".into(),
            transport: Transport::Stdio {
                command: exe.display().to_string(),
                args,
                env: vec![],
            },
            source: ServerSource::BuiltIn,
            allowed_tools: vec![],
            origin_hint: "the built-in sample lake".into(),
            rate_limit: None,
        };
        match self.servers.iter_mut().find(|s| s.name == "scanner") {
            Some(s) => *s = lake,
            None => self.servers.insert(0, lake),
        }
        Ok(())
    }

    pub fn server(&self, name: &str) -> Option<&ServerConfig> {
        self.servers.iter().find(|s| s.name == name)
    }
}

fn builtin_scanner(env: &Env, errors: &mut Vec<String>) -> Option<ServerConfig> {
    let url = env.get(vars::SCANNER_MCP_URL)?;
    let url = match check_url(url) {
        Ok(u) => u,
        Err(why) => {
            errors.push(format!(
                "{} is not a usable URL ({why}); set it to https://mcp.<your-env>.scanner.dev/v1/mcp",
                env.describe(vars::SCANNER_MCP_URL)
            ));
            return None;
        }
    };
    let Some(key) = env.secret(vars::SCANNER_MCP_API_KEY) else {
        errors.push(format!(
            "{} is set but {} is not; create a read-only key in Scanner (Settings → API Keys) and set it",
            env.describe(vars::SCANNER_MCP_URL),
            vars::SCANNER_MCP_API_KEY
        ));
        return None;
    };
    Some(ServerConfig {
        name: "scanner".into(),
        transport: Transport::Http {
            url,
            bearer: Some(key),
            headers: vec![],
        },
        source: ServerSource::BuiltIn,
        allowed_tools: vec![],
        origin_hint: vars::SCANNER_MCP_URL.into(),
        rate_limit: None,
    })
}

fn builtin_falcon(env: &Env, errors: &mut Vec<String>) -> Option<ServerConfig> {
    let id = env.secret(vars::FALCON_CLIENT_ID);
    let secret = env.secret(vars::FALCON_CLIENT_SECRET);
    match (id, secret) {
        (None, None) => None,
        (Some(id), Some(secret)) => {
            let mut child_env = vec![
                (vars::FALCON_CLIENT_ID.to_string(), id),
                (vars::FALCON_CLIENT_SECRET.to_string(), secret),
                // Defence in depth: the allow-list already hides mutating tools.
                ("FALCON_MCP_READ_ONLY".to_string(), Secret::new("true")),
            ];
            if let Some(base) = env.get(vars::FALCON_BASE_URL) {
                if let Err(why) = check_url(base) {
                    errors.push(format!(
                        "{} is not a usable URL ({why}); set it to your region's API, e.g. https://api.crowdstrike.com",
                        env.describe(vars::FALCON_BASE_URL)
                    ));
                }
                child_env.push((vars::FALCON_BASE_URL.into(), Secret::new(base)));
            }
            Some(ServerConfig {
                name: "falcon".into(),
                transport: Transport::Stdio {
                    command: "uvx".into(),
                    args: vec!["falcon-mcp".into()],
                    env: child_env,
                },
                source: ServerSource::BuiltIn,
                allowed_tools: vec![],
                origin_hint: vars::FALCON_CLIENT_ID.into(),
                rate_limit: None,
            })
        }
        (Some(_), None) | (None, Some(_)) => {
            let (set, missing) = if env.get(vars::FALCON_CLIENT_ID).is_some() {
                (vars::FALCON_CLIENT_ID, vars::FALCON_CLIENT_SECRET)
            } else {
                (vars::FALCON_CLIENT_SECRET, vars::FALCON_CLIENT_ID)
            };
            errors.push(format!(
                "{} is set but {missing} is not; CrowdStrike Falcon needs both (Falcon console → API Clients and Keys), or unset {set}",
                env.describe(set)
            ));
            None
        }
    }
}

/// A child variable whose value must be scrubbed from everything written.
fn looks_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "AUTH",
        "CLIENT_ID",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Checks that a URL has an http(s) scheme and a host; returns it without trailing spaces.
pub fn check_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if !raw.contains("://") {
        return Err("it has no scheme: start it with https:// or http://".into());
    }
    match reqwest::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(raw.to_string())
        }
        Ok(u) => Err(format!("scheme `{}` is not http or https", u.scheme())),
        Err(e) => Err(e.to_string()),
    }
}

/// An allow-list pattern is a tool name (`[A-Za-z0-9_-]`) in which `*` may stand anywhere.
pub fn check_tool_pattern(p: &str) -> Result<(), String> {
    if p.is_empty() || p.len() > 128 {
        return Err("is empty or too long".into());
    }
    if let Some(c) = p
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*')))
    {
        return Err(format!("contains `{c}`"));
    }
    Ok(())
}

/// Parses `500ms`, `30s`, `2m`, `24h`, `7d`, or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let s = raw.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration (write e.g. 30s, 5m, 24h, 7d)"))?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => n,
        "ms" => n / 1000.0,
        "m" | "min" | "mins" => n * 60.0,
        "h" | "hr" | "hrs" => n * 3600.0,
        "d" | "day" | "days" => n * 86400.0,
        other => {
            return Err(format!(
                "`{raw}` has unknown unit `{other}` (use ms, s, m, h or d)"
            ));
        }
    };
    if !secs.is_finite() || !(0.0..=400.0 * 86400.0).contains(&secs) {
        return Err(format!("`{raw}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Matches an allow-list pattern where `*` stands for any run of characters.
/// Greedy with backtracking to the last star: linear in practice, never exponential.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests;
