//! The Telegram side: the only layer that knows teloxide. Handlers turn an update into calls on
//! the store and catalog and a reply; they never wait for an order to finish.
pub mod account;
pub mod admin;
pub mod callback;
pub mod commands;
pub mod dispatch;
pub mod keyboards;
pub mod notify;
pub mod order_flow;
pub mod render;
pub mod schema;
pub mod setup;
pub mod state;
pub mod stats;
pub mod ui;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::crypto::CardCipher;
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ParseMode};
use tokio::sync::Notify;

/// How handlers and workers talk to Telegram. Sends and copies (what Telegram rate-limits) share
/// one pacer in production: under Telegram's bulk limit (30 a second) a send goes at once,
/// and a 429 pauses every send for its `retry_after` before the send is tried again. teloxide's
/// Throttle is not used: its worker releases sends on a 250 ms tick, which delayed every reply and
/// held broadcasts to 4 a second. `TELEGRAM_THROTTLE=off` sends without pacing (benchmarks) and
/// leaves 429s to the caller. Every other method (edits, callback answers) goes through `Deref`.
#[derive(Clone)]
pub struct Tg {
    bot: teloxide::Bot,
    pacer: Option<Arc<RateLimiter>>,
}

/// 28 a second with a burst of 2: never more than 30 in any second, and a broadcast at the default
/// 25/s leaves room for customers' replies (measured: at 25/s shared, replies queued behind it).
const SENDS_PER_MINUTE: u32 = 28 * 60;
const SEND_BURST: u32 = 2;
/// A send refused with 429 is tried again this many times.
const RETRIES_AFTER_429: u32 = 3;

impl Tg {
    pub fn new(bot: teloxide::Bot, pace: bool) -> Tg {
        let pacer = pace.then(|| Arc::new(RateLimiter::with_burst(SENDS_PER_MINUTE, SEND_BURST)));
        Tg { bot, pacer }
    }

    async fn paced<T, F, Fut>(&self, mut call: F) -> Result<T, RequestError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, RequestError>>,
    {
        let Some(pacer) = &self.pacer else { return call().await };
        let mut tries = 0;
        loop {
            pacer.acquire().await;
            match call().await {
                Err(RequestError::RetryAfter(after)) if tries < RETRIES_AFTER_429 => {
                    tries += 1;
                    tracing::warn!(retry_after = ?after.duration(), "Telegram asked to slow down");
                    pacer.pause_until(tokio::time::Instant::now() + after.duration());
                }
                other => return other,
            }
        }
    }

    pub async fn send_html(
        &self,
        chat: ChatId,
        text: String,
        kb: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, RequestError> {
        self.paced(|| {
            let req = self.bot.send_message(chat, text.clone()).parse_mode(ParseMode::Html);
            let req = match &kb {
                Some(kb) => req.reply_markup(kb.clone()),
                None => req,
            };
            req.send()
        })
        .await
    }

    pub async fn copy(&self, to: ChatId, from: ChatId, msg: MessageId) -> Result<MessageId, RequestError> {
        self.paced(|| self.bot.copy_message(to, from, msg).send()).await
    }
}

impl std::ops::Deref for Tg {
    type Target = teloxide::Bot;
    fn deref(&self) -> &teloxide::Bot {
        &self.bot
    }
}

pub type BotError = Box<dyn std::error::Error + Send + Sync>;
pub type HandlerResult = Result<(), BotError>;

/// What handlers and workers share.
pub struct Ctx {
    pub cfg: Arc<Config>,
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub cipher: CardCipher,
    /// Wakes the order tracker when an order is placed, so the send goes out at once.
    pub tracker_wake: Arc<Notify>,
    /// Wakes the broadcaster when a job is created.
    pub broadcast_wake: Arc<Notify>,
    maintenance: AtomicBool,
}

impl Ctx {
    pub fn new(cfg: Arc<Config>, store: Store, catalog: Arc<Catalog>, cipher: CardCipher, maintenance: bool) -> Ctx {
        Ctx {
            cfg,
            store,
            catalog,
            cipher,
            tracker_wake: Arc::new(Notify::new()),
            broadcast_wake: Arc::new(Notify::new()),
            maintenance: AtomicBool::new(maintenance),
        }
    }

    pub fn in_maintenance(&self) -> bool {
        self.maintenance.load(Ordering::Relaxed)
    }

    /// Switches maintenance and persists it, so a restart keeps the shop closed.
    pub async fn set_maintenance(&self, on: bool) -> Result<(), crate::store::StoreError> {
        self.store.set_flag(crate::store::settings::MAINTENANCE, on).await?;
        self.maintenance.store(on, Ordering::Relaxed);
        Ok(())
    }
}
