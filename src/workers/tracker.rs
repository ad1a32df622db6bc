//! The order tracker: sends placed orders exactly once, follows them upstream until final,
//! settles the wallet and tells the customer. Driven only by `orders.next_check_at`.
use crate::bot::notify::{self, Told};
use crate::bot::{Ctx, Tg, admin};
use crate::domain::{FailureReason, OrderStatus};
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
    queue: Mutex<Vec<Report>>,
    wake: Notify,
}

/// An order's next check time (milliseconds; `None`: never again) and, when the reporter holds
/// it, the order's row exactly as the table now has it.
#[derive(Debug)]
struct Report {
    id: i64,
    at: Option<i64>,
    row: Option<Order>,
}

impl Inbox {
    /// A new order, as `place_order_with_hold` wrote it: its first step needs no read.
    pub fn placed(&self, order: Order) {
        self.report(Report { id: order.id, at: order.next_check_at, row: Some(order) });
    }

    fn report(&self, r: Report) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push(r);
        self.wake.notify_one();
    }

    fn take(&self) -> Vec<Report> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// `orders.next_check_at` mirrored in memory, so a wake costs no query. The table stays the
/// truth: it is read at start and every `RESYNC_EVERY`, and each step re-reads its order's time.
///
/// It also keeps the row each scheduled order had when its last step ended, so the next step
/// starts without reading it: once placed, an order is written only by its steps (one at a time),
/// each of which ends with the row as written (`RETURNING *`). A step that fails leaves no row.
#[derive(Debug, Default)]
struct Schedule {
    /// Min-heap of (time, id); an entry whose time differs from `at[id]` is stale and skipped.
    heap: BinaryHeap<Reverse<(i64, i64)>>,
    at: HashMap<i64, i64>,
    rows: HashMap<i64, Order>,
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

    /// `set`, keeping `row` (or forgetting the one held) while the order stays scheduled.
    fn set_with_row(&mut self, id: i64, at: Option<i64>, row: Option<Order>) {
        self.set(id, at);
        match row.filter(|_| at.is_some()) {
            Some(row) => self.rows.insert(id, row),
            None => self.rows.remove(&id),
        };
    }

    /// The row kept for this order, handed over once.
    fn take_row(&mut self, id: i64) -> Option<Order> {
        self.rows.remove(&id)
    }

    fn replace(&mut self, rows: impl IntoIterator<Item = (i64, i64)>) {
        self.heap.clear();
        self.at.clear();
        for (id, t) in rows {
            self.set(id, Some(t));
        }
        // Rows of orders that left the schedule would otherwise stay forever.
        let at = &self.at;
        self.rows.retain(|id, _| at.contains_key(id));
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
        for Report { id, at, row } in ctx.tracker.take() {
            // A step in flight reports its order's time when it ends.
            if !inflight.lock().unwrap().contains(&id) {
                schedule.set_with_row(id, at, row);
            }
        }
        while let Some(id) = schedule.pop_due(now_ms()) {
            if !inflight.lock().unwrap().insert(id) {
                continue;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let row = schedule.take_row(id);
            let (bot, ctx, inflight) = (bot.clone(), ctx.clone(), inflight.clone());
            tasks.spawn(async move {
                let next = step(&bot, &ctx, id, row).await;
                inflight.lock().unwrap().remove(&id);
                drop(permit);
                ctx.tracker.report(match next {
                    Ok((at, row)) => Report { id, at, row },
                    // Unknown: look again soon; the resync corrects the time if it is wrong.
                    Err(_) => Report { id, at: Some(now_ms() + 1000), row: None },
                });
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

/// Takes the order's step if it is still due (reading the order unless its row is known), and
/// returns when it is due next, with its row as the step left it if the step went through.
async fn step(bot: &Tg, ctx: &Ctx, id: i64, known: Option<Order>) -> Result<(Option<i64>, Option<Order>), StoreError> {
    let order = match known {
        Some(order) => order,
        None => match ctx.store.order(id).await? {
            Some(order) => order,
            None => return Ok((None, None)),
        },
    };
    let due = match order.next_check_at {
        Some(t) if t <= now_ms() => t,
        other => return Ok((other, Some(order))),
    };
    let span = tracing::info_span!("order", order_ref = %order.r#ref);
    let (next, row) = match process(bot, ctx, order).instrument(span.clone()).await {
        Ok(order) => (order.next_check_at, Some(order)),
        Err(e) => {
            span.in_scope(|| tracing::error!(error = %e, "order step failed"));
            // Whatever was written stands; the table says when to look again.
            (ctx.store.next_check_of(id).await?, None)
        }
    };
    // Every step moves the time on; if one did not, wait a poll interval rather than spin on it.
    Ok((next.map(|t| if t <= due { now_ms() + ms(ctx.cfg.order_poll) } else { t }), row))
}

/// One step for one order, then the customer is told if the status changed.
/// Every path returns the order as it now is in the table, so its `next_check_at` is the truth
/// and the next step can start from it.
async fn process(bot: &Tg, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    let order = match order.status {
        OrderStatus::Placed if order.send_attempted_at.is_none() => send(bot, ctx, order).await?,
        OrderStatus::Placed => reconcile(bot, ctx, order).await?,
        s if s.is_final() => order,
        _ => poll(bot, ctx, order).await?,
    };
    if order.notify_pending {
        return tell(bot, ctx, order).await;
    }
    Ok(order)
}

/// The order as the table has it, for a write that returned no row.
async fn reread(ctx: &Ctx, id: i64) -> Result<Order, StoreError> {
    ctx.store.order(id).await?.ok_or(StoreError::NotFound("order"))
}

/// Looks again at `at`; the order as it then is.
async fn reschedule(ctx: &Ctx, id: i64, at: i64, failed: bool) -> Result<Order, StoreError> {
    match ctx.store.reschedule(id, at, failed).await? {
        Some(order) => Ok(order),
        None => reread(ctx, id).await,
    }
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
    reschedule(ctx, order.id, at, failed).await
}

async fn send(bot: &Tg, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    // Committed before the request: after a crash this order is reconciled, never resent.
    if !ctx.store.claim_send(order.id).await? {
        // Not ours to send after all (the row we had was not the table's): start from the table.
        return reread(ctx, order.id).await;
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
            reschedule(ctx, order.id, now_ms() + ms(wait), false).await
        }
        Err(OneClickError::DuplicateRef) => {
            tracing::warn!("ref already known upstream; reconciling");
            reconcile(bot, ctx, order).await
        }
        Err(e) if e.is_definite_refusal() => {
            let reason = match e {
                OneClickError::InvalidPhone { .. } => FailureReason::InvalidNumber,
                OneClickError::OutOfStock => FailureReason::OutOfStock,
                _ => FailureReason::Unavailable,
            };
            tracing::warn!(error = %e, reason = %reason, "send refused");
            let failed = ctx
                .store
                .apply_status(
                    order.id,
                    OrderStatus::Failed,
                    StatusUpdate { failure_reason: Some(reason), notify: true, ..Default::default() },
                )
                .await?;
            if reason == FailureReason::Unavailable {
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
                let u =
                    StatusUpdate { failure_reason: Some(FailureReason::NotSent), notify: true, ..Default::default() };
                ctx.store.apply_status(order.id, OrderStatus::Failed, u).await
            } else {
                reschedule(ctx, order.id, now_ms() + ms(ctx.cfg.order_poll), false).await
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
            reschedule(ctx, order.id, now + ms(ctx.cfg.queued_recheck), true).await
        }
        Err(e) => Err(e),
    }
}

/// Tells the customer; a failure never undoes the settlement, it is retried and the receipt
/// stays available in /orders either way.
/// Returns the order as it then is: a told final order has left the schedule.
async fn tell(bot: &Tg, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    let told = match notify::order_changed(bot, ctx, &order).await {
        Ok(Told::Shown(id)) => ctx.store.mark_notified(order.id, id).await?,
        Ok(Told::Unreachable) => ctx.store.mark_notified(order.id, None).await?,
        Err(e) => {
            tracing::warn!(error = %e, "customer not told yet");
            if order.check_failures >= GIVE_UP_NOTIFY_AFTER {
                return ctx.store.mark_notified(order.id, None).await;
            }
            return reschedule(ctx, order.id, now_ms() + ms(ctx.cfg.order_poll), true).await;
        }
    };
    admin::alert_order(bot, ctx, &order).await;
    Ok(told)
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

    fn reports(inbox: &Inbox) -> Vec<(i64, Option<i64>, Option<i64>)> {
        inbox.take().into_iter().map(|r| (r.id, r.at, r.row.map(|o| o.id))).collect()
    }

    #[test]
    fn the_inbox_hands_over_reports_once() {
        let inbox = Inbox::default();
        inbox.report(Report { id: 7, at: Some(5), row: None });
        inbox.report(Report { id: 8, at: None, row: None });
        inbox.placed(row(9, Some(40)));
        assert_eq!(reports(&inbox), vec![(7, Some(5), None), (8, None, None), (9, Some(40), Some(9))]);
        assert!(inbox.take().is_empty());
    }

    fn row(id: i64, next_check_at: Option<i64>) -> Order {
        Order {
            id,
            r#ref: format!("r{id}"),
            user_id: 1,
            chat_id: 1,
            message_id: None,
            card_type: crate::domain::CardType::Adsl,
            number: "031000000".into(),
            value: 500,
            price: 500,
            cost: None,
            status: OrderStatus::Handling,
            hold_state: crate::domain::HoldState::Held,
            topup_id: None,
            topup_ref: None,
            card_code_enc: None,
            num_trans: None,
            date_traitement: None,
            upstream_status: None,
            failure_reason: None,
            send_attempted_at: Some(1),
            next_check_at,
            fast_until: None,
            check_failures: 0,
            notify_pending: false,
            was_queued: false,
            created_at: 1,
            updated_at: 1,
            finished_at: None,
        }
    }

    /// A row is handed to the next step only while its order is scheduled, once, and never one
    /// older than the last report.
    #[test]
    fn rows_are_kept_only_while_scheduled_and_handed_over_once() {
        let mut s = Schedule::default();
        s.set_with_row(1, Some(100), Some(row(1, Some(100))));
        s.set_with_row(2, Some(100), Some(row(2, Some(100))));
        s.set_with_row(3, None, Some(row(3, None)));
        assert!(s.take_row(3).is_none(), "an order off the schedule keeps no row");
        s.set_with_row(2, Some(200), None);
        assert!(s.take_row(2).is_none(), "a report without a row forgets the old one");
        assert_eq!(s.take_row(1).map(|o| o.id), Some(1));
        assert!(s.take_row(1).is_none(), "handed over once");
        s.set_with_row(1, Some(300), Some(row(1, Some(300))));
        s.set_with_row(4, Some(300), Some(row(4, Some(300))));
        s.replace([(4, 300)]);
        assert!(s.take_row(1).is_none(), "a resync drops rows of orders no longer scheduled");
        assert_eq!(s.take_row(4).map(|o| o.next_check_at), Some(Some(300)));
    }
}
