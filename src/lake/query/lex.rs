//! The lexer of the query language: words (with `*` wildcards and `\` escapes), quoted
//! strings, backtick-quoted column names, operators and punctuation, each with its position.

use super::{Op, Piece, QueryError};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    /// A bare word; `pieces` has its wildcards.
    Word {
        text: String,
        pieces: Vec<Piece>,
    },
    /// A quoted string; `double` for `"…"`.
    Quoted {
        pieces: Vec<Piece>,
        double: bool,
    },
    /// A backtick-quoted column name.
    Column(String),
    LParen,
    RParen,
    Comma,
    Pipe,
    Op(Op),
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) tok: Tok,
    /// Byte offset in the query.
    pub(super) start: usize,
}

/// Characters that end a bare word.
fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || ":()\"'<>=|,~{}!#`".contains(c)
}

pub(super) fn column_of(src: &str, byte: usize) -> usize {
    src[..byte.min(src.len())].chars().count() + 1
}

pub(super) fn lex(src: &str) -> Result<Vec<Token>, QueryError> {
    let err = |byte: usize, message: String| QueryError {
        column: column_of(src, byte),
        message,
    };
    let mut out = Vec::new();
    let mut it = src.char_indices().peekable();
    while let Some(&(start, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        let single = |tok| Token { tok, start };
        match c {
            '(' => {
                it.next();
                out.push(single(Tok::LParen));
            }
            ')' => {
                it.next();
                out.push(single(Tok::RParen));
            }
            ',' => {
                it.next();
                out.push(single(Tok::Comma));
            }
            '|' => {
                it.next();
                out.push(single(Tok::Pipe));
            }
            ':' => {
                it.next();
                out.push(single(Tok::Op(Op::Contains)));
            }
            '=' => {
                it.next();
                if matches!(it.peek(), Some((_, '='))) {
                    it.next();
                }
                out.push(single(Tok::Op(Op::Eq)));
            }
            '!' => {
                it.next();
                if matches!(it.peek(), Some((_, '='))) {
                    it.next();
                    out.push(single(Tok::Op(Op::Ne)));
                } else {
                    return Err(err(
                        start,
                        "unexpected `!`; use `not` to negate, or `!=` to compare".into(),
                    ));
                }
            }
            '>' | '<' => {
                it.next();
                let eq = matches!(it.peek(), Some((_, '=')));
                if eq {
                    it.next();
                }
                let op = match (c, eq) {
                    ('>', false) => Op::Gt,
                    ('>', true) => Op::Ge,
                    ('<', false) => Op::Lt,
                    _ => Op::Le,
                };
                out.push(single(Tok::Op(op)));
            }
            '"' | '\'' => {
                it.next();
                let mut pieces = Vec::new();
                let mut text = String::new();
                let mut closed = false;
                while let Some((i, ch)) = it.next() {
                    match ch {
                        '\\' => match it.next() {
                            Some((_, e)) => text.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                other => other,
                            }),
                            None => return Err(err(i, "a `\\` escape ends the query".into())),
                        },
                        '*' => {
                            if !text.is_empty() {
                                pieces.push(Piece::Text(std::mem::take(&mut text)));
                            }
                            pieces.push(Piece::Star);
                        }
                        q if q == c => {
                            closed = true;
                            break;
                        }
                        other => text.push(other),
                    }
                }
                if !closed {
                    return Err(err(
                        start,
                        format!("unterminated string: the {c} here is never closed"),
                    ));
                }
                if !text.is_empty() || pieces.is_empty() {
                    pieces.push(Piece::Text(text));
                }
                out.push(Token {
                    tok: Tok::Quoted {
                        pieces,
                        double: c == '"',
                    },
                    start,
                });
            }
            '`' => {
                it.next();
                let mut name = String::new();
                let mut closed = false;
                for (_, ch) in it.by_ref() {
                    if ch == '`' {
                        closed = true;
                        break;
                    }
                    name.push(ch);
                }
                if !closed {
                    return Err(err(
                        start,
                        "unterminated column name: the ` here is never closed".into(),
                    ));
                }
                out.push(Token {
                    tok: Tok::Column(name),
                    start,
                });
            }
            '~' | '{' | '}' | '#' => {
                return Err(err(start, format!("unexpected character `{c}`")));
            }
            _ => {
                let mut text = String::new();
                let mut pieces = Vec::new();
                let mut lit = String::new();
                while let Some(&(_, ch)) = it.peek() {
                    if is_delimiter(ch) {
                        break;
                    }
                    it.next();
                    if ch == '\\' {
                        text.push(ch);
                        if let Some((_, e)) = it.next() {
                            text.push(e);
                            lit.push(e);
                        }
                        continue;
                    }
                    text.push(ch);
                    if ch == '*' {
                        if !lit.is_empty() {
                            pieces.push(Piece::Text(std::mem::take(&mut lit)));
                        }
                        pieces.push(Piece::Star);
                    } else {
                        lit.push(ch);
                    }
                }
                if !lit.is_empty() {
                    pieces.push(Piece::Text(lit));
                }
                out.push(Token {
                    tok: Tok::Word { text, pieces },
                    start,
                });
            }
        }
    }
    Ok(out)
}
