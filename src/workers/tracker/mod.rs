//! The order tracker: sends placed orders exactly once, follows them upstream until final,
//! settles the wallet and tells the customer. Driven only by `orders.next_check_at`.
mod schedule;
mod steps;

pub use schedule::Inbox;

use super::notifier::Notifier;
use crate::shop::Ctx;
use crate::store::now_ms;
use schedule::{Report, Schedule};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// Orders processed at once; the OneClickDZ limiter is the real bound on throughput.
const PARALLEL: usize = 32;
/// How often the schedule is read again from the table, the truth it mirrors.
const RESYNC_EVERY: Duration = Duration::from_secs(30);

pub async fn run<N: Notifier>(n: N, ctx: Arc<Ctx>, inbox: Arc<Inbox>, mut shutdown: watch::Receiver<bool>) {
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
        for Report { id, at, row } in inbox.take() {
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
            let (n, ctx, inbox, inflight) = (n.clone(), ctx.clone(), inbox.clone(), inflight.clone());
            tasks.spawn(async move {
                let next = steps::step(&n, &ctx, id, row).await;
                inflight.lock().unwrap().remove(&id);
                drop(permit);
                inbox.report(match next {
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
            _ = inbox.wake.notified() => {}
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
