//! The shop's wiring: what handlers and workers share (configuration, database, catalog, card
//! cipher, the maintenance switch). Neither Telegram nor a worker lives here, so the bot layer and
//! the workers both depend on this module and never on each other's insides.
use crate::catalog::Catalog;
use crate::config::Config;
use crate::crypto::CardCipher;
use crate::store::{Order, Store, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
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
    /// Wakes the top-up worker when a link is made or a receipt decided.
    pub topup_wake: Arc<Notify>,
    maintenance: AtomicBool,
    /// Unix ms until which online payment is hidden (OCPay answered 403).
    ocpay_hidden_until: AtomicI64,
}

/// How long online payment stays hidden after OCPay refused access.
pub const OCPAY_HIDDEN_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 60);

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
        let (topup_wake, ocpay_hidden_until) = (Arc::new(Notify::new()), AtomicI64::new(0));
        Ctx { cfg, store, catalog, cipher, placed, broadcast_wake, topup_wake, maintenance, ocpay_hidden_until }
    }

    /// Whether online payment is offered now: switched on, and OCPay has not refused access lately.
    pub fn online_topup_open(&self, now_ms: i64) -> bool {
        self.cfg.topup.offers(crate::domain::topup::TopupMethod::Online)
            && self.ocpay_hidden_until.load(Ordering::Relaxed) <= now_ms
    }

    /// OCPay refused access: hides online payment for a while. True the first time (admins are
    /// told once per hiding, not on every customer's try).
    pub fn hide_online_topup(&self, now_ms: i64) -> bool {
        let until = now_ms.saturating_add(OCPAY_HIDDEN_FOR.as_millis() as i64);
        self.ocpay_hidden_until.swap(until, Ordering::Relaxed) <= now_ms
    }

    pub fn in_maintenance(&self) -> bool {
        self.maintenance.load(Ordering::Relaxed)
    }

    /// Switches maintenance and persists it, so a restart keeps the shop closed. `admin_id` names
    /// the admin who switched it (audited); `None` for the health check.
    pub async fn set_maintenance(&self, on: bool, admin_id: Option<i64>) -> Result<(), StoreError> {
        self.store.set_maintenance(on, admin_id).await?;
        self.maintenance.store(on, Ordering::Relaxed);
        Ok(())
    }
}
