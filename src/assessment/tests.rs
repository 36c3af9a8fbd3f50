use super::*;

fn input(classification: &str, confidence: &str) -> Value {
    json!({
        "classification": classification,
        "confidence": confidence,
        "title": "Backup job read the database at 02:00",
        "what_happened": "The backup role read 40 GB from the prod database.",
        "hypotheses": [
            {"kind": "benign", "explanation": "Nightly backup", "status": "supported", "reasoning": "Same time every night."},
            {"kind": "malicious", "explanation": "Exfiltration", "status": "refuted", "reasoning": "Destination is our bucket."}
        ],
        "benign_evidence": [{"text": "Runs nightly for 30 days", "citations": ["toolu_1"]}],
        "concerning_evidence": [{"text": "Large volume", "citations": ["toolu_2", "toolu_x"]}],
        "data_gaps": [],
        "questions": ["Is the backup schedule documented?"]
    })
}

fn ok(ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_valid_submission_parses_and_verification_marks_citations() {
    let mut a = parse_submission(&input("BENIGN", "High"), false).unwrap();
    verify(&mut a, &ok(&["toolu_1", "toolu_2"]));
    assert!(a.benign_evidence[0].verified);
    assert!(a.concerning_evidence[0].verified);
    assert_eq!(
        a.concerning_evidence[0].unverified_citations,
        vec!["toolu_x".to_string()]
    );
    assert_eq!(apply_guards(&a), (Classification::Benign, vec![]));
}

#[test]
fn harness_fields_cannot_be_set_by_the_model() {
    let mut v = input("BENIGN", "High");
    v["benign_evidence"][0]["verified"] = json!(true);
    // `verified` is not part of the model's input: unknown field → rejected.
    let e = parse_submission(&v, false).unwrap_err();
    assert!(e.contains("unknown field `verified`"), "{e}");
}

#[test]
fn schema_errors_and_content_problems_say_what_to_fix() {
    let e = parse_submission(&json!({"classification": "PROBABLY_FINE"}), false).unwrap_err();
    assert!(e.starts_with("The submission does not match the schema of submit_assessment: unknown variant `PROBABLY_FINE`"), "{e}");
    assert!(
        e.ends_with("Fix it and call submit_assessment again."),
        "{e}"
    );

    let mut v = input("SUSPICIOUS", "Medium");
    v["title"] = json!(" ");
    v["hypotheses"] =
        json!([{"kind": "benign", "explanation": "x", "status": "open", "reasoning": ""}]);
    let e = parse_submission(&v, true).unwrap_err();
    assert_eq!(
        e,
        "The submission was not accepted: `title` is empty; give at least 2 hypotheses: the most likely benign and the most likely malicious explanation; `hypotheses` must include at least one of kind \"benign\" and one of kind \"malicious\"; `changes` is required in a critique pass: say what changed and why, or why nothing did. Fix it and call submit_assessment again."
    );
    let mut v = input("SUSPICIOUS", "Medium");
    v["questions"] = json!(vec!["Why?"; 21]);
    assert!(
        parse_submission(&v, false)
            .unwrap_err()
            .contains("`questions` has 21 items; keep it to 20")
    );
    v["questions"] = json!([]);
    v["changes"] = json!("Added the VirusTotal check.");
    assert!(parse_submission(&v, true).is_ok());
}

#[test]
fn malicious_without_verified_concerning_evidence_is_lowered() {
    let mut a = parse_submission(&input("MALICIOUS", "High"), false).unwrap();
    verify(&mut a, &ok(&["toolu_1"]));
    let (c, g) = apply_guards(&a);
    assert_eq!(c, Classification::Suspicious);
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].rule, "malicious_needs_verified_evidence");
    assert_eq!(g[0].from, Classification::Malicious);
    assert_eq!(
        g[0].reason,
        "lowered from MALICIOUS: no concerning evidence is backed by a successful tool call"
    );
    // Citing only the alert is not enough either.
    let mut v = input("MALICIOUS", "High");
    v["concerning_evidence"] = json!([{"text": "The rule fired", "citations": ["alert"]}]);
    let mut a = parse_submission(&v, false).unwrap();
    verify(&mut a, &ok(&["toolu_1"]));
    assert!(a.concerning_evidence[0].verified);
    assert_eq!(apply_guards(&a).0, Classification::Suspicious);
    // With a successful call behind it, MALICIOUS stands.
    let mut a = parse_submission(&input("MALICIOUS", "High"), false).unwrap();
    verify(&mut a, &ok(&["toolu_2"]));
    assert_eq!(apply_guards(&a), (Classification::Malicious, vec![]));
}

#[test]
fn benign_needs_confidence_and_verified_evidence() {
    let mut a = parse_submission(&input("BENIGN", "Low"), false).unwrap();
    verify(&mut a, &ok(&["toolu_1"]));
    let (c, g) = apply_guards(&a);
    assert_eq!(c, Classification::Suspicious);
    assert_eq!(g[0].rule, "benign_needs_confidence");
    assert_eq!(g.len(), 1, "one change is enough: {g:?}");

    let mut a = parse_submission(&input("BENIGN", "High"), false).unwrap();
    verify(&mut a, &ok(&[]));
    let (c, g) = apply_guards(&a);
    assert_eq!(c, Classification::Suspicious);
    assert_eq!(g[0].rule, "benign_needs_verified_evidence");
    assert_eq!(
        g[0].reason,
        "raised from BENIGN: no benign evidence is backed by a successful tool call"
    );
}

#[test]
fn suspicious_is_never_changed() {
    let mut a = parse_submission(&input("SUSPICIOUS", "Low"), false).unwrap();
    verify(&mut a, &ok(&[]));
    assert_eq!(apply_guards(&a), (Classification::Suspicious, vec![]));
}

#[test]
fn schema_lists_every_required_field() {
    let s = assessment_schema(true);
    let req: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(req.contains(&"changes"));
    assert!(
        !assessment_schema(false)["required"]
            .as_array()
            .unwrap()
            .contains(&json!("changes"))
    );
    assert_eq!(
        s["properties"]["classification"]["enum"],
        json!(["BENIGN", "SUSPICIOUS", "MALICIOUS"])
    );
}
