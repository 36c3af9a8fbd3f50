//! `triage audit [RUN] [--alert ID]`: a run's audit trail, readable (or raw with `--raw`).

use std::path::PathBuf;

use crate::cli::AuditArgs;
use crate::config::Config;
use crate::output::write_stdout;
use crate::{Failure, exit};

pub fn run(config: &Config, args: &AuditArgs) -> Result<u8, Failure> {
    let path = match &args.run {
        Some(r) if r.ends_with(".jsonl") || r.contains('/') => PathBuf::from(r),
        other => {
            let Some(dir) = &config.audit_dir else {
                return Err(Failure::fatal(
                    "no audit directory: set --audit-dir, --state-dir or TRIAGE_STATE_DIR (or HOME)",
                ));
            };
            let runs = crate::audit::list_runs(dir);
            match other {
                Some(id) => {
                    let p = dir.join(format!("{id}.jsonl"));
                    if !p.exists() {
                        return Err(Failure::fatal(format!(
                            "no run `{id}` in {}; runs there: {}",
                            dir.display(),
                            recent(&runs)
                        )));
                    }
                    p
                }
                None => match runs.last() {
                    Some(p) => p.clone(),
                    None => {
                        return Err(Failure::fatal(format!(
                            "no audit files in {} yet: a triage run writes one",
                            dir.display()
                        )));
                    }
                },
            }
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::fatal(format!("cannot read {}: {e}", path.display())))?;
    let out = if args.raw {
        match &args.alert {
            None => text,
            Some(id) => text
                .lines()
                .filter(|l| {
                    serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| {
                        v["alert"] == id.as_str() || v["type"] == "header" || v["type"] == "summary"
                    })
                })
                .map(|l| format!("{l}\n"))
                .collect(),
        }
    } else {
        crate::audit::render(&text, args.alert.as_deref())
    };
    write_stdout(&out)?;
    Ok(exit::OK)
}

fn recent(runs: &[PathBuf]) -> String {
    let names: Vec<String> = runs
        .iter()
        .rev()
        .take(5)
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
