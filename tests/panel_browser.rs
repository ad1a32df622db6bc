//! The admin panel in a real browser: headless Chromium driven through chromedriver logs in with
//! a one-time link, reads the dashboard, finds a customer, credits them through the form (with its
//! confirmation step), sees the balance, ledger and audit entry change, and takes
//! screenshots of the dashboard in English and Arabic (saved under `docs/` when
//! `PANEL_SCREENSHOTS=1`). Without chromedriver the test fails (a skipped browser test would pass
//! unseen); `PANEL_BROWSER=skip` is the explicit opt-out on a machine without Chromium.
use fantoccini::{ClientBuilder, Locator};
use futures_util::future::BoxFuture;
use hyper_util::client::legacy::connect::HttpConnector;
use netcard_bot::domain::{CardType, Dinars};
use netcard_bot::i18n::Lang;
use netcard_bot::panel::{LOGIN_LINK_TTL_MS, PanelConfig, PanelState};
use netcard_bot::store::{NewUser, Store};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: i64 = 42;

fn chromedriver() -> Option<String> {
    std::env::var("CHROMEDRIVER").ok().or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("chromedriver"))
                .find(|p| p.is_file())
                .map(|p| p.display().to_string())
        })
    })
}

/// Stops chromedriver (and the browser it started) however the test ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn user(s: &Store, id: i64, first: &str, last: Option<&str>, lang: Lang) {
    let u = NewUser {
        id,
        first_name: first.into(),
        last_name: last.map(Into::into),
        username: None,
        language: lang,
        is_admin: id == ADMIN,
    };
    s.touch_user(&u).await.unwrap();
}

/// A shop with a few customers and a month of sales.
async fn shop(s: &Store) {
    user(s, ADMIN, "Admin", None, Lang::En).await;
    user(s, 7, "Fatima", Some("Zahra"), Lang::Ar).await;
    user(s, 8, "عبد القادر", None, Lang::Ar).await;
    s.credit(7, netcard_bot::domain::Dinars(12_500), ADMIN, None).await.unwrap();
    s.credit(8, netcard_bot::domain::Dinars(3_000), ADMIN, None).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 300)
         INSERT INTO orders (ref, user_id, chat_id, card_type, number, value, price, cost, status, hold_state,
                             created_at, updated_at)
         SELECT 'b' || i, 7 + i % 2, 7 + i % 2, CASE i % 3 WHEN 0 THEN '4G' ELSE 'ADSL' END, '0661' || printf('%06d', i),
                CASE i % 4 WHEN 0 THEN 2000 ELSE 1000 END, CASE i % 4 WHEN 0 THEN 2100 ELSE 1050 END,
                CASE i % 4 WHEN 0 THEN 2000 ELSE 1000 END,
                CASE WHEN i % 11 = 0 THEN 'FAILED' ELSE 'FULFILLED' END, 'captured',
                ?1 - (i * 30 * 86400000 / 300) - (i * 7919 % 5) * 86400000 / 3, ?1
         FROM k",
    )
    .bind(netcard_bot::store::now_ms())
    .execute(s.pool())
    .await
    .unwrap();
}

/// OneClickDZ as the dashboard reads it: a balance, and the costs of the cards sold.
struct Shop;

impl netcard_bot::panel::ShopOps for Shop {
    fn costs(&self, t: CardType, _fresh: bool) -> BoxFuture<'_, Option<Vec<(i64, Dinars)>>> {
        let list = match t {
            CardType::Adsl => vec![(1000, Dinars(1000)), (2000, Dinars(2000))],
            CardType::FourG => vec![(1000, Dinars(1000)), (2000, Dinars(2000))],
        };
        Box::pin(async move { Some(list) })
    }

    fn upstream_balance(&self) -> BoxFuture<'_, Option<Dinars>> {
        Box::pin(async { Some(Dinars(48_250)) })
    }

    fn to_tracker(&self, _: netcard_bot::store::Order) {}
}

async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Takes a screenshot; with `PANEL_SCREENSHOTS=1` it replaces the one under `docs/` (a plain test
/// run leaves the committed images alone).
async fn screenshot(c: &fantoccini::Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}: {} bytes", png.len());
    if std::env::var_os("PANEL_SCREENSHOTS").is_some() {
        std::fs::write(format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR")), png).unwrap();
    }
}

#[tokio::test]
async fn an_admin_logs_in_reads_the_dashboard_and_finds_a_customer() {
    let Some(driver_bin) = chromedriver() else {
        if std::env::var("PANEL_BROWSER").as_deref() == Ok("skip") {
            println!("SKIPPED (PANEL_BROWSER=skip): chromedriver is not installed");
            return;
        }
        panic!("chromedriver is not installed: apt-get install -y chromium chromium-driver (or PANEL_BROWSER=skip)");
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("panel.db").display())).await.unwrap();
    shop(&store).await;
    let config = PanelConfig {
        bot_token: "42:browser-test".into(),
        admin_ids: vec![ADMIN],
        session_secs: 3600,
        public_url: None,
    };
    store.check_ledger().await;
    let app = netcard_bot::panel::router(PanelState::new(store.clone(), config).with_shop(std::sync::Arc::new(Shop)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let port = free_port();
    let _driver = Driver(
        Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut chrome = serde_json::json!({
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=480,1100", "--hide-scrollbars",
            // Nothing leaves the machine: Telegram's script is not loaded outside Telegram anyway.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            format!("--user-data-dir={}", profile.path().display()),
        ],
    });
    if std::path::Path::new("/usr/bin/chromium").exists() {
        chrome["binary"] = "/usr/bin/chromium".into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), chrome);
    let webdriver = format!("http://127.0.0.1:{port}");
    let c = wait_for("chromedriver", || {
        let caps = caps.clone();
        let webdriver = webdriver.clone();
        async move { ClientBuilder::new(HttpConnector::new()).capabilities(caps).connect(&webdriver).await.ok() }
    })
    .await;

    // The one-time link: its page has a button that logs in and lands on the dashboard.
    let token = store.create_login_token(ADMIN, LOGIN_LINK_TTL_MS).await.unwrap();
    c.goto(&format!("{base}/admin/login/{token}")).await.unwrap();
    c.find(Locator::Id("login")).await.unwrap().click().await.unwrap();
    let wallets = wait_for("the dashboard", || async {
        let e = c.find(Locator::Id("wallets-balance")).await.ok()?;
        e.text().await.ok()
    })
    .await;
    assert!(c.current_url().await.unwrap().path().ends_with("/admin/dashboard"));
    assert_eq!(wallets, "15\u{202f}500 DA");
    screenshot(&c, "panel-dashboard-en.png").await;

    // Find the customer by name and read their balance on their page.
    c.find(Locator::LinkText("Customers")).await.unwrap().click().await.unwrap();
    let q = wait_for("the search box", || async { c.find(Locator::Id("customer-q")).await.ok() }).await;
    q.send_keys("fatima").await.unwrap();
    c.find(Locator::Id("customer-search")).await.unwrap().click().await.unwrap();
    // The list before the search shows her too: wait for the results page, then click (a page
    // replaced between find and click makes the element stale, so both are retried together).
    wait_for("the search results", || async { c.current_url().await.ok().filter(|u| u.as_str().contains("fatima")) })
        .await;
    wait_for("the customer in the results", || async {
        c.find(Locator::LinkText("Fatima Zahra")).await.ok()?.click().await.ok()
    })
    .await;
    let balance =
        wait_for("the balance", || async { c.find(Locator::Id("balance")).await.ok()?.text().await.ok() }).await;
    assert_eq!(balance, "12\u{202f}500 DA");
    let ledger = c.find(Locator::Id("ledger")).await.unwrap().text().await.unwrap();
    assert!(ledger.contains("Credit") && ledger.contains("12\u{202f}500 DA"), "{ledger}");

    // Credit her through the form: a confirmation page first, then Confirm moves the money.
    c.find(Locator::Id("move-amount")).await.unwrap().send_keys("1 500").await.unwrap();
    c.find(Locator::Id("move-reason")).await.unwrap().send_keys("cash paid at the shop").await.unwrap();
    c.find(Locator::Id("move-submit")).await.unwrap().click().await.unwrap();
    let after = wait_for("the confirmation page", || async {
        c.find(Locator::Id("move-new-balance")).await.ok()?.text().await.ok()
    })
    .await;
    assert_eq!(after, "14\u{202f}000 DA");
    assert_eq!(c.find(Locator::Id("move-balance")).await.unwrap().text().await.unwrap(), "12\u{202f}500 DA");
    assert_eq!(store.balances(7).await.unwrap().balance.get(), 12_500, "nothing moved before Confirm");
    c.find(Locator::Id("move-confirm")).await.unwrap().click().await.unwrap();
    let notice =
        wait_for("the credit done", || async { c.find(Locator::Id("notice")).await.ok()?.text().await.ok() }).await;
    assert!(notice.contains("the wallet has changed"), "{notice}");
    assert_eq!(c.find(Locator::Id("balance")).await.unwrap().text().await.unwrap(), "14\u{202f}000 DA");
    let ledger = c.find(Locator::Id("ledger")).await.unwrap().text().await.unwrap();
    let first = ledger.lines().nth(1).unwrap_or_default();
    assert!(first.contains("Credit") && first.contains("1\u{202f}500 DA") && first.contains("cash paid"), "{ledger}");
    // Back to the confirmation page as the browser kept it, and Confirm pressed again: the action
    // is decided, nothing moves twice.
    c.back().await.unwrap();
    wait_for("the kept page", || async { c.find(Locator::Id("move-confirm")).await.ok()?.click().await.ok() }).await;
    let notice =
        wait_for("the second confirm", || async { c.find(Locator::Css("#notice.bad")).await.ok()?.text().await.ok() })
            .await;
    assert!(notice.contains("already confirmed"), "{notice}");
    assert_eq!(c.find(Locator::Id("move-status")).await.unwrap().text().await.unwrap(), "Confirmed.");
    assert_eq!(store.balances(7).await.unwrap().balance.get(), 14_000);

    // The audit log names who did it, to whom, and the balance before and after.
    c.goto(&format!("{base}/admin/audit")).await.unwrap();
    let audit =
        wait_for("the audit log", || async { c.find(Locator::Id("audit")).await.ok()?.text().await.ok() }).await;
    let row = audit.lines().find(|l| l.contains("user:7")).unwrap_or_default().to_owned();
    assert!(row.contains("credit") && row.contains("42") && row.contains("12500") && row.contains("14000"), "{audit}");

    // A price edited in place: below the OneClickDZ cost it is refused, above it is saved.
    c.goto(&format!("{base}/admin/prices")).await.unwrap();
    let set_price = |price: &'static str, want: &'static str| {
        let c = c.clone();
        async move {
            let input = wait_for("the price field", || async {
                c.find(Locator::Css("#price-ADSL-1000 td.customer input[name=price]")).await.ok()
            })
            .await;
            input.clear().await.unwrap();
            input.send_keys(price).await.unwrap();
            c.find(Locator::Css("#price-ADSL-1000 td.customer button")).await.unwrap().click().await.unwrap();
            // The page is replaced: wait for the answer to this submission, not the last one.
            wait_for("the answer", || async {
                c.find(Locator::Id("notice")).await.ok()?.text().await.ok().filter(|t| t.contains(want))
            })
            .await
        }
    };
    set_price("900", "below the OneClickDZ cost of 1\u{202f}000 DA").await;
    assert_eq!(set_price("1 100", "saved").await, "Price saved.");
    let margin = c.find(Locator::Css("#price-ADSL-1000 td.margin")).await.unwrap().text().await.unwrap();
    assert_eq!(margin, "100 DA");

    // The same dashboard for an admin who reads Arabic: right to left, amounts in د.ج.
    store.set_language(ADMIN, Lang::Ar).await.unwrap();
    c.goto(&format!("{base}/admin/dashboard")).await.unwrap();
    let wallets = wait_for("the Arabic dashboard", || async {
        let dir = c.find(Locator::Css("html[dir=rtl]")).await.ok()?;
        drop(dir);
        c.find(Locator::Id("wallets-balance")).await.ok()?.text().await.ok()
    })
    .await;
    assert_eq!(wallets, "17\u{202f}000 د.ج");
    screenshot(&c, "panel-dashboard-ar.png").await;
    c.close().await.unwrap();
}
