//! Buy again (issue 17): from a delivered receipt or an order's detail in /orders, straight to
//! the summary of the same card at today's price; Confirm is the normal order path.
use crate::support::flow::{place, wait_msg};
use crate::support::{ADMIN, BotMessage, TestApp, TgUser, WAIT};

const NUMBER: &str = "036362608";

/// The first bot message after `after` in the chat that satisfies `pred`.
async fn next_msg(app: &TestApp, chat: i64, after: i32, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(chat).into_iter().find(|m| m.message_id > after && pred(m))).await
}

async fn say(app: &TestApp, u: &TgUser, text: &str, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    let mid = app.tg.send_text(u, text);
    next_msg(app, u.id, mid, pred).await
}

/// A delivered 1 000 DA ADSL card for `u`; returns the receipt.
async fn delivered(app: &TestApp, u: &TgUser) -> BotMessage {
    let id = place(&app.tg, u, "ADSL", NUMBER, 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await
}

#[tokio::test]
async fn buy_again_from_the_receipt_orders_the_same_card_at_todays_price_with_one_send() {
    let app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    let u = app.customer_with(1701, "en", 5000).await;
    let receipt = delivered(&app, &u).await;
    let first = app.oc.topup_refs()[0].clone();
    let code = app.oc.card_code_for(&first).unwrap();
    assert!(receipt.has_button("Buy again"), "{:?}", receipt.buttons());
    // The price changed since: Buy again shows today's.
    say(&app, &admin, "/setprice ADSL 1000 1100", |m| m.plain.contains("now sells at")).await;

    app.tg.press_button(&u, receipt.message_id, "Buy again");
    let summary = next_msg(&app, u.id, receipt.message_id, |m| m.has_button("Confirm")).await;
    for needle in [NUMBER, "1\u{202f}000\u{a0}DA", "Price: 1\u{202f}100\u{a0}DA", "Balance after: 2\u{202f}900\u{a0}DA"]
    {
        assert!(summary.plain.contains(needle), "summary lacks {needle:?}: {}", summary.plain);
    }
    assert!(summary.has_button("Back") && summary.has_button("Cancel"), "{:?}", summary.buttons());
    let receipt_now = app.tg.bot_messages(u.id).into_iter().find(|m| m.message_id == receipt.message_id).unwrap();
    assert!(receipt_now.text.contains(&code), "the receipt keeps its code: {}", receipt_now.text);
    assert_eq!(app.oc.total_sends(), 1, "reviewing sends nothing");

    app.tg.press_button(&u, summary.message_id, "Confirm");
    let second_receipt = wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("delivered")).await;
    let refs = app.oc.topup_refs();
    assert_eq!((refs.len(), app.oc.total_sends()), (2, 2), "one more POST /send");
    let code2 = app.oc.card_code_for(&refs[1]).unwrap();
    assert!(second_receipt.text.contains(&code2) && second_receipt.plain.contains(NUMBER), "{}", second_receipt.plain);
    assert!(second_receipt.has_button("Buy again"));
    let store = app.store().await;
    let o = store.order_by_ref(&refs[1]).await.unwrap().unwrap();
    assert_eq!((o.number.as_str(), o.value.get(), o.price.get()), (NUMBER, 1000, 1100));
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (5000 - 1000 - 1100, 0));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn buy_again_from_the_order_list_and_back_goes_to_the_values() {
    let app = TestApp::start().await;
    let u = app.customer_with(1702, "en", 5000).await;
    delivered(&app, &u).await;
    let list =
        say(&app, &u, "/orders", |m| m.buttons().iter().any(|b| b.1.as_deref().is_some_and(|d| d.starts_with("o:"))))
            .await;
    let data = list.buttons().into_iter().find_map(|b| b.1.filter(|d| d.starts_with("o:"))).unwrap();
    app.tg.press(&u, list.message_id, &data);
    let detail = next_msg(&app, u.id, list.message_id, |m| m.has_button("Buy again")).await;
    assert!(detail.plain.contains("delivered"), "{}", detail.plain);
    app.tg.press_button(&u, detail.message_id, "Buy again");
    let summary = next_msg(&app, u.id, detail.message_id, |m| m.has_button("Confirm")).await;
    assert!(summary.plain.contains(NUMBER) && summary.plain.contains("1\u{202f}000\u{a0}DA"), "{}", summary.plain);
    app.tg.press_button(&u, summary.message_id, "Back");
    let values = wait_msg(&app.tg, u.id, summary.message_id, |m| m.has_button("2\u{202f}000\u{a0}DA")).await;
    assert!(values.plain.contains(NUMBER), "{}", values.plain);
    assert_eq!(app.oc.total_sends(), 1);
}

#[tokio::test]
async fn buy_again_when_the_value_is_gone_shows_the_values_instead() {
    // The offers as the value step would show them (cached like there; Confirm reads them afresh).
    let app = TestApp::start_with(&[("PRODUCTS_CACHE_SECS", "0.01")]).await;
    let u = app.customer_with(1703, "en", 5000).await;
    let receipt = delivered(&app, &u).await;
    app.oc.set_available("ADSL", 1000, false);
    app.tg.press_button(&u, receipt.message_id, "Buy again");
    let m = next_msg(&app, u.id, receipt.message_id, |m| m.plain.contains("no longer available")).await;
    assert!(!m.has_button("Confirm") && !m.has_button("1\u{202f}000\u{a0}DA"), "{:?}", m.buttons());
    assert!(m.has_button("2\u{202f}000\u{a0}DA") && m.plain.contains(NUMBER), "{}: {:?}", m.plain, m.buttons());
    // The value list is a wizard step like any other: a value tapped goes on to the summary.
    app.tg.press_button(&u, m.message_id, "2\u{202f}000\u{a0}DA");
    wait_msg(&app.tg, u.id, m.message_id, |m| m.has_button("Confirm") && m.plain.contains("2\u{202f}000")).await;
    assert_eq!(app.oc.total_sends(), 1);
    assert_eq!(app.store().await.balances(u.id).await.unwrap().balance.get(), 4000);
}

#[tokio::test]
async fn buy_again_on_someone_elses_order_or_by_a_banned_user_moves_nothing() {
    let app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    let owner = app.customer_with(1704, "en", 5000).await;
    let other = app.customer_with(1705, "en", 5000).await;
    let receipt = delivered(&app, &owner).await;
    let data = receipt.buttons().into_iter().find(|b| b.0.contains("Buy again")).unwrap().1.unwrap();
    let store = app.store().await;
    let order = store.order_by_ref(&app.oc.topup_refs()[0]).await.unwrap().unwrap();
    assert_eq!(data, format!("ba:{}", order.id));

    // The other customer forges the owner's button, and one for an order that does not exist.
    let menu = app.tg.bot_messages(other.id).into_iter().find(|m| m.has_button("New order")).unwrap();
    for forged in [data.clone(), "ba:999999".to_owned()] {
        let q = app.tg.press(&other, menu.message_id, &forged);
        let answer = app.tg.wait_for(WAIT, |tg| tg.answered_callbacks().into_iter().find(|(id, _)| *id == q)).await;
        assert_eq!(answer.1.as_deref(), Some("This button is no longer active."), "{forged}");
    }
    // Banned, the owner's own button only gets the refusal.
    say(&app, &admin, "/ban 1704", |m| m.plain.contains("is banned")).await;
    let q = app.tg.press_button(&owner, receipt.message_id, "Buy again");
    let answer = app.tg.wait_for(WAIT, |tg| tg.answered_callbacks().into_iter().find(|(id, _)| *id == q)).await;
    assert!(answer.1.is_some_and(|t| t.contains("suspended")));
    // Everything those presses caused is in once the answer to a later message is.
    say(&app, &other, "/balance", |m| m.plain.contains("Available")).await;
    for u in [&owner, &other] {
        let summaries = app.tg.bot_messages(u.id).into_iter().filter(|m| m.has_button("Confirm")).count();
        assert_eq!(summaries, 0, "no summary for {}", u.id);
        assert_eq!(store.dialogue(u.id).await.unwrap(), None, "no step started for {}", u.id);
    }
    assert_eq!(app.oc.total_sends(), 1);
    assert_eq!(store.balances(other.id).await.unwrap().balance.get(), 5000);
    assert_eq!(store.balances(owner.id).await.unwrap().balance.get(), 4000);
}
