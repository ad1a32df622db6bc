//! The Telegram side: the only layer that knows teloxide. Handlers turn an update into calls on
//! the store and catalog and a reply; they never wait for an order to finish.
pub mod account;
pub mod admin;
pub mod callback;
pub mod commands;
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
use crate::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use teloxide::RequestError;
use teloxide::adaptors::throttle::{Limits, Throttle};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, MessageId, ParseMode};
use tokio::sync::Notify;

/// How handlers and workers talk to Telegram. Sends and copies (the methods Telegram rate-limits)
/// go through teloxide's Throttle in production; with `TELEGRAM_THROTTLE=off` they go straight
/// out, so benchmarks measure the software rather than the pacing (Throttle's worker wakes every
/// 250 ms). Every other method (edits, callback answers) is unpaced either way, through `Deref`.
#[derive(Clone)]
pub struct Tg {
    bot: teloxide::Bot,
    paced: Option<Throttle<teloxide::Bot>>,
}

impl Tg {
    pub fn new(bot: teloxide::Bot, throttle: bool) -> Tg {
        let paced = throttle.then(|| Throttle::new_spawn(bot.clone(), Limits::default()));
        Tg { bot, paced }
    }

    pub async fn send_html(
        &self,
        chat: ChatId,
        text: String,
        kb: Option<InlineKeyboardMarkup>,
    ) -> Result<Message, RequestError> {
        match &self.paced {
            Some(p) => {
                let req = p.send_message(chat, text).parse_mode(ParseMode::Html);
                match kb {
                    Some(kb) => req.reply_markup(kb).await,
                    None => req.await,
                }
            }
            None => {
                let req = self.bot.send_message(chat, text).parse_mode(ParseMode::Html);
                match kb {
                    Some(kb) => req.reply_markup(kb).await,
                    None => req.await,
                }
            }
        }
    }

    pub async fn copy(&self, to: ChatId, from: ChatId, msg: MessageId) -> Result<MessageId, RequestError> {
        match &self.paced {
            Some(p) => p.copy_message(to, from, msg).await,
            None => self.bot.copy_message(to, from, msg).await,
        }
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
