//! Wallets, prices, roles and /balance, end to end.
use crate::support::flow::{money_confirmed, place, to_confirm, wait_last, wait_msg};
use crate::support::{ADMIN, TestApp, WAIT};

async fn admin_says(app: &TestApp, text: &str) -> String {
    let admin = app.user(ADMIN, "en");
    let before = app.tg.bot_messages(ADMIN).len();
    app.tg.send_text(&admin, text);
    app.tg
        .wait_for(WAIT, |tg| {
            let msgs = tg.bot_messages(ADMIN);
            (msgs.len() > before).then(|| msgs.last().unwrap().plain.clone())
        })
        .await
}

#[tokio::test]
async fn admin_credits_and_debits_and_the_customer_is_told() {
    let app = TestApp::start().await;
    let u = app.customer_with(3001, "en", 0).await;
    let admin = app.user(ADMIN, "en");
    let reply = money_confirmed(&app.tg, &admin, "/credit 3001 2500 paid cash").await;
    assert!(
        reply.contains("Credited 2\u{202f}500\u{a0}DA") && reply.contains("New balance: 2\u{202f}500\u{a0}DA"),
        "{reply}"
    );
    wait_last(&app.tg, u.id, |m| m.plain.contains("topped up with 2\u{202f}500\u{a0}DA")).await;
    let reply = money_confirmed(&app.tg, &admin, "/debit 3001 500").await;
    assert!(reply.contains("New balance: 2\u{202f}000\u{a0}DA"), "{reply}");
    let reply = admin_says(&app, "/debit 3001 9000").await;
    assert!(reply.contains("Refused"), "{reply}");
    for bad in ["/credit", "/credit abc 100", "/credit 3001 -5", "/credit 3001 0"] {
        let reply = admin_says(&app, bad).await;
        assert!(reply.contains("Usage"), "{bad}: {reply}");
    }
    let reply = admin_says(&app, "/credit 99999 100").await;
    assert!(reply.contains("No user"), "{reply}");
    let store = app.store().await;
    assert_eq!(store.balances(3001).await.unwrap().balance.get(), 2000);
    let ledger = store.recent_ledger(3001, 10).await.unwrap();
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger[1].note.as_deref(), Some("paid cash"));
    assert_eq!(ledger[1].admin_id, Some(ADMIN));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}

#[tokio::test]
async fn admin_commands_from_a_customer_reveal_nothing() {
    let app = TestApp::start().await;
    let u = app.customer_with(3002, "en", 0).await;
    app.tg.send_text(&u, "/nonsense");
    let unknown = wait_last(&app.tg, u.id, |m| m.plain.contains("don't know")).await.plain;
    for cmd in [
        "/credit 3002 100000",
        "/debit 3002 1",
        "/setrole 3002 reseller",
        "/user 3002",
        "/setprice ADSL 1000 1",
        "/stats",
    ] {
        let before = app.tg.bot_messages(u.id).len();
        app.tg.send_text(&u, cmd);
        let reply = app
            .tg
            .wait_for(WAIT, |tg| {
                let m = tg.bot_messages(u.id);
                (m.len() > before).then(|| m.last().unwrap().plain.clone())
            })
            .await;
        assert_eq!(reply, unknown, "{cmd}");
    }
    let store = app.store().await;
    assert_eq!(store.balances(3002).await.unwrap().balance.get(), 0);
    assert_eq!(store.user(3002).await.unwrap().unwrap().role, netcard_bot::domain::Role::Customer);
}

#[tokio::test]
async fn balance_for_customer_reseller_and_admin() {
    let app = TestApp::start().await;
    // The fake charges the card's cost (980) on the order below: 12 345.67 − 980 → 11 365 shown.
    app.oc.set_balance(12_345.67);
    let u = app.customer_with(3003, "en", 3000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
    app.tg.send_text(&u, "/balance");
    let b = wait_last(&app.tg, u.id, |m| m.plain.contains("Your balance")).await.plain;
    assert!(
        b.contains("Available: 2\u{202f}000\u{a0}DA") && b.contains("Reserved by orders in progress: 0\u{a0}DA"),
        "{b}"
    );
    assert!(
        b.contains("+3\u{202f}000\u{a0}DA balance top-up")
            && b.contains("paid for order #1")
            && b.contains("@shop_support"),
        "{b}"
    );
    assert!(!b.contains("OneClickDZ"), "customers never see the shop's account");
    assert!(b.contains("customer"), "{b}");

    admin_says(&app, "/setrole 3003 reseller").await;
    app.tg.send_text(&u, "/balance");
    let b = wait_last(&app.tg, u.id, |m| m.plain.contains("Your balance") && m.plain.contains("reseller")).await.plain;
    assert!(!b.contains("OneClickDZ"), "{b}");

    let admin_view = admin_says(&app, "/balance").await;
    assert!(admin_view.contains("OneClickDZ balance: 11\u{202f}365\u{a0}DA (SANDBOX)"), "{admin_view}");
    assert!(admin_view.contains("Owed to customers (balances): 2\u{202f}000\u{a0}DA"), "{admin_view}");
    assert!(!admin_view.contains("below what customer balances hold"));
    app.oc.set_balance(1500.0);
    let admin_view = admin_says(&app, "/balance").await;
    assert!(admin_view.contains("500\u{a0}DA below what customer balances hold"), "{admin_view}");
}

#[tokio::test]
async fn prices_set_by_an_admin_are_the_prices_charged() {
    let app = TestApp::start().await;
    let reply = admin_says(&app, "/setprice ADSL 1000 1100").await;
    assert!(reply.contains("1\u{202f}100\u{a0}DA") && reply.contains("margin 120\u{a0}DA"), "{reply}");
    let reply = admin_says(&app, "/setprice ADSL 1000 990 reseller").await;
    assert!(reply.contains("resellers"), "{reply}");
    let reply = admin_says(&app, "/setprice ADSL 1000 900").await;
    assert!(reply.contains("below the OneClickDZ cost of 980\u{a0}DA"), "{reply}");
    let reply = admin_says(&app, "/setprice ADSL 1234 1300").await;
    assert!(reply.contains("no Idoom ADSL card of 1\u{202f}234\u{a0}DA"), "{reply}");
    assert!(admin_says(&app, "/setprice XDSL 1000 1100").await.contains("Usage"));

    let c = app.customer_with(3004, "en", 5000).await;
    let summary = to_confirm(&app.tg, &c, "ADSL", "036362608", 1000).await;
    assert!(summary.plain.contains("Price: 1\u{202f}100\u{a0}DA"), "{}", summary.plain);
    app.tg.press_button(&c, summary.message_id, "Confirm");
    wait_msg(&app.tg, c.id, summary.message_id, |m| m.plain.contains("delivered")).await;
    assert_eq!(app.store().await.balances(c.id).await.unwrap().balance.get(), 3900);

    let r = app.customer_with(3005, "en", 5000).await;
    admin_says(&app, "/setrole 3005 reseller").await;
    let summary = to_confirm(&app.tg, &r, "ADSL", "036362609", 1000).await;
    assert!(summary.plain.contains("Price: 990\u{a0}DA"), "{}", summary.plain);
    app.tg.press_button(&r, summary.message_id, "Confirm");
    wait_msg(&app.tg, r.id, summary.message_id, |m| m.plain.contains("delivered")).await;
    assert_eq!(app.store().await.balances(r.id).await.unwrap().balance.get(), 4010);
}

#[tokio::test]
async fn values_the_shop_cannot_afford_are_hidden_and_admins_told_once() {
    let app = TestApp::start().await;
    app.oc.set_balance(1500.0);
    let u = app.customer_with(3006, "en", 5000).await;
    for _ in 0..2 {
        app.tg.send_text(&u, "/order");
        let m = wait_last(&app.tg, u.id, |m| m.has_button("ADSL") && m.plain.contains("Which card")).await;
        app.tg.press_button(&u, m.message_id, "ADSL");
        wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("phone number")).await;
        app.tg.send_text(&u, "036362608");
        let values = wait_last(&app.tg, u.id, |m| m.has_button("1\u{202f}000\u{a0}DA")).await;
        assert!(
            values.has_button("500\u{a0}DA") && !values.has_button("2\u{202f}000\u{a0}DA"),
            "{:?}",
            values.buttons()
        );
        app.tg.send_text(&u, "/cancel");
        wait_last(&app.tg, u.id, |m| m.plain.contains("Cancelled")).await;
    }
    let alerts = app.tg.bot_messages(ADMIN).into_iter().filter(|m| m.plain.contains("cannot cover")).count();
    assert_eq!(alerts, 1, "told once, not on every check");
}

#[tokio::test]
async fn wallet_money_is_conserved_over_many_orders() {
    let app = TestApp::start().await;
    app.oc.script("036000003", crate::support::Script::Refund { after_checks: 0 });
    let u = app.customer_with(3007, "en", 10_000).await;
    for (n, v) in [("036000003", 2000), ("036362608", 1000), ("036000003", 500)] {
        let id = place(&app.tg, &u, "ADSL", n, v).await;
        wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered") || m.plain.contains("refunded")).await;
    }
    let store = app.store().await;
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (9000, 0));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}

/// Amounts as admins type them: thousands grouped by a space are one amount, and a decimal part
/// is refused with its reason, never dropped or glued on.
#[tokio::test]
async fn amounts_are_read_as_admins_write_them() {
    let app = TestApp::start().await;
    app.customer_with(3005, "en", 0).await;
    let admin = app.user(ADMIN, "en");
    let reply = money_confirmed(&app.tg, &admin, "/credit 3005 1 500 cash at the shop").await;
    assert!(reply.contains("Credited 1\u{202f}500\u{a0}DA"), "{reply}");
    let reply = money_confirmed(&app.tg, &admin, "/debit 3005 1.000 DA correction").await;
    assert!(reply.contains("New balance: 500\u{a0}DA"), "{reply}");
    for (bad, why) in [
        ("/credit 3005 1500.00", "no decimal part"),
        ("/credit 3005 1500,5", "no decimal part"),
        ("/debit 3005 1.5.0", "group thousands by three"),
        ("/credit 3005 1 50", "group thousands by three"),
    ] {
        let reply = admin_says(&app, bad).await;
        assert!(reply.contains(why) && reply.contains("Usage"), "{bad}: {reply}");
    }
    let store = app.store().await;
    assert_eq!(store.balances(3005).await.unwrap().balance.get(), 500, "refused amounts moved nothing");
    let ledger = store.recent_ledger(3005, 10).await.unwrap();
    assert_eq!(ledger.len(), 2);
    assert_eq!((ledger[0].note.as_deref(), ledger[1].note.as_deref()), (Some("correction"), Some("cash at the shop")));
}
