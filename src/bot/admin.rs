//! Admin commands. Anyone else reaching here is a bug: the router answers them as for an
//! unknown command.
use super::commands::Command;
use super::state::State;
use super::turn::Turn;
use super::{Ctx, HandlerResult, keyboards, render, ui};
use crate::domain::money::{AmountError, parse_amount_and_note};
use crate::domain::pricing::check_price_against_cost;
use crate::domain::{CardType, Dinars, PriceTier, Role};
use crate::i18n::{Lang, card_value, html_escape, money};
use crate::store::admin_actions::{AdminMove, ConfirmOutcome};
use crate::store::{Audience, Member, StoreError};
use crate::tr;
use teloxide::prelude::*;
use teloxide::types::MessageId;

/// How long a cancel waits for broadcast copies already in flight before it is acknowledged.
const CANCEL_SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

pub async fn command(t: &Turn<'_>, cmd: Command, args: &[&str]) -> HandlerResult {
    let (bot, ctx, admin, chat) = (t.bot, t.ctx, t.user, t.chat);
    let lang = admin.language;
    let reply = match cmd {
        Command::Credit | Command::Debit => money_command(t, cmd, args).await?,
        Command::Lookup => return super::lookup::command(t, args).await,
        Command::SetRole => set_role(t, lang, args).await?,
        Command::User => user_profile(ctx, lang, args).await?,
        Command::SetPrice => set_price(ctx, admin, args).await?,
        Command::Ban | Command::Unban => ban(ctx, admin.id, lang, cmd == Command::Ban, args).await?,
        Command::Maintenance => maintenance(ctx, admin.id, lang, args).await?,
        Command::Stats => super::stats::render(ctx, lang).await?,
        Command::Broadcast => broadcast_begin(t, args).await?,
        Command::BroadcastCancel => match ctx.store.cancel_running_broadcasts(admin.id).await?.as_slice() {
            [] => tr!(lang, "broadcast-none-running"),
            jobs => {
                // Acknowledged only once copies already on their way are out: none follows it.
                ctx.store.wait_sends_settled(jobs, CANCEL_SETTLE).await?;
                tr!(lang, "broadcast-cancelled", count = jobs.len())
            }
        },
        _ => tr!(lang, "unknown-command"),
    };
    // Empty: the handler has answered with its own buttons.
    if !reply.is_empty() {
        ui::send(bot, chat, reply, None).await?;
    }
    Ok(())
}

fn user_id_arg(arg: Option<&&str>) -> Option<i64> {
    arg.and_then(|s| s.trim_start_matches('#').parse::<i64>().ok()).filter(|id| *id > 0)
}

/// `/credit` and `/debit` show what would happen and wait for Confirm: the pending action is
/// written first, so the press that confirms it moves the money once, even after a restart.
async fn money_command(t: &Turn<'_>, cmd: Command, args: &[&str]) -> Result<String, super::BotError> {
    let (bot, ctx, admin, chat) = (t.bot, t.ctx, t.user, t.chat);
    let lang = admin.language;
    let usage_key = if cmd == Command::Credit { "usage-credit" } else { "usage-debit" };
    // `1 500 note`: the amount may span several words; the parser says where the note starts.
    let rest = args.get(1..).unwrap_or_default().join(" ");
    let (Some(target), false) = (user_id_arg(args.first()), rest.is_empty()) else {
        return Ok(tr!(lang, usage_key));
    };
    let (amount, note) = match parse_amount_and_note(&rest) {
        Ok((amount, note)) => (amount, (!note.is_empty()).then_some(note)),
        Err(e) => return Ok(amount_refused(lang, e, usage_key)),
    };
    let Some(user) = ctx.store.user(target).await? else {
        return Ok(tr!(lang, "admin-user-unknown", id = target.to_string()));
    };
    let (kind, new_balance) = if cmd == Command::Credit {
        (AdminMove::Credit, user.balance + amount)
    } else {
        (AdminMove::Debit, user.balance - amount)
    };
    if new_balance < Dinars(0) {
        return Ok(tr!(lang, "admin-debit-short", available = money(lang, user.balance)));
    }
    let id = ctx.store.propose_admin_move(admin.id, kind, target, amount, note).await?;
    let key = if kind == AdminMove::Credit { "admin-move-preview-credit" } else { "admin-move-preview-debit" };
    let mut text = tr!(
        lang,
        key,
        user = html_escape(&user.display_name()),
        id = target.to_string(),
        amount = money(lang, amount),
        balance = money(lang, user.balance),
        new = money(lang, new_balance)
    );
    if let Some(note) = note {
        text.push('\n');
        text.push_str(&tr!(lang, "admin-move-note", note = html_escape(note)));
    }
    ui::send(bot, chat, text, Some(keyboards::admin_move(lang, id))).await?;
    Ok(String::new())
}

/// Confirm under a credit or debit preview: moves the money unless this action was decided before.
pub async fn move_confirm(t: &Turn<'_>, pressed: MessageId, action: i64) -> HandlerResult {
    let (bot, ctx, admin, chat) = (t.bot, t.ctx, t.user, t.chat);
    let lang = admin.language;
    let text = match ctx.store.confirm_admin_move(action, admin.id).await? {
        ConfirmOutcome::Done { action: a, balances } => {
            tracing::info!(
                admin = admin.id,
                user = a.user_id,
                amount = a.amount.get(),
                kind = a.kind.as_str(),
                "wallet changed by admin"
            );
            // The money has moved: nothing after this may surface as "nothing was charged, try again".
            let user = ctx.store.user(a.user_id).await.ok().flatten();
            let name = user.as_ref().map(|u| u.display_name()).unwrap_or_default();
            if a.kind == AdminMove::Credit
                && let Some(u) = &user
            {
                let ul = u.language;
                let text =
                    tr!(ul, "credit-received", amount = money(ul, a.amount), balance = money(ul, balances.balance));
                if let Err(e) = ui::send(bot, ChatId(a.user_id), text, None).await {
                    tracing::info!(user = a.user_id, error = %e, "credit notice not delivered");
                }
            }
            let key = if a.kind == AdminMove::Credit { "admin-credited" } else { "admin-debited" };
            tr!(
                lang,
                key,
                user = html_escape(&name),
                id = a.user_id.to_string(),
                amount = money(lang, a.amount),
                balance = money(lang, balances.balance)
            )
        }
        ConfirmOutcome::Refused { available, .. } => tr!(lang, "admin-debit-short", available = money(lang, available)),
        ConfirmOutcome::AlreadyDecided => {
            ui::send(bot, chat, tr!(lang, "admin-move-already"), None).await?;
            return Ok(());
        }
    };
    if let Err(e) = ui::edit_or_send(bot, chat, Some(pressed), text, None).await {
        tracing::warn!(error = %e, action, "could not show the outcome of a credit or debit");
    }
    Ok(())
}

/// Cancel under a credit or debit preview: nothing moves.
pub async fn move_cancel(t: &Turn<'_>, pressed: MessageId, action: i64) -> HandlerResult {
    let (bot, ctx, admin, chat) = (t.bot, t.ctx, t.user, t.chat);
    let lang = admin.language;
    if ctx.store.cancel_admin_move(action, admin.id).await? {
        ui::edit_or_send(bot, chat, Some(pressed), tr!(lang, "admin-move-cancelled"), None).await?;
    } else {
        ui::send(bot, chat, tr!(lang, "admin-move-already"), None).await?;
    }
    Ok(())
}

/// Why the amount was refused, then how the command is written.
fn amount_refused(lang: Lang, e: AmountError, usage_key: &str) -> String {
    format!("{}\n{}", tr!(lang, e.message_key()), tr!(lang, usage_key))
}

async fn set_role(t: &Turn<'_>, lang: Lang, args: &[&str]) -> Result<String, StoreError> {
    let ctx = t.ctx;
    let role = args.get(1).and_then(|r| Role::parse(r)).filter(|r| *r != Role::Admin);
    let (Some(id), Some(role)) = (user_id_arg(args.first()), role) else {
        return Ok(tr!(lang, "usage-setrole"));
    };
    if ctx.cfg.is_admin(id) {
        return Ok(tr!(lang, "admin-role-config"));
    }
    match ctx.store.set_role(t.user.id, id, role).await {
        Ok(()) => {
            tell_role(t.bot, ctx, id, role).await;
            Ok(tr!(lang, "admin-role-set", id = id.to_string(), role = tr!(lang, &format!("role-{}", role.as_str()))))
        }
        Err(StoreError::NotFound(_)) => Ok(tr!(lang, "admin-user-unknown", id = id.to_string())),
        Err(e) => Err(e),
    }
}

/// Tells the user, in their own chat and language, that they now are (or no longer are) a
/// reseller, with the prices that now apply to them. A user who blocked the bot is marked
/// unreachable; the admin's command succeeds either way.
async fn tell_role(bot: &super::Tg, ctx: &Ctx, id: i64, role: Role) {
    let lang = ctx.store.language_of(id).await.ok().flatten().unwrap_or(ctx.cfg.default_language);
    let mut lines = Vec::new();
    for card_type in [CardType::Adsl, CardType::FourG] {
        match ctx.catalog.offers(card_type, role.tier(), false).await {
            Ok((offers, alert)) => {
                match alert {
                    crate::catalog::BalanceAlert::None => {}
                    crate::catalog::BalanceAlert::BecameLow { balance, needed } => {
                        super::notify::admins_low_balance(bot, ctx, card_type, balance, needed).await
                    }
                    crate::catalog::BalanceAlert::Recovered { balance } => {
                        super::notify::admins_balance_recovered(bot, ctx, balance).await
                    }
                }
                lines.extend(offers.iter().map(|o| (card_type, o.value, o.price)));
            }
            Err(e) => tracing::warn!(error = %e, "products unavailable for a price list"),
        }
    }
    let prices = if lines.is_empty() { "—".to_owned() } else { render::price_list(lang, &lines) };
    let key = if role == Role::Reseller { "reseller-granted" } else { "reseller-revoked" };
    if let Err(e) = ui::send(bot, ChatId(id), tr!(lang, key, prices = prices), None).await {
        if ui::is_unreachable(&e) {
            let _ = ctx.store.set_unreachable(id, true).await;
        } else {
            tracing::warn!(error = %e, user = id, "could not tell a user their new role");
        }
    }
}

async fn user_profile(ctx: &Ctx, lang: Lang, args: &[&str]) -> Result<String, StoreError> {
    let Some(id) = user_id_arg(args.first()) else {
        return Ok(tr!(lang, "usage-user"));
    };
    let Some(u) = ctx.store.user(id).await? else {
        return Ok(tr!(lang, "admin-user-unknown", id = id.to_string()));
    };
    let role = if ctx.cfg.is_admin(id) { Role::Admin } else { u.role };
    let mut text = tr!(
        lang,
        "admin-user-profile",
        id = id.to_string(),
        name = html_escape(&u.display_name()),
        username = u.username.as_deref().map(|s| format!("@{}", html_escape(s))).unwrap_or_else(|| "—".into()),
        role = tr!(lang, &format!("role-{}", role.as_str())),
        language = u.language.code(),
        balance = money(lang, u.balance),
        held = money(lang, u.held),
        banned = if u.banned { tr!(lang, "yes") } else { tr!(lang, "no") },
        unreachable = if u.unreachable { tr!(lang, "yes") } else { tr!(lang, "no") },
        since = render::local_time(u.created_at),
        seen = render::local_time(u.last_seen_at)
    );
    let orders = ctx.store.orders_of_user(id, 0, 5).await?;
    for o in &orders {
        text.push_str("\n• ");
        text.push_str(&html_escape(&render::order_line(lang, o)));
        text.push_str(&format!(" · <code>{}</code>", html_escape(&o.r#ref)));
    }
    Ok(text)
}

/// `/setprice <ADSL|4G> <value> <price> [reseller]`
async fn set_price(ctx: &Ctx, admin: &Member, args: &[&str]) -> Result<String, StoreError> {
    let lang = admin.language;
    let t = args.first().and_then(|a| CardType::parse(a));
    // The card value is one word; the price is read as `/credit` reads amounts (`1 100`,
    // `1.100 DA`), and what follows it is the tier.
    let value = args.get(1).map(|a| Dinars::parse_positive(a));
    let rest = args.get(2..).unwrap_or_default().join(" ");
    let price = (!rest.is_empty()).then(|| parse_amount_and_note(&rest));
    let tier_arg = match &price {
        Some(Ok((_, tier))) => *tier,
        _ => "",
    };
    if let Some(e) = value.and_then(Result::err).or_else(|| price.as_ref().and_then(|p| p.as_ref().err().copied())) {
        return Ok(amount_refused(lang, e, "usage-setprice"));
    }
    let (value, price) = (value.and_then(Result::ok), price.and_then(Result::ok).map(|(p, _)| p));
    let tier = match tier_arg.to_ascii_lowercase().as_str() {
        "" | "customer" => Some(PriceTier::Customer),
        "reseller" => Some(PriceTier::Reseller),
        _ => None,
    };
    let (Some(t), Some(value), Some(price), Some(tier)) = (t, value, price, tier) else {
        return Ok(tr!(lang, "usage-setprice"));
    };
    let products = match ctx.catalog.products(t, true).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "products unavailable for /setprice");
            return Ok(tr!(lang, "service-unavailable"));
        }
    };
    let Some(product) = products.iter().find(|p| p.value == value.get()) else {
        return Ok(tr!(
            lang,
            "admin-price-unknown-value",
            kind = render::card_type(lang, t),
            value = card_value(value)
        ));
    };
    let cost = Dinars::from_upstream_ceil(product.cost);
    if let Err(cost) = check_price_against_cost(price, cost) {
        return Ok(tr!(lang, "admin-price-below-cost", price = money(lang, price), cost = money(lang, cost)));
    }
    ctx.store.set_price(t, value.get(), tier, price.get(), admin.id).await?;
    Ok(tr!(
        lang,
        "admin-price-set",
        kind = render::card_type(lang, t),
        value = card_value(value),
        price = money(lang, price),
        tier = tr!(lang, &format!("role-{}", tier.as_str())),
        margin = money(lang, Dinars(price.get() - cost.get()))
    ))
}

async fn ban(ctx: &Ctx, admin_id: i64, lang: Lang, on: bool, args: &[&str]) -> Result<String, StoreError> {
    let Some(id) = user_id_arg(args.first()) else {
        return Ok(tr!(lang, if on { "usage-ban" } else { "usage-unban" }));
    };
    if on && ctx.cfg.is_admin(id) {
        return Ok(tr!(lang, "admin-role-config"));
    }
    match ctx.store.set_banned(admin_id, id, on).await {
        Ok(()) => Ok(tr!(lang, if on { "admin-banned" } else { "admin-unbanned" }, id = id.to_string())),
        Err(StoreError::NotFound(_)) => Ok(tr!(lang, "admin-user-unknown", id = id.to_string())),
        Err(e) => Err(e),
    }
}

async fn maintenance(ctx: &Ctx, admin_id: i64, lang: Lang, args: &[&str]) -> Result<String, StoreError> {
    let on = match args.first().map(|a| a.to_ascii_lowercase()) {
        Some(a) if a == "on" => true,
        Some(a) if a == "off" => false,
        _ => {
            return Ok(tr!(lang, "usage-maintenance", state = maintenance_state(ctx, lang)));
        }
    };
    // An admin's word wins over the health check: it no longer reopens the shop by itself.
    ctx.set_maintenance(on, Some(admin_id)).await?;
    tracing::info!(on, "maintenance switched by an admin");
    Ok(tr!(lang, "maintenance-set", state = maintenance_state(ctx, lang)))
}

fn maintenance_state(ctx: &Ctx, lang: Lang) -> String {
    tr!(lang, if ctx.in_maintenance() { "state-on" } else { "state-off" })
}

/// `/broadcast [all|en|fr|ar|resellers]`: waits for the message, remembering the audience.
async fn broadcast_begin(t: &Turn<'_>, args: &[&str]) -> Result<String, super::BotError> {
    let (ctx, admin) = (t.ctx, t.user);
    let lang = admin.language;
    let audience = match args {
        [] => Audience::Everyone,
        [a] => match parse_audience(a) {
            Some(a) => a,
            None => return Ok(tr!(lang, "usage-broadcast")),
        },
        _ => return Ok(tr!(lang, "usage-broadcast")),
    };
    ctx.store.set_broadcast_draft(admin.id, &audience).await?;
    t.dlg.update(State::BroadcastCompose).await?;
    Ok(format!(
        "{}\n{}",
        tr!(lang, "broadcast-compose"),
        tr!(lang, "broadcast-compose-audience", audience = audience_label(lang, &audience))
    ))
}

fn parse_audience(arg: &str) -> Option<Audience> {
    match arg.to_ascii_lowercase().as_str() {
        "all" | "everyone" => Some(Audience::Everyone),
        "resellers" | "reseller" => Some(Audience::Resellers),
        code => Lang::from_code(code).filter(|l| l.code() == code).map(Audience::Language),
    }
}

pub fn audience_label(lang: Lang, audience: &Audience) -> String {
    match audience {
        Audience::Everyone => tr!(lang, "broadcast-audience-all"),
        Audience::Language(l) => tr!(lang, "broadcast-audience-lang", language = tr!(*l, "language-name")),
        Audience::Resellers => tr!(lang, "broadcast-audience-resellers"),
    }
}

/// The admin sent the message to broadcast: show it back as a preview with the audience size.
pub async fn broadcast_compose(t: &Turn<'_>, msg: &Message) -> HandlerResult {
    let (bot, ctx, admin, dlg) = (t.bot, t.ctx, t.user, t.dlg);
    let lang = admin.language;
    let chat = msg.chat.id;
    let audience = ctx.store.broadcast_draft(admin.id).await?;
    // The preview is the same copyMessage every recipient gets: what cannot be copied here
    // would fail for everyone.
    if let Err(e) = bot.copy(chat, chat, msg.id).await {
        tracing::warn!(error = %e, "broadcast preview failed");
        ui::send(bot, chat, tr!(lang, "broadcast-cannot-copy"), None).await?;
        return Ok(());
    }
    let count = ctx.store.audience_size(&audience).await?;
    let label = audience_label(lang, &audience);
    if count == 0 {
        dlg.update(State::Idle).await?;
        ui::send(bot, chat, tr!(lang, "broadcast-nobody", audience = label), None).await?;
        return Ok(());
    }
    let text = format!(
        "{}\n{}",
        tr!(lang, "broadcast-preview", count = count),
        tr!(lang, "broadcast-preview-audience", audience = label)
    );
    let sent = ui::send(bot, chat, text, Some(keyboards::broadcast_confirm(lang))).await?;
    dlg.update(State::BroadcastConfirm { msg: sent, from_chat: chat, message_id: msg.id, audience }).await?;
    Ok(())
}

pub async fn broadcast_start(
    t: &Turn<'_>,
    msg: MessageId,
    from_chat: ChatId,
    message_id: MessageId,
    audience: Audience,
) -> HandlerResult {
    let (bot, ctx, admin, chat) = (t.bot, t.ctx, t.user, t.chat);
    t.dlg.update(State::Idle).await?;
    let lang = admin.language;
    let job = ctx.store.create_broadcast(admin.id, from_chat.0, message_id.0, &audience, chat.0, msg.0).await?;
    tracing::info!(job = job.id, total = job.total, "broadcast started");
    let text = tr!(lang, "broadcast-started", count = job.total);
    ui::edit(bot, chat, msg, text, Some(keyboards::broadcast_progress(lang, job.id))).await?;
    ctx.broadcast_wake.notify_one();
    Ok(())
}

pub async fn broadcast_abort(t: &Turn<'_>, msg: MessageId) -> HandlerResult {
    t.dlg.update(State::Idle).await?;
    ui::edit(t.bot, t.chat, msg, tr!(t.user.language, "broadcast-aborted"), None).await?;
    Ok(())
}

pub async fn broadcast_stop(t: &Turn<'_>, job: i64) -> HandlerResult {
    let (bot, ctx, admin, chat) = (t.bot, t.ctx, t.user, t.chat);
    let text = if ctx.store.cancel_broadcast(job, admin.id).await? {
        ctx.store.wait_sends_settled(&[job], CANCEL_SETTLE).await?;
        tr!(admin.language, "broadcast-cancelled", count = 1)
    } else {
        tr!(admin.language, "broadcast-none-running")
    };
    ui::send(bot, chat, text, None).await?;
    Ok(())
}
