use serde_json::json;

use super::*;

fn ms(s: &str) -> i64 {
    parse_time(s).unwrap()
}

fn index(name: &str, events: Vec<Value>) -> Index {
    let events = events
        .into_iter()
        .map(|v| Event {
            ts_ms: ms(v["timestamp"].as_str().unwrap()),
            bytes: json_len(&v),
            value: v,
        })
        .collect();
    Index::new(name, None, events)
}

fn lake() -> Lake {
    Lake::new(vec![
        index(
            "cloudtrail",
            vec![
                json!({"timestamp": "2026-11-01T10:00:00Z", "eventName": "GetObject", "userIdentity": {"userName": "jchen", "type": "IAMUser"}, "sourceIPAddress": "203.0.113.10", "bytes": 100}),
                json!({"timestamp": "2026-11-01T11:00:00Z", "eventName": "GetObject", "userIdentity": {"userName": "jchen", "type": "IAMUser"}, "sourceIPAddress": "203.0.113.10", "bytes": 300}),
                json!({"timestamp": "2026-11-01T12:00:00Z", "eventName": "PutObject", "userIdentity": {"userName": "asmith", "type": "IAMUser"}, "sourceIPAddress": "198.51.100.12", "bytes": 50}),
                json!({"timestamp": "2026-11-02T01:00:00Z", "eventName": "AssumeRole", "userIdentity": {"userName": "jchen", "type": "IAMUser"}, "errorCode": "AccessDenied"}),
            ],
        ),
        index(
            "okta",
            vec![
                json!({"timestamp": "2026-11-01T09:00:00Z", "eventType": "user.session.start", "actor": {"alternateId": "jchen@x.example"}, "outcome": {"result": "SUCCESS"}}),
                json!({"timestamp": "2026-11-01T09:30:00Z", "eventType": "user.session.start", "actor": {"alternateId": "asmith@x.example"}, "outcome": {"result": "FAILURE"}}),
            ],
        ),
    ])
}

fn all() -> TimeRange {
    TimeRange::parse(None, None, lake().span()).unwrap()
}

fn run(q: &str) -> QueryOutput {
    lake().execute(q, &all(), DEFAULT_MAX_ROWS).unwrap()
}

fn col(out: &QueryOutput, c: &str) -> Vec<Value> {
    out.rows.iter().map(|r| r[c].clone()).collect()
}

#[test]
fn search_returns_events_most_recent_first_with_their_index() {
    let out = run("jchen");
    assert_eq!(out.kind, OutputKind::Events);
    assert_eq!(out.row_count, 4);
    assert_eq!(
        col(&out, "timestamp"),
        [
            json!("2026-11-02T01:00:00Z"),
            json!("2026-11-01T11:00:00Z"),
            json!("2026-11-01T10:00:00Z"),
            json!("2026-11-01T09:00:00Z")
        ]
    );
    assert_eq!(
        col(&out, "@index"),
        [
            json!("cloudtrail"),
            json!("cloudtrail"),
            json!("cloudtrail"),
            json!("okta")
        ]
    );
    assert_eq!(
        out.rows[0].as_object().unwrap().keys().next().unwrap(),
        "@index"
    );
    assert_eq!(out.indexes_scanned, ["cloudtrail", "okta"]);
    assert!(
        out.caveats.is_empty() && out.notes.is_empty(),
        "{:?} {:?}",
        out.caveats,
        out.notes
    );
}

#[test]
fn summary_lists_fields_and_top_values() {
    let out = run("@index=cloudtrail");
    let s = out.summary.unwrap();
    assert_eq!(
        s["top_values"]["eventName"],
        json!({"GetObject": 2, "AssumeRole": 1, "PutObject": 1})
    );
    assert_eq!(
        s["top_values"]["userIdentity.userName"],
        json!({"jchen": 3, "asmith": 1})
    );
    assert_eq!(
        s["same_in_every_row"]["userIdentity.type"],
        json!("IAMUser")
    );
    assert_eq!(s["same_in_every_row"]["@index"], json!("cloudtrail"));
    assert_eq!(s["first_timestamp"], json!("2026-11-01T10:00:00Z"));
    assert_eq!(s["last_timestamp"], json!("2026-11-02T01:00:00Z"));
    assert!(
        s["fields"]
            .as_array()
            .unwrap()
            .contains(&json!("sourceIPAddress"))
    );
    // Unique per row: not summarised.
    assert!(s["top_values"].get("timestamp").is_none());
}

#[test]
fn time_range_and_bytes_scanned() {
    let l = lake();
    let ct = l.index("cloudtrail").unwrap();
    let r = TimeRange::parse(
        Some("2026-11-01T10:30:00Z"),
        Some("2026-11-01T12:00:00Z"),
        l.span(),
    )
    .unwrap();
    let out = l.execute("@index=cloudtrail", &r, 100).unwrap();
    assert_eq!(out.row_count, 1, "to is exclusive");
    assert_eq!(out.n_bytes_scanned, ct.events()[1].bytes);
    // Both indexes in range are scanned without @index.
    let r = TimeRange::parse(Some("2026-11-01"), Some("2026-11-03"), l.span()).unwrap();
    let out = l.execute("nothing-matches-this", &r, 100).unwrap();
    assert_eq!(out.row_count, 0);
    assert_eq!(
        out.n_bytes_scanned,
        ct.total_bytes() + l.index("okta").unwrap().total_bytes()
    );
    // No data in range: zero bytes and a caveat that says it is a gap.
    let r = TimeRange::parse(
        Some("2026-12-01T00:00:00Z"),
        Some("2026-12-02T00:00:00Z"),
        l.span(),
    )
    .unwrap();
    let out = l.execute("@index=okta", &r, 100).unwrap();
    assert_eq!(out.n_bytes_scanned, 0);
    assert_eq!(
        out.caveats,
        [
            "NoData: index `okta` has no events from 2026-12-01T00:00:00Z to 2026-12-02T00:00:00Z (its data covers 2026-11-01T09:00:00Z to 2026-11-01T09:30:00Z); an empty result here is a data gap, not evidence."
        ]
    );
}

#[test]
fn time_range_parsing() {
    let span = Some((ms("2026-11-01T00:00:00Z"), ms("2026-11-02T00:00:00Z")));
    let r = TimeRange::parse(None, None, span).unwrap();
    assert_eq!(
        (r.from_ms, r.to_ms),
        (ms("2026-11-01T00:00:00Z"), ms("2026-11-02T00:00:00Z") + 1)
    );
    let r = TimeRange::parse(Some("2026-11-01"), Some("2026-11-01T12:00:00"), span).unwrap();
    assert_eq!(
        (r.from_ms, r.to_ms),
        (ms("2026-11-01T00:00:00Z"), ms("2026-11-01T12:00:00Z"))
    );
    let r = TimeRange::parse(Some("2026-11-01T05:00:00+02:00"), None, span).unwrap();
    assert_eq!(r.from_ms, ms("2026-11-01T03:00:00Z"));
    assert_eq!(
        TimeRange::parse(Some("last week"), None, span).unwrap_err(),
        "`from` is not an RFC 3339 time like 2026-11-19T00:00:00Z: \"last week\""
    );
    assert_eq!(
        TimeRange::parse(
            Some("2026-11-02T00:00:00Z"),
            Some("2026-11-01T00:00:00Z"),
            span
        )
        .unwrap_err(),
        "the time range ends before it starts: `to` (2026-11-01T00:00:00Z) is earlier than `from` (2026-11-02T00:00:00Z)"
    );
}

#[test]
fn index_selection_and_unknown_names() {
    let out = run("@index=okta");
    assert_eq!(out.indexes_scanned, ["okta"]);
    assert_eq!(out.row_count, 2);
    let out = run("@index=(okta cloudtrail) jchen");
    assert_eq!(out.indexes_scanned, ["cloudtrail", "okta"]);
    let out = run("@index=okta or @index=cloudtrail");
    assert_eq!(out.indexes_scanned, ["cloudtrail", "okta"]);
    let out = run("@index=okta or jchen");
    assert_eq!(
        out.indexes_scanned,
        ["cloudtrail", "okta"],
        "an unrestricted branch scans everything"
    );
    let out = run("@index=nope");
    assert!(out.indexes_scanned.is_empty());
    assert_eq!(out.n_bytes_scanned, 0);
    assert_eq!(
        out.notes,
        ["there is no index named `nope`; the indexes are: cloudtrail, okta"]
    );
    assert_eq!(
        out.caveats,
        ["NoData: no index was scanned, so an empty result says nothing about the data."]
    );
}

#[test]
fn unknown_fields_are_flagged_with_a_suggestion() {
    let out = run("@index=cloudtrail eventname: GetObject");
    assert_eq!(out.row_count, 0);
    assert_eq!(
        out.notes,
        [
            "field `eventname` does not exist in cloudtrail; did you mean `eventName`? (field names are case-sensitive)"
        ]
    );
    let out = run("@index=cloudtrail userName = jchen");
    assert_eq!(
        out.notes,
        [
            "field `userName` does not exist in cloudtrail; did you mean `userIdentity.userName`? (field names are case-sensitive)"
        ]
    );
    let out = run("@index=cloudtrail nope: 1");
    assert_eq!(
        out.notes,
        [
            "field `nope` does not exist in cloudtrail (field names are case-sensitive; get_top_columns lists them)"
        ]
    );
    // A parent of a column is a field too.
    assert!(
        run("@index=cloudtrail userIdentity: jchen")
            .notes
            .is_empty()
    );
}

#[test]
fn count_and_groupbycount() {
    let out = run("@index=cloudtrail | count");
    assert_eq!(out.kind, OutputKind::Table);
    assert_eq!(out.columns, ["@q.count"]);
    assert_eq!(out.rows, [json!({"@q.count": 4})]);
    let out = run("nothing | count");
    assert_eq!(out.rows, [json!({"@q.count": 0})]);
    let out = run("@index=cloudtrail | groupbycount userIdentity.userName, eventName");
    assert_eq!(
        out.columns,
        ["userIdentity.userName", "eventName", "@q.count"]
    );
    assert_eq!(
        out.rows,
        [
            json!({"userIdentity.userName": "jchen", "eventName": "GetObject", "@q.count": 2}),
            json!({"userIdentity.userName": "asmith", "eventName": "PutObject", "@q.count": 1}),
            json!({"userIdentity.userName": "jchen", "eventName": "AssumeRole", "@q.count": 1}),
        ]
    );
    // Missing values group as null.
    let out = run("@index=cloudtrail | groupbycount errorCode");
    assert_eq!(
        out.rows,
        [
            json!({"errorCode": null, "@q.count": 3}),
            json!({"errorCode": "AccessDenied", "@q.count": 1})
        ]
    );
    let out = run("* | groupbycount @index");
    assert_eq!(
        out.rows,
        [
            json!({"@index": "cloudtrail", "@q.count": 4}),
            json!({"@index": "okta", "@q.count": 2})
        ]
    );
}

#[test]
fn stats_functions_by_and_without_by() {
    let out = run(
        "@index=cloudtrail | stats count() as n, countdistinct(eventName) as kinds, min(bytes), max(bytes), sum(bytes), avg(bytes), max(timestamp) as last by userIdentity.userName",
    );
    assert_eq!(
        out.columns,
        [
            "userIdentity.userName",
            "@q.count",
            "n",
            "kinds",
            "min(bytes)",
            "max(bytes)",
            "sum(bytes)",
            "avg(bytes)",
            "last"
        ]
    );
    assert_eq!(
        out.rows[0],
        json!({"userIdentity.userName": "jchen", "@q.count": 3, "n": 3, "kinds": 2, "min(bytes)": 100, "max(bytes)": 300, "sum(bytes)": 400, "avg(bytes)": 200, "last": "2026-11-02T01:00:00Z"})
    );
    assert_eq!(out.rows[1]["avg(bytes)"], json!(50));
    let out = run("@index=cloudtrail | stats avg(bytes) as a, min(timestamp) as first");
    assert_eq!(
        out.rows,
        [json!({"@q.count": 4, "a": 150, "first": "2026-11-01T10:00:00Z"})]
    );
    let out = run("nothing | stats count() as n, avg(bytes) as a");
    assert_eq!(out.rows, [json!({"@q.count": 0, "n": 0, "a": null})]);
    let out = run("@index=cloudtrail | stats by eventName");
    assert_eq!(out.rows.len(), 3);
    let out = run("@index=cloudtrail bytes: * | stats avg(bytes) as a");
    assert_eq!(out.rows, [json!({"@q.count": 3, "a": 150})]);
    let out = run("@index=cloudtrail bytes > 0 | stats avg(bytes) as a");
    assert_eq!(out.rows[0]["a"], json!(150));
    let out = run("@index=cloudtrail eventName=GetObject | stats avg(bytes) as a");
    assert_eq!(out.rows[0]["a"], json!(200));
    let out =
        run("@index=cloudtrail | stats sum(bytes) as s by eventName | where s > 60 and s < 1000");
    assert_eq!(
        out.rows,
        [json!({"eventName": "GetObject", "@q.count": 2, "s": 400})]
    );
}

#[test]
fn where_and_head_on_events_and_tables() {
    let out = run("@index=cloudtrail | where bytes >= 100");
    assert_eq!(col(&out, "bytes"), [json!(300), json!(100)]);
    let out = run("@index=cloudtrail | head 2");
    assert_eq!(out.row_count, 2);
    assert_eq!(
        col(&out, "timestamp"),
        [json!("2026-11-02T01:00:00Z"), json!("2026-11-01T12:00:00Z")]
    );
    let out = run("* | groupbycount @index | head 1");
    assert_eq!(out.rows, [json!({"@index": "cloudtrail", "@q.count": 4})]);
    let out = run("@index=cloudtrail | groupbycount eventName | where @q.count > 1");
    assert_eq!(out.rows, [json!({"eventName": "GetObject", "@q.count": 2})]);
    // A where on a column the table does not have says so.
    let out = run("@index=cloudtrail | stats count() by eventName | where count > 1");
    assert!(out.rows.is_empty());
    assert_eq!(
        out.notes,
        [
            "`where` names `count`, which is not a column of the table before it; the columns are: eventName, @q.count, count()"
        ]
    );
    let out = run("@index=cloudtrail | where bytes > 1 | count");
    assert_eq!(out.rows, [json!({"@q.count": 3})]);
}

#[test]
fn row_and_group_limits_are_caveats() {
    let out = lake().execute("@index=cloudtrail", &all(), 2).unwrap();
    assert_eq!(out.row_count, 4);
    assert_eq!(out.rows.len(), 2);
    assert_eq!(
        out.caveats,
        [
            "RowLimit: 4 rows matched but max_rows is 2; only the 2 most recent are kept. Narrow the query or the time range, or aggregate (| stats count() by field) to see everything."
        ]
    );
    let events = (0..1005)
        .map(|i| json!({"timestamp": "2026-11-01T00:00:00Z", "k": i}))
        .collect();
    let big = Lake::new(vec![index("x", events)]);
    let r = TimeRange::parse(None, None, big.span()).unwrap();
    let out = big
        .execute("* | groupbycount k", &r, MAX_ROWS_LIMIT)
        .unwrap();
    assert_eq!(out.rows.len(), MAX_GROUPS);
    assert_eq!(
        out.caveats,
        [
            "GroupLimit: 1005 groups; only the 1000 largest are returned. Filter more narrowly or group by fewer columns."
        ]
    );
}

#[test]
fn columns_are_counted_per_event() {
    let l = lake();
    let cols = l.index("cloudtrail").unwrap().columns();
    let get = |c: &str| cols.iter().find(|x| x.column == c).map(|x| x.events);
    assert_eq!(get("eventName"), Some(4));
    assert_eq!(get("bytes"), Some(3));
    assert_eq!(get("errorCode"), Some(1));
    assert_eq!(get("userIdentity.userName"), Some(4));
    assert_eq!(cols[0].events, 4);
}

#[test]
fn json_len_is_the_compact_length() {
    for v in [
        json!({"a": [1, 2.5, null, true, false], "b": {"c": "x\"y\\z\n\u{1}é"}}),
        json!([]),
        json!({}),
        json!("plain"),
        json!(-12),
    ] {
        assert_eq!(
            json_len(&v),
            serde_json::to_string(&v).unwrap().len() as u64,
            "{v}"
        );
    }
}
