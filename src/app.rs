//! Start-up and shutdown, shared by `main` and the end-to-end tests.
use crate::bot::notify::TgNotifier;
use crate::bot::schema::{self, Deps};
use crate::bot::state::DbStorage;
use crate::bot::{Tg, dispatch, setup};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::crypto::CardCipher;
use crate::oneclick::{ClientConfig, OneClickClient, OneClickError};
use crate::shop::Ctx;
use crate::store::Store;
use crate::workers::tracker::Inbox;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use teloxide::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Fix the configuration and start again (exit code 2).
    #[error("{0}")]
    Config(String),
    #[error("database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("card key: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("cannot reach {0}")]
    Unreachable(String),
}

impl StartError {
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::Config(_) => 2,
            StartError::Crypto(crate::crypto::CryptoError::BadKey | crate::crypto::CryptoError::KeyFileOpen { .. }) => {
                2
            }
            _ => 1,
        }
    }
}

fn card_cipher(cfg: &Config) -> Result<CardCipher, StartError> {
    if let Some(k) = &cfg.card_encryption_key {
        return Ok(CardCipher::from_hex(k.expose())?);
    }
    // The same path `backup` names, from one place.
    let path =
        cfg.card_key_file().ok_or_else(|| StartError::Config("DATABASE_URL: not a valid sqlite:// URL".into()))?;
    let (cipher, created) = CardCipher::from_key_file(&path)?;
    if created {
        tracing::warn!(path = %path.display(), "created a new card encryption key: back it up with the database, codes cannot be read without it");
    }
    Ok(cipher)
}

fn telegram(cfg: &Config) -> Tg {
    let mut bot = Bot::new(cfg.telegram_token.expose());
    if let Some(url) = &cfg.telegram_api_url {
        bot = bot.set_api_url(url.clone());
    }
    Tg::new(bot, cfg.telegram_throttle)
}

/// `getMe`, retried while Telegram is unreachable; a refused token is a configuration error.
async fn connect_telegram(bot: &Tg) -> Result<teloxide::types::Me, StartError> {
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        match bot.get_me().await {
            Ok(me) => return Ok(me),
            Err(teloxide::RequestError::Api(e)) => {
                return Err(StartError::Config(format!("TELOXIDE_TOKEN: Telegram refused the token ({e})")));
            }
            Err(e) if attempt < 6 => {
                tracing::warn!(error = %e, attempt, "Telegram not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(8));
                attempt += 1;
            }
            Err(e) => return Err(StartError::Unreachable(format!("the Telegram Bot API: {e}"))),
        }
    }
}

/// Runs the bot until `shutdown` resolves, then stops taking updates, lets handlers and workers
/// finish their current step, and returns.
pub async fn run(cfg: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), StartError> {
    let cfg = Arc::new(cfg);
    if cfg.admin_ids.is_empty() {
        tracing::warn!("ADMIN_IDS is empty: nobody can credit wallets or run admin commands");
    }
    let store = Store::open(&cfg.database_url).await?;
    let cipher = card_cipher(&cfg)?;
    let mut client_cfg = ClientConfig::new(cfg.oneclick_base_url.clone(), cfg.oneclick_api_key.expose());
    client_cfg.request_timeout = cfg.oneclick_timeout;
    client_cfg.requests_per_minute = cfg.oneclick_requests_per_minute;
    let client = OneClickClient::new(client_cfg).map_err(|e| StartError::Config(format!("ONECLICK_BASE_URL: {e}")))?;
    let validated = client.validate().await;
    let oneclick_ok = validated.is_ok();
    match validated {
        Ok(key) => {
            tracing::info!(environment = %key.environment, scope = ?key.scope, "OneClickDZ key valid")
        }
        Err(e @ (OneClickError::InvalidKey | OneClickError::ApiDisabled)) => {
            return Err(StartError::Config(format!(
                "ONECLICK_API_KEY: OneClickDZ refused the key ({e}); copy a valid key from the OneClickDZ dashboard"
            )));
        }
        Err(e @ (OneClickError::IpBlocked | OneClickError::IpNotAllowed)) => {
            return Err(StartError::Config(format!(
                "ONECLICK_API_KEY: OneClickDZ refuses this machine's IP ({e}); add it to the key's whitelist in the dashboard"
            )));
        }
        // OneClickDZ down at start: run anyway; the health check closes the shop if it stays down.
        Err(e) => tracing::warn!(error = %e, "OneClickDZ not reachable at start"),
    }
    let catalog = Arc::new(Catalog::new(client, store.clone(), cfg.products_cache_ttl, cfg.balance_cache_ttl));
    let maintenance = store.flag(crate::store::settings::MAINTENANCE).await?;
    let inbox = Arc::new(Inbox::default());
    let placed = inbox.clone();
    let ctx = Arc::new(Ctx::new(cfg.clone(), store.clone(), catalog, cipher, placed, maintenance));
    let bot = telegram(&cfg);

    let me = connect_telegram(&bot).await?;
    tracing::info!(username = ?me.username, "connected to Telegram");
    // Production plumbing (issue 15, src/http): the HTTP server when configured, and the update
    // source (webhook, or polling after deleting any webhook). Before the workers, so a refused
    // webhook or a taken port stops the start cleanly.
    let (http, listener) = crate::http::start(&cfg, &store, &bot, oneclick_ok, ctx.clone()).await?;
    setup::register_commands(&bot, &ctx).await;
    crate::bot::panel_link::set_menu_buttons(&bot, &ctx).await;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let notifier = TgNotifier { bot: bot.clone(), ctx: ctx.clone() };
    let workers = vec![
        tokio::spawn(crate::workers::tracker::run(notifier.clone(), ctx.clone(), inbox, stop_rx.clone())),
        tokio::spawn(crate::workers::health::run(
            notifier.clone(),
            ctx.clone(),
            http.readiness().clone(),
            stop_rx.clone(),
        )),
        tokio::spawn(crate::workers::books::run(notifier.clone(), ctx.clone(), stop_rx.clone())),
        tokio::spawn(crate::workers::topups::run(notifier.clone(), ctx.clone(), stop_rx.clone())),
        tokio::spawn(crate::workers::reminders::run(notifier.clone(), ctx.clone(), stop_rx.clone())),
        tokio::spawn(crate::workers::broadcaster::run(notifier, ctx.clone(), stop_rx.clone())),
    ];

    // Not the raw `Bot`: replies go through `Tg`'s pacer.
    let deps = Arc::new(Deps { bot: bot.clone(), ctx: ctx.clone(), storage: DbStorage::erased(store.clone()) });
    let stopping = async move {
        shutdown.await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    };
    dispatch::serve(listener, move |upd| schema::handle(deps.clone(), upd), stopping).await;
    for w in workers {
        let _ = tokio::time::timeout(Duration::from_secs(6), w).await;
    }
    http.stop().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
