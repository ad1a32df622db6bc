//! An async rate limiter: every OneClickDZ request shares one (the API budget), and so do Telegram
//! sends when pacing is on (Telegram's bulk limit).
//!
//! Generic cell rate algorithm with reservations: each `acquire` books the next free slot under
//! a lock and then sleeps until it, so waiters are served in arrival order and nobody spins.
//! A burst of `burst` requests passes at once; after that one request per `60s / per_minute`.
//! The slot arithmetic is a pure function of "now" (`reserve`) so it is tested without sleeping
//! (tokio's `test-util` clock is not enabled in this crate).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub struct RateLimiter {
    /// `None` when unlimited (`per_minute == 0`).
    interval: Option<Duration>,
    /// Extra requests allowed ahead of schedule: `(burst - 1) * interval`.
    tolerance: Duration,
    burst: u32,
    state: Mutex<State>,
}

struct State {
    /// Theoretical arrival time of the next request at the steady rate.
    tat: Instant,
    paused_until: Option<Instant>,
    /// Bumped by every `pause_until`, so sleepers can tell a pause began while they waited.
    pause_generation: u64,
}

impl RateLimiter {
    /// `per_minute` requests per minute with a burst of `per_minute / 6` (at least 1).
    /// `0` disables limiting.
    pub fn new(per_minute: u32) -> Self {
        Self::with_burst(per_minute, per_minute / 6)
    }

    /// At most `per_minute` in any 60 s, burst included: the steady rate leaves room for the
    /// burst (`per_minute - burst` per minute), for budgets counted over a rolling minute.
    pub fn within_budget(per_minute: u32) -> Self {
        let burst = per_minute / 6;
        Self::with_burst(per_minute.saturating_sub(burst).max(1).min(per_minute), burst)
    }

    /// Same with an explicit burst size (clamped to at least 1).
    pub fn with_burst(per_minute: u32, burst: u32) -> Self {
        let burst = burst.max(1);
        let interval = (per_minute > 0).then(|| Duration::from_secs(60) / per_minute);
        let tolerance = interval.map_or(Duration::ZERO, |i| i * (burst - 1));
        RateLimiter {
            interval,
            tolerance,
            burst,
            state: Mutex::new(State { tat: Instant::now(), paused_until: None, pause_generation: 0 }),
        }
    }

    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Waits until this request may go. Dropping the future while it waits gives up the slot
    /// without returning it, which only errs on the slow side.
    pub async fn acquire(&self) {
        loop {
            let (at, generation) = self.reserve(Instant::now());
            if at > Instant::now() {
                tokio::time::sleep_until(at).await;
            }
            // If a 429 paused everything while we slept, our slot predates the pause: book a
            // new one behind it instead of firing into a rate-limited gateway.
            let st = self.lock();
            let paused_now = st.paused_until.is_some_and(|p| p > Instant::now());
            if st.pause_generation == generation || !paused_now {
                return;
            }
        }
    }

    /// Stops all requests until `until` (a 429's Retry-After). Afterwards requests resume at
    /// the steady rate without a burst, since the gateway just told us we were too fast.
    pub fn pause_until(&self, until: Instant) {
        let mut st = self.lock();
        if st.paused_until.is_none_or(|p| p < until) {
            st.paused_until = Some(until);
        }
        let resume_tat = until + self.tolerance;
        if st.tat < resume_tat {
            st.tat = resume_tat;
        }
        st.pause_generation += 1;
    }

    /// Books the next slot for a request arriving at `now`; returns when it may go and the
    /// pause generation it was booked under.
    fn reserve(&self, now: Instant) -> (Instant, u64) {
        let mut st = self.lock();
        let mut at = now;
        if let Some(p) = st.paused_until {
            if p > at {
                at = p;
            } else {
                st.paused_until = None;
            }
        }
        if let Some(interval) = self.interval {
            // Conforms once `tat - tolerance <= at`.
            let earliest = st.tat.checked_sub(self.tolerance).unwrap_or(now);
            if earliest > at {
                at = earliest;
            }
            st.tat = st.tat.max(at) + interval;
        }
        (at, st.pause_generation)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("interval", &self.interval)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Books `n` slots all requested at `start`; returns the offsets at which they may go.
    fn schedule(l: &RateLimiter, start: Instant, n: usize) -> Vec<Duration> {
        (0..n).map(|_| l.reserve(start).0 - start).collect()
    }

    #[test]
    fn burst_then_steady_rate() {
        // 600/min = one per 100 ms, burst 100.
        let l = RateLimiter::new(600);
        assert_eq!(l.burst(), 100);
        let start = l.lock().tat;
        let offs = schedule(&l, start, 150);
        assert!(offs[..100].iter().all(|d| d.is_zero()));
        // The 101st waits one interval, the 150th fifty.
        assert_eq!(offs[100], Duration::from_millis(100));
        assert_eq!(offs[149], Duration::from_millis(5000));
        // After the burst: exactly the steady rate.
        for w in offs[100..].windows(2) {
            assert_eq!(w[1] - w[0], Duration::from_millis(100));
        }
    }

    #[test]
    fn tokens_refill_over_time() {
        let l = RateLimiter::with_burst(600, 5);
        let t0 = l.lock().tat;
        assert!(schedule(&l, t0, 5).iter().all(|d| d.is_zero()));
        assert_eq!(l.reserve(t0).0 - t0, Duration::from_millis(100));
        // Two seconds later the bucket is full again (5 tokens), not 20.
        let t1 = t0 + Duration::from_secs(2);
        let offs = schedule(&l, t1, 6);
        assert!(offs[..5].iter().all(|d| d.is_zero()), "{offs:?}");
        assert_eq!(offs[5], Duration::from_millis(100));
    }

    #[test]
    fn within_budget_never_exceeds_the_budget_in_any_minute() {
        let l = RateLimiter::within_budget(120);
        let t0 = Instant::now();
        let times = schedule(&l, t0, 400);
        for (i, start) in times.iter().enumerate() {
            let in_window = times[i..].iter().take_while(|t| **t < *start + Duration::from_secs(60)).count();
            assert!(in_window <= 120, "{in_window} requests in the minute from {start:?}");
        }
        assert_eq!(times.iter().filter(|t| **t == Duration::ZERO).count(), 20, "the burst still passes at once");
    }

    #[test]
    fn minimum_burst_is_one() {
        let l = RateLimiter::new(5);
        assert_eq!(l.burst(), 1);
        let t0 = l.lock().tat;
        let offs = schedule(&l, t0, 3);
        assert_eq!(offs, vec![Duration::ZERO, Duration::from_secs(12), Duration::from_secs(24)]);
    }

    #[test]
    fn unlimited_when_zero() {
        let l = RateLimiter::new(0);
        let t0 = Instant::now();
        assert!(schedule(&l, t0, 1000).iter().all(|d| d.is_zero()));
    }

    #[test]
    fn pause_blocks_everyone_then_resumes_without_burst() {
        let l = RateLimiter::new(600);
        let t0 = l.lock().tat;
        l.pause_until(t0 + Duration::from_secs(3));
        let offs = schedule(&l, t0, 3);
        assert_eq!(offs, vec![Duration::from_secs(3), Duration::from_millis(3100), Duration::from_millis(3200)]);
        // An earlier pause never shortens a later one.
        l.pause_until(t0 + Duration::from_secs(1));
        assert!(l.reserve(t0).0 >= t0 + Duration::from_secs(3));
    }

    #[tokio::test]
    async fn acquire_really_waits() {
        // 6000/min = 10 ms apart, no burst: 11 acquisitions span at least 100 ms of real time.
        let l = std::sync::Arc::new(RateLimiter::with_burst(6000, 1));
        let start = std::time::Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..11 {
            let l = l.clone();
            tasks.push(tokio::spawn(async move { l.acquire().await }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(95), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }

    #[tokio::test]
    async fn acquire_respects_pause() {
        let l = RateLimiter::new(6000);
        let start = std::time::Instant::now();
        l.pause_until(Instant::now() + Duration::from_millis(80));
        l.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(75));
    }

    #[tokio::test]
    async fn sleeper_rebooks_after_a_new_pause() {
        let l = std::sync::Arc::new(RateLimiter::with_burst(6000, 1));
        l.acquire().await; // uses the only token
        let start = std::time::Instant::now();
        let l2 = l.clone();
        let waiter = tokio::spawn(async move { l2.acquire().await }); // booked at +10 ms
        tokio::time::sleep(Duration::from_millis(2)).await;
        l.pause_until(Instant::now() + Duration::from_millis(60));
        waiter.await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(55), "{:?}", start.elapsed());
    }
}
