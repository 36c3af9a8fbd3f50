//! Per-server request rate limits (VirusTotal's free tier allows 4 requests a minute). A call
//! waits for its slot instead of failing; each server has its own limiter, so waiting on one
//! never delays calls to another. The lock is held only to book a slot, never across the wait.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// `per_minute` requests a minute, evenly spaced (the first one at once).
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            interval: Duration::from_secs_f64(60.0 / f64::from(per_minute.max(1))),
            next: Mutex::new(None),
        }
    }

    /// Waits until this call's slot; returns how long it waited.
    pub async fn wait(&self) -> Duration {
        let now = Instant::now();
        let slot = match self.next.lock() {
            Ok(mut next) => {
                let slot = next.map_or(now, |n| n.max(now));
                *next = Some(slot + self.interval);
                slot
            }
            Err(_) => now,
        };
        tokio::time::sleep_until(slot).await;
        slot - now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_by_the_interval() {
        let l = RateLimiter::per_minute(4);
        let t0 = Instant::now();
        assert_eq!(l.wait().await, Duration::ZERO);
        l.wait().await;
        l.wait().await;
        assert_eq!(t0.elapsed(), Duration::from_secs(30));
    }
}
