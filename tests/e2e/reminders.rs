//! Renewal reminders (issue 17) with the delay set to seconds: sent once, with Buy again and
//! Stop reminders; not after a newer order for the same line, nor after Stop or `/reminders off`;
//! not twice and not lost across a restart; not to banned users or users who blocked the bot;
//! only within `REMINDER_HOURS`.
use crate::support::flow::{place, wait_msg};
use crate::support::{ADMIN, BotMessage, TestApp, TgUser, WAIT};
use netcard_bot::store::Store;
use std::time::{Duration, Instant};

const NUMBER: &str = "036362608";
const HEADLINE: &str = "Time to recharge again?";

/// `RENEWAL_REMINDER_DAYS` for a delay of `secs` seconds.
fn days(secs: f64) -> String {
    (secs / 86_400.0).to_string()
}

async fn start(delay_secs: f64) -> TestApp {
    TestApp::start_with(&[("RENEWAL_REMINDER_DAYS", &days(delay_secs)), ("REMINDER_HOURS", "0-24")]).await
}

fn reminders(app: &TestApp, chat: i64) -> Vec<BotMessage> {
    app.tg.bot_messages(chat).into_iter().filter(|m| m.plain.contains(HEADLINE)).collect()
}

async fn wait_reminders(app: &TestApp, chat: i64, n: usize) -> Vec<BotMessage> {
    app.tg.wait_for(WAIT, |_| Some(reminders(app, chat)).filter(|r| r.len() >= n)).await
}

/// Places and waits for the delivery of a card; returns the order's id.
async fn delivered(app: &TestApp, u: &TgUser, number: &str, value: i64) -> i64 {
    let msg = place(&app.tg, u, "ADSL", number, value).await;
    wait_msg(&app.tg, u.id, msg, |m| m.plain.contains("delivered")).await;
    let store = app.store().await;
    let r = app.oc.topup_refs().last().cloned().unwrap();
    store.order_by_ref(&r).await.unwrap().unwrap().id
}

/// Waits until the order's reminder has left 'pending'; returns (status, reason).
async fn decided(store: &Store, order: i64) -> (String, Option<String>) {
    let deadline = Instant::now() + WAIT;
    loop {
        match store.reminder_status(order).await.unwrap() {
            Some((s, r)) if s != "pending" && s != "sending" => return (s, r),
            other => assert!(Instant::now() < deadline, "reminder of order {order} still {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn say(app: &TestApp, u: &TgUser, text: &str, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    let mid = app.tg.send_text(u, text);
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(u.id).into_iter().find(|m| m.message_id > mid && pred(m))).await
}

#[tokio::test]
async fn a_reminder_comes_once_after_the_delay_with_buy_again_and_stop() {
    let app = start(1.5).await;
    let u = app.customer_with(1801, "en", 5000).await;
    let order = delivered(&app, &u, NUMBER, 1000).await;
    let at = Instant::now();
    assert!(reminders(&app, u.id).is_empty(), "not before the delay");
    let r = wait_reminders(&app, u.id, 1).await.remove(0);
    assert!(at.elapsed() >= Duration::from_millis(1200), "after the delay: {:?}", at.elapsed());
    let today = netcard_bot::i18n::local_ms(netcard_bot::store::now_ms())[..10].to_owned();
    for needle in ["Idoom ADSL", NUMBER, "1\u{202f}000\u{a0}DA", today.as_str()] {
        assert!(r.plain.contains(needle), "reminder lacks {needle:?}: {}", r.plain);
    }
    assert!(r.has_button("Buy again") && r.has_button("Stop reminders"), "{:?}", r.buttons());
    let store = app.store().await;
    assert_eq!(decided(&store, order).await, ("sent".into(), None));
    // Several more looks at the table: still one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(reminders(&app, u.id).len(), 1);
    // Buy again from the reminder: the summary of the same card.
    app.tg.press_button(&u, r.message_id, "Buy again");
    let summary = app
        .tg
        .wait_for(WAIT, |tg| {
            tg.bot_messages(u.id).into_iter().find(|m| m.message_id > r.message_id && m.has_button("Confirm"))
        })
        .await;
    assert!(summary.plain.contains(NUMBER) && summary.plain.contains("1\u{202f}000\u{a0}DA"), "{}", summary.plain);
}

#[tokio::test]
async fn no_reminder_for_a_line_recharged_again_since() {
    // Long enough for the second order to be placed before the first one's reminder is due.
    let app = start(4.0).await;
    let u = app.customer_with(1802, "en", 5000).await;
    let first = delivered(&app, &u, NUMBER, 1000).await;
    let second = delivered(&app, &u, NUMBER, 2000).await;
    let r = wait_reminders(&app, u.id, 1).await;
    assert!(r[0].plain.contains("2\u{202f}000\u{a0}DA"), "the newer card: {}", r[0].plain);
    let store = app.store().await;
    assert_eq!(decided(&store, first).await, ("skipped".into(), Some("recharged".into())));
    assert_eq!(decided(&store, second).await, ("sent".into(), None));
    assert_eq!(reminders(&app, u.id).len(), 1);
}

#[tokio::test]
async fn stop_and_reminders_off_are_kept_and_reminders_on_brings_them_back() {
    let app = start(1.0).await;
    let u = app.customer_with(1803, "en", 9000).await;
    let store = app.store().await;
    delivered(&app, &u, NUMBER, 500).await;
    let r = wait_reminders(&app, u.id, 1).await.remove(0);
    app.tg.press_button(&u, r.message_id, "Stop reminders");
    let stopped = app
        .tg
        .wait_for(WAIT, |tg| {
            tg.bot_messages(u.id).into_iter().find(|m| m.message_id > r.message_id && m.plain.contains("off"))
        })
        .await;
    assert!(stopped.plain.contains("/reminders on"), "says how to turn them back on: {}", stopped.plain);
    say(&app, &u, "/reminders", |m| m.plain.contains("Renewal reminders are off")).await;

    let b = delivered(&app, &u, "036000011", 500).await;
    assert_eq!(decided(&store, b).await, ("skipped".into(), Some("stopped".into())));

    say(&app, &u, "/reminders on", |m| m.plain.contains("Renewal reminders are on")).await;
    let c = delivered(&app, &u, "036000012", 1000).await;
    let all = wait_reminders(&app, u.id, 2).await;
    assert!(all[1].plain.contains("036000012"), "{}", all[1].plain);
    assert_eq!(decided(&store, c).await.0, "sent");

    say(&app, &u, "/reminders off", |m| m.plain.contains("Renewal reminders are off")).await;
    let d = delivered(&app, &u, "036000013", 500).await;
    assert_eq!(decided(&store, d).await, ("skipped".into(), Some("stopped".into())));
    assert_eq!(reminders(&app, u.id).len(), 2, "none for the lines ordered while they were off");
}

#[tokio::test]
async fn a_restart_neither_loses_nor_repeats_a_reminder() {
    let app_delay = 2.0;
    let mut app = start(app_delay).await;
    let u = app.customer_with(1804, "en", 5000).await;
    let order = delivered(&app, &u, NUMBER, 1000).await;
    // Stopped before it is due, started again after: it still comes.
    app.stop().await;
    tokio::time::sleep(Duration::from_secs_f64(app_delay)).await;
    app.launch().await;
    wait_reminders(&app, u.id, 1).await;
    let store = app.store().await;
    assert_eq!(decided(&store, order).await.0, "sent");
    // Once sent, another restart and several looks at the table send nothing more.
    app.restart().await;
    tokio::time::sleep(Duration::from_secs_f64(app_delay * 1.5)).await;
    assert_eq!(reminders(&app, u.id).len(), 1);
}

#[tokio::test]
async fn none_for_banned_users_and_users_who_blocked_the_bot() {
    // Long enough for the ban and the block to land before it is due, on a busy machine too.
    let app = start(4.0).await;
    let admin = app.user(ADMIN, "en");
    let banned = app.customer_with(1805, "en", 5000).await;
    let blocked = app.customer_with(1806, "en", 5000).await;
    let a = delivered(&app, &banned, NUMBER, 1000).await;
    let b = delivered(&app, &blocked, NUMBER, 1000).await;
    say(&app, &admin, "/ban 1805", |m| m.plain.contains("is banned")).await;
    app.tg.block_user(blocked.id);
    let store = app.store().await;
    assert_eq!(decided(&store, a).await, ("skipped".into(), Some("banned".into())));
    // Telegram's 403 marks the user as having blocked the bot, as a broadcast does.
    assert_eq!(decided(&store, b).await, ("failed".into(), Some("unreachable".into())));
    assert!(store.user(blocked.id).await.unwrap().unwrap().unreachable);
    assert!(reminders(&app, banned.id).is_empty() && reminders(&app, blocked.id).is_empty());
}

#[tokio::test]
async fn outside_the_hours_a_due_reminder_waits() {
    // An hour of the day that is not now in Algiers.
    let hour = netcard_bot::i18n::local_ms(netcard_bot::store::now_ms())[11..13].parse::<u32>().unwrap();
    let start_hour = (hour + 2) % 24;
    let hours = format!("{}-{}", start_hour, start_hour + 1);
    let app = TestApp::start_with(&[("RENEWAL_REMINDER_DAYS", &days(0.5)), ("REMINDER_HOURS", &hours)]).await;
    let u = app.customer_with(1807, "en", 5000).await;
    let order = delivered(&app, &u, NUMBER, 1000).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(reminders(&app, u.id).is_empty());
    let store = app.store().await;
    assert_eq!(store.reminder_status(order).await.unwrap(), Some(("pending".into(), None)), "kept for later");
}
