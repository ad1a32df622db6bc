//! Sends broadcast jobs, one recipient at a time, never faster than `BROADCAST_PER_SEC`.
//! A recipient is marked 'sending' before its request, so a restart never sends twice.
use crate::bot::{Ctx, Tg, keyboards, ui};
use crate::i18n::Lang;
use crate::store::{BroadcastJob, RecipientStatus, StoreError};
use crate::tr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use teloxide::prelude::*;
use teloxide::types::MessageId;
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

const CLAIM: i64 = 50;

pub async fn run(bot: Tg, ctx: Arc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    loop {
        match ctx.store.running_broadcasts().await {
            Ok(jobs) => {
                for job in jobs {
                    if let Err(e) = run_job(&bot, &ctx, &job, &mut shutdown).await {
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

/// Paces sends evenly: one slot every 1/rate seconds, so no one-second window holds more than
/// the ceiling.
struct Pacer {
    gap: Duration,
    next: Instant,
}

impl Pacer {
    fn new(per_sec: u32) -> Pacer {
        Pacer {
            gap: Duration::from_secs_f64(1.0 / f64::from(per_sec.max(1))),
            next: Instant::now(),
        }
    }

    async fn wait(&mut self) {
        let now = Instant::now();
        if self.next > now {
            tokio::time::sleep(self.next - now).await;
        }
        self.next = self.next.max(now) + self.gap;
    }

    fn pause(&mut self, d: Duration) {
        self.next = self.next.max(Instant::now() + d);
    }
}

async fn run_job(
    bot: &Tg,
    ctx: &Ctx,
    job: &BroadcastJob,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), StoreError> {
    let interrupted = ctx.store.settle_interrupted_sends(job.id).await?;
    if interrupted > 0 {
        tracing::warn!(
            job = job.id,
            interrupted,
            "recipients caught mid-send by a restart are not resent"
        );
    }
    let lang = ctx
        .store
        .user(job.admin_id)
        .await?
        .map_or(ctx.cfg.default_language, |u| u.language);
    let mut pacer = Pacer::new(ctx.cfg.broadcast_per_sec);
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let mut sent_here = 0u64;
    loop {
        if *shutdown.borrow() {
            return Ok(());
        }
        // A cancel from the admin shows up here between batches and between recipients.
        if ctx
            .store
            .broadcast(job.id)
            .await?
            .is_none_or(|j| j.status != "running")
        {
            progress(
                bot,
                ctx,
                job,
                lang,
                "broadcast-summary-cancelled",
                started,
                sent_here,
            )
            .await?;
            return Ok(());
        }
        let batch = ctx.store.claim_recipients(job.id, CLAIM).await?;
        if batch.is_empty() {
            ctx.store.finish_broadcast(job.id).await?;
            progress(bot, ctx, job, lang, "broadcast-summary", started, sent_here).await?;
            tracing::info!(job = job.id, "broadcast finished");
            return Ok(());
        }
        let mut rest = batch.into_iter();
        while let Some(user) = rest.next() {
            let stop = *shutdown.borrow()
                || ctx
                    .store
                    .broadcast(job.id)
                    .await?
                    .is_none_or(|j| j.status != "running");
            if stop {
                for u in std::iter::once(user).chain(rest.by_ref()) {
                    ctx.store.unclaim_recipient(job.id, u).await?;
                }
                break;
            }
            pacer.wait().await;
            let res = bot
                .copy_message(
                    ChatId(user),
                    ChatId(job.from_chat_id),
                    MessageId(job.from_message_id),
                )
                .await;
            let status = match res {
                Ok(_) => {
                    sent_here += 1;
                    RecipientStatus::Sent
                }
                Err(RequestError::RetryAfter(after)) => {
                    // Not delivered: everyone waits, then this recipient is tried again.
                    pacer.pause(after.duration());
                    ctx.store.unclaim_recipient(job.id, user).await?;
                    continue;
                }
                Err(e) if ui::is_unreachable(&e) => RecipientStatus::Blocked,
                Err(RequestError::Api(ApiError::Unknown(_))) | Err(_) => RecipientStatus::Failed,
            };
            ctx.store.finish_recipient(job.id, user, status).await?;
            if last_progress.elapsed() >= ctx.cfg.broadcast_progress_every {
                last_progress = Instant::now();
                progress(
                    bot,
                    ctx,
                    job,
                    lang,
                    "broadcast-progress",
                    started,
                    sent_here,
                )
                .await?;
            }
        }
    }
}

async fn progress(
    bot: &Tg,
    ctx: &Ctx,
    job: &BroadcastJob,
    lang: Lang,
    key: &'static str,
    started: Instant,
    sent_here: u64,
) -> Result<(), StoreError> {
    let p = ctx.store.broadcast_progress(job.id).await?;
    let rate = sent_here as f64 / started.elapsed().as_secs_f64().max(0.001);
    let eta = if rate > 0.0 {
        (p.pending as f64 / rate).ceil() as i64
    } else {
        0
    };
    let text = tr!(
        lang,
        key,
        sent = p.sent,
        failed = p.failed,
        blocked = p.blocked,
        left = p.pending,
        eta = eta,
        total = job.total
    );
    let kb = (key == "broadcast-progress").then(|| keyboards::broadcast_progress(lang, job.id));
    if let (Some(chat), Some(msg)) = (job.progress_chat_id, job.progress_message_id)
        && let Err(e) = ui::edit_or_send(bot, ChatId(chat), Some(MessageId(msg)), text, kb).await
    {
        tracing::debug!(error = %e, "broadcast progress not shown");
    }
    Ok(())
}
