//! The lake itself: indexes of JSON events ordered by time, and query execution — filter,
//! time range, pipe stages, and a Scanner-like result (summary with top values, rows,
//! `n_bytes_scanned`, caveats).
//!
//! Rows come back most recent first. Aggregated rows come back largest group first (Scanner has
//! no sort; this order is stable so the same query gives the same answer).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::matching::{Filter, INDEX_FIELD, Leaf, RowRef, value_at, visit, visit_all};
use super::query::{self, Agg, AggFn, Expr, Op, Query, QueryError, Stage};

/// The field every event must have: its time, RFC 3339.
pub const TIMESTAMP_FIELD: &str = "timestamp";
/// Default `max_rows`, as Scanner's.
pub const DEFAULT_MAX_ROWS: usize = 1000;
/// Most rows one query keeps for paging.
pub const MAX_ROWS_LIMIT: usize = 10_000;
/// Most groups `groupbycount` and `stats` return (Scanner's limit).
pub const MAX_GROUPS: usize = 1000;
/// The summary's top values are computed over at most this many rows (the most recent).
pub const SUMMARY_MAX_ROWS: usize = 10_000;
/// Fields shown with their top values in a summary.
const SUMMARY_TOP_FIELDS: usize = 8;
/// Values shown per field in a summary.
const SUMMARY_TOP_VALUES: usize = 5;
/// A field with more distinct values than this is not summarised (ids, timestamps).
const SUMMARY_MAX_DISTINCT: usize = 200;
/// Field names listed in a summary.
const SUMMARY_MAX_FIELDS: usize = 60;
/// Longest value text kept in a summary.
const SUMMARY_MAX_VALUE_CHARS: usize = 120;

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

    fn has_column(&self, path: &str) -> bool {
        self.columns().iter().any(|c| {
            c.column == path
                || (c.column.len() > path.len()
                    && c.column.starts_with(path)
                    && c.column.as_bytes()[path.len()] == b'.')
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
            rows = apply(stage, rows, &mut caveats, &mut notes);
        }

        let indexes_scanned = selected.iter().map(|i| i.name.clone()).collect();
        match rows {
            Rows::Events(hits) => {
                let row_count = hits.len();
                let summary = summarize(&hits);
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

// ---------------------------------------------------------------------------------------------
// Pipe stages

fn apply<'a>(
    stage: &Stage,
    rows: Rows<'a>,
    caveats: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Rows<'a> {
    match stage {
        Stage::Head(n) => match rows {
            Rows::Events(mut h) => {
                h.truncate(*n);
                Rows::Events(h)
            }
            Rows::Table { columns, mut rows } => {
                rows.truncate(*n);
                Rows::Table { columns, rows }
            }
        },
        Stage::Where(expr) => {
            let f = Filter::compile(expr);
            match rows {
                Rows::Events(h) => {
                    Rows::Events(h.into_iter().filter(|x| f.matches(x.row())).collect())
                }
                Rows::Table { columns, rows } => {
                    walk_fields(expr, &mut |field, _| {
                        if !columns.iter().any(|c| c == field) {
                            notes.push(format!(
                                "`where` names `{field}`, which is not a column of the table before it; the columns are: {}",
                                columns.join(", ")
                            ));
                        }
                    });
                    let rows = rows
                        .into_iter()
                        .filter(|r| {
                            f.matches(RowRef {
                                index: None,
                                value: r,
                            })
                        })
                        .collect();
                    Rows::Table { columns, rows }
                }
            }
        }
        Stage::Count => {
            let n = match &rows {
                Rows::Events(h) => h.len(),
                Rows::Table { rows, .. } => rows.len(),
            };
            Rows::Table {
                columns: vec![COUNT_COLUMN.to_string()],
                rows: vec![json!({ COUNT_COLUMN: n })],
            }
        }
        Stage::GroupByCount(cols) => group(&rows, cols, &[], caveats),
        Stage::Stats { aggs, by } => group(&rows, by, aggs, caveats),
    }
}

/// The count column of every aggregation, as Scanner names it.
pub const COUNT_COLUMN: &str = "@q.count";

/// Running state of one aggregation in one group.
#[derive(Clone)]
enum AggState {
    Count(u64),
    Distinct(HashSet<String>),
    Extreme(Option<Value>),
    Sum { total: f64, n: u64 },
}

impl AggState {
    fn new(a: &Agg) -> AggState {
        match a.func {
            AggFn::Count => AggState::Count(0),
            AggFn::CountDistinct => AggState::Distinct(HashSet::new()),
            AggFn::Min | AggFn::Max => AggState::Extreme(None),
            AggFn::Sum | AggFn::Avg => AggState::Sum { total: 0.0, n: 0 },
        }
    }

    fn add(&mut self, a: &Agg, row: RowRef<'_>) {
        let col = a.column.as_deref().unwrap_or("");
        match self {
            AggState::Count(n) => *n += 1,
            AggState::Distinct(set) => {
                let v = value_at(row, col);
                if !v.is_null() {
                    set.insert(v.to_string());
                }
            }
            AggState::Extreme(best) => {
                visit(row, col, &mut |leaf| {
                    let v = leaf.to_value();
                    let better = match best.as_ref() {
                        None => true,
                        Some(cur) => {
                            let ord = compare_values(&v, cur);
                            if a.func == AggFn::Min {
                                ord.is_lt()
                            } else {
                                ord.is_gt()
                            }
                        }
                    };
                    if better {
                        *best = Some(v);
                    }
                    false
                });
            }
            AggState::Sum { total, n } => {
                visit(row, col, &mut |leaf| {
                    let num = match leaf {
                        Leaf::Num(x) => x.as_f64(),
                        Leaf::Str(s) => s.trim().parse::<f64>().ok(),
                        Leaf::Bool(_) => None,
                    };
                    if let Some(x) = num.filter(|x| x.is_finite()) {
                        *total += x;
                        *n += 1;
                    }
                    false
                });
            }
        }
    }

    fn finish(&self, a: &Agg) -> Value {
        match self {
            AggState::Count(n) => json!(n),
            AggState::Distinct(set) => json!(set.len()),
            AggState::Extreme(v) => v.clone().unwrap_or(Value::Null),
            AggState::Sum { total, n } => match a.func {
                AggFn::Avg if *n == 0 => Value::Null,
                AggFn::Avg => number(total / *n as f64),
                _ => number(*total),
            },
        }
    }
}

/// A JSON number, integral when it is one.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// Numbers numerically, then text; numbers sort before text.
fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Value::Number(_), _) => std::cmp::Ordering::Less,
        (_, Value::Number(_)) => std::cmp::Ordering::Greater,
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

struct Group {
    key: Vec<Value>,
    count: u64,
    aggs: Vec<AggState>,
}

fn group(rows: &Rows<'_>, by: &[String], aggs: &[Agg], caveats: &mut Vec<String>) -> Rows<'static> {
    let mut groups: HashMap<String, Group> = HashMap::new();
    let mut add = |row: RowRef<'_>| {
        let key: Vec<Value> = by.iter().map(|c| value_at(row, c)).collect();
        let k = serde_json::to_string(&key).unwrap_or_default();
        let g = groups.entry(k).or_insert_with(|| Group {
            key,
            count: 0,
            aggs: aggs.iter().map(AggState::new).collect(),
        });
        g.count += 1;
        for (state, a) in g.aggs.iter_mut().zip(aggs) {
            state.add(a, row);
        }
    };
    match rows {
        Rows::Events(h) => h.iter().for_each(|x| add(x.row())),
        Rows::Table { rows, .. } => rows.iter().for_each(|r| {
            add(RowRef {
                index: None,
                value: r,
            })
        }),
    }
    // With no `by`, an aggregation over nothing is still one row (count 0).
    if by.is_empty() && groups.is_empty() {
        groups.insert(
            String::new(),
            Group {
                key: Vec::new(),
                count: 0,
                aggs: aggs.iter().map(AggState::new).collect(),
            },
        );
    }
    let mut list: Vec<(String, Group)> = groups.into_iter().collect();
    list.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
    let total = list.len();
    if total > MAX_GROUPS {
        list.truncate(MAX_GROUPS);
        caveats.push(format!(
            "GroupLimit: {total} groups; only the {MAX_GROUPS} largest are returned. Filter more narrowly or group by fewer columns."
        ));
    }
    let mut columns: Vec<String> = by.to_vec();
    columns.push(COUNT_COLUMN.to_string());
    for a in aggs {
        if !columns.contains(&a.name) {
            columns.push(a.name.clone());
        }
    }
    let rows = list
        .into_iter()
        .map(|(_, g)| {
            let mut m = Map::new();
            for (c, v) in by.iter().zip(g.key) {
                m.insert(c.clone(), v);
            }
            m.insert(COUNT_COLUMN.to_string(), json!(g.count));
            for (state, a) in g.aggs.iter().zip(aggs) {
                m.entry(a.name.clone()).or_insert_with(|| state.finish(a));
            }
            Value::Object(m)
        })
        .collect();
    Rows::Table { columns, rows }
}

// ---------------------------------------------------------------------------------------------
// Summary

struct FieldStat {
    rows: usize,
    first_seen: usize,
    /// The last row counted in `rows`.
    last_row: usize,
    /// value text → occurrences; `None` once the field has too many distinct values.
    values: Option<HashMap<String, usize>>,
}

/// Fields present in the rows and the top values of the most telling ones.
fn summarize(hits: &[Hit<'_>]) -> Value {
    let sample = &hits[..hits.len().min(SUMMARY_MAX_ROWS)];
    let mut stats: HashMap<String, FieldStat> = HashMap::new();
    let mut path = String::new();
    let count = |stats: &mut HashMap<String, FieldStat>, row: usize, p: &str, text: &str| {
        let n = stats.len();
        let st = match stats.get_mut(p) {
            Some(st) => st,
            None => stats.entry(p.to_string()).or_insert(FieldStat {
                rows: 0,
                first_seen: n,
                last_row: usize::MAX,
                values: Some(HashMap::new()),
            }),
        };
        if st.last_row != row {
            st.rows += 1;
            st.last_row = row;
        }
        if let Some(map) = st.values.as_mut() {
            match map.get_mut(text) {
                Some(c) => *c += 1,
                None => {
                    map.insert(text.to_string(), 1);
                }
            }
            if map.len() > SUMMARY_MAX_DISTINCT {
                st.values = None;
            }
        }
    };
    for (row, h) in sample.iter().enumerate() {
        count(&mut stats, row, INDEX_FIELD, h.index);
        collect_leaf_values(h.value, &mut path, &mut |p, leaf| {
            count(&mut stats, row, p, &leaf.text());
        });
    }
    let mut fields: Vec<(&String, &FieldStat)> = stats.iter().collect();
    fields.sort_by(|a, b| {
        b.1.rows
            .cmp(&a.1.rows)
            .then(a.1.first_seen.cmp(&b.1.first_seen))
    });

    let n = sample.len();
    let mut top = Map::new();
    let mut constant = Map::new();
    for (name, st) in &fields {
        let Some(values) = &st.values else { continue };
        if name.as_str() == TIMESTAMP_FIELD || values.is_empty() {
            continue;
        }
        let distinct = values.len();
        // Unique per row: ids and times say nothing in aggregate.
        if n > 2 && distinct == st.rows && distinct > 1 {
            continue;
        }
        if distinct == 1 {
            if constant.len() < SUMMARY_TOP_FIELDS * 2
                && st.rows == n
                && let Some((v, _)) = values.iter().next()
            {
                constant.insert((*name).clone(), Value::String(cap_chars(v)));
            }
            continue;
        }
        if top.len() >= SUMMARY_TOP_FIELDS {
            continue;
        }
        let mut vals: Vec<(&String, &usize)> = values.iter().collect();
        vals.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut m = Map::new();
        for (v, c) in vals.iter().take(SUMMARY_TOP_VALUES) {
            m.insert(cap_chars(v), json!(c));
        }
        if distinct > SUMMARY_TOP_VALUES {
            m.insert(
                format!("({} other values)", distinct - SUMMARY_TOP_VALUES),
                json!(
                    vals.iter()
                        .skip(SUMMARY_TOP_VALUES)
                        .map(|(_, c)| **c)
                        .sum::<usize>()
                ),
            );
        }
        top.insert((*name).clone(), Value::Object(m));
    }
    let names: Vec<&String> = fields
        .iter()
        .map(|(n, _)| *n)
        .take(SUMMARY_MAX_FIELDS)
        .collect();
    let mut out = Map::new();
    out.insert("fields".into(), json!(names));
    if fields.len() > SUMMARY_MAX_FIELDS {
        out.insert(
            "more_fields".into(),
            json!(fields.len() - SUMMARY_MAX_FIELDS),
        );
    }
    if let (Some(first), Some(last)) = (hits.last(), hits.first()) {
        out.insert("first_timestamp".into(), json!(fmt_ms(first.ts_ms)));
        out.insert("last_timestamp".into(), json!(fmt_ms(last.ts_ms)));
    }
    out.insert("top_values".into(), Value::Object(top));
    if !constant.is_empty() {
        out.insert("same_in_every_row".into(), Value::Object(constant));
    }
    if hits.len() > sample.len() {
        out.insert(
            "summary_note".into(),
            json!(format!(
                "computed over the {} most recent of {} rows",
                sample.len(),
                hits.len()
            )),
        );
    }
    Value::Object(out)
}

fn collect_leaf_values<'a>(v: &'a Value, path: &mut String, f: &mut dyn FnMut(&str, Leaf<'a>)) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                collect_leaf_values(x, path, f);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for x in items {
                collect_leaf_values(x, path, f);
            }
        }
        other => {
            visit_all(other, &mut |leaf| {
                f(path, leaf);
                false
            });
        }
    }
}

fn cap_chars(s: &str) -> String {
    if s.chars().count() <= SUMMARY_MAX_VALUE_CHARS {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(SUMMARY_MAX_VALUE_CHARS).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests;
