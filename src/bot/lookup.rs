//! `/lookup`: one order per page with what OneClickDZ said about it, and the two things an admin
//! may do to it: check it now, or refund it after a second confirmation. The card code is never
//! shown here.
use super::turn::Turn;
use super::{HandlerResult, keyboards, render, ui};
use crate::domain::{Dinars, HoldState};
use crate::i18n::{Lang, card_value, html_escape, money};
use crate::store::lookup::{AdminRefund, LookupQuery};
use crate::store::{Order, StoreError};
use crate::tr;
use teloxide::types::MessageId;

/// `/lookup <order id | ref | phone number | user id>`
pub async fn command(t: &Turn<'_>, args: &[&str]) -> HandlerResult {
    // A number typed with spaces (`036 36 26 08`) is one query.
    let Some(q) = LookupQuery::parse(&args.concat()) else {
        ui::send(t.bot, t.chat, tr!(t.user.language, "lookup-usage"), None).await?;
        return Ok(());
    };
    show(t, None, &q, 0).await
}

/// Next / Previous under a lookup.
pub async fn page(t: &Turn<'_>, pressed: MessageId, page: i64, query: &str) -> HandlerResult {
    match LookupQuery::parse(query) {
        Some(q) => show(t, Some(pressed), &q, page).await,
        None => Ok(()),
    }
}

async fn show(t: &Turn<'_>, msg: Option<MessageId>, q: &LookupQuery, page: i64) -> HandlerResult {
    let lang = t.user.language;
    let (order, total) = t.ctx.store.lookup_orders(q, page).await?;
    let Some(order) = order else {
        let text = tr!(lang, "lookup-none", query = html_escape(&q.text));
        ui::edit_or_send(t.bot, t.chat, msg, text, None).await?;
        return Ok(());
    };
    let text = order_text(t, lang, &order, page + 1, total).await?;
    let kb = keyboards::lookup(lang, order.id, order.next_check_at.is_some(), refundable(&order), &q.text, page, total);
    ui::edit_or_send(t.bot, t.chat, msg, text, Some(kb)).await?;
    Ok(())
}

/// Only an open order still holding its price: a FULFILLED one paid for a card, and a final one
/// is settled already.
fn refundable(o: &Order) -> bool {
    !o.status.is_final() && o.hold_state == HoldState::Held
}

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).map(html_escape).unwrap_or_else(|| "—".into())
}

fn time_or_dash(ms: Option<i64>) -> String {
    ms.map(render::local_time).unwrap_or_else(|| "—".into())
}

async fn order_text(t: &Turn<'_>, lang: Lang, o: &Order, index: i64, total: i64) -> Result<String, StoreError> {
    let store = &t.ctx.store;
    let customer = store.user(o.user_id).await?.map(|u| u.display_name()).unwrap_or_else(|| "—".into());
    let hold = match o.hold_state {
        HoldState::Held => "lookup-hold-held",
        HoldState::Captured => "lookup-hold-captured",
        HoldState::Released => "lookup-hold-released",
    };
    let mut text = tr!(
        lang,
        "lookup-order",
        id = o.id,
        index = index,
        total = total,
        order_ref = html_escape(&o.r#ref),
        kind = render::card_type(lang, o.card_type),
        value = card_value(o.value),
        number = html_escape(&o.number),
        price = money(lang, o.price),
        status = o.status.as_str(),
        label = render::status_label(lang, o.status),
        hold = tr!(lang, hold),
        name = html_escape(&customer),
        user = o.user_id.to_string(),
        created = render::local_time(o.created_at),
        sent = time_or_dash(o.send_attempted_at),
        upstream_id = or_dash(o.topup_id.as_deref()),
        upstream_status = or_dash(o.upstream_status.as_deref()),
        num_trans = or_dash(o.num_trans.as_deref()),
        processed = or_dash(o.date_traitement.as_deref()),
        finished = time_or_dash(o.finished_at),
        next = time_or_dash(o.next_check_at)
    );
    // Each status it went through (recorded by the database), then its wallet rows.
    let history = store.order_status_history(o.id).await?;
    if !history.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "lookup-status-history"));
        for c in &history {
            text.push_str("\n• ");
            text.push_str(&tr!(
                lang,
                "lookup-status-line",
                date = render::local_time(c.at),
                status = c.status.as_str(),
                label = render::status_label(lang, c.status)
            ));
        }
    }
    let rows = store.order_ledger(o.id).await?;
    if !rows.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "lookup-history"));
        for e in &rows {
            text.push_str("\n• ");
            text.push_str(&render::ledger_line(lang, e));
            if let Some(admin) = e.admin_id {
                text.push_str(&tr!(lang, "lookup-by-admin", admin = admin.to_string()));
            }
        }
    }
    Ok(text)
}

/// Recheck now: the order becomes due at once and the tracker is woken for it.
pub async fn recheck(t: &Turn<'_>, order: i64) -> HandlerResult {
    let lang = t.user.language;
    let text = match t.ctx.store.recheck_now(order, t.user.id).await? {
        Some(row) => {
            tracing::info!(admin = t.user.id, order_ref = %row.r#ref, "recheck asked by an admin");
            // Same hand-off as a new order: the tracker takes the row and looks at it now.
            t.ctx.placed.placed(row);
            tr!(lang, "lookup-recheck-started", id = order)
        }
        None => tr!(lang, "lookup-recheck-final", id = order),
    };
    ui::send(t.bot, t.chat, text, None).await?;
    Ok(())
}

/// Refund: the second confirmation, naming the risk.
pub async fn refund_ask(t: &Turn<'_>, order: i64) -> HandlerResult {
    let lang = t.user.language;
    let Some(o) = t.ctx.store.order(order).await? else { return Ok(()) };
    if !refundable(&o) {
        let text = tr!(lang, "lookup-refund-final", id = o.id, status = o.status.as_str());
        ui::send(t.bot, t.chat, text, None).await?;
        return Ok(());
    }
    let name = t.ctx.store.user(o.user_id).await?.map(|u| u.display_name()).unwrap_or_default();
    let text = tr!(
        lang,
        "lookup-refund-ask",
        id = o.id,
        price = money(lang, o.price),
        name = html_escape(&name),
        user = o.user_id.to_string()
    );
    ui::send(t.bot, t.chat, text, Some(keyboards::refund_confirm(lang, o.id))).await?;
    Ok(())
}

/// Yes, refund: the hold goes back to the customer once, whatever the number of taps.
pub async fn refund_confirm(t: &Turn<'_>, pressed: MessageId, order: i64) -> HandlerResult {
    let (ctx, admin) = (t.ctx, t.user);
    let lang = admin.language;
    let text = match ctx.store.admin_refund(order, admin.id).await {
        Ok(AdminRefund::Done(o)) => {
            tracing::warn!(admin = admin.id, order_ref = %o.r#ref, price = o.price.get(), "order refunded by an admin");
            let (name, balance) = match ctx.store.user(o.user_id).await? {
                Some(u) => (u.display_name(), u.balance),
                None => (String::new(), Dinars(0)),
            };
            // The tracker tells the customer, as for any refund.
            ctx.placed.placed(o.clone());
            tr!(
                lang,
                "lookup-refund-done",
                id = o.id,
                price = money(lang, o.price),
                name = html_escape(&name),
                user = o.user_id.to_string(),
                balance = money(lang, balance)
            )
        }
        Ok(AdminRefund::AlreadyFinal(o)) => {
            let text = tr!(lang, "lookup-refund-final", id = o.id, status = o.status.as_str());
            ui::send(t.bot, t.chat, text, None).await?;
            return Ok(());
        }
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    ui::edit_or_send(t.bot, t.chat, Some(pressed), text, None).await?;
    Ok(())
}

pub async fn refund_keep(t: &Turn<'_>, pressed: MessageId, order: i64) -> HandlerResult {
    let text = tr!(t.user.language, "lookup-refund-kept", id = order);
    ui::edit_or_send(t.bot, t.chat, Some(pressed), text, None).await?;
    Ok(())
}
