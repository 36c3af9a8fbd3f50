//! SIGINT/SIGTERM: a command stops starting new work, cleans up (children stopped, state
//! written) and exits 130/143.

use crate::exit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => exit::SIGINT,
            Signal::Terminate => exit::SIGTERM,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// Resolves when the process receives SIGINT or SIGTERM. If a handler cannot be installed the
/// future never resolves (the default disposition still applies).
pub async fn wait() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        match (int, term) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => Signal::Interrupt,
                _ = term.recv() => Signal::Terminate,
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

/// Why a run stops early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    Signal(Signal),
    /// Nothing more can succeed (the API refused the key): exit 2.
    Fatal(String),
}

/// Shared "stop now" flag: the first reason set wins; waiters are woken.
#[derive(Clone, Default)]
pub struct StopFlag(std::sync::Arc<(std::sync::Mutex<Option<Stop>>, tokio::sync::Notify)>);

impl StopFlag {
    pub fn set(&self, why: Stop) {
        if let Ok(mut s) = self.0.0.lock()
            && s.is_none()
        {
            *s = Some(why);
        }
        self.0.1.notify_waiters();
    }

    pub fn get(&self) -> Option<Stop> {
        self.0.0.lock().ok().and_then(|s| s.clone())
    }

    /// Resolves once a stop reason is set.
    pub async fn wait(&self) -> Stop {
        loop {
            let notified = self.0.1.notified();
            if let Some(s) = self.get() {
                return s;
            }
            notified.await;
        }
    }

    /// Sets the flag when SIGINT/SIGTERM arrives. The handlers are installed before this
    /// returns, so no signal falls through to the default (kill) action after it.
    pub fn listen_for_signals(&self) {
        let flag = self.clone();
        #[cfg(unix)]
        let streams = {
            use tokio::signal::unix::{SignalKind, signal};
            (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            )
        };
        tokio::spawn(async move {
            #[cfg(unix)]
            let sig = match streams {
                (Ok(mut int), Ok(mut term)) => tokio::select! {
                    _ = int.recv() => Signal::Interrupt,
                    _ = term.recv() => Signal::Terminate,
                },
                _ => std::future::pending().await,
            };
            #[cfg(not(unix))]
            let sig = wait().await;
            tracing::warn!(
                "{}: finishing up (no new alerts start; unfinished ones are reported as interrupted)",
                sig.name()
            );
            flag.set(Stop::Signal(sig));
        });
    }
}
