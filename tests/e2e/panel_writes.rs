//! The panel's writes against the running bot: logged in from `/panel`, an admin credits a customer
//! (form, confirmation page, Confirm twice) and sets a price against OneClickDZ's real cost; the
//! customer is told in Telegram once, and the chat's audit log has both.
use crate::support::{ADMIN, BotMessage, TestApp, WAIT};
use netcard_bot::store::audit::AuditFilter;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn say(app: &TestApp, id: i64, text: &str, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    let before = app.tg.bot_messages(id).len();
    app.tg.send_text(&app.user(id, "en"), text);
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(id).into_iter().skip(before).find(|m| pred(m))).await
}

#[tokio::test]
async fn an_admin_credits_and_prices_from_the_panel_of_the_running_bot() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let app = TestApp::start_with(&[("HTTP_LISTEN", &format!("127.0.0.1:{port}")), ("PUBLIC_URL", &base)]).await;
    let customer = app.customer_with(4401, "en", 0).await;
    drop(customer);
    say(&app, ADMIN, "/start", |_| true).await;
    let m = say(&app, ADMIN, "/panel", |m| m.plain.contains("/admin/login/")).await;
    let link = m.plain.split_whitespace().find(|w| w.starts_with(&base)).expect("a link").to_owned();
    let token = link.rsplit('/').next().unwrap().to_owned();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = http.post(format!("{base}/admin/login")).form(&[("token", &token)]).send().await.unwrap();
    let session = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let get = |path: &str| {
        let req = http.get(format!("{base}{path}")).header("cookie", &session);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let page = get("/admin/customers/4401").await;
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let post = |path: &str, form: Vec<(&str, &str)>| {
        let req = http.post(format!("{base}{path}")).header("cookie", &session).form(&form);
        async move { req.send().await.unwrap() }
    };

    // Credit: form, confirmation, Confirm twice; the customer hears of it once.
    let preview = post(
        "/admin/customers/4401/move",
        vec![("csrf", &csrf), ("kind", "credit"), ("amount", "2 000"), ("reason", "cash")],
    )
    .await;
    assert_eq!(preview.status(), 303);
    let to = preview.headers()["location"].to_str().unwrap().to_owned();
    assert!(get(&to).await.contains("2\u{202f}000\u{a0}DA"));
    let before = app.tg.bot_messages(4401).len();
    assert_eq!(post(&format!("{to}/confirm"), vec![("csrf", &csrf)]).await.status(), 303);
    let again = post(&format!("{to}/confirm"), vec![("csrf", &csrf)]).await;
    assert!(again.text().await.unwrap().contains("already confirmed or cancelled"));
    let told = app
        .tg
        .wait_for(WAIT, |tg| tg.bot_messages(4401).into_iter().skip(before).find(|m| m.plain.contains("topped up")))
        .await;
    assert!(told.plain.contains("2\u{202f}000\u{a0}DA"), "{}", told.plain);
    let store = app.store().await;
    assert_eq!(store.balances(4401).await.unwrap().balance.get(), 2000);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let notices = app.tg.bot_messages(4401).into_iter().skip(before).filter(|m| m.plain.contains("topped up")).count();
    assert_eq!(notices, 1);

    // A price: the fake OneClickDZ's cost of ADSL 1000 is read, below it is refused.
    let prices = get("/admin/prices").await;
    assert!(prices.contains("id=\"price-ADSL-1000\""), "{prices}");
    let set = |price: &'static str| {
        post(
            "/admin/prices",
            vec![("csrf", &csrf), ("card_type", "ADSL"), ("value", "1000"), ("tier", "customer"), ("price", price)],
        )
    };
    let refused = set("10").await.text().await.unwrap();
    assert!(refused.contains("is below the OneClickDZ cost"), "{refused}");
    assert_eq!(set("1 100").await.status(), 303);
    let rows = store.audit_page(&AuditFilter { limit: 10, ..Default::default() }).await.unwrap();
    let got: Vec<_> = rows.iter().map(|r| (r.action.as_str(), r.target.as_deref(), r.after.as_deref())).collect();
    assert_eq!(
        got,
        [("set-price", Some("price:ADSL:1000:customer"), Some("1100")), ("credit", Some("user:4401"), Some("2000"))]
    );
}
