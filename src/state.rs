//! State for unattended runs (cron): which alerts were triaged, where the last window ended,
//! and a lock so two runs never work on the same state directory at once.
//!
//! `state.json` is written atomically (temp file, fsync, rename, fsync of the directory) after
//! every report that reached stdout, so `kill -9` at any moment leaves a readable file, and the
//! next run neither loses an alert (it was not recorded) nor repeats one (it was).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, Severity};
use crate::assessment::Classification;

/// Version of `state.json`; a newer file is refused rather than misread.
pub const STATE_VERSION: u32 = 1;
const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "lock";
/// Seen alerts older than this are forgotten (Scanner windows never reach back that far).
pub const SEEN_RETENTION_DAYS: i64 = 90;

/// One alert triaged to completion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub severity: Severity,
    pub classification: Classification,
    pub triaged_at: Timestamp,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateFile {
    pub version: u32,
    /// Where the last successful run's window ended (the next `--since last` starts here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<Timestamp>,
    #[serde(default)]
    pub seen: BTreeMap<String, Seen>,
}

/// Why an alert is (not) triaged this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dedupe {
    New,
    /// Triaged before at a lower severity: triage again (dedupe must not hide an escalation).
    Escalated,
    AlreadyTriaged,
}

/// An open state directory, locked for this process.
pub struct State {
    dir: PathBuf,
    file: StateFile,
    /// Held for the life of the run; the OS releases it if the process dies.
    _lock: File,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("another triage run is using the state directory {}", .0.display())]
    Busy(PathBuf),
    #[error("{0}")]
    Io(String),
}

impl State {
    /// Opens (creating) the directory, takes the lock without waiting, and reads `state.json`.
    pub fn open(dir: &Path) -> Result<State, StateError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StateError::Io(format!(
                "cannot create the state directory {}: {e}; set --state-dir or TRIAGE_STATE_DIR to a writable directory",
                dir.display()
            ))
        })?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StateError::Io(format!("cannot open {}: {e}", lock_path.display())))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StateError::Busy(dir.to_path_buf()));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(StateError::Io(format!(
                    "cannot lock {}: {e}",
                    lock_path.display()
                )));
            }
        }
        let path = dir.join(STATE_FILE);
        let file = match std::fs::read(&path) {
            Ok(bytes) => {
                let f: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
                    StateError::Io(format!(
                        "{} is not a triage state file ({e}); move it away to start afresh (alerts may then be triaged again)",
                        path.display()
                    ))
                })?;
                if f.version > STATE_VERSION {
                    return Err(StateError::Io(format!(
                        "{} was written by a newer triage (state version {}); upgrade triage",
                        path.display(),
                        f.version
                    )));
                }
                f
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile {
                version: STATE_VERSION,
                ..Default::default()
            },
            Err(e) => {
                return Err(StateError::Io(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        Ok(State {
            dir: dir.to_path_buf(),
            file,
            _lock: lock,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn watermark(&self) -> Option<Timestamp> {
        self.file.watermark
    }

    pub fn dedupe(&self, alert: &Alert) -> Dedupe {
        match self.file.seen.get(&alert.id) {
            None => Dedupe::New,
            // `Severity`'s order is triage order: a smaller value is more severe.
            Some(s) if alert.severity < s.severity => Dedupe::Escalated,
            Some(_) => Dedupe::AlreadyTriaged,
        }
    }

    /// Records a completed alert and saves at once.
    pub fn record(
        &mut self,
        alert: &Alert,
        classification: Classification,
    ) -> Result<(), StateError> {
        self.file.seen.insert(
            alert.id.clone(),
            Seen {
                severity: alert.severity,
                classification,
                triaged_at: Timestamp::now(),
            },
        );
        self.save()
    }

    /// Moves the watermark and forgets alerts past retention; saves at once.
    pub fn finish_run(&mut self, watermark: Timestamp) -> Result<(), StateError> {
        self.file.watermark = Some(watermark);
        let cutoff = Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(24 * SEEN_RETENTION_DAYS))
            .unwrap_or(Timestamp::MIN);
        self.file.seen.retain(|_, s| s.triaged_at >= cutoff);
        self.save()
    }

    /// Atomic write: temp file in the same directory, fsync, rename over, fsync the directory.
    fn save(&self) -> Result<(), StateError> {
        let path = self.dir.join(STATE_FILE);
        let tmp = self
            .dir
            .join(format!("{STATE_FILE}.tmp-{}", std::process::id()));
        let io =
            |e: std::io::Error| StateError::Io(format!("cannot write {}: {e}", path.display()));
        let bytes =
            serde_json::to_vec_pretty(&self.file).map_err(|e| StateError::Io(e.to_string()))?;
        {
            let mut f = File::create(&tmp).map_err(io)?;
            f.write_all(&bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &path).map_err(io)?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// The default state directory: `$XDG_STATE_HOME/triage`, else `$HOME/.local/state/triage`.
pub fn default_dir(xdg_state_home: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    match (xdg_state_home, home) {
        (Some(x), _) if Path::new(x).is_absolute() => Some(Path::new(x).join("triage")),
        (_, Some(h)) => Some(Path::new(h).join(".local/state/triage")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert(id: &str, sev: &str) -> Alert {
        Alert::from_value(json!({"id": id, "name": "n", "severity": sev})).unwrap()
    }

    #[test]
    fn records_dedupes_and_sees_escalations() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = State::open(dir.path()).unwrap();
            assert_eq!(s.dedupe(&alert("a", "Low")), Dedupe::New);
            s.record(&alert("a", "Low"), Classification::Benign)
                .unwrap();
            assert_eq!(s.dedupe(&alert("a", "Low")), Dedupe::AlreadyTriaged);
            assert_eq!(
                s.dedupe(&alert("a", "Informational")),
                Dedupe::AlreadyTriaged
            );
            assert_eq!(s.dedupe(&alert("a", "High")), Dedupe::Escalated);
            s.finish_run("2026-11-25T00:00:00Z".parse().unwrap())
                .unwrap();
        }
        let s = State::open(dir.path()).unwrap();
        assert_eq!(s.dedupe(&alert("a", "Low")), Dedupe::AlreadyTriaged);
        assert_eq!(s.watermark(), Some("2026-11-25T00:00:00Z".parse().unwrap()));
        // No temp files left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    }

    #[test]
    fn a_second_open_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let _first = State::open(dir.path()).unwrap();
        match State::open(dir.path()) {
            Err(StateError::Busy(p)) => assert_eq!(p, dir.path()),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("second open should be busy"),
        }
    }

    #[test]
    fn a_corrupt_state_file_is_explained() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("state.json"), "{not json").unwrap();
        let e = State::open(dir.path()).err().unwrap().to_string();
        assert!(e.contains("is not a triage state file"), "{e}");
        assert!(e.contains("move it away"), "{e}");
    }

    #[test]
    fn default_dir_follows_xdg() {
        assert_eq!(
            default_dir(Some("/x"), Some("/h")),
            Some(PathBuf::from("/x/triage"))
        );
        assert_eq!(
            default_dir(Some("rel"), Some("/h")),
            Some(PathBuf::from("/h/.local/state/triage"))
        );
        assert_eq!(default_dir(None, None), None);
    }
}
