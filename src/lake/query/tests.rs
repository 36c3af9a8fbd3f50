use super::*;

fn err(q: &str) -> (usize, String) {
    let e = parse(q).expect_err(q);
    (e.column, e.message)
}

fn v(text: &str) -> Value {
    Value {
        pieces: vec![Piece::Text(text.into())],
        case_sensitive: false,
        number: text.parse().ok(),
    }
}

fn field(f: &str, op: Op, value: Value) -> Expr {
    Expr::Field {
        field: f.into(),
        op,
        value,
    }
}

#[test]
fn terms_and_operators() {
    let q = parse("eventName: GetObject").unwrap();
    assert_eq!(q.filter, field("eventName", Op::Contains, v("GetObject")));
    assert!(q.stages.is_empty());
    for (text, op) in [
        ("n = 5", Op::Eq),
        ("n == 5", Op::Eq),
        ("n != 5", Op::Ne),
        ("n > 5", Op::Gt),
        ("n >= 5", Op::Ge),
        ("n < 5", Op::Lt),
        ("n <= 5", Op::Le),
        ("n:5", Op::Contains),
    ] {
        assert_eq!(
            parse(text).unwrap().filter,
            field("n", op, v("5")),
            "{text}"
        );
    }
    assert_eq!(parse("5").unwrap().filter, Expr::Text(v("5")));
    assert_eq!(parse("").unwrap().filter, Expr::All);
    assert_eq!(parse("*").unwrap().filter, Expr::All);
    assert_eq!(parse("   | count").unwrap().filter, Expr::All);
}

#[test]
fn quoting_and_wildcards() {
    let q = parse(r#"a: "Get Object" b: 'x y' c: adm* d: "lit\*" `odd name`: 1"#).unwrap();
    let Expr::And(parts) = q.filter else { panic!() };
    assert_eq!(
        parts[0],
        field(
            "a",
            Op::Contains,
            Value {
                pieces: vec![Piece::Text("Get Object".into())],
                case_sensitive: true,
                number: None
            }
        )
    );
    assert_eq!(
        parts[1],
        field(
            "b",
            Op::Contains,
            Value {
                pieces: vec![Piece::Text("x y".into())],
                case_sensitive: false,
                number: None
            }
        )
    );
    assert_eq!(
        parts[2],
        field(
            "c",
            Op::Contains,
            Value {
                pieces: vec![Piece::Text("adm".into()), Piece::Star],
                case_sensitive: false,
                number: None
            }
        )
    );
    // An escaped star is literal.
    assert_eq!(
        parts[3],
        field(
            "d",
            Op::Contains,
            Value {
                pieces: vec![Piece::Text("lit*".into())],
                case_sensitive: true,
                number: None
            }
        )
    );
    assert_eq!(parts[4], field("odd name", Op::Contains, v("1")));
    assert_eq!(
        parse("ip: 203.0.113.10").unwrap().filter,
        field("ip", Op::Contains, v("203.0.113.10"))
    );
    assert_eq!(v("203.0.113.10").number, None);
}

#[test]
fn any_of_lists() {
    let q = parse(r#"sev: ("High" "Critical", Low or Medium)"#).unwrap();
    let Expr::Or(alts) = q.filter else {
        panic!("{:?}", q.filter)
    };
    assert_eq!(alts.len(), 4);
    assert_eq!(alts[2], field("sev", Op::Contains, v("Low")));
    assert_eq!(parse("a = (x)").unwrap().filter, field("a", Op::Eq, v("x")));
    assert_eq!(
        parse("a != (x y)").unwrap().filter,
        Expr::Not(Box::new(Expr::Or(vec![
            field("a", Op::Eq, v("x")),
            field("a", Op::Eq, v("y"))
        ])))
    );
    assert_eq!(
        parse("@index=(okta vpn)").unwrap().filter,
        Expr::Or(vec![
            field("@index", Op::Eq, v("okta")),
            field("@index", Op::Eq, v("vpn"))
        ])
    );
}

#[test]
fn precedence_not_and_or() {
    // not > and > or; juxtaposition is and.
    let q = parse("a or b c and not d").unwrap();
    assert_eq!(
        q.filter,
        Expr::Or(vec![
            Expr::Text(v("a")),
            Expr::And(vec![
                Expr::Text(v("b")),
                Expr::Text(v("c")),
                Expr::Not(Box::new(Expr::Text(v("d"))))
            ]),
        ])
    );
    let q = parse("(a OR b) AND NOT (c)").unwrap();
    assert_eq!(
        q.filter,
        Expr::And(vec![
            Expr::Or(vec![Expr::Text(v("a")), Expr::Text(v("b"))]),
            Expr::Not(Box::new(Expr::Text(v("c")))),
        ])
    );
}

#[test]
fn pipes() {
    let q = parse("x | count | head 3").unwrap();
    assert_eq!(q.stages, [Stage::Count, Stage::Head(3)]);
    assert_eq!(parse("x | count()").unwrap().stages, [Stage::Count]);
    assert_eq!(parse("x | head(7)").unwrap().stages, [Stage::Head(7)]);
    assert_eq!(
        parse("x | groupbycount a.b, `c d`").unwrap().stages,
        [Stage::GroupByCount(vec!["a.b".into(), "c d".into()])]
    );
    assert_eq!(
        parse("x | groupbycount(a, b)").unwrap().stages,
        [Stage::GroupByCount(vec!["a".into(), "b".into()])]
    );
    let q = parse("x | stats count() as n, max(timestamp), countdistinct(k) as keys by user, ip | where n > 5 and ip != '10.0.0.1'").unwrap();
    assert_eq!(
        q.stages[0],
        Stage::Stats {
            aggs: vec![
                Agg {
                    func: AggFn::Count,
                    column: None,
                    name: "n".into()
                },
                Agg {
                    func: AggFn::Max,
                    column: Some("timestamp".into()),
                    name: "max(timestamp)".into()
                },
                Agg {
                    func: AggFn::CountDistinct,
                    column: Some("k".into()),
                    name: "keys".into()
                },
            ],
            by: vec!["user".into(), "ip".into()],
        }
    );
    let Stage::Where(Expr::And(w)) = &q.stages[1] else {
        panic!()
    };
    assert_eq!(w[0], field("n", Op::Gt, v("5")));
    assert_eq!(
        parse("x | stats count()").unwrap().stages,
        [Stage::Stats {
            aggs: vec![Agg {
                func: AggFn::Count,
                column: None,
                name: "count()".into()
            }],
            by: vec![]
        }]
    );
    assert_eq!(
        parse("x | stats by a").unwrap().stages,
        [Stage::Stats {
            aggs: vec![],
            by: vec!["a".into()]
        }]
    );
    // Scanner's idiom: a by-column listed among the functions.
    assert_eq!(
        parse("x | stats count() as n, user by user")
            .unwrap()
            .stages,
        [Stage::Stats {
            aggs: vec![Agg {
                func: AggFn::Count,
                column: None,
                name: "n".into()
            }],
            by: vec!["user".into()]
        }]
    );
}

#[test]
fn bad_queries_say_what_and_where() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "eventName:",
            11,
            "expected a value after `:`, but the query ends",
        ),
        (
            "eventName: and x",
            12,
            "expected a value after `:`, but found `and` (quote values that are keywords or contain spaces or :()\"'<>=|,)",
        ),
        (
            "(a or b",
            8,
            "expected `)` to close the `(` at column 1, but the query ends",
        ),
        ("a or b)", 7, "unexpected `)` with no `(` to close"),
        (
            "user: \"adm",
            7,
            "unterminated string: the \" here is never closed",
        ),
        (
            "a | sort x",
            5,
            "unknown function `sort` after `|`; supported: count, groupbycount, stats, head, where (there is no sort)",
        ),
        (
            "a |",
            4,
            "expected a function after `|`, but the query ends",
        ),
        (
            "a | head",
            9,
            "`head` needs a number of rows, e.g. `| head 10`, but the query ends",
        ),
        (
            "a | head ten",
            10,
            "`head` needs a whole number of rows from 1 to 1000000, found `ten`",
        ),
        (
            "a | head 0",
            10,
            "`head` needs a whole number of rows from 1 to 1000000, found `0`",
        ),
        (
            "a | stats median(x)",
            11,
            "unknown aggregation `median()`; supported: count(), countdistinct(col), min(col), max(col), sum(col), avg(col)",
        ),
        (
            "a | stats count() by",
            21,
            "expected a column name after `by`, but the query ends",
        ),
        (
            "a | stats x",
            11,
            "`x` in stats must be an aggregation such as count(), or a column listed after `by`",
        ),
        (
            "a | stats max()",
            11,
            "`max()` needs a column, e.g. max(bytes)",
        ),
        (
            "a | stats count(x)",
            11,
            "`count()` takes no column; use countdistinct(col) to count distinct values",
        ),
        (
            "a and",
            6,
            "expected a search term after `and`, but the query ends",
        ),
        (
            "a and or b",
            7,
            "expected a search term after `and`, but found `or`",
        ),
        (
            "a or",
            5,
            "expected a search term after `or`, but the query ends",
        ),
        (
            "not",
            4,
            "expected a search term after `not`, but the query ends",
        ),
        ("n > (1 2)", 5, "`>` takes one value, not a list"),
        (
            "n > 1*",
            5,
            "`>` compares with one value; wildcards (*) only work with `:` and `=`",
        ),
        ("= 5", 1, "expected a field name before `=`"),
        (
            "a ! b",
            3,
            "unexpected `!`; use `not` to negate, or `!=` to compare",
        ),
        ("x: ()", 4, "empty list of values"),
        (
            "x: (a",
            6,
            "expected `)` to close the list of values at column 4, but the query ends",
        ),
        ("()", 2, "empty parentheses: expected a search term"),
        (
            "a | where",
            10,
            "`where` needs a condition, e.g. `| where n > 5`, but the query ends",
        ),
        (
            "a | count x",
            11,
            "unexpected `x` after `count`: expected `|` or the end of the query",
        ),
        (
            "\"eventName\": x",
            1,
            "a field name cannot be quoted with ' or \"; use backticks (`field name`)",
        ),
        (
            "a, b",
            2,
            "unexpected `,` in a search (commas separate columns after `groupbycount`, `stats` and `by`)",
        ),
        (
            "a | groupbycount",
            17,
            "expected a column name after `groupbycount`, but the query ends",
        ),
        (
            "a | groupbycount(x",
            19,
            "expected `)` to close the `(` at column 17, but the query ends",
        ),
        ("a {b}", 3, "unexpected character `{`"),
        (
            "`col",
            1,
            "unterminated column name: the ` here is never closed",
        ),
        (
            "é: (x",
            6,
            "expected `)` to close the list of values at column 4, but the query ends",
        ),
    ];
    for (q, col, msg) in cases {
        assert_eq!(err(q), (*col, msg.to_string()), "query: {q}");
    }
}

#[test]
fn explain_points_at_the_column() {
    let e = parse("eventName: and x").unwrap_err();
    assert_eq!(
        e.explain("eventName: and x"),
        "query syntax error at column 12: expected a value after `:`, but found `and` (quote values that are keywords or contain spaces or :()\"'<>=|,)\n  eventName: and x\n             ^"
    );
    assert_eq!(e.to_string(), format!("column 12: {}", e.message));
}
