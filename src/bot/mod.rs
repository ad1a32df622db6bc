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
use teloxide::adaptors::Throttle;
use tokio::sync::Notify;

/// The requester every handler and worker uses. Throttle paces sends to Telegram's limits;
/// `TELEGRAM_THROTTLE=off` only raises its limits out of reach.
pub type Tg = Throttle<teloxide::Bot>;

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
    pub fn new(
        cfg: Arc<Config>,
        store: Store,
        catalog: Arc<Catalog>,
        cipher: CardCipher,
        maintenance: bool,
    ) -> Ctx {
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
        self.store
            .set_flag(crate::store::settings::MAINTENANCE, on)
            .await?;
        self.maintenance.store(on, Ordering::Relaxed);
        Ok(())
    }
}
