//! The bot's one HTTP server end to end: the admin panel reached from `/panel`, `/readyz` following
//! OneClickDZ's health, `/metrics` moving with an order, and updates by webhook.
use crate::support::flow::{place, wait_msg};
use crate::support::{ADMIN, BotMessage, TestApp, WAIT};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A port free right now, for `HTTP_LISTEN` (the bot binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `HTTP_LISTEN` and `PUBLIC_URL` on a free local port; returns the variables and the base URL.
fn http_vars(port: u16) -> (String, String) {
    (format!("127.0.0.1:{port}"), format!("http://127.0.0.1:{port}"))
}

/// Polls `url` until `check` accepts its status and body.
async fn until_http(url: &str, check: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let deadline = Instant::now() + WAIT;
    let mut last = (0, String::new());
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(url).await {
            last = (r.status().as_u16(), r.text().await.unwrap_or_default());
            if check(last.0, &last.1) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("{url}: last answer {last:?}");
}

/// The newest bot message in `chat` after `after` messages that satisfies `pred`.
async fn reply(app: &TestApp, chat: i64, after: usize, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(chat).into_iter().skip(after).find(|m| pred(m))).await
}

async fn say(app: &TestApp, id: i64, text: &str, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    let before = app.tg.bot_messages(id).len();
    app.tg.send_text(&app.user(id, "en"), text);
    reply(app, id, before, pred).await
}

#[tokio::test]
async fn an_admin_opens_the_panel_from_a_one_time_link_and_it_works_once() {
    let port = free_port();
    let (listen, base) = http_vars(port);
    let app = TestApp::start_with(&[("HTTP_LISTEN", &listen), ("PUBLIC_URL", &base)]).await;
    say(&app, ADMIN, "/start", |_| true).await;
    let m = say(&app, ADMIN, "/panel", |m| m.plain.contains("/admin/login/")).await;
    assert!(m.plain.contains("works once, for 10 minutes"), "{}", m.plain);
    assert!(m.reply_markup.is_none(), "no Web App button for a plain http panel: {:?}", m.reply_markup);
    let link = m.plain.split_whitespace().find(|w| w.starts_with(&base)).expect("a link").to_owned();
    let token = link.rsplit('/').next().unwrap().to_owned();

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Following the link shows the login page; a GET does not use the link up (link previews).
    let page = http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(&token));
    let login = http.post(format!("{base}/admin/login")).form(&[("token", &token)]).send().await.unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/admin/dashboard");
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_owned();
    let dashboard = http.get(format!("{base}/admin/dashboard")).header("cookie", &session).send().await.unwrap();
    assert_eq!(dashboard.status(), 200);
    let body = dashboard.text().await.unwrap();
    assert!(body.contains("Dashboard") && body.contains("Shop panel"), "{body}");
    // Without the cookie: no data.
    let anonymous = http.get(format!("{base}/admin/dashboard")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // The same link a second time is refused.
    let again = http.post(format!("{base}/admin/login")).form(&[("token", &token)]).send().await.unwrap();
    assert_eq!(again.status(), 401);
    assert!(again.headers().get("set-cookie").is_none());
    assert!(again.text().await.unwrap().contains("already used"));

    // A customer typing /panel learns nothing.
    let customer = say(&app, 4101, "/start", |_| true).await;
    drop(customer);
    let m = say(&app, 4101, "/panel", |_| true).await;
    assert!(m.plain.contains("I don't know this command"), "{}", m.plain);
}

#[tokio::test]
async fn an_https_panel_gets_web_app_buttons_and_the_admins_menu_button() {
    let app = TestApp::start_with(&[("HTTP_LISTEN", "127.0.0.1:0"), ("PUBLIC_URL", "https://shop.example.com/")]).await;
    let menu = app.tg.wait_for(WAIT, |tg| tg.menu_buttons().into_iter().find(|(chat, _)| *chat == Some(ADMIN))).await.1;
    assert_eq!(menu["type"], "web_app");
    assert_eq!(menu["web_app"]["url"], "https://shop.example.com/admin");
    assert_eq!(app.tg.menu_buttons().len(), 1, "only admins' chats get it");

    say(&app, ADMIN, "/start", |_| true).await;
    let m = say(&app, ADMIN, "/panel", |m| m.plain.contains("/admin/login/")).await;
    let kb = &m.reply_markup.as_ref().expect("buttons")["inline_keyboard"];
    assert_eq!(kb[0][0]["web_app"]["url"], "https://shop.example.com/admin");
    assert!(kb[1][0]["url"].as_str().unwrap().starts_with("https://shop.example.com/admin/login/"), "{kb}");
}

#[tokio::test]
async fn without_public_url_panel_says_what_to_configure() {
    let app = TestApp::start().await;
    say(&app, ADMIN, "/start", |_| true).await;
    let m = say(&app, ADMIN, "/panel", |_| true).await;
    assert!(m.plain.contains("HTTP_LISTEN and PUBLIC_URL"), "{}", m.plain);
    assert!(app.tg.menu_buttons().is_empty());
}

#[tokio::test]
async fn readyz_turns_503_naming_oneclick_while_it_fails_and_200_after() {
    let port = free_port();
    let (listen, base) = http_vars(port);
    let app = TestApp::start_with(&[("HTTP_LISTEN", &listen), ("HEALTH_CHECK_SECS", "0.05")]).await;
    let url = format!("{base}/readyz");
    until_http(&url, |s, _| s == 200).await;

    app.oc.fail_validate(true);
    let (_, body) = until_http(&url, |s, _| s == 503).await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body, serde_json::json!({"database": "ok", "telegram": "ok", "oneclick": "failing"}));

    app.oc.fail_validate(false);
    let (_, body) = until_http(&url, |s, _| s == 200).await;
    assert!(body.contains("\"oneclick\":\"ok\""), "{body}");
}

async fn scrape(base: &str) -> HashMap<String, f64> {
    let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    testkit::prometheus::parse(&r.text().await.unwrap())
}

#[tokio::test]
async fn metrics_move_with_a_whole_order_and_parse_as_prometheus_text() {
    let port = free_port();
    let (listen, base) = http_vars(port);
    // Health checks every 50 ms refresh the gauges quickly; at the real budget they would eat the
    // requests the order needs, so this test lifts the budget.
    let app = TestApp::start_with(&[
        ("HTTP_LISTEN", &listen),
        ("HEALTH_CHECK_SECS", "0.05"),
        ("ONECLICK_REQUESTS_PER_MINUTE", "100000"),
    ])
    .await;
    let u = app.customer_with(4201, "en", 5000).await;
    let before = scrape(&base).await;
    // Telegram's flood control once, on the next reply: waited out, and counted.
    app.tg.inject_error("sendMessage", 1, 429, "Too Many Requests: retry after 1", Some(1));
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
    // Histogram samples are folded into buckets by the exporter's upkeep (every few seconds);
    // counters are exact at once. Other tests in this process move them too: at least, not exactly.
    let deadline = Instant::now() + WAIT;
    let at = |m: &HashMap<String, f64>, k: &str| m.get(k).copied().unwrap_or(0.0);
    let mut after = scrape(&base).await;
    while at(&after, "netcard_updates_total{kind=\"callback_query\"}")
        < at(&before, "netcard_updates_total{kind=\"callback_query\"}") + 2.0
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = scrape(&base).await;
    }
    assert!(at(&after, "netcard_orders_placed_total") >= at(&before, "netcard_orders_placed_total") + 1.0);
    assert!(at(&after, "netcard_telegram_429_total") >= at(&before, "netcard_telegram_429_total") + 1.0);
    let handled = "netcard_handler_seconds_count{kind=\"message\"}";
    assert!(at(&after, handled) > 0.0, "no handler latency recorded");
    for kind in ["message", "callback_query"] {
        let k = format!("netcard_updates_total{{kind=\"{kind}\"}}");
        assert!(at(&after, &k) > at(&before, &k), "{k}: {} then {}", at(&before, &k), at(&after, &k));
    }
    // Gauges are one per process (tests running beside this one set them too): present is what holds.
    for gauge in [
        "netcard_wallets_owed_dinars",
        "netcard_oneclick_balance_dinars",
        "netcard_ledger_mismatches",
        "netcard_topups_open",
    ] {
        assert!(after.contains_key(gauge), "{gauge} missing");
    }

    // A broadcast to the admin and the customer: its progress shows as recipients done.
    let sent = "netcard_broadcast_recipients_total{result=\"sent\"}";
    let sent_before = at(&after, sent);
    say(&app, ADMIN, "/broadcast", |m| m.plain.contains("Send the message to broadcast")).await;
    let preview = say(&app, ADMIN, "Hello from the shop", |m| m.has_button("Confirm")).await;
    app.tg.press_button(&app.user(ADMIN, "en"), preview.message_id, "Confirm");
    let deadline = Instant::now() + WAIT;
    while at(&scrape(&base).await, sent) < sent_before + 2.0 {
        assert!(Instant::now() < deadline, "broadcast recipients not counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn start_update(update_id: i64, user: i64) -> serde_json::Value {
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": 1, "date": 0, "text": "/start",
            "chat": { "id": user, "type": "private", "first_name": "Eve" },
            "from": { "id": user, "is_bot": false, "first_name": "Eve", "language_code": "en" },
        },
    })
}

#[tokio::test]
async fn webhook_mode_sets_the_webhook_takes_a_whole_order_and_refuses_wrong_secrets() {
    let port = free_port();
    let (listen, base) = http_vars(port);
    let hook = format!("{base}/tg/hook");
    let app = TestApp::start_with(&[("HTTP_LISTEN", &listen), ("WEBHOOK_URL", &hook)]).await;
    let secret = app.config().webhook_secret.expose().to_owned();
    let set = app.tg.webhook().expect("setWebhook called");
    assert_eq!(set.url, hook);
    assert_eq!(set.secret_token.as_deref(), Some(secret.as_str()));
    let kinds = set.allowed_updates.expect("allowed updates given");
    assert_eq!(kinds, ["message", "callback_query", "my_chat_member"]);
    assert!(!set.drop_pending_updates, "updates waiting during a restart are kept");
    until_http(&format!("{base}/healthz"), |s, _| s == 200).await;

    // Wrong or missing secret: 401, and nothing is handled.
    assert_eq!(testkit::fake_telegram::post_update(&hook, None, &start_update(1, 4301)).await, 401);
    assert_eq!(testkit::fake_telegram::post_update(&hook, Some("not-the-secret"), &start_update(2, 4301)).await, 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.tg.bot_messages(4301).is_empty(), "a refused update got an answer");
    assert!(app.store().await.user(4301).await.unwrap().is_none(), "a refused update was handled");

    // Telegram delivers what users send by POST, as long as the test runs.
    let app = Arc::new(app);
    let deliverer = tokio::spawn({
        let app = app.clone();
        async move {
            loop {
                for status in app.tg.deliver_to_webhook().await {
                    assert_eq!(status, 200);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let u = app.customer_with(4302, "en", 3000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    let receipt = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
    let r = app.oc.topup_refs();
    let code = app.oc.card_code_for(&r[0]).expect("fulfilled upstream");
    assert!(receipt.text.contains(&code));
    deliverer.abort();
    assert_eq!(app.tg.call_count("getupdates"), 0, "no polling in webhook mode");
    assert_eq!(app.tg.call_count("deletewebhook"), 0);
    let b = app.store().await.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (2000, 0));
}

#[tokio::test]
async fn backup_taken_while_orders_flow_holds_every_order_committed_before_it() {
    let app = Arc::new(TestApp::start().await);
    let u = app.customer_with(4401, "en", 50_000).await;
    let flow = tokio::spawn({
        let app = app.clone();
        async move {
            loop {
                let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
                wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
            }
        }
    });
    let store = app.store().await;
    let refs = || async {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT ref FROM orders").fetch_all(store.pool()).await.unwrap();
        rows.into_iter().map(|r| r.0).collect::<Vec<_>>()
    };
    let deadline = Instant::now() + WAIT;
    while refs().await.len() < 3 {
        assert!(Instant::now() < deadline, "orders do not flow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let committed_before = refs().await;
    let copy = app.dir.path().join("copy.db");
    let out = tokio::task::spawn_blocking({
        let (vars, copy) = (app.vars.clone(), copy.clone());
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_netcard-bot"))
                .env_clear()
                .envs(&vars)
                .arg("backup")
                .arg(&copy)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("card key is NOT in the copy"), "{stdout}");
    // Orders went on while the copy was taken: the bot kept running and taking them.
    let later = refs().await.len();
    let deadline = Instant::now() + WAIT;
    while refs().await.len() <= later {
        assert!(Instant::now() < deadline, "orders stopped after the backup");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    flow.abort();

    let copy = netcard_bot::store::Store::open(&format!("sqlite://{}", copy.display())).await.unwrap();
    assert!(copy.ledger_mismatches().await.unwrap().is_empty(), "the copy passes the ledger check");
    for r in &committed_before {
        assert!(copy.order_by_ref(r).await.unwrap().is_some(), "order {r} missing from the copy");
    }
}
