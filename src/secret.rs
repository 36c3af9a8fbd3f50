//! A secret value (API key, token) that can never be printed by accident.
//!
//! `Debug` and `Display` both show `[redacted]`; the only way to the value is [`Secret::expose`],
//! which makes every use greppable. The audit trail and error paths also run text through
//! [`Redactor`], which replaces every configured secret value wherever it appears.

use std::fmt;

/// A secret string. Cloning is cheap enough; the value never reaches `Debug`/`Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the one place that must send it (a header, a child's environment).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Replaces every known secret value in a text with `[redacted]`.
///
/// Values shorter than [`Redactor::MIN_LEN`] are ignored: redacting `"1"` everywhere would
/// destroy the text and such a value is no secret anyway.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    /// Shortest value treated as a secret worth scrubbing.
    pub const MIN_LEN: usize = 6;

    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut secrets: Vec<Secret> = secrets
            .into_iter()
            .filter(|s| s.expose().len() >= Self::MIN_LEN)
            .collect();
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        secrets.dedup();
        Self { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.expose()) {
                out = out.replace(s.expose(), "[redacted]");
            }
            // The same secret inside JSON text, where `"` and `\` are escaped.
            if let Ok(quoted) = serde_json::to_string(s.expose()) {
                let escaped = &quoted[1..quoted.len() - 1];
                if escaped != s.expose() && out.contains(escaped) {
                    out = out.replace(escaped, "[redacted]");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("sk-ant-very-secret");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(s.expose(), "sk-ant-very-secret");
    }

    #[test]
    fn redactor_finds_secrets_inside_json() {
        let r = Redactor::new([Secret::new("pa\"ss\\word")]);
        let line = serde_json::json!({"q": "x pa\"ss\\word y"}).to_string();
        assert_eq!(r.redact(&line), "{\"q\":\"x [redacted] y\"}");
    }

    #[test]
    fn redactor_replaces_every_occurrence_longest_first() {
        let r = Redactor::new([
            Secret::new("abcdef"),
            Secret::new("abcdefgh"),
            Secret::new("x"),
        ]);
        assert_eq!(
            r.redact("k=abcdefgh j=abcdef x"),
            "k=[redacted] j=[redacted] x"
        );
    }
}
