//! Many orders in flight within OneClickDZ's request budget (issue 18): the tracker follows them
//! with list pages, hands every change to the same step as a single check, and falls back to
//! checks by id when the list cannot serve an order (broken, no card code, out of its window).
use crate::support::{Script, TestApp, WAIT};
use netcard_bot::domain::{CardType, Dinars, HoldState, OrderStatus};
use netcard_bot::i18n::Lang;
use netcard_bot::store::{NewOrder, NewUser, Store, now_ms};
use std::time::{Duration, Instant};
use testkit::ListFault;
use testkit::fake_oneclick::CARD_CODE_PREFIX;

const NUMBER: &str = "036362608";
const WALLET: i64 = 5000;
const PRICE: i64 = 1000;

/// `n` customers (ids from `first`) with a wallet, each with one order placed as Confirm writes
/// it, before the bot starts: a burst the tracker finds at once. Returns the customers' ids.
async fn seed_orders(app: &TestApp, first: i64, n: usize, fast_window_ms: i64) -> Vec<i64> {
    let store = Store::open(&app.vars["DATABASE_URL"]).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..n as i64 {
        let id = first + i;
        let u = NewUser {
            id,
            first_name: format!("Burst{i}"),
            last_name: None,
            username: None,
            language: Lang::En,
            is_admin: false,
        };
        store.touch_user(&u).await.unwrap();
        store.credit(id, Dinars(WALLET), crate::support::ADMIN, Some("test")).await.unwrap();
        let order = NewOrder {
            r#ref: netcard_bot::domain::order::new_order_ref(id, now_ms(), rand::random()),
            user_id: id,
            chat_id: id,
            message_id: None,
            card_type: CardType::Adsl,
            number: NUMBER.to_owned(),
            value: Dinars(PRICE),
            price: Dinars(PRICE),
            cost: Some(Dinars(980)),
            fast_window_ms,
        };
        store.place_order_with_hold(&order).await.unwrap();
        app.tg.user(id, "en");
        ids.push(id);
    }
    store.close().await;
    ids
}

/// Waits until every customer has been shown a card code; returns each chat's messages holding one.
async fn wait_all_delivered(app: &TestApp, ids: &[i64], limit: Duration) {
    app.tg
        .wait_for(limit, |tg| {
            ids.iter().all(|id| tg.bot_messages(*id).iter().any(|m| m.text.contains(CARD_CODE_PREFIX))).then_some(())
        })
        .await;
}

/// Each customer got exactly one message with their order's code, was charged once, and the
/// order is FULFILLED with its hold captured; the books balance.
async fn assert_each_delivered_once(app: &TestApp, ids: &[i64]) {
    let store = app.store().await;
    for id in ids {
        let orders = store.orders_of_user(*id, 0, 10).await.unwrap();
        assert_eq!(orders.len(), 1, "customer {id}");
        let o = &orders[0];
        assert_eq!((o.status, o.hold_state), (OrderStatus::Fulfilled, HoldState::Captured), "customer {id}");
        let code = app.oc.card_code_for(&o.r#ref).expect("fulfilled upstream");
        let shown: Vec<_> =
            app.tg.bot_messages(*id).into_iter().filter(|m| m.text.contains(CARD_CODE_PREFIX)).collect();
        assert_eq!(shown.len(), 1, "customer {id}: one card message, got {}", shown.len());
        assert!(shown[0].text.contains(&code), "customer {id}: their own code");
        assert_eq!(app.oc.send_count(&o.r#ref), 1, "customer {id}: sent once");
        let b = store.balances(*id).await.unwrap();
        assert_eq!((b.balance.get(), b.held.get()), (WALLET - PRICE, 0), "customer {id}: charged once");
    }
    assert!(store.ledger_mismatches().await.unwrap().is_empty(), "every wallet matches its ledger");
}

/// A customer goes to the value menu; returns how long the number check took to answer.
async fn number_check(app: &TestApp, id: i64) -> Duration {
    let u = app.customer_with(id, "en", 0).await;
    app.tg.send_text(&u, "/order");
    let m = app
        .tg
        .wait_for(WAIT, |tg| tg.last_bot_message(id).filter(|m| m.has_button("ADSL") && m.has_button("4G")))
        .await;
    app.tg.press_button(&u, m.message_id, "ADSL");
    crate::support::flow::wait_msg(&app.tg, id, m.message_id, |m| m.plain.contains("phone number")).await;
    let asked = Instant::now();
    app.tg.send_text(&u, NUMBER);
    let label = format!("{}\u{a0}DA", netcard_bot::domain::Dinars(PRICE).grouped());
    crate::support::flow::wait_last(&app.tg, id, |m| m.has_button(&label)).await;
    asked.elapsed()
}

/// Status look-ups by id or ref, and list pages.
fn checks(app: &TestApp) -> (usize, usize) {
    (app.oc.request_count("check-id") + app.oc.request_count("check-ref"), app.oc.request_count("list"))
}

#[tokio::test]
async fn a_burst_of_orders_is_delivered_once_each_within_the_budget_and_customers_are_answered() {
    const ORDERS: usize = 30;
    let mut app = TestApp::prepare(&[("ORDER_POLL_SECS", "1"), ("ORDER_FAST_POLL_WINDOW_SECS", "120")]).await;
    // Each top-up is done by the operator 1-4 s after it arrives, whoever asks.
    app.oc.script(NUMBER, Script::FulfillAfter { min_ms: 1000, max_ms: 4000 });
    let ids = seed_orders(&app, 18_000, ORDERS, 120_000).await;
    let started = Instant::now();
    app.launch().await;
    // While the burst is sent and followed, customers check their numbers.
    let mut waits = Vec::new();
    for i in 0..3 {
        waits.push(number_check(&app, 18_900 + i).await);
    }
    wait_all_delivered(&app, &ids, Duration::from_secs(40)).await;
    let took = started.elapsed();
    assert_each_delivered_once(&app, &ids).await;
    for w in &waits {
        assert!(*w < Duration::from_secs(3), "a customer's number check waited {w:?} (all: {waits:?})");
    }
    // The budget (120 a minute, enforced by the fake as the real API does) was never exceeded.
    assert_eq!(app.oc.rate_limited(), 0, "no 429");
    let most = app.oc.max_requests_in(Duration::from_secs(60));
    assert!(most <= 120, "{most} requests within 60 s");
    // The list did the following: far fewer requests than a check per order per second.
    let (singles, pages) = checks(&app);
    assert!(pages > 0, "the list was used");
    assert!(singles + pages < ORDERS, "{singles} single checks and {pages} list pages for {ORDERS} orders");
    // The list asked only for the window of open orders.
    let reqs = app.oc.requests();
    assert!(reqs.iter().filter(|r| r.1.contains("/list")).all(|r| r.1.contains("from=") && r.1.contains("to=")));
    eprintln!(
        "{ORDERS} orders delivered in {took:?}; {singles} single checks, {pages} list pages; customers {waits:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_broken_list_gives_way_to_checks_by_id_and_every_order_is_delivered() {
    for fault in [ListFault::ServerError, ListFault::WrongShape] {
        let mut app = TestApp::prepare(&[("ORDER_POLL_SECS", "0.5")]).await;
        app.oc.script(NUMBER, Script::FulfillAfter { min_ms: 300, max_ms: 1500 });
        app.oc.break_list(Some(fault));
        let ids = seed_orders(&app, 18_100, 8, 30_000).await;
        app.launch().await;
        wait_all_delivered(&app, &ids, Duration::from_secs(30)).await;
        assert_each_delivered_once(&app, &ids).await;
        let (singles, pages) = checks(&app);
        assert!(pages >= 1, "{fault:?}: the list was tried");
        // One read (a 500 is retried by the client like any GET), then left alone.
        assert!(pages <= 4, "{fault:?}: and left alone once it failed ({pages} list requests, retries included)");
        assert!(singles >= ids.len(), "{fault:?}: checks by id took over ({singles})");
        assert_eq!(app.oc.rate_limited(), 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn list_items_without_a_card_code_are_fetched_by_id() {
    let mut app = TestApp::prepare(&[("ORDER_POLL_SECS", "0.5")]).await;
    app.oc.script(NUMBER, Script::FulfillAfter { min_ms: 300, max_ms: 1500 });
    app.oc.set_list_card_codes(false);
    let ids = seed_orders(&app, 18_200, 8, 30_000).await;
    app.launch().await;
    wait_all_delivered(&app, &ids, Duration::from_secs(30)).await;
    assert_each_delivered_once(&app, &ids).await;
    let store = app.store().await;
    for id in &ids {
        let o = &store.orders_of_user(*id, 0, 1).await.unwrap()[0];
        assert!(app.oc.check_count(&o.r#ref) >= 1, "customer {id}: its code came from check-id");
    }
    let (singles, pages) = checks(&app);
    assert!(pages >= 1, "the list was used");
    assert!(singles <= 3 * ids.len(), "about one check by id per order ({singles})");
    app.stop().await;
}

#[tokio::test]
async fn an_order_that_leaves_the_list_window_is_still_followed() {
    let mut app = TestApp::prepare(&[("ORDER_POLL_SECS", "0.3"), ("ONECLICK_LIST_WINDOW_SECS", "5")]).await;
    // Nothing happens upstream until the test says so.
    app.oc.script(NUMBER, Script::Manual);
    let ids = seed_orders(&app, 18_300, 4, 60_000).await;
    app.launch().await;
    app.oc.wait_for(WAIT, |oc| (oc.total_sends() == ids.len()).then_some(())).await;
    // In the window, the list follows them.
    app.oc.wait_for(WAIT, |oc| (oc.request_count("list") >= 2).then_some(())).await;
    // Out of it (5 s after their send), each is checked by id again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let refs = app.oc.topup_refs();
    let before: Vec<u32> = refs.iter().map(|r| app.oc.check_count(r)).collect();
    app.oc.wait_for(WAIT, |oc| refs.iter().zip(&before).all(|(r, b)| oc.check_count(r) > *b).then_some(())).await;
    let lists = app.oc.request_count("list");
    for r in &refs {
        app.oc.set_status(r, "FULFILLED");
    }
    wait_all_delivered(&app, &ids, Duration::from_secs(20)).await;
    assert_each_delivered_once(&app, &ids).await;
    assert!(app.oc.request_count("list") <= lists + 1, "no list reads for orders out of its window");
    app.stop().await;
}

#[tokio::test]
async fn more_changes_in_one_list_read_than_steps_at_once_are_all_delivered_from_that_read() {
    // More orders than the tracker runs steps at once (32): one read finds them all done.
    const ORDERS: usize = 100;
    let mut app = TestApp::prepare(&[
        ("ORDER_POLL_SECS", "2"),
        ("ORDER_FAST_POLL_WINDOW_SECS", "120"),
        ("ONECLICK_REQUESTS_PER_MINUTE", "100000"),
    ])
    .await;
    app.oc.script(NUMBER, Script::Manual);
    let ids = seed_orders(&app, 18_400, ORDERS, 120_000).await;
    app.launch().await;
    app.oc.wait_for(WAIT, |oc| (oc.total_sends() == ORDERS).then_some(())).await;
    // Every order followed by the list: a read after the last send.
    let lists = app.oc.request_count("list");
    app.oc.wait_for(WAIT, |oc| (oc.request_count("list") > lists).then_some(())).await;
    let released = Instant::now();
    let lists = app.oc.request_count("list");
    for r in app.oc.topup_refs() {
        app.oc.set_status(&r, "FULFILLED");
    }
    wait_all_delivered(&app, &ids, Duration::from_secs(30)).await;
    let reads = app.oc.request_count("list") - lists;
    eprintln!("{ORDERS} orders delivered {:?} after their release, {reads} list reads", released.elapsed());
    // One read brings every change (a second may have been under way at the release); changes
    // beyond the free steps wait for a step, not for another read a poll later.
    assert!(reads <= 2, "{reads} list reads to deliver {ORDERS} orders released at once");
    assert_each_delivered_once(&app, &ids).await;
    app.stop().await;
}
