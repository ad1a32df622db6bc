//! The customer's order, end to end over HTTP.
#![allow(unused_imports)]
use crate::support::flow::{place, to_confirm, wait_last, wait_msg};
use crate::support::{ADMIN, Script, TestApp, WAIT};

#[tokio::test]
async fn adsl_order_is_fulfilled_and_the_code_delivered() {
    let app = TestApp::start().await;
    let u = app.customer_with(1001, "en", 5000).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    for needle in ["036362608", "1000 DA", "5\u{202f}000 DA", "4\u{202f}000 DA"] {
        assert!(
            summary.plain.contains(needle),
            "summary lacks {needle:?}: {}",
            summary.plain
        );
    }
    assert!(summary.has_button("Back") && summary.has_button("Cancel"));
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let receipt = wait_last(&app.tg, u.id, |m| m.plain.contains("delivered")).await;
    let r = app.oc.topup_refs();
    assert_eq!(r.len(), 1);
    let code = app.oc.card_code_for(&r[0]).expect("fulfilled upstream");
    assert!(
        receipt.text.contains(&format!("<code>{code}</code>")),
        "{}",
        receipt.text
    );
    assert_eq!(receipt.copy_text_buttons(), vec![code.clone()]);
    assert!(
        receipt.plain.contains("AT-TEST-"),
        "num_trans shown: {}",
        receipt.plain
    );
    assert_eq!(
        receipt.message_id, summary.message_id,
        "the order message itself became the receipt"
    );
    assert_eq!(app.oc.send_count(&r[0]), 1);
    let store = app.store().await;
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance, b.held), (4000, 0));
    assert!(store.ledger_mismatches().await.unwrap().is_empty());
}
