//! Every metric the bot exports, by name, with one function per event so a call site is one line.
//! Nothing is recorded until [`install`] runs (the app installs it when the HTTP server starts);
//! `/metrics` renders the text format through `metrics-exporter-prometheus`. Figures the database
//! already holds (orders by status, what wallets owe) are read at scrape time by [`refresh_from_store`]
//! rather than counted, so they are right after a restart.
use crate::domain::order::OrderStatus;
use crate::oneclick::OneClickError;
use crate::store::{RecipientStatus, Store, StoreError};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Seconds: from a cache hit to a OneClickDZ request at its timeout.
const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics shows only database figures");
        }
        handle
    })
}

/// Whether anything records metrics (only with the HTTP server): without, figures need not be read.
pub fn installed() -> bool {
    HANDLE.get().is_some()
}

/// The text `/metrics` serves.
pub fn render() -> String {
    install().render()
}

/// Folds recorded histogram samples into their buckets; without it, samples pile up between
/// scrapes (or forever when nobody scrapes).
pub fn upkeep() {
    install().run_upkeep();
}

/// One update through the handlers. `kind` is the update kind ("message", "callback_query"...).
pub fn update_handled(kind: &'static str, took: Duration) {
    counter!("netcard_updates_total", "kind" => kind).increment(1);
    histogram!("netcard_handler_seconds", "kind" => kind).record(took.as_secs_f64());
}

pub fn order_placed() {
    counter!("netcard_orders_placed_total").increment(1);
}

pub fn order_delivered() {
    counter!("netcard_orders_delivered_total").increment(1);
}

/// The customer's money went back: REFUNDED upstream, or FAILED before delivery.
pub fn order_refunded() {
    counter!("netcard_orders_refunded_total").increment(1);
}

pub fn order_queued() {
    counter!("netcard_orders_queued_total").increment(1);
}

/// One HTTP exchange with OneClickDZ (each retry counts), timed from the request to the parsed answer.
pub fn oneclick_request(path: &str, result: Result<(), &OneClickError>, latency: Duration) {
    let outcome = match result {
        Ok(()) => "ok",
        Err(OneClickError::RateLimited { .. }) => "rate_limited",
        Err(OneClickError::Timeout) => "timeout",
        Err(OneClickError::Network(_)) => "network",
        Err(OneClickError::Server { .. } | OneClickError::Malformed(_)) => "server_error",
        // OneClickDZ answered and refused (a bad number, no stock, a key problem...).
        Err(_) => "refused",
    };
    histogram!("netcard_oneclick_request_seconds", "endpoint" => oneclick_endpoint(path), "outcome" => outcome)
        .record(latency.as_secs_f64());
}

/// How long a OneClickDZ request waited for the request budget, by lane (`customer`: someone
/// waits in the chat; `tracker`: list pages; `background`: sends, checks, broadcasts). Every
/// request is recorded, zero waits included, so a lane's quantiles are over all its requests.
pub fn oneclick_budget_wait(lane: &'static str, waited: Duration) {
    histogram!("netcard_oneclick_budget_wait_seconds", "lane" => lane).record(waited.as_secs_f64());
}

/// The OneClickDZ account balance, each time the bot reads it.
pub fn oneclick_balance(dinars: i64) {
    gauge!("netcard_oneclick_balance_dinars").set(dinars as f64);
}

/// Telegram answered 429 (flood control).
pub fn telegram_429() {
    counter!("netcard_telegram_429_total").increment(1);
}

/// One broadcast recipient done.
pub fn broadcast_recipient(status: RecipientStatus) {
    let result = match status {
        RecipientStatus::Sent => "sent",
        RecipientStatus::Failed => "failed",
        RecipientStatus::Blocked => "blocked",
    };
    counter!("netcard_broadcast_recipients_total", "result" => result).increment(1);
}

/// The gauges the database holds, read now. Call before [`render`].
pub async fn refresh_from_store(store: &Store) -> Result<(), StoreError> {
    let stats = store.stats(0, 0).await?;
    for status in OrderStatus::ALL {
        let n = stats.orders.get(status.as_str()).map_or(0, |c| c.2);
        gauge!("netcard_orders", "status" => status.as_str()).set(n as f64);
    }
    gauge!("netcard_wallets_owed_dinars").set((stats.wallets_balance + stats.wallets_held).get() as f64);
    gauge!("netcard_wallets_held_dinars").set(stats.wallets_held.get() as f64);
    gauge!("netcard_ledger_mismatches").set(store.ledger_mismatches().await?.len() as f64);
    let mut pending = 0;
    for job in store.running_broadcasts().await? {
        pending += store.broadcast_progress(job.id).await?.pending;
    }
    gauge!("netcard_broadcast_pending").set(pending as f64);
    let (open,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM topups WHERE status IN ('CREATING', 'PENDING')")
        .fetch_one(store.pool())
        .await?;
    gauge!("netcard_topups_open").set(open as f64);
    Ok(())
}

/// A fixed label per OneClickDZ route: paths carry refs and ids, which would make a series per order.
fn oneclick_endpoint(path: &str) -> &'static str {
    const ROUTES: [&str; 8] = [
        "validate",
        "account/balance",
        "internet/products",
        "internet/check-number",
        "internet/send",
        "internet/check-id",
        "internet/check-ref",
        "internet/list",
    ];
    let route = path.rsplit_once("/v3/").map_or(path, |(_, r)| r);
    ROUTES.into_iter().find(|r| route == *r || route.starts_with(&format!("{r}/"))).unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_named_without_ids() {
        assert_eq!(oneclick_endpoint("/v3/internet/check-ref/o-123"), "internet/check-ref");
        assert_eq!(oneclick_endpoint("/prefix/v3/internet/send"), "internet/send");
        assert_eq!(oneclick_endpoint("/v3/validate"), "validate");
        assert_eq!(oneclick_endpoint("/v3/internet/sendx"), "other");
        assert_eq!(oneclick_endpoint("/v3/something/else"), "other");
    }
}
