//! The lake itself: indexes of JSON events ordered by time, and query execution — filter,
//! time range, pipe stages, and a Scanner-like result (summary with top values, rows,
//! `n_bytes_scanned`, caveats).
//!
//! Rows come back most recent first. Aggregated rows come back largest group first (Scanner has
//! no sort; this order is stable so the same query gives the same answer).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::matching::{Filter, INDEX_FIELD, Leaf, RowRef};
use super::query::{self, Expr, Op, Query, QueryError};

/// The field every event must have: its time, RFC 3339.
pub const TIMESTAMP_FIELD: &str = "timestamp";
/// Default `max_rows`, as Scanner's.
pub const DEFAULT_MAX_ROWS: usize = 1000;
/// Most rows one query keeps for paging.
pub const MAX_ROWS_LIMIT: usize = 10_000;
/// Most groups `groupbycount` and `stats` return (Scanner's limit).
pub const MAX_GROUPS: usize = 1000;

/// One event: its time (ms since the epoch), its JSON, and its size as JSON.
#[derive(Debug)]
pub struct Event {
    pub ts_ms: i64,
    pub value: Value,
    pub bytes: u64,
}

/// One index: events in time order.
#[derive(Debug)]
pub struct Index {
    pub name: String,
    /// What the index holds, for `get_scanner_context`.
    pub description: Option<String>,
    events: Vec<Event>,
    /// `cum_bytes[i]` = bytes of `events[..i]`.
    cum_bytes: Vec<u64>,
    columns: OnceLock<Vec<ColumnStat>>,
}

/// A column of an index and how many events have it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ColumnStat {
    pub column: String,
    pub events: usize,
}

impl Index {
    /// Builds an index; events are sorted by time (stable).
    pub fn new(
        name: impl Into<String>,
        description: Option<String>,
        mut events: Vec<Event>,
    ) -> Index {
        events.sort_by_key(|e| e.ts_ms);
        let mut cum_bytes = Vec::with_capacity(events.len() + 1);
        let mut total = 0;
        cum_bytes.push(0);
        for e in &events {
            total += e.bytes;
            cum_bytes.push(total);
        }
        Index {
            name: name.into(),
            description,
            events,
            cum_bytes,
            columns: OnceLock::new(),
        }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn total_bytes(&self) -> u64 {
        self.cum_bytes.last().copied().unwrap_or(0)
    }

    /// First and last event times.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((self.events.first()?.ts_ms, self.events.last()?.ts_ms))
    }

    /// Event positions within `[from, to)`.
    fn range(&self, r: &TimeRange) -> std::ops::Range<usize> {
        let a = self.events.partition_point(|e| e.ts_ms < r.from_ms);
        let b = self.events.partition_point(|e| e.ts_ms < r.to_ms);
        a..b.max(a)
    }

    /// Every column (dotted path of a scalar) with the number of events that have it, most
    /// common first.
    pub fn columns(&self) -> &[ColumnStat] {
        self.columns.get_or_init(|| {
            // path → (events, first seen, last event counted)
            let mut counts: HashMap<String, (usize, usize, usize)> = HashMap::new();
            let mut path = String::new();
            for (n, e) in self.events.iter().enumerate() {
                collect_paths(&e.value, &mut path, &mut |p| match counts.get_mut(p) {
                    Some(c) if c.2 == n => {}
                    Some(c) => {
                        c.0 += 1;
                        c.2 = n;
                    }
                    None => {
                        let order = counts.len();
                        counts.insert(p.to_string(), (1, order, n));
                    }
                });
            }
            let mut out: Vec<(String, (usize, usize, usize))> = counts.into_iter().collect();
            out.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
            out.into_iter()
                .map(|(column, (events, _, _))| ColumnStat { column, events })
                .collect()
        })
    }

    /// Whether any event has the field (a scalar at `path` or below it). Found fields are
    /// usually found in the first events; the full column list is only built when one is not.
    fn has_column(&self, path: &str) -> bool {
        if let Some(cols) = self.columns.get() {
            return cols.iter().any(|c| {
                c.column == path
                    || (c.column.len() > path.len()
                        && c.column.starts_with(path)
                        && c.column.as_bytes()[path.len()] == b'.')
            });
        }
        self.events.iter().any(|e| {
            let row = RowRef {
                index: Some(&self.name),
                value: &e.value,
            };
            super::matching::visit(row, path, &mut |_| true)
        })
    }
}

/// The length of `v` as compact JSON, without serializing it.
pub fn json_len(v: &Value) -> u64 {
    fn str_len(s: &str) -> u64 {
        2 + s
            .bytes()
            .map(|b| match b {
                b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
                0..=0x1f => 6,
                _ => 1,
            })
            .sum::<u64>()
    }
    match v {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::Number(n) => n.to_string().len() as u64,
        Value::String(s) => str_len(s),
        Value::Array(items) => {
            2 + items.iter().map(json_len).sum::<u64>() + items.len().saturating_sub(1) as u64
        }
        Value::Object(m) => {
            2 + m
                .iter()
                .map(|(k, x)| str_len(k) + 1 + json_len(x))
                .sum::<u64>()
                + m.len().saturating_sub(1) as u64
        }
    }
}

/// Calls `f` with the dotted path of every scalar (arrays don't add a path segment).
fn collect_paths(v: &Value, path: &mut String, f: &mut dyn FnMut(&str)) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                collect_paths(x, path, f);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for x in items {
                collect_paths(x, path, f);
            }
        }
        Value::Null => {}
        _ => f(path),
    }
}

/// A half-open time range `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl TimeRange {
    /// Reads `from`/`to` (RFC 3339; a bare date is midnight UTC). A missing end defaults to the
    /// lake's span, so a query without a range covers all the data.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        span: Option<(i64, i64)>,
    ) -> Result<TimeRange, String> {
        let (lo, hi) = span.map_or((0, 1), |(a, b)| (a, b + 1));
        let from_ms = match from.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => parse_time(s).map_err(|e| format!("`from` {e}"))?,
            None => lo,
        };
        let to_ms = match to.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => parse_time(s).map_err(|e| format!("`to` {e}"))?,
            None => hi.max(from_ms),
        };
        if to_ms < from_ms {
            return Err(format!(
                "the time range ends before it starts: `to` ({}) is earlier than `from` ({})",
                fmt_ms(to_ms),
                fmt_ms(from_ms)
            ));
        }
        Ok(TimeRange { from_ms, to_ms })
    }
}

/// Parses an RFC 3339 time (or `YYYY-MM-DD`, or a date-time without offset, both read as UTC)
/// to milliseconds since the epoch.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>()
        && let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Ok(z.timestamp().as_millisecond());
    }
    Err(format!(
        "is not an RFC 3339 time like 2026-11-19T00:00:00Z: {:?}",
        s.chars().take(60).collect::<String>()
    ))
}

/// Milliseconds since the epoch as RFC 3339 (UTC).
pub fn fmt_ms(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// What kind of rows a query produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// Events (a search, possibly with `where`/`head`).
    Events,
    /// An aggregation table.
    Table,
}

/// The answer to one query.
#[derive(Debug)]
pub struct QueryOutput {
    pub kind: OutputKind,
    /// Table columns (aggregations); empty for events.
    pub columns: Vec<String>,
    /// Rows kept (at most `max_rows`): events with `@index` first, or table rows.
    pub rows: Vec<Value>,
    /// Rows the query produced before the `max_rows` cut.
    pub row_count: usize,
    /// For events: fields present and their top values.
    pub summary: Option<Value>,
    pub n_bytes_scanned: u64,
    pub indexes_scanned: Vec<String>,
    /// Scanner-style caveats: the result is incomplete or there was no data.
    pub caveats: Vec<String>,
    /// Hints about the query itself (unknown fields, unknown indexes).
    pub notes: Vec<String>,
}

/// A set of indexes to query.
#[derive(Debug, Default)]
pub struct Lake {
    indexes: BTreeMap<String, Index>,
}

/// An event found by the filter.
#[derive(Clone, Copy)]
struct Hit<'a> {
    ts_ms: i64,
    index: &'a str,
    value: &'a Value,
}

impl<'a> Hit<'a> {
    fn row(&self) -> RowRef<'a> {
        RowRef {
            index: Some(self.index),
            value: self.value,
        }
    }
}

enum Rows<'a> {
    Events(Vec<Hit<'a>>),
    Table {
        columns: Vec<String>,
        rows: Vec<Value>,
    },
}

impl Lake {
    pub fn new(indexes: Vec<Index>) -> Lake {
        Lake {
            indexes: indexes.into_iter().map(|i| (i.name.clone(), i)).collect(),
        }
    }

    /// Adds (or replaces) an index.
    pub fn insert(&mut self, index: Index) {
        self.indexes.insert(index.name.clone(), index);
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes.get(name)
    }

    pub fn indexes(&self) -> impl Iterator<Item = &Index> {
        self.indexes.values()
    }

    pub fn index_names(&self) -> Vec<&str> {
        self.indexes.keys().map(String::as_str).collect()
    }

    /// First and last event times over every index.
    pub fn span(&self) -> Option<(i64, i64)> {
        let spans: Vec<(i64, i64)> = self.indexes.values().filter_map(Index::span).collect();
        Some((
            spans.iter().map(|s| s.0).min()?,
            spans.iter().map(|s| s.1).max()?,
        ))
    }

    /// Runs a query string.
    pub fn execute(
        &self,
        text: &str,
        range: &TimeRange,
        max_rows: usize,
    ) -> Result<QueryOutput, QueryError> {
        let q = query::parse(text)?;
        Ok(self.run(&q, range, max_rows))
    }

    /// Runs a parsed query.
    pub fn run(&self, q: &Query, range: &TimeRange, max_rows: usize) -> QueryOutput {
        let max_rows = max_rows.clamp(1, MAX_ROWS_LIMIT);
        let names = self.index_names();
        let mut notes = Vec::new();
        let mut caveats = Vec::new();
        let selected: Vec<&Index> = match index_constraint(&q.filter, &names) {
            Some(set) => {
                for wanted in index_literals(&q.filter) {
                    if !names.iter().any(|n| n.eq_ignore_ascii_case(&wanted)) {
                        notes.push(format!(
                            "there is no index named `{wanted}`; the indexes are: {}",
                            names.join(", ")
                        ));
                    }
                }
                self.indexes
                    .values()
                    .filter(|i| set.contains(i.name.as_str()))
                    .collect()
            }
            None => self.indexes.values().collect(),
        };
        unknown_field_notes(&q.filter, &selected, &mut notes);

        let filter = Filter::compile(&q.filter);
        let mut hits = Vec::new();
        let mut scanned = 0u64;
        for index in &selected {
            let r = index.range(range);
            let bytes = index.cum_bytes[r.end] - index.cum_bytes[r.start];
            scanned += bytes;
            if bytes == 0 {
                caveats.push(no_data_caveat(index, range));
            }
            for e in &index.events[r] {
                let row = RowRef {
                    index: Some(&index.name),
                    value: &e.value,
                };
                if filter.matches(row) {
                    hits.push(Hit {
                        ts_ms: e.ts_ms,
                        index: &index.name,
                        value: &e.value,
                    });
                }
            }
        }
        if selected.is_empty() {
            caveats.push(
                "NoData: no index was scanned, so an empty result says nothing about the data."
                    .to_string(),
            );
        }
        // Most recent first; ties in a stable order.
        hits.sort_by(|a, b| b.ts_ms.cmp(&a.ts_ms).then_with(|| a.index.cmp(b.index)));

        let mut rows = Rows::Events(hits);
        for stage in &q.stages {
            rows = stages::apply(stage, rows, &mut caveats, &mut notes);
        }

        let indexes_scanned = selected.iter().map(|i| i.name.clone()).collect();
        match rows {
            Rows::Events(hits) => {
                let row_count = hits.len();
                let summary = summary::summarize(&hits);
                let kept: Vec<Value> = hits.iter().take(max_rows).map(event_row).collect();
                if row_count > kept.len() {
                    caveats.push(format!(
                        "RowLimit: {row_count} rows matched but max_rows is {max_rows}; only the {} most recent are kept. Narrow the query or the time range, or aggregate (| stats count() by field) to see everything.",
                        kept.len()
                    ));
                }
                QueryOutput {
                    kind: OutputKind::Events,
                    columns: Vec::new(),
                    rows: kept,
                    row_count,
                    summary: Some(summary),
                    n_bytes_scanned: scanned,
                    indexes_scanned,
                    caveats,
                    notes,
                }
            }
            Rows::Table { columns, mut rows } => {
                let row_count = rows.len();
                if row_count > max_rows {
                    rows.truncate(max_rows);
                    caveats.push(format!(
                        "RowLimit: the aggregation has {row_count} rows but max_rows is {max_rows}; only the first {max_rows} are kept."
                    ));
                }
                QueryOutput {
                    kind: OutputKind::Table,
                    columns,
                    rows,
                    row_count,
                    summary: None,
                    n_bytes_scanned: scanned,
                    indexes_scanned,
                    caveats,
                    notes,
                }
            }
        }
    }
}

fn no_data_caveat(index: &Index, range: &TimeRange) -> String {
    let span = match index.span() {
        Some((a, b)) => format!("its data covers {} to {}", fmt_ms(a), fmt_ms(b)),
        None => "it is empty".to_string(),
    };
    format!(
        "NoData: index `{}` has no events from {} to {} ({span}); an empty result here is a data gap, not evidence.",
        index.name,
        fmt_ms(range.from_ms),
        fmt_ms(range.to_ms)
    )
}

/// An event as a result row: `@index` first, then its fields.
fn event_row(h: &Hit<'_>) -> Value {
    let mut m = Map::new();
    m.insert(INDEX_FIELD.to_string(), Value::String(h.index.to_string()));
    if let Value::Object(fields) = h.value {
        for (k, v) in fields {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
}

/// The indexes a filter can match at all, when `@index` terms restrict it.
fn index_constraint<'n>(e: &Expr, names: &[&'n str]) -> Option<BTreeSet<&'n str>> {
    match e {
        Expr::Field {
            field,
            op: op @ (Op::Contains | Op::Eq),
            value,
        } if field == INDEX_FIELD => {
            let p = super::matching::Pattern::new(value);
            Some(
                names
                    .iter()
                    .copied()
                    .filter(|n| {
                        if *op == Op::Eq {
                            p.equals(&Leaf::Str(n))
                        } else {
                            p.contains(n)
                        }
                    })
                    .collect(),
            )
        }
        Expr::And(xs) => xs
            .iter()
            .filter_map(|x| index_constraint(x, names))
            .reduce(|a, b| a.intersection(&b).copied().collect()),
        Expr::Or(xs) => {
            let sets: Option<Vec<_>> = xs.iter().map(|x| index_constraint(x, names)).collect();
            sets.map(|s| s.into_iter().flatten().collect())
        }
        _ => None,
    }
}

/// The index names written literally in `@index` terms.
fn index_literals(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    walk_fields(e, &mut |field, value| {
        if field == INDEX_FIELD
            && let Some(l) = value.literal()
        {
            out.push(l);
        }
    });
    out
}

fn walk_fields(e: &Expr, f: &mut dyn FnMut(&str, &query::Value)) {
    match e {
        Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| walk_fields(x, f)),
        Expr::Not(x) => walk_fields(x, f),
        Expr::Field { field, value, .. } => f(field, value),
        Expr::All | Expr::Text(_) => {}
    }
}

/// Notes for fields the filter names that no scanned index has (field names are
/// case-sensitive), with a suggestion when one is close.
fn unknown_field_notes(e: &Expr, indexes: &[&Index], notes: &mut Vec<String>) {
    if indexes.is_empty() {
        return;
    }
    let mut fields = BTreeSet::new();
    walk_fields(e, &mut |field, _| {
        if field != INDEX_FIELD {
            fields.insert(field.to_string());
        }
    });
    for field in fields {
        if indexes.iter().any(|i| i.has_column(&field)) {
            continue;
        }
        let lower = field.to_ascii_lowercase();
        let suffix = format!(".{lower}");
        let suggestion = indexes
            .iter()
            .flat_map(|i| i.columns().iter())
            .map(|c| c.column.as_str())
            .find(|c| {
                let cl = c.to_ascii_lowercase();
                cl == lower || cl.ends_with(&suffix)
            });
        let names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
        notes.push(match suggestion {
            Some(s) => format!(
                "field `{field}` does not exist in {}; did you mean `{s}`? (field names are case-sensitive)",
                names.join(", ")
            ),
            None => format!(
                "field `{field}` does not exist in {} (field names are case-sensitive; get_top_columns lists them)",
                names.join(", ")
            ),
        });
    }
}

mod stages;
mod summary;

pub use stages::COUNT_COLUMN;
pub use summary::SUMMARY_MAX_ROWS;

#[cfg(test)]
mod tests;
