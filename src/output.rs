//! stdout is the product: the only place that writes to it. A closed stdout (`| head`) is not
//! an error — the command stops writing and finishes its bookkeeping.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::Failure;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes and flushes `text` to stdout. A broken pipe is remembered and ignored.
pub fn write_stdout(text: &str) -> Result<(), Failure> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            tracing::debug!("stdout closed; further output dropped");
            Ok(())
        }
        Err(e) => Err(Failure::fatal(format!("cannot write to stdout: {e}"))),
    }
}

/// True once a write found stdout closed.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}
