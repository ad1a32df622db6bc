//! The shop's wiring: what handlers and workers share (configuration, database, catalog, card
//! cipher, the maintenance switch). Neither Telegram nor a worker lives here, so the bot layer and
//! the workers both depend on this module and never on each other's insides.
use crate::catalog::Catalog;
use crate::config::Config;
use crate::crypto::CardCipher;
use crate::store::{Order, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// Whoever sends placed orders upstream (the order tracker): told of each new order, so its send
/// goes out at once instead of at the next read of the schedule.
pub trait PlacedOrders: Send + Sync {
    /// `order` is the row exactly as `place_order_with_hold` wrote it.
    fn placed(&self, order: Order);
}

/// What handlers and workers share.
pub struct Ctx {
    pub cfg: Arc<Config>,
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub cipher: CardCipher,
    /// Tells the order tracker about a placed order.
    pub placed: Arc<dyn PlacedOrders>,
    /// Wakes the broadcaster when a job is created.
    pub broadcast_wake: Arc<Notify>,
    maintenance: AtomicBool,
}

impl Ctx {
    /// `maintenance`: the switch as stored, so a restart keeps the shop closed.
    pub fn new(
        cfg: Arc<Config>,
        store: Store,
        catalog: Arc<Catalog>,
        cipher: CardCipher,
        placed: Arc<dyn PlacedOrders>,
        maintenance: bool,
    ) -> Ctx {
        let (broadcast_wake, maintenance) = (Arc::new(Notify::new()), AtomicBool::new(maintenance));
        Ctx { cfg, store, catalog, cipher, placed, broadcast_wake, maintenance }
    }

    pub fn in_maintenance(&self) -> bool {
        self.maintenance.load(Ordering::Relaxed)
    }

    /// Switches maintenance and persists it, so a restart keeps the shop closed.
    pub async fn set_maintenance(&self, on: bool) -> Result<(), StoreError> {
        self.store.set_flag(crate::store::settings::MAINTENANCE, on).await?;
        self.maintenance.store(on, Ordering::Relaxed);
        Ok(())
    }
}
