//! Wallet top-ups in chat: the customer's steps (method, amount, payment link or receipt) and the
//! admins' review of receipts. Money moves only in the store; outcomes reach the customer through
//! the top-up worker, so a restart loses none.
use super::state::State;
use super::turn::Turn;
use super::{BotError, Ctx, HandlerResult, Tg, keyboards, notify, ui};
use crate::domain::Dinars;
use crate::domain::money::parse_amount_and_note;
use crate::domain::topup::{AmountRefusal, ReceiptKind, TopupMethod, TopupStatus, link_expires_at};
use crate::i18n::{Lang, html_escape};
use crate::oneclick::ocpay::OcpayError;
use crate::store::now_ms;
use crate::store::topups::{
    CreateOutcome, DecideOutcome, Decision, LinkInfo, NewOnlineTopup, NewReceipt, ReceiptOutcome, Topup,
};
use crate::tr;
use teloxide::prelude::*;
use teloxide::types::{InputFile, MessageId};

/// Waiting receipts listed by /topups.
const LIST_LIMIT: i64 = 30;

fn grouped(d: Dinars) -> String {
    d.grouped()
}

/// Whole minutes left before `until`, at least 1 while it is still ahead.
fn minutes_left(until: i64, now: i64) -> i64 {
    ((until - now).max(0) + 59_999) / 60_000
}

fn method_of(online: bool) -> TopupMethod {
    if online { TopupMethod::Online } else { TopupMethod::Transfer }
}

/// `/topup`, or the Top up button: the open link if there is one, else the methods on offer.
pub async fn begin(t: &Turn<'_>, here: Option<MessageId>) -> HandlerResult {
    let (ctx, user) = (t.ctx, t.user);
    let lang = user.language;
    t.dlg.update(State::Idle).await?;
    if !ctx.cfg.topup.enabled() {
        ui::edit_or_send(t.bot, t.chat, here, tr!(lang, "topup-unavailable"), Some(keyboards::back_to_menu(lang)))
            .await?;
        return Ok(());
    }
    let now = now_ms();
    if let Some(open) = ctx.store.open_link_of(user.id, now).await? {
        let text = tr!(
            lang,
            "topup-link-still-open",
            amount = grouped(open.amount_asked),
            minutes = minutes_left(open.link_expires_at.unwrap_or(now), now)
        );
        let kb = open.payment_url.as_deref().map(|u| keyboards::topup_pay(lang, open.amount_asked, u));
        ui::edit_or_send(t.bot, t.chat, here, text, kb).await?;
        return Ok(());
    }
    let online = ctx.online_topup_open(now);
    let transfer = ctx.cfg.topup.offers(TopupMethod::Transfer);
    if !online && !transfer {
        ui::edit_or_send(t.bot, t.chat, here, tr!(lang, "topup-unavailable"), Some(keyboards::back_to_menu(lang)))
            .await?;
        return Ok(());
    }
    let mut text = tr!(lang, "topup-choose-method");
    if !online && ctx.cfg.topup.offers(TopupMethod::Online) {
        text = format!("{}\n\n{text}", tr!(lang, "topup-online-unavailable"));
    }
    let msg =
        ui::edit_or_send(t.bot, t.chat, here, text, Some(keyboards::topup_methods(lang, online, transfer))).await?;
    t.dlg.update(State::TopupChoosing { msg }).await?;
    Ok(())
}

/// The amount prompt of a method: the shop's instructions first for a transfer.
fn amount_prompt(ctx: &Ctx, lang: Lang, online: bool) -> String {
    let l = ctx.cfg.topup.limits.for_method(method_of(online));
    let (min, max) = (grouped(l.min), grouped(l.max));
    if online {
        tr!(lang, "topup-choose-amount", min = min, max = max)
    } else {
        let instructions = html_escape(ctx.cfg.topup.transfer_instructions.as_deref().unwrap_or_default());
        format!(
            "{}\n\n{}",
            tr!(lang, "topup-transfer-instructions", instructions = instructions),
            tr!(lang, "topup-transfer-amount", min = min, max = max)
        )
    }
}

/// Shows the amount step (in `here`, or a new message with `notice` above the prompt).
async fn show_amount_step(
    t: &Turn<'_>,
    here: Option<MessageId>,
    online: bool,
    notice: Option<String>,
) -> HandlerResult {
    let lang = t.user.language;
    let mut text = amount_prompt(t.ctx, lang, online);
    if let Some(n) = notice {
        text = format!("{n}\n\n{text}");
    }
    let suggestions = t.ctx.cfg.topup.limits.suggestions(method_of(online));
    let msg = ui::edit_or_send(t.bot, t.chat, here, text, Some(keyboards::topup_amounts(lang, &suggestions))).await?;
    t.dlg.update(State::TopupAmount { msg, online }).await?;
    Ok(())
}

pub async fn method_chosen(t: &Turn<'_>, msg: MessageId, online: bool) -> HandlerResult {
    let (ctx, user) = (t.ctx, t.user);
    let offered = if online { ctx.online_topup_open(now_ms()) } else { ctx.cfg.topup.offers(TopupMethod::Transfer) };
    if !offered {
        return begin(t, Some(msg)).await;
    }
    if !online {
        let waiting = ctx.store.waiting_count(user.id).await?;
        if !crate::domain::topup::may_submit_receipt(waiting) {
            t.dlg.update(State::Idle).await?;
            let text = tr!(user.language, "topup-too-many-waiting", count = waiting);
            ui::edit_or_send(t.bot, t.chat, Some(msg), text, Some(keyboards::back_to_menu(user.language))).await?;
            return Ok(());
        }
    }
    show_amount_step(t, Some(msg), online, None).await
}

fn refusal_text(lang: Lang, r: AmountRefusal) -> String {
    match r {
        AmountRefusal::TooSmall { min } => tr!(lang, "topup-amount-too-small", min = grouped(min)),
        AmountRefusal::TooLarge { max } => tr!(lang, "topup-amount-too-large", max = grouped(max)),
    }
}

/// A typed amount: read as admins' amounts are; anything else, or out of range, gets its reason
/// and the prompt again.
pub async fn amount_typed(t: &Turn<'_>, wizard: MessageId, online: bool, text: Option<&str>) -> HandlerResult {
    let lang = t.user.language;
    let parsed = text.map(|s| parse_amount_and_note(s.trim())).and_then(|r| r.ok()).filter(|(_, n)| n.is_empty());
    let notice = match parsed {
        None => tr!(lang, "topup-amount-not-number"),
        Some((amount, _)) => match t.ctx.cfg.topup.limits.check(method_of(online), amount) {
            Ok(a) => {
                ui::drop_keyboard(t.bot, t.chat, wizard).await;
                return accept_amount(t, None, online, a).await;
            }
            Err(r) => refusal_text(lang, r),
        },
    };
    ui::drop_keyboard(t.bot, t.chat, wizard).await;
    show_amount_step(t, None, online, Some(notice)).await
}

/// A suggested amount tapped (checked again: a payload can be forged).
pub async fn amount_chosen(t: &Turn<'_>, msg: MessageId, online: bool, amount: Dinars) -> HandlerResult {
    match t.ctx.cfg.topup.limits.check(method_of(online), amount) {
        Ok(a) => accept_amount(t, Some(msg), online, a).await,
        Err(r) => show_amount_step(t, Some(msg), online, Some(refusal_text(t.user.language, r))).await,
    }
}

async fn accept_amount(t: &Turn<'_>, here: Option<MessageId>, online: bool, amount: Dinars) -> HandlerResult {
    if online {
        return start_online(t, here, amount).await;
    }
    t.dlg.update(State::TopupReceipt { amount }).await?;
    ui::edit_or_send(t.bot, t.chat, here, tr!(t.user.language, "topup-send-receipt"), None).await?;
    Ok(())
}

/// Online: the row first, then createLink once; a lost answer closes the top-up (no URL shown).
async fn start_online(t: &Turn<'_>, here: Option<MessageId>, amount: Dinars) -> HandlerResult {
    let (ctx, user) = (t.ctx, t.user);
    let lang = user.language;
    t.dlg.update(State::Idle).await?;
    let now = now_ms();
    // Past it with no answer recorded (the process died waiting), the worker closes the top-up.
    let grace = ctx.cfg.topup_link_answer_deadline().as_millis() as i64;
    let new = NewOnlineTopup {
        user_id: user.id,
        chat_id: t.chat.0,
        amount,
        fee_mode: ctx.cfg.topup.fee_mode,
        answer_deadline: now + grace,
    };
    let row = match ctx.store.create_topup(&new).await? {
        CreateOutcome::Created(row) => row,
        CreateOutcome::AlreadyOpen(_) => return begin(t, here).await,
    };
    let msg = ui::edit_or_send(t.bot, t.chat, here, tr!(lang, "topup-link-preparing"), None).await?;
    ctx.store.set_topup_message(row.id, msg.0).await?;
    let title = format!("Top-up #{}", row.id);
    match ctx.catalog.client().create_link(&title, amount, ctx.cfg.topup.fee_mode).await {
        Ok(link) => {
            let made = now_ms();
            let info = LinkInfo {
                payment_ref: link.payment_ref,
                payment_url: link.payment_url,
                created_at: made,
                expires_at: link_expires_at(made),
                first_check_at: ctx.cfg.topup.schedule.first_check(made),
            };
            match ctx.store.link_created(row.id, &info).await? {
                Some(open) => {
                    tracing::info!(topup = open.id, payment_ref = %info.payment_ref, "payment link made");
                    ctx.topup_wake.notify_one();
                    let text = tr!(
                        lang,
                        "topup-link",
                        amount = grouped(amount),
                        minutes = minutes_left(info.expires_at, made)
                    );
                    let kb = keyboards::topup_pay(lang, amount, &info.payment_url);
                    ui::edit_or_send(t.bot, t.chat, Some(msg), text, Some(kb)).await?;
                }
                // Closed as lost meanwhile: the link must not be shown.
                None => tracing::warn!(topup = row.id, "payment link arrived after the top-up was closed"),
            }
        }
        Err(e) => {
            let reason = match &e {
                OcpayError::Forbidden { .. } => "forbidden",
                OcpayError::OutcomeUnknown(_) => "answer_lost",
                OcpayError::Api(_) => "refused",
            };
            tracing::warn!(topup = row.id, error = %e, "createLink failed");
            if reason == "forbidden" && ctx.hide_online_topup(now_ms()) {
                let minutes = (crate::shop::OCPAY_HIDDEN_FOR.as_secs() / 60) as i64;
                notify::admins(t.bot, ctx, |l| tr!(l, "topup-admin-ocpay-forbidden", minutes = minutes)).await;
            }
            if let Some(failed) = ctx.store.link_failed(row.id, reason).await? {
                let text = notify::topup_outcome_text(ctx, lang, &failed).await;
                let kb = (reason == "forbidden" && ctx.cfg.topup.offers(TopupMethod::Transfer))
                    .then(|| keyboards::topup_start(lang));
                ui::edit_or_send(t.bot, t.chat, Some(msg), text, kb).await?;
                ctx.store.topup_notified(failed.id).await?;
            }
        }
    }
    Ok(())
}

/// What the customer sent while a receipt is expected: a photo, or a PDF (or image) document.
pub async fn receipt_sent(t: &Turn<'_>, msg: &Message, amount: Dinars) -> HandlerResult {
    let (ctx, user) = (t.ctx, t.user);
    let lang = user.language;
    let receipt = if let Some(sizes) = msg.photo() {
        sizes.last().map(|p| (p.file.id.to_string(), ReceiptKind::Photo))
    } else if let Some(doc) = msg.document() {
        let mime = doc.mime_type.as_ref().map(|m| m.essence_str().to_owned()).unwrap_or_default();
        (mime == "application/pdf" || mime.starts_with("image/"))
            .then(|| (doc.file.id.to_string(), ReceiptKind::Document))
    } else {
        None
    };
    let Some((file_id, kind)) = receipt else {
        ui::send(t.bot, t.chat, tr!(lang, "topup-receipt-expected"), None).await?;
        return Ok(());
    };
    let new = NewReceipt { user_id: user.id, chat_id: t.chat.0, amount, file_id, kind };
    t.dlg.update(State::Idle).await?;
    let row = match ctx.store.receipt_submitted(&new).await? {
        ReceiptOutcome::TooManyWaiting { waiting } => {
            ui::send(t.bot, t.chat, tr!(lang, "topup-too-many-waiting", count = waiting), None).await?;
            return Ok(());
        }
        ReceiptOutcome::Submitted(row) => *row,
    };
    tracing::info!(topup = row.id, user = user.id, amount = amount.get(), "receipt waiting for review");
    let sent = ui::send(t.bot, t.chat, tr!(lang, "topup-receipt-waiting", amount = grouped(amount)), None).await?;
    ctx.store.set_topup_message(row.id, sent.0).await?;
    send_to_admins(t.bot, ctx, &row).await;
    Ok(())
}

/// Where receipt requests go: the admin chat when there is one (its buttons serve members listed in
/// `ADMIN_IDS`, see `schema::admin_chat_press`), else each admin's private chat.
async fn admin_targets(ctx: &Ctx) -> Vec<(i64, Lang)> {
    if let Some(chat) = ctx.cfg.admin_chat_id {
        return vec![(chat, ctx.cfg.default_language)];
    }
    let mut v = Vec::new();
    for id in &ctx.cfg.admin_ids {
        let lang = ctx.store.language_of(*id).await.ok().flatten().unwrap_or(ctx.cfg.default_language);
        v.push((*id, lang));
    }
    v
}

async fn request_text(ctx: &Ctx, lang: Lang, row: &Topup) -> String {
    let customer = ctx.store.user(row.user_id).await.ok().flatten();
    let name = customer.as_ref().map(|u| u.display_name()).unwrap_or_else(|| row.user_id.to_string());
    let balance = ctx.store.balances(row.user_id).await.map(|b| b.balance).unwrap_or_default();
    tr!(
        lang,
        "topup-admin-request",
        id = row.id,
        name = html_escape(&name),
        user_id = row.user_id.to_string(),
        balance = grouped(balance),
        amount = grouped(row.amount_asked)
    )
}

/// The receipt itself, then the request with its buttons; every copy is recorded so each can be
/// edited with the decision.
async fn send_to_admins(bot: &Tg, ctx: &Ctx, row: &Topup) {
    let Some(file) = row.receipt_file_id.clone() else { return };
    for (chat, lang) in admin_targets(ctx).await {
        let media = match row.receipt_kind {
            Some(ReceiptKind::Document) => {
                bot.send_document(ChatId(chat), InputFile::file_id(file.clone().into())).await.map(|_| ())
            }
            _ => bot.send_photo(ChatId(chat), InputFile::file_id(file.clone().into())).await.map(|_| ()),
        };
        if let Err(e) = media {
            tracing::warn!(chat, error = %e, "receipt not delivered to an admin");
        }
        let text = request_text(ctx, lang, row).await;
        match ui::send(bot, ChatId(chat), text, Some(keyboards::topup_review(lang, row.id))).await {
            Ok(m) => {
                if let Err(e) = ctx.store.admin_copy_sent(row.id, chat, m.0).await {
                    tracing::error!(topup = row.id, error = %e, "admin copy not recorded");
                }
            }
            Err(e) => tracing::warn!(chat, error = %e, "receipt request not delivered to an admin"),
        }
    }
}

/// "Who decided and when", as every admin copy shows it.
async fn decision_line(ctx: &Ctx, lang: Lang, row: &Topup) -> String {
    let admin = match row.decided_by {
        Some(id) => ctx.store.user(id).await.ok().flatten().map_or(id.to_string(), |u| u.display_name()),
        None => "?".into(),
    };
    let (admin, date) = (html_escape(&admin), crate::i18n::local_ms(row.decided_at.unwrap_or(row.updated_at)));
    match row.status {
        TopupStatus::Approved => tr!(
            lang,
            "topup-admin-approved",
            admin = admin,
            date = date,
            amount = grouped(row.amount_credited.unwrap_or(row.amount_asked))
        ),
        _ => tr!(
            lang,
            "topup-admin-rejected",
            admin = admin,
            date = date,
            reason = html_escape(row.decision_reason.as_deref().unwrap_or_default())
        ),
    }
}

/// Edits every admin copy of the request to show the decision, without buttons.
async fn edit_copies(bot: &Tg, ctx: &Ctx, row: &Topup) {
    let copies = ctx.store.admin_copies(row.id).await.unwrap_or_default();
    for (chat, msg) in copies {
        let lang = ctx.store.language_of(chat).await.ok().flatten().unwrap_or(ctx.cfg.default_language);
        let text = format!("{}\n\n{}", request_text(ctx, lang, row).await, decision_line(ctx, lang, row).await);
        if let Err(e) = ui::edit(bot, ChatId(chat), MessageId(msg), text, None).await {
            tracing::warn!(chat, error = %e, "admin copy not edited");
        }
    }
}

/// An admin's decision. The store lets the first one win; a later one is told who came first.
async fn decide(t: &Turn<'_>, id: i64, decision: Decision) -> HandlerResult {
    let (ctx, admin) = (t.ctx, t.user);
    t.dlg.update(State::Idle).await?;
    match ctx.store.decide_receipt(id, admin.id, &decision).await {
        Ok(DecideOutcome::Decided { topup, .. }) => {
            tracing::info!(topup = id, admin = admin.id, status = %topup.status, "receipt decided");
            ctx.topup_wake.notify_one();
            edit_copies(t.bot, ctx, &topup).await;
        }
        Ok(DecideOutcome::AlreadyDecided(topup)) => tell_already(t, &topup).await?,
        Err(crate::store::StoreError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

pub async fn approve(t: &Turn<'_>, id: i64) -> HandlerResult {
    decide(t, id, Decision::Approve).await
}

/// The request still waiting, or `None` after telling the admin who decided it.
async fn still_waiting(t: &Turn<'_>, id: i64) -> Result<Option<Topup>, BotError> {
    match t.ctx.store.topup(id).await? {
        Some(row) if row.method == TopupMethod::Transfer && row.status == TopupStatus::Pending => Ok(Some(row)),
        Some(row) if row.method == TopupMethod::Transfer => {
            tell_already(t, &row).await?;
            Ok(None)
        }
        _ => Ok(None),
    }
}

async fn tell_already(t: &Turn<'_>, row: &Topup) -> HandlerResult {
    let ctx = t.ctx;
    let who = match row.decided_by {
        Some(a) => ctx.store.user(a).await.ok().flatten().map_or(a.to_string(), |u| u.display_name()),
        None => "?".into(),
    };
    let date = crate::i18n::local_ms(row.decided_at.unwrap_or(row.updated_at));
    ui::send(t.bot, t.chat, tr!(t.user.language, "topup-admin-already", admin = html_escape(&who), date = date), None)
        .await?;
    Ok(())
}

pub async fn ask_reason(t: &Turn<'_>, id: i64) -> HandlerResult {
    let Some(row) = still_waiting(t, id).await? else { return Ok(()) };
    t.dlg.update(State::TopupAdminReason { topup_id: row.id }).await?;
    ui::send(t.bot, t.chat, tr!(t.user.language, "topup-admin-type-reason", id = row.id), None).await?;
    Ok(())
}

pub async fn ask_amount(t: &Turn<'_>, id: i64) -> HandlerResult {
    let Some(row) = still_waiting(t, id).await? else { return Ok(()) };
    t.dlg.update(State::TopupAdminAmount { topup_id: row.id }).await?;
    let text = tr!(t.user.language, "topup-admin-type-amount", id = row.id, amount = grouped(row.amount_asked));
    ui::send(t.bot, t.chat, text, None).await?;
    Ok(())
}

pub async fn admin_reason_typed(t: &Turn<'_>, id: i64, text: Option<&str>) -> HandlerResult {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        Some(reason) => decide(t, id, Decision::Reject { reason: reason.chars().take(500).collect() }).await,
        None => {
            ui::send(t.bot, t.chat, tr!(t.user.language, "topup-admin-type-reason", id = id), None).await?;
            Ok(())
        }
    }
}

pub async fn admin_amount_typed(t: &Turn<'_>, id: i64, text: Option<&str>) -> HandlerResult {
    let lang = t.user.language;
    match text.map(|s| parse_amount_and_note(s.trim())) {
        Some(Ok((amount, _))) => decide(t, id, Decision::OtherAmount(amount)).await,
        Some(Err(e)) => {
            let row = t.ctx.store.topup(id).await?;
            let asked = row.map_or(Dinars(0), |r| r.amount_asked);
            let text = format!(
                "{}\n{}",
                tr!(lang, e.message_key()),
                tr!(lang, "topup-admin-type-amount", id = id, amount = grouped(asked))
            );
            ui::send(t.bot, t.chat, text, None).await?;
            Ok(())
        }
        None => {
            ui::send(t.bot, t.chat, tr!(lang, "amount-not-a-number"), None).await?;
            Ok(())
        }
    }
}

/// `/topups`: receipts waiting for review, oldest first.
pub async fn admin_list(t: &Turn<'_>) -> HandlerResult {
    let (ctx, lang) = (t.ctx, t.user.language);
    let rows = ctx.store.waiting_receipts(LIST_LIMIT).await?;
    if rows.is_empty() {
        ui::send(t.bot, t.chat, tr!(lang, "topup-admin-list-empty"), None).await?;
        return Ok(());
    }
    let mut text = tr!(lang, "topup-admin-list-title", count = rows.len() as i64);
    for r in &rows {
        let name = ctx.store.user(r.user_id).await?.map_or(r.user_id.to_string(), |u| u.display_name());
        text.push('\n');
        text.push_str(&tr!(
            lang,
            "topup-admin-list-line",
            id = r.id,
            name = html_escape(&name),
            user_id = r.user_id.to_string(),
            amount = grouped(r.amount_asked),
            date = crate::i18n::local_ms(r.created_at)
        ));
    }
    ui::send(t.bot, t.chat, text, None).await?;
    Ok(())
}

/// `/cancel` or Cancel during a top-up: nothing was written for a top-up not yet started.
pub async fn cancel(t: &Turn<'_>, here: Option<MessageId>) -> HandlerResult {
    let lang = t.user.language;
    t.dlg.update(State::Idle).await?;
    ui::edit_or_send(t.bot, t.chat, here, tr!(lang, "topup-cancelled"), Some(keyboards::main_menu(lang))).await?;
    Ok(())
}
