//! The customer's order, end to end over HTTP.
#![allow(unused_imports)]
use crate::support::flow::{place, to_confirm, wait_last, wait_msg};
use crate::support::{ADMIN, Script, TestApp, WAIT};

#[tokio::test]
async fn adsl_order_is_fulfilled_and_the_code_delivered() {
    let app = TestApp::start().await;
    let u = app.customer_with(1001, "en", 5000).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    for needle in ["036362608", "1\u{202f}000\u{a0}DA", "5\u{202f}000\u{a0}DA", "4\u{202f}000\u{a0}DA"] {
        assert!(summary.plain.contains(needle), "summary lacks {needle:?}: {}", summary.plain);
    }
    assert!(summary.has_button("Back") && summary.has_button("Cancel"));
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let receipt = wait_last(&app.tg, u.id, |m| m.plain.contains("delivered")).await;
    let r = app.oc.topup_refs();
    assert_eq!(r.len(), 1);
    let code = app.oc.card_code_for(&r[0]).expect("fulfilled upstream");
    assert!(receipt.text.contains(&format!("<code>{code}</code>")), "{}", receipt.text);
    assert_eq!(receipt.copy_text_buttons(), vec![code.clone()]);
    assert!(receipt.plain.contains("AT-TEST-"), "num_trans shown: {}", receipt.plain);
    assert_eq!(receipt.message_id, summary.message_id, "the order message itself became the receipt");
    assert_eq!(app.oc.send_count(&r[0]), 1);
    let store = app.store().await;
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (4000, 0));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn four_g_number_typed_locally_is_normalised_and_fulfilled() {
    let app = TestApp::start().await;
    let u = app.customer_with(1002, "en", 3000).await;
    let summary = to_confirm(&app.tg, &u, "4G", "0661 23-45 67", 1500).await;
    assert!(summary.plain.contains("213661234567"), "{}", summary.plain);
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let receipt = wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("delivered")).await;
    assert!(receipt.plain.contains("213661234567"));
    let sends: Vec<_> = app.oc.requests().into_iter().filter(|r| r.1.contains("/internet/send")).collect();
    assert_eq!(sends.len(), 1);
    let checked =
        app.oc.requests().into_iter().any(|r| r.1.contains("check-number") && r.1.contains("number=213661234567"));
    assert!(checked, "OneClickDZ was asked about the normalised number");
}

#[tokio::test]
async fn queued_order_is_delivered_later_in_a_new_message() {
    let app = TestApp::start().await;
    app.oc.script("036000001", Script::Queue { after_checks: 0 });
    let u = app.customer_with(1003, "en", 2000).await;
    let id = place(&app.tg, &u, "ADSL", "036000001", 1000).await;
    let queued = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("queued")).await;
    assert!(queued.plain.contains("not a failure") && queued.plain.contains("12 to 48 hours"), "{}", queued.plain);
    let store = app.store().await;
    assert_eq!(store.balances(u.id).await.unwrap().held.get(), 1000, "money stays reserved while queued");
    let r = app.oc.topup_refs()[0].clone();
    app.oc.set_status(&r, "FULFILLED");
    let code = app.oc.card_code_for(&r).unwrap();
    let receipt = app.tg.wait_message(u.id, WAIT, |m| m.message_id != id && m.text.contains(&code)).await;
    assert!(receipt.plain.contains("delivered"));
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("see the receipt below")).await;
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (1000, 0));
    assert_eq!(app.oc.send_count(&r), 1);
}

/// The order message can no longer be edited (deleted, or too old): the card comes in a new one.
#[tokio::test]
async fn a_receipt_whose_message_is_gone_is_sent_anew() {
    let app = TestApp::start().await;
    app.oc.script("036000002", Script::Manual);
    let u = app.customer_with(1007, "en", 2000).await;
    let id = place(&app.tg, &u, "ADSL", "036000002", 1000).await;
    let r = app.oc.wait_for(WAIT, |oc| oc.topup_refs().first().cloned()).await;
    let store = app.store().await;
    // Only the receipt's edit is refused: the send's answer has been recorded and told.
    let mut told = false;
    for _ in 0..200 {
        let o = store.order_by_ref(&r).await.unwrap().unwrap();
        told = o.status == netcard_bot::domain::OrderStatus::Handling && !o.notify_pending;
        if told {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(told, "the order should be HANDLING, with nothing left to tell");
    app.tg.inject_error("editMessageText", 1, 400, "Bad Request: message to edit not found", None);
    app.oc.set_status(&r, "FULFILLED");
    let code = app.oc.card_code_for(&r).unwrap();
    let receipt = app.tg.wait_message(u.id, WAIT, |m| m.text.contains(&code)).await;
    assert_ne!(receipt.message_id, id, "a new message, since the old one could not be edited");
    assert!(receipt.plain.contains("delivered"), "{}", receipt.plain);
    assert_eq!(receipt.copy_text_buttons(), vec![code.clone()]);
    let old = app.tg.bot_messages(u.id).into_iter().find(|m| m.message_id == id).unwrap();
    assert!(!old.text.contains(&code), "the refused edit changed nothing: {}", old.text);
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (1000, 0));
    assert_eq!(app.oc.send_count(&r), 1);
}

#[tokio::test]
async fn refunded_order_restores_the_wallet() {
    let app = TestApp::start().await;
    app.oc.script("036000002", Script::Refund { after_checks: 1 });
    let u = app.customer_with(1004, "en", 2000).await;
    let id = place(&app.tg, &u, "ADSL", "036000002", 2000).await;
    let m = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("refunded")).await;
    assert!(m.plain.contains("Balance: 2\u{202f}000\u{a0}DA"), "{}", m.plain);
    let store = app.store().await;
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (2000, 0));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
    // Admins hear of refunds.
    app.tg.wait_message(ADMIN, WAIT, |m| m.plain.contains("REFUNDED")).await;
}

#[tokio::test]
async fn invalid_numbers_are_caught_locally_and_by_oneclick() {
    let app = TestApp::start().await;
    let u = app.customer_with(1005, "en", 2000).await;
    app.tg.send_text(&u, "/order");
    let m = wait_last(&app.tg, u.id, |m| m.has_button("ADSL")).await;
    app.tg.press_button(&u, m.message_id, "ADSL");
    wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("phone number")).await;
    app.tg.send_text(&u, "12345");
    wait_last(&app.tg, u.id, |m| m.plain.contains("9 digits")).await;
    app.tg.send_sticker(&u);
    wait_last(&app.tg, u.id, |m| m.plain.contains("send it as text")).await;
    assert_eq!(app.oc.request_count("check-number"), 0, "a malformed number never reaches the API");
    app.oc.mark_invalid_number("036999999");
    app.tg.send_text(&u, "036999999");
    wait_last(&app.tg, u.id, |m| m.plain.contains("does not recognise")).await;
    assert_eq!(app.oc.request_count("check-number"), 1);
    // Still at the number step: a good number now goes on to the values.
    app.tg.send_text(&u, "036362608");
    wait_last(&app.tg, u.id, |m| m.has_button("1\u{202f}000\u{a0}DA")).await;
    assert_eq!(app.oc.total_sends(), 0);
}

/// "typing…" appears only when checking the number takes long enough to notice.
#[tokio::test]
async fn a_slow_number_check_shows_typing_and_a_quick_one_does_not() {
    let app = TestApp::start().await;
    let u = app.customer_with(1017, "en", 5000).await;
    async fn number_step(app: &TestApp, u: &crate::support::TgUser) {
        app.tg.send_text(u, "/order");
        let m = wait_last(&app.tg, u.id, |m| m.has_button("ADSL")).await;
        app.tg.press_button(u, m.message_id, "ADSL");
        wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("phone number")).await;
    }
    number_step(&app, &u).await;
    app.tg.send_text(&u, "036362608");
    wait_last(&app.tg, u.id, |m| m.has_button("1\u{202f}000\u{a0}DA")).await;
    assert_eq!(app.tg.call_count("sendChatAction"), 0, "a quick check needs no typing");

    number_step(&app, &u).await;
    app.oc.inject_delay("check-number", 1, std::time::Duration::from_millis(800));
    app.tg.send_text(&u, "036362608");
    wait_last(&app.tg, u.id, |m| m.has_button("1\u{202f}000\u{a0}DA")).await;
    let typing = app.tg.calls_to("sendChatAction");
    assert_eq!(typing.len(), 1, "one typing while the check runs");
    assert_eq!(typing[0].body["action"], "typing");
    assert_eq!(typing[0].body["chat_id"], u.id);
}

#[tokio::test]
async fn a_value_gone_out_of_stock_before_confirm_is_refused() {
    let app = TestApp::start().await;
    let u = app.customer_with(1006, "en", 5000).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 2000).await;
    app.oc.set_available("ADSL", 2000, false);
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let m = wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("no longer available")).await;
    assert!(!m.has_button("2\u{202f}000\u{a0}DA") && m.has_button("1\u{202f}000\u{a0}DA"), "{:?}", m.buttons());
    assert_eq!(app.oc.total_sends(), 0);
    assert_eq!(app.store().await.balances(u.id).await.unwrap().balance.get(), 5000);
}

#[tokio::test]
async fn double_confirm_submits_once() {
    let app = TestApp::start().await;
    let u = app.customer_with(1007, "en", 5000).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    let data = summary.buttons().into_iter().find(|b| b.0.contains("Confirm")).unwrap().1.unwrap();
    // Two presses (two devices, or a replay) queued before the bot sees either.
    app.tg.press(&u, summary.message_id, &data);
    app.tg.press(&u, summary.message_id, &data);
    wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("delivered")).await;
    app.tg.press(&u, summary.message_id, &data);
    app.tg
        .wait_for(WAIT, |tg| {
            (tg.answered_callbacks()
                .iter()
                .filter(|a| a.1.as_deref() == Some("This button is no longer active."))
                .count()
                >= 2)
                .then_some(())
        })
        .await;
    assert_eq!(app.oc.total_sends(), 1);
    let store = app.store().await;
    assert_eq!(store.count_orders_of_user(u.id).await.unwrap(), 1);
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 4000);
}

#[tokio::test]
async fn a_send_that_times_out_is_reconciled_not_resent() {
    let app = TestApp::start().await;
    app.oc.send_accept_then_timeout(1, std::time::Duration::from_secs(3));
    let u = app.customer_with(1008, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    let m = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
    let r = app.oc.topup_refs()[0].clone();
    assert!(m.text.contains(&app.oc.card_code_for(&r).unwrap()));
    assert_eq!(app.oc.send_count(&r), 1, "the unknown outcome was never resent");
    assert!(app.oc.request_count("check-ref") >= 1, "reconciled by ref");
}

#[tokio::test]
async fn a_send_that_never_arrived_is_released_after_reconciliation() {
    let app = TestApp::start().await;
    // The request is delayed before processing and abandoned by our client: nothing exists upstream.
    app.oc.inject_delay("send", 1, std::time::Duration::from_secs(3));
    let u = app.customer_with(1009, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    let m = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("refunded")).await;
    assert!(m.plain.contains("could not be submitted"), "{}", m.plain);
    let store = app.store().await;
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (5000, 0));
    assert!(app.oc.request_count("check-ref") >= 1);
    assert_eq!(app.oc.request_count("send"), 1);
}

#[tokio::test]
async fn definite_refusal_releases_and_blames_nobody_but_the_shop() {
    let app = TestApp::start().await;
    app.oc.inject_error("send", 1, 403, serde_json::json!({"success": false, "error": {"code": "INSUFFICIENT_BALANCE", "message": "Insufficient balance"}}));
    let u = app.customer_with(1010, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    let m = wait_msg(&app.tg, u.id, id, |m| m.plain.contains("refunded")).await;
    assert!(m.plain.contains("temporarily unavailable"), "{}", m.plain);
    assert!(!m.plain.to_lowercase().contains("insufficient"), "the shop's balance problem is not the customer's");
    app.tg.wait_message(ADMIN, WAIT, |m| m.plain.contains("refused order")).await;
    assert_eq!(app.store().await.balances(u.id).await.unwrap().balance.get(), 5000);
}

#[tokio::test]
async fn not_enough_balance_places_nothing_and_says_how_much_is_missing() {
    let app = TestApp::start().await;
    let u = app.customer_with(1011, "en", 700).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    assert!(summary.plain.contains("short by 300\u{a0}DA"), "{}", summary.plain);
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let m = wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("Not enough balance")).await;
    assert!(m.plain.contains("Missing: 300\u{a0}DA") && m.plain.contains("@shop_support"), "{}", m.plain);
    assert!(!m.has_button("Confirm"));
    assert_eq!(app.oc.total_sends(), 0);
    assert_eq!(app.store().await.count_orders_of_user(u.id).await.unwrap(), 0);
}

#[tokio::test]
async fn tampered_and_stale_buttons_change_nothing() {
    let app = TestApp::start().await;
    let u = app.customer_with(1012, "en", 5000).await;
    app.tg.send_text(&u, "/order");
    let first = wait_last(&app.tg, u.id, |m| m.has_button("ADSL")).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    let before = app.tg.bot_messages(u.id);
    app.tg.press(&u, summary.message_id, "v:999999");
    app.tg.press(&u, summary.message_id, "ok;DROP TABLE");
    app.tg.press_button(&u, first.message_id, "4G");
    app.tg
        .wait_for(WAIT, |tg| {
            (tg.answered_callbacks()
                .iter()
                .filter(|a| a.1.as_deref() == Some("This button is no longer active."))
                .count()
                >= 3)
                .then_some(())
        })
        .await;
    assert_eq!(app.tg.bot_messages(u.id), before, "no message changed");
    // The real confirm still works: the state was left valid.
    app.tg.press_button(&u, summary.message_id, "Confirm");
    wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("delivered")).await;
    assert_eq!(app.oc.total_sends(), 1);
}

#[tokio::test]
async fn back_and_cancel_move_through_the_wizard() {
    let app = TestApp::start().await;
    let u = app.customer_with(1013, "en", 5000).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    app.tg.press_button(&u, summary.message_id, "Back");
    let values = wait_msg(&app.tg, u.id, summary.message_id, |m| m.has_button("2\u{202f}000\u{a0}DA")).await;
    app.tg.press_button(&u, values.message_id, "Back");
    let number = wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("phone number")).await;
    assert!(number.has_button("Back") && number.has_button("Cancel"));
    app.tg.press_button(&u, number.message_id, "Cancel");
    wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("Cancelled")).await;
    app.tg.send_text(&u, "/order");
    wait_last(&app.tg, u.id, |m| m.has_button("ADSL")).await;
    app.tg.send_text(&u, "/cancel");
    wait_last(&app.tg, u.id, |m| m.plain.contains("Cancelled")).await;
    app.tg.send_text(&u, "036362608");
    wait_last(&app.tg, u.id, |m| m.plain.contains("didn't understand")).await;
    assert_eq!(app.oc.total_sends(), 0);
}

#[tokio::test]
async fn order_history_shows_the_code_again_to_its_owner_only() {
    let app = TestApp::start().await;
    let u = app.customer_with(1014, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
    let code = app.oc.card_code_for(&app.oc.topup_refs()[0]).unwrap();
    // The number bought for is offered again at the next order.
    app.tg.send_text(&u, "/order");
    let m = wait_last(&app.tg, u.id, |m| m.has_button("ADSL") && m.message_id != id).await;
    app.tg.press_button(&u, m.message_id, "ADSL");
    let step = wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("phone number")).await;
    assert!(step.has_button("036362608"), "{:?}", step.buttons());
    app.tg.send_text(&u, "/cancel");
    app.tg.send_text(&u, "/orders");
    let list = wait_last(&app.tg, u.id, |m| m.plain.contains("Your orders")).await;
    // Order buttons are short: status icon, type, value, day (the order number is on the order).
    let (label, data) =
        list.buttons().into_iter().find(|b| b.1.as_deref().is_some_and(|d| d.starts_with("o:"))).unwrap();
    assert!(label.starts_with("✅ ADSL 1\u{202f}000\u{a0}DA"), "{label}");
    app.tg.press(&u, list.message_id, data.as_deref().unwrap());
    let again = wait_last(&app.tg, u.id, |m| m.message_id != id && m.text.contains(&code)).await;
    assert_eq!(again.copy_text_buttons(), vec![code.clone()]);
    // Someone else pressing the same payload gets nothing.
    let other = app.customer_with(1015, "en", 0).await;
    app.tg.send_text(&other, "/orders");
    let theirs = wait_last(&app.tg, other.id, |m| m.plain.contains("no orders")).await;
    let q = app.tg.press(&other, theirs.message_id, data.as_deref().unwrap());
    app.tg
        .wait_for(WAIT, |tg| {
            tg.answered_callbacks()
                .into_iter()
                .find(|a| a.0 == q)
                .filter(|a| a.1.as_deref() == Some("This button is no longer active."))
        })
        .await;
    assert!(app.tg.bot_messages(other.id).iter().all(|m| !m.text.contains(&code)));
}

#[tokio::test]
async fn order_history_is_paged() {
    let app = TestApp::start().await;
    let u = app.customer_with(1016, "en", 10_000).await;
    let store = app.store().await;
    for i in 0..7 {
        let o = netcard_bot::store::NewOrder {
            r#ref: format!("hist-{i}"),
            user_id: u.id,
            chat_id: u.id,
            message_id: None,
            card_type: netcard_bot::domain::CardType::Adsl,
            number: format!("03100000{i}"),
            value: netcard_bot::domain::Dinars(500),
            price: netcard_bot::domain::Dinars(500),
            cost: Some(netcard_bot::domain::Dinars(490)),
            fast_window_ms: 1,
        };
        let placed = store.place_order_with_hold(&o).await.unwrap();
        assert!(matches!(placed, netcard_bot::store::PlaceOutcome::Placed { .. }));
    }
    app.tg.send_text(&u, "/orders");
    let first = wait_last(&app.tg, u.id, |m| m.plain.contains("page 1 of 2")).await;
    let order_button = |b: &(String, Option<String>)| b.1.as_deref().is_some_and(|d| d.starts_with("o:"));
    let ids: Vec<_> = first.buttons().into_iter().filter(order_button).collect();
    assert_eq!(ids.len(), 5);
    assert_eq!(ids[0].1.as_deref(), Some("o:7"), "newest first: {ids:?}");
    assert!(!first.has_button("Previous"));
    app.tg.press_button(&u, first.message_id, "Next");
    let second = wait_msg(&app.tg, u.id, first.message_id, |m| m.plain.contains("page 2 of 2")).await;
    let ids: Vec<_> = second.buttons().into_iter().filter(order_button).collect();
    assert_eq!(ids.len(), 2);
    assert!(second.has_button("Previous") && !second.has_button("Next"));
}
