//! Steps a customer takes in chat, shared by the end-to-end tests.
use super::{BotMessage, FakeTelegram, TgUser, WAIT};
use netcard_bot::domain::Dinars;

/// Waits until the chat's newest bot message satisfies `pred`.
pub async fn wait_last(tg: &FakeTelegram, chat: i64, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    tg.wait_for(WAIT, |tg| tg.last_bot_message(chat).filter(|m| pred(m))).await
}

/// Waits until message `id` in the chat satisfies `pred`.
pub async fn wait_msg(tg: &FakeTelegram, chat: i64, id: i32, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    tg.wait_for(WAIT, |tg| tg.bot_messages(chat).into_iter().find(|m| m.message_id == id && pred(m))).await
}

/// Walks the wizard up to the confirm screen; returns that message.
pub async fn to_confirm(tg: &FakeTelegram, u: &TgUser, kind: &str, number: &str, value: i64) -> BotMessage {
    let before = tg.bot_messages(u.id).len();
    tg.send_text(u, "/order");
    let m = tg
        .wait_for(WAIT, |tg| {
            let msgs = tg.bot_messages(u.id);
            (msgs.len() > before)
                .then(|| msgs.last().cloned())
                .flatten()
                .filter(|m| m.has_button("ADSL") && m.has_button("4G"))
        })
        .await;
    tg.press_button(u, m.message_id, kind);
    wait_msg(tg, u.id, m.message_id, |m| m.plain.contains("phone number")).await;
    tg.send_text(u, number);
    let label = format!("{}\u{a0}DA", Dinars(value).grouped());
    let values = wait_last(tg, u.id, |m| m.has_button(&label)).await;
    tg.press_button(u, values.message_id, &label);
    wait_msg(tg, u.id, values.message_id, |m| m.has_button("Confirm")).await
}

/// Whole order up to Confirm pressed; returns the order message id.
pub async fn place(tg: &FakeTelegram, u: &TgUser, kind: &str, number: &str, value: i64) -> i32 {
    let m = to_confirm(tg, u, kind, number, value).await;
    tg.press_button(u, m.message_id, "Confirm");
    m.message_id
}

/// Waits until a child bot's output contains `needle`.
pub async fn wait_logs(p: &testkit::BotProcess, needle: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while !p.logs().contains(needle) {
        assert!(std::time::Instant::now() < deadline, "no {needle:?} in logs:\n{}", p.logs());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// An admin's valid `/credit` or `/debit`: waits for its preview (a new message with a Confirm
/// button; alerts may arrive in between) and returns it without confirming.
pub async fn money_preview(tg: &FakeTelegram, admin: &TgUser, command: &str) -> BotMessage {
    let before = tg.bot_messages(admin.id).len();
    tg.send_text(admin, command);
    tg.wait_for(WAIT, |tg| tg.bot_messages(admin.id).into_iter().skip(before).find(|m| m.has_button("Confirm"))).await
}

/// A valid `/credit` or `/debit` confirmed with one tap; returns what the preview became.
pub async fn money_confirmed(tg: &FakeTelegram, admin: &TgUser, command: &str) -> String {
    let preview = money_preview(tg, admin, command).await;
    tg.press_button(admin, preview.message_id, "Confirm");
    wait_msg(tg, admin.id, preview.message_id, |m| !m.has_button("Confirm")).await.plain
}
