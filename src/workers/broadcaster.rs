//! Sends broadcast jobs, one recipient at a time, never faster than `BROADCAST_PER_SEC`; with pacing
//! on, copies also wait for send slots that replies to customers leave free
//! (`Notifier::copy_broadcast`).
//! A recipient is marked 'sending' (committed) just before its request, so a restart never sends
//! twice; a graceful stop leaves nobody in that state.
use super::notifier::{BroadcastView, Copied, Notifier, Phase};
use crate::i18n::Lang;
use crate::shop::Ctx;
use crate::store::{BroadcastJob, RecipientStatus, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::time::Instant as TInstant;

/// Recipients read per query; each is still claimed on its own right before its request.
const BATCH: i64 = 100;
const SECOND: Duration = Duration::from_secs(1);

pub async fn run<N: Notifier>(n: N, ctx: Arc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    loop {
        match ctx.store.running_broadcasts().await {
            Ok(jobs) => {
                for job in jobs {
                    if let Err(e) = run_job(&n, &ctx, &job, &mut shutdown).await {
                        tracing::error!(job = job.id, error = %e, "broadcast step failed");
                    }
                    if *shutdown.borrow() {
                        return;
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read broadcasts"),
        }
        tokio::select! {
            _ = ctx.broadcast_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
            _ = crate::workers::stopped(&mut shutdown) => return,
        }
    }
}

/// Spaces broadcast requests evenly, `per_sec` a second on average.
///
/// Slots stay on a fixed timeline, so the timer's lateness is not lost at every send. Replies to
/// customers can hold a copy back several slots in the send pacer (`Tg`, `TELEGRAM_THROTTLE`);
/// catching up (up to a second behind) keeps the average at the rate, and the send pacer still
/// caps what Telegram sees in any second. With that pacer off (benchmarks only) nothing else
/// caps a catch-up burst.
struct Pacer {
    gap: Duration,
    next: TInstant,
}

impl Pacer {
    fn new(per_sec: u32) -> Pacer {
        Pacer { gap: Duration::from_secs_f64(1.0 / f64::from(per_sec.max(1))), next: TInstant::now() }
    }

    /// Waits for the next slot; call right before a request.
    async fn wait(&mut self) {
        let at = self.next;
        tokio::time::sleep_until(at).await;
        // More than a second behind (a long stall): a new timeline from now, not a burst.
        let now = TInstant::now();
        let base = if now.saturating_duration_since(at) > SECOND { now } else { at };
        self.next = base + self.gap;
    }

    /// Nothing goes out before `d` has passed.
    fn pause(&mut self, d: Duration) {
        self.next = self.next.max(TInstant::now() + d);
    }
}

/// What the job's progress message needs, kept across the steps of one run.
struct Progress {
    lang: Lang,
    started: Instant,
    sent_here: u64,
    last: Instant,
    chat: Option<i64>,
    msg: Option<i32>,
}

enum Stop {
    Shutdown,
    Cancelled,
}

async fn run_job<N: Notifier>(
    n: &N,
    ctx: &Ctx,
    job: &BroadcastJob,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), StoreError> {
    let interrupted = ctx.store.settle_interrupted_sends(job.id).await?;
    if interrupted > 0 {
        tracing::warn!(job = job.id, interrupted, "recipients caught mid-send by a crash are not resent");
    }
    let lang = ctx.store.user(job.admin_id).await?.map_or(ctx.cfg.default_language, |u| u.language);
    let mut pacer = Pacer::new(ctx.cfg.broadcast_per_sec);
    let mut p = Progress {
        lang,
        started: Instant::now(),
        sent_here: 0,
        last: Instant::now(),
        chat: job.progress_chat_id,
        msg: job.progress_message_id,
    };
    loop {
        let batch = match should_stop(ctx, job, shutdown).await? {
            Some(Stop::Shutdown) => return Ok(()),
            Some(Stop::Cancelled) => {
                tracing::info!(job = job.id, "broadcast cancelled");
                return progress(n, ctx, job, &mut p, Phase::Cancelled).await;
            }
            None => ctx.store.pending_recipients(job.id, BATCH).await?,
        };
        if batch.is_empty() {
            ctx.store.finish_broadcast(job.id).await?;
            tracing::info!(job = job.id, "broadcast finished");
            return progress(n, ctx, job, &mut p, Phase::Finished).await;
        }
        for user in batch {
            // A cancel from the admin or a shutdown shows up between any two recipients.
            if should_stop(ctx, job, shutdown).await?.is_some() {
                break;
            }
            // A stop during the wait sends nothing more; the rest stays pending for the next run.
            tokio::select! {
                _ = pacer.wait() => {}
                _ = crate::workers::stopped(shutdown) => break,
            }
            // Claimed only while the job still runs (checked in the same statement): a cancel
            // that has committed is never followed by a copy.
            if !ctx.store.claim_recipient(job.id, user).await? {
                continue;
            }
            // A copy in flight is finished on shutdown (app waits for the workers, bounded).
            let res = n.copy_broadcast(user, job).await;
            let status = match res {
                Copied::Sent => {
                    p.sent_here += 1;
                    RecipientStatus::Sent
                }
                Copied::RetryAfter(after) => {
                    // Nothing was delivered (with Throttle on, it waits and retries by itself and
                    // this never shows): all broadcast sending waits `retry_after`, and this
                    // recipient goes back in line.
                    tracing::warn!(job = job.id, ?after, "broadcast rate limited");
                    pacer.pause(after);
                    ctx.store.unclaim_recipient(job.id, user).await?;
                    continue;
                }
                Copied::Unreachable => RecipientStatus::Blocked,
                Copied::Failed(e) => {
                    tracing::info!(job = job.id, user, error = %e, "broadcast copy failed");
                    RecipientStatus::Failed
                }
            };
            ctx.store.finish_recipient(job.id, user, status).await?;
            crate::metrics::broadcast_recipient(status);
            if p.last.elapsed() >= ctx.cfg.broadcast_progress_every {
                progress(n, ctx, job, &mut p, Phase::Sending).await?;
            }
        }
    }
}

async fn should_stop(
    ctx: &Ctx,
    job: &BroadcastJob,
    shutdown: &watch::Receiver<bool>,
) -> Result<Option<Stop>, StoreError> {
    if *shutdown.borrow() {
        return Ok(Some(Stop::Shutdown));
    }
    let running =
        ctx.store.broadcast(job.id).await?.is_some_and(|j| j.status == crate::store::BroadcastStatus::Running);
    Ok((!running).then_some(Stop::Cancelled))
}

/// Shows the job's state on its progress message, or on a new one if that one is gone.
async fn progress<N: Notifier>(
    n: &N,
    ctx: &Ctx,
    job: &BroadcastJob,
    p: &mut Progress,
    phase: Phase,
) -> Result<(), StoreError> {
    p.last = Instant::now();
    let counts = ctx.store.broadcast_progress(job.id).await?;
    let elapsed = p.started.elapsed().as_secs_f64().max(0.001);
    let rate = (p.sent_here as f64 / elapsed).min(f64::from(ctx.cfg.broadcast_per_sec.max(1)));
    let eta_secs = if rate > 0.0 {
        (counts.pending as f64 / rate).ceil() as i64
    } else {
        (counts.pending as f64 / f64::from(ctx.cfg.broadcast_per_sec.max(1))).ceil() as i64
    };
    let Some(chat) = p.chat else {
        return Ok(());
    };
    let view = BroadcastView { job, lang: p.lang, phase, counts, eta_secs, chat, msg: p.msg };
    match n.broadcast_progress(view).await {
        Ok(shown) if Some(shown) != p.msg => {
            // The old message could not be edited: later updates go to the new one, not to yet
            // another new message each time.
            p.msg = Some(shown);
            ctx.store.set_progress_message(job.id, chat, shown).await?;
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(job = job.id, error = %e, "broadcast progress not shown"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests keep to the timeline (never ahead of it, whatever the answers' delays), a late
    /// pacer catches up within a second rather than losing the slots, and a pause holds
    /// everything back.
    #[tokio::test]
    async fn pacer_keeps_the_rate_catches_up_and_honours_pauses() {
        let mut p = Pacer::new(100);
        let t0 = TInstant::now();
        let mut left = Vec::new();
        for i in 0..130u32 {
            p.wait().await;
            left.push(TInstant::now());
            if i % 7 == 0 {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            if i == 60 {
                p.pause(Duration::from_millis(300));
            }
        }
        for (i, at) in left.iter().enumerate().take(61) {
            assert!(*at - t0 >= Duration::from_millis(10) * i as u32, "request {i} ahead of its slot");
        }
        assert!(left[61] - left[60] >= Duration::from_millis(300));
        // Slow answers cost no slots: the 69 after the pause take about 0.69 s, not 69 × 25 / 7 ms more.
        let after_pause = left[129] - left[61];
        assert!(after_pause < Duration::from_millis(1200), "{after_pause:?}");
    }
}
