//! `--lake-dir`: the lake over a user's own exported logs — one JSON-lines file per index
//! (`cloudtrail.jsonl` is index `cloudtrail`, alerts in `_detections.jsonl`), every event with
//! an RFC 3339 `timestamp`. Loading is strict: any bad line stops the start with its file and
//! line number, because a silently dropped event could change a verdict.

use std::path::Path;

use serde_json::Value;

use super::engine::{Event, Index, Lake, TIMESTAMP_FIELD, parse_time};

/// File extensions read as JSON lines.
pub const EXTENSIONS: &[&str] = &["jsonl", "ndjson"];
/// Bad lines listed in the error (the rest are counted).
pub const MAX_REPORTED_PROBLEMS: usize = 20;

/// Loads every `*.jsonl` / `*.ndjson` file of `dir` as an index.
pub fn load_dir(dir: &Path) -> Result<Lake, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the lake directory {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| format!("cannot read the lake directory {}: {e}", dir.display()))?;
        let path = entry.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if path.is_file() && EXTENSIONS.contains(&ext) {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "no .jsonl files in {}: put one JSON-lines file per index there (cloudtrail.jsonl becomes index `cloudtrail`; alerts go in _detections.jsonl)",
            dir.display()
        ));
    }
    let mut problems = Vec::new();
    let mut indexes: Vec<Index> = Vec::new();
    for path in &files {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let shown = path
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        if name.is_empty() || name.contains(char::is_whitespace) {
            problems.push(format!(
                "{shown}: the file name must be the index name (no spaces)"
            ));
            continue;
        }
        if indexes.iter().any(|i| i.name == name) {
            problems.push(format!("{shown}: index `{name}` comes from two files"));
            continue;
        }
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let events = parse_lines(&bytes, &shown, &mut problems);
        indexes.push(Index::new(name, None, events));
    }
    if !problems.is_empty() {
        let n = problems.len();
        let mut msg = format!(
            "{n} bad line{} in {}; fix or remove {} and start again:",
            if n == 1 { "" } else { "s" },
            dir.display(),
            if n == 1 { "it" } else { "them" }
        );
        for p in problems.iter().take(MAX_REPORTED_PROBLEMS) {
            msg.push_str("\n  ");
            msg.push_str(p);
        }
        if n > MAX_REPORTED_PROBLEMS {
            msg.push_str(&format!("\n  … and {} more", n - MAX_REPORTED_PROBLEMS));
        }
        return Err(msg);
    }
    Ok(Lake::new(indexes))
}

/// Parses one file's lines into events; problems are `file:line: what`.
fn parse_lines(bytes: &[u8], file: &str, problems: &mut Vec<String>) -> Vec<Event> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut events = Vec::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let n = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            problems.push(format!("{file}:{n}: not valid UTF-8"));
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{file}:{n}: not valid JSON ({e})"));
                continue;
            }
        };
        if !value.is_object() {
            problems.push(format!(
                "{file}:{n}: not a JSON object (each line must be one event)"
            ));
            continue;
        }
        let ts = match value.get(TIMESTAMP_FIELD) {
            Some(Value::String(s)) => match parse_time(s) {
                Ok(ms) => ms,
                Err(why) => {
                    problems.push(format!("{file}:{n}: \"{TIMESTAMP_FIELD}\" {why}"));
                    continue;
                }
            },
            Some(_) => {
                problems.push(format!(
                    "{file}:{n}: \"{TIMESTAMP_FIELD}\" must be an RFC 3339 string such as 2026-11-19T14:03:00Z"
                ));
                continue;
            }
            None => {
                problems.push(format!(
                    "{file}:{n}: no \"{TIMESTAMP_FIELD}\" field (every event needs its time as RFC 3339, e.g. 2026-11-19T14:03:00Z; copy CloudTrail's eventTime or Okta's published into it)"
                ));
                continue;
            }
        };
        events.push(Event {
            ts_ms: ts,
            bytes: line.len() as u64,
            value,
        });
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_files_as_indexes_and_reports_bad_lines_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cloudtrail.jsonl"),
            "{\"timestamp\":\"2026-11-19T01:00:00Z\",\"eventName\":\"GetObject\"}\n\n{\"timestamp\":\"2026-11-19T02:00:00+01:00\",\"eventName\":\"PutObject\"}\r\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let lake = load_dir(dir.path()).unwrap();
        assert_eq!(lake.index_names(), ["cloudtrail"]);
        let idx = lake.index("cloudtrail").unwrap();
        assert_eq!(idx.events().len(), 2);
        // 02:00+01:00 is 01:00Z: same instant, stable order.
        assert_eq!(idx.events()[0].ts_ms, idx.events()[1].ts_ms);

        std::fs::write(
            dir.path().join("okta.jsonl"),
            "{\"timestamp\":\"2026-11-19T01:00:00Z\"}\n{broken\n[1,2]\n{\"x\":1}\n{\"timestamp\":\"yesterday\"}\n{\"timestamp\":17}\n",
        )
        .unwrap();
        let err = load_dir(dir.path()).err().unwrap();
        let lines: Vec<&str> = err.lines().collect();
        assert!(lines[0].starts_with("5 bad lines in "), "{err}");
        assert!(
            lines[1].starts_with(
                "  okta.jsonl:2: not valid JSON (key must be a string at line 1 column 2)"
            ),
            "{err}"
        );
        assert_eq!(
            lines[2],
            "  okta.jsonl:3: not a JSON object (each line must be one event)"
        );
        assert!(
            lines[3].starts_with("  okta.jsonl:4: no \"timestamp\" field"),
            "{err}"
        );
        assert_eq!(
            lines[4],
            "  okta.jsonl:5: \"timestamp\" is not an RFC 3339 time like 2026-11-19T00:00:00Z: \"yesterday\""
        );
        assert_eq!(
            lines[5],
            "  okta.jsonl:6: \"timestamp\" must be an RFC 3339 string such as 2026-11-19T14:03:00Z"
        );
    }

    #[test]
    fn empty_or_missing_directories_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_dir(dir.path()).err().unwrap();
        assert!(err.starts_with("no .jsonl files in "), "{err}");
        let err = load_dir(&dir.path().join("nope")).err().unwrap();
        assert!(err.starts_with("cannot read the lake directory "), "{err}");
    }
}
