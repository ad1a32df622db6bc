//! Coming back for the next card (issue 17): Buy again from a receipt or a reminder, renewal
//! reminders as Telegram shows them, and `/reminders on|off`.
use super::turn::Turn;
use super::{Ctx, HandlerResult, Tg, keyboards, order_flow, render, ui};
use crate::domain::{OrderStatus, PhoneNumber};
use crate::i18n::{Lang, card_value, html_escape};
use crate::store::Order;
use crate::store::reminders::Reminder;
use crate::tr;
use crate::workers::notifier::Copied;
use teloxide::RequestError;
use teloxide::types::ChatId;

/// Buy again: the customer's own delivered order, straight to its summary at today's price (or
/// the value list when that value is not on offer now). Anything else moves nothing and says so.
pub async fn buy_again(t: &Turn<'_>, order_id: i64) -> HandlerResult {
    let lang = t.user.language;
    let order = t.ctx.store.order(order_id).await?;
    let order = match may_buy_again(order.as_ref(), t.user.id) {
        Ok(o) => o,
        Err(refusal) => {
            ui::send(t.bot, t.chat, tr!(lang, refusal), None).await?;
            return Ok(());
        }
    };
    match PhoneNumber::parse(order.card_type, &order.number) {
        Ok(number) => order_flow::summary_for(t, order.card_type, number, order.value).await,
        // A number stored before today's rules: the wizard asks for it again.
        Err(e) => {
            ui::send(t.bot, t.chat, render::phone_error(lang, order.card_type, e), None).await?;
            Ok(())
        }
    }
}

/// The order Buy again may buy once more, or the refusal's text: only the customer's own
/// delivered orders. Someone else's order reads the same as a missing one: it reveals nothing.
/// (The router already refuses a button that is not on the pressed message; this holds anyway.)
fn may_buy_again(order: Option<&Order>, user_id: i64) -> Result<&Order, &'static str> {
    match order {
        Some(o) if o.user_id == user_id && o.status == OrderStatus::Fulfilled => Ok(o),
        Some(o) if o.user_id == user_id => Err("buy-again-not-delivered"),
        _ => Err("order-not-found"),
    }
}

/// The Stop reminders button under a reminder.
pub async fn stop_reminders(t: &Turn<'_>) -> HandlerResult {
    t.ctx.store.set_reminders(t.user.id, false).await?;
    ui::send(t.bot, t.chat, tr!(t.user.language, "reminders-turned-off"), None).await?;
    Ok(())
}

/// `/reminders on`, `/reminders off`, or `/reminders` alone for where they stand.
pub async fn reminders_command(t: &Turn<'_>, args: &[&str]) -> HandlerResult {
    let (store, user, lang) = (&t.ctx.store, t.user, t.user.language);
    let key = match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
        Some("on") => {
            store.set_reminders(user.id, true).await?;
            "reminders-turned-on"
        }
        Some("off") => {
            store.set_reminders(user.id, false).await?;
            "reminders-turned-off"
        }
        _ if store.reminders_on(user.id).await? => "reminders-status-on",
        _ => "reminders-status-off",
    };
    ui::send(t.bot, t.chat, tr!(lang, key), None).await?;
    Ok(())
}

/// The reminder's text: the line, its last card and the day it was delivered.
pub fn reminder_text(lang: Lang, r: &Reminder) -> String {
    tr!(
        lang,
        "reminder-text",
        kind = render::card_type(lang, r.card_type),
        number = html_escape(&r.number),
        value = card_value(r.value),
        date = local_date(r.delivered_at)
    )
}

/// `dd/mm/yyyy` in Algiers time.
fn local_date(ms: i64) -> String {
    crate::i18n::local_ms(ms).split_whitespace().next().unwrap_or_default().to_owned()
}

/// Sends a renewal reminder in the lane that yields to replies (`Notifier::renewal_reminder`).
pub async fn send_reminder(bot: &Tg, ctx: &Ctx, r: &Reminder) -> Copied {
    let lang = ctx.store.language_of(r.user_id).await.ok().flatten().unwrap_or(ctx.cfg.default_language);
    let kb = keyboards::reminder(lang, r.order_id);
    // A customer's private chat has the user's id.
    match bot.send_html_background(ChatId(r.user_id), reminder_text(lang, r), Some(kb)).await {
        Ok(_) => Copied::Sent,
        Err(RequestError::RetryAfter(after)) => Copied::RetryAfter(after.duration()),
        Err(e) if ui::is_unreachable(&e) => Copied::Unreachable,
        Err(e) => Copied::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CardType, Dinars, HoldState};

    fn o(user_id: i64, status: OrderStatus) -> Order {
        Order {
            user_id,
            chat_id: user_id,
            number: "036362608".into(),
            value: Dinars(1000),
            price: Dinars(1000),
            status,
            hold_state: HoldState::Captured,
            finished_at: Some(1),
            upstream_seen: true,
            ..crate::store::testing::order(1)
        }
    }

    #[test]
    fn buy_again_takes_only_the_customers_own_delivered_orders() {
        let mine = o(5, OrderStatus::Fulfilled);
        assert_eq!(may_buy_again(Some(&mine), 5).map(|o| o.id), Ok(1));
        assert_eq!(may_buy_again(Some(&mine), 6).map(|o| o.id), Err("order-not-found"), "someone else's");
        assert_eq!(may_buy_again(None, 5).map(|o| o.id), Err("order-not-found"));
        for status in [OrderStatus::Placed, OrderStatus::Queued, OrderStatus::Refunded, OrderStatus::Failed] {
            assert_eq!(may_buy_again(Some(&o(5, status)), 5).map(|o| o.id), Err("buy-again-not-delivered"));
        }
    }

    #[test]
    fn a_reminder_names_the_line_the_card_and_its_day_in_algiers() {
        let r = Reminder {
            order_id: 7,
            user_id: 5,
            card_type: CardType::FourG,
            number: "213661234567".into(),
            value: Dinars(1500),
            // 2025-12-31T23:30Z: already 1 January in Algiers.
            delivered_at: 1_767_223_800_000,
        };
        for lang in Lang::ALL {
            let text = reminder_text(lang, &r);
            for needle in ["213661234567", "1\u{202f}500", "01/01/2026", "Idoom 4G LTE"] {
                assert!(text.contains(needle), "{lang:?} lacks {needle:?}: {text}");
            }
        }
    }
}
