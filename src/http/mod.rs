//! The bot's one HTTP server (`HTTP_LISTEN`): the Telegram webhook, `/healthz`, `/readyz`,
//! `/metrics`, the admin panel under `/admin`; and the choice between webhook and long polling.
pub mod readiness;
pub mod updates;
pub mod webhook;

use crate::app::StartError;
use crate::config::Config;
use crate::store::Store;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use readiness::Readiness;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use teloxide::update_listeners::Polling;
use tokio::sync::watch;
use updates::UpdateSource;

/// Asks Telegram whether it answers (`getMe`), for `/readyz` when no recent contact says so.
pub type TelegramProbe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// How long `/readyz` waits for each of its checks.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// How often recorded histogram samples are folded into buckets.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct AppState {
    store: Store,
    readiness: Arc<Readiness>,
    telegram: Option<TelegramProbe>,
}

/// The routes; `webhook` adds `POST <path>` for Telegram.
pub fn router(
    store: Store,
    readiness: Arc<Readiness>,
    telegram: Option<TelegramProbe>,
    webhook: Option<(String, webhook::Inbox)>,
) -> Router {
    let state = AppState { store, readiness, telegram };
    let mut app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state);
    if let Some((path, inbox)) = webhook {
        app = app.merge(Router::new().route(&path, post(webhook::receive)).with_state(inbox));
    }
    app
}

async fn readyz(State(s): State<AppState>) -> Response {
    let database = matches!(tokio::time::timeout(CHECK_TIMEOUT, s.store.probe_write()).await, Ok(Ok(())));
    let mut telegram = s.readiness.telegram_recent();
    if !telegram && let Some(probe) = &s.telegram {
        telegram = tokio::time::timeout(CHECK_TIMEOUT, probe()).await.unwrap_or(false);
        if telegram {
            s.readiness.telegram_reached();
        }
    }
    let oneclick = s.readiness.oneclick_ok();
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    let body = serde_json::json!({
        "database": word(database),
        "telegram": word(telegram),
        "oneclick": word(oneclick),
    });
    let status = if database && telegram && oneclick { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(s): State<AppState>) -> Response {
    if let Err(e) = crate::metrics::refresh_from_store(&s.store).await {
        tracing::warn!(error = %e, "metrics: cannot read the database figures");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::render()).into_response()
}

/// The running server; [`Http::stop`] ends it.
pub struct Http {
    readiness: Arc<Readiness>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    addr: Option<SocketAddr>,
}

impl Http {
    /// Recorded by the health worker and the Telegram side; read by `/readyz`.
    pub fn readiness(&self) -> &Arc<Readiness> {
        &self.readiness
    }

    /// Where the server listens (the port chosen when `HTTP_LISTEN` says `:0`); `None` without one.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    /// Stops the server (after the dispatcher stopped: the webhook answers 503 meanwhile).
    /// The webhook stays set: Telegram keeps the updates that arrive until the next start.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
        }
    }
}

/// Starts the HTTP server when configured and chooses where updates come from: with `WEBHOOK_URL`,
/// `setWebhook` (our secret, every kind the dispatcher handles, pending updates kept) and the
/// webhook route; without it, any webhook is deleted (keeping its pending updates) and the bot polls.
/// Called once Telegram answered `getMe`; `oneclick_ok` is the outcome of the key check at start.
pub async fn start(
    cfg: &Config,
    store: &Store,
    bot: &teloxide::Bot,
    oneclick_ok: bool,
    ctx: Arc<crate::shop::Ctx>,
) -> Result<(Http, UpdateSource), StartError> {
    let readiness = Arc::new(Readiness::new());
    readiness.telegram_reached();
    readiness.oneclick_checked(oneclick_ok);
    let (source, inbox) = match &cfg.webhook_url {
        Some(url) => {
            webhook::set_webhook(bot, url, &cfg.webhook_secret, &crate::bot::dispatch::ALLOWED_UPDATES).await.map_err(
                |e| match e {
                    teloxide::RequestError::Api(e) => {
                        StartError::Config(format!("WEBHOOK_URL: Telegram refused the webhook ({e})"))
                    }
                    e => StartError::Unreachable(format!("the Telegram Bot API (setWebhook: {e})")),
                },
            )?;
            tracing::info!(url = %url, "webhook set; updates come by webhook");
            let (listener, inbox) = webhook::channel(cfg.webhook_secret.clone(), readiness.clone());
            (UpdateSource::Webhook(listener), Some((url.path().to_owned(), inbox)))
        }
        None => {
            use teloxide::prelude::Requester;
            // Polling is refused while a webhook is set. Pending updates stay (the default).
            if let Err(e) = bot.delete_webhook().await {
                tracing::warn!(error = %e, "deleteWebhook failed; polling may be refused while a webhook is set");
            }
            let polling = Polling::builder(bot.clone()).timeout(Duration::from_secs(10)).build();
            (UpdateSource::Polling(polling), None)
        }
    };
    let (stop, stopped) = watch::channel(false);
    let mut http = Http { readiness: readiness.clone(), stop, tasks: Vec::new(), addr: None };
    let Some(listen) = cfg.http_listen else { return Ok((http, source)) };
    if let Some((path, _)) = &inbox
        && (["/healthz", "/readyz", "/metrics", "/admin"].contains(&path.as_str()) || path.starts_with("/admin/"))
    {
        return Err(StartError::Config(format!("WEBHOOK_URL: its path {path} is one of the server's own routes")));
    }
    let tcp = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| StartError::Config(format!("HTTP_LISTEN: cannot listen on {listen} ({e})")))?;
    http.addr = tcp.local_addr().ok();
    tracing::info!(addr = ?http.addr, "HTTP server listening");
    crate::metrics::install();
    let panel_bot = bot.clone();
    let bot = bot.clone();
    let probe: TelegramProbe = Arc::new(move || {
        let bot = bot.clone();
        Box::pin(async move {
            use teloxide::prelude::Requester;
            bot.get_me().await.is_ok()
        })
    });
    let app = router(store.clone(), readiness, Some(probe), inbox).merge(crate::panel::router(
        crate::panel::PanelState::new(store.clone(), panel_config(cfg)).with_shop(Arc::new(PanelShop {
            ctx,
            store: store.clone(),
            bot: panel_bot,
        })),
    ));
    if cfg.public_url.is_none() {
        tracing::info!("PUBLIC_URL is unset: the admin panel has no link to give out");
    }
    http.tasks.push(tokio::spawn(serve(tcp, app, stopped.clone())));
    http.tasks.push(tokio::spawn(metrics_upkeep(stopped)));
    Ok((http, source))
}

/// The running shop as the panel uses it, with the bot to fetch receipts: getFile, then the file
/// streamed through this server (the download URL holds the bot token and never leaves here).
struct PanelShop {
    /// The running shop (`Ctx`): costs, balance, tracker, top-up worker.
    ctx: Arc<dyn crate::panel::ShopOps>,
    store: Store,
    bot: teloxide::Bot,
}

impl crate::panel::ShopOps for PanelShop {
    fn costs(
        &self,
        t: crate::domain::CardType,
        fresh: bool,
    ) -> futures_util::future::BoxFuture<'_, Option<Vec<(i64, crate::domain::Dinars)>>> {
        self.ctx.costs(t, fresh)
    }

    fn upstream_balance(&self) -> futures_util::future::BoxFuture<'_, Option<crate::domain::Dinars>> {
        self.ctx.upstream_balance()
    }

    fn to_tracker(&self, order: crate::store::Order) {
        self.ctx.to_tracker(order);
    }

    fn receipts_enabled(&self) -> bool {
        self.ctx.receipts_enabled()
    }

    fn topup_decided(&self) {
        self.ctx.topup_decided();
    }

    fn credited(
        &self,
        user_id: i64,
        amount: crate::domain::Dinars,
        balance: crate::domain::Dinars,
    ) -> futures_util::future::BoxFuture<'_, ()> {
        Box::pin(async move {
            use teloxide::payloads::SendMessageSetters;
            use teloxide::prelude::Requester;
            let Ok(Some(u)) = self.store.user(user_id).await else { return };
            let l = u.language;
            let text = crate::tr!(
                l,
                "credit-received",
                amount = crate::i18n::money(l, amount),
                balance = crate::i18n::money(l, balance)
            );
            let sent = self
                .bot
                .send_message(teloxide::types::ChatId(user_id), text)
                .parse_mode(teloxide::types::ParseMode::Html)
                .await;
            if let Err(e) = sent {
                tracing::info!(user = user_id, error = %e, "credit notice not delivered");
            }
        })
    }

    fn receipt(&self, file_id: String) -> futures_util::future::BoxFuture<'_, Option<axum::body::Body>> {
        Box::pin(async move {
            use teloxide::net::Download;
            use teloxide::prelude::Requester;
            let file = match self.bot.get_file(teloxide::types::FileId(file_id)).await {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(error = %e, "receipt file not found on Telegram");
                    return None;
                }
            };
            // The first chunk is awaited here: a file Telegram refuses gives "not found", not a
            // broken image.
            let mut stream = Box::pin(self.bot.download_file_stream(&file.path));
            let first = match futures_util::StreamExt::next(&mut stream).await {
                Some(Ok(b)) => b,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "receipt file not downloaded");
                    return None;
                }
                None => Default::default(),
            };
            let head = futures_util::stream::once(async move { Ok(first) });
            Some(axum::body::Body::from_stream(futures_util::StreamExt::chain(head, stream)))
        })
    }
}

/// What the admin panel takes from the configuration.
pub fn panel_config(cfg: &Config) -> crate::panel::PanelConfig {
    crate::panel::PanelConfig {
        bot_token: cfg.telegram_token.expose().to_owned(),
        admin_ids: cfg.admin_ids.clone(),
        session_secs: i64::from(cfg.panel_session_secs),
        public_url: cfg.public_url.as_ref().map(|u| u.as_str().trim_end_matches('/').to_owned()),
    }
}

/// Serves `app` on `tcp` until `stop` turns true. The peer address goes with each request: the
/// panel slows down repeated failed logins per client.
pub async fn serve(tcp: tokio::net::TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    let stopping = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    if let Err(e) = axum::serve(tcp, app).with_graceful_shutdown(stopping).await {
        tracing::error!(error = %e, "HTTP server failed");
    }
}

async fn metrics_upkeep(mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(METRICS_UPKEEP);
    loop {
        tokio::select! {
            _ = every.tick() => crate::metrics::upkeep(),
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    /// A shop that only has the bot: what the receipt fetch needs.
    struct BotOnly;

    impl crate::panel::ShopOps for BotOnly {
        fn costs(
            &self,
            _: crate::domain::CardType,
            _: bool,
        ) -> futures_util::future::BoxFuture<'_, Option<Vec<(i64, crate::domain::Dinars)>>> {
            Box::pin(async { None })
        }
        fn upstream_balance(&self) -> futures_util::future::BoxFuture<'_, Option<crate::domain::Dinars>> {
            Box::pin(async { None })
        }
        fn to_tracker(&self, _: crate::store::Order) {}
    }

    /// A receipt is fetched as Telegram serves files: getFile, then the file under the token's
    /// path, streamed through; an unknown file id gives nothing.
    #[tokio::test]
    async fn a_receipt_is_fetched_through_the_bot() {
        use crate::panel::ShopOps;
        use axum::extract::Path;
        use axum::routing::post;
        let tg = axum::Router::new()
            .route(
                "/bot{token}/GetFile",
                post(|Path(token): Path<String>, body: String| async move {
                    assert_eq!(token, "42:receipt-test");
                    if body.contains("KNOWN") || body.contains("GONE") {
                        let path = if body.contains("GONE") { "photos/gone.jpg" } else { "photos/file_1.jpg" };
                        axum::Json(serde_json::json!({"ok": true, "result": {"file_id": "KNOWN",
                            "file_unique_id": "u", "file_size": 9, "file_path": path}}))
                    } else {
                        axum::Json(serde_json::json!({"ok": false, "error_code": 400,
                            "description": "Bad Request: invalid file_id"}))
                    }
                }),
            )
            .fallback(|uri: axum::http::Uri| async move {
                // teloxide sends the file path as one segment (`photos%2Ffile_1.jpg`).
                match uri.path().replace("%2F", "/").as_str() {
                    "/file/bot42:receipt-test/photos/file_1.jpg" => (axum::http::StatusCode::OK, "JPEGBYTES"),
                    _ => (axum::http::StatusCode::NOT_FOUND, "gone"),
                }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, tg).await.unwrap() });
        let (store, _d) = crate::store::testing::temp_store().await;
        let bot = teloxide::Bot::new("42:receipt-test").set_api_url(url.parse().unwrap());
        let shop = super::PanelShop { ctx: std::sync::Arc::new(BotOnly), store, bot };
        let body = shop.receipt("KNOWN".into()).await.expect("fetched");
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        assert_eq!(&bytes[..], b"JPEGBYTES");
        assert!(shop.receipt("OTHER".into()).await.is_none(), "unknown to getFile");
        assert!(shop.receipt("GONE".into()).await.is_none(), "known, but the download fails");
    }

    use super::*;
    use crate::store::testing::{customer, temp_store};
    use std::future::poll_fn;
    use teloxide::types::Update;
    use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

    /// Serves `app` on a free port of 127.0.0.1; the server stops with the returned sender.
    async fn spawn(app: Router) -> (String, watch::Sender<bool>) {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", tcp.local_addr().unwrap());
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(tcp, app, stopped));
        (base, stop)
    }

    #[test]
    fn the_panel_takes_its_settings_from_the_configuration() {
        let vars = [
            ("TELOXIDE_TOKEN", "1:abc"),
            ("ONECLICK_API_KEY", "k"),
            ("ADMIN_IDS", "7,8"),
            ("PUBLIC_URL", "https://shop.example.com/"),
            ("PANEL_SESSION_SECS", "900"),
        ];
        let cfg = Config::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())).unwrap();
        let p = panel_config(&cfg);
        assert_eq!((p.session_secs, p.admin_ids.as_slice(), p.bot_token.as_str()), (900, &[7, 8][..], "1:abc"));
        assert_eq!(p.web_app_url().as_deref(), Some("https://shop.example.com/admin"));
        let unset = Config::from_lookup(|k| vars[..2].iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned()));
        let p = panel_config(&unset.unwrap());
        assert_eq!((p.session_secs, p.public_url), (crate::panel::PanelConfig::DEFAULT_SESSION_SECS, None));
    }

    #[tokio::test]
    async fn healthz_answers_while_the_process_runs() {
        let (store, _dir) = temp_store().await;
        let (base, _stop) = spawn(router(store, Arc::default(), None, None)).await;
        let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
        assert_eq!(r.status(), 200);
    }

    async fn readyz(base: &str) -> (u16, serde_json::Value) {
        let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    #[tokio::test]
    async fn readyz_names_what_fails_until_everything_answers() {
        let (store, _dir) = temp_store().await;
        let readiness = Arc::new(Readiness::new());
        let (base, _stop) = spawn(router(store.clone(), readiness.clone(), None, None)).await;
        let (status, body) = readyz(&base).await;
        assert_eq!(status, 503);
        assert_eq!(body, serde_json::json!({"database": "ok", "telegram": "failing", "oneclick": "failing"}));

        readiness.telegram_reached();
        readiness.oneclick_checked(true);
        assert_eq!(readyz(&base).await.0, 200);

        readiness.oneclick_checked(false);
        let (status, body) = readyz(&base).await;
        assert_eq!((status, body["oneclick"].as_str()), (503, Some("failing")));
        readiness.oneclick_checked(true);

        store.close().await;
        let (status, body) = readyz(&base).await;
        assert_eq!((status, body["database"].as_str()), (503, Some("failing")));
    }

    #[tokio::test]
    async fn readyz_asks_telegram_when_it_was_not_heard_from_recently() {
        let (store, _dir) = temp_store().await;
        let readiness = Arc::new(Readiness::new());
        readiness.oneclick_checked(true);
        let answers = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let probe: TelegramProbe = {
            let answers = answers.clone();
            Arc::new(move || {
                let ok = answers.load(std::sync::atomic::Ordering::SeqCst);
                Box::pin(async move { ok })
            })
        };
        let (base, _stop) = spawn(router(store, readiness.clone(), Some(probe), None)).await;
        assert_eq!(readyz(&base).await.1["telegram"], "failing");
        answers.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(readyz(&base).await.0, 200);
        assert!(readiness.telegram_recent(), "a probe that passed counts as a contact");
    }

    #[tokio::test]
    async fn metrics_move_and_parse_as_prometheus_text() {
        let (store, _dir) = temp_store().await;
        crate::metrics::install();
        let (base, _stop) = spawn(router(store.clone(), Arc::default(), None, None)).await;
        let scrape = || async {
            let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
            assert_eq!(r.status(), 200);
            assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
            testkit::prometheus::parse(&r.text().await.unwrap())
        };
        let before = scrape().await;
        assert_eq!(before.get("netcard_orders{status=\"PLACED\"}"), Some(&0.0));
        assert_eq!(before.get("netcard_ledger_mismatches"), Some(&0.0));

        customer(&store, 5, 2_000).await;
        crate::metrics::order_placed();
        crate::metrics::oneclick_request(
            "/v3/internet/check-ref/r-1",
            Err(&crate::oneclick::OneClickError::Timeout),
            Duration::from_millis(120),
        );
        crate::metrics::upkeep();
        let after = scrape().await;
        let placed = |m: &std::collections::HashMap<String, f64>| m.get("netcard_orders_placed_total").copied();
        assert_eq!(placed(&after), Some(placed(&before).unwrap_or(0.0) + 1.0));
        assert_eq!(after.get("netcard_wallets_owed_dinars"), Some(&2_000.0));
        let count = "netcard_oneclick_request_seconds_count{endpoint=\"internet/check-ref\",outcome=\"timeout\"}";
        assert!(after.get(count).is_some_and(|n| *n >= 1.0), "{after:?}");
    }

    async fn next_update(stream: &mut webhook::WebhookStream, within: Duration) -> Option<Update> {
        let next = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut *stream), cx));
        tokio::time::timeout(within, next).await.ok().flatten().map(|r| r.unwrap())
    }

    #[tokio::test]
    async fn the_webhook_passes_on_only_updates_with_the_secret() {
        let (store, _dir) = temp_store().await;
        let readiness = Arc::new(Readiness::new());
        let secret = crate::config::Secret::new("s3cret_-X");
        let (mut listener, inbox) = webhook::channel(secret, readiness.clone());
        let app = router(store, readiness.clone(), None, Some(("/tg/hook".into(), inbox)));
        let (base, _stop) = spawn(app).await;
        let token = listener.stop_token();
        let mut stream = listener.as_stream();
        let update = |id: i32| {
            serde_json::json!({
                "update_id": id,
                "message": {
                    "message_id": 1, "date": 0, "text": "/start",
                    "chat": { "id": 42, "type": "private", "first_name": "A" },
                    "from": { "id": 42, "is_bot": false, "first_name": "A" },
                },
            })
        };
        let http = reqwest::Client::new();
        let post = |id: i32, secret: Option<&'static str>| {
            let mut req = http.post(format!("{base}/tg/hook")).json(&update(id));
            if let Some(s) = secret {
                req = req.header(webhook::SECRET_HEADER, s);
            }
            async move { req.send().await.unwrap().status().as_u16() }
        };

        assert_eq!(post(1, None).await, 401);
        assert_eq!(post(2, Some("s3cret_-Y")).await, 401);
        assert_eq!(post(3, Some("s3cret_")).await, 401);
        assert!(
            next_update(&mut stream, Duration::from_millis(100)).await.is_none(),
            "refused updates are not handled"
        );
        assert!(!readiness.telegram_recent());

        assert_eq!(post(4, Some("s3cret_-X")).await, 200);
        let got = next_update(&mut stream, Duration::from_secs(2)).await.expect("passed on");
        assert_eq!(got.id.0, 4);
        assert_eq!(got.chat().map(|c| c.id.0), Some(42));
        assert!(readiness.telegram_recent(), "a delivery is a contact with Telegram");

        // Accepted before the stop: still handled. After: 503, and Telegram delivers it again later.
        assert_eq!(post(5, Some("s3cret_-X")).await, 200);
        token.stop();
        assert_eq!(next_update(&mut stream, Duration::from_secs(2)).await.map(|u| u.id.0), Some(5));
        assert_eq!(post(6, Some("s3cret_-X")).await, 503);
        assert!(next_update(&mut stream, Duration::from_secs(2)).await.is_none(), "the stream ends");
    }
}
