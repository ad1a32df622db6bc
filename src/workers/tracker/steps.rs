//! One step of one order: send it (exactly once), reconcile a send whose answer was lost, poll
//! its status, adopt OneClickDZ's view, tell the customer. Each step ends with the order's row as
//! the table now has it.
use super::super::notifier::{Alert, Notifier, Told};
use crate::domain::{FailureReason, OrderStatus};
use crate::oneclick::{OneClickError, SendRequest, SendResponse, Topup, TopupStatus};
use crate::shop::Ctx;
use crate::store::{Order, StatusUpdate, StoreError, alert_bits, now_ms};
use std::time::Duration;
use tracing::Instrument;

/// After this many failed checks in a row, admins hear that an order cannot be reconciled.
const ALERT_AFTER_FAILURES: i64 = 10;
/// A customer who cannot be told after this many tries finds the result in /orders.
const GIVE_UP_NOTIFY_AFTER: i64 = 20;
/// The longest wait between checks of an order OneClickDZ calls FULFILLED without a code.
const NO_CODE_MAX_WAIT_MS: i64 = 24 * 3600 * 1000;
/// "Not found" answers needed before an order is failed as never sent.
const NOT_FOUND_TO_REFUND: i64 = 2;

/// What the answer to a send means for the order. Pure: unit-tested without a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SendMove {
    /// Accepted: HANDLING, the money stays held.
    Sent,
    /// Refused before processing (429): the claim is given back and the same send goes out later.
    SendAgain,
    /// Outcome unknown, or (`seen`) OneClickDZ says the ref exists: looked up by ref, never resent.
    Reconcile { seen: bool },
    /// Definitely refused: FAILED, the hold released.
    Refuse(FailureReason),
}

pub(super) fn send_move(res: &Result<SendResponse, OneClickError>) -> SendMove {
    match res {
        Ok(_) => SendMove::Sent,
        Err(OneClickError::RateLimited { .. }) => SendMove::SendAgain,
        Err(OneClickError::DuplicateRef) => SendMove::Reconcile { seen: true },
        Err(e) if e.is_definite_refusal() => SendMove::Refuse(match e {
            OneClickError::InvalidPhone { .. } => FailureReason::InvalidNumber,
            OneClickError::OutOfStock => FailureReason::OutOfStock,
            _ => FailureReason::Unavailable,
        }),
        Err(_) => SendMove::Reconcile { seen: false },
    }
}

/// What the tracker knows when it looks up a send whose answer it never saw (milliseconds).
#[derive(Debug, Clone, Copy)]
pub(super) struct ReconcileFacts {
    pub now: i64,
    /// When the send attempt ended.
    pub ended_at: i64,
    pub grace: i64,
    pub poll: i64,
    /// "Not found" answers before this one.
    pub not_found_before: i64,
    /// OneClickDZ once said the ref exists.
    pub seen: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReconcileMove {
    /// Found: OneClickDZ's status becomes ours.
    Adopt,
    /// Proven never sent: FAILED, the hold released.
    Refund,
    /// Not found, not proven yet: one more "not found" counted, asked again at `at`.
    AskAgain { at: i64 },
    /// Not found although OneClickDZ acknowledged the ref: never refunded, admins told, checks go on.
    KeepChecking,
    /// No answer (or one that says nothing about the order): asked again later, money untouched.
    RetryLater,
}

/// Only two "not found", the last a grace after the attempt ended, prove a send never arrived;
/// a ref OneClickDZ acknowledged is never proven absent.
pub(super) fn reconcile_move(answer: Result<&Topup, &OneClickError>, f: &ReconcileFacts) -> ReconcileMove {
    match answer {
        Ok(_) => ReconcileMove::Adopt,
        Err(OneClickError::NotFound) if f.seen => ReconcileMove::KeepChecking,
        Err(OneClickError::NotFound) => {
            let graced = f.ended_at + f.grace;
            if f.not_found_before + 1 >= NOT_FOUND_TO_REFUND && f.now >= graced {
                ReconcileMove::Refund
            } else {
                // The next answer can settle it only once the grace has passed.
                ReconcileMove::AskAgain { at: (f.now + f.poll).max(graced) }
            }
        }
        Err(_) => ReconcileMove::RetryLater,
    }
}

/// What one upstream answer does to an open order. Pure: unit-tested without a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AdoptMove {
    pub to: OrderStatus,
    /// The customer must be told.
    pub notify: bool,
    /// FULFILLED without a card code: nothing final, checked again (backing off) until it comes.
    pub no_code: bool,
    /// A status OneClickDZ does not document: shown as processing, admins told once.
    pub unknown: bool,
}

#[cfg(test)]
impl AdoptMove {
    /// What the move does to the customer's money, from `from`.
    pub fn money(&self, from: OrderStatus) -> crate::domain::HoldEffect {
        if self.to == from { crate::domain::HoldEffect::Keep } else { self.to.hold_effect() }
    }
}

pub(super) fn adopt_move(from: OrderStatus, upstream: &TopupStatus, has_code: bool) -> AdoptMove {
    let open = |s: OrderStatus| if s == OrderStatus::Placed { OrderStatus::Handling } else { s };
    let (to, no_code, unknown) = match upstream {
        TopupStatus::Fulfilled if has_code => (OrderStatus::Fulfilled, false, false),
        // Capturing now would make the order final and the code would never be fetched.
        TopupStatus::Fulfilled => (open(from), true, false),
        TopupStatus::Queued => (OrderStatus::Queued, false, false),
        TopupStatus::Refunded => (OrderStatus::Refunded, false, false),
        TopupStatus::Handling => (OrderStatus::Handling, false, false),
        // Unknown statuses are not final: keep following the order.
        TopupStatus::Other(_) => (OrderStatus::Handling, false, true),
    };
    AdoptMove { to, notify: to != from && to != OrderStatus::Handling, no_code, unknown }
}

/// Takes the order's step if it is still due (reading the order unless its row is known), and
/// returns when it is due next, with its row as the step left it if the step went through.
/// `answer`: OneClickDZ's view of the order already in hand (a list item), taken instead of a
/// status check, under the same rules.
pub(super) async fn step<N: Notifier>(
    n: &N,
    ctx: &Ctx,
    id: i64,
    known: Option<Order>,
    answer: Option<Topup>,
) -> Result<(Option<i64>, Option<Order>), StoreError> {
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
    let (next, row) = match process(n, ctx, order, answer).instrument(span.clone()).await {
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
async fn process<N: Notifier>(n: &N, ctx: &Ctx, order: Order, answer: Option<Topup>) -> Result<Order, StoreError> {
    let order = match order.status {
        OrderStatus::Placed if order.send_attempted_at.is_none() => send(n, ctx, order).await?,
        OrderStatus::Placed => reconcile(n, ctx, order).await?,
        s if s.is_final() => match order.followup_at {
            Some(t) if t <= now_ms() && !order.notify_pending => follow_up(n, ctx, order).await?,
            _ => order,
        },
        _ => poll(n, ctx, order, answer).await?,
    };
    alert_if_open_too_long(n, ctx, &order).await;
    if order.notify_pending {
        return tell(n, ctx, order).await;
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

async fn send<N: Notifier>(n: &N, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    // Committed before the request: after a crash this order is reconciled, never resent.
    if !ctx.store.claim_send(order.id).await? {
        // Not ours to send after all (the row we had was not the table's): start from the table.
        return reread(ctx, order.id).await;
    }
    let req = SendRequest {
        card_type: order.card_type,
        number: order.number.clone(),
        value: order.value.get(),
        r#ref: order.r#ref.clone(),
    };
    let res = ctx.catalog.client().send(&req).await;
    match send_move(&res) {
        SendMove::Sent => {
            let (topup_id, topup_ref) = res.map(|r| (r.topup_id, r.topup_ref)).unwrap_or_default();
            tracing::info!(topup_id = ?topup_id, "sent to OneClickDZ");
            let now = now_ms();
            let u = StatusUpdate {
                topup_id,
                topup_ref,
                next_check_at: Some(next_check(ctx, &order, OrderStatus::Handling, now)),
                ..Default::default()
            };
            ctx.store.apply_status(order.id, OrderStatus::Handling, u).await
        }
        SendMove::SendAgain => {
            // Refused before processing: the send may go out again later.
            ctx.store.release_send_claim(order.id).await?;
            let wait = res.err().and_then(|e| e.retry_after()).unwrap_or(ctx.cfg.order_poll);
            reschedule(ctx, order.id, now_ms() + ms(wait), false).await
        }
        SendMove::Reconcile { seen: true } => {
            tracing::warn!("ref already known upstream; reconciling");
            let order = ctx.store.note_send_end(order.id, now_ms(), false, true).await?;
            reconcile(n, ctx, order).await
        }
        SendMove::Reconcile { seen: false } => {
            if let Err(e) = &res {
                tracing::warn!(error = %e, "send outcome unknown; will reconcile by ref");
            }
            // The grace runs from here: OneClickDZ may still be processing what it received.
            let order = ctx.store.note_send_end(order.id, now_ms(), false, false).await?;
            retry_later(ctx, &order, true).await
        }
        SendMove::Refuse(reason) => {
            let e = res.err().unwrap_or(OneClickError::OutOfStock);
            tracing::warn!(error = %e, reason = %reason, "send refused");
            let failed = ctx
                .store
                .apply_status(
                    order.id,
                    OrderStatus::Failed,
                    StatusUpdate { failure_reason: Some(reason), notify: true, ..Default::default() },
                )
                .await?;
            crate::metrics::order_refunded();
            if reason == FailureReason::Unavailable {
                // The shop's problem (balance, key), not the customer's: admins must act.
                if matches!(e, OneClickError::InsufficientBalance) {
                    ctx.catalog.invalidate_balance();
                }
                n.alert(Alert::SendRefused { order: &failed, error: e.to_string() }).await;
            }
            Ok(failed)
        }
    }
}

/// A send whose answer we never saw: ask OneClickDZ by our ref. Only two "not found" answers,
/// the last a grace period after the attempt ended, prove it never arrived, and only then is the
/// hold released; never for a ref OneClickDZ has acknowledged.
async fn reconcile<N: Notifier>(n: &N, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    let order = match order.send_ended_at {
        Some(_) => order,
        // Claimed, but the attempt's end was never written (a crash mid-send): it is over by
        // now, and "now" is the late, safe side to count the grace from.
        None => ctx.store.note_send_end(order.id, now_ms(), true, false).await?,
    };
    let answer = ctx.catalog.client().check_ref(&order.r#ref).await;
    let facts = ReconcileFacts {
        now: now_ms(),
        ended_at: order.send_ended_at.unwrap_or_else(now_ms),
        grace: ms(ctx.cfg.reconcile_grace),
        poll: ms(ctx.cfg.order_poll),
        not_found_before: order.not_found_count,
        seen: order.upstream_seen,
    };
    match (reconcile_move(answer.as_ref(), &facts), answer) {
        (ReconcileMove::Adopt, Ok(topup)) => adopt(n, ctx, order, topup).await,
        (ReconcileMove::Refund, _) => {
            tracing::warn!("never reached OneClickDZ; releasing the hold");
            let u = StatusUpdate { failure_reason: Some(FailureReason::NotSent), notify: true, ..Default::default() };
            let failed = ctx.store.apply_status(order.id, OrderStatus::Failed, u).await?;
            crate::metrics::order_refunded();
            // Looked up once more later: admins hear if it turns up after all.
            let first = failed.finished_at.unwrap_or(facts.now) + ms(ctx.cfg.not_sent_rechecks[0]);
            ctx.store.set_followup(order.id, Some(first)).await
        }
        (ReconcileMove::AskAgain { at }, _) => ctx.store.note_not_found(order.id, at).await,
        (ReconcileMove::KeepChecking, _) => {
            tracing::error!("OneClickDZ acknowledged this ref and now says not found; not refunding");
            alert_once(n, ctx, &order, alert_bits::SEEN_NOT_FOUND, Alert::NotFoundAfterSeen(&order)).await;
            retry_later(ctx, &order, false).await
        }
        (_, res) => {
            if let Err(e) = res {
                tracing::warn!(error = %e, "reconciliation check failed");
            }
            alert_if_stuck(n, &order).await;
            retry_later(ctx, &order, true).await
        }
    }
}

/// A late look-up of an order failed as never sent: if OneClickDZ has it after all, admins are
/// told (the customer was refunded; no money moves by itself). Then the next look-up, or none.
async fn follow_up<N: Notifier>(n: &N, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    let now = now_ms();
    let failed_at = order.finished_at.unwrap_or(order.updated_at);
    let next = match ctx.catalog.client().check_ref(&order.r#ref).await {
        Ok(topup) => {
            tracing::error!(upstream = topup.status.as_str(), "an order failed as never sent exists upstream");
            let alert = Alert::FoundAfterFailing { order: &order, status: topup.status.as_str() };
            alert_once(n, ctx, &order, alert_bits::FOUND_AFTER_FAILING, alert).await;
            None
        }
        Err(OneClickError::NotFound) => Some(failed_at + ms(ctx.cfg.not_sent_rechecks[1])).filter(|t| *t > now),
        Err(e) => {
            tracing::warn!(error = %e, "late look-up failed; trying again later");
            Some(now + ms(ctx.cfg.queued_recheck))
        }
    };
    ctx.store.set_followup(order.id, next).await
}

/// Claims the alert's bit on the order, then sends it: once per order, across restarts.
async fn alert_once<N: Notifier>(n: &N, ctx: &Ctx, order: &Order, bit: i64, alert: Alert<'_>) {
    if order.alerted & bit != 0 {
        return;
    }
    match ctx.store.claim_alert(order.id, bit).await {
        Ok(true) => n.alert(alert).await,
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "cannot record an alert; not sent"),
    }
}

/// Admins hear once when an order has been HANDLING, or QUEUED, too long, whatever the checks say.
async fn alert_if_open_too_long<N: Notifier>(n: &N, ctx: &Ctx, order: &Order) {
    let (bit, limit) = match order.status {
        OrderStatus::Handling => (alert_bits::HANDLING_LONG, ctx.cfg.handling_alert_after),
        OrderStatus::Queued => (alert_bits::QUEUED_LONG, ctx.cfg.queued_alert_after),
        _ => return,
    };
    let since = order.status_since.unwrap_or(order.created_at);
    if order.alerted & bit == 0 && now_ms() - since > ms(limit) {
        let hours = (limit.as_secs() / 3600) as i64;
        alert_once(n, ctx, order, bit, Alert::OpenTooLong { order, hours }).await;
    }
}

async fn poll<N: Notifier>(n: &N, ctx: &Ctx, order: Order, answer: Option<Topup>) -> Result<Order, StoreError> {
    let client = ctx.catalog.client();
    let res = match (answer, &order.topup_id) {
        (Some(topup), _) => Ok(topup),
        (None, Some(id)) => client.check_id(id).await,
        (None, None) => client.check_ref(&order.r#ref).await,
    };
    match res {
        Ok(topup) => adopt(n, ctx, order, topup).await,
        Err(e) => {
            tracing::warn!(error = %e, "status check failed");
            alert_if_stuck(n, &order).await;
            retry_later(ctx, &order, true).await
        }
    }
}

async fn alert_if_stuck<N: Notifier>(n: &N, order: &Order) {
    if order.check_failures + 1 == ALERT_AFTER_FAILURES {
        n.alert(Alert::OrderUnreconciled(order)).await;
    }
}

/// When to look again at an order OneClickDZ calls FULFILLED without a code: soon at first, then
/// each wait twice the last (the time since the previous write), up to a day.
fn no_code_recheck(ctx: &Ctx, order: &Order, now: i64) -> i64 {
    let poll = ms(ctx.cfg.order_poll);
    let wait = match order.upstream_status.as_deref() {
        Some("FULFILLED") => (2 * (now - order.updated_at)).clamp(poll, NO_CODE_MAX_WAIT_MS.max(poll)),
        _ => poll,
    };
    now + wait
}

/// Takes OneClickDZ's view of the order as ours.
async fn adopt<N: Notifier>(n: &N, ctx: &Ctx, order: Order, topup: Topup) -> Result<Order, StoreError> {
    let m = adopt_move(order.status, &topup.status, topup.card_code.is_some());
    let status = m.to;
    let now = now_ms();
    let next = if m.no_code { no_code_recheck(ctx, &order, now) } else { next_check(ctx, &order, status, now) };
    let mut u = StatusUpdate {
        topup_id: topup.id.clone(),
        upstream_status: Some(topup.status.as_str().to_owned()),
        next_check_at: Some(next),
        notify: m.notify,
        ..Default::default()
    };
    if status == OrderStatus::Fulfilled {
        if let Some(code) = &topup.card_code {
            u.card_code_enc = Some(ctx.cipher.seal(&order.r#ref, code));
        }
        u.num_trans = topup.num_trans.clone();
        u.date_traitement = topup.date_traitement.clone();
    }
    if m.no_code {
        tracing::warn!("FULFILLED without a card code; the order stays open and held");
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
                match o.status {
                    OrderStatus::Fulfilled => crate::metrics::order_delivered(),
                    OrderStatus::Refunded => crate::metrics::order_refunded(),
                    OrderStatus::Queued => crate::metrics::order_queued(),
                    _ => {}
                }
            }
            if m.no_code {
                alert_once(n, ctx, &o, alert_bits::NO_CODE, Alert::OrderWithoutCode(&o)).await;
            }
            if m.unknown {
                let alert = Alert::UnknownStatus { order: &o, status: topup.status.as_str() };
                alert_once(n, ctx, &o, alert_bits::UNKNOWN_STATUS, alert).await;
            }
            Ok(o)
        }
        Err(StoreError::IllegalTransition { from, to }) => {
            tracing::error!(from, to, "upstream reported an impossible move; alerting admins");
            n.alert(Alert::OrderUnreconciled(&order)).await;
            reschedule(ctx, order.id, now + ms(ctx.cfg.queued_recheck), true).await
        }
        Err(e) => Err(e),
    }
}

/// Tells the customer; a failure never undoes the settlement, it is retried and the receipt
/// stays available in /orders either way.
/// Returns the order as it then is: a told final order has left the schedule.
async fn tell<N: Notifier>(n: &N, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    let told = match n.order_changed(&order).await {
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
    n.alert(Alert::OrderSettled(&order)).await;
    Ok(told)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::HoldEffect::{self, Capture, Keep, Release};
    use OrderStatus::*;

    fn topup(status: TopupStatus) -> Topup {
        Topup {
            id: Some("t1".into()),
            r#ref: None,
            status,
            card_type: None,
            number: None,
            topup_amount: None,
            card_code: None,
            num_trans: None,
            date_traitement: None,
            created_at: None,
            refund_message: None,
        }
    }

    /// Each answer to a send, and what it does to the order and its money.
    #[test]
    fn send_answers() {
        let ok = SendResponse { topup_id: Some("t".into()), topup_ref: None, new_balance: None };
        let cases: Vec<(Result<SendResponse, OneClickError>, SendMove, HoldEffect)> = vec![
            (Ok(ok), SendMove::Sent, Keep),
            (Err(OneClickError::RateLimited { retry_after: None }), SendMove::SendAgain, Keep),
            (Err(OneClickError::DuplicateRef), SendMove::Reconcile { seen: true }, Keep),
            (Err(OneClickError::Timeout), SendMove::Reconcile { seen: false }, Keep),
            (Err(OneClickError::Network("reset".into())), SendMove::Reconcile { seen: false }, Keep),
            (Err(OneClickError::Server { status: 502, code: None }), SendMove::Reconcile { seen: false }, Keep),
            (Err(OneClickError::Malformed("x".into())), SendMove::Reconcile { seen: false }, Keep),
            (Err(OneClickError::NotFound), SendMove::Reconcile { seen: false }, Keep),
            (Err(crate::oneclick::error::foreign_404()), SendMove::Reconcile { seen: false }, Keep),
            (
                Err(OneClickError::InvalidPhone { message: "m".into() }),
                SendMove::Refuse(FailureReason::InvalidNumber),
                Release,
            ),
            (Err(OneClickError::OutOfStock), SendMove::Refuse(FailureReason::OutOfStock), Release),
            (Err(OneClickError::InsufficientBalance), SendMove::Refuse(FailureReason::Unavailable), Release),
            (Err(OneClickError::InvalidKey), SendMove::Refuse(FailureReason::Unavailable), Release),
        ];
        for (res, expected, money) in cases {
            let m = send_move(&res);
            assert_eq!(m, expected, "{res:?}");
            let to = match m {
                SendMove::Sent => Handling,
                SendMove::Refuse(_) => Failed,
                _ => Placed,
            };
            let effect = if to == Placed { Keep } else { to.hold_effect() };
            assert_eq!(effect, money, "{res:?}");
        }
    }

    /// Each answer while reconciling, with the facts that decide a refund.
    #[test]
    fn reconcile_answers() {
        let f =
            ReconcileFacts { now: 10_000, ended_at: 5_000, grace: 4_000, poll: 50, not_found_before: 1, seen: false };
        let found = topup(TopupStatus::Handling);
        let nf = OneClickError::NotFound;
        let (proxy, timeout) = (crate::oneclick::error::foreign_404(), OneClickError::Timeout);
        let server = OneClickError::Server { status: 500, code: None };
        let cases: Vec<(&str, Result<&Topup, &OneClickError>, ReconcileFacts, ReconcileMove)> = vec![
            ("found", Ok(&found), f, ReconcileMove::Adopt),
            ("second not found past the grace", Err(&nf), f, ReconcileMove::Refund),
            (
                "first not found past the grace",
                Err(&nf),
                ReconcileFacts { not_found_before: 0, ..f },
                ReconcileMove::AskAgain { at: 10_050 },
            ),
            (
                "second not found within the grace (from the END of the attempt)",
                Err(&nf),
                ReconcileFacts { now: 8_000, ..f },
                ReconcileMove::AskAgain { at: 9_000 },
            ),
            (
                "acknowledged ref",
                Err(&nf),
                ReconcileFacts { seen: true, not_found_before: 5, ..f },
                ReconcileMove::KeepChecking,
            ),
            ("proxy 404", Err(&proxy), f, ReconcileMove::RetryLater),
            ("timeout", Err(&timeout), f, ReconcileMove::RetryLater),
            ("server", Err(&server), f, ReconcileMove::RetryLater),
        ];
        for (case, answer, facts, expected) in cases {
            assert_eq!(reconcile_move(answer, &facts), expected, "{case}");
        }
    }

    /// Each upstream status, from each open state: the status move and the money moved.
    #[test]
    fn adopt_answers() {
        use TopupStatus as T;
        let other = || T::Other("PENDING".into());
        #[rustfmt::skip]
        type Case = (OrderStatus, TopupStatus, bool, OrderStatus, HoldEffect, bool, bool, bool);
        let cases: Vec<Case> = vec![
            // from,   upstream,     code,  to,        money,   notify, no_code, unknown
            (Placed, T::Handling, false, Handling, Keep, false, false, false),
            (Placed, T::Fulfilled, true, Fulfilled, Capture, true, false, false),
            (Placed, T::Fulfilled, false, Handling, Keep, false, true, false),
            (Placed, T::Queued, false, Queued, Keep, true, false, false),
            (Placed, T::Refunded, false, Refunded, Release, true, false, false),
            (Placed, other(), false, Handling, Keep, false, false, true),
            (Handling, T::Handling, false, Handling, Keep, false, false, false),
            (Handling, T::Fulfilled, true, Fulfilled, Capture, true, false, false),
            (Handling, T::Fulfilled, false, Handling, Keep, false, true, false),
            (Handling, T::Refunded, false, Refunded, Release, true, false, false),
            (Handling, other(), false, Handling, Keep, false, false, true),
            (Queued, T::Queued, false, Queued, Keep, false, false, false),
            (Queued, T::Fulfilled, false, Queued, Keep, false, true, false),
            (Queued, T::Fulfilled, true, Fulfilled, Capture, true, false, false),
            (Queued, T::Handling, false, Handling, Keep, false, false, false),
            (Queued, T::Refunded, false, Refunded, Release, true, false, false),
        ];
        for (from, upstream, code, to, money, notify, no_code, unknown) in cases {
            let m = adopt_move(from, &upstream, code);
            let case = format!("{from} + {upstream:?} (code {code})");
            assert_eq!(m, AdoptMove { to, notify, no_code, unknown }, "{case}");
            assert_eq!(m.money(from), money, "{case}");
            assert!(from.can_move_to(m.to), "{case}: the store accepts the move");
        }
    }
}
