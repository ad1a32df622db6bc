//! The admin panel: a Telegram Mini App (and, through one-time login links, a desktop web page)
//! served under `/admin` by the bot's HTTP server. `router` gives the whole of it; the server
//! merges it in with `.merge(panel::router(state))`.
mod actions;
pub mod auth;
mod csv;
mod pages;
mod session;
mod topups;
mod view;

use crate::domain::{CardType, Dinars};
use crate::store::{Order, Store};
use axum::Router;
use axum::routing::{MethodRouter, get, post};
use futures_util::future::BoxFuture;
use std::sync::Arc;

pub use session::Admin;

/// A login link is good for this long, once.
pub const LOGIN_LINK_TTL_MS: i64 = 10 * 60 * 1000;

/// What the panel needs from the configuration.
#[derive(Clone)]
pub struct PanelConfig {
    pub bot_token: String,
    pub admin_ids: Vec<i64>,
    /// How old an `initData` may be, and how long a browser session lasts (`PANEL_SESSION_SECS`).
    pub session_secs: i64,
    /// The https base URL Telegram opens (`PUBLIC_URL`), without the trailing slash.
    pub public_url: Option<String>,
}

// The bot token stays out of logs.
impl std::fmt::Debug for PanelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelConfig")
            .field("admin_ids", &self.admin_ids)
            .field("session_secs", &self.session_secs)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl PanelConfig {
    pub const DEFAULT_SESSION_SECS: i64 = 3600;

    /// The URL of the panel's entry page, to open as a Web App.
    pub fn web_app_url(&self) -> Option<String> {
        self.public_url.as_ref().map(|u| format!("{}/admin", u.trim_end_matches('/')))
    }

    /// The one-time link for a browser, from a token of `Store::create_login_token`.
    pub fn login_link(&self, token: &str) -> Option<String> {
        self.web_app_url().map(|u| format!("{u}/login/{token}"))
    }
}

/// What the panel needs of the running shop beyond the database: OneClickDZ's costs and balance
/// (through the catalog the bot uses, with its cache and rate limit) and the hand-off to the order
/// tracker. `Ctx` provides it in the bot; tests give a fake.
pub trait ShopOps: Send + Sync {
    /// The current OneClickDZ cost of each value of a card type; `fresh` skips the cache (as
    /// `/setprice` does before it accepts a price).
    fn costs(&self, t: CardType, fresh: bool) -> BoxFuture<'_, Option<Vec<(i64, Dinars)>>>;
    /// What the OneClickDZ account holds, if it can be read now.
    fn upstream_balance(&self) -> BoxFuture<'_, Option<Dinars>>;
    /// Hands an order to the tracker now (after a recheck or a refund), as `/lookup` does.
    fn to_tracker(&self, order: Order);
    /// Whether customers may send transfer receipts (the Top-ups page is shown).
    fn receipts_enabled(&self) -> bool {
        false
    }
    /// A receipt decided: the top-up worker tells the customer now.
    fn topup_decided(&self) {}
    /// A credit confirmed in the panel: the customer is told, as after the chat's Confirm.
    fn credited(&self, _user_id: i64, _amount: Dinars, _balance: Dinars) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
    /// A receipt's file, fetched by the bot (getFile, then the download streamed through): the
    /// page never sees a URL holding the bot token. `None` when it cannot be fetched.
    fn receipt(&self, _file_id: String) -> BoxFuture<'_, Option<axum::body::Body>> {
        Box::pin(async { None })
    }
}

impl ShopOps for crate::shop::Ctx {
    fn costs(&self, t: CardType, fresh: bool) -> BoxFuture<'_, Option<Vec<(i64, Dinars)>>> {
        Box::pin(async move {
            match self.catalog.products(t, fresh).await {
                // Rounded up as `/setprice` does: a margin is never overstated.
                Ok(p) => Some(p.iter().map(|p| (p.value, Dinars::from_upstream_ceil(p.cost))).collect()),
                Err(e) => {
                    tracing::warn!(error = %e, "products unavailable for the panel");
                    None
                }
            }
        })
    }

    fn upstream_balance(&self) -> BoxFuture<'_, Option<Dinars>> {
        Box::pin(async move { self.catalog.upstream_balance(false).await.ok().map(Dinars) })
    }

    fn to_tracker(&self, order: Order) {
        self.placed.placed(order);
    }

    fn receipts_enabled(&self) -> bool {
        self.cfg.topup.offers(crate::domain::topup::TopupMethod::Transfer)
    }

    fn topup_decided(&self) {
        self.topup_wake.notify_one();
    }
}

#[derive(Clone)]
pub struct PanelState {
    pub store: Store,
    pub config: Arc<PanelConfig>,
    throttle: Arc<auth::LoginThrottle>,
    /// `None` without a running shop (then prices cannot be changed, nor orders rechecked).
    shop: Option<Arc<dyn ShopOps>>,
}

impl PanelState {
    pub fn new(store: Store, config: PanelConfig) -> PanelState {
        PanelState { store, config: Arc::new(config), throttle: Default::default(), shop: None }
    }

    pub fn with_shop(mut self, shop: Arc<dyn ShopOps>) -> PanelState {
        self.shop = Some(shop);
        self
    }
}

type Routes = Vec<(&'static str, MethodRouter<PanelState>)>;

/// Every page that shows shop data; each needs an admin (listed for the access tests).
fn data_routes() -> Routes {
    vec![
        ("/admin/dashboard", get(pages::dashboard)),
        ("/admin/orders", get(pages::orders)),
        ("/admin/orders/{id}", get(pages::order)),
        ("/admin/orders/{id}/refund", get(actions::ask_refund)),
        ("/admin/customers", get(pages::customers)),
        ("/admin/customers/{id}", get(pages::customer)),
        ("/admin/moves/{id}", get(actions::show_move)),
        ("/admin/prices", get(pages::prices)),
        ("/admin/broadcasts", get(pages::broadcasts)),
        ("/admin/audit", get(pages::audit)),
        ("/admin/export/orders.csv", get(csv::orders)),
        ("/admin/export/ledger.csv", get(csv::ledger)),
        ("/admin/topups", get(topups::page)),
        ("/admin/topups/{id}/receipt", get(topups::receipt)),
    ]
}

/// Every form that changes something; each needs an admin and, with a cookie, the CSRF token.
fn write_routes() -> Routes {
    vec![
        ("/admin/customers/{id}/move", post(actions::propose_move)),
        ("/admin/moves/{id}/confirm", post(actions::confirm_move)),
        ("/admin/moves/{id}/cancel", post(actions::cancel_move)),
        ("/admin/prices", post(actions::set_price)),
        ("/admin/orders/{id}/recheck", post(actions::recheck)),
        ("/admin/orders/{id}/refund", post(actions::refund)),
        ("/admin/topups/{id}/decide", post(topups::decide)),
        ("/admin/broadcasts/{id}/cancel", post(actions::cancel_broadcast)),
    ]
}

/// The paths of the data pages and of the forms, for the access tests.
pub fn route_paths() -> (Vec<&'static str>, Vec<&'static str>) {
    let paths = |r: Routes| r.into_iter().map(|(p, _)| p).collect();
    (paths(data_routes()), paths(write_routes()))
}

pub fn router(state: PanelState) -> Router {
    let mut r = Router::new()
        .route("/admin", get(pages::landing))
        .route("/admin/", get(pages::landing))
        .route("/admin/auth/webapp", post(session::webapp_login))
        .route("/admin/login/{token}", get(pages::login_page))
        .route("/admin/login", post(session::link_login))
        .route("/admin/logout", post(session::logout))
        .route("/admin/assets/panel.css", get(view::css))
        .route("/admin/assets/panel.js", get(view::js));
    for (path, method) in data_routes().into_iter().chain(write_routes()) {
        r = r.route(path, method);
    }
    r.layer(axum::middleware::map_response(view::security_headers)).with_state(state)
}

#[cfg(test)]
mod tests;
