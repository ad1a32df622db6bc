//! The order tracker: sends placed orders exactly once, follows them upstream until final,
//! settles the wallet and tells the customer. Driven only by `orders.next_check_at`.
use crate::bot::notify::{self, Told};
use crate::bot::{Ctx, Tg, admin};
use crate::domain::OrderStatus;
use crate::oneclick::{OneClickError, SendRequest, Topup, TopupStatus};
use crate::store::{Order, StatusUpdate, StoreError, now_ms};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

/// Orders processed at once; the OneClickDZ limiter is the real bound on throughput.
const PARALLEL: usize = 32;
/// After this many failed checks in a row, admins hear that an order cannot be reconciled.
const ALERT_AFTER_FAILURES: i64 = 10;
/// A customer who cannot be told after this many tries finds the result in /orders.
const GIVE_UP_NOTIFY_AFTER: i64 = 20;
/// How often the schedule is read again from the table, the truth it mirrors.
const RESYNC_EVERY: Duration = Duration::from_secs(30);

/// Where handlers (a new order) and finished steps report an order's next check time.
#[derive(Debug, Default)]
pub struct Inbox {
    queue: Mutex<Vec<(i64, Option<i64>)>>,
    wake: Notify,
}

impl Inbox {
    /// The order with this id is next due at `at` (milliseconds; `None`: never again).
    pub fn schedule(&self, id: i64, at: Option<i64>) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push((id, at));
        self.wake.notify_one();
    }

    fn take(&self) -> Vec<(i64, Option<i64>)> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// `orders.next_check_at` mirrored in memory, so a wake costs no query. The table stays the
/// truth: it is read at start and every `RESYNC_EVERY`, and each step re-reads its order's time.
#[derive(Debug, Default)]
struct Schedule {
    /// Min-heap of (time, id); an entry whose time differs from `at[id]` is stale and skipped.
    heap: BinaryHeap<Reverse<(i64, i64)>>,
    at: HashMap<i64, i64>,
}

impl Schedule {
    fn set(&mut self, id: i64, at: Option<i64>) {
        match at {
            Some(t) => {
                if self.at.insert(id, t) != Some(t) {
                    self.heap.push(Reverse((t, id)));
                }
            }
            None => {
                self.at.remove(&id);
            }
        }
    }

    fn replace(&mut self, rows: impl IntoIterator<Item = (i64, i64)>) {
        self.heap.clear();
        self.at.clear();
        for (id, t) in rows {
            self.set(id, Some(t));
        }
    }

    fn next_time(&mut self) -> Option<i64> {
        while let Some(Reverse((t, id))) = self.heap.peek().copied() {
            if self.at.get(&id) == Some(&t) {
                return Some(t);
            }
            self.heap.pop();
        }
        None
    }

    /// The next order due at `now`, oldest first, taken off the schedule.
    fn pop_due(&mut self, now: i64) -> Option<i64> {
        let t = self.next_time()?;
        if t > now {
            return None;
        }
        let Reverse((_, id)) = self.heap.pop()?;
        self.at.remove(&id);
        Some(id)
    }
}

pub async fn run(bot: Tg, ctx: Arc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    let inflight: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let permits = Arc::new(Semaphore::new(PARALLEL));
    let mut tasks = JoinSet::new();
    let mut schedule = Schedule::default();
    let mut resync_at = tokio::time::Instant::now();
    tracing::info!("order tracker started");
    loop {
        if *shutdown.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        if tokio::time::Instant::now() >= resync_at {
            match ctx.store.check_schedule().await {
                Ok(rows) => {
                    let busy = inflight.lock().unwrap().clone();
                    schedule.replace(rows.into_iter().filter(|(id, _)| !busy.contains(id)));
                    resync_at = tokio::time::Instant::now() + RESYNC_EVERY;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the order schedule");
                    resync_at = tokio::time::Instant::now() + Duration::from_secs(1);
                }
            }
        }
        for (id, at) in ctx.tracker.take() {
            // A step in flight reports its order's time when it ends.
            if !inflight.lock().unwrap().contains(&id) {
                schedule.set(id, at);
            }
        }
        while let Some(id) = schedule.pop_due(now_ms()) {
            if !inflight.lock().unwrap().insert(id) {
                continue;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let (bot, ctx, inflight) = (bot.clone(), ctx.clone(), inflight.clone());
            tasks.spawn(async move {
                let next = step(&bot, &ctx, id).await;
                inflight.lock().unwrap().remove(&id);
                drop(permit);
                match next {
                    Ok(at) => ctx.tracker.schedule(id, at),
                    // Unknown: look again soon; the resync corrects the time if it is wrong.
                    Err(_) => ctx.tracker.schedule(id, Some(now_ms() + 1000)),
                }
            });
        }
        let wait = match schedule.next_time() {
            Some(t) => Duration::from_millis(t.saturating_sub(now_ms()).max(0) as u64),
            None => RESYNC_EVERY,
        };
        let wait = wait.min(resync_at.saturating_duration_since(tokio::time::Instant::now()));
        tokio::select! {
            _ = ctx.tracker.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = crate::workers::stopped(&mut shutdown) => {}
        }
    }
    // Let the current steps finish: each is one transaction, nothing is left half-written.
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain).await.is_err() {
        tracing::warn!("order steps still running at shutdown; they resume at next start");
    }
    tracing::info!("order tracker stopped");
}

/// Loads the order, takes its step if it is still due, and returns when it is due next.
async fn step(bot: &Tg, ctx: &Ctx, id: i64) -> Result<Option<i64>, StoreError> {
    let Some(order) = ctx.store.order(id).await? else {
        return Ok(None);
    };
    let due = match order.next_check_at {
        Some(t) if t <= now_ms() => t,
        other => return Ok(other),
    };
    let span = tracing::info_span!("order", order_ref = %order.r#ref);
    let next = match process(bot, ctx, order).instrument(span.clone()).await {
        Ok(next) => next,
        Err(e) => {
            span.in_scope(|| tracing::error!(error = %e, "order step failed"));
            // Whatever was written stands; the table says when to look again.
            ctx.store.next_check_of(id).await?
        }
    };
    // Every step moves the time on; if one did not, wait a poll interval rather than spin on it.
    Ok(next.map(|t| if t <= due { now_ms() + ms(ctx.cfg.order_poll) } else { t }))
}

/// One step for one order, then the customer is told if the status changed.
/// Every path returns the order as it now is in the table, so its `next_check_at` is the truth.
async fn process(bot: &Tg, ctx: &Ctx, order: Order) -> Result<Option<i64>, StoreError> {
    let order = match order.status {
        OrderStatus::Placed if order.send_attempted_at.is_none() => send(bot, ctx, order).await?,
        OrderStatus::Placed => reconcile(bot, ctx, order).await?,
        s if s.is_final() => order,
        _ => poll(bot, ctx, order).await?,
    };
    if order.notify_pending {
        return tell(bot, ctx, &order).await;
    }
    Ok(order.next_check_at)
}

/// The order as it is after `reschedule(order.id, at, ..)`.
fn rescheduled(order: Order, at: i64) -> Order {
    Order { next_check_at: Some(at), ..order }
}

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// When to look again: fast while HANDLING within the window, slow after it and while QUEUED.
fn next_check(ctx: &Ctx, order: &Order, status: OrderStatus, now: i64) -> i64 {
    let slow = now + ms(ctx.cfg.queued_recheck);
    match status {
        OrderStatus::Queued => slow,
        _ if now < order.fast_until.unwrap_or(0) => now + ms(ctx.cfg.order_poll),
        _ => slow,
    }
}

async fn retry_later(ctx: &Ctx, order: &Order, failed: bool) -> Result<Order, StoreError> {
    let now = now_ms();
    let at = next_check(ctx, order, order.status, now).min(now + ms(ctx.cfg.queued_recheck));
    ctx.store.reschedule(order.id, at, failed).await?;
    Ok(ctx.store.order(order.id).await?.unwrap_or_else(|| order.clone()))
}

async fn send(bot: &Tg, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    // Committed before the request: after a crash this order is reconciled, never resent.
    if !ctx.store.claim_send(order.id).await? {
        return Ok(order);
    }
    let req = SendRequest {
        card_type: order.card_type,
        number: order.number.clone(),
        value: order.value,
        r#ref: order.r#ref.clone(),
    };
    match ctx.catalog.client().send(&req).await {
        Ok(resp) => {
            tracing::info!(topup_id = ?resp.topup_id, "sent to OneClickDZ");
            let now = now_ms();
            let u = StatusUpdate {
                topup_id: resp.topup_id,
                topup_ref: resp.topup_ref,
                next_check_at: Some(next_check(ctx, &order, OrderStatus::Handling, now)),
                ..Default::default()
            };
            ctx.store.apply_status(order.id, OrderStatus::Handling, u).await
        }
        Err(OneClickError::RateLimited { retry_after }) => {
            // Refused before processing: the send may go out again later.
            ctx.store.release_send_claim(order.id).await?;
            let wait = retry_after.unwrap_or(ctx.cfg.order_poll);
            let at = now_ms() + ms(wait);
            ctx.store.reschedule(order.id, at, false).await?;
            Ok(rescheduled(Order { send_attempted_at: None, ..order }, at))
        }
        Err(OneClickError::DuplicateRef) => {
            tracing::warn!("ref already known upstream; reconciling");
            reconcile(bot, ctx, order).await
        }
        Err(e) if e.is_definite_refusal() => {
            let reason = match e {
                OneClickError::InvalidPhone { .. } => "invalid_number",
                OneClickError::OutOfStock => "out_of_stock",
                _ => "unavailable",
            };
            tracing::warn!(error = %e, reason, "send refused");
            let failed = ctx
                .store
                .apply_status(
                    order.id,
                    OrderStatus::Failed,
                    StatusUpdate { failure_reason: Some(reason.into()), notify: true, ..Default::default() },
                )
                .await?;
            if reason == "unavailable" {
                // The shop's problem (balance, key), not the customer's: admins must act.
                if matches!(e, OneClickError::InsufficientBalance) {
                    ctx.catalog.invalidate_balance();
                }
                let kind = e.to_string();
                notify::admins(bot, ctx, |l| {
                    crate::tr!(
                        l,
                        "alert-send-refused",
                        id = failed.id,
                        order_ref = failed.r#ref.clone(),
                        error = crate::i18n::html_escape(&kind)
                    )
                })
                .await;
            }
            Ok(failed)
        }
        Err(e) => {
            tracing::warn!(error = %e, "send outcome unknown; will reconcile by ref");
            retry_later(ctx, &order, true).await
        }
    }
}

/// A send whose answer we never saw: ask OneClickDZ by our ref. Only a "not found" well after
/// the attempt (the grace period) proves it never arrived, and only then is the hold released.
async fn reconcile(bot: &Tg, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    match ctx.catalog.client().check_ref(&order.r#ref).await {
        Ok(topup) => adopt(bot, ctx, order, topup).await,
        Err(OneClickError::NotFound) => {
            let attempted = order.send_attempted_at.unwrap_or(order.created_at);
            if now_ms() - attempted >= ms(ctx.cfg.reconcile_grace) {
                tracing::warn!("never reached OneClickDZ; releasing the hold");
                let u = StatusUpdate { failure_reason: Some("not_sent".into()), notify: true, ..Default::default() };
                ctx.store.apply_status(order.id, OrderStatus::Failed, u).await
            } else {
                let at = now_ms() + ms(ctx.cfg.order_poll);
                ctx.store.reschedule(order.id, at, false).await?;
                Ok(rescheduled(order, at))
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "reconciliation check failed");
            alert_if_stuck(bot, ctx, &order).await;
            retry_later(ctx, &order, true).await
        }
    }
}

async fn poll(bot: &Tg, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    let client = ctx.catalog.client();
    let res = match &order.topup_id {
        Some(id) => client.check_id(id).await,
        None => client.check_ref(&order.r#ref).await,
    };
    match res {
        Ok(topup) => adopt(bot, ctx, order, topup).await,
        Err(e) => {
            tracing::warn!(error = %e, "status check failed");
            alert_if_stuck(bot, ctx, &order).await;
            retry_later(ctx, &order, true).await
        }
    }
}

async fn alert_if_stuck(bot: &Tg, ctx: &Ctx, order: &Order) {
    if order.check_failures + 1 == ALERT_AFTER_FAILURES {
        notify::admins_order(bot, ctx, order, "alert-order-unreconciled").await;
    }
}

/// Takes OneClickDZ's view of the order as ours.
async fn adopt(bot: &Tg, ctx: &Ctx, order: Order, topup: Topup) -> Result<Order, StoreError> {
    let status = match &topup.status {
        TopupStatus::Fulfilled => OrderStatus::Fulfilled,
        TopupStatus::Queued => OrderStatus::Queued,
        TopupStatus::Refunded => OrderStatus::Refunded,
        // Unknown statuses are not final: keep following the order.
        TopupStatus::Handling | TopupStatus::Other(_) => OrderStatus::Handling,
    };
    let now = now_ms();
    let mut u = StatusUpdate {
        topup_id: topup.id.clone(),
        upstream_status: Some(topup.status.as_str().to_owned()),
        next_check_at: Some(next_check(ctx, &order, status, now)),
        notify: status != order.status && status != OrderStatus::Handling,
        ..Default::default()
    };
    if status == OrderStatus::Fulfilled {
        match &topup.card_code {
            Some(code) => u.card_code_enc = Some(ctx.cipher.encrypt(code)),
            None => {
                tracing::error!("FULFILLED without a card code");
                notify::admins_order(bot, ctx, &order, "alert-order-no-code").await;
            }
        }
        u.num_trans = topup.num_trans.clone();
        u.date_traitement = topup.date_traitement.clone();
    }
    // No change: one statement. A change (or a failed refresh) takes the full transaction.
    let refreshed = match status == order.status {
        true => ctx.store.refresh_status(order.id, status, &u).await.ok().flatten(),
        false => None,
    };
    let applied = match refreshed {
        Some(o) => Ok(o),
        None => ctx.store.apply_status(order.id, status, u).await,
    };
    match applied {
        Ok(o) => {
            if o.status != order.status {
                tracing::info!(from = %order.status, to = %o.status, "order status changed");
            }
            Ok(o)
        }
        Err(StoreError::IllegalTransition { from, to }) => {
            tracing::error!(from, to, "upstream reported an impossible move; alerting admins");
            notify::admins_order(bot, ctx, &order, "alert-order-unreconciled").await;
            let at = now + ms(ctx.cfg.queued_recheck);
            ctx.store.reschedule(order.id, at, true).await?;
            Ok(rescheduled(order, at))
        }
        Err(e) => Err(e),
    }
}

/// Tells the customer; a failure never undoes the settlement, it is retried and the receipt
/// stays available in /orders either way.
/// Returns when the order is due next: never once a final order is told.
async fn tell(bot: &Tg, ctx: &Ctx, order: &Order) -> Result<Option<i64>, StoreError> {
    // What `mark_notified` leaves: a final order leaves the schedule.
    let after_told = if order.status.is_final() { None } else { order.next_check_at };
    match notify::order_changed(bot, ctx, order).await {
        Ok(Told::Shown(id)) => ctx.store.mark_notified(order.id, id).await?,
        Ok(Told::Unreachable) => ctx.store.mark_notified(order.id, None).await?,
        Err(e) => {
            tracing::warn!(error = %e, "customer not told yet");
            if order.check_failures >= GIVE_UP_NOTIFY_AFTER {
                ctx.store.mark_notified(order.id, None).await?;
                return Ok(after_told);
            }
            let at = now_ms() + ms(ctx.cfg.order_poll);
            ctx.store.reschedule(order.id, at, true).await?;
            return Ok(Some(at));
        }
    }
    admin::alert_order(bot, ctx, order).await;
    Ok(after_told)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(s: &mut Schedule, now: i64) -> Vec<i64> {
        std::iter::from_fn(|| s.pop_due(now)).collect()
    }

    #[test]
    fn due_orders_come_oldest_first_and_only_once() {
        let mut s = Schedule::default();
        s.set(1, Some(300));
        s.set(2, Some(100));
        s.set(3, Some(200));
        s.set(4, None);
        assert_eq!(s.next_time(), Some(100));
        assert_eq!(drain(&mut s, 250), vec![2, 3]);
        assert_eq!(drain(&mut s, 250), Vec::<i64>::new());
        assert_eq!(s.next_time(), Some(300));
        assert_eq!(drain(&mut s, 1_000), vec![1]);
        assert_eq!(s.next_time(), None);
    }

    #[test]
    fn a_new_time_replaces_the_old_one() {
        let mut s = Schedule::default();
        s.set(1, Some(100));
        s.set(1, Some(500));
        s.set(2, Some(100));
        s.set(2, None);
        assert_eq!(drain(&mut s, 400), Vec::<i64>::new(), "stale entries are skipped");
        assert_eq!(s.next_time(), Some(500));
        s.set(1, Some(50));
        assert_eq!(drain(&mut s, 60), vec![1]);
        assert_eq!(drain(&mut s, 1_000), Vec::<i64>::new(), "taken once, not again for its old time");
    }

    #[test]
    fn a_resync_replaces_everything() {
        let mut s = Schedule::default();
        s.set(1, Some(100));
        s.set(2, Some(100));
        s.replace([(2, 300), (3, 200)]);
        assert_eq!(drain(&mut s, 1_000), vec![3, 2]);
    }

    #[test]
    fn the_inbox_hands_over_reports_once() {
        let inbox = Inbox::default();
        inbox.schedule(7, Some(5));
        inbox.schedule(8, None);
        assert_eq!(inbox.take(), vec![(7, Some(5)), (8, None)]);
        assert!(inbox.take().is_empty());
    }
}
