//! The admin panel: a Telegram Mini App (and, through one-time login links, a desktop web page)
//! served under `/admin` by the bot's HTTP server. `router` gives the whole of it; the server
//! merges it in with `.merge(panel::router(state))`.
mod actions;
pub mod auth;
mod csv;
mod pages;
mod session;
mod view;

use crate::domain::{CardType, Dinars};
use crate::store::{Order, Store};
use axum::Router;
use axum::routing::{get, post};
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

/// Every page that shows shop data; each needs an admin (listed for the access tests).
pub const DATA_ROUTES: &[&str] = &[
    "/admin/dashboard",
    "/admin/orders",
    "/admin/orders/{id}",
    "/admin/customers",
    "/admin/customers/{id}",
    "/admin/prices",
    "/admin/broadcasts",
    "/admin/audit",
    "/admin/export/orders.csv",
    "/admin/export/ledger.csv",
    "/admin/moves/{id}",
];

/// Every form that changes something; each needs an admin and, with a cookie, the CSRF token.
pub const WRITE_ROUTES: &[&str] =
    &["/admin/customers/{id}/move", "/admin/moves/{id}/confirm", "/admin/moves/{id}/cancel", "/admin/prices"];

pub fn router(state: PanelState) -> Router {
    Router::new()
        .route("/admin", get(pages::landing))
        .route("/admin/", get(pages::landing))
        .route("/admin/auth/webapp", post(session::webapp_login))
        .route("/admin/login/{token}", get(pages::login_page))
        .route("/admin/login", post(session::link_login))
        .route("/admin/logout", post(session::logout))
        .route("/admin/assets/panel.css", get(view::css))
        .route("/admin/assets/panel.js", get(view::js))
        .route(DATA_ROUTES[0], get(pages::dashboard))
        .route(DATA_ROUTES[1], get(pages::orders))
        .route(DATA_ROUTES[2], get(pages::order))
        .route(DATA_ROUTES[3], get(pages::customers))
        .route(DATA_ROUTES[4], get(pages::customer))
        .route(DATA_ROUTES[5], get(pages::prices))
        .route(DATA_ROUTES[6], get(pages::broadcasts))
        .route(DATA_ROUTES[7], get(pages::audit))
        .route(DATA_ROUTES[8], get(csv::orders))
        .route(DATA_ROUTES[9], get(csv::ledger))
        .route(DATA_ROUTES[10], get(actions::show_move))
        .route(WRITE_ROUTES[0], post(actions::propose_move))
        .route(WRITE_ROUTES[1], post(actions::confirm_move))
        .route(WRITE_ROUTES[2], post(actions::cancel_move))
        .route(WRITE_ROUTES[3], post(actions::set_price))
        .layer(axum::middleware::map_response(view::security_headers))
        .with_state(state)
}

#[cfg(test)]
mod tests;
