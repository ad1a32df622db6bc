//! Turning a request into an admin: a signed `initData` header, or a session cookie made from a
//! Web App login or a one-time link. Writes with a cookie also need the session's CSRF token.
use super::PanelState;
use super::auth::{self, InitDataError};
use super::view::PanelError;
use crate::i18n::Lang;
use axum::extract::{ConnectInfo, Form, FromRequestParts, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;

pub const SESSION_COOKIE: &str = "panel_session";
/// The header a page inside Telegram sends its raw `initData` in.
pub const INIT_DATA_HEADER: &str = "x-telegram-init-data";

/// An admin, checked on this request.
#[derive(Debug, Clone)]
pub struct Admin {
    pub id: i64,
    pub lang: Lang,
    /// The session's CSRF token; `None` when the request is signed by Telegram itself.
    pub csrf: Option<String>,
}

impl Admin {
    /// A write is allowed when signed by Telegram, or when it sends back the session's token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PanelError> {
        match &self.csrf {
            None => Ok(()),
            Some(expected) if auth::csrf_matches(expected, sent) => Ok(()),
            Some(_) => Err(PanelError::Forbidden),
        }
    }
}

fn now_secs() -> i64 {
    crate::store::now_ms() / 1000
}

/// The key failed logins are counted under: the peer's IP when the server gives it.
fn client_key(parts: &Parts) -> String {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or_else(|| "any".to_owned(), |c| c.0.ip().to_string())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The admin's own language as the bot knows it, else what Telegram says, else English.
async fn language(state: &PanelState, id: i64, telegram: Option<&str>) -> Lang {
    match state.store.language_of(id).await {
        Ok(Some(l)) => l,
        _ => telegram.and_then(Lang::from_code).unwrap_or_default(),
    }
}

fn throttle_check(state: &PanelState, client: &str) -> Result<(), PanelError> {
    state.throttle.check(client, Instant::now()).map_err(|_| PanelError::Throttled)
}

fn init_data_admin(state: &PanelState, client: &str, raw: &str) -> Result<auth::WebAppUser, PanelError> {
    throttle_check(state, client)?;
    let c = &state.config;
    match auth::validate_init_data(raw, &c.bot_token, &c.admin_ids, now_secs(), c.session_secs) {
        Ok(u) => {
            state.throttle.succeeded(client);
            Ok(u)
        }
        Err(e) => {
            state.throttle.failed(client, Instant::now());
            Err(if e == InitDataError::NotAdmin { PanelError::Forbidden } else { PanelError::Unauthorized })
        }
    }
}

impl FromRequestParts<PanelState> for Admin {
    type Rejection = PanelError;

    async fn from_request_parts(parts: &mut Parts, state: &PanelState) -> Result<Admin, PanelError> {
        if let Some(raw) = parts.headers.get(INIT_DATA_HEADER) {
            let raw = raw.to_str().map_err(|_| PanelError::Unauthorized)?;
            let u = init_data_admin(state, &client_key(parts), raw)?;
            let lang = language(state, u.id, u.language_code.as_deref()).await;
            return Ok(Admin { id: u.id, lang, csrf: None });
        }
        let (id, csrf) = cookie_admin(state, &parts.headers).await?;
        Ok(Admin { id, lang: language(state, id, None).await, csrf: Some(csrf) })
    }
}

/// Starts a session and sends the browser on to `to` with its cookie.
async fn start_session(state: &PanelState, admin_id: i64, to: &str) -> Result<Response, PanelError> {
    let secs = state.config.session_secs;
    let (token, _csrf) = state.store.create_session(admin_id, secs * 1000).await?;
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/admin; Max-Age={secs}; HttpOnly; Secure; SameSite=Strict");
    let mut resp = StatusCode::SEE_OTHER.into_response();
    resp.headers_mut().insert(SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|_| PanelError::Unauthorized)?);
    resp.headers_mut().insert(LOCATION, HeaderValue::from_str(to).map_err(|_| PanelError::Unauthorized)?);
    Ok(resp)
}

pub struct Client(String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Client, Self::Rejection> {
        Ok(Client(client_key(parts)))
    }
}

#[derive(serde::Deserialize)]
pub struct WebAppLogin {
    init_data: String,
}

/// The entry page's script posts Telegram's `initData` here and gets a session.
pub async fn webapp_login(
    State(state): State<PanelState>,
    Client(client): Client,
    Form(f): Form<WebAppLogin>,
) -> Result<Response, PanelError> {
    let u = init_data_admin(&state, &client, &f.init_data)?;
    start_session(&state, u.id, "/admin/dashboard").await
}

#[derive(serde::Deserialize)]
pub struct LinkLogin {
    token: String,
}

/// The login page's button posts the link's token here (a GET does not use it up, so link
/// previews cannot burn it).
pub async fn link_login(
    State(state): State<PanelState>,
    Client(client): Client,
    Form(f): Form<LinkLogin>,
) -> Result<Response, PanelError> {
    throttle_check(&state, &client)?;
    match state.store.redeem_login_token(&f.token).await? {
        Some(id) if state.config.admin_ids.contains(&id) => {
            state.throttle.succeeded(&client);
            start_session(&state, id, "/admin/dashboard").await
        }
        _ => {
            state.throttle.failed(&client, Instant::now());
            Err(PanelError::LinkInvalid)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<PanelState>,
    admin: Admin,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PanelError> {
    admin.check_csrf(&f.csrf)?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.store.end_session(token).await?;
    }
    let gone = format!("{SESSION_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    Ok(([(SET_COOKIE, gone), (LOCATION, "/admin".to_owned())], StatusCode::SEE_OTHER).into_response())
}

/// The admin (id, CSRF token) of the session cookie: 401 without a live session, 403 for someone
/// removed from ADMIN_IDS since the session began.
async fn cookie_admin(state: &PanelState, headers: &HeaderMap) -> Result<(i64, String), PanelError> {
    let token = cookie(headers, SESSION_COOKIE).ok_or(PanelError::Unauthorized)?;
    let (id, csrf) = state.store.session(token).await?.ok_or(PanelError::Unauthorized)?;
    if !state.config.admin_ids.contains(&id) {
        return Err(PanelError::Forbidden);
    }
    Ok((id, csrf))
}

/// Whether the cookie is an admin's live session (the entry page sends a logged-in browser on).
pub async fn logged_in(state: &PanelState, headers: &HeaderMap) -> bool {
    cookie_admin(state, headers).await.is_ok()
}
