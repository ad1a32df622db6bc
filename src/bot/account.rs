//! Everyone's commands outside the order wizard: menu, balance, order history, language, help.
use super::state::State;
use super::turn::Turn;
use super::{Ctx, HandlerResult, keyboards, render, ui};
use crate::domain::{Dinars, OrderStatus};
use crate::i18n::{Lang, html_escape, money};
use crate::tr;
use teloxide::prelude::*;
use teloxide::types::{ChatMemberKind, MessageId};

const ORDERS_PER_PAGE: i64 = 5;

pub async fn start(t: &Turn<'_>) -> HandlerResult {
    let (bot, user) = (t.bot, t.user);
    t.dlg.update(State::Idle).await?;
    let text = tr!(user.language, "menu-greeting", name = html_escape(&user.first_name));
    ui::send(bot, ChatId(user.id), text, Some(keyboards::main_menu(user.language))).await?;
    Ok(())
}

pub async fn menu(t: &Turn<'_>, here: Option<MessageId>) -> HandlerResult {
    let (bot, user, chat) = (t.bot, t.user, t.chat);
    ui::edit_or_send(bot, chat, here, tr!(user.language, "menu-text"), Some(keyboards::main_menu(user.language)))
        .await?;
    Ok(())
}

pub async fn help(t: &Turn<'_>, here: Option<MessageId>) -> HandlerResult {
    let (bot, ctx, user, chat) = (t.bot, t.ctx, t.user, t.chat);
    let lang = user.language;
    let mut text = tr!(lang, "help-text");
    text.push_str("\n\n");
    text.push_str(&render::topup_hint(lang, &ctx.cfg.support_contact));
    text.push_str("\n\n");
    text.push_str(&tr!(lang, "help-reminders"));
    if ctx.cfg.is_admin(user.id) {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "help-admin"));
    }
    ui::edit_or_send(bot, chat, here, text, Some(keyboards::back_to_menu(lang))).await?;
    Ok(())
}

pub async fn balance(t: &Turn<'_>, here: Option<MessageId>) -> HandlerResult {
    let (bot, ctx, user, chat) = (t.bot, t.ctx, t.user, t.chat);
    let lang = user.language;
    let b = ctx.store.balances(user.id).await?;
    let mut text = tr!(
        lang,
        "balance-view",
        balance = money(lang, b.balance),
        held = money(lang, b.held),
        role = tr!(lang, if user.role == crate::domain::Role::Reseller { "role-reseller" } else { "role-customer" })
    );
    let entries = ctx.store.recent_ledger(user.id, 5).await?;
    text.push_str("\n\n");
    if entries.is_empty() {
        text.push_str(&tr!(lang, "balance-no-history"));
    } else {
        text.push_str(&tr!(lang, "balance-history"));
        for e in &entries {
            text.push_str("\n• ");
            text.push_str(&render::ledger_line(lang, e));
            // Where the money came from (online payment, transfer, shop credit, order, refund).
            text.push_str(" · ");
            text.push_str(&tr!(lang, &format!("topup-source-{}", e.source.as_str())));
        }
    }
    text.push_str("\n\n");
    text.push_str(&render::topup_hint(lang, &ctx.cfg.support_contact));
    // The id an admin needs to credit this wallet, tap to copy.
    text.push('\n');
    text.push_str(&tr!(lang, "topup-your-id", id = user.id.to_string()));
    if ctx.cfg.is_admin(user.id) {
        text.push_str("\n\n");
        text.push_str(&admin_balance(ctx, lang).await);
    }
    let kb = keyboards::with_topup(lang, ctx.cfg.topup.enabled());
    ui::edit_or_send(bot, chat, here, text, Some(kb)).await?;
    Ok(())
}

/// The shop's side of the money, for admins: live OneClickDZ balance against what wallets hold.
async fn admin_balance(ctx: &Ctx, lang: Lang) -> String {
    let owed = ctx.store.total_owed().await.map_err(|e| tracing::error!(error = %e, "total owed unavailable")).ok();
    let client = ctx.catalog.client();
    let (upstream, env) = tokio::join!(ctx.catalog.upstream_balance(true), client.validate());
    let env = env.map(|k| k.environment.to_string()).unwrap_or_else(|_| "?".into());
    let upstream = upstream.map_err(|e| tracing::warn!(error = %e, "OneClickDZ balance unavailable")).ok();
    admin_balance_text(lang, upstream, &env, owed)
}

/// What `/balance` adds for admins. An amount that could not be read says so: a database error
/// must never show as "nothing owed".
fn admin_balance_text(lang: Lang, upstream: Option<i64>, env: &str, owed: Option<i64>) -> String {
    let owed_text = owed.map_or_else(|| tr!(lang, "amount-unavailable"), |o| money(lang, Dinars(o)));
    match upstream {
        Some(up) => {
            let mut text = tr!(lang, "balance-admin", upstream = money(lang, Dinars(up)), env = env, owed = owed_text);
            if let Some(owed) = owed
                && up < owed
            {
                text.push('\n');
                text.push_str(&tr!(lang, "balance-admin-warning", missing = money(lang, Dinars(owed - up))));
            }
            text
        }
        None => tr!(lang, "balance-admin-unavailable", owed = owed_text),
    }
}

pub async fn orders(t: &Turn<'_>, here: Option<MessageId>, page: i64) -> HandlerResult {
    let (bot, ctx, user, chat) = (t.bot, t.ctx, t.user, t.chat);
    let lang = user.language;
    let total = ctx.store.count_orders_of_user(user.id).await?;
    if total == 0 {
        ui::edit_or_send(bot, chat, here, tr!(lang, "orders-empty"), Some(keyboards::main_menu(lang))).await?;
        return Ok(());
    }
    let pages = (total + ORDERS_PER_PAGE - 1) / ORDERS_PER_PAGE;
    let page = page.clamp(0, pages - 1);
    let list = ctx.store.orders_of_user(user.id, page * ORDERS_PER_PAGE, ORDERS_PER_PAGE).await?;
    let buttons: Vec<(i64, String)> = list.iter().map(|o| (o.id, render::orders_button(lang, o))).collect();
    let text = tr!(lang, "orders-title", page = page + 1, pages = pages, total = total);
    ui::edit_or_send(bot, chat, here, text, Some(keyboards::orders_page(lang, &buttons, page, pages))).await?;
    Ok(())
}

/// Shows one order again, code included, to its owner only.
pub async fn show_order(t: &Turn<'_>, id: i64) -> HandlerResult {
    let (bot, ctx, user, chat) = (t.bot, t.ctx, t.user, t.chat);
    let lang = user.language;
    let order = match ctx.store.order(id).await? {
        Some(o) if o.user_id == user.id => o,
        _ => {
            ui::send(bot, chat, tr!(lang, "order-not-found"), None).await?;
            return Ok(());
        }
    };
    let (code, shown) = match (&order.card_code_enc, order.status) {
        (Some(blob), OrderStatus::Fulfilled) => match ctx.cipher.open(&order.r#ref, blob) {
            Ok(c) => (Some(c.clone()), Some(c)),
            Err(e) => {
                super::notify::code_unreadable(bot, ctx, &order, &e).await;
                (None, Some(super::notify::contact_support(ctx, lang)))
            }
        },
        // Delivered without a code from OneClickDZ: who to ask, not a bare "unavailable".
        (None, OrderStatus::Fulfilled) => (None, Some(super::notify::contact_support(ctx, lang))),
        _ => (None, None),
    };
    let balance = ctx.store.balances(user.id).await.ok().map(|b| b.balance);
    let text = render::order_message(lang, &order, shown.as_deref(), balance);
    let kb = match order.status {
        OrderStatus::Fulfilled => keyboards::receipt(lang, order.id, code.as_deref()),
        _ => keyboards::back_to_menu(lang),
    };
    ui::send(bot, chat, text, Some(kb)).await?;
    Ok(())
}

pub async fn language_menu(t: &Turn<'_>, here: Option<MessageId>) -> HandlerResult {
    ui::edit_or_send(t.bot, t.chat, here, tr!(t.user.language, "language-choose"), Some(keyboards::languages()))
        .await?;
    Ok(())
}

/// The first message to someone whose Telegram language is none of ours: the question in all
/// three languages, each language named in itself.
pub async fn language_first(t: &Turn<'_>) -> HandlerResult {
    t.dlg.update(State::Idle).await?;
    ui::send(t.bot, t.chat, tr!(t.user.language, "language-choose-first"), Some(keyboards::languages())).await?;
    Ok(())
}

pub async fn set_language(t: &Turn<'_>, here: MessageId, lang: Lang) -> HandlerResult {
    let (bot, ctx, user, chat) = (t.bot, t.ctx, t.user, t.chat);
    ctx.store.set_language(user.id, lang).await?;
    let text = tr!(lang, "language-set");
    ui::edit_or_send(bot, chat, Some(here), text, Some(keyboards::main_menu(lang))).await?;
    super::setup::set_chat_commands(bot, ctx, user.id, lang).await;
    Ok(())
}

/// Blocking the bot (or unblocking it) arrives as a `my_chat_member` update in private chats.
pub async fn on_my_chat_member(upd: &teloxide::types::ChatMemberUpdated, ctx: &Ctx) -> HandlerResult {
    if !upd.chat.is_private() {
        return Ok(());
    }
    let unreachable = matches!(upd.new_chat_member.kind, ChatMemberKind::Banned(_) | ChatMemberKind::Left);
    match ctx.store.set_unreachable(upd.from.id.0 as i64, unreachable).await {
        Ok(()) | Err(crate::store::StoreError::NotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_balance_says_unavailable_when_the_amount_owed_cannot_be_read() {
        for lang in Lang::ALL {
            let unavailable = tr!(lang, "amount-unavailable");
            let zero = money(lang, Dinars(0));
            for upstream in [Some(5000), None] {
                let text = admin_balance_text(lang, upstream, "live", None);
                let owed_line = text.lines().last().unwrap();
                assert!(owed_line.contains(&unavailable), "{text}");
                assert!(!owed_line.contains(&zero), "a failed read shown as 0: {text}");
            }
        }
        let text = admin_balance_text(Lang::En, Some(1000), "live", Some(1500));
        assert!(
            text.contains(&money(Lang::En, Dinars(1500))) && text.contains(&money(Lang::En, Dinars(500))),
            "{text}"
        );
        let known_zero = admin_balance_text(Lang::En, None, "live", Some(0));
        assert!(
            known_zero.contains(&format!("Owed to customers (balances): {}", money(Lang::En, Dinars(0)))),
            "{known_zero}"
        );
    }
}
