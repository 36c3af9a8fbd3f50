//! The pipe stages after the search: `where`, `head`, `count`, `groupbycount` and `stats`
//! (with its aggregation functions). Aggregated rows come back largest group first.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::{MAX_GROUPS, Rows, walk_fields};
use crate::lake::matching::{Filter, Leaf, RowRef, value_at, visit};
use crate::lake::query::{Agg, AggFn, Stage};

pub(super) fn apply<'a>(
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
