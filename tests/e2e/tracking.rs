//! Money at the edges of the order tracker (issue 13): no refund while OneClickDZ may still
//! deliver, nothing final without a code, unexpected statuses and orders left open, each alert
//! told to admins once (across restarts), and late look-ups of orders failed as never sent.
use crate::support::flow::{place, wait_msg};
use crate::support::{ADMIN, Script, TestApp, WAIT};
use netcard_bot::domain::{HoldState, OrderStatus};
use std::time::{Duration, Instant};
use testkit::fake_oneclick::CARD_CODE_PREFIX;

const NUMBER: &str = "036362608";

/// Admin messages containing `needle`.
fn admin_alerts(app: &TestApp, needle: &str) -> usize {
    app.tg.bot_messages(ADMIN).iter().filter(|m| m.plain.contains(needle)).count()
}

async fn wait_admin_alert(app: &TestApp, needle: &str) {
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(ADMIN).iter().any(|m| m.plain.contains(needle)).then_some(())).await;
}

/// Waits until upstream has been asked about `ref` at least `n` more times from now.
async fn more_checks(app: &TestApp, n: usize) {
    let before = app.oc.request_count("check-ref") + app.oc.request_count("check-id");
    app.oc
        .wait_for(WAIT, |oc| (oc.request_count("check-ref") + oc.request_count("check-id") >= before + n).then_some(()))
        .await;
}

#[tokio::test]
async fn a_slow_send_is_not_refunded_while_oneclick_may_still_deliver() {
    // The attempt lasts a full timeout (1 s) after the claim; OneClickDZ shows the order 4.5 s
    // after taking it. A grace counted from the claim (4 s) refunds it; from the end (5 s), not.
    let app = TestApp::start_with(&[("ONECLICK_TIMEOUT_SECS", "1"), ("RECONCILE_GRACE_SECS", "4")]).await;
    app.oc.send_accept_then_timeout(1, Duration::from_secs(6));
    app.oc.send_hidden_for(1, Duration::from_millis(4500));
    let u = app.customer_with(13_001, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    let m = app
        .tg
        .wait_for(Duration::from_secs(15), |tg| {
            tg.bot_messages(u.id).into_iter().find(|m| m.message_id == id && m.plain.contains("delivered"))
        })
        .await;
    let r = app.oc.topup_refs()[0].clone();
    assert!(m.text.contains(&app.oc.card_code_for(&r).unwrap()), "{}", m.plain);
    assert!(!app.tg.bot_messages(u.id).iter().any(|m| m.plain.contains("refunded")));
    assert_eq!(app.oc.send_count(&r), 1, "never resent");
    let b = app.store().await.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (4000, 0), "paid once, never refunded");
}

#[tokio::test]
async fn not_found_refunds_only_after_two_answers_the_last_a_grace_after_the_attempt_ended() {
    let app = TestApp::start().await;
    let cfg = app.config();
    // Delayed before processing and abandoned by our client at its timeout: nothing upstream.
    app.oc.inject_delay("send", 1, Duration::from_secs(3));
    let u = app.customer_with(13_002, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    let m = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("refunded")).await;
    assert!(m.plain.contains("could not be submitted"), "{}", m.plain);
    let reqs = app.oc.requests();
    let sent_at = reqs.iter().find(|(_, p, _)| p.contains("/send")).expect("one send").2;
    let checks: Vec<Instant> = reqs.iter().filter(|(_, p, _)| p.contains("check-ref")).map(|r| r.2).collect();
    assert!(checks.len() >= 2, "two not-found answers at least: {}", checks.len());
    let last = *checks.last().unwrap();
    let ended = sent_at + cfg.oneclick_timeout;
    assert!(
        last.duration_since(ended) + Duration::from_millis(20) >= cfg.reconcile_grace,
        "the deciding look-up came {:?} after the attempt ended, before the grace {:?}",
        last.saturating_duration_since(ended),
        cfg.reconcile_grace
    );
    let b = app.store().await.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (5000, 0));
}

#[tokio::test]
async fn a_ref_oneclick_acknowledged_is_never_refunded_on_not_found_and_admins_are_told_once() {
    let mut app = TestApp::start().await;
    let dup = serde_json::json!({"success": false, "error": {"code": "DUPLICATED_REF", "message": "This reference ID is already in use"}});
    app.oc.inject_error("send", 1, 403, dup);
    let u = app.customer_with(13_003, "en", 5000).await;
    place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    wait_admin_alert(&app, "acknowledged this reference").await;
    // Well past the grace: still held, still looked up.
    tokio::time::sleep(app.config().reconcile_grace + Duration::from_millis(500)).await;
    more_checks(&app, 2).await;
    let store = app.store().await;
    let o = store.orders_of_user(u.id, 0, 1).await.unwrap().remove(0);
    assert_eq!((o.status, o.hold_state), (OrderStatus::Placed, HoldState::Held));
    assert!(o.upstream_seen);
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (4000, 1000));
    assert!(!app.tg.bot_messages(u.id).iter().any(|m| m.plain.contains("refunded")));
    assert_eq!(app.oc.request_count("send"), 1, "never sent again");
    // Told once, also after a restart.
    app.restart().await;
    more_checks(&app, 3).await;
    assert_eq!(admin_alerts(&app, "acknowledged this reference"), 1);
}

#[tokio::test]
async fn a_404_without_oneclick_s_envelope_is_not_taken_as_not_found() {
    let app = TestApp::start().await;
    app.oc.inject_delay("send", 1, Duration::from_secs(3));
    // A router or proxy answers every look-up: it says nothing about the order.
    let router = serde_json::json!({"message": "Route GET:/v3/internet/check-ref not found", "error": "Not Found", "statusCode": 404});
    app.oc.inject_error("check-ref", 100_000, 404, router);
    let u = app.customer_with(13_004, "en", 5000).await;
    place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    tokio::time::sleep(app.config().reconcile_grace + Duration::from_secs(1)).await;
    more_checks(&app, 2).await;
    assert!(!app.tg.bot_messages(u.id).iter().any(|m| m.plain.contains("refunded")));
    let b = app.store().await.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (4000, 1000), "the money stays held while the outcome is unknown");
}

#[tokio::test]
async fn an_order_failed_as_never_sent_that_turns_up_later_alerts_admins_without_moving_money() {
    // Hidden upstream long enough to be failed as never sent, then visible to the late look-up.
    let app = TestApp::start_with(&[("NOT_SENT_RECHECK_1_SECS", "3"), ("NOT_SENT_RECHECK_2_SECS", "60")]).await;
    app.oc.send_accept_then_timeout(1, Duration::from_secs(3));
    app.oc.send_hidden_for(1, Duration::from_secs(4));
    let u = app.customer_with(13_005, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("refunded")).await;
    let r = app.oc.topup_refs()[0].clone();
    app.tg
        .wait_for(Duration::from_secs(15), |tg| {
            tg.bot_messages(ADMIN).into_iter().find(|m| m.plain.contains("failed as never sent"))
        })
        .await;
    let alert = app.tg.bot_messages(ADMIN).into_iter().find(|m| m.plain.contains("failed as never sent")).unwrap();
    assert!(alert.plain.contains(&r), "names the order: {}", alert.plain);
    assert!(alert.plain.contains(&u.id.to_string()), "names the customer: {}", alert.plain);
    assert!(
        alert.plain.contains("HANDLING") || alert.plain.contains("FULFILLED"),
        "upstream's status: {}",
        alert.plain
    );
    let store = app.store().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let o = store.order_by_ref(&r).await.unwrap().unwrap();
    assert_eq!((o.status, o.hold_state), (OrderStatus::Failed, HoldState::Released), "no money moved");
    assert_eq!((o.followup_at, o.next_check_at), (None, None), "no more look-ups");
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (5000, 0));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_order_failed_as_never_sent_is_looked_up_twice_more_then_left_alone() {
    let app = TestApp::start_with(&[("NOT_SENT_RECHECK_1_SECS", "0.5"), ("NOT_SENT_RECHECK_2_SECS", "1")]).await;
    app.oc.inject_delay("send", 1, Duration::from_secs(3));
    let u = app.customer_with(13_006, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("refunded")).await;
    let at_refund = app.oc.request_count("check-ref");
    app.oc.wait_for(WAIT, |oc| (oc.request_count("check-ref") >= at_refund + 2).then_some(())).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.oc.request_count("check-ref"), at_refund + 2, "an hour and a day later, then never");
    assert_eq!(admin_alerts(&app, "failed as never sent"), 0, "nothing turned up");
}

#[tokio::test]
async fn fulfilled_without_a_code_stays_held_until_the_code_comes() {
    let mut app = TestApp::start().await;
    app.oc.script(NUMBER, Script::FulfillWithoutCode { after_checks: 1 });
    let u = app.customer_with(13_007, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    wait_admin_alert(&app, "sent no card code").await;
    let r = app.oc.topup_refs()[0].clone();
    more_checks(&app, 3).await;
    let store = app.store().await;
    let o = store.order_by_ref(&r).await.unwrap().unwrap();
    assert_eq!((o.status, o.hold_state), (OrderStatus::Handling, HoldState::Held), "open and held, not final");
    assert_eq!(o.upstream_status.as_deref(), Some("FULFILLED"));
    assert!(o.next_check_at.is_some(), "still checked");
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (4000, 1000));
    let shown = app.tg.bot_messages(u.id).into_iter().find(|m| m.message_id == id).unwrap();
    assert!(shown.plain.contains("being processed") && !shown.plain.contains("delivered"), "{}", shown.plain);
    // A restart does not repeat the alert.
    app.restart().await;
    more_checks(&app, 1).await;
    // The code appears upstream: captured and delivered as usual.
    app.oc.set_status(&r, "FULFILLED");
    let code = app.oc.card_code_for(&r).unwrap();
    // Checks back off (each wait twice the last), so this may take a few seconds.
    let m = app
        .tg
        .wait_for(Duration::from_secs(30), |tg| {
            tg.bot_messages(u.id).into_iter().find(|m| m.plain.contains("delivered") && m.text.contains(&code))
        })
        .await;
    assert!(m.text.contains(CARD_CODE_PREFIX));
    let o = store.order_by_ref(&r).await.unwrap().unwrap();
    assert_eq!((o.status, o.hold_state), (OrderStatus::Fulfilled, HoldState::Captured));
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (4000, 0));
    assert_eq!(admin_alerts(&app, "sent no card code"), 1, "told once");
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_status_shows_processing_alerts_once_and_checks_go_on() {
    let mut app = TestApp::start().await;
    app.oc.script(NUMBER, Script::Status { after_checks: 1, status: "PENDING_OPERATOR" });
    let u = app.customer_with(13_008, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    wait_admin_alert(&app, "PENDING_OPERATOR").await;
    more_checks(&app, 3).await;
    let shown = app.tg.bot_messages(u.id).into_iter().find(|m| m.message_id == id).unwrap();
    assert!(shown.plain.contains("being processed"), "{}", shown.plain);
    app.restart().await;
    more_checks(&app, 3).await;
    assert_eq!(admin_alerts(&app, "PENDING_OPERATOR"), 1, "told once, across a restart");
    let r = app.oc.topup_refs()[0].clone();
    let o = app.store().await.order_by_ref(&r).await.unwrap().unwrap();
    assert_eq!((o.status, o.hold_state), (OrderStatus::Handling, HoldState::Held));
    assert_eq!(o.upstream_status.as_deref(), Some("PENDING_OPERATOR"));
}

#[tokio::test]
async fn orders_handling_or_queued_too_long_are_told_once_even_when_checks_fail() {
    let mut app = TestApp::start_with(&[("HANDLING_ALERT_SECS", "0.5"), ("QUEUED_ALERT_SECS", "0.5")]).await;
    app.oc.script(NUMBER, Script::Manual);
    app.oc.script("036362609", Script::Queue { after_checks: 0 });
    let q = app.customer_with(13_010, "en", 5000).await;
    let qid = place(&app.tg, &q, "ADSL", "036362609", 1000).await;
    wait_msg(&app.tg, q.id, qid, |m| m.plain.contains("queued")).await;
    let u = app.customer_with(13_009, "en", 5000).await;
    place(&app.tg, &u, "ADSL", NUMBER, 1000).await;
    app.oc.wait_for(WAIT, |oc| (oc.topup_refs().len() == 2).then_some(())).await;
    // Every check fails from now on: the alerts do not depend on them.
    let down = serde_json::json!({"success": false, "error": {"code": "INTERNAL_ERROR", "message": "down"}});
    app.oc.inject_error("check-id", 100_000, 500, down.clone());
    app.oc.inject_error("check-ref", 100_000, 500, down);
    wait_admin_alert(&app, "processing for more than").await;
    wait_admin_alert(&app, "QUEUED for more than").await;
    app.restart().await;
    // Several more (failing) checks of both orders, each followed by the threshold test.
    more_checks(&app, 12).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(admin_alerts(&app, "processing for more than"), 1);
    assert_eq!(admin_alerts(&app, "QUEUED for more than"), 1);
}

#[tokio::test]
async fn a_grace_shorter_than_four_request_timeouts_stops_the_start_with_one_line() {
    let mut app = TestApp::prepare(&[("RECONCILE_GRACE_SECS", "1.9"), ("ONECLICK_TIMEOUT_SECS", "0.5")]).await;
    app.vars.insert("RUST_LOG".into(), "warn".into());
    let mut p = crate::support::spawn_bot(&app.vars);
    let status = p.wait().await;
    let logs = p.logs();
    assert_eq!(status.code(), Some(2), "{status}\n{logs}");
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {logs}");
    assert!(lines[0].contains("RECONCILE_GRACE_SECS") && lines[0].contains("ONECLICK_TIMEOUT_SECS"), "{logs}");
    assert!(app.oc.requests().is_empty(), "nothing was asked of OneClickDZ");
}

/// The value of a counter in Prometheus text (0 when absent).
fn counter(text: &str, name: &str) -> f64 {
    text.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or(0.0)
}

#[tokio::test]
async fn the_tracker_counts_orders_delivered_queued_and_refunded() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let app = TestApp::start_with(&[("HTTP_LISTEN", &listen)]).await;
    app.oc.script("036362601", Script::Queue { after_checks: 0 });
    app.oc.script("036362602", Script::Refund { after_checks: 0 });
    let u = app.customer_with(13_011, "en", 5000).await;
    for (number, word) in [(NUMBER, "delivered"), ("036362601", "queued"), ("036362602", "refunded")] {
        let id = place(&app.tg, &u, "ADSL", number, 1000).await;
        wait_msg(&app.tg, u.id, id, |m| m.plain.contains(word)).await;
    }
    let text = reqwest::get(format!("http://{listen}/metrics")).await.unwrap().text().await.unwrap();
    for name in ["netcard_orders_delivered_total", "netcard_orders_queued_total", "netcard_orders_refunded_total"] {
        assert!(counter(&text, name) >= 1.0, "{name} in:\n{text}");
    }
}
