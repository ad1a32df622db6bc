use super::*;
use crate::domain::{CardType, Dinars};
use crate::store::admin_actions::AdminMove;
use crate::store::testing::temp_store;
use crate::store::{NewUser, Store};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use futures_util::future::BoxFuture;
use tower::ServiceExt;

const TOKEN: &str = "42:test-bot-token";
const ADMIN: i64 = 42;
const SECRET_NAME: &str = "Zoubida-SECRET";

fn config() -> PanelConfig {
    PanelConfig {
        bot_token: TOKEN.into(),
        admin_ids: vec![ADMIN],
        session_secs: 3600,
        public_url: Some("https://shop.example".into()),
    }
}

async fn user(s: &Store, id: i64, name: &str, lang: crate::i18n::Lang) {
    let u = NewUser { id, first_name: name.into(), last_name: None, username: None, language: lang, is_admin: false };
    s.touch_user(&u).await.unwrap();
}

/// A store with an admin, a customer with money and an order, and the panel over it.
async fn setup() -> (Store, Router, tempfile::TempDir) {
    let (s, d) = temp_store().await;
    user(&s, ADMIN, "Admin", crate::i18n::Lang::En).await;
    user(&s, 7, SECRET_NAME, crate::i18n::Lang::Ar).await;
    s.credit(7, crate::domain::Dinars(2500), ADMIN, None).await.unwrap();
    sqlx::query(
        "INSERT INTO orders (ref, user_id, chat_id, card_type, number, value, price, cost, status, hold_state,
                             created_at, updated_at) VALUES ('SECRETREF', 7, 7, 'ADSL', '0661000001', 1000, 1100, 1000,
                             'FULFILLED', 'captured', ?1, ?1)",
    )
    .bind(crate::store::now_ms())
    .execute(s.pool())
    .await
    .unwrap();
    // A pending credit typed by the admin: action 1, for the confirmation page.
    s.propose_admin_move(ADMIN, AdminMove::Credit, 7, crate::domain::Dinars(10), Some("setup")).await.unwrap();
    // A transfer receipt waiting for an admin: top-up 1.
    let receipt = crate::store::topups::NewReceipt {
        user_id: 7,
        chat_id: 7,
        amount: crate::domain::Dinars(3000),
        file_id: "RECEIPT-FILE".into(),
        kind: crate::domain::topup::ReceiptKind::Photo,
    };
    s.receipt_submitted(&receipt).await.unwrap();
    let r = router(PanelState::new(s.clone(), config()));
    (s, r, d)
}

async fn send(r: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = r.clone().oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn get(path: &str) -> axum::http::request::Builder {
    Request::get(path)
}

fn concrete(route: &str) -> String {
    // Order 1, customer 7 and the admin's pending action 1 exist.
    let path = route
        .replace("/orders/{id}", "/orders/1")
        .replace("/moves/{id}", "/moves/1")
        .replace("/topups/{id}", "/topups/1")
        .replace("{id}", "7");
    if path.ends_with(".csv") { format!("{path}?from=2000-01-01&to=2100-01-01") } else { path }
}

fn init_data(user_id: i64, age: i64) -> String {
    let user = format!(r#"{{"id":{user_id},"first_name":"X"}}"#);
    let date = (crate::store::now_ms() / 1000 - age).to_string();
    auth::sign_init_data(TOKEN, &[("user", &user), ("auth_date", &date)])
}

/// Logs in with a fresh link; returns the session cookie (`name=value`).
async fn login(s: &Store, r: &Router, admin: i64) -> String {
    let token = s.create_login_token(admin, LOGIN_LINK_TTL_MS).await.unwrap();
    let req = Request::post("/admin/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={token}")))
        .unwrap();
    let (status, headers, _) = send(r, req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn no_data_route_answers_without_a_valid_admin() {
    let (s, _r, _d) = setup().await;
    // A session of someone no longer in ADMIN_IDS, and a forged cookie.
    let (former, _) = s.create_session(99, 60_000).await.unwrap();
    let old = init_data(ADMIN, 4000);
    let forged = init_data(ADMIN, 0).replace("X", "Y");
    for route in route_paths().0 {
        let path = concrete(route);
        let cases: Vec<(&str, axum::http::request::Builder, StatusCode)> = vec![
            ("nothing", get(&path), StatusCode::UNAUTHORIZED),
            ("bad cookie", get(&path).header(header::COOKIE, "panel_session=abc"), StatusCode::UNAUTHORIZED),
            (
                "former admin",
                get(&path).header(header::COOKIE, format!("panel_session={former}")),
                StatusCode::FORBIDDEN,
            ),
            ("not an admin", get(&path).header("x-telegram-init-data", init_data(7, 0)), StatusCode::FORBIDDEN),
            ("too old", get(&path).header("x-telegram-init-data", old.clone()), StatusCode::UNAUTHORIZED),
            ("forged", get(&path).header("x-telegram-init-data", forged.clone()), StatusCode::UNAUTHORIZED),
        ];
        for (what, req, want) in cases {
            // Each refused initData counts as a failed login: start each case with a clean slate.
            let r = router(PanelState::new(s.clone(), config()));
            let (status, _, body) = send(&r, req.body(Body::empty()).unwrap()).await;
            assert_eq!(status, want, "{what}: {path}");
            for secret in [SECRET_NAME, "SECRETREF", "0661000001", "2\u{202f}500"] {
                assert!(!body.contains(secret), "{what}: {path} leaks {secret}");
            }
        }
        // And the admin does get it.
        let req = get(&path).header("x-telegram-init-data", init_data(ADMIN, 0)).body(Body::empty()).unwrap();
        assert_eq!(send(&with_shop(&s).0, req).await.0, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn a_login_link_gives_a_session_once() {
    let (s, r, _d) = setup().await;
    let token = s.create_login_token(ADMIN, LOGIN_LINK_TTL_MS).await.unwrap();
    // Opening the link only shows a button: a link preview does not use it up.
    let (status, _, page) = send(&r, get(&format!("/admin/login/{token}")).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&token));
    let post = || {
        Request::post("/admin/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}")))
            .unwrap()
    };
    let (status, headers, _) = send(&r, post()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap();
    let (status, _, page) =
        send(&r, get("/admin/customers/7").header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(SECRET_NAME) && page.contains("2\u{202f}500\u{a0}DA"), "{page}");
    assert_eq!(send(&r, post()).await.0, StatusCode::UNAUTHORIZED, "second use");
}

#[tokio::test]
async fn failed_logins_are_slowed_down() {
    let (s, r, _d) = setup().await;
    let bad = || {
        Request::post("/admin/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("token=wrong"))
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(send(&r, bad()).await.0, StatusCode::UNAUTHORIZED);
    }
    let token = s.create_login_token(ADMIN, LOGIN_LINK_TTL_MS).await.unwrap();
    let good = Request::post("/admin/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={token}")))
        .unwrap();
    assert_eq!(send(&r, good).await.0, StatusCode::TOO_MANY_REQUESTS);
    // The refused attempt did not use the link up.
    assert_eq!(s.redeem_login_token(&token).await.unwrap(), Some(ADMIN));
}

#[tokio::test]
async fn writes_with_a_cookie_need_the_csrf_token() {
    let (s, r, _d) = setup().await;
    let cookie = login(&s, &r, ADMIN).await;
    let logout = |csrf: &str| {
        Request::post("/admin/logout")
            .header(header::COOKIE, cookie.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}")))
            .unwrap()
    };
    assert_eq!(send(&r, logout("forged")).await.0, StatusCode::FORBIDDEN);
    let (_, _, page) =
        send(&r, get("/admin/dashboard").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert_eq!(csrf.len(), 64);
    assert_eq!(send(&r, logout(&csrf)).await.0, StatusCode::SEE_OTHER);
    let (status, _, _) =
        send(&r, get("/admin/dashboard").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session ended");
}

#[tokio::test]
async fn web_app_login_trades_init_data_for_a_session() {
    let (_s, r, _d) = setup().await;
    let form = |data: String| {
        Request::post("/admin/auth/webapp")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "init_data={}",
                url::form_urlencoded::byte_serialize(data.as_bytes()).collect::<String>()
            )))
            .unwrap()
    };
    assert_eq!(send(&r, form(init_data(7, 0))).await.0, StatusCode::FORBIDDEN);
    let (status, headers, _) = send(&r, form(init_data(ADMIN, 0))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers.get(header::SET_COOKIE).is_some());
}

#[tokio::test]
async fn pages_speak_the_admins_language_and_mirror_for_arabic() {
    let (s, r, _d) = setup().await;
    s.set_language(ADMIN, crate::i18n::Lang::Ar).await.unwrap();
    let cookie = login(&s, &r, ADMIN).await;
    let (status, _, page) =
        send(&r, get("/admin/customers/7").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("dir=\"rtl\"") && page.contains("lang=\"ar\""));
    assert!(page.contains("2\u{202f}500\u{a0}د.ج") && page.contains("الرصيد"), "{page}");
    assert!(!page.contains(" DA<"));
}

#[tokio::test]
async fn csv_export_streams_every_order_with_arabic_names_intact() {
    let (s, r, _d) = setup().await;
    user(&s, 8, "عبد القادر", crate::i18n::Lang::Ar).await;
    sqlx::query(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 10000)
         INSERT INTO orders (ref, user_id, chat_id, card_type, number, value, price, status, hold_state, created_at, updated_at)
         SELECT 'x' || i, 8, 8, 'ADSL', '0661' || printf('%06d', i), 500, 550, 'FULFILLED', 'captured',
                ?1 - i * 1000, ?1 FROM k",
    )
    .bind(crate::store::now_ms())
    .execute(s.pool())
    .await
    .unwrap();
    let cookie = login(&s, &r, ADMIN).await;
    let req = get("/admin/export/orders.csv?from=2000-01-01&to=2100-12-31").header(header::COOKIE, &cookie);
    let (status, headers, body) = send(&r, req.body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
    assert!(body.starts_with("\u{feff}id,ref,created_at"));
    let lines: Vec<&str> = body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 1 + 10_001, "header, 10,000 orders and the setup's one");
    assert_eq!(lines.iter().filter(|l| l.contains(",عبد القادر,ADSL,")).count(), 10_000);
    // Streamed: the body comes in many chunks of bounded size, not as one string built in memory.
    let req = get("/admin/export/orders.csv?from=2000-01-01&to=2100-12-31").header(header::COOKIE, &cookie);
    let resp = r.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let mut stream = resp.into_body().into_data_stream();
    let (mut chunks, mut largest, mut total) = (0, 0, 0);
    while let Some(c) = futures_util::StreamExt::next(&mut stream).await {
        let c = c.unwrap();
        (chunks, largest, total) = (chunks + 1, largest.max(c.len()), total + c.len());
    }
    assert!(chunks > 20 && largest < 64 * 1024, "{chunks} chunks, largest {largest} of {total} bytes");
    assert!(!body.contains("card_code"));
    let req = get("/admin/export/ledger.csv?from=2000-01-01&to=2100-12-31").header(header::COOKIE, &cookie);
    let (_, _, body) = send(&r, req.body(Body::empty()).unwrap()).await;
    assert_eq!(body.trim_end().split("\r\n").count(), 2);
    assert!(body.contains(&format!(",7,{SECRET_NAME},credit,2500,2500,0,,42,")), "{body}");
    let req = get("/admin/export/orders.csv?from=2026-02-30&to=x").header(header::COOKIE, &cookie);
    assert_eq!(send(&r, req.body(Body::empty()).unwrap()).await.0, StatusCode::BAD_REQUEST);
}

#[test]
fn panel_texts_exist_in_every_language() {
    let keys = |lang: &str| -> std::collections::BTreeSet<String> {
        let src = std::fs::read_to_string(format!("{}/locales/{lang}/panel.ftl", env!("CARGO_MANIFEST_DIR"))).unwrap();
        src.lines()
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.to_owned()))
            .filter(|k| k.starts_with("panel-"))
            .collect()
    };
    let en = keys("en");
    assert!(en.len() > 90);
    assert_eq!(keys("fr"), en);
    assert_eq!(keys("ar"), en);
    for lang in crate::i18n::Lang::ALL {
        for k in &en {
            let args = [("n", crate::i18n::Arg::Num(3)), ("price", "1 DA".into()), ("name", "X".into())];
            let s = crate::i18n::t(lang, k, &args);
            assert_ne!(&s, k, "{lang:?} {k}");
        }
    }
}

fn form(path: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// The session's CSRF token, as the pages carry it.
async fn csrf_of(r: &Router, cookie: &str) -> String {
    let (_, _, page) =
        send(r, get("/admin/dashboard").header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await;
    page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn no_write_route_acts_without_an_admin_or_without_the_csrf_token() {
    let (s, r, _d) = setup().await;
    let before = s.balances(7).await.unwrap();
    let cookie = login(&s, &r, ADMIN).await;
    let csrf = csrf_of(&r, &cookie).await;
    let (former, _) = s.create_session(99, 60_000).await.unwrap();
    let body = "decision=reject&kind=credit&amount=500&reason=gift&card_type=ADSL&value=1000&price=1200&tier=customer";
    for route in route_paths().1 {
        let path = concrete(route);
        let cases = [
            ("nothing", Request::post(&path).body(Body::from(body)).unwrap(), StatusCode::UNAUTHORIZED),
            ("former admin", form(&path, &format!("panel_session={former}"), body), StatusCode::FORBIDDEN),
            ("no csrf", form(&path, &cookie, body), StatusCode::FORBIDDEN),
            ("forged csrf", form(&path, &cookie, &format!("csrf={}&{body}", "0".repeat(64))), StatusCode::FORBIDDEN),
        ];
        for (what, req, want) in cases {
            let (status, _, page) = send(&r, req).await;
            assert_eq!(status, want, "{what}: {path}");
            assert!(!page.contains(SECRET_NAME), "{what}: {path} leaks");
        }
        let (status, _, _) = send(&r, form(&path, &cookie, &format!("csrf={csrf}&{body}"))).await;
        assert_ne!(status, StatusCode::FORBIDDEN, "with the token: {path}");
    }
    // The refused requests moved nothing (the one with the token may have; it is checked apart).
    let _ = before;
}

#[tokio::test]
async fn a_credit_from_the_panel_is_confirmed_once_and_audited() {
    let (s, _r, _d) = setup().await;
    let (r, shop) = with_shop(&s);
    let cookie = login(&s, &r, ADMIN).await;
    let csrf = csrf_of(&r, &cookie).await;
    // Bad amounts and a missing reason are refused with the chat's words; nothing is written.
    for (body, says) in [
        ("kind=credit&amount=1%2C5&reason=x", "decimal"),
        ("kind=credit&amount=0&reason=x", "greater than zero"),
        ("kind=credit&amount=500&reason=", "Give a reason"),
        ("kind=debit&amount=9000&reason=x", "only has 2\u{202f}500\u{a0}DA"),
    ] {
        let (status, _, page) =
            send(&r, form("/admin/customers/7/move", &cookie, &format!("csrf={csrf}&{body}"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(page.contains(says) && page.contains("id=\"notice\""), "{body}: {page}");
    }
    let (status, headers, _) = send(
        &r,
        form(
            "/admin/customers/7/move",
            &cookie,
            &format!("csrf={csrf}&kind=credit&amount=1+500&reason=cash+at+the+shop"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    assert_eq!(s.balances(7).await.unwrap().balance.get(), 2500, "the preview moves nothing");
    // The confirmation page: who, how much, the balance now and after.
    let (_, _, page) = send(&r, get(&to).header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert!(page.contains(SECRET_NAME) && page.contains("cash at the shop"), "{page}");
    assert!(page.contains("2\u{202f}500\u{a0}DA") && page.contains("4\u{202f}000\u{a0}DA"), "{page}");
    let confirm = format!("{to}/confirm");
    let (status, headers, _) = send(&r, form(&confirm, &cookie, &format!("csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/admin/customers/7?notice=moved");
    // The same form sent again (a double click, a reload) moves nothing.
    let (status, _, page) = send(&r, form(&confirm, &cookie, &format!("csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("already confirmed or cancelled"), "{page}");
    assert_eq!(s.balances(7).await.unwrap().balance.get(), 4000);
    assert_eq!(*shop.credits.lock().unwrap(), [(7, 1500, 4000)], "the customer is told once");
    let ledger = s.recent_ledger(7, 10).await.unwrap();
    assert_eq!(ledger.len(), 2);
    assert_eq!((ledger[0].admin_id, ledger[0].note.as_deref()), (Some(ADMIN), Some("cash at the shop")));
    let audit = s.audit_page(&crate::store::audit::AuditFilter { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(audit.len(), 1);
    let a = &audit[0];
    assert_eq!(
        (a.admin_id, a.action.as_str(), a.target.as_deref(), a.before.as_deref(), a.after.as_deref()),
        (ADMIN, "credit", Some("user:7"), Some("2500"), Some("4000"))
    );
    let (_, _, page) =
        send(&r, get("/admin/customers/7?notice=moved").header(header::COOKIE, &cookie).body(Body::empty()).unwrap())
            .await;
    assert!(page.contains("4\u{202f}000\u{a0}DA") && page.contains("the wallet has changed"), "{page}");
    // Another admin's pending action is not theirs to see or confirm.
    let other = s.propose_admin_move(43, AdminMove::Credit, 7, crate::domain::Dinars(5), None).await.unwrap();
    let (status, _, _) =
        send(&r, form(&format!("/admin/moves/{other}/confirm"), &cookie, &format!("csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not theirs: nothing moved");
    assert_eq!(s.balances(7).await.unwrap().balance.get(), 4000);
}

/// OneClickDZ as the panel sees it: fixed costs, a balance, and the orders handed to the tracker.
#[derive(Default)]
struct FakeShop {
    down: std::sync::atomic::AtomicBool,
    fresh_reads: std::sync::atomic::AtomicUsize,
    tracked: std::sync::Mutex<Vec<i64>>,
    decided: std::sync::atomic::AtomicUsize,
    credits: std::sync::Mutex<Vec<(i64, i64, i64)>>,
}

impl ShopOps for FakeShop {
    fn costs(&self, t: CardType, fresh: bool) -> BoxFuture<'_, Option<Vec<(i64, Dinars)>>> {
        use std::sync::atomic::Ordering::Relaxed;
        if fresh {
            self.fresh_reads.fetch_add(1, Relaxed);
        }
        let list = match t {
            CardType::Adsl => vec![(1000, Dinars(980)), (2000, Dinars(1950))],
            CardType::FourG => vec![(500, Dinars(490))],
        };
        let down = self.down.load(Relaxed);
        Box::pin(async move { (!down).then_some(list) })
    }

    fn upstream_balance(&self) -> BoxFuture<'_, Option<Dinars>> {
        Box::pin(async { Some(Dinars(1_000)) })
    }

    fn to_tracker(&self, order: crate::store::Order) {
        self.tracked.lock().unwrap().push(order.id);
    }

    fn receipts_enabled(&self) -> bool {
        true
    }

    fn topup_decided(&self) {
        self.decided.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn credited(&self, user_id: i64, amount: Dinars, balance: Dinars) -> BoxFuture<'_, ()> {
        self.credits.lock().unwrap().push((user_id, amount.get(), balance.get()));
        Box::pin(async {})
    }

    fn receipt(&self, file_id: String) -> BoxFuture<'_, Option<Body>> {
        Box::pin(async move { (file_id == "RECEIPT-FILE").then(|| Body::from("\u{ff}\u{d8}JPEG-BYTES")) })
    }
}

fn with_shop(s: &Store) -> (Router, std::sync::Arc<FakeShop>) {
    let shop = std::sync::Arc::new(FakeShop::default());
    (router(PanelState::new(s.clone(), config()).with_shop(shop.clone())), shop)
}

#[tokio::test]
async fn prices_are_edited_in_place_and_never_below_cost() {
    let (s, _r, _d) = setup().await;
    let (r, shop) = with_shop(&s);
    let cookie = login(&s, &r, ADMIN).await;
    let csrf = csrf_of(&r, &cookie).await;
    let (_, _, page) =
        send(&r, get("/admin/prices").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    // Every card OneClickDZ sells is listed with its cost now and the margin at the price.
    assert!(page.contains("id=\"price-4G-500\""), "{page}");
    let row = page.split("id=\"price-ADSL-1000\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains("980\u{a0}DA") && row.contains("20\u{a0}DA") && row.contains("value=\"1000\""), "{row}");
    let post = |price: &str, value: i64| {
        form("/admin/prices", &cookie, &format!("csrf={csrf}&card_type=ADSL&value={value}&tier=customer&price={price}"))
    };
    let (status, _, page) = send(&r, post("950", 1000)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Refused: 950\u{a0}DA is below the OneClickDZ cost of 980\u{a0}DA"), "{page}");
    let (_, _, page) = send(&r, post("1,05", 1000)).await;
    assert!(page.contains("decimal"), "the chat's parser: {page}");
    let (_, _, page) = send(&r, post("1500", 3000)).await;
    assert!(page.contains("does not sell this card"), "{page}");
    assert!(s.price_table(CardType::Adsl).await.unwrap().is_empty(), "nothing refused was saved");
    let (status, headers, _) = send(&r, post("1 050", 1000)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/admin/prices?notice=price");
    assert_eq!(s.price_table(CardType::Adsl).await.unwrap().get(&1000), Some(&(Some(1050), None)));
    assert!(shop.fresh_reads.load(std::sync::atomic::Ordering::Relaxed) >= 3, "checked against a fresh cost");
    let f = crate::store::audit::AuditFilter { limit: 1, ..Default::default() };
    let a = &s.audit_page(&f).await.unwrap()[0];
    assert_eq!(
        (a.admin_id, a.action.as_str(), a.target.as_deref(), a.before.as_deref(), a.after.as_deref()),
        (ADMIN, "set-price", Some("price:ADSL:1000:customer"), None, Some("1050"))
    );
    // OneClickDZ unreachable: the page says so and nothing can be changed.
    shop.down.store(true, std::sync::atomic::Ordering::Relaxed);
    let (_, _, page) =
        send(&r, get("/admin/prices").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert!(page.contains("cannot be read now") && !page.contains("name=\"price\""), "{page}");
    let (_, _, page) = send(&r, post("1100", 1000)).await;
    assert!(page.contains("cannot be read now"), "{page}");
    assert_eq!(s.price_table(CardType::Adsl).await.unwrap().get(&1000), Some(&(Some(1050), None)));
}

/// An order of customer 7 placed through the store (price held), then moved to HANDLING.
async fn open_order(s: &Store, r: &str) -> crate::store::Order {
    let o = crate::store::NewOrder {
        r#ref: r.into(),
        user_id: 7,
        chat_id: 7,
        message_id: None,
        card_type: CardType::Adsl,
        number: "036362608".into(),
        value: Dinars(1000),
        price: Dinars(1000),
        cost: Some(Dinars(980)),
        fast_window_ms: 1000,
    };
    let crate::store::PlaceOutcome::Placed { order, .. } = s.place_order_with_hold(&o).await.unwrap() else {
        panic!("placed")
    };
    s.apply_status(order.id, crate::domain::OrderStatus::Handling, Default::default()).await.unwrap();
    order
}

#[tokio::test]
async fn an_open_order_is_rechecked_or_refunded_once_as_from_lookup() {
    let (s, _r, _d) = setup().await;
    let (r, shop) = with_shop(&s);
    let o = open_order(&s, "OPENREF").await;
    let cookie = login(&s, &r, ADMIN).await;
    let csrf = csrf_of(&r, &cookie).await;
    let page = |path: String| {
        let r = r.clone();
        let cookie = cookie.clone();
        async move { send(&r, get(&path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await.2 }
    };
    let body = page(format!("/admin/orders/{}", o.id)).await;
    assert!(body.contains("id=\"recheck\"") && body.contains("id=\"refund\""), "{body}");
    // The delivered order of the setup offers neither; its refund page says it is final.
    let delivered = page("/admin/orders/1".into()).await;
    assert!(!delivered.contains("id=\"recheck\"") && !delivered.contains("id=\"refund\""), "{delivered}");
    assert!(!page("/admin/orders/1/refund".into()).await.contains("refund-confirm"));

    // Recheck: due now, handed to the tracker, audited.
    let (status, headers, _) =
        send(&r, form(&format!("/admin/orders/{}/recheck", o.id), &cookie, &format!("csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    assert_eq!(*shop.tracked.lock().unwrap(), [o.id]);

    // Refund: a second question naming the risk, then once.
    let ask = page(format!("/admin/orders/{}/refund", o.id)).await;
    assert!(ask.contains("id=\"refund-confirm\"") && ask.contains("pays for the card"), "{ask}");
    assert!(ask.contains("1\u{202f}000\u{a0}DA") && ask.contains(SECRET_NAME), "{ask}");
    let yes = || form(&format!("/admin/orders/{}/refund", o.id), &cookie, &format!("csrf={csrf}"));
    let (status, _, _) = send(&r, yes()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, again) = send(&r, yes()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.contains("final already"), "{again}");
    assert_eq!(s.balances(7).await.unwrap().balance.get(), 2500, "the price came back once");
    assert_eq!(*shop.tracked.lock().unwrap(), [o.id, o.id], "the tracker tells the customer");
    // A delivered order is never refunded, whatever is posted.
    let (_, _, body) = send(&r, form("/admin/orders/1/refund", &cookie, &format!("csrf={csrf}"))).await;
    assert!(body.contains("final already"), "{body}");
    assert!(!body.contains("card_code") && !page("/admin/orders/1".into()).await.contains("card_code"));
    let f = crate::store::audit::AuditFilter { limit: 10, ..Default::default() };
    let got: Vec<_> = s
        .audit_page(&f)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.admin_id, a.action, a.target, a.before, a.after))
        .collect();
    let target = Some(format!("order:{}", o.id));
    assert_eq!(
        got,
        [
            (ADMIN, "refund".into(), target.clone(), Some("HANDLING".into()), Some("REFUNDED".into())),
            (ADMIN, "recheck".into(), target, Some("HANDLING".into()), None),
        ]
    );
    assert!(s.ledger_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_receipt_is_shown_through_the_bot_and_decided_once() {
    let (s, _r, _d) = setup().await;
    let (r, shop) = with_shop(&s);
    let cookie = login(&s, &r, ADMIN).await;
    let csrf = csrf_of(&r, &cookie).await;
    let (_, _, page) =
        send(&r, get("/admin/topups").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert!(page.contains("id=\"topup-1\"") && page.contains("3\u{202f}000\u{a0}DA") && page.contains(SECRET_NAME));
    // The image comes from this server, never from a Telegram URL (which holds the bot token).
    assert!(page.contains("src=\"/admin/topups/1/receipt\"") && !page.contains("api.telegram.org"), "{page}");
    assert!(!page.contains(TOKEN));
    let (status, headers, body) =
        send(&r, get("/admin/topups/1/receipt").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!((status, headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap()), (StatusCode::OK, "image/jpeg"));
    assert!(body.contains("JPEG-BYTES"));
    let decide = |body: &str| form("/admin/topups/1/decide", &cookie, &format!("csrf={csrf}&{body}"));
    let (_, _, page) = send(&r, decide("decision=amount&amount=2%2C5")).await;
    assert!(page.contains("decimal"), "{page}");
    let (_, _, page) = send(&r, decide("decision=reject&reason=")).await;
    assert!(page.contains("Give a reason"), "{page}");
    let (status, _, _) = send(&r, decide("decision=amount&amount=2+800")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = send(&r, decide("decision=approve")).await;
    assert!(page.contains("already decided"), "{page}");
    assert_eq!(s.balances(7).await.unwrap().balance.get(), 2500 + 2800, "credited once, the amount received");
    assert_eq!(shop.decided.load(std::sync::atomic::Ordering::Relaxed), 1, "the worker is woken to tell the customer");
    let f = crate::store::audit::AuditFilter { limit: 10, ..Default::default() };
    let a = &s.audit_page(&f).await.unwrap()[0];
    assert_eq!(
        (a.admin_id, a.action.as_str(), a.target.as_deref(), a.before.as_deref(), a.after.as_deref()),
        (ADMIN, "topup-approve", Some("topup:1"), Some("PENDING 3000"), Some("APPROVED 2800"))
    );
    assert!(s.ledger_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_dashboard_sets_oneclickdz_against_the_wallets_and_shows_the_books_and_receipts() {
    let (s, _r, _d) = setup().await;
    let (r, _shop) = with_shop(&s);
    let cookie = login(&s, &r, ADMIN).await;
    let dash = || async {
        send(&r, get("/admin/dashboard").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await.2
    };
    let page = dash().await;
    assert!(page.contains("Not checked yet"), "{page}");
    // OneClickDZ holds 1 000 DA, the wallets 2 500 DA: the shop could not serve them all.
    assert!(page.contains("id=\"upstream-balance\">1\u{202f}000\u{a0}DA") && page.contains("id=\"upstream-short\""));
    assert!(page.contains("id=\"topups-waiting\">1<"), "{page}");
    s.check_ledger().await;
    let page = dash().await;
    assert!(page.contains("Every wallet matches its ledger."), "{page}");
    // Without the shop (OneClickDZ unknown), the page still answers.
    let (_, _, page) = send(
        &router(PanelState::new(s.clone(), config())),
        get("/admin/dashboard").header(header::COOKIE, &cookie).body(Body::empty()).unwrap(),
    )
    .await;
    assert!(page.contains("Unknown now") && !page.contains("upstream-short"), "{page}");
}

#[tokio::test]
async fn a_running_broadcast_is_cancelled_from_the_panel_once_and_audited() {
    let (s, r, _d) = setup().await;
    let job = s.create_broadcast(ADMIN, ADMIN, 1, &crate::store::Audience::Everyone, ADMIN, 2).await.unwrap();
    let cookie = login(&s, &r, ADMIN).await;
    let csrf = csrf_of(&r, &cookie).await;
    let (_, _, page) =
        send(&r, get("/admin/broadcasts").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert!(page.contains(&format!("id=\"cancel-{}\"", job.id)), "{page}");
    let cancel = || form(&format!("/admin/broadcasts/{}/cancel", job.id), &cookie, &format!("csrf={csrf}"));
    let (status, headers, _) = send(&r, cancel()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/admin/broadcasts?notice=broadcast-cancelled");
    assert!(s.running_broadcasts().await.unwrap().is_empty());
    let (_, _, page) = send(&r, cancel()).await;
    assert!(page.contains("No broadcast is running") && !page.contains("id=\"cancel-"), "{page}");
    let f = crate::store::audit::AuditFilter { limit: 10, ..Default::default() };
    let got: Vec<_> = s.audit_page(&f).await.unwrap().into_iter().map(|a| (a.action, a.target)).collect();
    let target = Some(format!("broadcast:{}", job.id));
    assert_eq!(got, [("broadcast-cancel".to_owned(), target.clone()), ("broadcast".to_owned(), target)]);
}
