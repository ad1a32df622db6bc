//! The bot against the stricter fakes: Telegram's flood control answering 429 on a reply,
//! OneClickDZ's rate limit and duplicate-ref answers on /send, a send that upstream shows only
//! after a while, and a maintenance flag across a restart.
use crate::support::flow::{place, wait_msg};
use crate::support::{ADMIN, TestApp, WAIT};
use std::time::{Duration, Instant};
use testkit::fake_oneclick::CARD_CODE_PREFIX;

const NUMBER: &str = "036362608";

#[tokio::test]
async fn a_429_on_a_reply_still_arrives_after_retry_after() {
    let app = TestApp::start().await;
    let u = app.user(7001, "en");
    app.tg.inject_error("sendMessage", 1, 429, "Too Many Requests: retry after 1", Some(1));
    let t0 = Instant::now();
    app.tg.send_text(&u, "/start");
    app.tg.wait_message(u.id, WAIT, |m| m.plain.contains("Welcome")).await;
    assert!(t0.elapsed() >= Duration::from_millis(900), "sent again only after retry_after: {:?}", t0.elapsed());
    let to_user = app.tg.calls_to("sendMessage").iter().filter(|c| c.body["chat_id"] == u.id).count();
    assert_eq!(to_user, 2, "refused once, then sent once");
}

#[tokio::test]
async fn a_rate_limited_send_goes_out_again_once_and_is_delivered() {
    let app = TestApp::start().await;
    app.oc.inject_rate_limit("send", 1, 1);
    let u = app.customer_with(7002, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    let m = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
    let r = app.oc.topup_refs()[0].clone();
    assert!(m.text.contains(&app.oc.card_code_for(&r).unwrap()));
    assert_eq!(app.oc.send_count(&r), 2, "refused before processing, then sent again");
    assert_eq!(app.oc.topup_refs().len(), 1);
    assert_eq!(app.store().await.balances(u.id).await.unwrap().balance.get(), 4000);
}

#[tokio::test]
async fn duplicated_ref_on_send_is_looked_up_not_taken_as_a_refusal() {
    let app = TestApp::start().await;
    let dup = serde_json::json!({"success": false, "error": {"code": "DUPLICATED_REF", "message": "This reference ID is already in use"}});
    app.oc.inject_error("send", 1, 403, dup);
    let u = app.customer_with(7003, "en", 5000).await;
    place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    // Upstream said the ref exists: a later "not found" never refunds it (issue 13); admins look.
    app.tg
        .wait_for(WAIT, |tg| tg.bot_messages(ADMIN).iter().any(|m| m.plain.contains("acknowledged")).then_some(()))
        .await;
    assert!(app.oc.request_count("check-ref") >= 1, "looked up by ref");
    assert_eq!(app.oc.request_count("send"), 1, "never sent again");
    let b = app.store().await.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (4000, 1000), "held, not refunded");
}

#[tokio::test]
async fn a_send_upstream_shows_late_is_found_within_the_reconcile_grace() {
    // The client gives up after its timeout (0.5 s); upstream processed the send but shows it
    // only after 1.5 s; the grace (2 s, from the end of the attempt) covers it.
    let app = TestApp::start_with(&[("RECONCILE_GRACE_SECS", "2")]).await;
    app.oc.send_accept_then_timeout(1, Duration::from_secs(3));
    app.oc.send_hidden_for(1, Duration::from_millis(1500));
    let u = app.customer_with(7004, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    let m = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered") && m.text.contains(CARD_CODE_PREFIX)).await;
    let r = app.oc.topup_refs()[0].clone();
    assert!(m.text.contains(&app.oc.card_code_for(&r).unwrap()));
    assert_eq!(app.oc.send_count(&r), 1, "never resent");
    let not_found_first = app.oc.requests().iter().filter(|(_, p, _)| p.contains("check-ref")).count();
    assert!(not_found_first >= 2, "looked up while upstream did not show it yet, then found it");
    assert_eq!(app.store().await.balances(u.id).await.unwrap().balance.get(), 4000);
}

#[tokio::test]
async fn maintenance_survives_a_restart() {
    let mut app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    let c = app.customer_with(7005, "en", 5000).await;
    app.tg.send_text(&admin, "/maintenance on");
    app.tg.wait_message(ADMIN, WAIT, |m| m.plain.contains("Maintenance is now ON")).await;
    app.restart().await;
    let before = app.tg.bot_messages(c.id).len();
    app.tg.send_text(&c, "/order");
    let m = app.tg.wait_for(WAIT, |tg| tg.bot_messages(c.id).into_iter().skip(before).find(|m| !m.deleted)).await;
    assert!(m.plain.contains("back soon"), "{}", m.plain);
    assert!(m.buttons().is_empty());
    assert!(app.oc.topup_refs().is_empty());
}
