//! The bot killed (kill -9) between claiming a send and hearing its answer, then restarted: the
//! order is looked up by its ref, never posted again, and the customer's money ends where the
//! upstream outcome says.
use crate::support::flow::{money_confirmed, place, wait_msg};
use crate::support::{ADMIN, TestApp, WAIT, spawn_bot};
use netcard_bot::domain::{FailureReason, HoldState, OrderStatus};
use netcard_bot::store::{LedgerKind, Order, Store};
use std::time::Duration;
use testkit::BotProcess;

const NUMBER: &str = "036362608";

/// The bot as a child process with a customer holding `credit`. The send timeout outlasts the
/// moments between the fake seeing the send and the kill; the grace is the shortest the bot
/// accepts (four timeouts), so the never-sent case settles within the tests' wait.
async fn bot_with_customer(id: i64, credit: i64) -> (TestApp, BotProcess) {
    let app = TestApp::prepare(&[("ONECLICK_TIMEOUT_SECS", "1.5"), ("RECONCILE_GRACE_SECS", "6")]).await;
    let p = spawn_bot(&app.vars);
    app.tg.wait_for(WAIT, |tg| (tg.call_count("getupdates") > 0).then_some(())).await;
    let u = app.user(id, "en");
    app.tg.send_text(&u, "/start");
    app.tg.wait_message(id, WAIT, |_| true).await;
    let done = money_confirmed(&app.tg, &app.user(ADMIN, "en"), &format!("/credit {id} {credit}")).await;
    assert!(done.contains("Credited"), "{done}");
    (app, p)
}

/// The order row once the send is in flight: claimed (committed before the request) and held.
async fn in_flight(store: &Store, r#ref: &str) -> Order {
    let order = store.order_by_ref(r#ref).await.unwrap().expect("the order row exists before the send");
    assert_eq!(order.status, OrderStatus::Placed);
    assert!(order.send_attempted_at.is_some(), "the claim is committed before the request leaves");
    assert_eq!(order.hold_state, HoldState::Held);
    order
}

/// Waits until the order's row satisfies `done`.
async fn wait_order(store: &Store, id: i64, done: impl Fn(&Order) -> bool) -> Order {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let o = store.order(id).await.unwrap().unwrap();
        if done(&o) {
            return o;
        }
        assert!(std::time::Instant::now() < deadline, "order stuck: {o:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn kinds(entries: &[netcard_bot::store::LedgerEntry], order: i64) -> Vec<LedgerKind> {
    let mut k: Vec<LedgerKind> = entries.iter().filter(|e| e.order_id == Some(order)).map(|e| e.kind).collect();
    k.reverse();
    k
}

#[tokio::test]
async fn killed_while_a_processed_send_awaits_its_answer_reconciles_with_one_post() {
    let (app, mut p) = bot_with_customer(2101, 5000).await;
    // OneClickDZ takes the send (top-up created, charged) but the answer never reaches the bot.
    app.oc.hold_send_answers();
    let msg = place(&app.tg, &app.user(2101, "en"), "ADSL", NUMBER, 1000).await;
    app.oc.wait_for(WAIT, |oc| (oc.sends_held() == 1).then_some(())).await;
    let r = app.oc.topup_refs().pop().expect("the top-up exists upstream");
    let store = app.store().await;
    let order = in_flight(&store, &r).await;
    assert_eq!(
        store.balances(2101).await.unwrap(),
        netcard_bot::store::Balances {
            balance: netcard_bot::domain::Dinars(4000),
            held: netcard_bot::domain::Dinars(1000)
        }
    );

    p.kill();
    app.oc.release_send_answers();
    let mut p2 = spawn_bot(&app.vars);
    // The restarted bot looks the order up by its ref and delivers what OneClickDZ holds.
    let code = app.oc.wait_for(WAIT, |oc| oc.card_code_for(&r)).await;
    let receipt = wait_msg(&app.tg, 2101, msg, |m| m.text.contains(&code)).await;
    assert!(receipt.plain.contains("delivered"), "{}", receipt.plain);

    assert_eq!(app.oc.send_count(&r), 1, "never posted twice");
    assert_eq!(app.oc.total_sends(), 1);
    assert!(app.oc.request_count("check-ref") >= 1, "the unknown outcome was looked up by ref");
    let done = wait_order(&store, order.id, |o| o.status == OrderStatus::Fulfilled && !o.notify_pending).await;
    assert_eq!(done.hold_state, HoldState::Captured);
    assert_eq!(
        store.balances(2101).await.unwrap(),
        netcard_bot::store::Balances {
            balance: netcard_bot::domain::Dinars(4000),
            held: netcard_bot::domain::Dinars(0)
        }
    );
    let ledger = store.recent_ledger(2101, 20).await.unwrap();
    assert_eq!(kinds(&ledger, order.id), vec![LedgerKind::Hold, LedgerKind::Capture], "charged once");
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
    assert!(p2.terminate().await.success(), "{}", p2.logs());
}

#[tokio::test]
async fn killed_while_an_unprocessed_send_hangs_releases_the_hold_without_a_second_post() {
    let (app, mut p) = bot_with_customer(2102, 5000).await;
    // The send reaches OneClickDZ but is not processed before the bot dies.
    app.oc.inject_delay("send", 1, Duration::from_secs(600));
    let msg = place(&app.tg, &app.user(2102, "en"), "ADSL", NUMBER, 1000).await;
    app.oc.wait_for(WAIT, |oc| (oc.total_sends() == 1).then_some(())).await;
    let store = app.store().await;
    let order = store.orders_of_user(2102, 0, 10).await.unwrap().pop().expect("an order");
    let order = in_flight(&store, &order.r#ref).await;

    p.kill();
    let mut p2 = spawn_bot(&app.vars);
    // Not found upstream past the grace period: failed as never sent, the money comes back.
    let receipt = wait_msg(&app.tg, 2102, msg, |m| m.plain.contains("could not be submitted")).await;
    let done = wait_order(&store, order.id, |o| !o.notify_pending).await;
    assert_eq!((done.status, done.failure_reason), (OrderStatus::Failed, Some(FailureReason::NotSent)));
    assert_eq!(done.hold_state, HoldState::Released);
    assert_eq!(app.oc.total_sends(), 1, "looked up, never posted again: {}", receipt.plain);
    assert!(app.oc.request_count("check-ref") >= 1);
    assert!(app.oc.topup_refs().is_empty());
    assert_eq!(
        store.balances(2102).await.unwrap(),
        netcard_bot::store::Balances {
            balance: netcard_bot::domain::Dinars(5000),
            held: netcard_bot::domain::Dinars(0)
        }
    );
    let ledger = store.recent_ledger(2102, 20).await.unwrap();
    assert_eq!(kinds(&ledger, order.id), vec![LedgerKind::Hold, LedgerKind::Release]);
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
    assert!(p2.terminate().await.success(), "{}", p2.logs());
}
