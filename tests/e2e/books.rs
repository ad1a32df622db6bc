//! Issue 13's books and edges end to end: the ledger check at start, card values sold below
//! cost, cancelling a broadcast, unreadable card codes.
use crate::support::flow::{place, wait_msg};
use crate::support::{ADMIN, BotMessage, TestApp, TgUser, WAIT};
use netcard_bot::domain::Dinars;
use netcard_bot::i18n::Lang;
use netcard_bot::store::NewUser;
use std::time::{Duration, Instant};

/// Sends `text` as `u` and waits for a bot message after it that matches `pred`.
async fn say(app: &TestApp, u: &TgUser, text: &str, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    let mid = app.tg.send_text(u, text);
    app.tg
        .wait_for(WAIT, |tg| tg.bot_messages(u.id).into_iter().find(|m| m.message_id > mid && !m.deleted && pred(m)))
        .await
}

fn admin_texts(app: &TestApp, needle: &str) -> Vec<String> {
    app.tg.bot_messages(ADMIN).into_iter().map(|m| m.plain).filter(|t| t.contains(needle)).collect()
}

#[tokio::test]
async fn a_balance_tampered_with_before_start_is_reported_to_admins_and_in_stats() {
    let mut app = TestApp::prepare(&[]).await;
    {
        // The database as a previous run left it, then edited by hand behind the ledger's back.
        let store = app.store().await;
        for id in [4101, 4102] {
            store
                .touch_user(&NewUser {
                    id,
                    first_name: format!("User{id}"),
                    last_name: None,
                    username: None,
                    language: Lang::En,
                    is_admin: false,
                })
                .await
                .unwrap();
            store.credit(id, Dinars(1000), ADMIN, None).await.unwrap();
        }
        sqlx::query("UPDATE users SET balance = 9000 WHERE id = 4102").execute(store.pool()).await.unwrap();
        store.close().await;
    }
    app.launch().await;
    let alert =
        app.tg.wait_for(WAIT, |tg| tg.bot_messages(ADMIN).into_iter().find(|m| m.plain.contains("Books check:"))).await;
    assert!(
        alert.plain.contains("1 balance does not match") && alert.plain.contains("Users: 4102."),
        "{}",
        alert.plain
    );
    assert!(!alert.plain.contains("4101"), "{}", alert.plain);

    let admin = app.user(ADMIN, "en");
    let stats = say(&app, &admin, "/stats", |m| m.plain.contains("Books checked")).await;
    assert!(
        stats.plain.contains("1 balance does not match") && stats.plain.contains("(users 4102)"),
        "{}",
        stats.plain
    );
    assert_eq!(admin_texts(&app, "Books check:").len(), 1, "one alert per check");

    // Fixed by hand; the next start's check says the books add up, and alerts nobody.
    let store = app.store().await;
    sqlx::query("UPDATE users SET balance = 1000 WHERE id = 4102").execute(store.pool()).await.unwrap();
    let restarted_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    app.restart().await;
    // /stats shows the last finished check: wait for the one this start runs (it is not awaited
    // before updates are served), so the answer cannot be the previous run's.
    let deadline = Instant::now() + WAIT;
    while store.last_ledger_check().await.unwrap().is_none_or(|c| c.at < restarted_at) {
        assert!(Instant::now() < deadline, "the start-up books check never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let admin = app.user(ADMIN, "en");
    let stats = say(&app, &admin, "/stats", |m| m.plain.contains("every balance matches")).await;
    assert!(stats.plain.contains("Books checked"), "{}", stats.plain);
    assert_eq!(admin_texts(&app, "Books check:").len(), 1);
}

#[tokio::test]
async fn the_books_are_checked_again_at_the_configured_interval() {
    let app = TestApp::start_with(&[("LEDGER_CHECK_SECS", "0.2")]).await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let u = app.customer_with(4201, "en", 500).await;
    let store = app.store().await;
    sqlx::query("UPDATE users SET held = 30 WHERE id = ?").bind(u.id).execute(store.pool()).await.unwrap();
    let alert =
        app.tg.wait_for(WAIT, |tg| tg.bot_messages(ADMIN).into_iter().find(|m| m.plain.contains("Books check:"))).await;
    assert!(alert.plain.contains("Users: 4201."), "{}", alert.plain);
}

#[tokio::test]
async fn a_card_code_that_cannot_be_decrypted_sends_the_customer_to_support_and_alerts_admins() {
    let app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let u = app.customer_with(4301, "en", 3000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
    let r = app.oc.topup_refs()[0].clone();
    let code = app.oc.card_code_for(&r).unwrap();

    // The stored blob is damaged (a bit flipped on disk).
    let store = app.store().await;
    let order = store.order_by_ref(&r).await.unwrap().unwrap();
    let mut blob = order.card_code_enc.clone().unwrap();
    let last = blob.len() - 1;
    blob[last] ^= 1;
    sqlx::query("UPDATE orders SET card_code_enc = ? WHERE id = ?")
        .bind(&blob)
        .bind(order.id)
        .execute(store.pool())
        .await
        .unwrap();

    let list = say(&app, &u, "/orders", |m| m.plain.contains("Your orders")).await;
    app.tg.press(&u, list.message_id, &format!("o:{}", order.id));
    let shown = app
        .tg
        .wait_for(WAIT, |tg| {
            tg.bot_messages(u.id).into_iter().find(|m| m.message_id > list.message_id && m.plain.contains("delivered"))
        })
        .await;
    assert!(shown.plain.contains("contact @shop_support"), "{}", shown.plain);
    assert!(!shown.plain.contains(&code), "{}", shown.plain);
    assert!(shown.copy_text_buttons().is_empty(), "no copy button for a code we cannot read");
    let alert = app
        .tg
        .wait_for(WAIT, |tg| tg.bot_messages(ADMIN).into_iter().find(|m| m.plain.contains("cannot be decrypted")))
        .await;
    assert!(
        alert.plain.contains(&format!("Order #{}", order.id)) && alert.plain.contains("User 4301"),
        "{}",
        alert.plain
    );
    assert!(!alert.plain.contains(&code));
}

/// copyMessage requests of the admin's message `source` (its preview included), by arrival time.
fn copy_calls(app: &TestApp, source: i32) -> Vec<Instant> {
    app.tg
        .calls_to("copymessage")
        .into_iter()
        .filter(|c| {
            c.body["from_chat_id"].as_i64() == Some(ADMIN) && c.body["message_id"].as_i64() == Some(i64::from(source))
        })
        .map(|c| c.at)
        .collect()
}

/// When the bot's message containing `needle` was sent to the admin.
fn sent_at(app: &TestApp, needle: &str) -> Option<Instant> {
    app.tg
        .calls_to("sendmessage")
        .into_iter()
        .find(|c| {
            c.body["chat_id"].as_i64() == Some(ADMIN) && c.body["text"].as_str().is_some_and(|t| t.contains(needle))
        })
        .map(|c| c.at)
}

/// `/broadcast`, the message, Confirm; returns the broadcast message's id and the progress message's.
async fn start_broadcast(app: &TestApp, text: &str) -> (i32, i32) {
    let admin = app.user(ADMIN, "en");
    say(app, &admin, "/broadcast", |m| m.plain.contains("Send the message to broadcast")).await;
    let source = app.tg.send_text(&admin, text);
    let preview = app
        .tg
        .wait_for(WAIT, |tg| {
            tg.bot_messages(ADMIN).into_iter().find(|m| m.message_id > source && m.has_button("Confirm"))
        })
        .await;
    app.tg.press_button(&admin, preview.message_id, "Confirm");
    wait_msg(&app.tg, ADMIN, preview.message_id, |m| m.text_history.iter().any(|t| t.contains("Broadcast started")))
        .await;
    (source, preview.message_id)
}

#[tokio::test]
async fn no_broadcast_copy_goes_out_after_the_cancel_is_acknowledged() {
    // Slow pacing: the broadcaster spends its time waiting for the next slot, where a cancel
    // lands; a claim that does not look at the job would then still send one more copy.
    let app = TestApp::start_with(&[("BROADCAST_PER_SEC", "2")]).await;
    // Every request recorded is then one delivered (flood refusals are retried and recorded too).
    app.tg.set_flood_limits(None);
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let store = app.store().await;
    for id in 50_001..=50_080 {
        store
            .touch_user(&NewUser {
                id,
                first_name: format!("User{id}"),
                last_name: None,
                username: None,
                language: Lang::En,
                is_admin: false,
            })
            .await
            .unwrap();
    }

    // By command.
    let (source, progress) = start_broadcast(&app, "Cancelled by command").await;
    app.tg.wait_for(WAIT, |_| (copy_calls(&app, source).len() >= 2).then_some(())).await;
    say(&app, &admin, "/broadcast_cancel", |m| m.plain.contains("Broadcast stopped.")).await;
    let acked = sent_at(&app, "Broadcast stopped.").expect("the acknowledgement");
    wait_msg(&app.tg, ADMIN, progress, |m| m.plain.contains("Broadcast stopped:")).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let late: Vec<_> = copy_calls(&app, source).into_iter().filter(|at| *at > acked).collect();
    assert!(late.is_empty(), "{} copies after the cancel was acknowledged", late.len());
    let job = store.broadcasts().await.unwrap().pop().unwrap();
    let p = store.broadcast_progress(job.id).await.unwrap();
    assert_eq!(p.sent as usize, copy_calls(&app, source).len() - 1, "every copy but the preview is recorded as sent");
    assert!(store.recipients(job.id).await.unwrap().iter().all(|(_, st)| st == "sent" || st == "pending"));

    // By the Cancel button on the progress message.
    let (source, progress) = start_broadcast(&app, "Cancelled by button").await;
    app.tg.wait_for(WAIT, |_| (copy_calls(&app, source).len() >= 2).then_some(())).await;
    let before = app.tg.bot_messages(ADMIN).len();
    app.tg.press_button(&admin, progress, "Cancel");
    let acked = app
        .tg
        .wait_for(WAIT, |tg| {
            (tg.bot_messages(ADMIN).len() > before)
                .then(|| {
                    tg.calls_to("sendmessage")
                        .into_iter()
                        .filter(|c| {
                            c.body["chat_id"].as_i64() == Some(ADMIN)
                                && c.body["text"].as_str().is_some_and(|t| t.contains("Broadcast stopped."))
                        })
                        .map(|c| c.at)
                        .nth(1)
                })
                .flatten()
        })
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let late: Vec<_> = copy_calls(&app, source).into_iter().filter(|at| *at > acked).collect();
    assert!(late.is_empty(), "{} copies after the cancel was acknowledged", late.len());
}

/// `/order`, ADSL, a number: the value list the customer is shown.
async fn adsl_values(app: &TestApp, u: &TgUser) -> BotMessage {
    let before = app.tg.bot_messages(u.id).iter().map(|m| m.message_id).max().unwrap_or(0);
    app.tg.send_text(u, "/order");
    let m = app
        .tg
        .wait_for(WAIT, |tg| tg.bot_messages(u.id).into_iter().find(|m| m.message_id > before && m.has_button("ADSL")))
        .await;
    app.tg.press_button(u, m.message_id, "ADSL");
    wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("phone number")).await;
    let typed = app.tg.send_text(u, "036362608");
    app.tg
        .wait_for(WAIT, |tg| {
            tg.bot_messages(u.id)
                .into_iter()
                .find(|m| m.message_id > typed && m.has_button("2\u{202f}000\u{a0}DA card"))
        })
        .await
}

fn offers_1000(m: &BotMessage) -> bool {
    m.buttons().iter().any(|(_, data)| data.as_deref() == Some("v:1000"))
}

#[tokio::test]
async fn a_card_value_sold_below_its_new_cost_is_hidden_and_admins_are_told_once() {
    let mut app = TestApp::start_with(&[("PRODUCTS_CACHE_SECS", "0.01")]).await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    say(&app, &admin, "/setprice ADSL 1000 1100", |m| m.plain.contains("1\u{202f}100")).await;
    let u = app.customer_with(4401, "en", 0).await;
    let v = adsl_values(&app, &u).await;
    assert!(offers_1000(&v), "on sale while above cost {:?}", v.buttons());

    // OneClickDZ raises its cost above the shop's price.
    app.oc.set_products("ADSL", vec![(500, 490.0, true), (1000, 1150.0, true), (2000, 1960.0, true)]);
    let values = adsl_values(&app, &u).await;
    assert!(!offers_1000(&values), "hidden below cost: {:?}", values.buttons());
    assert!(values.has_button("500\u{a0}DA card"));
    let alert =
        app.tg.wait_for(WAIT, |tg| tg.bot_messages(ADMIN).into_iter().find(|m| m.plain.contains("now charges"))).await;
    for needle in ["Idoom ADSL 1\u{202f}000\u{a0}DA", "priced 1\u{202f}100\u{a0}DA", "charges 1\u{202f}150\u{a0}DA"] {
        assert!(alert.plain.contains(needle), "{needle:?} in {:?}", alert.plain);
    }
    // Resellers do not see it either, and nobody is told again, not even after a restart.
    let reseller = app.customer_with(4402, "en", 0).await;
    say(&app, &admin, "/setrole 4402 reseller", |_| true).await;
    assert!(!offers_1000(&adsl_values(&app, &reseller).await));
    app.restart().await;
    assert!(!offers_1000(&adsl_values(&app, &u).await));
    assert_eq!(admin_texts(&app, "now charges").len(), 1, "told once per value");

    // The price is raised: on sale again, and the latch is reset for the next rise.
    say(&app, &admin, "/setprice ADSL 1000 1200", |m| m.plain.contains("1\u{202f}200")).await;
    assert!(offers_1000(&adsl_values(&app, &u).await));
    let store = app.store().await;
    assert_eq!(store.setting("below_cost:ADSL:1000").await.unwrap(), None);
    app.oc.set_products("ADSL", vec![(500, 490.0, true), (1000, 1250.0, true), (2000, 1960.0, true)]);
    assert!(!offers_1000(&adsl_values(&app, &u).await));
    app.tg.wait_for(WAIT, |_| (admin_texts(&app, "now charges").len() == 2).then_some(())).await;
}
