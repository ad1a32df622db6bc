//! Watches OneClickDZ: three failed health checks in a row close the shop (maintenance) and tell
//! admins; the first good answer after that opens it again. Each check's outcome feeds `/readyz`,
//! and each tick refreshes the money gauges of `/metrics` (wallets owed, OneClickDZ balance, ledger
//! mismatches, open top-ups) so a dashboard sees them move even when nobody scrapes the database figures.
use super::notifier::{Alert, Notifier};
use crate::http::readiness::Readiness;
use crate::shop::Ctx;
use crate::store::settings::AUTO_MAINTENANCE;
use std::sync::Arc;
use tokio::sync::watch;

const FAILURES_TO_CLOSE: u32 = 3;

pub async fn run<N: Notifier>(n: N, ctx: Arc<Ctx>, readiness: Arc<Readiness>, mut shutdown: watch::Receiver<bool>) {
    let mut failures = 0u32;
    let mut interval = tokio::time::interval(ctx.cfg.health_check_every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = crate::workers::stopped(&mut shutdown) => return,
        }
        // A check in flight does not hold up a shutdown (the request may take its full timeout).
        let res = tokio::select! {
            r = ctx.catalog.client().validate() => r,
            _ = crate::workers::stopped(&mut shutdown) => return,
        };
        let ok = match res {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %e, failures = failures + 1, "OneClickDZ health check failed");
                false
            }
        };
        readiness.oneclick_checked(ok);
        if let Err(e) = step(&n, &ctx, ok, &mut failures).await {
            tracing::error!(error = %e, "health step failed");
        }
        refresh_gauges(&ctx, ok).await;
    }
}

async fn refresh_gauges(ctx: &Ctx, oneclick_ok: bool) {
    if !crate::metrics::installed() {
        return;
    }
    if let Err(e) = crate::metrics::refresh_from_store(&ctx.store).await {
        tracing::warn!(error = %e, "metrics: cannot read the database figures");
    }
    // Sets the balance gauge as it reads (cached for BALANCE_CACHE_SECS): no extra request per tick.
    if oneclick_ok && let Err(e) = ctx.catalog.upstream_balance(false).await {
        tracing::warn!(error = %e, "metrics: cannot read the OneClickDZ balance");
    }
}

async fn step<N: Notifier>(n: &N, ctx: &Ctx, ok: bool, failures: &mut u32) -> Result<(), crate::store::StoreError> {
    let auto = ctx.store.flag(AUTO_MAINTENANCE).await?;
    if ok {
        *failures = 0;
        if auto {
            ctx.set_maintenance(false, None).await?;
            ctx.store.set_flag(AUTO_MAINTENANCE, false).await?;
            tracing::info!("OneClickDZ answers again; maintenance off");
            n.alert(Alert::MaintenanceOff).await;
        }
        return Ok(());
    }
    *failures += 1;
    // A shop an admin closed by hand stays theirs to reopen.
    if *failures == FAILURES_TO_CLOSE && !ctx.in_maintenance() {
        // The flag first: a crash in between then at worst reopens a shop that never closed.
        ctx.store.set_flag(AUTO_MAINTENANCE, true).await?;
        ctx.set_maintenance(true, None).await?;
        tracing::warn!("OneClickDZ failed {FAILURES_TO_CLOSE} health checks; maintenance on");
        n.alert(Alert::MaintenanceOn { failures: FAILURES_TO_CLOSE }).await;
    }
    Ok(())
}
