//! `/stats` for admins.
use super::{Ctx, render};
use crate::domain::OrderStatus;
use crate::i18n::{Lang, local_ms, money};
use crate::store::StoreError;
use crate::store::ledger::{LedgerCheck, LedgerCheckResult};
use crate::tr;

pub async fn render(ctx: &Ctx, lang: Lang) -> Result<String, StoreError> {
    let now = chrono::Utc::now();
    let local = now + chrono::Duration::hours(1);
    let since_midnight = local.time().signed_duration_since(chrono::NaiveTime::MIN).num_milliseconds();
    let day_start = now.timestamp_millis() - since_midnight;
    let week_start = now.timestamp_millis() - 7 * 24 * 3600 * 1000;
    let s = ctx.store.stats(day_start, week_start).await?;
    let mut text = tr!(
        lang,
        "stats-users",
        total = s.users_total,
        active = s.users_active_7d,
        unreachable = s.users_unreachable,
        banned = s.users_banned
    );
    text.push_str("\n\n");
    text.push_str(&tr!(lang, "stats-orders-header"));
    // PLACED and HANDLING read the same to a person ("processing"): one line for both.
    let mut lines: Vec<(String, (i64, i64, i64))> = Vec::new();
    for status in OrderStatus::ALL {
        let (d, w, a) = s.orders.get(status.as_str()).copied().unwrap_or_default();
        let label = render::status_label(lang, status);
        match lines.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n = (n.0 + d, n.1 + w, n.2 + a),
            None => lines.push((label, (d, w, a))),
        }
    }
    for (label, (d, w, a)) in lines {
        text.push('\n');
        text.push_str(&tr!(lang, "stats-orders-line", status = label, today = d, week = w, all = a));
    }
    text.push_str("\n\n");
    let labels = ["stats-period-today", "stats-period-week", "stats-period-all"];
    for (i, (rev, cost)) in s.revenue.iter().enumerate() {
        text.push_str(&tr!(
            lang,
            "stats-revenue",
            period = tr!(lang, labels[i]),
            revenue = money(lang, *rev),
            margin = money(lang, *rev - *cost)
        ));
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&tr!(
        lang,
        "stats-wallets",
        balance = money(lang, s.wallets_balance),
        held = money(lang, s.wallets_held)
    ));
    text.push('\n');
    text.push_str(&ledger_line(lang, ctx.store.last_ledger_check().await?));
    Ok(text)
}

/// The last books check as admins read it: when, and whether every balance adds up.
fn ledger_line(lang: Lang, check: Option<LedgerCheck>) -> String {
    let Some(check) = check else {
        return tr!(lang, "stats-ledger-never");
    };
    let when = local_ms(check.at);
    match check.result {
        LedgerCheckResult::Ok => tr!(lang, "stats-ledger-ok", when = when),
        LedgerCheckResult::Failed => tr!(lang, "stats-ledger-failed", when = when),
        LedgerCheckResult::Mismatches(users) => {
            // A long list would bury the rest of /stats; the alert already named them all.
            let mut list = users.iter().take(10).map(i64::to_string).collect::<Vec<_>>().join(", ");
            if users.len() > 10 {
                list.push_str(", …");
            }
            tr!(lang, "stats-ledger-mismatch", when = when, count = users.len(), users = list)
        }
    }
}
