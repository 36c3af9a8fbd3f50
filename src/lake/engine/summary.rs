//! The summary of a search result, as Scanner gives one: the fields present, the top values
//! of the most telling fields, and the fields that are the same in every row.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{Hit, TIMESTAMP_FIELD, fmt_ms};
use crate::lake::matching::{INDEX_FIELD, Leaf, visit_all};

/// The summary's top values are computed over at most this many rows (the most recent).
pub const SUMMARY_MAX_ROWS: usize = 10_000;
/// Fields shown with their top values in a summary.
pub const SUMMARY_TOP_FIELDS: usize = 10;
/// Values shown per field in a summary.
pub const SUMMARY_TOP_VALUES: usize = 5;
/// A field with more distinct values than this is not summarised (ids, timestamps).
pub const SUMMARY_MAX_DISTINCT: usize = 200;
/// Field names listed in a summary.
pub const SUMMARY_MAX_FIELDS: usize = 60;
/// Longest value text kept in a summary.
pub const SUMMARY_MAX_VALUE_CHARS: usize = 120;

struct FieldStat {
    rows: usize,
    first_seen: usize,
    /// The last row counted in `rows`.
    last_row: usize,
    /// value text → occurrences; `None` once the field has too many distinct values.
    values: Option<HashMap<String, usize>>,
}

/// Fields present in the rows and the top values of the most telling ones.
pub(super) fn summarize(hits: &[Hit<'_>]) -> Value {
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
    let mut constant = Map::new();
    // Candidates for top values: several distinct values, not unique per row (ids and times say
    // nothing in aggregate). Flags (true/false) come after everything else.
    let mut candidates: Vec<(&String, &HashMap<String, usize>, bool)> = Vec::new();
    for (name, st) in &fields {
        let Some(values) = &st.values else { continue };
        if name.as_str() == TIMESTAMP_FIELD || values.is_empty() {
            continue;
        }
        let distinct = values.len();
        if distinct == 1 {
            if constant.len() < SUMMARY_TOP_FIELDS * 2
                && st.rows == n
                && let Some((v, _)) = values.iter().next()
            {
                constant.insert((*name).clone(), Value::String(cap_chars(v)));
            }
            continue;
        }
        if n > 2 && distinct == st.rows {
            continue;
        }
        let flag = values.keys().all(|k| k == "true" || k == "false");
        candidates.push((name, values, flag));
    }
    candidates.sort_by_key(|c| c.2);
    let mut top = Map::new();
    for (name, values, _) in candidates.into_iter().take(SUMMARY_TOP_FIELDS) {
        let distinct = values.len();
        let mut vals: Vec<(&String, &usize)> = values.iter().collect();
        vals.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut m = Map::new();
        for (v, c) in vals.iter().take(SUMMARY_TOP_VALUES) {
            m.insert(cap_chars(v), json!(c));
        }
        if distinct > SUMMARY_TOP_VALUES {
            let rest: usize = vals.iter().skip(SUMMARY_TOP_VALUES).map(|(_, c)| **c).sum();
            m.insert(
                format!("({} other values)", distinct - SUMMARY_TOP_VALUES),
                json!(rest),
            );
        }
        top.insert(name.clone(), Value::Object(m));
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
