//! The query language of the sample lake: a hand-written lexer and recursive-descent parser for
//! the subset of Scanner's language that triage's prompts and models use.
//!
//! A query is a filter followed by pipe stages:
//!
//! ```text
//! query   := filter? ("|" stage)*
//! filter  := and ("or" and)*
//! and     := unary (["and"] unary)*          -- juxtaposition is an implicit `and`
//! unary   := "not" unary | "(" filter ")" | term
//! term    := field op value | field op "(" value+ ")" | value
//! op      := ":" | "=" | "!=" | ">" | ">=" | "<" | "<="
//! stage   := "count" ["()"] | "groupbycount" cols | "stats" [fn ["as" name]] ("," …)* ["by" cols]
//!          | "head" N | "where" filter
//! ```
//!
//! Errors carry the 1-based column (in characters) where the problem is, so a model can fix
//! its query.

use std::fmt;

use lex::{Tok, Token, column_of, lex};

/// Most rows `| head N` may ask for.
pub const MAX_HEAD: usize = 1_000_000;

/// A query that could not be parsed: what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// 1-based column, in characters, of the problem.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for QueryError {}

impl QueryError {
    /// The message with the query and a caret under the column, for a tool error.
    pub fn explain(&self, query: &str) -> String {
        let line: String = query
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!(
            "query syntax error at column {}: {}\n  {}\n  {}^",
            self.column,
            self.message,
            line,
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

/// One parsed query.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub filter: Expr,
    pub stages: Vec<Stage>,
}

/// A boolean expression over an event's fields.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// Matches everything (an empty filter, or a bare `*`).
    All,
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A value anywhere in the event.
    Text(Value),
    /// `field op value`; a list (`field: (a b)`) is an `Or` of these.
    Field {
        field: String,
        op: Op,
        value: Value,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `:` — the field contains the value (whole tokens, case-insensitive unless double-quoted).
    Contains,
    /// `=` — the field is exactly the value.
    Eq,
    /// `!=` — not exactly the value (true when the field is missing).
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Contains => ":",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// A value to match: literal text with `*` wildcards, and how it was quoted.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub pieces: Vec<Piece>,
    /// Double-quoted: matched case-sensitively.
    pub case_sensitive: bool,
    /// Unquoted text that reads as a number.
    pub number: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Star,
}

impl Value {
    /// The value as written, wildcards as `*`.
    pub fn display(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.replace('*', "\\*"),
                Piece::Star => "*".to_string(),
            })
            .collect()
    }

    /// The literal text (no wildcards), when there is no `*`.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Star => return None,
            }
        }
        Some(out)
    }

    /// Only wildcards: `field: *` tests that the field exists.
    pub fn is_star(&self) -> bool {
        !self.pieces.is_empty() && self.pieces.iter().all(|p| *p == Piece::Star)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// `| count`: one row, `@q.count`.
    Count,
    /// `| groupbycount a, b`: a row per distinct tuple, with `@q.count`.
    GroupByCount(Vec<String>),
    /// `| stats f() as x, … by a, b`.
    Stats { aggs: Vec<Agg>, by: Vec<String> },
    /// `| head N`.
    Head(usize),
    /// `| where expr`.
    Where(Expr),
}

/// One aggregation of `stats`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agg {
    pub func: AggFn,
    /// The column it reads (none for `count()`).
    pub column: Option<String>,
    /// Output column name: the alias, or the function as written (`max(bytes)`).
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFn {
    Count,
    CountDistinct,
    Min,
    Max,
    Sum,
    Avg,
}

impl AggFn {
    fn parse(name: &str) -> Option<AggFn> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => AggFn::Count,
            "countdistinct" => AggFn::CountDistinct,
            "min" => AggFn::Min,
            "max" => AggFn::Max,
            "sum" => AggFn::Sum,
            "avg" => AggFn::Avg,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::CountDistinct => "countdistinct",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::Sum => "sum",
            AggFn::Avg => "avg",
        }
    }
}

/// Parses a query.
pub fn parse(query: &str) -> Result<Query, QueryError> {
    let tokens = lex(query)?;
    let mut p = Parser {
        src: query,
        tokens,
        pos: 0,
    };
    let filter = if p.at_pipe_or_end() {
        Expr::All
    } else {
        p.expr()?
    };
    let mut stages = Vec::new();
    while !p.at_end() {
        match p.peek_kind() {
            Some(Tok::Pipe) => {
                p.pos += 1;
                stages.push(p.stage()?);
            }
            Some(Tok::RParen) => return Err(p.error_here("unexpected `)` with no `(` to close")),
            _ => return Err(p.error_here("expected `|` or the end of the query")),
        }
    }
    Ok(Query { filter, stages })
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

fn keyword(tok: &Tok) -> Option<&'static str> {
    match tok {
        Tok::Word { text, .. } => match text.to_ascii_lowercase().as_str() {
            "and" => Some("and"),
            "or" => Some("or"),
            "not" => Some("not"),
            _ => None,
        },
        _ => None,
    }
}

/// Words that cannot be column names without backticks.
fn is_reserved(text: &str) -> bool {
    ["and", "or", "not", "by", "as"]
        .iter()
        .any(|k| text.eq_ignore_ascii_case(k))
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Word { text, .. } => format!("`{text}`"),
        Tok::Quoted { .. } => "a quoted string".into(),
        Tok::Column(c) => format!("`{c}`"),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Pipe => "`|`".into(),
        Tok::Op(op) => format!("`{}`", op.symbol()),
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_kind(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    fn at_pipe_or_end(&self) -> bool {
        matches!(self.peek_kind(), None | Some(Tok::Pipe))
    }

    fn error_at(&self, byte: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            column: column_of(self.src, byte),
            message: message.into(),
        }
    }

    /// At the current token, or just past the end of the query.
    fn error_here(&self, message: impl Into<String>) -> QueryError {
        let byte = self.peek().map_or(self.src.len(), |t| t.start);
        self.error_at(byte, message)
    }

    /// "found X" or "the query ends", for messages.
    fn found(&self) -> String {
        match self.peek() {
            Some(t) => format!("found {}", describe(&t.tok)),
            None => "the query ends".to_string(),
        }
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.and_expr()?];
        while let Some(t) = self.peek() {
            if keyword(&t.tok) != Some("or") {
                break;
            }
            self.pos += 1;
            if self.at_end_of_expr() {
                return Err(self.error_here(format!(
                    "expected a search term after `or`, but {}",
                    self.found()
                )));
            }
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn at_end_of_expr(&self) -> bool {
        matches!(self.peek_kind(), None | Some(Tok::Pipe) | Some(Tok::RParen))
    }

    fn and_expr(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.unary()?];
        while let Some(t) = self.peek() {
            match keyword(&t.tok) {
                Some("or") => break,
                Some("and") => {
                    self.pos += 1;
                    if self.at_end_of_expr()
                        || self.peek().is_some_and(|t| keyword(&t.tok) == Some("or"))
                    {
                        return Err(self.error_here(format!(
                            "expected a search term after `and`, but {}",
                            self.found()
                        )));
                    }
                }
                _ => {
                    if self.at_end_of_expr() {
                        break;
                    }
                }
            }
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.error_here("expected a search term, but the query ends"));
        };
        if keyword(&t.tok) == Some("not") {
            self.pos += 1;
            if self.at_end_of_expr() {
                return Err(self.error_here(format!(
                    "expected a search term after `not`, but {}",
                    self.found()
                )));
            }
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        match &t.tok {
            Tok::LParen => {
                self.pos += 1;
                if matches!(self.peek_kind(), Some(Tok::RParen)) {
                    return Err(self.error_here("empty parentheses: expected a search term"));
                }
                let inner = self.expr()?;
                match self.peek_kind() {
                    Some(Tok::RParen) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(self.error_here(format!(
                        "expected `)` to close the `(` at column {}, but {}",
                        column_of(self.src, t.start),
                        self.found()
                    ))),
                }
            }
            Tok::RParen => Err(self.error_here("unexpected `)` with no `(` to close")),
            Tok::Comma => Err(self.error_here(
                "unexpected `,` in a search (commas separate columns after `groupbycount`, `stats` and `by`)",
            )),
            Tok::Pipe => Err(self.error_here("expected a search term before `|`")),
            Tok::Op(op) => Err(self.error_here(format!(
                "expected a field name before `{}`",
                op.symbol()
            ))),
            Tok::Word { .. } | Tok::Quoted { .. } | Tok::Column(_) => self.term(),
        }
    }

    /// A field comparison (`field op value`) or a bare value.
    fn term(&mut self) -> Result<Expr, QueryError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.error_here("expected a search term, but the query ends"));
        };
        let next_op = match self.tokens.get(self.pos + 1) {
            Some(Token {
                tok: Tok::Op(op), ..
            }) => Some(*op),
            _ => None,
        };
        if let Some(op) = next_op {
            let field = match &t.tok {
                Tok::Word { text, .. } => text.clone(),
                Tok::Column(c) => c.clone(),
                Tok::Quoted { .. } => {
                    return Err(self.error_at(
                        t.start,
                        "a field name cannot be quoted with ' or \"; use backticks (`field name`)",
                    ));
                }
                _ => return Err(self.error_at(t.start, "expected a field name")),
            };
            self.pos += 2;
            return self.field_value(field, op);
        }
        self.pos += 1;
        let value = match &t.tok {
            Tok::Word { text, pieces } => word_value(text, pieces),
            Tok::Quoted { pieces, double } => quoted_value(pieces, *double),
            Tok::Column(c) => {
                return Err(self.error_at(
                    t.start,
                    format!("the column `{c}` needs an operator and a value, e.g. `{c}`: value"),
                ));
            }
            _ => return Err(self.error_at(t.start, "expected a search term")),
        };
        if value.is_star() {
            return Ok(Expr::All);
        }
        Ok(Expr::Text(value))
    }

    fn field_value(&mut self, field: String, op: Op) -> Result<Expr, QueryError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.error_here(format!(
                "expected a value after `{}`, but the query ends",
                op.symbol()
            )));
        };
        match &t.tok {
            Tok::LParen => {
                if !matches!(op, Op::Contains | Op::Eq | Op::Ne) {
                    return Err(self.error_at(
                        t.start,
                        format!("`{}` takes one value, not a list", op.symbol()),
                    ));
                }
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    let Some(item) = self.peek().cloned() else {
                        return Err(self.error_here(format!(
                            "expected `)` to close the list of values at column {}, but the query ends",
                            column_of(self.src, t.start)
                        )));
                    };
                    match &item.tok {
                        Tok::RParen => {
                            self.pos += 1;
                            break;
                        }
                        Tok::Comma => {
                            self.pos += 1;
                        }
                        Tok::Word { .. } if keyword(&item.tok) == Some("or") && !items.is_empty() => {
                            self.pos += 1;
                        }
                        Tok::Word { text, pieces } => {
                            self.pos += 1;
                            items.push(word_value(text, pieces));
                        }
                        Tok::Quoted { pieces, double } => {
                            self.pos += 1;
                            items.push(quoted_value(pieces, *double));
                        }
                        _ => {
                            return Err(self.error_at(
                                item.start,
                                format!(
                                    "expected a value or `)` in the list of values for `{field}`, but found {}",
                                    describe(&item.tok)
                                ),
                            ));
                        }
                    }
                }
                if items.is_empty() {
                    return Err(self.error_at(t.start, "empty list of values"));
                }
                let inner = if op == Op::Ne { Op::Eq } else { op };
                let mut alts: Vec<Expr> = items
                    .into_iter()
                    .map(|value| Expr::Field {
                        field: field.clone(),
                        op: inner,
                        value,
                    })
                    .collect();
                let any = if alts.len() == 1 {
                    alts.remove(0)
                } else {
                    Expr::Or(alts)
                };
                Ok(if op == Op::Ne {
                    Expr::Not(Box::new(any))
                } else {
                    any
                })
            }
            Tok::Word { .. } | Tok::Quoted { .. } if keyword(&t.tok).is_none() => {
                let value = match &t.tok {
                    Tok::Word { text, pieces } => word_value(text, pieces),
                    Tok::Quoted { pieces, double } => quoted_value(pieces, *double),
                    _ => return Err(self.error_here("expected a value")),
                };
                let ordering = matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le);
                if ordering && value.pieces.contains(&Piece::Star) {
                    return Err(self.error_here(format!(
                        "`{}` compares with one value; wildcards (*) only work with `:` and `=`",
                        op.symbol()
                    )));
                }
                self.pos += 1;
                Ok(Expr::Field { field, op, value })
            }
            _ => Err(self.error_here(format!(
                "expected a value after `{}`, but {} (quote values that are keywords or contain spaces or :()\"'<>=|,)",
                op.symbol(),
                self.found()
            ))),
        }
    }

    // --- pipe stages ---

    fn stage(&mut self) -> Result<Stage, QueryError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.error_here("expected a function after `|`, but the query ends"));
        };
        let Tok::Word { text, .. } = &t.tok else {
            return Err(self.error_here(format!(
                "expected a function after `|`, but {}",
                self.found()
            )));
        };
        self.pos += 1;
        match text.to_ascii_lowercase().as_str() {
            "count" => {
                self.empty_parens()?;
                self.stage_end("count")?;
                Ok(Stage::Count)
            }
            "groupbycount" => {
                let cols = if matches!(self.peek_kind(), Some(Tok::LParen)) {
                    let open = self.peek().map_or(0, |t| t.start);
                    self.pos += 1;
                    let cols = self.columns("groupbycount")?;
                    self.close_paren(open)?;
                    cols
                } else {
                    self.columns("groupbycount")?
                };
                self.stage_end("groupbycount")?;
                Ok(Stage::GroupByCount(cols))
            }
            "stats" => self.stats(),
            "head" | "limit" => {
                let paren = matches!(self.peek_kind(), Some(Tok::LParen));
                let open = self.peek().map_or(0, |t| t.start);
                if paren {
                    self.pos += 1;
                }
                let n = match self.peek().cloned() {
                    Some(Token {
                        tok: Tok::Word { text, .. },
                        start,
                    }) => match text.parse::<usize>() {
                        Ok(n) if (1..=MAX_HEAD).contains(&n) => {
                            self.pos += 1;
                            n
                        }
                        _ => {
                            return Err(self.error_at(
                                start,
                                format!("`head` needs a whole number of rows from 1 to {MAX_HEAD}, found `{text}`"),
                            ));
                        }
                    },
                    _ => {
                        return Err(self.error_here(format!(
                            "`head` needs a number of rows, e.g. `| head 10`, but {}",
                            self.found()
                        )));
                    }
                };
                if paren {
                    self.close_paren(open)?;
                }
                self.stage_end("head")?;
                Ok(Stage::Head(n))
            }
            "where" => {
                if self.at_pipe_or_end() {
                    return Err(self.error_here(format!(
                        "`where` needs a condition, e.g. `| where n > 5`, but {}",
                        self.found()
                    )));
                }
                Ok(Stage::Where(self.expr()?))
            }
            other => Err(self.error_at(
                t.start,
                format!(
                    "unknown function `{other}` after `|`; supported: count, groupbycount, stats, head, where (there is no sort)"
                ),
            )),
        }
    }

    fn stage_end(&self, name: &str) -> Result<(), QueryError> {
        if self.at_pipe_or_end() {
            Ok(())
        } else {
            Err(self.error_here(format!(
                "unexpected {} after `{name}`: expected `|` or the end of the query",
                self.peek().map_or_else(String::new, |t| describe(&t.tok))
            )))
        }
    }

    fn empty_parens(&mut self) -> Result<(), QueryError> {
        if matches!(self.peek_kind(), Some(Tok::LParen)) {
            let open = self.peek().map_or(0, |t| t.start);
            self.pos += 1;
            self.close_paren(open)?;
        }
        Ok(())
    }

    fn close_paren(&mut self, open: usize) -> Result<(), QueryError> {
        if matches!(self.peek_kind(), Some(Tok::RParen)) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_here(format!(
                "expected `)` to close the `(` at column {}, but {}",
                column_of(self.src, open),
                self.found()
            )))
        }
    }

    fn column_name(&mut self, after: &str) -> Result<String, QueryError> {
        match self.peek().cloned() {
            Some(Token {
                tok: Tok::Word { text, .. },
                ..
            }) if !is_reserved(&text) => {
                self.pos += 1;
                Ok(text)
            }
            Some(Token {
                tok: Tok::Column(c),
                ..
            }) => {
                self.pos += 1;
                Ok(c)
            }
            _ => Err(self.error_here(format!(
                "expected a column name after `{after}`, but {}",
                self.found()
            ))),
        }
    }

    /// `a, b, c` (at least one).
    fn columns(&mut self, after: &str) -> Result<Vec<String>, QueryError> {
        let mut cols = vec![self.column_name(after)?];
        while matches!(self.peek_kind(), Some(Tok::Comma)) {
            self.pos += 1;
            cols.push(self.column_name(",")?);
        }
        Ok(cols)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek_kind(), Some(Tok::Word { text, .. }) if text.eq_ignore_ascii_case(word))
    }

    fn stats(&mut self) -> Result<Stage, QueryError> {
        let mut aggs = Vec::new();
        let mut plain = Vec::new();
        if !self.at_pipe_or_end() && !self.is_word("by") {
            while let Some(t) = self.peek().cloned() {
                let is_call = matches!(
                    self.tokens.get(self.pos + 1),
                    Some(Token {
                        tok: Tok::LParen,
                        ..
                    })
                );
                match &t.tok {
                    Tok::Word { text, .. } if is_call => {
                        let Some(func) = AggFn::parse(text) else {
                            return Err(self.error_at(
                                t.start,
                                format!(
                                    "unknown aggregation `{text}()`; supported: count(), countdistinct(col), min(col), max(col), sum(col), avg(col)"
                                ),
                            ));
                        };
                        let open = self.tokens[self.pos + 1].start;
                        self.pos += 2;
                        let column = if matches!(self.peek_kind(), Some(Tok::RParen)) {
                            None
                        } else {
                            Some(self.column_name(&format!("{}(", func.name()))?)
                        };
                        self.close_paren(open)?;
                        match (func, &column) {
                            (AggFn::Count, Some(_)) => {
                                return Err(self.error_at(t.start, "`count()` takes no column; use countdistinct(col) to count distinct values"));
                            }
                            (f, None) if f != AggFn::Count => {
                                return Err(self.error_at(
                                    t.start,
                                    format!(
                                        "`{}()` needs a column, e.g. {}(bytes)",
                                        f.name(),
                                        f.name()
                                    ),
                                ));
                            }
                            _ => {}
                        }
                        let mut name = match &column {
                            Some(c) => format!("{}({c})", func.name()),
                            None => format!("{}()", func.name()),
                        };
                        if self.is_word("as") {
                            self.pos += 1;
                            name = self.column_name("as")?;
                        }
                        aggs.push(Agg { func, column, name });
                    }
                    Tok::Word { .. } | Tok::Column(_) => {
                        let start = t.start;
                        plain.push((start, self.column_name("stats")?));
                    }
                    _ => {
                        return Err(self.error_here(format!(
                            "expected an aggregation such as count() after `stats`, but {}",
                            self.found()
                        )));
                    }
                }
                if matches!(self.peek_kind(), Some(Tok::Comma)) {
                    self.pos += 1;
                    continue;
                }
                break;
            }
        }
        let mut by = Vec::new();
        if self.is_word("by") {
            self.pos += 1;
            by = self.columns("by")?;
        }
        for (start, col) in plain {
            if !by.contains(&col) {
                return Err(self.error_at(
                    start,
                    format!("`{col}` in stats must be an aggregation such as count(), or a column listed after `by`"),
                ));
            }
        }
        self.stage_end("stats")?;
        Ok(Stage::Stats { aggs, by })
    }
}

fn word_value(text: &str, pieces: &[Piece]) -> Value {
    let number = if pieces.contains(&Piece::Star) {
        None
    } else {
        text.parse::<f64>().ok().filter(|n| n.is_finite())
    };
    Value {
        pieces: pieces.to_vec(),
        case_sensitive: false,
        number,
    }
}

fn quoted_value(pieces: &[Piece], double: bool) -> Value {
    Value {
        pieces: pieces.to_vec(),
        case_sensitive: double,
        number: None,
    }
}

mod lex;

#[cfg(test)]
mod tests;
