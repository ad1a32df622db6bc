//! The Telegram sender and its pacer.
use super::requests;
use crate::ratelimit::{Lane, RateLimiter};
use std::sync::Arc;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId};

/// How handlers and workers talk to Telegram. Sends and copies (what Telegram rate-limits) share
/// one pacer in production: under Telegram's bulk limit (30 a second) a send goes at once,
/// and a 429 pauses every send for its `retry_after` before the send is tried again. teloxide's
/// Throttle is not used: its worker releases sends on a 250 ms tick, which delayed every reply and
/// held broadcasts to 4 a second. `TELEGRAM_THROTTLE=off` sends without pacing (benchmarks) and
/// leaves 429s to the caller. Every other method (edits, callback answers) goes through `Deref`.
///
/// The pacer has two lanes ([`Lane`]). Replies (`send_html`, `copy`) book the next slot;
/// broadcast copies (`copy_broadcast`) only take a slot nobody booked, so a customer never queues behind a
/// broadcast and a broadcast gets whatever the replies leave (measured: with one shared queue,
/// replies waited up to 77 ms behind copies and a 25/s broadcast got 21/s).
#[derive(Clone)]
pub struct Tg {
    bot: teloxide::Bot,
    pacer: Option<Arc<RateLimiter>>,
}

/// 28.5 a second with a burst of 2: never more than 30 in any second (Telegram's bulk limit),
/// the burst absorbs timer lateness that would otherwise lose a slot, and
/// room for a default 25/s broadcast plus customers' replies.
const SENDS_PER_MINUTE: u32 = 1710;
const SEND_BURST: u32 = 2;
/// A send refused with 429 is tried again this many times.
const RETRIES_AFTER_429: u32 = 3;

impl Tg {
    pub fn new(bot: teloxide::Bot, pace: bool) -> Tg {
        let pacer = pace.then(|| Arc::new(RateLimiter::with_burst(SENDS_PER_MINUTE, SEND_BURST)));
        Tg { bot, pacer }
    }

    async fn paced<T, F, Fut>(&self, lane: Lane, mut call: F) -> Result<T, RequestError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, RequestError>>,
    {
        let Some(pacer) = &self.pacer else { return count_429(call().await) };
        let mut tries = 0;
        loop {
            pacer.acquire_in(lane).await;
            match count_429(call().await) {
                Err(RequestError::RetryAfter(after)) if tries < RETRIES_AFTER_429 => {
                    tries += 1;
                    tracing::warn!(retry_after = ?after.duration(), ?lane, "Telegram asked to slow down");
                    pacer.pause_until(tokio::time::Instant::now() + after.duration());
                }
                other => return other,
            }
        }
    }

    /// Sends an HTML message; returns its id.
    pub async fn send_html(
        &self,
        chat: ChatId,
        text: String,
        kb: Option<InlineKeyboardMarkup>,
    ) -> Result<MessageId, RequestError> {
        let req = requests::html_message(&self.bot, chat, text, kb);
        self.paced(Lane::Customer, || req.send_ref()).await.map(|sent| sent.id())
    }

    /// An HTML message nobody is waiting for (a renewal reminder): goes only in a slot no reply wants.
    pub async fn send_html_background(
        &self,
        chat: ChatId,
        text: String,
        kb: Option<InlineKeyboardMarkup>,
    ) -> Result<MessageId, RequestError> {
        let req = requests::html_message(&self.bot, chat, text, kb);
        self.paced(Lane::Background, || req.send_ref()).await.map(|sent| sent.id())
    }

    /// Whether sends are paced under Telegram's limit (`TELEGRAM_THROTTLE`, on in production).
    pub fn is_paced(&self) -> bool {
        self.pacer.is_some()
    }

    /// A copy someone is waiting for (the admin's broadcast preview): the reply lane.
    pub async fn copy(&self, to: ChatId, from: ChatId, msg: MessageId) -> Result<MessageId, RequestError> {
        self.paced(Lane::Customer, || self.bot.copy_message(to, from, msg).send()).await
    }

    /// A broadcast copy: goes only in a slot no reply wants.
    pub async fn copy_broadcast(&self, to: ChatId, from: ChatId, msg: MessageId) -> Result<MessageId, RequestError> {
        self.paced(Lane::Background, || self.bot.copy_message(to, from, msg).send()).await
    }
}

impl std::ops::Deref for Tg {
    type Target = teloxide::Bot;
    fn deref(&self) -> &teloxide::Bot {
        &self.bot
    }
}

/// Counts Telegram's 429 answers for `/metrics`, whoever handles them.
fn count_429<T>(r: Result<T, RequestError>) -> Result<T, RequestError> {
    if let Err(RequestError::RetryAfter(_)) = &r {
        crate::metrics::telegram_429();
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;

    fn tg(pace: bool) -> Tg {
        Tg::new(teloxide::Bot::new("1:test"), pace)
    }

    #[test]
    fn the_send_pacer_never_lets_more_than_30_through_in_any_second() {
        assert!(tg(false).pacer.is_none(), "TELEGRAM_THROTTLE=off: no pacer");
        let tg = tg(true);
        let Some(pacer) = &tg.pacer else { panic!("pacing on: a pacer") };
        // A dense stream: everything asked for at once.
        let t0 = Instant::now();
        let slots: Vec<Instant> = (0..300).map(|_| pacer.book_at(t0)).collect();
        let second = Duration::from_secs(1);
        let most = (0..slots.len())
            .map(|i| slots[i..].iter().take_while(|t| **t <= slots[i] + second).count())
            .max()
            .unwrap_or(0);
        assert_eq!(most, 30, "at most 30 in any closed second, the burst included");
        // 28.5 a second after the burst of 2: the 287th is ten seconds after the second.
        let ten = slots[286] - slots[1];
        assert!(ten <= Duration::from_secs(10) && ten > Duration::from_millis(9990), "{ten:?}");
    }

    // A clock the test controls: the 5 ms before the reply must fall before the copy's slot.
    #[tokio::test(start_paused = true)]
    async fn broadcast_copies_wait_for_replies_not_the_other_way_round() {
        let tg = tg(true);
        let now = || async { Ok::<_, RequestError>(Instant::now()) };
        let start = Instant::now();
        // Two replies use the burst.
        tg.paced(Lane::Customer, now).await.unwrap();
        tg.paced(Lane::Customer, now).await.unwrap();
        let broadcaster = tg.clone();
        let copy = tokio::spawn(async move { broadcaster.paced(Lane::Background, now).await });
        tokio::time::sleep(Duration::from_millis(5)).await;
        // A reply arriving while the copy waits for the next slot takes it.
        let reply_at = tg.paced(Lane::Customer, now).await.unwrap();
        let copy_at = copy.await.unwrap().unwrap();
        assert!(reply_at < copy_at, "reply {:?}, copy {:?}", reply_at - start, copy_at - start);
        // Two slots of 1/28.5 s after the burst.
        assert!(copy_at - start >= Duration::from_millis(65), "{:?}", copy_at - start);
    }
}
