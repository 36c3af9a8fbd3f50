//! The prompts: compiled in from `prompts/`, overridable with `--prompts DIR`, filled by
//! simple `{{name}}` substitution. The system prompt has no placeholders: it is part of the
//! cached prefix and must be byte-identical across a run.

use std::path::Path;

/// File names, in `prompts/` and in a `--prompts DIR`.
const FILES: [&str; 6] = [
    "system.md",
    "investigate.md",
    "critique.md",
    "critique_focus_1.md",
    "critique_focus_2.md",
    "collect.md",
];

#[derive(Clone, Debug)]
pub struct Prompts {
    pub system: String,
    pub investigate: String,
    pub critique: String,
    pub critique_focus: [String; 2],
    pub collect: String,
}

impl Prompts {
    /// The prompts compiled into the binary.
    pub fn builtin() -> Self {
        Self {
            system: include_str!("../prompts/system.md").to_string(),
            investigate: include_str!("../prompts/investigate.md").to_string(),
            critique: include_str!("../prompts/critique.md").to_string(),
            critique_focus: [
                include_str!("../prompts/critique_focus_1.md").to_string(),
                include_str!("../prompts/critique_focus_2.md").to_string(),
            ],
            collect: include_str!("../prompts/collect.md").to_string(),
        }
    }

    /// The built-in prompts with every file present in `dir` replacing its counterpart. A
    /// directory with none of the files is an error (a typo in the path, most likely).
    pub fn load(dir: Option<&Path>) -> Result<Self, String> {
        let mut p = Self::builtin();
        let Some(dir) = dir else { return Ok(p) };
        if !dir.is_dir() {
            return Err(format!(
                "--prompts {}: not a directory; give a directory holding any of {}",
                dir.display(),
                FILES.join(", ")
            ));
        }
        let mut found = 0;
        for name in FILES {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("--prompts: cannot read {}: {e}", path.display()))?;
            found += 1;
            match name {
                "system.md" => p.system = text,
                "investigate.md" => p.investigate = text,
                "critique.md" => p.critique = text,
                "critique_focus_1.md" => p.critique_focus[0] = text,
                "critique_focus_2.md" => p.critique_focus[1] = text,
                _ => p.collect = text,
            }
        }
        if found == 0 {
            return Err(format!(
                "--prompts {}: none of {} is there",
                dir.display(),
                FILES.join(", ")
            ));
        }
        Ok(p)
    }
}

/// Replaces every `{{name}}` with its value in one pass over the template: text substituted in
/// (alert data) is never scanned again, so an alert holding `{{tools}}` stays as written.
/// Unknown placeholders stay as they are.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let key = &after[..end];
                match values.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_placeholders() {
        assert_eq!(
            fill("a {{x}} b {{y}} {{x}} {{z}}", &[("x", "1"), ("y", "2")]),
            "a 1 b 2 1 {{z}}"
        );
        // Substituted text is not scanned again.
        assert_eq!(fill("{{a}}{{b}}", &[("a", "{{b}}"), ("b", "B")]), "{{b}}B");
        assert_eq!(fill("open {{x", &[("x", "1")]), "open {{x");
    }

    #[test]
    fn builtin_prompts_have_their_placeholders() {
        let p = Prompts::builtin();
        assert!(
            !p.system.contains("{{"),
            "the system prompt must be constant"
        );
        for ph in [
            "{{alert_json}}",
            "{{alert_id}}",
            "{{window}}",
            "{{tools}}",
            "{{max_turns}}",
        ] {
            assert!(p.investigate.contains(ph), "investigate.md lacks {ph}");
        }
        for ph in [
            "{{pass}}",
            "{{passes}}",
            "{{verification}}",
            "{{pass_focus}}",
        ] {
            assert!(p.critique.contains(ph), "critique.md lacks {ph}");
        }
        for ph in ["{{from}}", "{{to}}", "{{max_alerts}}"] {
            assert!(p.collect.contains(ph), "collect.md lacks {ph}");
        }
    }

    #[test]
    fn override_dir_replaces_present_files_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("system.md"), "custom system").unwrap();
        let p = Prompts::load(Some(dir.path())).unwrap();
        assert_eq!(p.system, "custom system");
        assert_eq!(p.critique, Prompts::builtin().critique);
        let empty = tempfile::tempdir().unwrap();
        assert!(
            Prompts::load(Some(empty.path()))
                .unwrap_err()
                .contains("none of system.md")
        );
    }
}
