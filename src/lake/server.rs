//! The lake as an MCP server speaking Scanner's tool surface — `get_scanner_context`,
//! `get_docs`, `get_top_columns`, `execute_query`, `fetch_query_results` (and
//! `fetch_cached_results`, the same) — so triage, or any MCP client, can investigate the sample
//! lake or a directory of exported logs exactly as it would investigate Scanner.
//!
//! Tool results are JSON text. Rows are paged: `execute_query` returns the first rows inline
//! (at most [`INLINE_MAX_ROWS`] and about [`INLINE_MAX_BYTES`]), the rest through
//! `fetch_query_results` with the `result_handle`. Mistakes (a bad query, an unknown handle)
//! come back as tool errors that say what to fix.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};
use serde_json::{Map, Value, json};

use super::docs;
use super::engine::{DEFAULT_MAX_ROWS, Lake, MAX_ROWS_LIMIT, OutputKind, TimeRange, fmt_ms};

/// Rows returned inline by `execute_query`.
pub const INLINE_MAX_ROWS: usize = 50;
/// Bytes of rows returned inline (one row at least), so a result fits the model's tool-result
/// budget (40 kB by default) with its summary.
pub const INLINE_MAX_BYTES: usize = 24_000;
/// Default and largest page of `fetch_query_results`.
pub const PAGE_DEFAULT_ROWS: usize = 50;
pub const PAGE_MAX_ROWS: usize = 500;
/// Bytes of rows in one page (one row at least).
pub const PAGE_MAX_BYTES: usize = 30_000;
/// Results kept for paging; older handles expire.
pub const MAX_STORED_RESULTS: usize = 64;
/// Rows kept for paging over all results (older results expire first), which bounds memory.
pub const MAX_STORED_ROWS: usize = 50_000;
/// Columns listed per index by `get_top_columns`.
pub const TOP_COLUMNS: usize = 40;

/// Where the lake's data comes from, for `get_scanner_context`.
#[derive(Clone, Debug)]
pub enum Origin {
    /// The built-in sample lake.
    Sample,
    /// `--lake-dir`.
    Dir(String),
}

/// The lake a server answers from.
#[derive(Clone)]
enum Source {
    Ready(Arc<Lake>),
    /// The built-in sample, generated on first use (see [`super::sample`]).
    Sample,
}

#[derive(Clone)]
pub struct LakeServer {
    source: Source,
    origin: Origin,
    results: Arc<Mutex<Results>>,
    tool_router: ToolRouter<Self>,
}

#[derive(Default)]
struct Results {
    next: u64,
    items: VecDeque<(String, Arc<Vec<Value>>)>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct QueryArgs {
    /// The query in Scanner's query language, e.g. `@index=cloudtrail userIdentity.userName: jchen | groupbycount eventName`. See get_docs topic `syntax`.
    pub query: String,
    /// Start of the time range, RFC 3339 (e.g. 2026-11-19T00:00:00Z), inclusive. Default: the start of the data.
    #[serde(default)]
    pub from: Option<String>,
    /// End of the time range, RFC 3339, exclusive. Default: the end of the data.
    #[serde(default)]
    pub to: Option<String>,
    /// Most rows to keep for paging (default 1000, at most 10000).
    #[serde(default)]
    pub max_rows: Option<u64>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct FetchArgs {
    /// The result_handle returned by execute_query.
    pub result_handle: String,
    /// First row to return (0-based).
    #[serde(default)]
    pub offset: Option<u64>,
    /// Rows to return (default 50, at most 500; fewer when rows are large).
    #[serde(default)]
    pub limit: Option<u64>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct ColumnsArgs {
    /// Index names, e.g. ["cloudtrail", "_detections"]. Empty: every index.
    #[serde(default, alias = "index_names", alias = "indexes")]
    pub indices: Vec<String>,
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct DocsArgs {
    /// One of: syntax, aggregation, examples, best_practices_and_mistakes.
    #[serde(default)]
    pub topic: Option<String>,
}

fn error(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.into())])
}

fn ok(text: String) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

impl LakeServer {
    pub fn new(lake: Arc<Lake>, origin: Origin) -> LakeServer {
        LakeServer {
            source: Source::Ready(lake),
            origin,
            results: Arc::default(),
            tool_router: Self::tool_router(),
        }
    }

    /// A server over the built-in sample lake. The lake is generated on the first call that
    /// needs it (or by whoever calls [`super::sample`] first), so the server starts at once.
    pub fn sample() -> LakeServer {
        LakeServer {
            source: Source::Sample,
            origin: Origin::Sample,
            results: Arc::default(),
            tool_router: Self::tool_router(),
        }
    }

    fn lake(&self) -> Arc<Lake> {
        match &self.source {
            Source::Ready(lake) => lake.clone(),
            Source::Sample => super::sample(),
        }
    }

    /// `execute_query`: the result text, or the error text.
    pub fn run_query(&self, a: &QueryArgs) -> Result<String, String> {
        let lake = self.lake();
        let range = TimeRange::parse(a.from.as_deref(), a.to.as_deref(), lake.span())?;
        let requested = a.max_rows.map_or(DEFAULT_MAX_ROWS, |n| n as usize);
        if requested == 0 {
            return Err("max_rows must be at least 1".into());
        }
        let out = lake
            .execute(&a.query, &range, requested)
            .map_err(|e| e.explain(&a.query))?;
        let mut notes = out.notes.clone();
        if requested > MAX_ROWS_LIMIT {
            notes.push(format!(
                "max_rows is at most {MAX_ROWS_LIMIT}; {MAX_ROWS_LIMIT} was used"
            ));
        }
        let rows = Arc::new(out.rows);
        let handle = self.store(rows.clone());
        let (inline, next) = page(&rows, 0, INLINE_MAX_ROWS, INLINE_MAX_BYTES);

        let mut m = Map::new();
        m.insert("result_handle".into(), json!(handle));
        m.insert(
            "time_range".into(),
            json!({"from": fmt_ms(range.from_ms), "to": fmt_ms(range.to_ms)}),
        );
        m.insert("indexes_scanned".into(), json!(out.indexes_scanned));
        m.insert("n_bytes_scanned".into(), json!(out.n_bytes_scanned));
        match out.kind {
            OutputKind::Events => {
                m.insert("row_count".into(), json!(out.row_count));
                m.insert("rows_kept".into(), json!(rows.len()));
                if let Some(s) = out.summary {
                    m.insert("summary".into(), s);
                }
            }
            OutputKind::Table => {
                m.insert("columns".into(), json!(out.columns));
                m.insert("row_count".into(), json!(out.row_count));
            }
        }
        if !out.caveats.is_empty() {
            m.insert("results_caveat".into(), json!(out.caveats.join(" ")));
        }
        if !notes.is_empty() {
            m.insert("notes".into(), json!(notes));
        }
        m.insert("rows_returned".into(), json!(inline.len()));
        if let Some(n) = next {
            m.insert(
                "more_rows".into(),
                json!(format!(
                    "{} more rows: call fetch_query_results with result_handle \"{handle}\" and offset {n}",
                    rows.len() - n
                )),
            );
        }
        m.insert("rows".into(), Value::Array(inline));
        Ok(render(&m))
    }

    /// `fetch_query_results`: a page of a stored result.
    pub fn fetch(&self, a: &FetchArgs) -> Result<String, String> {
        let rows = self.lookup(&a.result_handle).ok_or_else(|| {
            format!(
                "unknown result_handle \"{}\": handles come from execute_query and only the most recent results are kept; run the query again",
                a.result_handle.chars().take(80).collect::<String>()
            )
        })?;
        let offset = a.offset.unwrap_or(0) as usize;
        if offset > rows.len() {
            return Err(format!(
                "offset {offset} is past the end: the result has {} rows",
                rows.len()
            ));
        }
        let limit = a
            .limit
            .map_or(PAGE_DEFAULT_ROWS, |n| n as usize)
            .clamp(1, PAGE_MAX_ROWS);
        let (slice, next) = page(&rows, offset, limit, PAGE_MAX_BYTES);
        let mut m = Map::new();
        m.insert("result_handle".into(), json!(a.result_handle));
        m.insert("total_rows".into(), json!(rows.len()));
        m.insert("offset".into(), json!(offset));
        m.insert("rows_returned".into(), json!(slice.len()));
        m.insert("next_offset".into(), next.map_or(Value::Null, |n| json!(n)));
        m.insert("rows".into(), Value::Array(slice));
        Ok(render(&m))
    }

    fn store(&self, rows: Arc<Vec<Value>>) -> String {
        let mut r = self.results.lock().unwrap_or_else(|p| p.into_inner());
        r.next += 1;
        let handle = format!("rh-{}", r.next);
        r.items.push_back((handle.clone(), rows));
        let total = |r: &Results| r.items.iter().map(|(_, rows)| rows.len()).sum::<usize>();
        while r.items.len() > 1
            && (r.items.len() > MAX_STORED_RESULTS || total(&r) > MAX_STORED_ROWS)
        {
            r.items.pop_front();
        }
        handle
    }

    fn lookup(&self, handle: &str) -> Option<Arc<Vec<Value>>> {
        let r = self.results.lock().unwrap_or_else(|p| p.into_inner());
        r.items
            .iter()
            .find(|(h, _)| h == handle.trim())
            .map(|(_, rows)| rows.clone())
    }

    fn context(&self) -> String {
        let lake = self.lake();
        let span = lake.span();
        let mut indexes = Vec::new();
        for i in lake.indexes() {
            let mut e = Map::new();
            e.insert("name".into(), json!(i.name));
            e.insert("events".into(), json!(i.events().len()));
            e.insert("bytes".into(), json!(i.total_bytes()));
            if let Some((a, b)) = i.span() {
                e.insert("first_event".into(), json!(fmt_ms(a)));
                e.insert("last_event".into(), json!(fmt_ms(b)));
            }
            if let Some(d) = &i.description {
                e.insert("description".into(), json!(d));
            }
            indexes.push(Value::Object(e));
        }
        let (lake, span_text, note) = match &self.origin {
            Origin::Sample => (
                "triage's built-in sample lake: 30 days of synthetic logs of Larkspur Analytics, a small company (AWS account 111122223333, Okta, VPN; documentation IP ranges).".to_string(),
                json!({"from": super::LAKE_START, "to": super::LAKE_END}),
                format!(
                    "The data is fixed in time and ends at {}: pass from/to inside this span (a query without from/to covers all of it). Alerts are in _detections from {}.",
                    super::LAKE_END,
                    super::ALERTS_FROM
                ),
            ),
            Origin::Dir(d) => (
                format!("JSON-lines logs loaded from {d} (one file per index)."),
                span.map_or(Value::Null, |(a, b)| json!({"from": fmt_ms(a), "to": fmt_ms(b)})),
                "Pass from/to inside the data's span (a query without from/to covers all of it).".to_string(),
            ),
        };
        let m = json!({
            "lake": lake,
            "data_time_span": span_text,
            "note": note,
            "indexes": indexes,
            "query_syntax": docs::SYNTAX_BRIEF,
            "docs": format!("get_docs topics: {}", docs::TOPICS.join(", ")),
            "tools": "execute_query(query, from, to, max_rows) returns a summary, the first rows and a result_handle; fetch_query_results(result_handle, offset, limit) pages the rows; get_top_columns(indices) lists an index's columns.",
        });
        serde_json::to_string_pretty(&m).unwrap_or_default()
    }

    fn top_columns(&self, indices: &[String]) -> String {
        let lake = self.lake();
        let names: Vec<String> = if indices.is_empty() {
            lake.index_names().iter().map(|s| s.to_string()).collect()
        } else {
            indices.to_vec()
        };
        let mut m = Map::new();
        for name in names {
            let v = match lake.index(name.trim()) {
                Some(i) => {
                    let cols: Vec<Value> = i
                        .columns()
                        .iter()
                        .take(TOP_COLUMNS)
                        .map(|c| json!({"column": c.column, "events": c.events}))
                        .collect();
                    json!({"events": i.events().len(), "columns": cols, "more_columns": i.columns().len().saturating_sub(TOP_COLUMNS)})
                }
                None => {
                    json!({"error": format!("no index named `{name}`; the indexes are: {}", lake.index_names().join(", "))})
                }
            };
            m.insert(name, v);
        }
        serde_json::to_string_pretty(&Value::Object(m)).unwrap_or_default()
    }
}

/// Rows from `offset`: at most `limit` and about `max_bytes` (one row at least), and the next
/// offset when rows remain.
fn page(
    rows: &[Value],
    offset: usize,
    limit: usize,
    max_bytes: usize,
) -> (Vec<Value>, Option<usize>) {
    let mut out = Vec::new();
    let mut bytes = 0;
    for row in rows.iter().skip(offset).take(limit) {
        let n = serde_json::to_string(row).map_or(0, |s| s.len());
        if !out.is_empty() && bytes + n > max_bytes {
            break;
        }
        bytes += n;
        out.push(row.clone());
    }
    let end = offset + out.len();
    (out, (end < rows.len()).then_some(end))
}

/// JSON with one top-level field per line and one row per line: readable, and compact.
fn render(m: &Map<String, Value>) -> String {
    let mut s = String::from("{\n");
    let n = m.len();
    for (i, (k, v)) in m.iter().enumerate() {
        s.push_str(&format!("  {}: ", json!(k)));
        match v {
            Value::Array(rows) if k == "rows" && !rows.is_empty() => {
                s.push_str("[\n");
                for (j, r) in rows.iter().enumerate() {
                    s.push_str("    ");
                    s.push_str(&r.to_string());
                    if j + 1 < rows.len() {
                        s.push(',');
                    }
                    s.push('\n');
                }
                s.push_str("  ]");
            }
            other => s.push_str(&other.to_string()),
        }
        if i + 1 < n {
            s.push(',');
        }
        s.push('\n');
    }
    s.push('}');
    s
}

#[tool_router]
impl LakeServer {
    #[tool(
        description = "Describes the data lake: its indexes (events, time span, what they hold), the query syntax in brief, and the tools. Call it once at the start."
    )]
    fn get_scanner_context(&self) -> CallToolResult {
        ok(self.context())
    }

    #[tool(
        description = "Query language documentation. Topics: syntax, aggregation, examples, best_practices_and_mistakes."
    )]
    fn get_docs(&self, Parameters(a): Parameters<DocsArgs>) -> CallToolResult {
        let name = a.topic.unwrap_or_else(|| "syntax".into());
        match docs::topic(&name) {
            Some(t) => ok(t.to_string()),
            None => error(format!(
                "unknown topic `{}`; topics: {}",
                name.chars().take(60).collect::<String>(),
                docs::TOPICS.join(", ")
            )),
        }
    }

    #[tool(
        description = "The most common columns (field paths) of the given indexes, with how many events have each. Cheap; use it to get field names right."
    )]
    fn get_top_columns(&self, Parameters(a): Parameters<ColumnsArgs>) -> CallToolResult {
        ok(self.top_columns(&a.indices))
    }

    #[tool(
        description = "Runs a query over a time range (from/to, RFC 3339). Returns a summary (fields, top values, counts), the first rows, a result_handle to page the rest, n_bytes_scanned (0 = no data in range) and results_caveat when the result is incomplete."
    )]
    fn execute_query(&self, Parameters(a): Parameters<QueryArgs>) -> CallToolResult {
        match self.run_query(&a) {
            Ok(t) => ok(t),
            Err(e) => error(e),
        }
    }

    #[tool(
        description = "Returns rows of an earlier execute_query result by its result_handle: offset (0-based) and limit (default 50)."
    )]
    fn fetch_query_results(&self, Parameters(a): Parameters<FetchArgs>) -> CallToolResult {
        match self.fetch(&a) {
            Ok(t) => ok(t),
            Err(e) => error(e),
        }
    }

    #[tool(
        description = "Same as fetch_query_results: rows of an earlier result by its result_handle, offset and limit."
    )]
    fn fetch_cached_results(&self, Parameters(a): Parameters<FetchArgs>) -> CallToolResult {
        match self.fetch(&a) {
            Ok(t) => ok(t),
            Err(e) => error(e),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for LakeServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("triage-lake", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "A Scanner-like security data lake. Call get_scanner_context first; query with execute_query (time range in from/to); page rows with fetch_query_results.",
            )
    }
}

/// Serves on stdin/stdout until the client closes the connection.
pub async fn serve_stdio(server: LakeServer) -> Result<(), String> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("the MCP client did not complete the handshake: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| format!("the MCP connection failed: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::engine::{Event, Index, json_len, parse_time};

    fn server() -> LakeServer {
        let events = (0..120)
            .map(|i| {
                let v = json!({"timestamp": format!("2026-11-01T00:{:02}:{:02}Z", i / 60, i % 60), "n": i, "pad": "x".repeat(700)});
                Event { ts_ms: parse_time(v["timestamp"].as_str().unwrap()).unwrap(), bytes: json_len(&v), value: v }
            })
            .collect();
        LakeServer::new(
            Arc::new(Lake::new(vec![Index::new("logs", None, events)])),
            Origin::Dir("/tmp/x".into()),
        )
    }

    fn args(query: &str, max_rows: Option<u64>) -> QueryArgs {
        QueryArgs {
            query: query.into(),
            from: None,
            to: None,
            max_rows,
        }
    }

    #[test]
    fn pages_respect_limit_and_bytes_but_return_at_least_one_row() {
        let rows: Vec<Value> = (0..10)
            .map(|i| json!({"i": i, "s": "y".repeat(100)}))
            .collect();
        let (p, next) = page(&rows, 0, 3, 10_000);
        assert_eq!((p.len(), next), (3, Some(3)));
        let (p, next) = page(&rows, 8, 5, 10_000);
        assert_eq!((p.len(), next), (2, None));
        let (p, next) = page(&rows, 2, 50, 250);
        assert_eq!((p.len(), next), (2, Some(4)));
        let (p, next) = page(&rows, 0, 50, 1);
        assert_eq!((p.len(), next), (1, Some(1)));
    }

    #[test]
    fn results_render_one_row_per_line_as_valid_json() {
        let text = server().run_query(&args("* | head 2", None)).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["row_count"], 2);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "{");
        assert_eq!(lines[1], "  \"result_handle\": \"rh-1\",");
        assert!(
            lines.iter().any(|l| l
                .starts_with("    {\"@index\":\"logs\",\"timestamp\":\"2026-11-01T00:01:59Z\"")),
            "{text}"
        );
        assert_eq!(*lines.last().unwrap(), "}");
    }

    #[test]
    fn inline_rows_are_capped_and_the_rest_is_paged() {
        let s = server();
        let v: Value = serde_json::from_str(&s.run_query(&args("*", None)).unwrap()).unwrap();
        assert_eq!(v["row_count"], 120);
        let n = v["rows_returned"].as_u64().unwrap();
        assert!(n < INLINE_MAX_ROWS as u64 && n > 10, "{n}");
        let v: Value = serde_json::from_str(
            &s.fetch(&FetchArgs {
                result_handle: "rh-1".into(),
                offset: Some(118),
                limit: None,
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(v["rows_returned"], 2);
        assert_eq!(v["rows"][1]["n"], 0);
        assert_eq!(
            s.fetch(&FetchArgs {
                result_handle: "rh-1".into(),
                offset: Some(121),
                limit: None
            })
            .unwrap_err(),
            "offset 121 is past the end: the result has 120 rows"
        );
        assert_eq!(
            s.run_query(&args("*", Some(0))).unwrap_err(),
            "max_rows must be at least 1"
        );
        let v: Value =
            serde_json::from_str(&s.run_query(&args("* | count", Some(20_000))).unwrap()).unwrap();
        assert_eq!(
            v["notes"],
            json!(["max_rows is at most 10000; 10000 was used"])
        );
    }

    #[test]
    fn old_results_expire() {
        let s = server();
        for _ in 0..=MAX_STORED_RESULTS {
            s.run_query(&args("* | count", None)).unwrap();
        }
        assert!(
            s.fetch(&FetchArgs {
                result_handle: "rh-1".into(),
                offset: None,
                limit: None
            })
            .is_err()
        );
        assert!(
            s.fetch(&FetchArgs {
                result_handle: "rh-2".into(),
                offset: None,
                limit: None
            })
            .is_ok()
        );
        // Many rows push out older results too, but never the newest.
        let s = server();
        s.run_query(&args("* | head 3", None)).unwrap();
        for _ in 0..MAX_STORED_ROWS / 120 + 1 {
            s.run_query(&args("*", Some(120))).unwrap();
        }
        assert!(
            s.fetch(&FetchArgs {
                result_handle: "rh-1".into(),
                offset: None,
                limit: None
            })
            .is_err()
        );
    }
}
