//! Renewal reminders: once `RENEWAL_REMINDER_DAYS` have passed since a card was delivered for a
//! line, its customer gets one message (`Notifier::renewal_reminder`) with Buy again and Stop
//! reminders. Rows come from the database itself (a trigger writes one per delivered order,
//! migration 0008); each is claimed (committed) right before its send, so a restart neither
//! repeats nor loses one. Sent at the broadcast pace in the lane that yields to customers'
//! replies, and only within `REMINDER_HOURS` in Algiers time.
use super::notifier::{Copied, Notifier};
use crate::config::ReminderHours;
use crate::shop::Ctx;
use crate::store::now_ms;
use crate::store::reminders::{Claim, ReminderOutcome};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Reminders read per query; each is still claimed on its own right before its send.
const BATCH: i64 = 100;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Algiers is UTC+1 all year (no daylight saving time since 1981).
const ALGIERS_OFFSET_MS: i64 = HOUR_MS;
/// The longest sleep between two looks at the table.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// When a reminder due at `now_ms` may go out: `now_ms` inside the hours, else the next start
/// of them (Algiers time). Pure, so the window is tested without a clock.
pub fn window_opens(now_ms: i64, hours: ReminderHours) -> i64 {
    let local = now_ms + ALGIERS_OFFSET_MS;
    let time_of_day = local.rem_euclid(DAY_MS);
    let (start, end) = (i64::from(hours.start) * HOUR_MS, i64::from(hours.end) * HOUR_MS);
    if (start..end).contains(&time_of_day) {
        now_ms
    } else if time_of_day < start {
        now_ms + (start - time_of_day)
    } else {
        now_ms + (DAY_MS - time_of_day + start)
    }
}

/// A reminder this late (a long stop, or reminders switched on again after months) is dropped
/// rather than sent out of the blue.
fn stale_after(delay_ms: i64) -> i64 {
    delay_ms.max(DAY_MS)
}

pub async fn run<N: Notifier>(n: N, ctx: Arc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    let Some(delay) = ctx.cfg.renewal_reminder else { return };
    let delay_ms = delay.as_millis() as i64;
    match ctx.store.settle_interrupted_reminders().await {
        Ok(0) => {}
        Ok(k) => tracing::warn!(count = k, "reminders caught mid-send by a crash are not resent"),
        Err(e) => tracing::error!(error = %e, "cannot settle interrupted reminders"),
    }
    let gap = Duration::from_secs_f64(1.0 / f64::from(ctx.cfg.broadcast_per_sec.max(1)));
    // New deliveries are due `delay` from now at the earliest: looking this often never misses one.
    let idle = delay.min(MAX_IDLE).max(Duration::from_millis(100));
    loop {
        let now = now_ms();
        let opens = window_opens(now, ctx.cfg.reminder_hours);
        if opens > now {
            tracing::debug!(in_ms = opens - now, "reminders wait for their hours");
            if sleep_or_stop(Duration::from_millis((opens - now) as u64), &mut shutdown).await {
                return;
            }
            continue;
        }
        let full = match send_due(&n, &ctx, delay_ms, gap, &mut shutdown).await {
            Ok(full) => full,
            Err(e) => {
                tracing::error!(error = %e, "reminder step failed");
                false
            }
        };
        if *shutdown.borrow() {
            return;
        }
        if full {
            continue;
        }
        let next_due = match ctx.store.oldest_pending_reminder().await {
            Ok(at) => at.map(|d| d + delay_ms),
            Err(e) => {
                tracing::error!(error = %e, "cannot read reminders");
                None
            }
        };
        let now = now_ms();
        let wait = next_due.map_or(idle, |due| Duration::from_millis((due - now).max(0) as u64).min(idle));
        if sleep_or_stop(wait.max(Duration::from_millis(50)), &mut shutdown).await {
            return;
        }
    }
}

/// Sends the reminders due now, one every `gap`; true when a whole batch was read (more may wait).
async fn send_due<N: Notifier>(
    n: &N,
    ctx: &Ctx,
    delay_ms: i64,
    gap: Duration,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<bool, crate::store::StoreError> {
    let due = ctx.store.due_reminders(now_ms() - delay_ms, BATCH).await?;
    let full = due.len() as i64 == BATCH;
    for order_id in due {
        let now = now_ms();
        if *shutdown.borrow() || window_opens(now, ctx.cfg.reminder_hours) > now {
            return Ok(false);
        }
        let stale_before = now - delay_ms - stale_after(delay_ms);
        let reminder = match ctx.store.claim_reminder(order_id, stale_before).await? {
            Claim::Send(r) => r,
            Claim::Skipped(reason) => {
                tracing::info!(order = order_id, reason, "reminder skipped");
                continue;
            }
            Claim::Gone => continue,
        };
        // A send in flight is finished on shutdown (app waits for the workers, bounded).
        let outcome = match n.renewal_reminder(&reminder).await {
            Copied::Sent => ReminderOutcome::Sent,
            Copied::RetryAfter(after) => {
                // Nothing was delivered: back in line, and everything waits.
                tracing::warn!(?after, "reminder rate limited");
                ctx.store.unclaim_reminder(order_id).await?;
                if sleep_or_stop(after, shutdown).await {
                    return Ok(false);
                }
                continue;
            }
            Copied::Unreachable => ReminderOutcome::Unreachable,
            Copied::Failed(e) => {
                tracing::info!(order = order_id, error = %e, "reminder refused");
                ReminderOutcome::Failed
            }
        };
        ctx.store.finish_reminder(order_id, outcome).await?;
        tracing::info!(order = order_id, ?outcome, "reminder done");
        if sleep_or_stop(gap, shutdown).await {
            return Ok(false);
        }
    }
    Ok(full)
}

/// Sleeps `d`; true if shutdown came first.
async fn sleep_or_stop(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = crate::workers::stopped(shutdown) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_HOURS: ReminderHours = ReminderHours { start: 9, end: 21 };

    /// Unix ms of `h:m` Algiers time on 2026-03-10 (UTC+1).
    fn algiers(h: i64, m: i64) -> i64 {
        let midnight_utc = 1_773_100_800_000; // 2026-03-10T00:00:00Z
        midnight_utc + (h - 1) * HOUR_MS + m * 60_000
    }

    #[test]
    fn inside_the_hours_a_reminder_goes_now() {
        for (h, m) in [(9, 0), (12, 30), (20, 59)] {
            assert_eq!(window_opens(algiers(h, m), DAY_HOURS), algiers(h, m), "{h}:{m}");
        }
    }

    #[test]
    fn before_nine_it_waits_for_nine_the_same_day() {
        assert_eq!(window_opens(algiers(8, 59), DAY_HOURS), algiers(9, 0));
        // 00:30 Algiers is still the previous day in UTC: the offset is applied.
        assert_eq!(window_opens(algiers(0, 30), DAY_HOURS), algiers(9, 0));
    }

    #[test]
    fn from_nine_pm_it_waits_for_nine_the_next_morning() {
        assert_eq!(window_opens(algiers(21, 0), DAY_HOURS), algiers(24 + 9, 0));
        assert_eq!(window_opens(algiers(23, 45), DAY_HOURS), algiers(24 + 9, 0));
    }

    #[test]
    fn all_day_hours_never_wait() {
        let all = ReminderHours { start: 0, end: 24 };
        for h in 0..24 {
            assert_eq!(window_opens(algiers(h, 17), all), algiers(h, 17));
        }
    }

    #[test]
    fn a_reminder_is_stale_only_well_past_its_time() {
        assert_eq!(stale_after(2_000), DAY_MS, "test delays: a day");
        assert_eq!(stale_after(30 * DAY_MS), 30 * DAY_MS);
    }
}
