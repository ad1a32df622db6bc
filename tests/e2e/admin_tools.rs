//! Admin tools that move money or look at one order: the Confirm step of /credit and /debit, and
//! /lookup with its Recheck and Refund buttons, end to end.
use crate::support::flow::{money_preview, place, wait_last, wait_msg};
use crate::support::{ADMIN, BotMessage, Script, TestApp, TgUser, WAIT};
use netcard_bot::domain::{HoldState, OrderStatus};
use netcard_bot::store::LedgerKind;

/// The admin's next message after sending `text` (no preview expected).
async fn admin_says(app: &TestApp, text: &str) -> BotMessage {
    let admin = app.user(ADMIN, "en");
    let before = app.tg.bot_messages(ADMIN).len();
    app.tg.send_text(&admin, text);
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(ADMIN).into_iter().nth(before)).await
}

/// The callback data of the button whose label contains `label`.
fn data_of(m: &BotMessage, label: &str) -> String {
    m.buttons()
        .into_iter()
        .find(|(l, _)| l.contains(label))
        .and_then(|(_, d)| d)
        .unwrap_or_else(|| panic!("no {label:?} button on {:?}", m.buttons()))
}

/// Two presses of the same button before the bot answers either: a double tap.
fn double_tap(app: &TestApp, who: &TgUser, m: &BotMessage, label: &str) {
    let data = data_of(m, label);
    app.tg.press(who, m.message_id, &data);
    app.tg.press(who, m.message_id, &data);
}

/// The answer to `/lookup query` (admin alerts may arrive in between).
async fn lookup(app: &TestApp, query: &str) -> BotMessage {
    let admin = app.user(ADMIN, "en");
    let before = app.tg.bot_messages(ADMIN).len();
    app.tg.send_text(&admin, &format!("/lookup {query}"));
    let answer = |m: &BotMessage| m.plain.starts_with("🔎") || m.plain.starts_with("No order matches");
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(ADMIN).into_iter().skip(before).find(|m| answer(m))).await
}

#[tokio::test]
async fn credit_and_debit_wait_for_confirm_and_move_money_once() {
    let mut app = TestApp::start().await;
    let u = app.customer_with(3101, "en", 0).await;
    let admin = app.user(ADMIN, "en");
    let store = app.store().await;

    // The preview names the customer and both balances; nothing moves yet.
    let preview = money_preview(&app.tg, &admin, "/credit 3101 1 500 cash at the shop").await;
    for part in
        ["User3101", "3101", "Balance now: 0\u{a0}DA", "Balance after: 1\u{202f}500\u{a0}DA", "Note: cash at the shop"]
    {
        assert!(preview.plain.contains(part), "{part}: {}", preview.plain);
    }
    assert!(preview.has_button("Cancel"));
    assert_eq!(store.balances(3101).await.unwrap().balance.get(), 0, "a preview moves nothing");

    // A double tap on Confirm moves the money once.
    double_tap(&app, &admin, &preview, "Confirm");
    let done = wait_msg(&app.tg, ADMIN, preview.message_id, |m| m.plain.contains("Credited")).await;
    assert!(done.plain.contains("New balance: 1\u{202f}500\u{a0}DA") && !done.has_button("Confirm"), "{}", done.plain);
    wait_last(&app.tg, ADMIN, |m| m.plain.contains("already confirmed or cancelled")).await;
    assert_eq!(store.balances(3101).await.unwrap().balance.get(), 1500);
    assert_eq!(store.recent_ledger(3101, 10).await.unwrap().len(), 1);
    let told = app.tg.bot_messages(u.id).into_iter().filter(|m| m.plain.contains("topped up")).count();
    assert_eq!(told, 1, "the customer is told once");

    // Cancel moves nothing, and the cancelled preview's Confirm is gone.
    let preview = money_preview(&app.tg, &admin, "/debit 3101 500").await;
    assert!(preview.plain.contains("Balance after: 1\u{202f}000\u{a0}DA"), "{}", preview.plain);
    let confirm = data_of(&preview, "Confirm");
    app.tg.press_button(&admin, preview.message_id, "Cancel");
    wait_msg(&app.tg, ADMIN, preview.message_id, |m| m.plain.contains("Cancelled: no money moved")).await;
    app.tg.press(&admin, preview.message_id, &confirm);
    app.tg
        .wait_for(WAIT, |tg| {
            tg.answered_callbacks()
                .iter()
                .any(|(_, t)| t.as_deref().is_some_and(|t| t.contains("no longer active")))
                .then_some(())
        })
        .await;
    assert_eq!(store.balances(3101).await.unwrap().balance.get(), 1500);

    // A debit beyond the balance is refused at once, with no button to press.
    let refused = admin_says(&app, "/debit 3101 2 000").await;
    assert!(refused.plain.contains("Refused: the balance only has 1\u{202f}500\u{a0}DA"), "{}", refused.plain);
    assert!(!refused.has_button("Confirm"));

    // The pending action is a row: a Confirm pressed after a restart still moves the money once.
    let preview = money_preview(&app.tg, &admin, "/credit 3101 100").await;
    app.restart().await;
    double_tap(&app, &admin, &preview, "Confirm");
    wait_msg(&app.tg, ADMIN, preview.message_id, |m| m.plain.contains("New balance: 1\u{202f}600\u{a0}DA")).await;
    assert_eq!(store.balances(3101).await.unwrap().balance.get(), 1600);
    let ledger = store.recent_ledger(3101, 10).await.unwrap();
    assert_eq!(ledger.len(), 2);
    assert!(ledger.iter().all(|e| e.admin_id == Some(ADMIN) && e.kind == LedgerKind::Credit));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn setprice_reads_prices_as_credit_reads_amounts() {
    let app = TestApp::start().await;
    let reply = admin_says(&app, "/setprice ADSL 1000 1 100").await.plain;
    assert!(reply.contains("1\u{202f}100\u{a0}DA") && reply.contains("margin 120\u{a0}DA"), "{reply}");
    let reply = admin_says(&app, "/setprice ADSL 1000 1.050 DA reseller").await.plain;
    assert!(reply.contains("1\u{202f}050\u{a0}DA") && reply.contains("resellers"), "{reply}");
    for (bad, why) in [("/setprice ADSL 1000 1100.00", "no decimal part"), ("/setprice ADSL 1000 1 10", "group")] {
        let reply = admin_says(&app, bad).await.plain;
        assert!(reply.contains(why) && reply.contains("Usage"), "{bad}: {reply}");
    }
    assert!(admin_says(&app, "/setprice ADSL 1000 1100 wholesale").await.plain.contains("Usage"));
}

#[tokio::test]
async fn lookup_pages_through_orders_and_never_shows_the_code() {
    let app = TestApp::start().await;
    app.oc.script("036000011", Script::Manual);
    let u = app.customer_with(3201, "en", 5000).await;
    let delivered = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    wait_msg(&app.tg, u.id, delivered, |m| m.plain.contains("delivered")).await;
    let open = place(&app.tg, &u, "ADSL", "036000011", 500).await;
    wait_msg(&app.tg, u.id, open, |m| m.plain.contains("being processed")).await;
    let store = app.store().await;
    wait_status(&store, 2, OrderStatus::Handling).await;
    let (first, _) = store.lookup_orders(&parse("3201"), 1).await.unwrap();
    let first = first.unwrap();
    let code = app.oc.card_code_for(&first.r#ref).expect("delivered with a code");

    // By user id: newest first, one order a page.
    let m = lookup(&app, "3201").await;
    for part in
        ["Order #2 (1 of 2)", "Status: HANDLING", "036000011", "Customer: User3201 (3201)", "Reserved price: reserved"]
    {
        assert!(m.plain.contains(part), "{part}: {}", m.plain);
    }
    let open_history: Vec<String> =
        status_history(&m).into_iter().map(|l| l[l.find(" · ").unwrap()..].to_owned()).collect();
    assert_eq!(open_history, vec![" · PLACED (processing)", " · HANDLING (processing)"], "{}", m.plain);
    assert!(m.has_button("Recheck now") && m.has_button("Refund") && m.has_button("Next"), "{:?}", m.buttons());
    app.tg.press_button(&app.user(ADMIN, "en"), m.message_id, "Next");
    let page = wait_msg(&app.tg, ADMIN, m.message_id, |m| m.plain.contains("(2 of 2)")).await;
    for part in [
        "Order #1",
        "Status: FULFILLED",
        "OneClickDZ status: FULFILLED",
        "Reserved price: paid for the card",
        "Balance movements",
    ] {
        assert!(page.plain.contains(part), "{part}: {}", page.plain);
    }
    // The statuses it went through, each with its Algiers time, as the database recorded them.
    let history = store.order_status_history(first.id).await.unwrap();
    let seen: Vec<OrderStatus> = history.iter().map(|c| c.status).collect();
    assert_eq!(seen.first(), Some(&OrderStatus::Placed), "{seen:?}");
    assert_eq!(seen.last(), Some(&OrderStatus::Fulfilled), "{seen:?}");
    let label = |s: OrderStatus| match s {
        OrderStatus::Fulfilled => "delivered",
        _ => "processing",
    };
    let want: Vec<String> = history
        .iter()
        .map(|c| format!("• {} · {} ({})", netcard_bot::i18n::local_ms(c.at), c.status.as_str(), label(c.status)))
        .collect();
    assert_eq!(status_history(&page), want, "{}", page.plain);
    for line in &want {
        let date: Vec<u8> = line.bytes().skip("• ".len()).take(16).collect();
        let shape: String = date.iter().map(|b| if b.is_ascii_digit() { 'd' } else { *b as char }).collect();
        assert_eq!(shape, "dd/dd/dddd dd:dd", "dd/mm/yyyy HH:MM: {line}");
    }
    let num_trans = first.num_trans.clone().expect("a transaction number");
    assert!(page.plain.contains(&format!("Transaction number: {num_trans}")), "{}", page.plain);
    assert!(!page.text.contains(&code), "the card code is never shown");
    assert!(!page.has_button("Refund"), "never for a delivered order: {:?}", page.buttons());
    assert!(page.has_button("Previous"));

    // By ref, by number, by order id; then nothing, then no query.
    assert!(lookup(&app, &first.r#ref).await.plain.contains("Order #1 (1 of 1)"));
    assert!(lookup(&app, "036000011").await.plain.contains("Order #2 (1 of 1)"));
    assert!(lookup(&app, "#1").await.plain.contains("Order #1 (1 of 1)"));
    assert!(lookup(&app, "nc-none").await.plain.contains("No order matches nc-none"));
    assert!(admin_says(&app, "/lookup").await.plain.contains("Usage: /lookup"));

    // Anyone else gets the unknown-command answer.
    app.tg.send_text(&u, "/nonsense");
    let unknown = wait_last(&app.tg, u.id, |m| m.plain.contains("don't know")).await.plain;
    app.tg.send_text(&u, "/lookup 3201");
    let answers = |tg: &testkit::FakeTelegram| tg.bot_messages(u.id).into_iter().filter(|m| m.plain == unknown).count();
    app.tg.wait_for(WAIT, |tg| (answers(tg) == 2).then_some(())).await;
    assert!(app.tg.bot_messages(u.id).iter().all(|m| !m.plain.contains("Customer:")), "nothing revealed");
}

/// The lines under "Status history" in a lookup answer.
fn status_history(m: &BotMessage) -> Vec<String> {
    let lines = m.plain.lines().skip_while(|l| *l != "Status history").skip(1);
    lines.take_while(|l| l.starts_with('•')).map(str::to_owned).collect()
}

/// Waits until the order's status in the table is `status`.
async fn wait_status(store: &netcard_bot::store::Store, id: i64, status: OrderStatus) {
    for _ in 0..200 {
        if store.order(id).await.unwrap().is_some_and(|o| o.status == status) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("order {id} never reached {status}");
}

fn parse(q: &str) -> netcard_bot::store::lookup::LookupQuery {
    netcard_bot::store::lookup::LookupQuery::parse(q).unwrap()
}

/// With polls an hour apart, Recheck now is what makes the bot ask OneClickDZ again.
#[tokio::test]
async fn recheck_now_asks_oneclick_at_once() {
    let app = TestApp::start_with(&[("ORDER_FAST_POLL_WINDOW_SECS", "0.01"), ("QUEUED_RECHECK_SECS", "3600")]).await;
    app.oc.script("036000012", Script::Manual);
    let u = app.customer_with(3301, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", "036000012", 1000).await;
    let r = app.oc.wait_for(WAIT, |oc| oc.topup_refs().first().cloned()).await;
    let store = app.store().await;
    // Sent, and the next look is an hour away.
    let mut order = store.order_by_ref(&r).await.unwrap().unwrap();
    for _ in 0..100 {
        if order.send_attempted_at.is_some()
            && order.next_check_at.unwrap_or(0) > netcard_bot::store::now_ms() + 600_000
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        order = store.order_by_ref(&r).await.unwrap().unwrap();
    }
    assert!(order.next_check_at.unwrap() > netcard_bot::store::now_ms() + 600_000, "{order:?}");
    app.oc.set_status(&r, "FULFILLED");
    let checks = app.oc.check_count(&r);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.oc.check_count(&r), checks, "nothing asks before the button");

    let m = lookup(&app, &r).await;
    app.tg.press_button(&app.user(ADMIN, "en"), m.message_id, "Recheck now");
    wait_last(&app.tg, ADMIN, |m| m.plain.contains("checking with OneClickDZ now")).await;
    let code = app.oc.card_code_for(&r).unwrap();
    wait_msg(&app.tg, u.id, id, |m| m.text.contains(&code)).await;
    assert_eq!(app.oc.send_count(&r), 1, "a recheck never sends again");
}

#[tokio::test]
async fn an_admin_refund_asks_twice_names_the_risk_and_moves_once() {
    let app = TestApp::start().await;
    app.oc.script("036000013", Script::Manual);
    app.oc.script("036000014", Script::Manual);
    let admin = app.user(ADMIN, "en");
    let u = app.customer_with(3401, "en", 3000).await;
    let refunded = place(&app.tg, &u, "ADSL", "036000013", 1000).await;
    wait_msg(&app.tg, u.id, refunded, |m| m.plain.contains("being processed")).await;
    let kept = place(&app.tg, &u, "ADSL", "036000014", 500).await;
    wait_msg(&app.tg, u.id, kept, |m| m.plain.contains("being processed")).await;
    let store = app.store().await;
    wait_status(&store, 1, OrderStatus::Handling).await;
    wait_status(&store, 2, OrderStatus::Handling).await;
    assert_eq!(store.balances(3401).await.unwrap().held.get(), 1500);

    // Keep: nothing moves.
    let m = lookup(&app, "036000014").await;
    app.tg.press_button(&admin, m.message_id, "Refund");
    let ask = wait_last(&app.tg, ADMIN, |m| m.has_button("Yes, refund")).await;
    app.tg.press_button(&admin, ask.message_id, "Keep the order");
    wait_msg(&app.tg, ADMIN, ask.message_id, |m| m.plain.contains("Nothing refunded")).await;
    assert_eq!(store.balances(3401).await.unwrap().held.get(), 1500);

    // Refund: the second confirmation names the risk; a double tap refunds once.
    let m = lookup(&app, "036000013").await;
    app.tg.press_button(&admin, m.message_id, "Refund");
    let ask = wait_last(&app.tg, ADMIN, |m| m.has_button("Yes, refund")).await;
    assert!(ask.plain.contains("Only if OneClickDZ confirms it will not be delivered"), "{}", ask.plain);
    assert!(ask.plain.contains("1\u{202f}000\u{a0}DA back to the balance of User3401"), "{}", ask.plain);
    assert_eq!(store.balances(3401).await.unwrap().held.get(), 1500, "asking moves nothing");
    double_tap(&app, &admin, &ask, "Yes, refund");
    let done = wait_msg(&app.tg, ADMIN, ask.message_id, |m| m.plain.contains("refunded")).await;
    assert!(done.plain.contains("Balance: 2\u{202f}500\u{a0}DA"), "{}", done.plain);
    wait_last(&app.tg, ADMIN, |m| m.plain.contains("Nothing refunded: order #1 is already REFUNDED")).await;
    // The customer is told on the order's own message.
    wait_msg(&app.tg, u.id, refunded, |m| m.plain.contains("refunded")).await;

    let b = store.balances(3401).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (2500, 500));
    let order = store.order(1).await.unwrap().unwrap();
    assert_eq!((order.status, order.hold_state), (OrderStatus::Refunded, HoldState::Released));
    let rows = store.order_ledger(1).await.unwrap();
    assert_eq!(rows.iter().map(|e| e.kind).collect::<Vec<_>>(), vec![LedgerKind::Hold, LedgerKind::Release]);
    assert_eq!(rows[1].admin_id, Some(ADMIN));
    assert!(rows[1].note.as_deref().unwrap_or_default().contains(&ADMIN.to_string()), "{:?}", rows[1].note);
    assert!(store.ledger_mismatches().await.unwrap().is_empty());

    // The refunded order offers no Refund any more; the lookup shows who refunded it.
    let m = lookup(&app, "036000013").await;
    assert!(!m.has_button("Refund"), "{:?}", m.buttons());
    assert!(m.plain.contains("Status: REFUNDED") && m.plain.contains(&format!("admin {ADMIN}")), "{}", m.plain);
    let history = status_history(&m);
    assert!(history.last().is_some_and(|l| l.ends_with(" · REFUNDED (refunded)")), "{history:?}");
}
