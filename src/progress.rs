//! A one-line progress display on stderr (alerts done/total, what is running) — only when
//! stderr is a terminal and not `-q`: never in a pipe or under cron.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Longest progress line, in characters (a terminal line, not a log).
const MAX_LINE: usize = 100;

pub struct Progress {
    enabled: bool,
    state: Mutex<(usize, usize, BTreeSet<String>)>,
}

impl Progress {
    pub fn new(total: usize, quiet: bool) -> Self {
        Self {
            enabled: !quiet && std::io::stderr().is_terminal(),
            state: Mutex::new((0, total, BTreeSet::new())),
        }
    }

    pub fn started(&self, id: &str) {
        self.update(|s| {
            s.2.insert(id.to_string());
        });
    }

    pub fn finished(&self, id: &str) {
        self.update(|s| {
            s.2.remove(id);
            s.0 += 1;
        });
    }

    /// Clears the line (before the summary).
    pub fn clear(&self) {
        if self.enabled {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
        }
    }

    fn update(&self, f: impl FnOnce(&mut (usize, usize, BTreeSet<String>))) {
        let Ok(mut s) = self.state.lock() else { return };
        f(&mut s);
        if !self.enabled {
            return;
        }
        let running: Vec<&str> = s.2.iter().map(String::as_str).collect();
        let mut line = format!(
            "triage: {}/{} done · running: {}",
            s.0,
            s.1,
            running.join(", ")
        );
        if line.chars().count() > MAX_LINE {
            line = line.chars().take(MAX_LINE - 1).collect::<String>() + "…";
        }
        let line: String = line.chars().filter(|c| !c.is_control()).collect();
        let mut e = std::io::stderr().lock();
        let _ = write!(e, "\r\x1b[2K{line}");
        let _ = e.flush();
    }
}
