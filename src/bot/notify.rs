//! Messages the bot sends on its own: an order's status to its customer, alerts to admins,
//! broadcast copies and progress. [`TgNotifier`] is how the workers reach Telegram.
use super::{Ctx, Tg, keyboards, render, ui};
use crate::domain::topup::{TopupMethod, TopupStatus};
use crate::domain::{CardType, Dinars, OrderStatus};
use crate::i18n::{Arg, Lang, card_value, html_escape, money};
use crate::store::topups::Topup;
use crate::store::{BroadcastJob, Order};
use crate::tr;
use crate::workers::notifier::{Alert, BroadcastView, Copied, Notifier, Phase, Told, Undelivered};
use std::sync::Arc;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::MessageId;

/// The workers' [`Notifier`]: Telegram through the shared sender.
#[derive(Clone)]
pub struct TgNotifier {
    pub bot: Tg,
    pub ctx: Arc<Ctx>,
}

fn undelivered(e: RequestError) -> Undelivered {
    Undelivered(e.to_string())
}

impl Notifier for TgNotifier {
    async fn order_changed(&self, order: &Order) -> Result<Told, Undelivered> {
        order_changed(&self.bot, &self.ctx, order).await.map_err(undelivered)
    }

    async fn topup_changed(&self, topup: &Topup) -> Result<Told, Undelivered> {
        topup_changed(&self.bot, &self.ctx, topup).await.map_err(undelivered)
    }

    async fn alert(&self, alert: Alert<'_>) {
        self::alert(&self.bot, &self.ctx, alert).await
    }

    async fn copy_broadcast(&self, to: i64, job: &BroadcastJob) -> Copied {
        let from = (ChatId(job.from_chat_id), MessageId(job.from_message_id));
        match self.bot.copy_broadcast(ChatId(to), from.0, from.1).await {
            Ok(_) => Copied::Sent,
            Err(RequestError::RetryAfter(after)) => Copied::RetryAfter(after.duration()),
            Err(e) if ui::is_unreachable(&e) => Copied::Unreachable,
            Err(e) => Copied::Failed(e.to_string()),
        }
    }

    async fn renewal_reminder(&self, reminder: &crate::store::reminders::Reminder) -> Copied {
        super::reorder::send_reminder(&self.bot, &self.ctx, reminder).await
    }

    async fn broadcast_progress(&self, v: BroadcastView<'_>) -> Result<i32, Undelivered> {
        let key = match v.phase {
            Phase::Sending => "broadcast-progress",
            Phase::Finished => "broadcast-summary",
            Phase::Cancelled => "broadcast-summary-cancelled",
        };
        let text = tr!(
            v.lang,
            key,
            sent = v.counts.sent,
            failed = v.counts.failed,
            blocked = v.counts.blocked,
            left = v.counts.pending,
            eta = v.eta_secs,
            total = v.job.total
        );
        let kb = (v.phase == Phase::Sending).then(|| keyboards::broadcast_progress(v.lang, v.job.id));
        let shown = ui::edit_or_send(&self.bot, ChatId(v.chat), v.msg.map(MessageId), text, kb).await;
        shown.map(|m| m.0).map_err(undelivered)
    }
}

/// Tells the admins; also used by handlers that meet something admins must hear about.
pub async fn alert(bot: &Tg, ctx: &Ctx, alert: Alert<'_>) {
    match alert {
        Alert::TopupOnlinePaid(t) => admins_topup(bot, ctx, t, "topup-admin-online-paid", None).await,
        Alert::TopupOnlineExpired(t) => admins_topup(bot, ctx, t, "topup-admin-online-expired", None).await,
        Alert::TopupAmountMismatch { topup, reported } => {
            admins_topup(bot, ctx, topup, "topup-admin-amount-mismatch", Some(reported)).await
        }
        Alert::OrderSettled(order) => match order.status {
            OrderStatus::Refunded => admins_order(bot, ctx, order, "alert-order-refunded").await,
            OrderStatus::Queued => admins_order(bot, ctx, order, "alert-order-queued").await,
            _ => {}
        },
        Alert::OrderUnreconciled(order) => admins_order(bot, ctx, order, "alert-order-unreconciled").await,
        Alert::OrderWithoutCode(order) => admins_order(bot, ctx, order, "alert-order-no-code").await,
        Alert::UnknownStatus { order, status } => {
            admins_order_with(bot, ctx, order, "alert-order-unknown-status", status, 0).await
        }
        Alert::OpenTooLong { order, hours } => {
            let key = match order.status {
                OrderStatus::Queued => "alert-order-queued-long",
                _ => "alert-order-handling-long",
            };
            admins_order_with(bot, ctx, order, key, "", hours).await
        }
        Alert::NotFoundAfterSeen(order) => {
            admins_order_with(bot, ctx, order, "alert-order-not-found-after-seen", "", 0).await
        }
        Alert::FoundAfterFailing { order, status } => {
            admins_order_with(bot, ctx, order, "alert-order-found-after-failing", status, 0).await
        }
        Alert::SendRefused { order, error } => {
            admins(bot, ctx, |l| {
                tr!(
                    l,
                    "alert-send-refused",
                    id = order.id,
                    order_ref = order.r#ref.clone(),
                    error = html_escape(&error)
                )
            })
            .await
        }
        Alert::MaintenanceOn { failures } => {
            admins(bot, ctx, |l| tr!(l, "alert-maintenance-auto-on", count = failures)).await
        }
        Alert::MaintenanceOff => admins(bot, ctx, |l| tr!(l, "alert-maintenance-auto-off")).await,
        Alert::LedgerMismatch { users } => {
            let list = users.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            admins(bot, ctx, |l| tr!(l, "alert-ledger-mismatch", count = users.len(), users = list.clone())).await
        }
        Alert::CardCodeUnreadable(order) => admins_order(bot, ctx, order, "alert-card-code-unreadable").await,
        Alert::BelowCost { card_type, value, price, cost } => {
            admins(bot, ctx, |l| {
                tr!(
                    l,
                    "alert-below-cost",
                    kind = render::card_type(l, card_type),
                    value = crate::i18n::card_value(Dinars(value)),
                    price = money(l, Dinars(price)),
                    cost = money(l, Dinars(cost))
                )
            })
            .await
        }
    }
}

/// Brings the order's message up to date with its status. A QUEUED order fulfilled later gets
/// a new message (so the customer is notified) and the old one points to it.
pub async fn order_changed(bot: &Tg, ctx: &Ctx, order: &Order) -> Result<Told, RequestError> {
    let lang = ctx.store.language_of(order.user_id).await.ok().flatten().unwrap_or(ctx.cfg.default_language);
    let chat = ChatId(order.chat_id);
    let old = order.message_id.map(MessageId);
    let res = match order.status {
        OrderStatus::Fulfilled => {
            let code = match order.card_code_enc.as_deref().map(|b| ctx.cipher.open(&order.r#ref, b)) {
                Some(Ok(c)) => Some(c),
                Some(Err(e)) => {
                    code_unreadable(bot, ctx, order, &e).await;
                    None
                }
                None => None,
            };
            let shown = match &code {
                Some(c) => Some(c.clone()),
                None => Some(contact_support(ctx, lang)),
            };
            let text = render::order_message(lang, order, shown.as_deref(), None);
            let kb = keyboards::receipt(lang, order.id, code.as_deref());
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

/// A stored card code that cannot be decrypted: logged without the code, admins alerted.
pub async fn code_unreadable(bot: &Tg, ctx: &Ctx, order: &Order, e: &crate::crypto::CryptoError) {
    tracing::error!(order = order.id, order_ref = %order.r#ref, error = %e, "card code cannot be decrypted");
    alert(bot, ctx, Alert::CardCodeUnreadable(order)).await;
}

/// Shown in place of a code that cannot be read: the customer is sent to support, not left
/// with a bare "unavailable".
pub fn contact_support(ctx: &Ctx, lang: Lang) -> String {
    if ctx.cfg.support_contact.is_empty() {
        tr!(lang, "order-code-unavailable")
    } else {
        tr!(lang, "order-code-unavailable-contact", contact = html_escape(&ctx.cfg.support_contact))
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
    admins_order_with(bot, ctx, order, key, "", 0).await
}

/// An order alert that also names the customer, what OneClickDZ says and how long it has waited.
async fn admins_order_with(bot: &Tg, ctx: &Ctx, order: &Order, key: &'static str, status: &str, hours: i64) {
    let customer = match ctx.store.user(order.user_id).await {
        Ok(Some(u)) => match &u.username {
            Some(name) => format!("{} (@{name})", u.first_name),
            None => u.first_name,
        },
        _ => String::new(),
    };
    admins(bot, ctx, |l| {
        tr!(
            l,
            key,
            id = order.id,
            order_ref = order.r#ref.clone(),
            user = order.user_id.to_string(),
            customer = html_escape(&customer),
            kind = render::card_type(l, order.card_type),
            value = card_value(order.value),
            number = order.number.clone(),
            status = html_escape(status),
            hours = hours
        )
    })
    .await;
}

/// An admin notice about an online top-up: amount, customer, payment ref.
async fn admins_topup(bot: &Tg, ctx: &Ctx, t: &Topup, key: &'static str, reported: Option<f64>) {
    let name = ctx.store.user(t.user_id).await.ok().flatten().map_or(t.user_id.to_string(), |u| u.display_name());
    let amount = t.amount_credited.unwrap_or(t.amount_asked).grouped();
    let payment_ref = payment_ref(t);
    let reported = reported.map_or(String::new(), |r| Dinars(r.round() as i64).grouped());
    admins(bot, ctx, |l| {
        crate::i18n::t(
            l,
            key,
            &[
                ("amount", Arg::from(amount.as_str())),
                ("name", Arg::from(html_escape(&name).as_str())),
                ("user_id", Arg::from(t.user_id.to_string().as_str())),
                ("ref", Arg::from(payment_ref.as_str())),
                ("reported", Arg::from(reported.as_str())),
            ],
        )
    })
    .await;
}

/// What the customer reads about a settled top-up (the balance is the wallet now).
pub async fn topup_outcome_text(ctx: &Ctx, lang: Lang, t: &Topup) -> String {
    let balance = || async { ctx.store.balances(t.user_id).await.map(|b| b.balance).unwrap_or_default() };
    let amount = t.amount_asked.grouped();
    match (t.method, t.status) {
        (_, TopupStatus::Confirmed) => tr!(
            lang,
            "topup-online-paid",
            amount = t.amount_credited.unwrap_or(t.amount_asked).grouped(),
            balance = balance().await.grouped()
        ),
        (TopupMethod::Online, TopupStatus::Failed) => match t.failure_reason.as_deref() {
            Some("payment_failed") => tr!(lang, "topup-online-not-completed", amount = amount),
            Some("forbidden") if ctx.cfg.topup.offers(TopupMethod::Transfer) => tr!(lang, "topup-online-unavailable"),
            Some("forbidden") => tr!(lang, "topup-unavailable"),
            _ => tr!(lang, "topup-link-failed"),
        },
        (_, TopupStatus::Expired) => crate::i18n::t(
            lang,
            "topup-online-expired",
            &[("amount", Arg::from(amount.as_str())), ("ref", Arg::from(payment_ref(t).as_str()))],
        ),
        (_, TopupStatus::Approved) => {
            let credited = t.amount_credited.unwrap_or(t.amount_asked);
            let balance = balance().await.grouped();
            if credited == t.amount_asked {
                tr!(lang, "topup-receipt-approved", amount = credited.grouped(), balance = balance)
            } else {
                tr!(
                    lang,
                    "topup-receipt-approved-other",
                    amount = credited.grouped(),
                    asked = amount,
                    balance = balance
                )
            }
        }
        (_, TopupStatus::Rejected) => tr!(
            lang,
            "topup-receipt-rejected",
            amount = amount,
            reason = html_escape(t.decision_reason.as_deref().unwrap_or_default())
        ),
        // Not settled: nothing to tell yet.
        _ => tr!(lang, "topup-link-preparing"),
    }
}

/// Tells the customer a top-up's outcome: the online payment's message is edited; a receipt's
/// decision comes as a new message, so it is noticed.
pub async fn topup_changed(bot: &Tg, ctx: &Ctx, t: &Topup) -> Result<Told, RequestError> {
    let lang = ctx.store.language_of(t.user_id).await.ok().flatten().unwrap_or(ctx.cfg.default_language);
    let text = topup_outcome_text(ctx, lang, t).await;
    let chat = ChatId(t.chat_id);
    let kb = Some(keyboards::main_menu(lang));
    let res = match t.method {
        TopupMethod::Online => ui::edit_or_send(bot, chat, t.status_message_id.map(MessageId), text, kb).await,
        TopupMethod::Transfer => ui::send(bot, chat, text, kb).await,
    };
    match res {
        Ok(id) => Ok(Told::Shown(Some(id.0))),
        Err(e) if ui::is_unreachable(&e) => {
            let _ = ctx.store.set_unreachable(t.user_id, true).await;
            Ok(Told::Unreachable)
        }
        Err(e) => Err(e),
    }
}

fn payment_ref(t: &Topup) -> String {
    html_escape(t.payment_ref.as_deref().unwrap_or("—"))
}
