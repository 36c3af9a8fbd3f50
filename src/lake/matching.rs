//! How one event (or one aggregated row) is tested against a parsed filter: field lookup by
//! dotted path, Scanner's token matching for `:`, exact matching for `=`, wildcards, numeric
//! and text comparisons.
//!
//! Matching follows Scanner's rules: text is compared case-insensitively for ASCII unless the
//! value was double-quoted; `:` matches whole tokens (a token is a run of letters, digits and
//! `_`; everything else is a boundary), and `*` extends a match inside a token (`adm*`).

use serde_json::Value;

use super::query::{Expr, Op, Piece, Value as QValue};

/// The virtual field holding an event's index name.
pub const INDEX_FIELD: &str = "@index";

/// One row as the filter sees it: an event with its index name, or an aggregated row.
#[derive(Clone, Copy, Debug)]
pub struct RowRef<'a> {
    pub index: Option<&'a str>,
    pub value: &'a Value,
}

/// A scalar found at a field path.
#[derive(Clone, Copy, Debug)]
pub enum Leaf<'a> {
    Str(&'a str),
    Num(&'a serde_json::Number),
    Bool(bool),
}

impl Leaf<'_> {
    fn number(&self) -> Option<f64> {
        match self {
            Leaf::Num(n) => n.as_f64(),
            Leaf::Str(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            Leaf::Bool(_) => None,
        }
    }

    /// The text this leaf is matched as.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Leaf::Str(s) => std::borrow::Cow::Borrowed(s),
            Leaf::Num(n) => std::borrow::Cow::Owned(n.to_string()),
            Leaf::Bool(b) => std::borrow::Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }

    pub fn to_value(self) -> Value {
        match self {
            Leaf::Str(s) => Value::String(s.to_string()),
            Leaf::Num(n) => Value::Number(n.clone()),
            Leaf::Bool(b) => Value::Bool(b),
        }
    }
}

/// Calls `f` on every scalar at `path` (arrays are fanned out; an object stands for all the
/// scalars below it; a key may itself contain dots). Stops and returns true as soon as `f`
/// does.
pub fn visit<'a>(row: RowRef<'a>, path: &str, f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
    if path == INDEX_FIELD
        && let Some(index) = row.index
    {
        return f(Leaf::Str(index));
    }
    visit_value(row.value, path, f)
}

fn visit_value<'a>(v: &'a Value, path: &str, f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
    if path.is_empty() {
        return visit_all(v, f);
    }
    match v {
        Value::Array(items) => items.iter().any(|item| visit_value(item, path, f)),
        Value::Object(map) => {
            if let Some(x) = map.get(path)
                && visit_all(x, f)
            {
                return true;
            }
            for (i, _) in path.match_indices('.') {
                if let Some(x) = map.get(&path[..i])
                    && visit_value(x, &path[i + 1..], f)
                {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

/// Every scalar in `v` (nulls are skipped: a null field counts as absent).
pub fn visit_all<'a>(v: &'a Value, f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => f(Leaf::Bool(*b)),
        Value::Number(n) => f(Leaf::Num(n)),
        Value::String(s) => f(Leaf::Str(s)),
        Value::Array(items) => items.iter().any(|x| visit_all(x, f)),
        Value::Object(map) => map.values().any(|x| visit_all(x, f)),
    }
}

/// The value at `path`, for grouping and output: the exact (possibly nested or array) value
/// when the path names one, else the first scalar found through arrays; `Null` when absent.
pub fn value_at(row: RowRef<'_>, path: &str) -> Value {
    if path == INDEX_FIELD
        && let Some(index) = row.index
    {
        return Value::String(index.to_string());
    }
    if let Some(v) = exact(row.value, path) {
        return v.clone();
    }
    let mut first = None;
    visit_value(row.value, path, &mut |leaf| {
        first = Some(leaf.to_value());
        true
    });
    first.unwrap_or(Value::Null)
}

fn exact<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let map = v.as_object()?;
    if let Some(x) = map.get(path) {
        return Some(x);
    }
    for (i, _) in path.match_indices('.') {
        if let Some(x) = map.get(&path[..i]).and_then(|x| exact(x, &path[i + 1..])) {
            return Some(x);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Patterns

/// A value compiled for matching: the text split at its wildcards.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// Literal segments between `*`s (n wildcards give n + 1 segments, possibly empty),
    /// lowercased when matching is case-insensitive.
    segs: Vec<Vec<u8>>,
    case_sensitive: bool,
    /// The value read as a number (unquoted numbers only).
    number: Option<f64>,
    /// The literal text, for ordering comparisons.
    literal: Option<String>,
    /// Only wildcards: an existence test.
    exists: bool,
}

impl Pattern {
    pub fn new(v: &QValue) -> Pattern {
        let mut segs = vec![Vec::new()];
        for p in &v.pieces {
            match p {
                Piece::Star => segs.push(Vec::new()),
                Piece::Text(t) => {
                    let bytes = if v.case_sensitive {
                        t.as_bytes().to_vec()
                    } else {
                        t.as_bytes().to_ascii_lowercase()
                    };
                    if let Some(last) = segs.last_mut() {
                        last.extend_from_slice(&bytes);
                    }
                }
            }
        }
        Pattern {
            segs,
            case_sensitive: v.case_sensitive,
            number: v.number,
            literal: v.literal(),
            exists: v.is_star(),
        }
    }

    fn byte_eq(&self, a: u8, b: u8) -> bool {
        if self.case_sensitive {
            a == b
        } else {
            a.to_ascii_lowercase() == b
        }
    }

    fn eq_at(&self, text: &[u8], at: usize, seg: &[u8]) -> bool {
        at + seg.len() <= text.len()
            && text[at..at + seg.len()]
                .iter()
                .zip(seg)
                .all(|(a, b)| self.byte_eq(*a, *b))
    }

    /// Leftmost position ≥ `from` where `seg` occurs.
    fn find(&self, text: &[u8], from: usize, seg: &[u8]) -> Option<usize> {
        if seg.is_empty() {
            return Some(from.min(text.len()));
        }
        (from..=text.len().saturating_sub(seg.len())).find(|&i| self.eq_at(text, i, seg))
    }

    /// Scanner's `:` — the value occurs in the text on token boundaries; a `*` lets the match
    /// run on inside a token.
    pub fn contains(&self, text: &str) -> bool {
        if self.exists {
            return true;
        }
        let t = text.as_bytes();
        let n = self.segs.len();
        let first = &self.segs[0];
        if n == 1 {
            if first.is_empty() {
                return t.is_empty();
            }
            let mut from = 0;
            while let Some(s) = self.find(t, from, first) {
                if start_ok(t, s) && end_ok(t, s + first.len()) {
                    return true;
                }
                from = s + 1;
            }
            return false;
        }
        let last = &self.segs[n - 1];
        let mids = &self.segs[1..n - 1];
        let mut from = 0;
        loop {
            let start = if first.is_empty() {
                if from > 0 {
                    return false;
                }
                0
            } else {
                match self.find(t, from, first) {
                    Some(s) => s,
                    None => return false,
                }
            };
            from = start + 1;
            if !first.is_empty() && !start_ok(t, start) {
                continue;
            }
            let mut pos = start + first.len();
            let mut ok = true;
            for m in mids {
                match self.find(t, pos, m) {
                    Some(i) => pos = i + m.len(),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                return false;
            }
            if last.is_empty() {
                return true;
            }
            let mut at = pos;
            while let Some(e) = self.find(t, at, last) {
                if end_ok(t, e + last.len()) {
                    return true;
                }
                at = e + 1;
            }
            if first.is_empty() {
                return false;
            }
        }
    }

    /// `=` — the whole text is the value (wildcards match any run of characters).
    pub fn equals(&self, leaf: &Leaf<'_>) -> bool {
        if self.exists {
            return true;
        }
        if let (Some(want), Some(got)) = (self.number, leaf.number()) {
            return want == got;
        }
        let text = leaf.text();
        let t = text.as_bytes();
        let n = self.segs.len();
        if n == 1 {
            return t.len() == self.segs[0].len() && self.eq_at(t, 0, &self.segs[0]);
        }
        let first = &self.segs[0];
        let last = &self.segs[n - 1];
        if first.len() + last.len() > t.len()
            || !self.eq_at(t, 0, first)
            || !self.eq_at(t, t.len() - last.len(), last)
        {
            return false;
        }
        let end = t.len() - last.len();
        let mut pos = first.len();
        for m in &self.segs[1..n - 1] {
            match self.find(&t[..end], pos, m) {
                Some(i) => pos = i + m.len(),
                None => return false,
            }
        }
        true
    }

    /// `>`, `>=`, `<`, `<=`: numerically when both sides are numbers, else as text.
    fn compare(&self, leaf: &Leaf<'_>) -> Option<std::cmp::Ordering> {
        match (leaf.number(), self.number) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            (_, Some(_)) => None,
            (_, None) => {
                let want = self.literal.as_deref()?;
                match leaf {
                    Leaf::Str(s) => Some((*s).cmp(want)),
                    _ => None,
                }
            }
        }
    }
}

/// Bytes that make up tokens: ASCII letters, digits, `_`, and any non-ASCII byte.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn start_ok(t: &[u8], s: usize) -> bool {
    s == 0 || s >= t.len() || !is_word(t[s - 1]) || !is_word(t[s])
}

fn end_ok(t: &[u8], e: usize) -> bool {
    e == 0 || e >= t.len() || !is_word(t[e]) || !is_word(t[e - 1])
}

// ---------------------------------------------------------------------------------------------
// Compiled filters

/// A filter ready to run against rows.
#[derive(Clone, Debug)]
pub enum Filter {
    All,
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Text(Pattern),
    Field {
        path: String,
        op: Op,
        pattern: Pattern,
    },
}

impl Filter {
    pub fn compile(e: &Expr) -> Filter {
        match e {
            Expr::All => Filter::All,
            Expr::And(xs) => Filter::And(xs.iter().map(Filter::compile).collect()),
            Expr::Or(xs) => Filter::Or(xs.iter().map(Filter::compile).collect()),
            Expr::Not(x) => Filter::Not(Box::new(Filter::compile(x))),
            Expr::Text(v) => Filter::Text(Pattern::new(v)),
            Expr::Field { field, op, value } => Filter::Field {
                path: field.clone(),
                op: *op,
                pattern: Pattern::new(value),
            },
        }
    }

    pub fn matches(&self, row: RowRef<'_>) -> bool {
        match self {
            Filter::All => true,
            Filter::And(xs) => xs.iter().all(|x| x.matches(row)),
            Filter::Or(xs) => xs.iter().any(|x| x.matches(row)),
            Filter::Not(x) => !x.matches(row),
            Filter::Text(p) => visit_all(row.value, &mut |leaf| p.contains(&leaf.text())),
            Filter::Field { path, op, pattern } => {
                let mut test = |leaf: Leaf<'_>| match op {
                    Op::Contains => pattern.contains(&leaf.text()),
                    Op::Eq | Op::Ne => pattern.equals(&leaf),
                    Op::Gt => pattern.compare(&leaf).is_some_and(|o| o.is_gt()),
                    Op::Ge => pattern.compare(&leaf).is_some_and(|o| o.is_ge()),
                    Op::Lt => pattern.compare(&leaf).is_some_and(|o| o.is_lt()),
                    Op::Le => pattern.compare(&leaf).is_some_and(|o| o.is_le()),
                };
                let found = visit(row, path, &mut test);
                if *op == Op::Ne { !found } else { found }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::query::parse;
    use serde_json::json;

    fn m(query: &str, event: &Value) -> bool {
        let q = parse(query).unwrap();
        Filter::compile(&q.filter).matches(RowRef {
            index: Some("cloudtrail"),
            value: event,
        })
    }

    #[test]
    fn colon_matches_whole_tokens_case_insensitively() {
        let e = json!({"userIdentity": {"arn": "arn:aws:iam::111122223333:user/jchen"}, "msg": "user-admin-backup ran"});
        assert!(m("userIdentity.arn: jchen", &e));
        assert!(m("userIdentity.arn: JCHEN", &e));
        assert!(m("userIdentity.arn: 'user/jchen'", &e));
        assert!(!m("userIdentity.arn: jch", &e));
        assert!(m("msg: admin", &e));
        assert!(m("msg: 'admin-backup'", &e));
        assert!(!m("msg: dmin", &e));
        assert!(!m("msg: user_admin", &e));
    }

    #[test]
    fn double_quotes_are_case_sensitive() {
        let e = json!({"eventName": "GetObject"});
        assert!(m("eventName: \"GetObject\"", &e));
        assert!(!m("eventName: \"getobject\"", &e));
        assert!(m("eventName: getobject", &e));
        assert!(m("eventName = 'getobject'", &e));
        assert!(!m("eventName = \"getobject\"", &e));
    }

    #[test]
    fn wildcards_extend_tokens() {
        let e = json!({"user": "admin-ops", "ua": "aws-cli/2.15.0 Python/3.11"});
        assert!(m("user: adm*", &e));
        assert!(m("user: *ops", &e));
        assert!(m("user: *dmi*", &e));
        assert!(!m("user: dmi*", &e));
        assert!(m("ua: aws-cli*", &e));
        assert!(m("user = adm*", &e));
        assert!(!m("user = ops*", &e));
        assert!(m("user = a*-*s", &e));
        assert!(m("user: *", &e));
        assert!(!m("missing: *", &e));
    }

    #[test]
    fn ips_match_whole_and_by_octet() {
        let e = json!({"sourceIPAddress": "203.0.113.10"});
        assert!(m("sourceIPAddress: 203.0.113.10", &e));
        assert!(m("sourceIPAddress: 203.0.113*", &e));
        assert!(m("sourceIPAddress: 113", &e));
        assert!(!m("sourceIPAddress: 203.0.113.1", &e));
        assert!(m("sourceIPAddress = 203.0.113.10", &e));
    }

    #[test]
    fn equals_is_the_whole_value_and_numeric_for_numbers() {
        let e = json!({"n": 25, "s": "25", "f": 2.5, "ok": true});
        assert!(m("n = 25", &e));
        assert!(m("n = 25.0", &e));
        assert!(m("s = 25", &e));
        assert!(!m("n = 2", &e));
        assert!(m("f = 2.5", &e));
        assert!(m("ok = true", &e));
        assert!(m("n != 3", &e));
        assert!(m("missing != 3", &e));
        assert!(!m("n != 25", &e));
    }

    #[test]
    fn comparisons_numbers_and_text() {
        let e = json!({"n": 25, "ts": "2026-11-19T05:00:00Z"});
        assert!(m("n > 20", &e));
        assert!(m("n >= 25", &e));
        assert!(!m("n < 25", &e));
        assert!(m("n <= 25", &e));
        assert!(m("ts > \"2026-11-19T00:00:00Z\"", &e));
        assert!(!m("ts < \"2026-11-19T00:00:00Z\"", &e));
        assert!(!m("ts > 5", &e));
    }

    #[test]
    fn arrays_nested_paths_and_dotted_keys() {
        let e = json!({
            "tags": ["tactics.ta0010.exfiltration", "source.aws"],
            "req": {"items": [{"cidr": "10.0.0.0/8"}, {"cidr": "0.0.0.0/0"}]},
            "@q.count": 7,
            "detected_in_time_range": {"start": "2026-11-19T05:00:00Z"}
        });
        assert!(m("tags: exfiltration", &e));
        assert!(m("tags = 'source.aws'", &e));
        assert!(m("req.items.cidr = '0.0.0.0/0'", &e));
        assert!(m("@q.count > 5", &e));
        assert!(m("detected_in_time_range.start: 2026", &e));
        assert!(m("req: '10.0.0.0/8'", &e));
    }

    #[test]
    fn boolean_logic_and_bare_terms() {
        let e = json!({"eventName": "GetObject", "user": "jchen", "code": 200});
        assert!(m("jchen", &e));
        assert!(m("JCHEN getobject", &e));
        assert!(!m("jchen and nobody", &e));
        assert!(m("jchen or nobody", &e));
        assert!(m("not nobody", &e));
        assert!(!m("not jchen", &e));
        assert!(m("(nobody or jchen) and eventName: GetObject", &e));
        assert!(m("nobody or jchen and getobject", &e));
        assert!(!m("(nobody or jchen) and not getobject", &e));
        assert!(m("200", &e));
        assert!(m("*", &e));
        assert!(m("eventName: (PutObject GetObject)", &e));
        assert!(m("eventName: (\"PutObject\", \"GetObject\")", &e));
        assert!(!m("eventName: (PutObject DeleteObject)", &e));
        assert!(m("eventName != (PutObject DeleteObject)", &e));
        assert!(m("@index = cloudtrail", &e));
        assert!(m("@index = (okta cloudtrail)", &e));
        assert!(!m("@index: okta", &e));
    }

    #[test]
    fn value_at_prefers_the_exact_value() {
        let e = json!({"a": {"b": [1, 2]}, "x.y": "dotted", "list": [{"k": "v1"}, {"k": "v2"}]});
        let r = RowRef {
            index: Some("i"),
            value: &e,
        };
        assert_eq!(value_at(r, "a.b"), json!([1, 2]));
        assert_eq!(value_at(r, "x.y"), json!("dotted"));
        assert_eq!(value_at(r, "list.k"), json!("v1"));
        assert_eq!(value_at(r, "nope"), Value::Null);
        assert_eq!(value_at(r, "@index"), json!("i"));
    }
}
