//! What `/readyz` answers from: the last word of each outside party, recorded by the part of the
//! bot that talks to it (the health worker for OneClickDZ, the Telegram side for Telegram).
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::time::Duration;

/// How recent a Telegram contact must be to count; older, `/readyz` asks Telegram (`getMe`) itself.
pub const TELEGRAM_RECENT: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct Readiness {
    /// Unix millis of the last successful exchange with Telegram; 0 = never.
    telegram_at: AtomicI64,
    /// 0 = not checked yet, 1 = the last health check passed, 2 = it failed.
    oneclick: AtomicU8,
}

impl Readiness {
    pub fn new() -> Readiness {
        Readiness::default()
    }

    /// Telegram answered us (or delivered an update with the right secret).
    pub fn telegram_reached(&self) {
        self.telegram_at.store(crate::store::now_ms(), Ordering::Relaxed);
    }

    pub fn telegram_recent(&self) -> bool {
        let at = self.telegram_at.load(Ordering::Relaxed);
        at > 0 && crate::store::now_ms() - at < TELEGRAM_RECENT.as_millis() as i64
    }

    /// The outcome of OneClickDZ's health check (`/v3/validate`).
    pub fn oneclick_checked(&self, ok: bool) {
        self.oneclick.store(if ok { 1 } else { 2 }, Ordering::Relaxed);
    }

    /// Only a check that passed counts: not checked yet is not ready.
    pub fn oneclick_ok(&self) -> bool {
        self.oneclick.load(Ordering::Relaxed) == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_ready_until_reported() {
        let r = Readiness::new();
        assert!(!r.telegram_recent() && !r.oneclick_ok());
        r.telegram_reached();
        r.oneclick_checked(true);
        assert!(r.telegram_recent() && r.oneclick_ok());
        r.oneclick_checked(false);
        assert!(!r.oneclick_ok());
    }

    #[test]
    fn an_old_telegram_contact_does_not_count() {
        let r = Readiness::new();
        r.telegram_at.store(crate::store::now_ms() - TELEGRAM_RECENT.as_millis() as i64 - 1, Ordering::Relaxed);
        assert!(!r.telegram_recent());
    }
}
