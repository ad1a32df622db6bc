//! The admin commands write the same audit entries as the panel: who, what, to whom, before and
//! after. Read back from the audit log the panel shows.
use crate::support::flow::{money_confirmed, wait_msg};
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

#[tokio::test]
async fn broadcast_cancel_by_command_is_audited() {
    let app = TestApp::start_with(&[("BROADCAST_PER_SEC", "1")]).await;
    admin_says(&app, "/start").await;
    let store = app.store().await;
    for id in 31_001..=31_030 {
        let u = netcard_bot::store::NewUser {
            id,
            first_name: format!("U{id}"),
            last_name: None,
            username: None,
            language: netcard_bot::i18n::Lang::En,
            is_admin: false,
        };
        store.touch_user(&u).await.unwrap();
    }
    // A job as `/broadcast` writes it (audited by the store), still running at one copy a second.
    let job = store.create_broadcast(ADMIN, ADMIN, 1, &netcard_bot::store::Audience::Everyone, ADMIN, 1).await.unwrap();
    let m = admin_says(&app, "/broadcast_cancel").await;
    assert!(m.plain.contains("Broadcast stopped."), "{}", m.plain);
    let rows = store.audit_page(&AuditFilter { limit: 10, ..Default::default() }).await.unwrap();
    let got: Vec<_> = rows
        .iter()
        .rev()
        .map(|r| (r.admin_id, r.action.as_str(), r.target.clone(), r.before.clone(), r.after.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (ADMIN, "broadcast", Some(format!("broadcast:{}", job.id)), None, Some(format!("all {}", job.total))),
            (ADMIN, "broadcast-cancel", Some("broadcasts".into()), Some(job.id.to_string()), Some(String::new())),
        ]
    );
}

#[tokio::test]
async fn the_stop_button_on_a_broadcasts_progress_is_audited() {
    let app = TestApp::start_with(&[("BROADCAST_PER_SEC", "1")]).await;
    let admin = app.user(ADMIN, "en");
    admin_says(&app, "/start").await;
    let store = app.store().await;
    for id in 32_001..=32_030 {
        let u = netcard_bot::store::NewUser {
            id,
            first_name: format!("U{id}"),
            last_name: None,
            username: None,
            language: netcard_bot::i18n::Lang::En,
            is_admin: false,
        };
        store.touch_user(&u).await.unwrap();
    }
    // Started as an admin does it; at one copy a second it is still running when Cancel is pressed.
    admin_says(&app, "/broadcast").await;
    let source = app.tg.send_text(&admin, "Soon stopped");
    let preview = app
        .tg
        .wait_for(WAIT, |tg| {
            tg.bot_messages(ADMIN).into_iter().find(|m| m.message_id > source && m.has_button("Confirm"))
        })
        .await;
    app.tg.press_button(&admin, preview.message_id, "Confirm");
    wait_msg(&app.tg, ADMIN, preview.message_id, |m| m.text_history.iter().any(|t| t.contains("Broadcast started")))
        .await;
    let job = store.broadcasts().await.unwrap().pop().expect("a job");
    // The answer is a new message (copies of the broadcast may land in the admin's chat too).
    let answer = |after: i32, needle: &'static str| {
        app.tg.wait_for(WAIT, move |tg| {
            tg.bot_messages(ADMIN).into_iter().find(|m| m.message_id > after && m.plain.contains(needle))
        })
    };
    let last = app.tg.bot_messages(ADMIN).last().unwrap().message_id;
    app.tg.press_button(&admin, preview.message_id, "Cancel");
    let m = answer(last, "Broadcast stopped.").await;
    assert!(!m.plain.contains("No broadcast"), "{}", m.plain);
    // A second tap on the old button is answered and changes nothing: no second entry.
    let q = app.tg.press(&admin, preview.message_id, &format!("bs:{}", job.id));
    app.tg.wait_for(WAIT, |tg| tg.answered_callbacks().iter().any(|(id, _)| *id == q).then_some(())).await;
    let rows = store.audit_page(&AuditFilter { limit: 10, ..Default::default() }).await.unwrap();
    let got: Vec<_> = rows
        .iter()
        .rev()
        .map(|r| (r.admin_id, r.action.as_str(), r.target.clone(), r.before.clone(), r.after.clone()))
        .collect();
    let target = Some(format!("broadcast:{}", job.id));
    assert_eq!(
        got,
        [
            (ADMIN, "broadcast", target.clone(), None, Some(format!("all {}", job.total))),
            (ADMIN, "broadcast-cancel", target, Some("running".into()), Some("cancelled".into())),
        ]
    );
}
