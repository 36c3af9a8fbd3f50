//! Configuration tests through a lookup map: the process environment is never touched.

use std::io::Write;

use super::*;

fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::load(
        &Env::from_map(pairs.iter().copied()),
        &ConfigOptions::default(),
    )
}

fn load_err(pairs: &[(&str, &str)]) -> String {
    load(pairs)
        .expect_err("config should be rejected")
        .to_string()
}

const SCANNER: &[(&str, &str)] = &[
    ("ANTHROPIC_API_KEY", "sk-ant-test-key-123"),
    ("SCANNER_MCP_URL", "https://mcp.example.scanner.dev/v1/mcp"),
    ("SCANNER_MCP_API_KEY", "scanner-secret-456"),
];

#[test]
fn minimal_config_has_scanner_and_defaults() {
    let c = load(SCANNER).unwrap();
    assert_eq!(c.anthropic.base_url, DEFAULT_ANTHROPIC_BASE_URL);
    assert!(!c.anthropic.custom_base_url);
    assert_eq!(c.servers.len(), 1);
    let s = &c.servers[0];
    assert_eq!(s.name, "scanner");
    match &s.transport {
        Transport::Http { url, bearer, .. } => {
            assert_eq!(url, "https://mcp.example.scanner.dev/v1/mcp");
            assert_eq!(bearer.as_ref().unwrap().expose(), "scanner-secret-456");
        }
        other => panic!("unexpected transport {other:?}"),
    }
    assert_eq!(c.mcp_startup_timeout, DEFAULT_MCP_STARTUP_TIMEOUT);
    assert_eq!(c.mcp_call_timeout, DEFAULT_MCP_CALL_TIMEOUT);
    assert_eq!(c.models.critical, DEFAULT_MODEL_HIGH);
    assert_eq!(c.models.medium, DEFAULT_MODEL_LOW);
    assert_eq!(c.models.collect, DEFAULT_COLLECT_MODEL);
    assert!(c.require_anthropic().is_ok());
    assert!(c.require_scanner().is_ok());
    // Secrets are redacted and never in Debug output.
    assert_eq!(
        c.redactor
            .redact("k=sk-ant-test-key-123 s=scanner-secret-456"),
        "k=[redacted] s=[redacted]"
    );
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("sk-ant-test-key-123"), "{dbg}");
    assert!(!dbg.contains("scanner-secret-456"));
}

#[test]
fn missing_api_key_names_the_variable_and_the_fix() {
    let c = load(&[]).unwrap();
    let e = c.require_anthropic().unwrap_err().to_string();
    assert!(e.starts_with("ANTHROPIC_API_KEY is not set;"), "{e}");
    assert!(e.contains("console.anthropic.com"), "{e}");
    // A compatible server without a key is fine.
    let c = load(&[("ANTHROPIC_BASE_URL", "http://127.0.0.1:8080")]).unwrap();
    assert!(c.require_anthropic().is_ok());
    assert!(c.anthropic.api_key.is_none());
}

#[test]
fn missing_scanner_names_the_variables() {
    let c = load(&[("ANTHROPIC_API_KEY", "k")]).unwrap();
    let e = c.require_scanner().unwrap_err().to_string();
    assert!(e.starts_with("SCANNER_MCP_URL is not set;"), "{e}");
    assert!(e.contains("SCANNER_MCP_API_KEY"), "{e}");
    assert!(e.contains("--alerts FILE"), "{e}");
}

#[test]
fn scanner_url_without_key_or_scheme_is_rejected() {
    let e = load_err(&[("SCANNER_MCP_URL", "https://x.dev/v1/mcp")]);
    assert_eq!(
        e,
        "SCANNER_MCP_URL is set but SCANNER_MCP_API_KEY is not; create a read-only key in Scanner (Settings → API Keys) and set it"
    );
    let e = load_err(&[
        ("SCANNER_MCP_URL", "mcp.x.scanner.dev/v1/mcp"),
        ("SCANNER_MCP_API_KEY", "abcdefgh"),
    ]);
    assert_eq!(
        e,
        "SCANNER_MCP_URL is not a usable URL (it has no scheme: start it with https:// or http://); set it to https://mcp.<your-env>.scanner.dev/v1/mcp"
    );
    let e = load_err(&[("ANTHROPIC_BASE_URL", "ftp://x")]);
    assert!(
        e.starts_with("ANTHROPIC_BASE_URL is not a usable URL (scheme `ftp` is not http or https)"),
        "{e}"
    );
}

#[test]
fn optional_servers_switch_on_by_their_variables() {
    let mut pairs = SCANNER.to_vec();
    pairs.extend([
        ("VIRUSTOTAL_API_KEY", "vt-key-abcdef"),
        ("FALCON_CLIENT_ID", "falcon-id-123"),
        ("FALCON_CLIENT_SECRET", "falcon-secret-123"),
        ("FALCON_BASE_URL", "https://api.eu-1.crowdstrike.com"),
        ("WIZ_MCP_URL", "http://localhost:8000/mcp"),
        ("SLACK_BOT_TOKEN", "xoxb-slack-token"),
        ("SLACK_TEAM_ID", "T0123"),
        ("PATH", "/usr/bin:/bin"),
        ("HOME", "/home/analyst"),
    ]);
    let c = load(&pairs).unwrap();
    let names: Vec<&str> = c.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["scanner", "virustotal", "falcon", "wiz", "slack"]);
    match &c.server("falcon").unwrap().transport {
        Transport::Stdio { command, args, env } => {
            assert_eq!(command, "uvx");
            assert_eq!(args, &["falcon-mcp"]);
            let keys: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                keys,
                [
                    "FALCON_CLIENT_ID",
                    "FALCON_CLIENT_SECRET",
                    "FALCON_MCP_READ_ONLY",
                    "FALCON_BASE_URL"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    match &c.server("slack").unwrap().transport {
        Transport::Stdio { command, args, env } => {
            assert_eq!(command, "npx");
            assert_eq!(args, &["-y", "@modelcontextprotocol/server-slack"]);
            // The Anthropic key is never handed to a child.
            assert!(env.iter().all(|(k, _)| k != "ANTHROPIC_API_KEY"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.child_base_env,
        vec![
            ("PATH".to_string(), "/usr/bin:/bin".to_string()),
            ("HOME".to_string(), "/home/analyst".to_string())
        ]
    );
    for secret in [
        "vt-key-abcdef",
        "falcon-secret-123",
        "xoxb-slack-token",
        "falcon-id-123",
    ] {
        assert_eq!(c.redactor.redact(secret), "[redacted]", "{secret}");
    }
    // PATH is not a secret.
    assert_eq!(c.redactor.redact("/usr/bin:/bin"), "/usr/bin:/bin");
}

#[test]
fn half_configured_servers_name_the_missing_variable() {
    let e = load_err(&[("FALCON_CLIENT_ID", "x")]);
    assert!(
        e.starts_with("FALCON_CLIENT_ID is set but FALCON_CLIENT_SECRET is not;"),
        "{e}"
    );
    let e = load_err(&[("FALCON_CLIENT_SECRET", "x")]);
    assert!(
        e.starts_with("FALCON_CLIENT_SECRET is set but FALCON_CLIENT_ID is not;"),
        "{e}"
    );
    let e = load_err(&[("SLACK_BOT_TOKEN", "xoxb-1")]);
    assert!(
        e.starts_with("SLACK_BOT_TOKEN is set but SLACK_TEAM_ID is not;"),
        "{e}"
    );
    let e = load_err(&[("WIZ_MCP_URL", "localhost:8000")]);
    assert!(e.starts_with("WIZ_MCP_URL is not a usable URL"), "{e}");
}

#[test]
fn every_error_is_reported_at_once() {
    let e = load(&[
        ("SLACK_BOT_TOKEN", "xoxb-1"),
        ("FALCON_CLIENT_ID", "x"),
        ("TRIAGE_MCP_CALL_TIMEOUT", "soon"),
    ])
    .unwrap_err();
    assert_eq!(e.0.len(), 3, "{e}");
    assert!(
        e.0[2].contains("TRIAGE_MCP_CALL_TIMEOUT = `soon` is not a duration"),
        "{e}"
    );
}

#[test]
fn empty_values_count_as_unset() {
    let c = load(&[("SCANNER_MCP_URL", ""), ("VIRUSTOTAL_API_KEY", "  ")]).unwrap();
    assert!(c.servers.is_empty());
}

#[test]
fn models_per_severity_and_overrides() {
    let c = load(&[("TRIAGE_MODEL", "m-all"), ("TRIAGE_MODEL_LOW", "m-low")]).unwrap();
    assert_eq!(c.models.critical, "m-all");
    assert_eq!(c.models.high, "m-all");
    assert_eq!(c.models.medium, "m-all");
    assert_eq!(c.models.low, "m-low");
    assert_eq!(c.models.collect, DEFAULT_COLLECT_MODEL);
    let c = Config::load(
        &Env::from_map([("TRIAGE_MODEL_LOW", "m-low")]),
        &ConfigOptions {
            model: Some("cli".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.models.distinct(), vec!["cli".to_string()]);
}

#[test]
fn allow_list_extension_and_validation() {
    let c = load(&[(
        "TRIAGE_ALLOWED_TOOLS",
        "mcp__splunk__search_*, mcp__elastic__get",
    )])
    .unwrap();
    assert!(
        c.allowed_tools
            .contains(&"mcp__splunk__search_*".to_string())
    );
    assert!(c.allowed_tools.contains(&"mcp__elastic__get".to_string()));
    assert!(
        c.allowed_tools
            .contains(&"mcp__scanner__execute_query".to_string())
    );
    assert!(!c.allowed_tools.iter().any(|t| t.contains("slack")));
    let e = load_err(&[("TRIAGE_ALLOWED_TOOLS", "mcp__x__a b")]);
    assert!(
        e.starts_with("TRIAGE_ALLOWED_TOOLS: allow-list entry `mcp__x__a b` contains ` `"),
        "{e}"
    );
    let c = load(&[("TRIAGE_ALLOWED_TOOLS", "mcp__slack__slack_post_message")]).unwrap();
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("Slack tools are never given to the model"));
}

#[test]
fn timeouts_from_env_and_flags() {
    let c = load(&[
        ("TRIAGE_MCP_STARTUP_TIMEOUT", "2s"),
        ("TRIAGE_MCP_CALL_TIMEOUT", "1500ms"),
    ])
    .unwrap();
    assert_eq!(c.mcp_startup_timeout, Duration::from_secs(2));
    assert_eq!(c.mcp_call_timeout, Duration::from_millis(1500));
    let c = Config::load(
        &Env::from_map([("TRIAGE_MCP_CALL_TIMEOUT", "1500ms")]),
        &ConfigOptions {
            mcp_call_timeout: Some(Duration::from_secs(5)),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.mcp_call_timeout, Duration::from_secs(5));
}

#[test]
fn parse_duration_units() {
    assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86400));
    assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
    assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
    assert_eq!(
        parse_duration("7d").unwrap(),
        Duration::from_secs(7 * 86400)
    );
    assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
    assert!(
        parse_duration("2w")
            .unwrap_err()
            .contains("unknown unit `w`")
    );
    assert!(parse_duration("").is_err());
}

#[test]
fn glob_matching() {
    assert!(glob_match(
        "mcp__splunk__search_*",
        "mcp__splunk__search_events"
    ));
    assert!(!glob_match("mcp__splunk__search_*", "mcp__splunk__delete"));
    assert!(glob_match(
        "*__*update_*",
        "mcp__falcon__falcon_update_detections"
    ));
    assert!(glob_match("a*b*c", "aXXbYYc"));
    assert!(!glob_match("a*b*c", "aXXbYY"));
    assert!(glob_match("exact", "exact"));
    assert!(!glob_match("exact", "exactly"));
    // Many stars stay fast.
    assert!(!glob_match(&"*a".repeat(30), &"a".repeat(29)));
}

fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::File::create(&p)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    p
}

#[test]
fn dotenv_values_lose_to_the_environment_and_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        &dir,
        ".env",
        "# comment\nSCANNER_MCP_URL=https://from-dotenv.dev/mcp\nexport VIRUSTOTAL_API_KEY=\"vt key\"\n",
    );
    let mut env = Env::from_map([("SCANNER_MCP_URL", "https://from-env.dev/mcp")]);
    env.merge_dotenv(&p).unwrap();
    assert_eq!(env.get("SCANNER_MCP_URL"), Some("https://from-env.dev/mcp"));
    assert_eq!(env.get("VIRUSTOTAL_API_KEY"), Some("vt key"));
    assert_eq!(
        env.describe("VIRUSTOTAL_API_KEY"),
        format!("VIRUSTOTAL_API_KEY (set in {} line 3)", p.display())
    );

    let bad = write_file(&dir, "bad.env", "A=1\nTHIS LINE IS BROKEN\nB=2\n");
    let e = Env::default().merge_dotenv(&bad).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{} line 2: cannot parse", bad.display())),
        "{e}"
    );
    assert!(e.contains("NAME=value"), "{e}");

    let missing = dir.path().join("nope.env");
    let e = Env::default()
        .merge_dotenv(&missing)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("cannot read the env file {}", missing.display())),
        "{e}"
    );
}

#[test]
fn mcp_config_file_adds_and_overrides_servers() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        &dir,
        "mcp.json",
        r#"{
  "mcpServers": {
    "splunk": {
      "type": "http",
      "url": "${SPLUNK_URL}",
      "headers": {"Authorization": "Bearer ${SPLUNK_TOKEN}", "X-Tenant": "acme"},
      "allowedTools": ["search_*"]
    },
    "virustotal": {
      "command": "npx",
      "args": ["-y", "@burtthecoder/mcp-virustotal"],
      "env": {"VIRUSTOTAL_API_KEY": "${VIRUSTOTAL_API_KEY}", "LOG_LEVEL": "${LOG_LEVEL:-info}"}
    },
    "wiz": {"disabled": true}
  }
}"#,
    );
    let mut pairs = SCANNER.to_vec();
    pairs.extend([
        ("SPLUNK_URL", "https://splunk.internal/mcp"),
        ("SPLUNK_TOKEN", "splunk-token-xyz"),
        ("VIRUSTOTAL_API_KEY", "vt-key-abcdef"),
        ("WIZ_MCP_URL", "http://localhost:8000/mcp"),
    ]);
    let c = Config::load(
        &Env::from_map(pairs),
        &ConfigOptions {
            mcp_config: Some(p.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let names: Vec<&str> = c.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["scanner", "virustotal", "splunk"]);
    let vt = c.server("virustotal").unwrap();
    assert_eq!(
        vt.source,
        ServerSource::File {
            path: p.clone(),
            line: 9
        }
    );
    match &vt.transport {
        Transport::Stdio { command, args, env } => {
            assert_eq!(command, "npx");
            assert_eq!(args, &["-y", "@burtthecoder/mcp-virustotal"]);
            assert_eq!(env[0].1.expose(), "vt-key-abcdef");
            assert_eq!(env[1].1.expose(), "info");
        }
        other => panic!("{other:?}"),
    }
    let splunk = c.server("splunk").unwrap();
    match &splunk.transport {
        Transport::Http {
            url,
            bearer,
            headers,
        } => {
            assert_eq!(url, "https://splunk.internal/mcp");
            assert_eq!(bearer.as_ref().unwrap().expose(), "splunk-token-xyz");
            assert_eq!(headers[0].0, "X-Tenant");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        c.allowed_tools
            .contains(&"mcp__splunk__search_*".to_string())
    );
    assert_eq!(c.redactor.redact("splunk-token-xyz"), "[redacted]");
    // LOG_LEVEL is not secret-looking, so "info" is not scrubbed.
    assert_eq!(c.redactor.redact("info"), "info");
}

fn file_err(text: &str, pairs: &[(&str, &str)]) -> (String, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "mcp.json", text);
    let e = Config::load(
        &Env::from_map(pairs.iter().copied()),
        &ConfigOptions {
            mcp_config: Some(p.clone()),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    (e, p)
}

#[test]
fn mcp_config_file_errors_name_file_line_and_fix() {
    let (e, p) = file_err(
        "{\n  \"mcpServers\": {\n    \"x\": {\"url\": }\n  }\n}",
        &[],
    );
    assert!(
        e.starts_with(&format!(
            "{} line 3 column 18: expected value;",
            p.display()
        )),
        "{e}"
    );

    let (e, p) = file_err(
        "{\"mcpServers\": {\n\"elastic\": {\"type\": \"sse\", \"url\": \"http://x\"}}}",
        &[],
    );
    assert!(
        e.starts_with(&format!(
            "{} line 2: server `elastic`: type sse is not supported",
            p.display()
        )),
        "{e}"
    );

    let (e, _) = file_err("{\"mcpServers\": {\"e\": {\"type\": \"grpc\"}}}", &[]);
    assert!(
        e.contains("unknown type `grpc`; use \"http\" (streamable HTTP) or \"stdio\""),
        "{e}"
    );

    let (e, p) = file_err(
        "{\"mcpServers\": {\n\n\"s\": {\"url\": \"${NOPE}/mcp\"}}}",
        &[],
    );
    assert_eq!(
        e,
        format!(
            "{} line 3: server `s`: \"url\" uses ${{NOPE}}, which is not set; set NOPE in .env or the environment, or write ${{NOPE:-default}}",
            p.display()
        )
    );

    let (e, _) = file_err(
        "{\"mcpServers\": {\"s\": {\"url\": \"example.com/mcp\"}}}",
        &[],
    );
    assert!(e.contains("\"url\" is not usable (it has no scheme"), "{e}");

    let (e, _) = file_err("{\"servers\": {}}", &[]);
    assert!(e.contains("no \"mcpServers\" object"), "{e}");

    let (e, _) = file_err("{\"mcpServers\": {\"s\": {}}}", &[]);
    assert!(
        e.contains("has neither \"command\" (stdio) nor \"url\" (http)"),
        "{e}"
    );
}

#[test]
fn variable_expansion() {
    let env = Env::from_map([("A", "1"), ("B", "two")]);
    assert_eq!(mcp_file::expand_vars("x${A}y${B}", &env).unwrap(), "x1ytwo");
    assert_eq!(mcp_file::expand_vars("${C:-dflt}", &env).unwrap(), "dflt");
    assert_eq!(
        mcp_file::expand_vars("$$5 and $PATH", &env).unwrap(),
        "$5 and $PATH"
    );
    assert_eq!(mcp_file::expand_vars("${C}", &env).unwrap_err(), "C");
}
