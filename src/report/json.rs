//! The JSON-lines rendering of a report (`--format json`): one compact object per alert, for
//! `jq` and other programs. The object is the serde form of [`AlertReport`] and carries its
//! `schema` id; text is exactly the data (JSON escaping only, no Slack escaping), so consumers
//! do their own escaping for wherever they put it.

use super::AlertReport;

/// Renders one report as a single line of JSON, without the trailing newline (the caller
/// writes it). JSON strings escape newlines and control characters, so the object is always
/// one line whatever the data holds.
pub fn render_json(r: &AlertReport) -> String {
    serde_json::to_string(r).unwrap_or_else(|e| {
        // Unreachable with today's types (string keys only, and serde_json writes non-finite
        // floats as null), but a report must never vanish: say what failed, for this alert.
        serde_json::json!({
            "schema": r.schema,
            "alert": {"id": r.alert.id, "name": r.alert.name},
            "status": r.status,
            "classification": r.classification,
            "confidence": r.confidence,
            "render_error": format!("cannot serialize the full report: {e}"),
        })
        .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::REPORT_SCHEMA;
    use crate::report::slack::tests::{
        benign_report, guarded_report, hostile_report, incomplete_report,
    };
    use serde_json::Value;

    fn parsed(r: &AlertReport) -> Value {
        let line = render_json(r);
        assert!(!line.contains('\n'), "{line}");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    #[test]
    fn snapshot_benign() {
        insta::assert_json_snapshot!("benign", parsed(&benign_report()));
    }

    #[test]
    fn snapshot_guarded() {
        insta::assert_json_snapshot!("guarded", parsed(&guarded_report()));
    }

    #[test]
    fn snapshot_incomplete_line() {
        insta::assert_snapshot!("incomplete_line", render_json(&incomplete_report()));
    }

    #[test]
    fn one_line_of_the_serde_form() {
        for r in [
            benign_report(),
            guarded_report(),
            incomplete_report(),
            hostile_report(),
        ] {
            let line = render_json(&r);
            assert!(!line.contains('\n') && !line.contains('\r'), "{line}");
            assert!(line.starts_with('{') && line.ends_with('}'));
            let want = serde_json::to_value(&r).expect("serializable");
            assert_eq!(parsed(&r), want);
            assert_eq!(want["schema"], REPORT_SCHEMA);
        }
    }

    #[test]
    fn report_without_evidence_round_trips() {
        // `Evidence` refuses its own harness-set fields on input (`deny_unknown_fields` with
        // `skip_deserializing`), so only reports without evidence read back as `AlertReport`.
        let r = incomplete_report();
        let back: AlertReport = serde_json::from_str(&render_json(&r)).expect("round trip");
        assert_eq!(back, r);
    }

    #[test]
    fn data_is_not_slack_escaped() {
        let v = parsed(&hostile_report());
        assert_eq!(v["alert"]["user"], "<@U123>");
        assert_eq!(
            v["alert"]["name"],
            "<!channel> Urgent & *bold*\n*Why it's probably fine:*\n• fake"
        );
        assert_eq!(v["classification"], "SUSPICIOUS");
        assert_eq!(v["status"], "failed");
    }

    #[test]
    fn optional_fields_are_left_out() {
        let v = parsed(&incomplete_report());
        assert!(v.get("assessment").is_none());
        assert_eq!(v["status_reason"], "turn limit reached (24 model calls)");
        assert!(parsed(&benign_report()).get("status_reason").is_none());
        assert_eq!(v["passes"], Value::Array(Vec::new()));
    }
}
