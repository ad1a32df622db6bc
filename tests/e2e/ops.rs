//! Admin operations end to end: broadcasts (pace, 429, blocked users, restart, cancel), bans,
//! maintenance (by hand and automatic), and /stats.
use crate::support::flow::{place, wait_msg};
use crate::support::{ADMIN, BotMessage, Script, TestApp, TgUser, WAIT};
use netcard_bot::i18n::Lang;
use netcard_bot::store::settings::{AUTO_MAINTENANCE, MAINTENANCE};
use netcard_bot::store::{Audience, NewUser, Store};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

/// Long enough for a whole broadcast of a few hundred users.
const LONG: Duration = Duration::from_secs(30);
const ADSL_NUMBER: &str = "036362608";

/// Accounts straight in the database, as if each had used the bot once.
async fn add_users(store: &Store, ids: impl IntoIterator<Item = i64>) {
    for id in ids {
        let language = [Lang::En, Lang::Fr, Lang::Ar][(id % 3) as usize];
        store
            .touch_user(&NewUser {
                id,
                first_name: format!("User{id}"),
                last_name: None,
                username: None,
                language,
                is_admin: false,
            })
            .await
            .unwrap();
    }
}

/// Sends `text` as `u` and waits for a bot message after it that matches `pred`.
async fn say(app: &TestApp, u: &TgUser, text: &str, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    let mid = app.tg.send_text(u, text);
    app.tg
        .wait_for(WAIT, |tg| tg.bot_messages(u.id).into_iter().find(|m| m.message_id > mid && !m.deleted && pred(m)))
        .await
}

/// Bot messages in the chat after message `after`.
fn messages_after(app: &TestApp, chat: i64, after: i32) -> Vec<BotMessage> {
    app.tg.bot_messages(chat).into_iter().filter(|m| m.message_id > after).collect()
}

/// Polls `check` until it holds.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Started {
    /// The admin's message being broadcast.
    source: i32,
    /// The preview message, which becomes the progress message.
    progress: i32,
    /// Just before Confirm was pressed: every copy of `source` after this is the broadcast.
    confirmed_at: Instant,
}

/// `/broadcast [args]`, the message, the preview (checked against `audience`), Confirm.
async fn start_broadcast(app: &TestApp, args: &str, text: &str, audience: i64) -> Started {
    let admin = app.user(ADMIN, "en");
    let cmd = if args.is_empty() { "/broadcast".to_owned() } else { format!("/broadcast {args}") };
    say(app, &admin, &cmd, |m| m.plain.contains("Send the message to broadcast")).await;
    let source = app.tg.send_text(&admin, text);
    let preview = app
        .tg
        .wait_for(WAIT, |tg| {
            tg.bot_messages(ADMIN).into_iter().find(|m| m.message_id > source && m.has_button("Confirm"))
        })
        .await;
    assert!(preview.plain.contains(&format!("It will be sent to {audience} user")), "{}", preview.plain);
    let confirmed_at = Instant::now();
    app.tg.press_button(&admin, preview.message_id, "Confirm");
    wait_msg(&app.tg, ADMIN, preview.message_id, |m| m.text_history.iter().any(|t| t.contains("Broadcast started")))
        .await;
    Started { source, progress: preview.message_id, confirmed_at }
}

/// Copies of the admin's message `source`, per chat (the admin's own preview included).
fn copies_per_chat(app: &TestApp, source: i32) -> HashMap<i64, usize> {
    let mut per_chat = HashMap::new();
    for c in app.tg.copies() {
        if c.from_chat_id == ADMIN && c.message_id == source {
            *per_chat.entry(c.chat_id).or_default() += 1;
        }
    }
    per_chat
}

/// Copies sent by the broadcast itself (not the preview).
fn broadcast_copies(app: &TestApp, source: i32) -> usize {
    copies_per_chat(app, source).values().sum::<usize>() - 1
}

/// copyMessage requests for `source` made after Confirm, with their arrival times.
fn broadcast_calls(app: &TestApp, s: &Started) -> Vec<(i64, Instant)> {
    app.tg
        .calls_to("copymessage")
        .into_iter()
        .filter(|c| {
            c.at >= s.confirmed_at
                && c.body["from_chat_id"].as_i64() == Some(ADMIN)
                && c.body["message_id"].as_i64() == Some(i64::from(s.source))
        })
        .map(|c| (c.body["chat_id"].as_i64().unwrap(), c.at))
        .collect()
}

async fn wait_progress(app: &TestApp, progress: i32, needle: &str) -> BotMessage {
    let needle = needle.to_owned();
    app.tg
        .wait_for(LONG, |tg| {
            tg.bot_messages(ADMIN).into_iter().find(|m| m.message_id == progress && m.plain.contains(&needle))
        })
        .await
}

async fn latest_job(store: &Store) -> netcard_bot::store::BroadcastJob {
    store.broadcasts().await.unwrap().pop().expect("a job")
}

#[tokio::test]
async fn broadcast_reaches_everyone_once_at_the_set_pace_through_429_and_blocks() {
    let app = TestApp::start_with(&[("BROADCAST_PER_SEC", "100")]).await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let store = app.store().await;
    let users: Vec<i64> = (1..=300).map(|i| 10_000 + i).collect();
    add_users(&store, users.iter().copied()).await;
    // Every 15th user blocked the bot, half of them by deleting their account.
    let gone: HashSet<i64> = users.iter().copied().filter(|id| (id - 10_000) % 15 == 0).collect();
    for id in &gone {
        if (id - 10_000) % 30 == 0 {
            app.tg.deactivate_user(*id);
        } else {
            app.tg.block_user(*id);
        }
    }
    assert_eq!(gone.len(), 20);
    let reachable: Vec<i64> = users.iter().copied().filter(|id| !gone.contains(id)).collect();

    let first = start_broadcast(&app, "", "Big <news> & offers", 301).await;
    // A flood-control answer once a hundred copies are out.
    app.tg.wait_for(LONG, |_| (broadcast_copies(&app, first.source) >= 100).then_some(())).await;
    app.tg.inject_error("copyMessage", 1, 429, "Too Many Requests: retry after 1", Some(1));
    let done = wait_progress(&app, first.progress, "Broadcast finished").await;
    assert!(done.plain.contains("281 sent, 0 failed, 20 blocked, of 301"), "{}", done.plain);
    assert!(done.buttons().is_empty(), "the Cancel button is gone at the end");
    assert!(
        done.text_history.iter().any(|t| t.contains("Sending…") && t.contains("left")),
        "progress was shown while sending: {:?}",
        done.text_history
    );
    assert!(done.edits >= 3, "started, progress, summary: {}", done.edits);

    // Exactly once each; the admin has their preview plus their copy.
    let per_chat = copies_per_chat(&app, first.source);
    for id in &reachable {
        assert_eq!(per_chat.get(id), Some(&1), "user {id}");
    }
    assert_eq!(per_chat.get(&ADMIN), Some(&2));
    for id in &gone {
        assert_eq!(per_chat.get(id), None, "blocked user {id}");
    }

    // One request per recipient, plus the one refused with 429.
    let calls = broadcast_calls(&app, &first);
    assert_eq!(calls.len(), 281 + 20 + 1);
    let mut per_recipient: HashMap<i64, usize> = HashMap::new();
    for (chat, _) in &calls {
        *per_recipient.entry(*chat).or_default() += 1;
    }
    assert_eq!(
        per_recipient.values().filter(|n| **n == 2).count(),
        1,
        "only the recipient refused with 429 was asked twice"
    );
    // Never more than BROADCAST_PER_SEC requests in any one-second window.
    let times: Vec<Instant> = calls.iter().map(|c| c.1).collect();
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..].iter().take_while(|u| u.duration_since(*t) < Duration::from_secs(1)).count();
        assert!(in_window <= 100, "{in_window} copies within one second");
    }
    // The 429's retry_after held sending back for a whole second.
    let longest_gap = times.windows(2).map(|w| w[1].duration_since(w[0])).max().unwrap();
    assert!(longest_gap >= Duration::from_secs(1), "{longest_gap:?}");

    let job = latest_job(&store).await;
    assert_eq!((job.status.as_str(), job.total), ("done", 301));
    for (user, status) in store.recipients(job.id).await.unwrap() {
        let want = if gone.contains(&user) { "blocked" } else { "sent" };
        assert_eq!(status, want, "recipient {user}");
    }
    for id in &gone {
        assert!(store.user(*id).await.unwrap().unwrap().unreachable);
    }
    assert!(!store.user(reachable[0]).await.unwrap().unwrap().unreachable);

    // The next broadcast leaves the unreachable out from the start.
    let second = start_broadcast(&app, "", "Second news", 281).await;
    let done = wait_progress(&app, second.progress, "Broadcast finished").await;
    assert!(done.plain.contains("281 sent, 0 failed, 0 blocked, of 281"), "{}", done.plain);
    let per_chat = copies_per_chat(&app, second.source);
    for id in &reachable {
        assert_eq!(per_chat.get(id), Some(&1), "user {id}");
    }
    let calls = broadcast_calls(&app, &second);
    assert_eq!(calls.len(), 281);
    assert!(calls.iter().all(|(chat, _)| !gone.contains(chat)));
}

#[tokio::test]
async fn a_restart_mid_broadcast_sends_nobody_twice_and_finishes_the_rest() {
    let mut app = TestApp::start_with(&[("BROADCAST_PER_SEC", "50")]).await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let store = app.store().await;
    let users: Vec<i64> = (1..=150).map(|i| 20_000 + i).collect();
    add_users(&store, users.iter().copied()).await;

    let s = start_broadcast(&app, "", "Restart-proof news", 151).await;
    app.tg.wait_for(LONG, |_| (broadcast_copies(&app, s.source) >= 40).then_some(())).await;
    app.stop().await;
    let at_stop = broadcast_copies(&app, s.source);
    assert!(at_stop < 151, "stopped mid-job ({at_stop} sent)");
    let job = latest_job(&store).await;
    assert_eq!(job.status.as_str(), "running");
    let recipients = store.recipients(job.id).await.unwrap();
    assert!(
        recipients.iter().all(|(_, st)| st == "sent" || st == "pending"),
        "a graceful stop leaves nobody half-sent: {recipients:?}"
    );
    assert_eq!(recipients.iter().filter(|(_, st)| st == "sent").count(), at_stop);
    // As if the process had died right after marking the next recipient, before its request
    // (or without learning whether it arrived): that one must not be sent again.
    let crashed = store.pending_recipients(job.id, 1).await.unwrap()[0];
    assert!(store.claim_recipient(job.id, crashed).await.unwrap());

    app.restart().await;
    let done = wait_progress(&app, s.progress, "Broadcast finished").await;
    assert!(done.plain.contains("150 sent, 1 failed, 0 blocked, of 151"), "{}", done.plain);
    assert!(broadcast_copies(&app, s.source) > at_stop);
    let per_chat = copies_per_chat(&app, s.source);
    for id in &users {
        let want = if *id == crashed { None } else { Some(&1) };
        assert_eq!(per_chat.get(id), want, "user {id}");
    }
    assert_eq!(per_chat.get(&ADMIN), Some(&2));
    let statuses: HashMap<i64, String> = store.recipients(job.id).await.unwrap().into_iter().collect();
    assert_eq!(statuses[&crashed], "unknown");
    assert_eq!(latest_job(&store).await.status.as_str(), "done");
}

#[tokio::test]
async fn cancel_stops_a_broadcast_by_command_and_by_button() {
    let app = TestApp::start_with(&[("BROADCAST_PER_SEC", "20")]).await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let store = app.store().await;
    add_users(&store, (1..=200).map(|i| 30_000 + i)).await;

    // By command.
    let s = start_broadcast(&app, "", "Soon cancelled", 201).await;
    app.tg.wait_for(LONG, |_| (broadcast_copies(&app, s.source) >= 5).then_some(())).await;
    say(&app, &admin, "/broadcast_cancel", |m| m.plain.contains("Broadcast stopped.")).await;
    let summary = wait_progress(&app, s.progress, "Broadcast stopped:").await;
    assert!(summary.buttons().is_empty());
    // The summary is the job's last act: every copy it made is in by now. That none comes later is
    // checked at the end, once the broadcaster has run another job.
    let (first, sent) = (s.source, broadcast_copies(&app, s.source));
    assert!(sent < 50, "{sent}");
    let left = 201 - sent;
    assert!(summary.plain.contains(&format!("{sent} sent, 0 failed, 0 blocked, {left} not sent")), "{}", summary.plain);
    let job = latest_job(&store).await;
    assert_eq!(job.status.as_str(), "cancelled");
    let p = store.broadcast_progress(job.id).await.unwrap();
    assert_eq!((p.sent, p.pending), (sent as i64, left as i64));
    say(&app, &admin, "/broadcast_cancel", |m| m.plain.contains("No broadcast is running")).await;

    // By the Cancel button on the progress message; a customer's forged press does nothing.
    let s = start_broadcast(&app, "", "Cancelled by button", 201).await;
    app.tg.wait_for(LONG, |_| (broadcast_copies(&app, s.source) >= 5).then_some(())).await;
    let job = latest_job(&store).await;
    let customer = app.user(30_001, "en");
    let their_copy = app.tg.last_bot_message(customer.id).unwrap().message_id;
    let q = app.tg.press(&customer, their_copy, &format!("bs:{}", job.id));
    app.tg.wait_for(WAIT, |tg| tg.answered_callbacks().iter().any(|(id, _)| *id == q).then_some(())).await;
    assert_eq!(store.broadcast(job.id).await.unwrap().unwrap().status.as_str(), "running");
    let progress = app.tg.bot_messages(ADMIN).into_iter().find(|m| m.message_id == s.progress).unwrap();
    assert!(progress.has_button("Cancel"), "{progress:?}");
    app.tg.press_button(&admin, s.progress, "Cancel");
    let summary = wait_progress(&app, s.progress, "Broadcast stopped:").await;
    let (second, sent_second) = (s.source, broadcast_copies(&app, s.source));
    assert!(sent_second < 50, "{sent_second}");
    assert!(summary.plain.contains(&format!("{sent_second} sent")), "{}", summary.plain);
    assert_eq!(latest_job(&store).await.status.as_str(), "cancelled");

    // The broadcaster runs one job at a time: once a later job has finished, the cancelled ones
    // are over for good, and nothing was copied for them after their stop.
    store.set_role(1, 30_002, netcard_bot::domain::Role::Reseller).await.unwrap();
    let s = start_broadcast(&app, "resellers", "After the stops", 1).await;
    wait_progress(&app, s.progress, "Broadcast finished").await;
    assert_eq!(broadcast_copies(&app, first), sent, "nothing after the first stop");
    assert_eq!(broadcast_copies(&app, second), sent_second, "nothing after the second stop");
}

#[tokio::test]
async fn a_customer_cannot_broadcast_or_run_admin_commands() {
    let app = TestApp::start().await;
    let u = app.customer_with(2001, "en", 0).await;
    for cmd in ["/broadcast", "/broadcast_cancel", "/stats", "/maintenance on", "/ban 900"] {
        let m = say(&app, &u, cmd, |_| true).await;
        assert!(m.plain.contains("I don't know this command"), "{cmd}: {}", m.plain);
    }
    let store = app.store().await;
    assert_eq!(store.dialogue(u.id).await.unwrap(), None, "no compose state");
    // What they send next is not taken as a broadcast.
    let m = say(&app, &u, "Hello everyone", |_| true).await;
    assert!(m.plain.contains("didn't understand"), "{}", m.plain);
    // Nor is a forged Confirm press.
    let q = app.tg.press(&u, m.message_id, "bc:ok");
    let answer = app.tg.wait_for(WAIT, |tg| tg.answered_callbacks().into_iter().find(|(id, _)| *id == q)).await;
    assert!(answer.1.is_some_and(|t| t.contains("no longer active")));
    // A chat's updates are handled one after another: once a later message is answered, the
    // press has been handled in full.
    let m = say(&app, &u, "/help", |_| true).await;
    assert!(!m.plain.is_empty());
    assert!(app.tg.calls_to("copymessage").is_empty());
    assert!(store.broadcasts().await.unwrap().is_empty());
    assert!(!store.flag(MAINTENANCE).await.unwrap());
    assert!(!store.user(ADMIN).await.unwrap().is_some_and(|a| a.banned));
}

#[tokio::test]
async fn broadcast_audience_can_be_one_language_or_resellers() {
    let app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let store = app.store().await;
    // ids % 3: 0 → en, 1 → fr, 2 → ar.
    add_users(&store, 40_001..=40_009).await;
    store.set_role(1, 40_004, netcard_bot::domain::Role::Reseller).await.unwrap();
    let m = say(&app, &admin, "/broadcast de", |_| true).await;
    assert!(m.plain.contains("Usage"), "{}", m.plain);

    let s = start_broadcast(&app, "fr", "Bonjour", 3).await;
    wait_progress(&app, s.progress, "Broadcast finished").await;
    let mut got: Vec<i64> = copies_per_chat(&app, s.source).into_keys().filter(|c| *c != ADMIN).collect();
    got.sort();
    assert_eq!(got, vec![40_003, 40_006, 40_009], "the French speakers only");
    assert_eq!(store.audience_size(&Audience::Language(Lang::Fr)).await.unwrap(), 3);

    let s = start_broadcast(&app, "resellers", "Reseller prices", 1).await;
    wait_progress(&app, s.progress, "Broadcast finished").await;
    let got: Vec<i64> = copies_per_chat(&app, s.source).into_keys().filter(|c| *c != ADMIN).collect();
    assert_eq!(got, vec![40_004]);
}

#[tokio::test]
async fn a_banned_user_gets_one_refusal_and_nothing_else_until_unbanned() {
    let app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    let u = app.customer_with(3001, "en", 1000).await;
    let menu = app.tg.bot_messages(u.id).into_iter().find(|m| m.has_button("New order")).unwrap();
    say(&app, &admin, "/ban 3001", |m| m.plain.contains("User 3001 is banned")).await;
    let store = app.store().await;
    assert!(store.user(u.id).await.unwrap().unwrap().banned);
    assert_eq!(store.audience_size(&Audience::Everyone).await.unwrap(), 1, "only the admin is left to broadcast to");

    let mid = app.tg.send_text(&u, "/order");
    let refusal = app.tg.wait_for(WAIT, |_| messages_after(&app, u.id, mid).into_iter().next()).await;
    assert!(refusal.plain.contains("suspended"), "{}", refusal.plain);
    assert!(refusal.buttons().is_empty());
    let q = app.tg.press_button(&u, menu.message_id, "New order");
    let answer = app.tg.wait_for(WAIT, |tg| tg.answered_callbacks().into_iter().find(|(id, _)| *id == q)).await;
    assert!(answer.1.is_some_and(|t| t.contains("suspended")));
    app.tg.send_text(&u, "hello?");
    // A chat's updates are handled one after another: once the answer to a later message is in,
    // everything the earlier ones caused is too.
    app.tg.send_text(&u, "anyone?");
    app.tg.wait_for(WAIT, |_| (messages_after(&app, u.id, mid).len() >= 3).then_some(())).await;
    let after = messages_after(&app, u.id, mid);
    assert_eq!(
        after.iter().map(|m| m.plain.as_str()).collect::<Vec<_>>(),
        vec![refusal.plain.as_str(); 3],
        "one short refusal per message, nothing else"
    );
    let menu_now = app.tg.bot_messages(u.id).into_iter().find(|m| m.message_id == menu.message_id).unwrap();
    assert_eq!(menu_now.edits, 0, "the pressed menu did not move");
    assert_eq!(store.dialogue(u.id).await.unwrap(), None);

    for (cmd, want) in
        [("/ban 424242", "No user with id 424242"), ("/ban 900", "admin from ADMIN_IDS"), ("/ban", "Usage")]
    {
        let m = say(&app, &admin, cmd, |_| true).await;
        assert!(m.plain.contains(want), "{cmd}: {}", m.plain);
    }

    say(&app, &admin, "/unban 3001", |m| m.plain.contains("no longer banned")).await;
    say(&app, &u, "/order", |m| m.has_button("ADSL") && m.has_button("4G")).await;
}

#[tokio::test]
async fn my_chat_member_marks_and_unmarks_unreachable() {
    let app = TestApp::start().await;
    let u = app.customer_with(3002, "en", 0).await;
    let store = app.store().await;
    assert!(!store.user(u.id).await.unwrap().unwrap().unreachable);
    app.tg.send_my_chat_member(&u, true);
    until("blocked user marked unreachable", || async { store.user(u.id).await.unwrap().unwrap().unreachable }).await;
    assert_eq!(store.audience_size(&Audience::Everyone).await.unwrap(), 0, "left out of broadcasts");
    app.tg.send_my_chat_member(&u, false);
    until("unblocked user reachable again", || async { !store.user(u.id).await.unwrap().unwrap().unreachable }).await;
    assert_eq!(store.audience_size(&Audience::Everyone).await.unwrap(), 1);
}

#[tokio::test]
async fn maintenance_blocks_new_orders_but_submitted_ones_are_delivered() {
    let app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    let c = app.customer_with(4001, "en", 5000).await;
    let d = app.customer_with(4002, "en", 5000).await;
    app.oc.script(ADSL_NUMBER, Script::Manual);
    let order_msg = place(&app.tg, &c, "ADSL", ADSL_NUMBER, 1000).await;
    let r = app.oc.wait_for(WAIT, |oc| oc.topup_refs().first().cloned()).await;
    // D is half-way through the wizard when the shop closes.
    let wizard = say(&app, &d, "/order", |m| m.has_button("ADSL")).await;

    say(&app, &admin, "/maintenance on", |m| m.plain.contains("Maintenance is now ON")).await;
    let m = say(&app, &c, "/order", |_| true).await;
    assert!(m.plain.contains("back soon"), "{}", m.plain);
    assert!(m.buttons().is_empty());
    app.tg.press_button(&d, wizard.message_id, "ADSL");
    wait_msg(&app.tg, d.id, wizard.message_id, |m| m.plain.contains("back soon") && m.buttons().is_empty()).await;
    // Admins keep working.
    say(&app, &admin, "/order", |m| m.has_button("ADSL") && m.has_button("4G")).await;

    // The order placed before is still followed and delivered.
    app.oc.set_status(&r, "FULFILLED");
    let code = app.oc.card_code_for(&r).unwrap();
    let receipt = wait_msg(&app.tg, c.id, order_msg, |m| m.plain.contains("delivered")).await;
    assert!(receipt.plain.contains(&code), "{}", receipt.plain);
    let store = app.store().await;
    assert_eq!(store.balances(c.id).await.unwrap().balance.get(), 4000);
    assert_eq!(app.oc.topup_refs().len(), 1, "no new order went through");

    say(&app, &admin, "/maintenance", |m| m.plain.contains("now ON")).await;
    say(&app, &admin, "/maintenance off", |m| m.plain.contains("Maintenance is now OFF")).await;
    say(&app, &c, "/order", |m| m.has_button("ADSL") && m.has_button("4G")).await;
}

fn alerts(app: &TestApp, needle: &str) -> usize {
    app.tg.bot_messages(ADMIN).iter().filter(|m| m.plain.contains(needle)).count()
}

#[tokio::test]
async fn three_failed_health_checks_close_the_shop_and_recovery_reopens_it() {
    let app = TestApp::start_with(&[("HEALTH_CHECK_SECS", "0.1")]).await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let c = app.customer_with(5001, "en", 0).await;
    let store = app.store().await;
    const ON: &str = "maintenance switched ON automatically";
    const OFF: &str = "maintenance switched OFF automatically";

    let failed_from = app.oc.request_count("validate");
    app.oc.fail_validate(true);
    let alert = app.tg.wait_for(WAIT, |tg| tg.last_bot_message(ADMIN).filter(|m| m.plain.contains(ON))).await;
    assert!(alert.plain.contains("failed 3 health checks"), "{}", alert.plain);
    assert!(app.oc.request_count("validate") - failed_from >= 3, "three failures before closing");
    assert!(store.flag(MAINTENANCE).await.unwrap() && store.flag(AUTO_MAINTENANCE).await.unwrap());
    let m = say(&app, &c, "/order", |_| true).await;
    assert!(m.plain.contains("back soon"), "{}", m.plain);
    // Further failures do not repeat the alert.
    let n = app.oc.request_count("validate");
    app.oc.wait_for(WAIT, |oc| (oc.request_count("validate") >= n + 4).then_some(())).await;
    assert_eq!(alerts(&app, ON), 1);

    app.oc.fail_validate(false);
    app.tg.wait_for(WAIT, |tg| tg.last_bot_message(ADMIN).filter(|m| m.plain.contains(OFF))).await;
    assert!(!store.flag(MAINTENANCE).await.unwrap());
    say(&app, &c, "/order", |m| m.has_button("ADSL")).await;

    // A shop an admin closed stays closed through an outage and its end.
    say(&app, &admin, "/maintenance on", |m| m.plain.contains("now ON")).await;
    app.oc.fail_validate(true);
    let n = app.oc.request_count("validate");
    app.oc.wait_for(WAIT, |oc| (oc.request_count("validate") >= n + 4).then_some(())).await;
    app.oc.fail_validate(false);
    let n = app.oc.request_count("validate");
    app.oc.wait_for(WAIT, |oc| (oc.request_count("validate") >= n + 3).then_some(())).await;
    assert_eq!((alerts(&app, ON), alerts(&app, OFF)), (1, 1));
    assert!(store.flag(MAINTENANCE).await.unwrap());
    let m = say(&app, &c, "/order", |_| true).await;
    assert!(m.plain.contains("back soon"), "{}", m.plain);
}

#[tokio::test]
async fn stats_show_users_orders_revenue_margin_and_wallets() {
    let app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/setprice ADSL 1000 1100", |m| m.plain.contains("now sells at")).await;
    let f = app.customer_with(6001, "en", 5000).await;
    let order_msg = place(&app.tg, &f, "ADSL", ADSL_NUMBER, 1000).await;
    wait_msg(&app.tg, f.id, order_msg, |m| m.plain.contains("delivered")).await;
    let g = app.customer_with(6002, "en", 2000).await;
    app.customer_with(6003, "en", 0).await;
    say(&app, &admin, "/ban 6003", |m| m.plain.contains("banned")).await;
    app.tg.send_my_chat_member(&g, true);
    let store = app.store().await;
    until("unreachable", || async { store.user(g.id).await.unwrap().unwrap().unreachable }).await;

    let s = say(&app, &admin, "/stats", |m| m.plain.contains("Users")).await;
    let text = &s.plain;
    for needle in [
        "Users: 4 · active 7 days: 4 · unreachable: 1 · banned: 1",
        "delivered: 1 / 1 / 1",
        "refunded: 0 / 0 / 0",
        "Today: revenue 1\u{202f}100\u{a0}DA, margin 120\u{a0}DA",
        "7 days: revenue 1\u{202f}100\u{a0}DA, margin 120\u{a0}DA",
        "All time: revenue 1\u{202f}100\u{a0}DA, margin 120\u{a0}DA",
        "Wallets: 5\u{202f}900\u{a0}DA available, 0\u{a0}DA reserved",
    ] {
        assert!(text.contains(needle), "stats lack {needle:?}:\n{text}");
    }
    assert_eq!(text.matches("processing:").count(), 1, "PLACED and HANDLING share one line:\n{text}");
}

#[tokio::test]
async fn a_paced_25_per_second_broadcast_keeps_under_the_limit_and_replies_go_first() {
    // Production pacing and the fake's flood control are both on (the suite's default).
    let app = TestApp::start_with(&[("BROADCAST_PER_SEC", "25")]).await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/start", |_| true).await;
    let customer = app.customer_with(4101, "en", 0).await;
    let store = app.store().await;
    add_users(&store, (1..=75).map(|i| 20_000 + i)).await;
    let s = start_broadcast(&app, "", "Paced news", 77).await;

    // A customer writes while copies are going out: the answer does not wait for the broadcast.
    app.tg.wait_for(LONG, |_| (broadcast_copies(&app, s.source) >= 10).then_some(())).await;
    let m = say(&app, &customer, "/start", |_| true).await;
    let copies_then = broadcast_copies(&app, s.source);
    assert!(copies_then < 70, "the reply came only after the broadcast ({copies_then} copies out): {}", m.plain);

    let done = wait_progress(&app, s.progress, "Broadcast finished").await;
    assert!(done.plain.contains("77 sent"), "{}", done.plain);
    let calls = broadcast_calls(&app, &s);
    assert_eq!(calls.len(), 77);
    let span = calls.last().unwrap().1.duration_since(calls.first().unwrap().1).as_secs_f64();
    let rate = (calls.len() - 1) as f64 / span;
    assert!((18.0..=26.5).contains(&rate), "{rate:.1} copies a second, asked 25");
    // Never over Telegram's limit: the fake's flood control refused nothing.
    assert_eq!(app.tg.flood_refusals(), 0);
    for (i, (_, t)) in calls.iter().enumerate() {
        let in_second = calls[i..].iter().take_while(|(_, u)| u.duration_since(*t) < Duration::from_secs(1)).count();
        assert!(in_second <= 30, "{in_second} copies within one second");
    }
}
