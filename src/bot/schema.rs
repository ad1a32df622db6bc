//! Routing: every update kind, command, typed text and button press to its handler, in one place.
use super::callback::{Cb, MenuItem};
use super::commands::{self, Command, Parsed};
use super::state::{Awaits, Dlg, State};
use super::turn::Turn;
use super::{Ctx, HandlerResult, Tg, account, admin, lookup, order_flow, render, reorder, topup, ui};
use crate::domain::Dinars;
use crate::i18n::Lang;
use crate::store::{Member, NewUser};
use crate::tr;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use teloxide::dispatching::dialogue::ErasedStorage;
use teloxide::prelude::*;
use teloxide::types::{ChatKind, UpdateKind};

/// What every update is handled with.
pub struct Deps {
    pub bot: Tg,
    pub ctx: Arc<Ctx>,
    pub storage: Arc<ErasedStorage<State>>,
}

/// Routes one update: the only kinds asked of Telegram (`dispatch::ALLOWED_UPDATES`) are read.
pub async fn handle(d: Arc<Deps>, upd: Box<Update>) -> HandlerResult {
    match &upd.kind {
        UpdateKind::MyChatMember(m) => account::on_my_chat_member(m, &d.ctx).await,
        UpdateKind::CallbackQuery(q) if in_admin_chat(q, &d.ctx) => admin_chat_press(q, &d).await,
        UpdateKind::Message(_) | UpdateKind::CallbackQuery(_) => {
            let Some(who) = gate(&upd, &d).await else { return Ok(()) };
            let lang = who.user.language;
            // The one place handler failures (errors and panics) are caught: the user hears of it.
            let res = AssertUnwindSafe(route(&upd, &d.bot, &d.ctx, who)).catch_unwind().await;
            if !matches!(res, Ok(Ok(()))) {
                ui::tell_failure(&d.bot, &upd, lang).await;
            }
            // The dispatcher logs the error or the panic.
            res.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }
        _ => Ok(()),
    }
}

/// Who is talking, and where their dialogue stands: what the gate hands to the handlers.
struct Sender {
    user: Member,
    dlg: Dlg,
    state: State,
    /// A first `/start` from someone whose Telegram language is none of ours.
    first_unknown_language: bool,
}

/// A press on a message in `ADMIN_CHAT_ID` (a group), where receipt requests go when it is set.
fn in_admin_chat(q: &CallbackQuery, ctx: &Ctx) -> bool {
    let chat = q.message.as_ref().map(|m| m.chat().id.0);
    ctx.cfg.admin_chat_id.is_some() && chat == ctx.cfg.admin_chat_id
}

/// In the admin group only the receipt decisions are served, and only to members listed in
/// `ADMIN_IDS`; anything else there stays ignored, as in any group. The admin's own private
/// chat is the turn's chat: "Reject" and "Other amount" ask for the typed reason or amount there,
/// where the dialogue reads it (a group's messages are not the admin's dialogue).
async fn admin_chat_press(q: &CallbackQuery, d: &Deps) -> HandlerResult {
    let (bot, ctx) = (&d.bot, &d.ctx);
    let Some(cb @ (Cb::TopupApprove(_) | Cb::TopupReject(_) | Cb::TopupOther(_))) =
        q.data.as_deref().and_then(Cb::parse)
    else {
        return Ok(());
    };
    let lang = q.from.language_code.as_deref().and_then(Lang::from_code).unwrap_or(ctx.cfg.default_language);
    if q.from.is_bot || !ctx.cfg.is_admin(q.from.id.0 as i64) {
        bot.answer_callback_query(q.id.clone()).text(tr!(lang, "topup-admin-not-allowed")).await?;
        return Ok(());
    }
    // Only a payload on the pressed message's own keyboard (not forged or replayed).
    let on_keyboard = q.message.as_ref().and_then(|m| m.regular_message()).and_then(|m| m.reply_markup()).is_some_and(
        |kb| {
            kb.inline_keyboard.iter().flatten().any(|b| {
                matches!(&b.kind, teloxide::types::InlineKeyboardButtonKind::CallbackData(d) if Some(d.as_str()) == q.data.as_deref())
            })
        },
    );
    if !on_keyboard {
        bot.answer_callback_query(q.id.clone()).text(tr!(lang, "stale-button")).await?;
        return Ok(());
    }
    let user = match ctx.store.touch_user(&new_user(&q.from, ctx)).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "could not register user");
            return Ok(());
        }
    };
    let private = ChatId(user.id);
    let dlg = Dlg::new(d.storage.clone(), private);
    let asks = !matches!(cb, Cb::TopupApprove(_));
    let answer = bot.answer_callback_query(q.id.clone());
    if asks {
        answer.text(tr!(user.language, "topup-admin-asked-privately")).await?
    } else {
        answer.await?
    };
    let t = Turn { bot, ctx, user: &user, dlg: &dlg, chat: private };
    match cb {
        Cb::TopupApprove(id) => topup::approve(&t, id).await,
        Cb::TopupReject(id) => topup::ask_reason(&t, id).await,
        Cb::TopupOther(id) => topup::ask_amount(&t, id).await,
        _ => Ok(()),
    }
}

fn new_user(from: &teloxide::types::User, ctx: &Ctx) -> NewUser {
    NewUser {
        id: from.id.0 as i64,
        first_name: from.first_name.clone(),
        last_name: from.last_name.clone(),
        username: from.username.clone(),
        language: from.language_code.as_deref().and_then(Lang::from_code).unwrap_or(ctx.cfg.default_language),
        is_admin: ctx.cfg.is_admin(from.id.0 as i64),
    }
}

/// Registers the sender, stops banned users with one short refusal, and reads the chat's
/// dialogue. Only private chats are served: card codes must never land in a group.
async fn gate(upd: &Update, d: &Deps) -> Option<Sender> {
    let (bot, ctx) = (&d.bot, &d.ctx);
    let from = upd.from()?;
    let private = match &upd.kind {
        UpdateKind::Message(m) => matches!(m.chat.kind, ChatKind::Private(_)),
        UpdateKind::CallbackQuery(q) => {
            q.message.as_ref().is_none_or(|m| matches!(m.chat().kind, ChatKind::Private(_)))
        }
        _ => false,
    };
    if !private || from.is_bot {
        return None;
    }
    // Asked only of a `/start` in a language we do not speak, before the account exists.
    let first_unknown_language = from.language_code.as_deref().and_then(Lang::from_code).is_none()
        && matches!(&upd.kind, UpdateKind::Message(m)
            if matches!(m.text().and_then(commands::parse), Some(Parsed::Known(Command::Start, _))))
        && matches!(ctx.store.user(from.id.0 as i64).await, Ok(None));
    let new = new_user(from, ctx);
    let user = match ctx.store.touch_user(&new).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "could not register user");
            ui::tell_failure(bot, upd, new.language).await;
            return None;
        }
    };
    if user.banned && !ctx.cfg.is_admin(user.id) {
        let support = &ctx.cfg.support_contact;
        match &upd.kind {
            UpdateKind::CallbackQuery(q) => {
                let text = render::banned(user.language, support, false);
                let _ = bot.answer_callback_query(q.id.clone()).text(text).await;
            }
            _ => {
                let _ = ui::send(bot, ChatId(user.id), render::banned(user.language, support, true), None).await;
            }
        }
        return None;
    }
    // As teloxide's `enter_dialogue`: the chat's state, the default when it has none.
    let dlg = Dlg::new(d.storage.clone(), upd.chat()?.id);
    match dlg.get_or_default().await {
        Ok(state) => Some(Sender { user, dlg, state, first_unknown_language }),
        Err(e) => {
            tracing::error!(error = %e, "could not read the dialogue");
            ui::tell_failure(bot, upd, user.language).await;
            None
        }
    }
}

async fn route(upd: &Update, bot: &Tg, ctx: &Ctx, who: Sender) -> HandlerResult {
    let Sender { user, dlg, state, first_unknown_language } = who;
    match &upd.kind {
        UpdateKind::Message(msg) if first_unknown_language => {
            account::language_first(&Turn { bot, ctx, user: &user, dlg: &dlg, chat: msg.chat.id }).await
        }
        UpdateKind::Message(msg) => on_message(bot, msg, ctx, user, dlg, state).await,
        UpdateKind::CallbackQuery(q) => on_callback(bot, q, ctx, user, dlg, state).await,
        _ => Ok(()),
    }
}

async fn on_message(bot: &Tg, msg: &Message, ctx: &Ctx, user: Member, dlg: Dlg, state: State) -> HandlerResult {
    let chat = msg.chat.id;
    let lang = user.language;
    let is_admin = ctx.cfg.is_admin(user.id);
    let t = Turn { bot, ctx, user: &user, dlg: &dlg, chat };
    if let Some(parsed) = msg.text().and_then(commands::parse) {
        let (cmd, args) = match parsed {
            Parsed::Known(cmd, args) if !cmd.is_admin() || is_admin => (cmd, args),
            // Admin commands from anyone else get the same answer as a typo: they reveal nothing.
            _ => {
                ui::send(bot, chat, tr!(lang, "unknown-command"), None).await?;
                return Ok(());
            }
        };
        return match cmd {
            Command::Start => account::start(&t).await,
            Command::Order => order_flow::begin(&t, None).await,
            Command::Balance => account::balance(&t, None).await,
            Command::Orders => account::orders(&t, None, 0).await,
            Command::Language => account::language_menu(&t, None).await,
            Command::Help => account::help(&t, None).await,
            Command::Cancel if state.is_topup() => topup::cancel(&t, None).await,
            Command::Cancel => order_flow::cancel(&t, None).await,
            Command::Panel => super::panel_link::command(&t).await,
            Command::Topup => topup::begin(&t, None).await,
            Command::Topups => topup::admin_list(&t).await,
            Command::Reminders => reorder::reminders_command(&t, &args).await,
            admin_cmd => admin::command(&t, admin_cmd, &args).await,
        };
    }
    match (state, msg.text()) {
        (State::EnteringNumber { msg: wizard, card_type }, text) => {
            order_flow::number_typed(&t, wizard, card_type, text).await
        }
        (State::BroadcastCompose, _) if is_admin => admin::broadcast_compose(&t, msg).await,
        (State::TopupAmount { msg: wizard, online }, text) => topup::amount_typed(&t, wizard, online, text).await,
        (State::TopupReceipt { amount }, _) => topup::receipt_sent(&t, msg, amount).await,
        (State::TopupAdminAmount { topup_id }, text) if is_admin => topup::admin_amount_typed(&t, topup_id, text).await,
        (State::TopupAdminReason { topup_id }, text) if is_admin => topup::admin_reason_typed(&t, topup_id, text).await,
        (state, _) if state.awaits() == Awaits::Buttons => {
            ui::send(bot, chat, tr!(lang, "use-buttons"), None).await?;
            Ok(())
        }
        _ => {
            ui::send(bot, chat, tr!(lang, "not-understood"), Some(super::keyboards::main_menu(lang))).await?;
            Ok(())
        }
    }
}

async fn on_callback(bot: &Tg, q: &CallbackQuery, ctx: &Ctx, user: Member, dlg: Dlg, state: State) -> HandlerResult {
    let lang = user.language;
    let parsed = q.data.as_deref().and_then(Cb::parse);
    let (Some(cb), Some(message)) = (parsed, q.message.as_ref()) else {
        bot.answer_callback_query(q.id.clone()).text(tr!(lang, "stale-button")).await?;
        return Ok(());
    };
    let chat = message.chat().id;
    let pressed = message.id();
    // A payload that is not on the pressed message's own keyboard was forged or replayed.
    let on_keyboard = message.regular_message().and_then(|m| m.reply_markup()).is_some_and(|kb| {
        kb.inline_keyboard.iter().flatten().any(|b| {
            matches!(&b.kind, teloxide::types::InlineKeyboardButtonKind::CallbackData(d) if Some(d.as_str()) == q.data.as_deref())
        })
    });
    // Steps of a wizard only accept presses on the message that shows the current step.
    if !on_keyboard || (cb.is_step() && state.wizard_msg() != Some(pressed)) {
        bot.answer_callback_query(q.id.clone()).text(tr!(lang, "stale-button")).await?;
        return Ok(());
    }
    // Answer first: the client shows a spinner until then, and slow work follows.
    bot.answer_callback_query(q.id.clone()).await?;
    let here = Some(pressed);
    let t = Turn { bot, ctx, user: &user, dlg: &dlg, chat };
    match (cb, state) {
        (Cb::Menu(MenuItem::Order), _) => order_flow::begin(&t, here).await,
        (Cb::Menu(MenuItem::Balance), _) => account::balance(&t, here).await,
        (Cb::Menu(MenuItem::Orders), _) => account::orders(&t, here, 0).await,
        (Cb::Menu(MenuItem::Language), _) => account::language_menu(&t, here).await,
        (Cb::Menu(MenuItem::Help), _) => account::help(&t, here).await,
        (Cb::Menu(MenuItem::Main), _) => account::menu(&t, here).await,
        (Cb::OrdersPage(p), _) => account::orders(&t, here, p).await,
        (Cb::Order(id), _) => account::show_order(&t, id).await,
        (Cb::Language(l), _) => account::set_language(&t, pressed, l).await,
        (Cb::Cancel, State::BroadcastConfirm { .. }) | (Cb::BroadcastCancel, _) => {
            admin::broadcast_abort(&t, pressed).await
        }
        (Cb::Cancel, state) if state.is_topup() => topup::cancel(&t, here).await,
        (Cb::Cancel, _) => order_flow::cancel(&t, here).await,
        (Cb::Topup, _) => topup::begin(&t, here).await,
        (Cb::BuyAgain(order), _) => reorder::buy_again(&t, order).await,
        (Cb::RemindersOff, _) => reorder::stop_reminders(&t).await,
        (Cb::TopupVia(online), State::TopupChoosing { .. }) => topup::method_chosen(&t, pressed, online).await,
        (Cb::TopupAmount(a), State::TopupAmount { online, .. }) => {
            topup::amount_chosen(&t, pressed, online, Dinars(a)).await
        }
        // Decisions on receipts: admins only; a forged payload from anyone else changes nothing.
        (Cb::TopupApprove(id), _) if ctx.cfg.is_admin(user.id) => topup::approve(&t, id).await,
        (Cb::TopupReject(id), _) if ctx.cfg.is_admin(user.id) => topup::ask_reason(&t, id).await,
        (Cb::TopupOther(id), _) if ctx.cfg.is_admin(user.id) => topup::ask_amount(&t, id).await,
        (Cb::Type(ty), State::ChoosingType { .. }) => order_flow::type_chosen(&t, pressed, ty).await,
        (Cb::Number(n), State::EnteringNumber { card_type, .. }) => {
            order_flow::number_chosen(&t, pressed, card_type, &n).await
        }
        (Cb::Value(v), State::ChoosingValue { card_type, number, .. }) => {
            order_flow::value_chosen(&t, pressed, card_type, number, Dinars(v)).await
        }
        (Cb::Confirm, state @ State::Confirming { .. }) => order_flow::confirm(&t, pressed, state).await,
        (Cb::Back, state) => order_flow::back(&t, pressed, state).await,
        (Cb::BroadcastConfirm, State::BroadcastConfirm { from_chat, message_id, audience, .. })
            if ctx.cfg.is_admin(user.id) =>
        {
            admin::broadcast_start(&t, pressed, from_chat, message_id, audience).await
        }
        (Cb::BroadcastStop(job), _) if ctx.cfg.is_admin(user.id) => admin::broadcast_stop(&t, job).await,
        (cb, _) if ctx.cfg.is_admin(user.id) => admin_button(&t, pressed, cb).await,
        _ => Ok(()),
    }
}

/// The buttons of `/credit`, `/debit` and `/lookup` (admins only; anyone else's press does nothing).
async fn admin_button(t: &Turn<'_>, pressed: teloxide::types::MessageId, cb: Cb) -> HandlerResult {
    match cb {
        Cb::MoveConfirm(id) => admin::move_confirm(t, pressed, id).await,
        Cb::MoveCancel(id) => admin::move_cancel(t, pressed, id).await,
        Cb::LookupPage(page, q) => lookup::page(t, pressed, page, &q).await,
        Cb::Recheck(id) => lookup::recheck(t, id).await,
        Cb::Refund(id) => lookup::refund_ask(t, id).await,
        Cb::RefundConfirm(id) => lookup::refund_confirm(t, pressed, id).await,
        Cb::RefundKeep(id) => lookup::refund_keep(t, pressed, id).await,
        _ => Ok(()),
    }
}
