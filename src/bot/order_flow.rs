//! The order wizard: type → number → value → confirm. Confirm writes the order and its hold in
//! one transaction and hands it to the tracker; nothing here waits for OneClickDZ to deliver.
use super::notify;
use super::state::{Dlg, State};
use super::{Ctx, HandlerResult, Tg, keyboards, render, ui};
use crate::catalog::{BalanceAlert, Offer};
use crate::domain::order::new_order_ref;
use crate::domain::{CardType, PhoneNumber};
use crate::oneclick::OneClickError;
use crate::store::{NewOrder, PlaceOutcome, User, now_ms};
use crate::tr;
use teloxide::prelude::*;
use teloxide::types::{ChatAction, MessageId};

const RECENT_NUMBERS: i64 = 3;

/// Customers meet "back soon" while the shop is closed; admins keep working.
async fn closed(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    here: Option<MessageId>,
) -> Result<bool, super::BotError> {
    if !ctx.in_maintenance() || ctx.cfg.is_admin(user.id) {
        return Ok(false);
    }
    dlg.update(State::Idle).await?;
    ui::edit_or_send(bot, chat, here, tr!(user.language, "maintenance"), None).await?;
    Ok(true)
}

pub async fn begin(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    here: Option<MessageId>,
) -> HandlerResult {
    if closed(bot, ctx, user, dlg, chat, here).await? {
        return Ok(());
    }
    let msg = ui::edit_or_send(
        bot,
        chat,
        here,
        tr!(user.language, "order-choose-type"),
        Some(keyboards::card_types(user.language)),
    )
    .await?;
    dlg.update(State::ChoosingType { msg: msg.0 }).await?;
    Ok(())
}

pub async fn type_chosen(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    msg: MessageId,
    t: CardType,
) -> HandlerResult {
    if closed(bot, ctx, user, dlg, chat, Some(msg)).await? {
        return Ok(());
    }
    show_number_step(bot, ctx, user, dlg, chat, msg, t).await
}

async fn show_number_step(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    msg: MessageId,
    t: CardType,
) -> HandlerResult {
    let recent = ctx.store.recent_numbers(user.id, t, RECENT_NUMBERS).await?;
    let mut text = render::number_prompt(user.language, t);
    if !recent.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(user.language, "order-recent-numbers"));
    }
    let msg = ui::edit_or_send(
        bot,
        chat,
        Some(msg),
        text,
        Some(keyboards::number_step(user.language, &recent)),
    )
    .await?;
    dlg.update(State::EnteringNumber {
        msg: msg.0,
        card_type: t,
    })
    .await?;
    Ok(())
}

/// The customer typed (or sent something instead of) a number.
#[allow(clippy::too_many_arguments)]
pub async fn number_typed(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    wizard: MessageId,
    t: CardType,
    text: Option<&str>,
) -> HandlerResult {
    let lang = user.language;
    let Some(text) = text else {
        ui::send(
            bot,
            chat,
            tr!(lang, "phone-send-text", example = render::example_number(t)),
            None,
        )
        .await?;
        return Ok(());
    };
    match PhoneNumber::parse(t, text) {
        Err(e) => {
            ui::send(bot, chat, render::phone_error(lang, t, e), None).await?;
            Ok(())
        }
        Ok(number) => {
            // The answer goes in a new message below the customer's; the old step loses its buttons.
            ui::drop_keyboard(bot, chat, wizard).await;
            accept_number(bot, ctx, user, dlg, chat, None, t, number).await
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn number_chosen(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    msg: MessageId,
    t: CardType,
    n: &str,
) -> HandlerResult {
    match PhoneNumber::parse(t, n) {
        Ok(number) => accept_number(bot, ctx, user, dlg, chat, Some(msg), t, number).await,
        Err(e) => {
            ui::send(bot, chat, render::phone_error(user.language, t, e), None).await?;
            Ok(())
        }
    }
}

/// A well-formed number: OneClickDZ confirms it belongs to the service, then the values follow.
#[allow(clippy::too_many_arguments)]
async fn accept_number(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    here: Option<MessageId>,
    t: CardType,
    number: PhoneNumber,
) -> HandlerResult {
    let lang = user.language;
    if closed(bot, ctx, user, dlg, chat, here).await? {
        return Ok(());
    }
    let _ = bot.send_chat_action(chat, ChatAction::Typing).await;
    match ctx.catalog.client().check_number(t, number.as_str()).await {
        Ok(_) => {}
        Err(OneClickError::InvalidPhone { .. }) => {
            let text = tr!(
                lang,
                "phone-rejected",
                kind = render::card_type(lang, t),
                number = number.as_str()
            );
            let msg = ui::edit_or_send(
                bot,
                chat,
                here,
                text,
                Some(keyboards::number_step(lang, &[])),
            )
            .await?;
            dlg.update(State::EnteringNumber {
                msg: msg.0,
                card_type: t,
            })
            .await?;
            return Ok(());
        }
        // The check only saves a failed send; if it cannot run, the send still validates.
        Err(e) => tracing::warn!(error = %e, "check-number unavailable; continuing"),
    }
    let offers = match load_offers(bot, ctx, user, t, false).await {
        Ok(o) => o,
        Err(()) => {
            ui::edit_or_send(
                bot,
                chat,
                here,
                tr!(lang, "service-unavailable"),
                Some(keyboards::main_menu(lang)),
            )
            .await?;
            dlg.update(State::Idle).await?;
            return Ok(());
        }
    };
    show_values(
        bot,
        user,
        dlg,
        chat,
        here,
        t,
        number.as_str().to_owned(),
        &offers,
        None,
    )
    .await
}

/// Offers for this customer's tier; tells admins once when the shop's balance hides a value.
async fn load_offers(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    t: CardType,
    fresh: bool,
) -> Result<Vec<Offer>, ()> {
    match ctx.catalog.offers(t, user.role.tier(), fresh).await {
        Ok((offers, alert)) => {
            match alert {
                BalanceAlert::None => {}
                BalanceAlert::BecameLow { balance, needed } => {
                    notify::admins_low_balance(bot, ctx, t, balance, needed).await;
                }
                BalanceAlert::Recovered { balance } => {
                    notify::admins_balance_recovered(bot, ctx, balance).await
                }
            }
            Ok(offers)
        }
        Err(e) => {
            tracing::warn!(error = %e, "products unavailable");
            Err(())
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn show_values(
    bot: &Tg,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    here: Option<MessageId>,
    t: CardType,
    number: String,
    offers: &[Offer],
    notice: Option<String>,
) -> HandlerResult {
    let lang = user.language;
    if offers.is_empty() {
        let text = tr!(lang, "order-no-values", kind = render::card_type(lang, t));
        ui::edit_or_send(bot, chat, here, text, Some(keyboards::main_menu(lang))).await?;
        dlg.update(State::Idle).await?;
        return Ok(());
    }
    let mut text = String::new();
    if let Some(n) = notice {
        text.push_str(&n);
        text.push_str("\n\n");
    }
    text.push_str(&tr!(
        lang,
        "order-choose-value",
        kind = render::card_type(lang, t),
        number = number.clone()
    ));
    let msg =
        ui::edit_or_send(bot, chat, here, text, Some(keyboards::values(lang, offers))).await?;
    dlg.update(State::ChoosingValue {
        msg: msg.0,
        card_type: t,
        number,
    })
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn value_chosen(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    msg: MessageId,
    t: CardType,
    number: String,
    value: i64,
) -> HandlerResult {
    if closed(bot, ctx, user, dlg, chat, Some(msg)).await? {
        return Ok(());
    }
    let Ok(offers) = load_offers(bot, ctx, user, t, false).await else {
        ui::edit_or_send(
            bot,
            chat,
            Some(msg),
            tr!(user.language, "service-unavailable"),
            Some(keyboards::main_menu(user.language)),
        )
        .await?;
        dlg.update(State::Idle).await?;
        return Ok(());
    };
    let Some(offer) = offers.iter().find(|o| o.value == value).copied() else {
        let notice = tr!(user.language, "order-value-gone", value = value.to_string());
        return show_values(
            bot,
            user,
            dlg,
            chat,
            Some(msg),
            t,
            number,
            &offers,
            Some(notice),
        )
        .await;
    };
    show_summary(bot, ctx, user, dlg, chat, msg, t, number, offer, None).await
}

#[allow(clippy::too_many_arguments)]
async fn show_summary(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    msg: MessageId,
    t: CardType,
    number: String,
    offer: Offer,
    notice: Option<String>,
) -> HandlerResult {
    let lang = user.language;
    let balance = ctx.store.balances(user.id).await?.balance;
    let mut text = notice.map(|n| n + "\n\n").unwrap_or_default();
    text.push_str(&render::summary(
        lang,
        t,
        &number,
        offer.value,
        offer.price,
        balance,
    ));
    let msg = ui::edit_or_send(bot, chat, Some(msg), text, Some(keyboards::confirm(lang))).await?;
    let order_ref = new_order_ref(user.id, now_ms(), rand::random());
    dlg.update(State::Confirming {
        msg: msg.0,
        card_type: t,
        number,
        value: offer.value,
        price: offer.price,
        order_ref,
    })
    .await?;
    Ok(())
}

pub async fn confirm(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    msg: MessageId,
    state: State,
) -> HandlerResult {
    let State::Confirming {
        card_type: t,
        number,
        value,
        price,
        order_ref,
        ..
    } = state
    else {
        return Ok(());
    };
    let lang = user.language;
    // Leave the step first: a second press (or a second device) now finds no confirm to act on.
    dlg.update(State::Idle).await?;
    ui::drop_keyboard(bot, chat, msg).await;
    if closed(bot, ctx, user, dlg, chat, Some(msg)).await? {
        return Ok(());
    }
    // Stock and prices are checked afresh: the summary may have been on screen for a while.
    let Ok(offers) = load_offers(bot, ctx, user, t, true).await else {
        ui::edit_or_send(
            bot,
            chat,
            Some(msg),
            tr!(lang, "service-unavailable"),
            Some(keyboards::main_menu(lang)),
        )
        .await?;
        return Ok(());
    };
    let Some(offer) = offers.iter().find(|o| o.value == value).copied() else {
        let notice = tr!(lang, "order-value-gone", value = value.to_string());
        return show_values(
            bot,
            user,
            dlg,
            chat,
            Some(msg),
            t,
            number,
            &offers,
            Some(notice),
        )
        .await;
    };
    if offer.price != price {
        let notice = tr!(lang, "order-price-changed");
        return show_summary(
            bot,
            ctx,
            user,
            dlg,
            chat,
            msg,
            t,
            number,
            offer,
            Some(notice),
        )
        .await;
    }
    let new = NewOrder {
        r#ref: order_ref,
        user_id: user.id,
        chat_id: chat.0,
        message_id: Some(msg.0),
        card_type: t,
        number,
        value,
        price,
        cost: Some(offer.cost),
        fast_window_ms: ctx.cfg.order_fast_poll_window.as_millis() as i64,
    };
    match ctx.store.place_order_with_hold(&new).await? {
        PlaceOutcome::Placed { order, .. } => {
            tracing::info!(order_ref = %order.r#ref, id = order.id, "order placed");
            ctx.tracker_wake.notify_one();
            let text = render::order_message(lang, &order, None, None);
            ui::edit_or_send(bot, chat, Some(msg), text, None).await?;
        }
        PlaceOutcome::Duplicate(order) => {
            tracing::info!(order_ref = %order.r#ref, "duplicate confirm ignored");
        }
        PlaceOutcome::InsufficientFunds { available } => {
            let text = render::insufficient(lang, available, price, &ctx.cfg.support_contact);
            ui::edit_or_send(
                bot,
                chat,
                Some(msg),
                text,
                Some(keyboards::back_to_menu(lang)),
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn back(
    bot: &Tg,
    ctx: &Ctx,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    msg: MessageId,
    state: State,
) -> HandlerResult {
    match state {
        State::EnteringNumber { .. } => begin(bot, ctx, user, dlg, chat, Some(msg)).await,
        State::ChoosingValue { card_type, .. } => {
            show_number_step(bot, ctx, user, dlg, chat, msg, card_type).await
        }
        State::Confirming {
            card_type, number, ..
        } => {
            let Ok(offers) = load_offers(bot, ctx, user, card_type, false).await else {
                return cancel(bot, user, dlg, chat, Some(msg)).await;
            };
            show_values(
                bot,
                user,
                dlg,
                chat,
                Some(msg),
                card_type,
                number,
                &offers,
                None,
            )
            .await
        }
        _ => cancel(bot, user, dlg, chat, Some(msg)).await,
    }
}

/// `/cancel` or the Cancel button, at any step: back to the menu, nothing kept.
pub async fn cancel(
    bot: &Tg,
    user: &User,
    dlg: &Dlg,
    chat: ChatId,
    here: Option<MessageId>,
) -> HandlerResult {
    dlg.update(State::Idle).await?;
    let lang = user.language;
    ui::edit_or_send(
        bot,
        chat,
        here,
        tr!(lang, "order-cancelled"),
        Some(keyboards::main_menu(lang)),
    )
    .await?;
    Ok(())
}
