//! Alerts: the [`Alert`] type every other module works on, the [`Severity`] scale that orders
//! triage, and the reading of alert input (`--alerts FILE|-`, Scanner's `_detections` shape).
//!
//! Alert input is attacker-influenced data and the run is all-or-nothing: [`parse_alerts`]
//! validates the whole input before anything is triaged and reports *every* bad record with its
//! location, so a user fixes a file in one go instead of one error per run. Every text this
//! module produces for a terminal (errors, warnings, the user hint) has control characters
//! escaped, and quotes of input values are short.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::{self, Write as _};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Longest string (field value or key) that [`render_alert_for_prompt`] passes whole to the
/// model; longer ones keep this many bytes. One field must not eat the prompt budget, and 4 KiB
/// is plenty for a command line, a URL or a log message.
pub const MAX_PROMPT_STRING_BYTES: usize = 4096;

/// Longest [`Alert::user_hint`], in characters: it is one field of a one-line report header.
pub const MAX_USER_HINT_CHARS: usize = 200;

/// Longest reason of a [`BadRecord`], in characters, so one record cannot flood the terminal.
pub const MAX_REASON_CHARS: usize = 300;

/// Longest severity label kept from the input, in characters (it is displayed in reports).
pub const MAX_SEVERITY_LABEL_CHARS: usize = 64;

/// Most bad records an [`AlertInputError`] keeps (it still counts all of them): a file of a
/// million broken lines must not turn into a gigabyte of error text.
pub const MAX_BAD_RECORDS_KEPT: usize = 1000;

/// Most bad records the error's `Display` lists; the rest are counted in one closing line.
pub const MAX_BAD_RECORDS_SHOWN: usize = 50;

/// Most duplicate warnings kept in [`ParsedAlerts::warnings`]; the rest are counted in one line.
pub const MAX_DUPLICATE_WARNINGS: usize = 100;

/// Longest quote of an input value (an id, a timestamp) inside an error, in characters.
const MAX_QUOTED_CHARS: usize = 64;

/// Rows of `results_table` that [`Alert::user_hint`] looks at: the first rows are enough for a
/// hint, and a table can hold thousands.
const MAX_HINT_ROWS: usize = 100;

/// The UTF-8 byte order mark some editors (and PowerShell) put at the start of a file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Example shown when a timestamp is rejected.
const TIMESTAMP_EXAMPLE: &str = "2024-05-01T12:00:00Z";

/// Fields that may name the user behind an alert, most specific first. A dotted path matches a
/// literal key of that name (Scanner's result columns are dotted) or nested objects.
const USER_FIELDS: &[&str] = &[
    "user",
    "username",
    "user_name",
    "userName",
    "user.name",
    "user.email_addr",
    "user.email",
    "userIdentity.userName",
    "userIdentity.arn",
    "userIdentity.principalId",
    "actor",
    "actor.user.name",
    "actor.user.email_addr",
    "actor.alternateId",
    "actor.displayName",
    "principal",
    "principal.name",
    "userPrincipalName",
    "protoPayload.authenticationInfo.principalEmail",
    "@ecs.user.name",
    "@ecs.user.email",
    "email",
    "user_email",
    "userEmail",
    "email_addr",
];

/// How urgent an alert is, on the OCSF scale collapsed to the levels triage distinguishes.
///
/// `Ord` is **triage order**: `Critical < High < Medium < Low < Informational < Unknown`, so
/// sorting ascending puts the most urgent first and unknown severities last. Because of that,
/// `a < b` means "a comes first", not "a is less severe": compare levels with
/// [`Severity::at_least`]. Serializes as [`Severity::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// OCSF 5 "Critical" and 6 "Fatal".
    Critical,
    /// OCSF 4.
    High,
    /// OCSF 3.
    Medium,
    /// OCSF 2.
    Low,
    /// OCSF 1; also spelled "Information" or "Info".
    Informational,
    /// OCSF 0 "Unknown", 99 "Other", and anything not recognised.
    Unknown,
}

impl Severity {
    /// Every level, in triage order.
    pub const ALL: [Severity; 6] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
        Severity::Unknown,
    ];

    /// The canonical name: "Critical", "High", "Medium", "Low", "Informational" or "Unknown".
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
            Severity::Informational => "Informational",
            Severity::Unknown => "Unknown",
        }
    }

    /// Whether `self` is `min` or more urgent (a `--min-severity` filter). `Unknown` is the
    /// lowest level: it passes only `at_least(Unknown)`.
    pub fn at_least(self, min: Severity) -> bool {
        self <= min
    }

    /// The level of an OCSF `severity_id`; ids outside the OCSF list are `Unknown`.
    pub fn from_ocsf_id(id: i64) -> Severity {
        match id {
            5 | 6 => Severity::Critical,
            4 => Severity::High,
            3 => Severity::Medium,
            2 => Severity::Low,
            1 => Severity::Informational,
            _ => Severity::Unknown,
        }
    }

    /// Parses a level given on the command line (`--min-severity high`), case-insensitively.
    /// Accepts the canonical names and the aliases fatal, info, information and other. The
    /// error names the valid values.
    pub fn parse_level(text: &str) -> Result<Severity, String> {
        match named_severity(text) {
            Some((level, _)) => Ok(level),
            None => Err(format!(
                "invalid severity level {}; valid values: critical, high, medium, low, \
                 informational, unknown (also fatal, info, information, other)",
                quote(text)
            )),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The level and display label of a severity name (trimmed, case-insensitive).
fn named_severity(text: &str) -> Option<(Severity, &'static str)> {
    const NAMES: &[(&str, Severity, &str)] = &[
        ("critical", Severity::Critical, "Critical"),
        ("fatal", Severity::Critical, "Fatal"),
        ("high", Severity::High, "High"),
        ("medium", Severity::Medium, "Medium"),
        ("low", Severity::Low, "Low"),
        ("informational", Severity::Informational, "Informational"),
        ("information", Severity::Informational, "Informational"),
        ("info", Severity::Informational, "Informational"),
        ("unknown", Severity::Unknown, "Unknown"),
        ("other", Severity::Unknown, "Other"),
    ];
    let text = text.trim();
    NAMES
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(text))
        .map(|&(_, level, label)| (level, label))
}

/// The OCSF label of a `severity_id`, if the id is in the OCSF list.
fn ocsf_label(id: i64) -> Option<&'static str> {
    Some(match id {
        0 => "Unknown",
        1 => "Informational",
        2 => "Low",
        3 => "Medium",
        4 => "High",
        5 => "Critical",
        6 => "Fatal",
        99 => "Other",
        _ => return None,
    })
}

/// One detection alert, validated. `raw` is the whole input object, unchanged: the model and
/// the JSON report see every field, the typed fields are what the harness itself needs.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    /// Non-empty; an integer id in the input becomes its decimal text.
    pub id: String,
    /// The detection rule's name, non-empty.
    pub name: String,
    pub severity: Severity,
    /// The severity as the input spelled it, for display. A recognised name gets its OCSF
    /// spelling ("HIGH" → "High", "fatal" → "Fatal", "info" → "Informational"); a number or a
    /// `severity_id` gets its OCSF label (6 → "Fatal", 99 → "Other"); an unrecognised name is
    /// kept as given (control characters escaped, at most [`MAX_SEVERITY_LABEL_CHARS`]);
    /// no severity at all is "Unknown".
    pub severity_label: String,
    pub timestamp: Option<Timestamp>,
    /// The `description` field when it is a non-blank string.
    pub description: Option<String>,
    pub raw: Value,
}

impl Alert {
    /// Validates one alert object (the rules of [`parse_alerts`]). The error is every problem
    /// found, joined by "; ", suitable for a terminal.
    ///
    /// - `id`: a non-blank string or an integer.
    /// - `name`: a non-blank string.
    /// - `timestamp`: absent, null, or an RFC 3339 string with an offset. Integer epochs are
    ///   rejected: Scanner writes RFC 3339, and a bare number is ambiguous (seconds or ms?).
    /// - `severity`: absent, null, a string (unknown names are `Unknown`, not an error; a digit
    ///   string is read as an OCSF id) or a number (an OCSF id). When it is absent or not a
    ///   known level, a known `severity_id` (number or digit string) gives the level.
    pub fn from_value(value: Value) -> Result<Alert, String> {
        let Value::Object(obj) = &value else {
            return Err(format!(
                "not a JSON object (found {}); each alert must be an object with at least \
                 \"id\" and \"name\"",
                json_type(&value)
            ));
        };
        let mut problems = Vec::new();
        let id = required_text(obj, "id", &mut problems);
        let name = required_text(obj, "name", &mut problems);
        let timestamp = match obj.get("timestamp") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => match text.trim().parse::<Timestamp>() {
                Ok(timestamp) => Some(timestamp),
                Err(_) => {
                    problems.push(format!(
                        "\"timestamp\" is not an RFC 3339 date-time like {TIMESTAMP_EXAMPLE}: {}",
                        quote(text)
                    ));
                    None
                }
            },
            Some(other) => {
                problems.push(format!(
                    "\"timestamp\" must be an RFC 3339 string like {TIMESTAMP_EXAMPLE}, found {}",
                    json_type(other)
                ));
                None
            }
        };
        let severity = severity_field(obj, "severity", &mut problems);
        let severity_id = severity_field(obj, "severity_id", &mut problems);
        let (Some(id), Some(name), true) = (id, name, problems.is_empty()) else {
            return Err(problems.join("; "));
        };
        let (severity, severity_label) = match (severity, severity_id) {
            (Some(given), _) if given.level != Severity::Unknown => (given.level, given.label),
            (Some(given), Some(by_id)) if by_id.level != Severity::Unknown => {
                (by_id.level, given.label)
            }
            (Some(given), _) => (given.level, given.label),
            (None, Some(by_id)) => (by_id.level, by_id.label),
            (None, None) => (Severity::Unknown, Severity::Unknown.as_str().to_owned()),
        };
        let description = obj
            .get("description")
            .and_then(Value::as_str)
            .filter(|text| !text.trim().is_empty())
            .map(str::to_owned);
        Ok(Alert {
            id,
            name,
            severity,
            severity_label,
            timestamp,
            description,
            raw: value,
        })
    }

    /// A best-effort name of the user behind the alert, for the report's "User:" field.
    ///
    /// Looks at common fields ([`USER_FIELDS`]: `user`, `userName`, `userIdentity.arn`,
    /// `actor.user.name`, `email`, …) in the alert itself, then in the first rows of
    /// `results_table` (rows as arrays matched to `columns`, or rows as objects). The first
    /// non-blank string wins; it is trimmed, control characters are escaped and it is cut to
    /// [`MAX_USER_HINT_CHARS`].
    pub fn user_hint(&self) -> Option<String> {
        let obj = self.raw.as_object()?;
        let found = user_in_object(obj)
            .or_else(|| obj.get("results_table").and_then(user_in_results_table))?;
        Some(cap_chars(&escape_for_terminal(found), MAX_USER_HINT_CHARS))
    }
}

/// A severity read from one field: its level and display label.
struct SeverityField {
    level: Severity,
    label: String,
}

/// Reads `severity` or `severity_id`; `None` when absent, null or blank.
fn severity_field(
    obj: &Map<String, Value>,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<SeverityField> {
    let by_id = |id: i64| SeverityField {
        level: Severity::from_ocsf_id(id),
        label: ocsf_label(id).map_or_else(|| id.to_string(), str::to_owned),
    };
    match obj.get(key)? {
        Value::Null => None,
        Value::String(text) if text.trim().is_empty() => None,
        Value::String(text) => {
            if let Some((level, label)) = named_severity(text) {
                Some(SeverityField {
                    level,
                    label: label.to_owned(),
                })
            } else if let Ok(id) = text.trim().parse::<i64>() {
                Some(by_id(id))
            } else {
                Some(SeverityField {
                    level: Severity::Unknown,
                    label: cap_chars(&escape_for_terminal(text.trim()), MAX_SEVERITY_LABEL_CHARS),
                })
            }
        }
        Value::Number(number) => Some(match number.as_i64() {
            Some(id) => by_id(id),
            None => SeverityField {
                level: Severity::Unknown,
                label: number.to_string(),
            },
        }),
        other => {
            problems.push(format!(
                "\"{key}\" must be a string or a number, found {}",
                json_type(other)
            ));
            None
        }
    }
}

/// Reads `id` or `name`: a non-blank string (or, for `id`, an integer).
fn required_text(
    obj: &Map<String, Value>,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    let (rule, types, integer_ok) = if key == "id" {
        (
            "every alert needs a non-empty string or integer id",
            "a string or an integer",
            true,
        )
    } else {
        (
            "every alert needs a non-empty string name",
            "a string",
            false,
        )
    };
    let problem = match obj.get(key) {
        None => format!("missing \"{key}\" ({rule})"),
        Some(Value::String(text)) if text.trim().is_empty() => format!("empty \"{key}\" ({rule})"),
        Some(Value::String(text)) => return Some(text.clone()),
        Some(Value::Number(number)) if integer_ok && (number.is_i64() || number.is_u64()) => {
            return Some(number.to_string());
        }
        Some(other) => format!(
            "\"{key}\" must be {types}, found {} ({rule})",
            json_type(other)
        ),
    };
    problems.push(problem);
    None
}

/// "a string", "an object", …, for error messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_f64() => "a decimal number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value at `path` in `obj`: the literal key first (Scanner columns are dotted names), then
/// nested objects one segment at a time.
fn lookup<'a>(obj: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = obj.get(path) {
        return Some(value);
    }
    let (head, rest) = path.split_once('.')?;
    lookup(obj.get(head)?.as_object()?, rest)
}

fn non_blank(value: &Value) -> Option<&str> {
    value
        .as_str()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

fn user_in_object(obj: &Map<String, Value>) -> Option<&str> {
    USER_FIELDS
        .iter()
        .find_map(|path| lookup(obj, path).and_then(non_blank))
}

fn user_in_results_table(table: &Value) -> Option<&str> {
    let table = table.as_object()?;
    let rows = table.get("rows")?.as_array()?;
    let columns: Vec<Option<&str>> = table
        .get("columns")
        .and_then(Value::as_array)
        .map(|columns| columns.iter().map(column_name).collect())
        .unwrap_or_default();
    rows.iter().take(MAX_HINT_ROWS).find_map(|row| match row {
        Value::Object(obj) => user_in_object(obj),
        Value::Array(cells) => user_in_cells(&columns, cells),
        _ => None,
    })
}

/// A column is its name, or an object with a `name`.
fn column_name(column: &Value) -> Option<&str> {
    match column {
        Value::String(name) => Some(name),
        Value::Object(obj) => obj.get("name").and_then(Value::as_str),
        _ => None,
    }
}

/// Looks for a user field in one array row: a column named like the field, or a column holding
/// an object that contains the rest of the field's path.
fn user_in_cells<'a>(columns: &[Option<&str>], cells: &'a [Value]) -> Option<&'a str> {
    USER_FIELDS.iter().find_map(|path| {
        columns.iter().zip(cells).find_map(|(column, cell)| {
            let column = (*column)?;
            if column == *path {
                return non_blank(cell);
            }
            let rest = path.strip_prefix(column)?.strip_prefix('.')?;
            lookup(cell.as_object()?, rest).and_then(non_blank)
        })
    })
}

/// Triage order: severity, then oldest first (alerts without a timestamp after those with one),
/// then id.
pub fn sort_alerts(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| match (a.timestamp, b.timestamp) {
                (Some(a), Some(b)) => a.cmp(&b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// The alerts of a valid input, in input order (see [`sort_alerts`]), and notes for stderr.
#[derive(Clone, Debug, Default)]
pub struct ParsedAlerts {
    pub alerts: Vec<Alert>,
    /// Exact duplicates that were dropped, one line each (terminal-safe).
    pub warnings: Vec<String>,
}

/// One invalid record of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRecord {
    /// "line 3" (JSON lines, 1-based), "index 2 (0-based)" (array) or "input" (one document).
    pub location: String,
    /// Why, in at most [`MAX_REASON_CHARS`] characters, control characters escaped.
    pub reason: String,
}

/// The alert input has invalid records; nothing may be triaged until they are fixed.
#[derive(Clone, Debug)]
pub struct AlertInputError {
    /// What was read: a path, or "stdin".
    pub source: String,
    /// The invalid records in input order, at most [`MAX_BAD_RECORDS_KEPT`].
    pub bad: Vec<BadRecord>,
    /// How many records are invalid (can exceed `bad.len()`).
    pub invalid: usize,
    /// How many records the input has.
    pub total: usize,
}

impl fmt::Display for AlertInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = if self.total == 1 { "record" } else { "records" };
        let verb = if self.invalid == 1 { "is" } else { "are" };
        write!(
            f,
            "alerts input {}: {} of {} {records} {verb} invalid; nothing was triaged. \
             Fix these records and run again:",
            cap_chars(&escape_for_terminal(&self.source), MAX_REASON_CHARS),
            self.invalid,
            self.total,
        )?;
        for bad in self.bad.iter().take(MAX_BAD_RECORDS_SHOWN) {
            write!(f, "\n  {}: {}", bad.location, bad.reason)?;
        }
        let shown = self.bad.len().min(MAX_BAD_RECORDS_SHOWN);
        if self.invalid > shown {
            write!(
                f,
                "\n  … and {} more invalid records not shown",
                self.invalid - shown
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for AlertInputError {}

/// Where a record is in the input.
#[derive(Clone, Copy, Debug)]
enum Location {
    Input,
    Line(usize),
    Index(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Input => f.write_str("input"),
            Location::Line(line) => write!(f, "line {line}"),
            Location::Index(index) => write!(f, "index {index} (0-based)"),
        }
    }
}

/// A record cut out of the input: its JSON, or why it could not be read.
type Record = (Location, Result<Value, String>);

/// Reads alert input: one JSON object, a JSON array of objects, or JSON lines (one object per
/// line, blank lines ignored), with or without a UTF-8 BOM. Whitespace alone is zero alerts.
///
/// Input starting with `[` is an array; otherwise the whole input is tried as one JSON value
/// (so a pretty-printed object works), and failing that it is read as JSON lines. When no line
/// reads as an object on its own and the first line is not valid JSON either, the input is taken
/// to be one broken multi-line document and reported as such (location "input", serde's line
/// and column) rather than as a line-by-line mess.
///
/// The whole input is validated first (rules in [`Alert::from_value`]); on any bad record the
/// error lists all of them. An exact duplicate of an earlier record (same id, same JSON) is
/// dropped with a warning; a different record reusing an id is a bad record.
/// `source` names the input in messages ("alerts.jsonl", "stdin").
pub fn parse_alerts(input: &[u8], source: &str) -> Result<ParsedAlerts, AlertInputError> {
    let input = input.strip_prefix(UTF8_BOM).unwrap_or(input);
    let records = split_records(input);
    let total = records.len();
    let mut parsed = ParsedAlerts::default();
    let mut bad = Vec::new();
    let mut invalid = 0;
    let mut duplicates = 0;
    let mut seen: HashMap<String, (usize, Location)> = HashMap::new();
    for (location, record) in records {
        let problem = match record.and_then(Alert::from_value) {
            Err(reason) => Some(reason),
            Ok(alert) => match seen.get(&alert.id) {
                None => {
                    seen.insert(alert.id.clone(), (parsed.alerts.len(), location));
                    parsed.alerts.push(alert);
                    None
                }
                Some(&(index, first)) if parsed.alerts[index].raw == alert.raw => {
                    duplicates += 1;
                    if duplicates <= MAX_DUPLICATE_WARNINGS {
                        parsed.warnings.push(format!(
                            "alerts input {}: {location}: exact duplicate of {first} (id {}); \
                             dropped",
                            cap_chars(&escape_for_terminal(source), MAX_REASON_CHARS),
                            quote(&alert.id)
                        ));
                    }
                    None
                }
                Some(&(_, first)) => Some(format!(
                    "id {} is already used by {first}, with different content (ids must be \
                     unique)",
                    quote(&alert.id)
                )),
            },
        };
        if let Some(reason) = problem {
            invalid += 1;
            if bad.len() < MAX_BAD_RECORDS_KEPT {
                bad.push(BadRecord {
                    location: location.to_string(),
                    reason: cap_chars(&escape_for_terminal(&reason), MAX_REASON_CHARS),
                });
            }
        }
    }
    if duplicates > MAX_DUPLICATE_WARNINGS {
        parsed.warnings.push(format!(
            "alerts input {}: … and {} more exact duplicates dropped",
            cap_chars(&escape_for_terminal(source), MAX_REASON_CHARS),
            duplicates - MAX_DUPLICATE_WARNINGS
        ));
    }
    if invalid > 0 {
        return Err(AlertInputError {
            source: source.to_owned(),
            bad,
            invalid,
            total,
        });
    }
    Ok(parsed)
}

/// Cuts the input into records (see [`parse_alerts`] for how the format is chosen).
fn split_records(input: &[u8]) -> Vec<Record> {
    let Some(start) = input.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Vec::new();
    };
    let whole = serde_json::from_slice::<Value>(input);
    if input[start] == b'[' {
        return match whole {
            Ok(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| (Location::Index(index), Ok(item)))
                .collect(),
            Ok(other) => vec![(Location::Input, Ok(other))],
            Err(error) => vec![(Location::Input, Err(document_error(input, &error)))],
        };
    }
    let whole_error = match whole {
        Ok(value) => return vec![(Location::Input, Ok(value))],
        Err(error) => error,
    };
    let lines: Vec<Record> = input
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(index, line)| (Location::Line(index + 1), parse_line(line)))
        .collect();
    let first_line_ok = lines.first().is_some_and(|(_, record)| record.is_ok());
    let any_object = lines
        .iter()
        .any(|(_, record)| matches!(record, Ok(Value::Object(_))));
    if lines.len() > 1 && !first_line_ok && !any_object {
        return vec![(Location::Input, Err(document_error(input, &whole_error)))];
    }
    lines
}

/// Parses one line of JSON lines; errors say the column or byte offset within the line.
fn parse_line(line: &[u8]) -> Result<Value, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if let Some((offset, problem)) = encoding_problem(line) {
        return Err(match problem {
            EncodingProblem::InvalidUtf8(byte) => {
                format!("invalid UTF-8: byte 0x{byte:02X} at offset {offset} of the line (0-based)")
            }
            EncodingProblem::Nul => {
                format!("contains a NUL byte at offset {offset} of the line (0-based)")
            }
        });
    }
    serde_json::from_slice(line).map_err(|error| {
        format!(
            "not valid JSON: {} at column {}",
            bare_message(&error),
            error.column()
        )
    })
}

/// Why a whole document did not parse: the first bad byte if there is one (more precise than
/// serde's message about it), else serde's message with line and column.
fn document_error(input: &[u8], error: &serde_json::Error) -> String {
    let Some((offset, problem)) = encoding_problem(input) else {
        return format!("not valid JSON: {error}");
    };
    let line_start = input[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    let line = input[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset - line_start;
    match problem {
        EncodingProblem::InvalidUtf8(byte) => format!(
            "invalid UTF-8: byte 0x{byte:02X} on line {line} at offset {column} of that line \
             (0-based)"
        ),
        EncodingProblem::Nul => {
            format!("contains a NUL byte on line {line} at offset {column} of that line (0-based)")
        }
    }
}

enum EncodingProblem {
    InvalidUtf8(u8),
    Nul,
}

/// The first byte that is not valid UTF-8 or is NUL, with its offset.
fn encoding_problem(bytes: &[u8]) -> Option<(usize, EncodingProblem)> {
    let nul = bytes.iter().position(|&b| b == 0);
    let invalid = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to());
    match (nul, invalid) {
        (Some(nul), Some(invalid)) if invalid < nul => {
            Some((invalid, EncodingProblem::InvalidUtf8(bytes[invalid])))
        }
        (Some(nul), _) => Some((nul, EncodingProblem::Nul)),
        (None, Some(invalid)) => Some((invalid, EncodingProblem::InvalidUtf8(bytes[invalid]))),
        (None, None) => None,
    }
}

/// serde's message without its " at line L column C" suffix (a line of JSON lines is always
/// line 1 to serde, so the caller says the column itself).
fn bare_message(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match full.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => full,
    }
}

/// The alert's JSON, pretty-printed, for the model (the caller wraps it as untrusted data).
///
/// Every string (value or key) longer than [`MAX_PROMPT_STRING_BYTES`] keeps its first
/// [`MAX_PROMPT_STRING_BYTES`] bytes (at a char boundary) followed by `…[cut N bytes]`. If the
/// text is still longer than `max_bytes`, it is cut at a char boundary and ends with
/// `\n…[alert cut: N of M bytes not shown]`, the whole staying within `max_bytes` (unless
/// `max_bytes` cannot hold even that note, when the note alone is returned).
pub fn render_alert_for_prompt(alert: &Alert, max_bytes: usize) -> String {
    let text = format!("{:#}", cut_long_strings(&alert.raw));
    if text.len() <= max_bytes {
        return text;
    }
    let total = text.len();
    let cut_note = |cut: usize| format!("\n…[alert cut: {cut} of {total} bytes not shown]");
    let keep = floor_char_boundary(&text, max_bytes.saturating_sub(cut_note(total).len()));
    format!("{}{}", &text[..keep], cut_note(total - keep))
}

fn cut_long_strings(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(cut_long_string(text)),
        Value::Array(items) => Value::Array(items.iter().map(cut_long_strings).collect()),
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(key, value)| (cut_long_string(key), cut_long_strings(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn cut_long_string(text: &str) -> String {
    if text.len() <= MAX_PROMPT_STRING_BYTES {
        return text.to_owned();
    }
    let keep = floor_char_boundary(text, MAX_PROMPT_STRING_BYTES);
    format!("{}…[cut {} bytes]", &text[..keep], text.len() - keep)
}

/// The largest char boundary of `text` at or below `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    (0..=index)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// `text` with control and invisible formatting characters (bidi overrides, zero-width) written
/// as `\u{..}`, so input cannot move the cursor, recolour or reorder a terminal line.
fn escape_for_terminal(text: &str) -> String {
    let needs_escape = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            // Writing to a String cannot fail.
            let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// `text` cut to `max` characters, the last one being `…` when something was cut.
fn cap_chars(text: &str, max: usize) -> String {
    if text.chars().nth(max).is_none() {
        return text.to_owned();
    }
    let end = text
        .char_indices()
        .nth(max.saturating_sub(1))
        .map_or(0, |(index, _)| index);
    format!("{}…", &text[..end])
}

/// An input value quoted for a message: short and terminal-safe.
fn quote(text: &str) -> String {
    let head: String = text.chars().take(MAX_QUOTED_CHARS + 1).collect();
    format!(
        "\"{}\"",
        cap_chars(&escape_for_terminal(&head), MAX_QUOTED_CHARS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<ParsedAlerts, AlertInputError> {
        parse_alerts(text.as_bytes(), "alerts.jsonl")
    }

    fn ids(alerts: &[Alert]) -> Vec<&str> {
        alerts.iter().map(|alert| alert.id.as_str()).collect()
    }

    fn alert(value: Value) -> Alert {
        Alert::from_value(value).unwrap()
    }

    fn error_lines(text: &[u8]) -> Vec<String> {
        let error = parse_alerts(text, "alerts.jsonl").unwrap_err();
        error
            .to_string()
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn severity_names_ids_and_labels() {
        let cases = [
            (json!("Critical"), Severity::Critical, "Critical"),
            (json!("critical"), Severity::Critical, "Critical"),
            (json!("Fatal"), Severity::Critical, "Fatal"),
            (json!("HIGH"), Severity::High, "High"),
            (json!(" medium "), Severity::Medium, "Medium"),
            (json!("low"), Severity::Low, "Low"),
            (
                json!("Informational"),
                Severity::Informational,
                "Informational",
            ),
            (
                json!("Information"),
                Severity::Informational,
                "Informational",
            ),
            (json!("INFO"), Severity::Informational, "Informational"),
            (json!("Unknown"), Severity::Unknown, "Unknown"),
            (json!("Other"), Severity::Unknown, "Other"),
            (json!("Sev-A"), Severity::Unknown, "Sev-A"),
            (json!("4"), Severity::High, "High"),
            (json!(0), Severity::Unknown, "Unknown"),
            (json!(1), Severity::Informational, "Informational"),
            (json!(2), Severity::Low, "Low"),
            (json!(3), Severity::Medium, "Medium"),
            (json!(4), Severity::High, "High"),
            (json!(5), Severity::Critical, "Critical"),
            (json!(6), Severity::Critical, "Fatal"),
            (json!(99), Severity::Unknown, "Other"),
            (json!(7), Severity::Unknown, "7"),
            (json!(-1), Severity::Unknown, "-1"),
            (json!(4.5), Severity::Unknown, "4.5"),
        ];
        for (given, level, label) in cases {
            let alert = alert(json!({"id": "a", "name": "n", "severity": given}));
            assert_eq!(
                (alert.severity, alert.severity_label.as_str()),
                (level, label),
                "severity {given}"
            );
        }
    }

    #[test]
    fn severity_id_is_the_fallback() {
        let cases = [
            (json!({"severity_id": 6}), Severity::Critical, "Fatal"),
            (json!({"severity_id": "2"}), Severity::Low, "Low"),
            (
                json!({"severity": null, "severity_id": 3}),
                Severity::Medium,
                "Medium",
            ),
            (
                json!({"severity": "", "severity_id": 3}),
                Severity::Medium,
                "Medium",
            ),
            // An unrecognised name keeps its label; the id gives the level.
            (
                json!({"severity": "Sev-A", "severity_id": 4}),
                Severity::High,
                "Sev-A",
            ),
            // A recognised name wins over the id.
            (
                json!({"severity": "Low", "severity_id": 5}),
                Severity::Low,
                "Low",
            ),
            (json!({}), Severity::Unknown, "Unknown"),
        ];
        for (fields, level, label) in cases {
            let mut value = json!({"id": "a", "name": "n"});
            value
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            let alert = alert(value);
            assert_eq!(
                (alert.severity, alert.severity_label.as_str()),
                (level, label),
                "{fields}"
            );
        }
    }

    #[test]
    fn severity_label_from_input_is_terminal_safe_and_capped() {
        let hostile = alert(json!({"id": "a", "name": "n", "severity": "red\u{1b}[31m"}));
        assert_eq!(hostile.severity_label, "red\\u{1b}[31m");
        let long = alert(json!({"id": "a", "name": "n", "severity": "x".repeat(100)}));
        assert_eq!(long.severity_label, format!("{}…", "x".repeat(63)));
    }

    #[test]
    fn severity_order_names_and_at_least() {
        let mut shuffled = [
            Severity::Unknown,
            Severity::Low,
            Severity::Critical,
            Severity::Informational,
            Severity::High,
            Severity::Medium,
        ];
        shuffled.sort();
        assert_eq!(shuffled, Severity::ALL);
        let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "Critical",
                "High",
                "Medium",
                "Low",
                "Informational",
                "Unknown"
            ]
        );
        assert_eq!(Severity::Informational.to_string(), "Informational");
        assert_eq!(serde_json::to_string(&Severity::High).unwrap(), "\"High\"");
        assert!(Severity::Critical.at_least(Severity::High));
        assert!(Severity::High.at_least(Severity::High));
        assert!(!Severity::Medium.at_least(Severity::High));
        assert!(!Severity::Unknown.at_least(Severity::Informational));
        assert!(Severity::Unknown.at_least(Severity::Unknown));
        assert!(Severity::Informational.at_least(Severity::Unknown));
    }

    #[test]
    fn parse_level_accepts_names_and_aliases() {
        let cases = [
            ("critical", Severity::Critical),
            ("FATAL", Severity::Critical),
            ("High", Severity::High),
            ("medium", Severity::Medium),
            ("low", Severity::Low),
            ("informational", Severity::Informational),
            ("Information", Severity::Informational),
            ("info", Severity::Informational),
            ("unknown", Severity::Unknown),
            ("other", Severity::Unknown),
        ];
        for (text, level) in cases {
            assert_eq!(Severity::parse_level(text), Ok(level), "{text}");
        }
        assert_eq!(
            Severity::parse_level("severe"),
            Err(
                "invalid severity level \"severe\"; valid values: critical, high, medium, low, \
                 informational, unknown (also fatal, info, information, other)"
                    .to_owned()
            )
        );
        assert!(Severity::parse_level("4").is_err());
    }

    #[test]
    fn sort_by_severity_then_oldest_then_id() {
        let input = r#"
{"id": "low-old", "name": "n", "severity": "Low", "timestamp": "2024-01-01T00:00:00Z"}
{"id": "crit-none", "name": "n", "severity": "Critical"}
{"id": "crit-new", "name": "n", "severity": "Critical", "timestamp": "2024-06-01T00:00:00Z"}
{"id": "crit-old", "name": "n", "severity": "Fatal", "timestamp": "2024-03-01T00:00:00+02:00"}
{"id": "unknown", "name": "n", "severity": "Other", "timestamp": "2020-01-01T00:00:00Z"}
{"id": "high-b", "name": "n", "severity": "High", "timestamp": "2024-02-01T00:00:00Z"}
{"id": "high-a", "name": "n", "severity_id": 4, "timestamp": "2024-02-01T00:00:00Z"}
{"id": "info", "name": "n", "severity": "Information"}
{"id": "crit-none-a", "name": "n", "severity": 5}
"#;
        let mut alerts = parse(input).unwrap().alerts;
        sort_alerts(&mut alerts);
        assert_eq!(
            ids(&alerts),
            [
                "crit-old",
                "crit-new",
                "crit-none",
                "crit-none-a",
                "high-a",
                "high-b",
                "low-old",
                "info",
                "unknown"
            ]
        );
    }

    #[test]
    fn single_object_compact_and_pretty() {
        let compact = r#"{"id": "a1", "name": "Root login", "severity": "High"}"#;
        let parsed = parse(compact).unwrap();
        assert_eq!(ids(&parsed.alerts), ["a1"]);
        assert_eq!(parsed.alerts[0].name, "Root login");
        assert!(parsed.warnings.is_empty());

        let value = json!({
            "id": "a2",
            "name": "Root login",
            "description": "Someone logged in as root",
            "severity": "Critical",
            "severity_id": 5,
            "timestamp": "2024-05-01T12:00:00.123Z",
            "detected_in_time_range": {"start": "2024-05-01T11:55:00Z", "end": "2024-05-01T12:00:00Z"},
            "tags": ["tactics.ta0040.impact"],
            "results_table": {"columns": ["user"], "rows": [["root"]], "total_row_count": 1}
        });
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let parsed = parse(&pretty).unwrap();
        assert_eq!(parsed.alerts.len(), 1);
        let alert = &parsed.alerts[0];
        assert_eq!(alert.id, "a2");
        assert_eq!(alert.severity, Severity::Critical);
        assert_eq!(
            alert.timestamp.unwrap().to_string(),
            "2024-05-01T12:00:00.123Z"
        );
        assert_eq!(
            alert.description.as_deref(),
            Some("Someone logged in as root")
        );
        assert_eq!(alert.raw, value);
        // Field order of the input is kept.
        assert_eq!(serde_json::to_string_pretty(&alert.raw).unwrap(), pretty);
    }

    #[test]
    fn array_json_lines_bom_and_empty() {
        let array = r#"[{"id": "a", "name": "n"}, {"id": 2, "name": "m"}]"#;
        assert_eq!(ids(&parse(array).unwrap().alerts), ["a", "2"]);

        let lines =
            "\n{\"id\": \"a\", \"name\": \"n\"}\r\n\n   \n{\"id\": \"b\", \"name\": \"n\"}\n\t\n";
        assert_eq!(ids(&parse(lines).unwrap().alerts), ["a", "b"]);

        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice(br#"{"id": "a", "name": "n"}"#);
        assert_eq!(ids(&parse_alerts(&bom, "x").unwrap().alerts), ["a"]);
        let mut bom_lines = UTF8_BOM.to_vec();
        bom_lines.extend_from_slice(
            b"{\"id\": \"a\", \"name\": \"n\"}\n{\"id\": \"b\", \"name\": \"n\"}\n",
        );
        assert_eq!(
            ids(&parse_alerts(&bom_lines, "x").unwrap().alerts),
            ["a", "b"]
        );

        for empty in ["", "   \n\t\r\n", "[]", "\u{feff}  "] {
            let parsed = parse(empty).unwrap();
            assert!(parsed.alerts.is_empty(), "{empty:?}");
            assert!(parsed.warnings.is_empty(), "{empty:?}");
        }
    }

    #[test]
    fn integer_ids_become_text() {
        let input = r#"[{"id": 42, "name": "n"}, {"id": -7, "name": "n"}, {"id": 18446744073709551615, "name": "n"}]"#;
        assert_eq!(
            ids(&parse(input).unwrap().alerts),
            ["42", "-7", "18446744073709551615"]
        );
    }

    #[test]
    fn every_bad_record_is_listed_with_its_line() {
        let input = [
            r#"{"id": "ok", "name": "fine"}"#,
            r#"{"name": "no id"}"#,
            r#"{"id": "", "name": "empty id"}"#,
            r#"{"id": 1.5, "name": "float id"}"#,
            r#"{"id": true, "name": "bool id"}"#,
            r#"{"id": "n1"}"#,
            r#"{"id": "n2", "name": "  "}"#,
            r#"{"id": "n3", "name": ["x"]}"#,
            r#"{"id": "t1", "name": "n", "timestamp": "yesterday"}"#,
            r#"{"id": "t2", "name": "n", "timestamp": 1714564800000}"#,
            r#"{"id": "t3", "name": "n", "timestamp": "2024-05-01T12:00:00"}"#,
            r#"{"id": "s1", "name": "n", "severity": {"level": 4}}"#,
            r#"{"id": "s2", "name": "n", "severity": ["High"]}"#,
            r#"{"id": "s3", "name": "n", "severity": true}"#,
            r#"{"id": "s4", "name": "n", "severity_id": false}"#,
            r#"["not", "an", "object"]"#,
            r#"42"#,
            r#"{"id": "j1", "name": "n",}"#,
            r#"{"id": "j2", "name": "n""#,
            r#"{"timestamp": "nope"}"#,
        ]
        .join("\n");
        let error = parse(&input).unwrap_err();
        assert_eq!(error.total, 20);
        assert_eq!(error.invalid, 19);
        assert_eq!(
            error.to_string(),
            "alerts input alerts.jsonl: 19 of 20 records are invalid; nothing was triaged. \
             Fix these records and run again:
  line 2: missing \"id\" (every alert needs a non-empty string or integer id)
  line 3: empty \"id\" (every alert needs a non-empty string or integer id)
  line 4: \"id\" must be a string or an integer, found a decimal number (every alert needs a non-empty string or integer id)
  line 5: \"id\" must be a string or an integer, found a boolean (every alert needs a non-empty string or integer id)
  line 6: missing \"name\" (every alert needs a non-empty string name)
  line 7: empty \"name\" (every alert needs a non-empty string name)
  line 8: \"name\" must be a string, found an array (every alert needs a non-empty string name)
  line 9: \"timestamp\" is not an RFC 3339 date-time like 2024-05-01T12:00:00Z: \"yesterday\"
  line 10: \"timestamp\" must be an RFC 3339 string like 2024-05-01T12:00:00Z, found a number
  line 11: \"timestamp\" is not an RFC 3339 date-time like 2024-05-01T12:00:00Z: \"2024-05-01T12:00:00\"
  line 12: \"severity\" must be a string or a number, found an object
  line 13: \"severity\" must be a string or a number, found an array
  line 14: \"severity\" must be a string or a number, found a boolean
  line 15: \"severity_id\" must be a string or a number, found a boolean
  line 16: not a JSON object (found an array); each alert must be an object with at least \"id\" and \"name\"
  line 17: not a JSON object (found a number); each alert must be an object with at least \"id\" and \"name\"
  line 18: not valid JSON: trailing comma at column 26
  line 19: not valid JSON: EOF while parsing an object at column 24
  line 20: missing \"id\" (every alert needs a non-empty string or integer id); missing \"name\" (every alert needs a non-empty string name); \"timestamp\" is not an RFC 3339 date-time like 2024-05-01T12:00:00Z: \"nope\""
        );
        assert_eq!(error.bad[0].location, "line 2");
        assert_eq!(error.source, "alerts.jsonl");
    }

    #[test]
    fn bad_records_in_an_array_and_a_single_object() {
        let array = r#"[{"id": "a", "name": "n"}, {"id": "b"}, "x", {"id": "c", "name": "n"}]"#;
        let error = parse(array).unwrap_err();
        assert_eq!(
            error.to_string(),
            "alerts input alerts.jsonl: 2 of 4 records are invalid; nothing was triaged. \
             Fix these records and run again:
  index 1 (0-based): missing \"name\" (every alert needs a non-empty string name)
  index 2 (0-based): not a JSON object (found a string); each alert must be an object with at least \"id\" and \"name\""
        );

        let single = "{\n  \"name\": \"n\"\n}\n";
        let error = parse(single).unwrap_err();
        assert_eq!(
            error.to_string(),
            "alerts input alerts.jsonl: 1 of 1 record is invalid; nothing was triaged. \
             Fix these records and run again:
  input: missing \"id\" (every alert needs a non-empty string or integer id)"
        );

        assert_eq!(
            error_lines(br#"[{"id": "a", "name": "n"}, ]"#),
            ["  input: not valid JSON: trailing comma at line 1 column 28"]
        );
        assert_eq!(
            error_lines(b"\"just a string\""),
            [
                "  input: not a JSON object (found a string); each alert must be an object with at least \"id\" and \"name\""
            ]
        );
    }

    #[test]
    fn a_broken_pretty_document_is_one_error_not_one_per_line() {
        let broken = "{\n  \"id\": \"a\"\n  \"name\": \"n\",\n  \"tags\": [\n    \"x\"\n  ]\n}\n";
        assert_eq!(
            error_lines(broken.as_bytes()),
            ["  input: not valid JSON: expected `,` or `}` at line 3 column 3"]
        );
        let error = parse(broken).unwrap_err();
        assert_eq!((error.invalid, error.total), (1, 1));

        // JSON lines whose first line is broken are still read line by line…
        let lines = "{\"id\": \"a\", \"name\": \n{\"id\": \"b\", \"name\": \"n\"}\n";
        assert_eq!(
            error_lines(lines.as_bytes()),
            ["  line 1: not valid JSON: EOF while parsing a value at column 20"]
        );
        // …and a file that is not JSON at all is one error about the input.
        assert_eq!(
            error_lines(b"id,name\na,n\n"),
            ["  input: not valid JSON: expected value at line 1 column 1"]
        );
    }

    #[test]
    fn invalid_utf8_and_nul_bytes() {
        let mut lines = b"{\"id\": \"a\", \"name\": \"n\"}\n".to_vec();
        lines.extend_from_slice(b"{\"id\": \"b\", \"name\": \"\xFF\xFE\"}\n");
        lines.extend_from_slice(b"{\"id\": \"c\", \"name\": \"n\0\"}\n");
        lines.extend_from_slice(b"\0\n");
        assert_eq!(
            error_lines(&lines),
            [
                "  line 2: invalid UTF-8: byte 0xFF at offset 21 of the line (0-based)",
                "  line 3: contains a NUL byte at offset 22 of the line (0-based)",
                "  line 4: contains a NUL byte at offset 0 of the line (0-based)",
            ]
        );

        let pretty = b"{\n  \"id\": \"a\",\n  \"name\": \"caf\xE9\"\n}";
        assert_eq!(
            error_lines(pretty),
            ["  input: invalid UTF-8: byte 0xE9 on line 3 at offset 14 of that line (0-based)"]
        );
        let array_nul = b"[\n {\"id\": \"a\",\0 \"name\": \"n\"}\n]";
        assert_eq!(
            error_lines(array_nul),
            ["  input: contains a NUL byte on line 2 at offset 12 of that line (0-based)"]
        );
        // Escaped NUL inside a string is valid JSON and stays data.
        let escaped = br#"{"id": "a", "name": "n\u0000"}"#;
        assert_eq!(parse_alerts(escaped, "x").unwrap().alerts[0].name, "n\u{0}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000);
        assert_eq!(
            error_lines(deep.as_bytes()),
            ["  input: not valid JSON: recursion limit exceeded at line 1 column 128"]
        );
        let deep_object = format!(
            "{{\"id\": \"a\", \"name\": \"n\"}}\n{{\"id\": \"b\", \"name\": \"n\", \"x\": {}}}\n",
            "[".repeat(10_000)
        );
        assert_eq!(
            error_lines(deep_object.as_bytes()),
            ["  line 2: not valid JSON: recursion limit exceeded at column 157"]
        );
        let deep_single = "{\"a\":".repeat(10_000);
        assert_eq!(
            error_lines(deep_single.as_bytes()),
            ["  line 1: not valid JSON: recursion limit exceeded at column 636"]
        );
    }

    #[test]
    fn duplicates_exact_are_dropped_conflicting_are_errors() {
        let input = r#"
{"id": "a", "name": "n", "severity": "High"}
{"id": "b", "name": "n"}
{"severity": "High", "name": "n", "id": "a"}
{"id": "b", "name": "n"}
"#;
        let parsed = parse(input).unwrap();
        assert_eq!(ids(&parsed.alerts), ["a", "b"]);
        assert_eq!(
            parsed.warnings,
            [
                "alerts input alerts.jsonl: line 4: exact duplicate of line 2 (id \"a\"); dropped",
                "alerts input alerts.jsonl: line 5: exact duplicate of line 3 (id \"b\"); dropped",
            ]
        );

        let conflict =
            r#"[{"id": 7, "name": "n"}, {"id": "7", "name": "n"}, {"id": "7", "name": "other"}]"#;
        let error = parse(conflict).unwrap_err();
        assert_eq!(
            error.to_string(),
            "alerts input alerts.jsonl: 2 of 3 records are invalid; nothing was triaged. \
             Fix these records and run again:
  index 1 (0-based): id \"7\" is already used by index 0 (0-based), with different content (ids must be unique)
  index 2 (0-based): id \"7\" is already used by index 0 (0-based), with different content (ids must be unique)"
        );
    }

    #[test]
    fn many_duplicates_are_summarised() {
        let line = r#"{"id": "a", "name": "n"}"#;
        let input = vec![line; MAX_DUPLICATE_WARNINGS + 4].join("\n");
        let parsed = parse(&input).unwrap();
        assert_eq!(parsed.alerts.len(), 1);
        assert_eq!(parsed.warnings.len(), MAX_DUPLICATE_WARNINGS + 1);
        assert_eq!(
            parsed.warnings.last().unwrap(),
            "alerts input alerts.jsonl: … and 3 more exact duplicates dropped"
        );
    }

    #[test]
    fn error_text_is_terminal_safe_and_bounded() {
        let hostile_id = format!("\u{1b}[2J\u{202e}{}", "z".repeat(5000));
        let input = format!(
            "{}\n{}\n{}\n{}\n",
            json!({"id": hostile_id, "name": "n"}),
            json!({"id": hostile_id, "name": "changed"}),
            json!({"id": "t", "name": "n", "timestamp": "\u{7}".repeat(3000)}),
            json!({"timestamp": "x", "severity": [], "severity_id": {}}),
        );
        let error = parse_alerts(input.as_bytes(), "evil\u{1b}]0;title\u{7}.jsonl").unwrap_err();
        let text = error.to_string();
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        assert_eq!(
            text.lines().next().unwrap(),
            "alerts input evil\\u{1b}]0;title\\u{7}.jsonl: 3 of 4 records are invalid; nothing \
             was triaged. Fix these records and run again:"
        );
        assert_eq!(
            error.bad[0].reason,
            format!(
                "id \"\\u{{1b}}[2J\\u{{202e}}{}…\" is already used by line 1, with different \
                 content (ids must be unique)",
                "z".repeat(46)
            )
        );
        // A quoted value is at most MAX_QUOTED_CHARS characters.
        assert_eq!(
            error.bad[1].reason,
            format!(
                "\"timestamp\" is not an RFC 3339 date-time like 2024-05-01T12:00:00Z: \"{}\\u{{…\"",
                "\\u{7}".repeat(12)
            )
        );
        // Several problems in one record: the reason is cut at MAX_REASON_CHARS.
        assert_eq!(error.bad[2].reason.chars().count(), MAX_REASON_CHARS);
        assert!(error.bad[2].reason.starts_with(
            "missing \"id\" (every alert needs a non-empty string or integer id); missing \"name\""
        ));
        assert!(error.bad[2].reason.ends_with('…'));
    }

    #[test]
    fn display_lists_at_most_the_first_bad_records() {
        let input = vec!["{}"; MAX_BAD_RECORDS_SHOWN + 10].join("\n");
        let error = parse(&input).unwrap_err();
        let text = error.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + MAX_BAD_RECORDS_SHOWN + 1);
        assert_eq!(
            lines.last().unwrap(),
            &"  … and 10 more invalid records not shown"
        );

        let input = vec!["{}"; MAX_BAD_RECORDS_KEPT + 5].join("\n");
        let error = parse(&input).unwrap_err();
        assert_eq!(error.bad.len(), MAX_BAD_RECORDS_KEPT);
        assert_eq!(error.invalid, MAX_BAD_RECORDS_KEPT + 5);
    }

    #[test]
    fn timestamps_are_rfc3339_or_null() {
        let parsed = parse(
            r#"[{"id": "a", "name": "n", "timestamp": "2024-05-01T14:00:00+02:00"},
                {"id": "b", "name": "n", "timestamp": null}]"#,
        )
        .unwrap();
        assert_eq!(
            parsed.alerts[0].timestamp.unwrap().to_string(),
            "2024-05-01T12:00:00Z"
        );
        assert_eq!(parsed.alerts[1].timestamp, None);
        let serialized = serde_json::to_value(&parsed.alerts[0]).unwrap();
        assert_eq!(serialized["timestamp"], "2024-05-01T12:00:00Z");
        assert_eq!(serialized["severity"], "Unknown");
    }

    #[test]
    fn megabyte_description_is_accepted_and_cut_for_the_prompt() {
        let description = "a".repeat(1_000_000);
        let input = json!({"id": "big", "name": "n", "description": description}).to_string();
        let alert = &parse(&input).unwrap().alerts[0];
        assert_eq!(alert.description.as_deref().map(str::len), Some(1_000_000));

        let rendered = render_alert_for_prompt(alert, 100_000);
        let expected = format!(
            "{{\n  \"id\": \"big\",\n  \"name\": \"n\",\n  \"description\": \"{}…[cut 995904 bytes]\"\n}}",
            "a".repeat(MAX_PROMPT_STRING_BYTES)
        );
        assert_eq!(rendered, expected);
    }

    #[test]
    fn render_keeps_small_alerts_whole_and_cuts_at_char_boundaries() {
        let small = alert(json!({"id": "a", "name": "n", "n": 1}));
        assert_eq!(
            render_alert_for_prompt(&small, 1000),
            "{\n  \"id\": \"a\",\n  \"name\": \"n\",\n  \"n\": 1\n}"
        );

        // A 4 KiB boundary inside a 3-byte char: the char is dropped whole.
        let text = format!("ab{}", "€".repeat(2000));
        let cut = cut_long_string(&text);
        assert_eq!(cut, format!("ab{}…[cut 1908 bytes]", "€".repeat(1364)));

        // Many short fields: the whole text is cut to max_bytes with a note.
        let tags: Vec<String> = (0..100).map(|i| format!("ü-tag-{i}")).collect();
        let many = alert(json!({"id": "a", "name": "n", "tags": tags}));
        let full = format!("{:#}", many.raw);
        let rendered = render_alert_for_prompt(&many, 300);
        assert!(rendered.len() <= 300, "{}", rendered.len());
        let keep = rendered.rfind("\n…[alert cut: ").unwrap();
        assert!(full.starts_with(&rendered[..keep]));
        assert_eq!(
            &rendered[keep..],
            format!(
                "\n…[alert cut: {} of {} bytes not shown]",
                full.len() - keep,
                full.len()
            )
        );
        // The cut fell inside a multi-byte "ü" or after as many bytes as the note allowed.
        assert!(rendered.len() > 300 - 4, "{}", rendered.len());

        // Too small for the note: the note alone.
        assert_eq!(
            render_alert_for_prompt(&many, 3),
            format!(
                "\n…[alert cut: {} of {} bytes not shown]",
                full.len(),
                full.len()
            )
        );
    }

    #[test]
    fn user_hint_from_common_shapes() {
        let cases = [
            (json!({"user": "alice"}), Some("alice")),
            (json!({"user": {"name": "bob"}}), Some("bob")),
            (json!({"userName": "  carol  "}), Some("carol")),
            (
                json!({"userIdentity": {"arn": "arn:aws:iam::1:role/x", "userName": ""}}),
                Some("arn:aws:iam::1:role/x"),
            ),
            (
                json!({"userIdentity": {"userName": "dave", "arn": "arn:aws:iam::1:user/dave"}}),
                Some("dave"),
            ),
            (json!({"actor": {"user": {"name": "erin"}}}), Some("erin")),
            (json!({"actor": "frank"}), Some("frank")),
            (
                json!({"user": "", "email": "gina@example.com"}),
                Some("gina@example.com"),
            ),
            (
                json!({"results_table": {
                    "columns": ["eventName", "userIdentity.arn"],
                    "rows": [["GetObject", ""], ["PutObject", "arn:aws:iam::1:user/hank"]],
                    "total_row_count": 2
                }}),
                Some("arn:aws:iam::1:user/hank"),
            ),
            (
                json!({"results_table": {
                    "columns": [{"name": "userIdentity"}],
                    "rows": [[{"type": "IAMUser", "userName": "ivy"}]]
                }}),
                Some("ivy"),
            ),
            (
                json!({"results_table": {
                    "columns": ["x"],
                    "rows": [{"x": 1}, {"actor.user.name": "jo"}]
                }}),
                Some("jo"),
            ),
            (
                json!({"user": "top", "results_table": {"columns": ["user"], "rows": [["row"]]}}),
                Some("top"),
            ),
            (json!({"user": 42, "name": "Rule name"}), None),
            (
                json!({"results_table": {"columns": ["user"], "rows": [[null]]}}),
                None,
            ),
        ];
        for (fields, expected) in cases {
            let mut value = json!({"id": "a", "name": "n"});
            value
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            assert_eq!(alert(value).user_hint().as_deref(), expected, "{fields}");
        }
    }

    #[test]
    fn user_hint_is_capped_and_terminal_safe() {
        let long = alert(json!({"id": "a", "name": "n", "user": "u".repeat(1000)}));
        assert_eq!(
            long.user_hint(),
            Some(format!("{}…", "u".repeat(MAX_USER_HINT_CHARS - 1)))
        );
        let hostile = alert(json!({"id": "a", "name": "n", "user": "mallory\u{1b}[0m\n"}));
        assert_eq!(hostile.user_hint().as_deref(), Some("mallory\\u{1b}[0m"));
    }
}
