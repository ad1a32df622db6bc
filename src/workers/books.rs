//! Checks the books: at start and every `LEDGER_CHECK_SECS`, every wallet against its ledger rows
//! and its orders still holding. A mismatch is logged (user ids only) and sent to admins once per
//! check; the last result is kept for `/stats`.
use super::notifier::{Alert, Notifier};
use crate::shop::Ctx;
use crate::store::ledger::LedgerCheckResult;
use std::sync::Arc;
use tokio::sync::watch;

pub async fn run<N: Notifier>(n: N, ctx: Arc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    // The first tick is immediate: the check at start.
    let mut interval = tokio::time::interval(ctx.cfg.ledger_check_every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = crate::workers::stopped(&mut shutdown) => return,
        }
        check(&n, &ctx).await;
    }
}

/// One check: its result is saved, and admins hear of any mismatch.
pub async fn check<N: Notifier>(n: &N, ctx: &Ctx) {
    let done = ctx.store.check_ledger().await;
    match &done.result {
        LedgerCheckResult::Ok => tracing::info!("ledger check: every wallet adds up"),
        LedgerCheckResult::Failed => {}
        LedgerCheckResult::Mismatches(users) => {
            tracing::error!(count = users.len(), users = ?users, "ledger check: wallets do not match their ledger");
            n.alert(Alert::LedgerMismatch { users }).await;
        }
    }
}
