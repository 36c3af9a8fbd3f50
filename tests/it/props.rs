//! Property tests: no input — alert files, model responses, submissions, report text — makes
//! `triage` panic, and Slack output never carries markup from data.

use proptest::prelude::*;
use serde_json::{Value, json};

use triage::alert::parse_alerts;
use triage::anthropic::MessagesResponse;
use triage::assessment::parse_submission;

/// Arbitrary JSON values, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("name".to_string()),
                    Just("severity".to_string()),
                    Just("severity_id".to_string()),
                    Just("timestamp".to_string()),
                    Just("type".to_string()),
                    Just("content".to_string()),
                    Just("text".to_string()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn alert_input_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_alerts(&bytes, "fuzz");
    }

    #[test]
    fn alert_input_never_panics_on_json(v in json_value(), lines in 1usize..4) {
        let one = v.to_string();
        let _ = parse_alerts(one.as_bytes(), "fuzz");
        let many = vec![one.clone(); lines].join("\n");
        let _ = parse_alerts(many.as_bytes(), "fuzz");
        let array = format!("[{}]", vec![one; lines].join(","));
        if let Ok(parsed) = parse_alerts(array.as_bytes(), "fuzz") {
            // Whatever is accepted has an id and a name.
            for a in parsed.alerts {
                prop_assert!(!a.id.is_empty());
                prop_assert!(!a.name.is_empty());
            }
        }
    }

    #[test]
    fn model_responses_never_panic(v in json_value(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = serde_json::from_value::<MessagesResponse>(v.clone());
        let _ = serde_json::from_slice::<MessagesResponse>(&bytes);
        let wrapped = json!({"id": "m", "content": [v], "stop_reason": "tool_use", "usage": {}});
        if let Ok(r) = serde_json::from_value::<MessagesResponse>(wrapped) {
            // Whatever decodes can be sent back.
            let _ = serde_json::to_string(&r.content).unwrap();
        }
    }

    #[test]
    fn submissions_never_panic(v in json_value()) {
        let _ = parse_submission(&v, false);
        let _ = parse_submission(&v, true);
    }

    #[test]
    fn slack_text_from_data_is_always_inert(name in ".{0,80}", user in ".{0,40}", id in ".{0,30}") {
        let alert = triage::alert::Alert::from_value(json!({"id": format!("x{id}"), "name": format!("n{name}"), "severity": "High",
            "results_table": {"columns": ["user"], "rows": [[user]]}})).unwrap();
        let r = triage::investigate::unfinished_report(&alert, "m", triage::report::Status::Failed, name.clone());
        let text = triage::report::render_slack(&r);
        prop_assert!(!text.contains('<') && !text.contains('>'), "{}", text);
        for part in triage::report::split_for_slack(&text, 64) {
            prop_assert!(part.len() <= 64);
        }
    }
}
