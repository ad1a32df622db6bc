//! One step of one order: send it (exactly once), reconcile a send whose answer was lost, poll
//! its status, adopt OneClickDZ's view, tell the customer. Each step ends with the order's row as
//! the table now has it.
use super::super::notifier::{Alert, Notifier, Told};
use crate::domain::{FailureReason, OrderStatus};
use crate::oneclick::{OneClickError, SendRequest, Topup, TopupStatus};
use crate::shop::Ctx;
use crate::store::{Order, StatusUpdate, StoreError, now_ms};
use std::time::Duration;
use tracing::Instrument;

/// After this many failed checks in a row, admins hear that an order cannot be reconciled.
const ALERT_AFTER_FAILURES: i64 = 10;
/// A customer who cannot be told after this many tries finds the result in /orders.
const GIVE_UP_NOTIFY_AFTER: i64 = 20;

/// Takes the order's step if it is still due (reading the order unless its row is known), and
/// returns when it is due next, with its row as the step left it if the step went through.
pub(super) async fn step<N: Notifier>(
    n: &N,
    ctx: &Ctx,
    id: i64,
    known: Option<Order>,
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
    let (next, row) = match process(n, ctx, order).instrument(span.clone()).await {
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
async fn process<N: Notifier>(n: &N, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    let order = match order.status {
        OrderStatus::Placed if order.send_attempted_at.is_none() => send(n, ctx, order).await?,
        OrderStatus::Placed => reconcile(n, ctx, order).await?,
        s if s.is_final() => order,
        _ => poll(n, ctx, order).await?,
    };
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
            reconcile(n, ctx, order).await
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
                n.alert(Alert::SendRefused { order: &failed, error: e.to_string() }).await;
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
async fn reconcile<N: Notifier>(n: &N, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    match ctx.catalog.client().check_ref(&order.r#ref).await {
        Ok(topup) => adopt(n, ctx, order, topup).await,
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
            alert_if_stuck(n, &order).await;
            retry_later(ctx, &order, true).await
        }
    }
}

async fn poll<N: Notifier>(n: &N, ctx: &Ctx, order: Order) -> Result<Order, StoreError> {
    let client = ctx.catalog.client();
    let res = match &order.topup_id {
        Some(id) => client.check_id(id).await,
        None => client.check_ref(&order.r#ref).await,
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

/// Takes OneClickDZ's view of the order as ours.
async fn adopt<N: Notifier>(n: &N, ctx: &Ctx, order: Order, topup: Topup) -> Result<Order, StoreError> {
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
            Some(code) => u.card_code_enc = Some(ctx.cipher.seal(&order.r#ref, code)),
            None => {
                tracing::error!("FULFILLED without a card code");
                n.alert(Alert::OrderWithoutCode(&order)).await;
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
