//! The order tracker: sends placed orders exactly once, follows them upstream until final,
//! settles the wallet and tells the customer. Driven only by `orders.next_check_at`.
//!
//! With several orders open, a budget planner (`planner`) has them followed by list pages
//! (`list`) instead of one check each, and paces the checks that remain so that the tracker's
//! requests fit in what customers leave of the OneClickDZ budget.
mod list;
mod planner;
mod schedule;
mod steps;

pub use schedule::Inbox;

use super::notifier::Notifier;
use crate::domain::OrderStatus;
use crate::oneclick::Topup;
use crate::shop::Ctx;
use crate::store::{Order, now_ms};
use planner::{Follow, Pacer, Plan};
use schedule::{Report, Schedule};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

/// Orders processed at once; the OneClickDZ limiter is the real bound on throughput.
const PARALLEL: usize = 32;
/// Sends waiting for the budget at once: enough to use every slot the limiter gives them, few
/// enough that a burst of sends never holds every step (a delivery the list found needs none).
const SENDS_AT_ONCE: usize = 4;
/// A step that finds no free place is looked at again this much later (ms).
const BUSY_RETRY_MS: i64 = 200;
/// How often the schedule is read again from the table, the truth it mirrors.
const RESYNC_EVERY: Duration = Duration::from_secs(30);
/// How often the plan is worked out again (ms).
const REPLAN_EVERY_MS: i64 = 1000;

/// A list read in flight.
type ListRead = JoinHandle<Result<list::Read, crate::oneclick::OneClickError>>;

/// What a step needs, shared by every step the loop starts.
struct Runner<N> {
    n: N,
    ctx: Arc<Ctx>,
    inbox: Arc<Inbox>,
    inflight: Arc<Mutex<HashSet<i64>>>,
    permits: Arc<Semaphore>,
    sends: Arc<Semaphore>,
}

impl<N: Notifier> Runner<N> {
    /// Starts the order's step (with `answer`, a list item, instead of a status check). Never
    /// waits: with no free place (or a step of that order running) the row is handed back
    /// (`Some(row)`); `None` once started.
    fn try_start(
        &self,
        tasks: &mut JoinSet<()>,
        id: i64,
        row: Option<Order>,
        answer: Option<Topup>,
    ) -> Option<Option<Order>> {
        // A step without its row (at start, after a failed step) may be a send: counted as one.
        let is_send = row.as_ref().is_none_or(|r| r.status == OrderStatus::Placed && r.send_attempted_at.is_none());
        let send_permit = match is_send {
            true => match self.sends.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(_) => return Some(row),
            },
            false => None,
        };
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return Some(row);
        };
        if !self.inflight.lock().unwrap().insert(id) {
            return Some(row);
        }
        let (n, ctx, inbox, inflight) = (self.n.clone(), self.ctx.clone(), self.inbox.clone(), self.inflight.clone());
        tasks.spawn(async move {
            let next = steps::step(&n, &ctx, id, row, answer).await;
            inflight.lock().unwrap().remove(&id);
            drop((permit, send_permit));
            inbox.report(match next {
                Ok((at, row)) => Report { id, at, row },
                // Unknown: look again soon; the resync corrects the time if it is wrong.
                Err(_) => Report { id, at: Some(now_ms() + 1000), row: None },
            });
        });
        None
    }
}

/// A status check of an order already sent (what the pacer spaces out).
fn is_check(row: &Order) -> bool {
    matches!(row.status, OrderStatus::Handling | OrderStatus::Queued) && !row.notify_pending
}

/// An order in fast polling: what the planner counts as open.
fn is_open(row: &Order, now: i64) -> bool {
    row.status == OrderStatus::Handling && row.send_attempted_at.is_some() && row.fast_until.is_some_and(|t| now < t)
}

pub async fn run<N: Notifier>(n: N, ctx: Arc<Ctx>, inbox: Arc<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let runner = Runner {
        n,
        ctx: ctx.clone(),
        inbox: inbox.clone(),
        inflight: Arc::default(),
        permits: Arc::new(Semaphore::new(PARALLEL)),
        sends: Arc::new(Semaphore::new(SENDS_AT_ONCE)),
    };
    let mut tasks = JoinSet::new();
    let mut schedule = Schedule::default();
    let mut resync_at = tokio::time::Instant::now();
    let mut follower = list::Follower::new(ctx.cfg.oneclick_list_window);
    let mut pacer = Pacer::default();
    // Checks held back by the pacer, with their slot booked.
    let mut paced: HashSet<i64> = HashSet::new();
    let mut plan = Plan { follow: Follow::Single, poll_every: ctx.cfg.order_poll, singles_per_min: f64::INFINITY };
    let mut planned_at = 0;
    // A list read in flight: the orders it looks for, and its answer.
    let mut reading: Option<(Vec<i64>, ListRead)> = None;
    // Changes a list read brought that wait for a free place, with the item in hand: put back in
    // the schedule they would be followed by the list again and wait for its next read.
    let mut ready: VecDeque<(Order, Option<Topup>)> = VecDeque::new();
    let poll_ms = ctx.cfg.order_poll.as_millis() as i64;
    tracing::info!(list = ctx.cfg.oneclick_list, "order tracker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        if tokio::time::Instant::now() >= resync_at {
            match ctx.store.check_schedule().await {
                Ok(rows) => {
                    let busy = runner.inflight.lock().unwrap().clone();
                    schedule.replace(rows.into_iter().filter(|(id, _)| !busy.contains(id)));
                    resync_at = tokio::time::Instant::now() + RESYNC_EVERY;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the order schedule");
                    resync_at = tokio::time::Instant::now() + Duration::from_secs(1);
                }
            }
        }
        let now = now_ms();
        for Report { id, at, row } in inbox.take() {
            // A step in flight reports its order's time when it ends.
            if runner.inflight.lock().unwrap().contains(&id) {
                continue;
            }
            match row {
                // Just sent (or looked at): the list follows it from its next read on.
                Some(r) if plan.follow == Follow::List && follower.usable(now) && follower.can_follow(&r, now) => {
                    schedule.set_with_row(id, None, None);
                    follower.cover(r);
                }
                row => schedule.set_with_row(id, at, row),
            }
        }
        if now - planned_at >= REPLAN_EVERY_MS {
            planned_at = now;
            let (customers, steady) = ctx.catalog.client().budget_view();
            let open = follower.covered.len() + schedule.count_rows(|r| is_open(r, now));
            plan = planner::plan(&planner::Inputs {
                open,
                list_pages: follower.pages,
                list_usable: ctx.cfg.oneclick_list && follower.usable(now),
                customer_per_min: customers as f64,
                steady_per_min: steady,
                base_poll: ctx.cfg.order_poll,
            });
            if plan.follow == Follow::Single && !follower.covered.is_empty() && reading.is_none() {
                for row in follower.release_all() {
                    schedule.set_with_row(row.id, Some(now), Some(row));
                }
            }
        }
        // Before anything else due: these are answers already paid for with a request.
        while runner.permits.available_permits() > 0 {
            let Some((row, answer)) = ready.pop_front() else { break };
            let id = row.id;
            if let Some(row) = runner.try_start(&mut tasks, id, Some(row), answer) {
                // A step of this order is running: it is looked at again shortly, by id.
                schedule.set_with_row(id, Some(now + BUSY_RETRY_MS), row);
            }
        }
        while let Some(id) = schedule.pop_due(now) {
            if follower.covered.contains_key(&id) || runner.inflight.lock().unwrap().contains(&id) {
                continue;
            }
            let row = schedule.take_row(id);
            if let Some(r) = &row {
                if plan.follow == Follow::List && follower.usable(now) && follower.can_follow(r, now) {
                    follower.cover(row.unwrap());
                    continue;
                }
                // A check whose slot was booked when it was held back goes now.
                if is_check(r) && !paced.remove(&id) {
                    let at = pacer.book(now, plan.singles_per_min);
                    if at > now {
                        paced.insert(id);
                        schedule.set_with_row(id, Some(at), row);
                        continue;
                    }
                }
            }
            if let Some(row) = runner.try_start(&mut tasks, id, row, None) {
                schedule.set_with_row(id, Some(now + BUSY_RETRY_MS), row);
            }
        }
        if reading.is_none()
            && plan.follow == Follow::List
            && follower.usable(now)
            && !follower.covered.is_empty()
            && now >= follower.next_at
        {
            let (wanted, left) = follower.wanted(now);
            for row in left {
                schedule.set_with_row(row.id, Some(now), Some(row));
            }
            if !wanted.is_empty() {
                follower.next_at = now + plan.poll_every.as_millis() as i64;
                let ids = wanted.iter().map(|w| w.0).collect();
                let client = ctx.catalog.client().clone();
                reading = Some((ids, tokio::spawn(async move { list::read(&client, &wanted, now).await })));
            }
        }
        let wait = match schedule.next_time() {
            Some(t) => Duration::from_millis(t.saturating_sub(now_ms()).max(0) as u64),
            None => RESYNC_EVERY,
        };
        let mut wait = wait.min(resync_at.saturating_duration_since(tokio::time::Instant::now()));
        if reading.is_none() && !follower.covered.is_empty() {
            wait = wait.min(Duration::from_millis(follower.next_at.saturating_sub(now_ms()).max(0) as u64));
        }
        if !follower.covered.is_empty() || plan.follow == Follow::List {
            // The plan may change with the open orders.
            wait = wait.min(Duration::from_millis(REPLAN_EVERY_MS as u64));
        }
        tokio::select! {
            _ = inbox.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = crate::workers::stopped(&mut shutdown) => {}
            done = async { (&mut reading.as_mut().expect("guarded").1).await }, if reading.is_some() => {
                let (ids, _) = reading.take().expect("guarded");
                let now = now_ms();
                match done {
                    Ok(Ok(mut read)) => {
                        // A change the list brought is settled and told now with the item in hand;
                        // an order it cannot serve is checked by id now.
                        // Started as places free up (the loop's next turns), each with its item.
                        ready.extend(follower.judge(&ids, &mut read));
                    }
                    Ok(Err(e)) => {
                        for row in follower.failed(now, &e, poll_ms) {
                            schedule.set_with_row(row.id, Some(now), Some(row));
                        }
                        // Checks by id from now on, until the list is tried again.
                        planned_at = 0;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "order list read panicked");
                        for row in follower.release_all() {
                            schedule.set_with_row(row.id, Some(now), Some(row));
                        }
                    }
                }
            }
        }
    }
    if let Some((_, h)) = reading.take() {
        h.abort();
    }
    // Let the current steps finish: each is one transaction, nothing is left half-written.
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain).await.is_err() {
        tracing::warn!("order steps still running at shutdown; they resume at next start");
    }
    tracing::info!("order tracker stopped");
}
