//! A price changed by an admin between the summary and Confirm: the customer is never charged a
//! price they were not shown; they see the new summary and confirm again.
use crate::support::flow::{to_confirm, wait_msg};
use crate::support::{ADMIN, TestApp, WAIT};

const CHANGED: &str = "The price has just changed";

async fn set_price(app: &TestApp, args: &str) {
    let admin = app.user(ADMIN, "en");
    let before = app.tg.bot_messages(ADMIN).len();
    app.tg.send_text(&admin, &format!("/setprice {args}"));
    app.tg
        .wait_for(WAIT, |tg| {
            (tg.bot_messages(ADMIN).len() > before
                && tg.last_bot_message(ADMIN).is_some_and(|m| m.plain.contains("now sells at")))
            .then_some(())
        })
        .await;
}

#[tokio::test]
async fn a_price_changed_after_the_summary_is_shown_again_never_charged_silently() {
    let app = TestApp::start().await;
    let u = app.customer_with(2201, "en", 5000).await;
    let store = app.store().await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    assert!(summary.plain.contains("Price: 1\u{202f}000\u{a0}DA"), "{}", summary.plain);

    // Dearer while the summary is on screen: Confirm shows the new price and places nothing.
    set_price(&app, "ADSL 1000 1200").await;
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let again = wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains(CHANGED)).await;
    assert!(again.plain.contains("Price: 1\u{202f}200\u{a0}DA"), "{}", again.plain);
    assert!(again.plain.contains("Balance after: 3\u{202f}800\u{a0}DA"), "{}", again.plain);
    assert!(again.has_button("Confirm"), "asked again: {:?}", again.buttons());
    assert_eq!(store.count_orders_of_user(u.id).await.unwrap(), 0, "no order at a price not shown");
    assert_eq!(app.oc.total_sends(), 0);
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (5000, 0));

    // Cheaper before the second Confirm: shown again too, as the summary no longer says it.
    set_price(&app, "ADSL 1000 1100").await;
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let third = wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("Price: 1\u{202f}100\u{a0}DA")).await;
    assert!(third.plain.contains(CHANGED), "{}", third.plain);
    assert_eq!(store.count_orders_of_user(u.id).await.unwrap(), 0);

    // Confirmed at the price shown: charged exactly that.
    app.tg.press_button(&u, summary.message_id, "Confirm");
    wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("delivered")).await;
    let orders = store.orders_of_user(u.id, 0, 10).await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].price.get(), 1100);
    assert_eq!(app.oc.total_sends(), 1);
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (3900, 0));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}
