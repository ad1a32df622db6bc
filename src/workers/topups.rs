//! The top-up worker: checks open online payments on their schedule, closes links whose
//! createLink answer never got recorded, closes payments still unsettled at the end of the
//! window, and tells customers (and admins) every outcome. Everything it needs is in the
//! `topups` table, so a restart resumes every open top-up.
use super::notifier::{Alert, Notifier, Told};
use crate::domain::topup::{TopupMethod, TopupStatus, reported_amount_matches};
use crate::oneclick::ocpay::PaymentStatus;
use crate::shop::Ctx;
use crate::store::now_ms;
use crate::store::topups::{OnlineOutcome, SettleOutcome, Topup};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Rows looked at per pass.
const BATCH: i64 = 50;

pub async fn run<N: Notifier>(n: N, ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    // Often enough for the fast checks, never busier than 100 passes a second.
    let tick = (ctx.cfg.topup.schedule.fast_interval / 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
    loop {
        if *stop.borrow() {
            return;
        }
        match ctx.store.open_topups_due(now_ms(), BATCH).await {
            Ok(rows) => {
                for row in rows {
                    if *stop.borrow() {
                        return;
                    }
                    step(&n, &ctx, row).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "top-ups due could not be read"),
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = ctx.topup_wake.notified() => {}
            _ = super::stopped(&mut stop) => return,
        }
    }
}

async fn step<N: Notifier>(n: &N, ctx: &Ctx, row: Topup) {
    match (row.method, row.status) {
        (_, s) if s.is_final() => tell(n, ctx, &row).await,
        // The answer deadline passed with no answer recorded (the process died during createLink):
        // no URL was shown, so the top-up is closed; the call is never repeated.
        (TopupMethod::Online, TopupStatus::Creating) => match ctx.store.link_failed(row.id, "answer_lost").await {
            Ok(Some(failed)) => tell(n, ctx, &failed).await,
            Ok(None) => {}
            Err(e) => tracing::error!(topup = row.id, error = %e, "could not close a lost link"),
        },
        (TopupMethod::Online, TopupStatus::Pending) => check(n, ctx, row).await,
        _ => {}
    }
}

/// One checkPayment (background lane). Only an answer settles; the clock alone only closes the
/// top-up at the end of the window, after a last check still said "not final".
async fn check<N: Notifier>(n: &N, ctx: &Ctx, row: Topup) {
    let Some(payment_ref) = row.payment_ref.clone() else { return };
    let answer = ctx.catalog.client().check_payment(&payment_ref).await;
    let (outcome, seen, reported) = match &answer {
        Ok(c) => match &c.status {
            PaymentStatus::Confirmed { details } => (
                Some(OnlineOutcome::Confirmed),
                Some(c.status.as_str().to_owned()),
                details.as_ref().and_then(|d| d.amount),
            ),
            PaymentStatus::Failed => (Some(OnlineOutcome::Failed), None, None),
            PaymentStatus::Other(s) => {
                tracing::warn!(topup = row.id, status = %s, "undocumented OCPay status, still checking");
                (None, Some(s.clone()), None)
            }
            PaymentStatus::Pending => (None, Some("PENDING".to_owned()), None),
        },
        Err(e) => {
            tracing::warn!(topup = row.id, error = %e, "payment check failed, will check again");
            (None, None, None)
        }
    };
    let outcome = match outcome {
        Some(o) => o,
        None => {
            let created = row.link_created_at.unwrap_or(row.created_at);
            match ctx.cfg.topup.schedule.next_check(created, now_ms()) {
                Some(next) => {
                    if let Err(e) = ctx.store.checked_pending(row.id, seen.as_deref(), next).await {
                        tracing::error!(topup = row.id, error = %e, "next check not recorded");
                    }
                    return;
                }
                None => OnlineOutcome::Expired,
            }
        }
    };
    match ctx.store.settle_online(row.id, outcome).await {
        Ok(SettleOutcome::Settled { topup, .. }) => {
            tracing::info!(topup = topup.id, status = %topup.status, "online top-up settled");
            if outcome == OnlineOutcome::Confirmed && !reported_amount_matches(topup.amount_asked, reported) {
                n.alert(Alert::TopupAmountMismatch { topup: &topup, reported: reported.unwrap_or_default() }).await;
            }
            tell(n, ctx, &topup).await;
        }
        Ok(SettleOutcome::AlreadySettled(_)) => {}
        Err(e) => tracing::error!(topup = row.id, error = %e, "online outcome not recorded"),
    }
}

/// Tells the customer, then admins where they want to know, then marks the row told. A failed
/// delivery leaves it due, so it is tried again on the next pass.
async fn tell<N: Notifier>(n: &N, ctx: &Ctx, row: &Topup) {
    if !row.notify_pending {
        return;
    }
    match n.topup_changed(row).await {
        Ok(told) => {
            if let Told::Shown(Some(id)) = told
                && row.status_message_id != Some(id)
                && let Err(e) = ctx.store.set_topup_message(row.id, id).await
            {
                tracing::warn!(topup = row.id, error = %e, "top-up message id not recorded");
            }
            match row.status {
                TopupStatus::Confirmed => n.alert(Alert::TopupOnlinePaid(row)).await,
                TopupStatus::Expired => n.alert(Alert::TopupOnlineExpired(row)).await,
                _ => {}
            }
            if let Err(e) = ctx.store.topup_notified(row.id).await {
                tracing::error!(topup = row.id, error = %e, "top-up notice not recorded");
            }
        }
        Err(e) => tracing::warn!(topup = row.id, error = %e, "top-up outcome not delivered, will retry"),
    }
}
