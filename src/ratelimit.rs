//! An async rate limiter: every OneClickDZ request shares one (the API budget), and so do Telegram
//! sends when pacing is on (Telegram's bulk limit).
//!
//! Generic cell rate algorithm with reservations: each `acquire` books the next free slot under
//! a lock and then sleeps until it, so waiters are served in arrival order and nobody spins.
//! A burst of `burst` requests passes at once; after that one request per `60s / per_minute`.
//!
//! `acquire_spare` is a second, lower lane for work that should only use what `acquire` leaves
//! (broadcasts next to replies): it never books ahead, it takes a slot only if one is free at
//! that instant and otherwise sleeps until one could be. A booked request arriving meanwhile gets
//! that slot first, so spare waiters never delay booked ones, and since both lanes move the same
//! schedule, together they never exceed the rate. A 429 pause holds both.
//!
//! `acquire_tracker` sits between the two (OneClickDZ only): the order tracker's list pages, one
//! request that follows many orders, take free slots before the spare lane (sends, single checks)
//! but never a slot a customer booked.
//!
//! The slot arithmetic is a pure function of "now" (`reserve`, `take_spare`) so it is tested
//! without sleeping (tokio's `test-util` clock is not enabled in this crate).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Which lane of a limiter a request waits in; one type for every limiter (OneClickDZ's budget,
/// Telegram's send pacer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Someone is waiting in the chat for the answer: books the next free slot (`acquire`).
    Customer,
    /// Work nobody watches as it happens (order sends and polls, broadcast copies): takes only
    /// slots no customer request booked (`acquire_spare`).
    Background,
    /// The tracker's list pages: free slots like `Background`, but ahead of it.
    Tracker,
}

impl Lane {
    /// The lane's name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            Lane::Customer => "customer",
            Lane::Background => "background",
            Lane::Tracker => "tracker",
        }
    }
}

pub struct RateLimiter {
    /// `None` when unlimited (`per_minute == 0`).
    interval: Option<Duration>,
    /// Extra requests allowed ahead of schedule: `(burst - 1) * interval`.
    tolerance: Duration,
    burst: u32,
    /// Burst slots the free lanes leave to `acquire` (customers); 0 unless `reserving`.
    customer_reserve: u32,
    state: Mutex<State>,
}

struct State {
    /// Theoretical arrival time of the next request at the steady rate.
    tat: Instant,
    paused_until: Option<Instant>,
    /// Bumped by every `pause_until`, so sleepers can tell a pause began while they waited.
    pause_generation: u64,
    /// `Tracker` requests waiting now: the spare lane leaves them the next free slot.
    tracker_waiting: u32,
    /// When the customer lane's requests of the last minute were let through, for the planner.
    customer_recent: std::collections::VecDeque<Instant>,
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
            customer_reserve: 0,
            state: Mutex::new(State {
                tat: Instant::now(),
                paused_until: None,
                pause_generation: 0,
                tracker_waiting: 0,
                customer_recent: std::collections::VecDeque::new(),
            }),
        }
    }

    /// Keeps `slots` of the burst (at most all but one) for customers' requests: the free lanes
    /// stop that many slots short of the full burst, so a customer never queues behind them.
    pub fn reserving(mut self, slots: u32) -> Self {
        self.customer_reserve = slots.min(self.burst - 1);
        self
    }

    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Waits for a slot in `lane`.
    pub async fn acquire_in(&self, lane: Lane) {
        match lane {
            Lane::Customer => self.acquire().await,
            Lane::Background => self.acquire_spare().await,
            Lane::Tracker => self.acquire_tracker().await,
        }
    }

    /// Customer-lane requests booked in the last minute (what the planner leaves them).
    pub fn customer_last_minute(&self) -> usize {
        let mut st = self.lock();
        prune_minute(&mut st.customer_recent, Instant::now());
        st.customer_recent.len()
    }

    /// The steady rate this limiter keeps to after its burst, per minute (0: unlimited).
    pub fn steady_per_minute(&self) -> f64 {
        self.interval.map_or(0.0, |i| 60.0 / i.as_secs_f64())
    }

    /// Like `acquire_spare`, but ahead of it: while this waits, spare-lane requests leave it the
    /// next free slot. Customers' booked slots still come first.
    pub async fn acquire_tracker(&self) {
        struct Waiting<'a>(&'a RateLimiter);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                let mut st = self.0.lock();
                st.tracker_waiting = st.tracker_waiting.saturating_sub(1);
            }
        }
        self.lock().tracker_waiting += 1;
        let _waiting = Waiting(self);
        while let Err(at) = self.take_free(Instant::now(), true) {
            tokio::time::sleep_until(at).await;
        }
    }

    /// Waits until this request may go. Dropping the future while it waits gives up the slot
    /// without returning it, which only errs on the slow side.
    pub async fn acquire(&self) {
        {
            let now = Instant::now();
            let mut st = self.lock();
            prune_minute(&mut st.customer_recent, now);
            // Bounded: only the last minute's count matters, and a limiter never lets more pass.
            if st.customer_recent.len() < 100_000 {
                st.customer_recent.push_back(now);
            }
        }
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

    /// Waits until a slot is free that no `acquire` has booked, and takes it. Never books ahead,
    /// so `acquire` callers arriving while this waits go first; it gets what they leave. Dropping
    /// the future while it waits costs nothing.
    pub async fn acquire_spare(&self) {
        // `take_spare` only refuses with a moment still to come, so every turn sleeps.
        while let Err(at) = self.take_spare(Instant::now()) {
            tokio::time::sleep_until(at).await;
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

    /// Takes a slot for a spare-lane request at `now` if one is free at that instant (paused
    /// or not conforming: no). If not, returns the earliest moment one could be, which a booked
    /// request may still take first.
    fn take_spare(&self, now: Instant) -> Result<(), Instant> {
        self.take_free(now, false)
    }

    /// `take_spare` for either free-slot lane; `tracker` goes ahead of the spare one.
    fn take_free(&self, now: Instant, tracker: bool) -> Result<(), Instant> {
        let mut st = self.lock();
        if let Some(p) = st.paused_until {
            if p > now {
                return Err(p);
            }
            st.paused_until = None;
        }
        let Some(interval) = self.interval else { return Ok(()) };
        // The last burst slots held for customers stay theirs: with the budget in full use by
        // the free lanes, a customer's request (and a few after it) still goes at once.
        let earliest = st.tat.checked_sub(self.tolerance).unwrap_or(now) + interval * self.customer_reserve;
        if !tracker && st.tracker_waiting > 0 {
            // The next free slot is the tracker's; look again one slot after it.
            return Err(earliest.max(now) + interval);
        }
        if earliest > now {
            return Err(earliest);
        }
        st.tat = st.tat.max(now) + interval;
        Ok(())
    }

    /// The booked slot for a request arriving at `now`, for tests of a limiter's configuration
    /// elsewhere in the crate.
    #[cfg(test)]
    pub(crate) fn book_at(&self, now: Instant) -> Instant {
        self.reserve(now).0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn prune_minute(q: &mut std::collections::VecDeque<Instant>, now: Instant) {
    while q.front().is_some_and(|t| now.saturating_duration_since(*t) >= Duration::from_secs(60)) {
        q.pop_front();
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

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

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

    /// Replies booked at `replies` (offsets from `t0`, ascending, before `horizon`) next to a
    /// broadcast that always has something to send on the spare lane and tries again exactly when
    /// told. Returns the slots each lane got, as offsets from `t0`.
    fn simulate(
        l: &RateLimiter,
        t0: Instant,
        replies: &[Duration],
        horizon: Duration,
    ) -> (Vec<Duration>, Vec<Duration>) {
        let (mut booked, mut spare) = (Vec::new(), Vec::new());
        let mut replies = replies.iter().copied().peekable();
        let mut spare_try = Duration::ZERO;
        loop {
            match replies.peek() {
                // A reply at the very instant the spare waiter tries comes second: the harder case.
                Some(&r) if r < spare_try => {
                    booked.push(l.reserve(t0 + r).0 - t0);
                    replies.next();
                }
                _ if spare_try >= horizon => break,
                _ => match l.take_spare(t0 + spare_try) {
                    Ok(()) => spare.push(spare_try),
                    Err(at) => {
                        assert!(at > t0 + spare_try, "a refusal always names a later moment");
                        spare_try = at - t0;
                    }
                },
            }
        }
        (booked, spare)
    }

    #[test]
    fn spare_waiters_never_take_a_booked_requests_slot() {
        // 100 ms apart, no burst.
        let l = RateLimiter::with_burst(600, 1);
        let t0 = l.lock().tat;
        assert_eq!(l.take_spare(t0), Ok(()));
        // A broadcast copy waits: it is told when a slot could be free, but books nothing.
        assert_eq!(l.take_spare(t0 + ms(10)), Err(t0 + ms(100)));
        // A reply arriving meanwhile gets that slot, as if nobody were waiting...
        assert_eq!(l.reserve(t0 + ms(20)).0, t0 + ms(100));
        // ...and the copy, waking then, finds it taken and waits for the next.
        assert_eq!(l.take_spare(t0 + ms(100)), Err(t0 + ms(200)));
        assert_eq!(l.take_spare(t0 + ms(200)), Ok(()));

        // Booking both (the old way), the reply would have queued behind the copy.
        let fifo = RateLimiter::with_burst(600, 1);
        let t0 = fifo.lock().tat;
        fifo.reserve(t0);
        assert_eq!(fifo.reserve(t0 + ms(10)).0, t0 + ms(100));
        assert_eq!(fifo.reserve(t0 + ms(20)).0, t0 + ms(200));
    }

    #[test]
    fn reserved_burst_slots_leave_customers_a_slot_at_once_when_free_lanes_use_the_rest() {
        let l = RateLimiter::with_burst(600, 5).reserving(3);
        let t0 = l.lock().tat;
        // The free lanes take two of the five burst slots, then wait for the steady rate...
        assert_eq!(l.take_spare(t0), Ok(()));
        assert_eq!(l.take_free(t0, true), Ok(()));
        assert_eq!(l.take_spare(t0), Err(t0 + ms(100)));
        // ...while three customers arriving now still go at once, the fourth at the steady rate.
        let at: Vec<Duration> = (0..4).map(|_| l.reserve(t0).0 - t0).collect();
        assert_eq!(at, [ms(0), ms(0), ms(0), ms(100)]);
        // Never more than the burst and the steady rate between them.
        let plain = RateLimiter::with_burst(600, 5);
        let t1 = plain.lock().tat;
        assert!((0..5).all(|_| plain.take_spare(t1).is_ok()));
        assert_eq!(plain.reserve(t1).0, t1 + ms(100), "without a reserve the customer queues");
    }

    #[test]
    fn spare_lane_takes_a_free_slot_at_once_and_keeps_the_burst() {
        let l = RateLimiter::with_burst(600, 3);
        let t0 = l.lock().tat;
        // Idle: the burst is there for the spare lane too, then the steady rate.
        for _ in 0..3 {
            assert_eq!(l.take_spare(t0), Ok(()));
        }
        assert_eq!(l.take_spare(t0), Err(t0 + ms(100)));
        assert_eq!(l.take_spare(t0 + ms(100)), Ok(()));
        // A booked request after that waits for the next slot.
        assert_eq!(l.reserve(t0 + ms(100)).0, t0 + ms(200));
        let unlimited = RateLimiter::new(0);
        assert!((0..1000).all(|_| unlimited.take_spare(t0).is_ok()));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// The Telegram pacer's shape (29/s, no burst) with replies arriving anyhow, clusters
        /// included, next to a broadcast that always wants to send.
        #[test]
        fn lanes_together_keep_the_rate_replies_first_broadcast_the_rest(
            mut arrivals in proptest::collection::vec(0u64..10_000, 0..120)
        ) {
            arrivals.sort_unstable();
            let replies: Vec<Duration> = arrivals.into_iter().map(ms).collect();
            let horizon = Duration::from_secs(10);
            let l = RateLimiter::with_burst(29 * 60, 1);
            let interval = Duration::from_secs(60) / (29 * 60);
            let t0 = l.lock().tat;
            let (booked, spare) = simulate(&l, t0, &replies, horizon);

            // Replies first: each waits at most one slot (the copy already on its way) longer
            // than with no broadcast at all.
            let alone = RateLimiter::with_burst(29 * 60, 1);
            let a0 = alone.lock().tat;
            for (i, (r, got)) in replies.iter().zip(&booked).enumerate() {
                let without = alone.reserve(a0 + *r).0 - a0;
                proptest::prop_assert!(*got <= without + interval, "reply {i}: {got:?}, alone {without:?}");
            }

            // Together: never two slots closer than the interval, so never above 30 in any
            // closed second...
            let mut all: Vec<Duration> = booked.iter().chain(&spare).copied().collect();
            all.sort_unstable();
            for w in all.windows(2) {
                proptest::prop_assert!(w[1] - w[0] >= interval, "{:?} then {:?}", w[0], w[1]);
            }
            for (i, start) in all.iter().enumerate() {
                let in_window = all[i..].iter().take_while(|t| **t <= *start + Duration::from_secs(1)).count();
                proptest::prop_assert!(in_window <= 30, "{} sends in the second from {:?}", in_window, start);
            }
            // ...and the broadcast got every slot the replies left: no gap in the timeline.
            let before_horizon: Vec<&Duration> = all.iter().filter(|t| **t < horizon).collect();
            for w in before_horizon.windows(2) {
                proptest::prop_assert_eq!(*w[1] - *w[0], interval);
            }
            let spare_before = spare.iter().filter(|t| **t < horizon).count();
            proptest::prop_assert_eq!(spare_before + booked.iter().filter(|t| **t < horizon).count(), before_horizon.len());
            proptest::prop_assert!(before_horizon.len() >= 290, "{} slots in 10 s", before_horizon.len());
        }
    }

    #[test]
    fn a_pause_holds_both_lanes_and_both_resume_at_the_steady_rate() {
        let l = RateLimiter::with_burst(600, 3);
        let t0 = l.lock().tat;
        let end = t0 + Duration::from_secs(3);
        l.pause_until(end);
        assert_eq!(l.take_spare(t0), Err(end));
        assert_eq!(l.take_spare(t0 + ms(2900)), Err(end));
        // A reply during the pause books the first slot after it; the broadcast comes next.
        assert_eq!(l.reserve(t0 + ms(1000)).0, end);
        assert_eq!(l.take_spare(end), Err(end + ms(100)));
        assert_eq!(l.take_spare(end + ms(100)), Ok(()));
        // No burst after a pause, on either lane.
        assert_eq!(l.take_spare(end + ms(100)), Err(end + ms(200)));
        assert_eq!(l.reserve(end + ms(100)).0, end + ms(200));

        let only_spare = RateLimiter::with_burst(600, 3);
        let t0 = only_spare.lock().tat;
        only_spare.pause_until(t0 + ms(500));
        assert_eq!(only_spare.take_spare(t0 + ms(499)), Err(t0 + ms(500)));
        assert_eq!(only_spare.take_spare(t0 + ms(500)), Ok(()));
        assert_eq!(only_spare.take_spare(t0 + ms(500)), Err(t0 + ms(600)));
    }

    // A clock the test controls: a loaded machine cannot stretch the 5 ms that must fall
    // before the 100 ms slot.
    #[tokio::test(start_paused = true)]
    async fn acquire_spare_yields_to_a_request_booked_while_it_waits() {
        // 100 ms apart, no burst. The spare waiter wants the slot at +100 ms; a reply arriving
        // at +5 ms takes it, and the spare one goes at +200 ms.
        let l = std::sync::Arc::new(RateLimiter::with_burst(600, 1));
        let start = Instant::now();
        l.acquire().await; // uses the only token
        let l2 = l.clone();
        let spare = tokio::spawn(async move {
            l2.acquire_spare().await;
            Instant::now()
        });
        tokio::time::sleep(ms(5)).await;
        l.acquire().await;
        let reply_at = Instant::now();
        let spare_at = spare.await.unwrap();
        assert!(reply_at < spare_at, "reply {:?}, spare {:?}", reply_at - start, spare_at - start);
        assert!(spare_at - start >= ms(195), "{:?}", spare_at - start);
        assert!(spare_at - start < Duration::from_secs(2), "{:?}", spare_at - start);
    }

    #[test]
    fn the_tracker_lane_goes_before_the_spare_lane_and_after_bookings() {
        // 100 ms apart, no burst.
        let l = RateLimiter::with_burst(600, 1);
        let t0 = l.lock().tat;
        assert_eq!(l.take_spare(t0), Ok(()));
        l.lock().tracker_waiting = 1;
        // A spare request at the next free slot yields it to the waiting tracker request...
        assert_eq!(l.take_spare(t0 + ms(100)), Err(t0 + ms(200)));
        assert_eq!(l.take_free(t0 + ms(100), true), Ok(()));
        // ...a booked one does not: it books the next slot and the tracker waits behind it.
        assert_eq!(l.reserve(t0 + ms(150)).0, t0 + ms(200));
        assert_eq!(l.take_free(t0 + ms(200), true), Err(t0 + ms(300)));
        l.lock().tracker_waiting = 0;
        assert_eq!(l.take_spare(t0 + ms(300)), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn customer_requests_of_the_last_minute_are_counted() {
        let l = RateLimiter::new(0);
        for _ in 0..3 {
            l.acquire().await;
        }
        l.acquire_spare().await;
        l.acquire_tracker().await;
        assert_eq!(l.customer_last_minute(), 3);
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(l.customer_last_minute(), 0);
        assert_eq!(l.lock().tracker_waiting, 0, "a tracker request leaves no trace");
    }

    #[tokio::test]
    async fn acquire_spare_respects_pause() {
        let l = RateLimiter::new(6000);
        let start = std::time::Instant::now();
        l.pause_until(Instant::now() + ms(80));
        l.acquire_spare().await;
        assert!(start.elapsed() >= ms(75), "{:?}", start.elapsed());
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

    // A clock the test controls: the 2 ms before the pause must fall before the 10 ms slot.
    #[tokio::test(start_paused = true)]
    async fn sleeper_rebooks_after_a_new_pause() {
        let l = std::sync::Arc::new(RateLimiter::with_burst(6000, 1));
        l.acquire().await; // uses the only token
        let start = Instant::now();
        let l2 = l.clone();
        let waiter = tokio::spawn(async move { l2.acquire().await }); // booked at +10 ms
        tokio::time::sleep(Duration::from_millis(2)).await;
        l.pause_until(Instant::now() + Duration::from_millis(60));
        waiter.await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(55), "{:?}", start.elapsed());
    }
}
