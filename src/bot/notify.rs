//! Messages the bot sends on its own: an order's status to its customer, alerts to admins.
use super::{Ctx, Tg, keyboards, render, ui};
use crate::domain::{CardType, Dinars, OrderStatus};
use crate::i18n::{Lang, money};
use crate::store::Order;
use crate::tr;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::MessageId;

/// How telling the customer went.
#[derive(Debug, PartialEq, Eq)]
pub enum Told {
    /// The chat shows the status; the id of the message that holds it.
    Shown(Option<i32>),
    /// The customer blocked the bot or is gone; the receipt stays in /orders.
    Unreachable,
}

/// Brings the order's message up to date with its status. A QUEUED order fulfilled later gets
/// a new message (so the customer is notified) and the old one points to it.
pub async fn order_changed(bot: &Tg, ctx: &Ctx, order: &Order) -> Result<Told, RequestError> {
    let lang = ctx.store.language_of(order.user_id).await.ok().flatten().unwrap_or(ctx.cfg.default_language);
    let chat = ChatId(order.chat_id);
    let old = order.message_id.map(MessageId);
    let res = match order.status {
        OrderStatus::Fulfilled => {
            let code = order.card_code_enc.as_deref().and_then(|b| match ctx.cipher.decrypt(b) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(order_ref = %order.r#ref, error = %e, "card code cannot be decrypted");
                    None
                }
            });
            let text = render::order_message(lang, order, code.as_deref(), None);
            let kb = keyboards::receipt(lang, code.as_deref());
            if order.was_queued || old.is_none() {
                let sent = ui::send(bot, chat, text, Some(kb)).await;
                if let (Ok(_), Some(old)) = (&sent, old) {
                    let pointer = tr!(lang, "order-delivered-below", id = order.id);
                    let _ = ui::edit(bot, chat, old, pointer, None).await;
                }
                sent.map(|m| Some(m.0))
            } else {
                ui::edit_or_send(bot, chat, old, text, Some(kb)).await.map(|m| Some(m.0))
            }
        }
        status => {
            let balance = match status {
                OrderStatus::Refunded | OrderStatus::Failed => {
                    ctx.store.balances(order.user_id).await.ok().map(|b| b.balance)
                }
                _ => None,
            };
            let text = render::order_message(lang, order, None, balance);
            let kb = status.is_final().then(|| keyboards::main_menu(lang));
            ui::edit_or_send(bot, chat, old, text, kb).await.map(|m| Some(m.0))
        }
    };
    match res {
        Ok(id) => Ok(Told::Shown(id)),
        Err(e) if ui::is_unreachable(&e) => {
            let _ = ctx.store.set_unreachable(order.user_id, true).await;
            Ok(Told::Unreachable)
        }
        Err(e) => Err(e),
    }
}

/// Sends one alert to the admin chat, or to every admin in their own language.
pub async fn admins(bot: &Tg, ctx: &Ctx, text: impl Fn(Lang) -> String) {
    let targets: Vec<(i64, Lang)> = match ctx.cfg.admin_chat_id {
        Some(chat) => vec![(chat, ctx.cfg.default_language)],
        None => {
            let mut v = Vec::new();
            for id in &ctx.cfg.admin_ids {
                let lang = ctx.store.language_of(*id).await.ok().flatten().unwrap_or(ctx.cfg.default_language);
                v.push((*id, lang));
            }
            v
        }
    };
    for (chat, lang) in targets {
        if let Err(e) = ui::send(bot, ChatId(chat), text(lang), None).await {
            tracing::warn!(chat, error = %e, "admin alert not delivered");
        }
    }
}

pub async fn admins_low_balance(bot: &Tg, ctx: &Ctx, t: CardType, balance: i64, needed: i64) {
    admins(bot, ctx, |l| {
        tr!(
            l,
            "alert-low-balance",
            kind = render::card_type(l, t),
            balance = money(l, Dinars(balance)),
            needed = money(l, Dinars(needed))
        )
    })
    .await;
}

pub async fn admins_balance_recovered(bot: &Tg, ctx: &Ctx, balance: i64) {
    admins(bot, ctx, |l| tr!(l, "alert-balance-recovered", balance = money(l, Dinars(balance)))).await;
}

/// An order reached a state an admin should see: QUEUED, REFUNDED, or a refusal that is the shop's problem.
pub async fn admins_order(bot: &Tg, ctx: &Ctx, order: &Order, key: &'static str) {
    admins(bot, ctx, |l| {
        tr!(
            l,
            key,
            id = order.id,
            order_ref = order.r#ref.clone(),
            user = order.user_id.to_string(),
            kind = render::card_type(l, order.card_type),
            value = order.value.to_string(),
            number = order.number.clone()
        )
    })
    .await;
}
