//! The admin panel: a Telegram Mini App (and, through one-time login links, a desktop web page)
//! served under `/admin` by the bot's HTTP server. `router` gives the whole of it; the server
//! merges it in with `.merge(panel::router(state))`.
mod actions;
pub mod auth;
mod csv;
mod pages;
mod session;
mod view;

use crate::store::Store;
use axum::Router;
use axum::routing::{get, post};
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

#[derive(Clone)]
pub struct PanelState {
    pub store: Store,
    pub config: Arc<PanelConfig>,
    throttle: Arc<auth::LoginThrottle>,
}

impl PanelState {
    pub fn new(store: Store, config: PanelConfig) -> PanelState {
        PanelState { store, config: Arc::new(config), throttle: Default::default() }
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
    &["/admin/customers/{id}/move", "/admin/moves/{id}/confirm", "/admin/moves/{id}/cancel"];

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
        .layer(axum::middleware::map_response(view::security_headers))
        .with_state(state)
}

#[cfg(test)]
mod tests;
