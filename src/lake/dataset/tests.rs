use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::lake::engine::{OutputKind, QueryOutput, TimeRange, parse_time};
use crate::lake::{alerts_of, sample};

/// Runs a query on the shared sample lake between two RFC 3339 times.
fn q(query: &str, from: &str, to: &str) -> QueryOutput {
    let range = TimeRange::parse(Some(from), Some(to), None).unwrap();
    sample().execute(query, &range, 10_000).unwrap()
}

fn all(query: &str) -> QueryOutput {
    q(query, LAKE_START, LAKE_END)
}

/// The values of a column of an aggregation.
fn col(out: &QueryOutput, c: &str) -> Vec<Value> {
    out.rows.iter().map(|r| r[c].clone()).collect()
}

fn hour(ts: &Value) -> u32 {
    ts.as_str().unwrap()[11..13].parse().unwrap()
}

#[test]
fn generation_is_deterministic_and_sized() {
    let a = sample();
    let b = build();
    let digest = |l: &Lake| -> Vec<(String, usize, u64)> {
        l.indexes()
            .map(|i| {
                let h = i.events().iter().fold(0u64, |h, e| {
                    h.rotate_left(5) ^ rng::fnv(&e.value.to_string()) ^ e.ts_ms as u64
                });
                (i.name.clone(), i.events().len(), h)
            })
            .collect()
    };
    assert_eq!(digest(&a), digest(&b));
    let sizes: Vec<(String, usize)> = digest(&a).into_iter().map(|(n, c, _)| (n, c)).collect();
    assert_eq!(
        sizes,
        [
            ("_detections".to_string(), 30),
            ("cloudtrail".to_string(), 16_158),
            ("okta".to_string(), 4_273),
            ("vpn".to_string(), 487),
        ]
    );
    let start = parse_time(LAKE_START).unwrap();
    let end = parse_time(LAKE_END).unwrap();
    for i in a.indexes() {
        let (first, last) = i.span().unwrap();
        assert!(
            first >= start && last < end,
            "{} spans {first}..{last}",
            i.name
        );
    }
}

#[test]
fn labels_match_the_alerts_and_their_composition() {
    let labels = labels();
    let alerts = alerts_of(&sample());
    assert_eq!(labels.len(), 30);
    let ids: Vec<&str> = alerts.iter().map(|a| a["id"].as_str().unwrap()).collect();
    let label_ids: Vec<&str> = labels.iter().map(|l| l.alert_id.as_str()).collect();
    assert_eq!(ids, label_ids, "labels are in the alerts' order");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 30);

    let mut by_label = BTreeMap::new();
    for l in &labels {
        *by_label.entry(l.label.as_str()).or_insert(0) += 1;
    }
    assert_eq!(
        by_label,
        BTreeMap::from([("BENIGN", 20), ("MALICIOUS", 5), ("SUSPICIOUS", 5)])
    );
    let malicious: Vec<&str> = labels
        .iter()
        .filter(|l| l.label == Classification::Malicious)
        .map(|l| l.alert_type.as_str())
        .collect();
    assert_eq!(
        malicious,
        [
            "mfa_fatigue",
            "new_country_sign_in",
            "access_key_created",
            "admin_policy_attached",
            "off_hours_activity"
        ]
    );
    for l in &labels {
        assert!(
            !l.rationale.is_empty() && !l.rationale.contains('\n'),
            "{l:?}"
        );
    }
}

#[test]
fn every_alert_is_valid_raised_in_the_window_and_has_results() {
    let from = parse_time(ALERTS_FROM).unwrap();
    let end = parse_time(LAKE_END).unwrap();
    for a in alerts_of(&sample()) {
        let alert = crate::alert::Alert::from_value(a.clone()).unwrap();
        let ts = alert.timestamp.unwrap().as_millisecond();
        assert!(ts >= from && ts < end, "{}", alert.id);
        assert_ne!(alert.severity, crate::alert::Severity::Unknown);
        let table = &a["results_table"];
        let columns = table["columns"].as_array().unwrap();
        let rows = table["rows"].as_array().unwrap();
        assert!(
            !rows.is_empty(),
            "alert {} ({}) has no results",
            alert.id,
            alert.name
        );
        assert!(
            rows.iter()
                .all(|r| r.as_array().unwrap().len() == columns.len())
        );
        assert!(table["total_row_count"].as_u64().unwrap() >= rows.len() as u64);
        // The rule's own query finds the results again over the detection window.
        let w = &a["detected_in_time_range"];
        let out = q(
            a["query_text"].as_str().unwrap(),
            w["start"].as_str().unwrap(),
            w["end"].as_str().unwrap(),
        );
        assert_eq!(
            out.row_count as u64,
            table["total_row_count"].as_u64().unwrap(),
            "{}",
            alert.name
        );
        assert!(alert.user_hint().is_some(), "{} has no user", alert.name);
    }
}

#[test]
fn insider_exfiltration_is_in_the_data() {
    // Nobody but rkowalski reads the customer-export archive, and he started on Oct 29.
    let out = all(
        "@index=cloudtrail requestParameters.bucketName=\"larkspur-customer-exports\" eventName=GetObject | stats count() as n, min(timestamp) as first, max(timestamp) as last, sum(additionalEventData.bytesTransferredOut) as bytes by userIdentity.userName",
    );
    assert_eq!(out.rows.len(), 1);
    let r = &out.rows[0];
    assert_eq!(r["userIdentity.userName"], "rkowalski");
    assert_eq!(r["n"], 849);
    assert!(r["first"].as_str().unwrap() >= "2026-10-29", "{r}");
    assert!(r["bytes"].as_f64().unwrap() > 20e9, "{r}");
    // Always at night in Chicago (04:00–08:00 UTC), and from home with the CLI.
    let out = all(
        "@index=cloudtrail userIdentity.userName=rkowalski requestParameters.bucketName=\"larkspur-customer-exports\"",
    );
    assert!(
        out.rows
            .iter()
            .all(|r| (4..8).contains(&hour(&r["timestamp"])))
    );
    let out = all(
        "@index=cloudtrail userIdentity.userName=rkowalski requestParameters.bucketName=\"larkspur-customer-exports\" | groupbycount sourceIPAddress, userAgent",
    );
    assert_eq!(out.rows.len(), 1);
    assert!(
        out.rows[0]["userAgent"]
            .as_str()
            .unwrap()
            .starts_with("aws-cli/")
    );
    // His daytime work is the console, on other buckets; the key was created the day before.
    let out = q(
        "@index=cloudtrail userIdentity.userName=rkowalski | groupbycount requestParameters.bucketName",
        LAKE_START,
        "2026-10-28T00:00:00Z",
    );
    assert_eq!(
        col(&out, "requestParameters.bucketName"),
        [Value::Null, json!("larkspur-analytics")]
    );
    let out = all("@index=cloudtrail userIdentity.userName=rkowalski eventName=CreateAccessKey");
    assert_eq!(out.rows[0]["timestamp"], "2026-10-28T20:10:00Z");
}

#[test]
fn phished_account_takeover_is_in_the_data() {
    let out = all(
        "@index=okta actor.alternateId: lnguyen client.ipAddress=\"192.0.2.211\" | groupbycount eventType, outcome.result",
    );
    let got: Vec<(String, String, u64)> = out
        .rows
        .iter()
        .map(|r| {
            (
                r["eventType"].as_str().unwrap().into(),
                r["outcome.result"].as_str().unwrap().into(),
                r["@q.count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        got.contains(&(
            "user.authentication.auth_via_mfa".into(),
            "FAILURE".into(),
            6
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&("user.mfa.factor.activate".into(), "SUCCESS".into(), 1)),
        "{got:?}"
    );
    assert!(
        got.contains(&("user.authentication.sso".into(), "SUCCESS".into(), 3)),
        "{got:?}"
    );
    // A new device: the attacker's fingerprint was never used before.
    let out = all(
        "@index=okta actor.alternateId: lnguyen eventType=\"user.session.start\" | groupbycount debugContext.debugData.deviceFingerprint",
    );
    assert_eq!(out.rows.len(), 2);
    assert_eq!(out.rows[1]["@q.count"], 1);
    // Her real sign-in from Austin afterwards is impossible travel.
    let out = q(
        "@index=okta actor.alternateId: lnguyen eventType=\"user.session.start\" debugContext.debugData.behaviors: \"Velocity=POSITIVE\"",
        "2026-11-18T10:00:00Z",
        LAKE_END,
    );
    assert_eq!(out.rows.len(), 1);
    assert_eq!(
        out.rows[0]["client"]["geographicalContext"]["city"],
        "Austin"
    );
}

#[test]
fn dormant_account_escalation_is_in_the_data() {
    // Silent for 25 days before the attack…
    // (his last working day, Oct 23 in Denver, ends after midnight UTC)
    let out = q(
        "userIdentity.userName=bwilson or actor.alternateId: bwilson or user=bwilson",
        "2026-10-24T06:00:00Z",
        "2026-11-18T11:00:00Z",
    );
    assert_eq!(out.row_count, 0);
    assert!(out.n_bytes_scanned > 0);
    let out = q(
        "@index=cloudtrail userIdentity.userName=bwilson | stats max(timestamp) as last",
        LAKE_START,
        "2026-11-18T00:00:00Z",
    );
    assert!(
        out.rows[0]["last"].as_str().unwrap() < "2026-10-24T06",
        "{:?}",
        out.rows
    );
    // …then escalation and persistence from a new address with Boto3.
    let out = q(
        "@index=cloudtrail userIdentity.userName=bwilson | groupbycount sourceIPAddress",
        "2026-11-18T00:00:00Z",
        LAKE_END,
    );
    assert_eq!(col(&out, "sourceIPAddress"), [json!("192.0.2.150")]);
    let out = all(
        "@index=cloudtrail userIdentity.userName=bwilson eventName: (AttachUserPolicy CreateAccessKey GetSecretValue) | groupbycount eventName",
    );
    assert_eq!(
        out.rows,
        [
            json!({"eventName": "GetSecretValue", "@q.count": 3}),
            json!({"eventName": "AttachUserPolicy", "@q.count": 1}),
            json!({"eventName": "CreateAccessKey", "@q.count": 1}),
        ]
    );
}

#[test]
fn benign_baselines_are_in_the_data() {
    // The backup job runs every night at 02:00 UTC and prunes 12 snapshots.
    let out = all("@index=cloudtrail userIdentity.userName=\"svc-backup\"");
    assert!(out.rows.iter().all(|r| hour(&r["timestamp"]) == 2));
    let out = all(
        "@index=cloudtrail userIdentity.userName=\"svc-backup\" eventName=DeleteSnapshot | count",
    );
    assert_eq!(out.rows[0]["@q.count"], 360);
    // jchen assumes prod-deploy regularly; dlee never did before Nov 19.
    let before = "2026-11-17T00:00:00Z";
    let out = q(
        "@index=cloudtrail eventName=AssumeRole requestParameters.roleArn: \"prod-deploy\" | groupbycount userIdentity.userName",
        LAKE_START,
        before,
    );
    let users = col(&out, "userIdentity.userName");
    assert!(
        users.contains(&json!("jchen")) && !users.contains(&json!("dlee")),
        "{users:?}"
    );
    assert!(out.rows[0]["@q.count"].as_u64().unwrap() >= 8);
    // asmith in Lisbon: her usual laptop; owhite in Toronto: a new one.
    let out = all(
        "@index=okta actor.alternateId: asmith eventType=\"user.session.start\" | groupbycount debugContext.debugData.deviceFingerprint",
    );
    assert_eq!(out.rows.len(), 1);
    let out = all(
        "@index=okta actor.alternateId: owhite eventType=\"user.session.start\" | groupbycount debugContext.debugData.deviceFingerprint",
    );
    assert_eq!(out.rows.len(), 2);
    // Prowler every Tuesday; sobrien never uses MFA; CI runners rotate addresses.
    let out = all(
        "@index=cloudtrail userAgent: prowler | stats count() as n, countdistinct(userIdentity.userName) as users",
    );
    assert_eq!(out.rows[0]["n"], 160);
    assert_eq!(out.rows[0]["users"], 1);
    let out = all(
        "@index=cloudtrail eventName=ConsoleLogin userIdentity.userName=sobrien | groupbycount additionalEventData.MFAUsed",
    );
    assert_eq!(col(&out, "additionalEventData.MFAUsed"), [json!("No")]);
    let out = q(
        "@index=cloudtrail eventName=AssumeRoleWithWebIdentity | stats countdistinct(sourceIPAddress) as ips",
        LAKE_START,
        before,
    );
    assert!(out.rows[0]["ips"].as_u64().unwrap() >= 20);
    // hmueller always signs in from Berlin first, then from the VPN egress.
    let out = all("@index=vpn user=hmueller | groupbycount src_city");
    assert_eq!(col(&out, "src_city"), [json!("Berlin")]);
    assert_eq!(out.kind, OutputKind::Table);
}
