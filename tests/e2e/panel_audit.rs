//! The admin commands write the same audit entries as the panel: who, what, to whom, before and
//! after. Read back from the audit log the panel shows.
use crate::support::flow::money_confirmed;
use crate::support::{ADMIN, BotMessage, TestApp, WAIT};
use netcard_bot::store::audit::AuditFilter;

/// The admin's next message after sending `text`.
async fn admin_says(app: &TestApp, text: &str) -> BotMessage {
    let admin = app.user(ADMIN, "en");
    let before = app.tg.bot_messages(ADMIN).len();
    app.tg.send_text(&admin, text);
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(ADMIN).into_iter().nth(before)).await
}

#[tokio::test]
async fn admin_commands_write_audit_entries() {
    let app = TestApp::start().await;
    app.customer_with(4301, "en", 0).await;
    let admin = app.user(ADMIN, "en");
    let done = money_confirmed(&app.tg, &admin, "/credit 4301 1500 cash").await;
    assert!(done.contains("Credited"), "{done}");
    for cmd in ["/setrole 4301 reseller", "/ban 4301", "/unban 4301", "/maintenance on", "/setprice ADSL 1000 1100"] {
        admin_says(&app, cmd).await;
    }
    // Refused or changing nothing: no entry.
    admin_says(&app, "/unban 4301").await;
    admin_says(&app, "/setrole 999999 reseller").await;
    let store = app.store().await;
    let rows = store.audit_page(&AuditFilter { limit: 50, ..Default::default() }).await.unwrap();
    let got: Vec<_> = rows
        .iter()
        .rev()
        .map(|r| (r.admin_id, r.action.as_str(), r.target.as_deref(), r.before.as_deref(), r.after.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (ADMIN, "credit", Some("user:4301"), Some("0"), Some("1500")),
            (ADMIN, "set-role", Some("user:4301"), Some("customer"), Some("reseller")),
            (ADMIN, "ban", Some("user:4301"), Some("not banned"), Some("banned")),
            (ADMIN, "unban", Some("user:4301"), Some("banned"), Some("not banned")),
            (ADMIN, "maintenance", Some("shop"), Some("off"), Some("on")),
            (ADMIN, "set-price", Some("price:ADSL:1000:customer"), None, Some("1100")),
        ]
    );
}
