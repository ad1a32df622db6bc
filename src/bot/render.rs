//! Texts built from the locales for a given language: summaries, receipts, statuses, balances.
use crate::domain::{CardType, Dinars, FailureReason, OrderStatus, PhoneError};
use crate::i18n::{Lang, card_value, html_escape, local_rfc3339, money};
use crate::store::{LedgerEntry, LedgerKind, Order};
use crate::tr;

/// Algiers time, `dd/mm/yyyy HH:MM`.
pub fn local_time(ms: i64) -> String {
    crate::i18n::local_ms(ms)
}

pub fn card_type(lang: Lang, t: CardType) -> String {
    match t {
        CardType::Adsl => tr!(lang, "type-adsl"),
        CardType::FourG => tr!(lang, "type-4g"),
    }
}

pub fn example_number(t: CardType) -> &'static str {
    match t {
        CardType::Adsl => "036362608",
        CardType::FourG => "0661234567",
    }
}

/// The number step names the line to recharge: the fixed line for ADSL, the Idoom 4G LTE line's
/// own number (not the customer's mobile) for 4G.
pub fn number_prompt(lang: Lang, t: CardType) -> String {
    let key = match t {
        CardType::Adsl => "order-enter-number-adsl",
        CardType::FourG => "order-enter-number-4g",
    };
    tr!(lang, key, example = example_number(t))
}

pub fn phone_error(lang: Lang, t: CardType, e: PhoneError) -> String {
    let key = match (t, e) {
        (_, PhoneError::Empty | PhoneError::NotDigits) => "phone-error-digits",
        (CardType::Adsl, PhoneError::WrongLength) => "phone-error-adsl-length",
        (CardType::Adsl, PhoneError::WrongPrefix) => "phone-error-adsl-prefix",
        (CardType::FourG, PhoneError::WrongLength) => "phone-error-4g-length",
        (CardType::FourG, PhoneError::WrongPrefix) => "phone-error-4g-prefix",
    };
    tr!(lang, key, kind = card_type(lang, t), example = example_number(t))
}

pub fn status_label(lang: Lang, s: OrderStatus) -> String {
    let key = match s {
        OrderStatus::Placed | OrderStatus::Handling => "status-processing",
        OrderStatus::Queued => "status-queued",
        OrderStatus::Fulfilled => "status-fulfilled",
        OrderStatus::Refunded => "status-refunded",
        OrderStatus::Failed => "status-failed",
    };
    tr!(lang, key)
}

pub fn summary(lang: Lang, t: CardType, number: &str, value: Dinars, price: Dinars, balance: Dinars) -> String {
    let mut text = tr!(
        lang,
        "order-summary",
        kind = card_type(lang, t),
        number = html_escape(number),
        value = card_value(value),
        price = money(lang, price),
        balance = money(lang, balance),
        after = money(lang, balance - price)
    );
    if balance < price {
        text.push_str("\n\n");
        text.push_str(&tr!(lang, "order-summary-short", missing = money(lang, price - balance)));
    }
    text
}

pub fn insufficient(lang: Lang, balance: Dinars, price: Dinars, support: &str) -> String {
    let mut text = tr!(
        lang,
        "order-insufficient",
        balance = money(lang, balance),
        price = money(lang, price),
        missing = money(lang, (price - balance).max(Dinars(0)))
    );
    text.push_str("\n\n");
    text.push_str(&topup_hint(lang, support));
    text
}

pub fn topup_hint(lang: Lang, support: &str) -> String {
    if support.is_empty() {
        tr!(lang, "topup-how-admin")
    } else {
        tr!(lang, "topup-how", contact = html_escape(support))
    }
}

/// The text an order's message shows for its current status. `code` is the decrypted card code
/// for a fulfilled order; `balance` the wallet after a refund.
pub fn order_message(lang: Lang, o: &Order, code: Option<&str>, balance: Option<Dinars>) -> String {
    let kind = card_type(lang, o.card_type);
    let number = html_escape(&o.number);
    let value = card_value(o.value);
    match o.status {
        OrderStatus::Placed | OrderStatus::Handling => {
            tr!(lang, "order-processing", id = o.id, kind = kind, number = number, value = value)
        }
        OrderStatus::Queued => tr!(lang, "order-queued", id = o.id, kind = kind, number = number, value = value),
        OrderStatus::Fulfilled => {
            let howto = match o.card_type {
                CardType::Adsl => tr!(lang, "howto-adsl"),
                CardType::FourG => tr!(lang, "howto-4g"),
            };
            let code = match code {
                Some(c) => html_escape(c),
                None => tr!(lang, "order-code-unavailable"),
            };
            tr!(
                lang,
                "order-receipt",
                id = o.id,
                kind = kind,
                number = number,
                value = value,
                price = money(lang, o.price),
                code = code,
                trans = html_escape(o.num_trans.as_deref().unwrap_or("—")),
                date = o.date_traitement.as_deref().map_or("—".into(), |d| html_escape(&local_rfc3339(d))),
                placed = local_time(o.created_at),
                howto = howto
            )
        }
        OrderStatus::Refunded | OrderStatus::Failed => {
            let reason = match o.failure_reason {
                Some(FailureReason::InvalidNumber) => tr!(lang, "fail-invalid-number"),
                Some(FailureReason::OutOfStock) => tr!(lang, "fail-out-of-stock"),
                Some(FailureReason::Unavailable) => tr!(lang, "fail-unavailable"),
                Some(FailureReason::NotSent) => tr!(lang, "fail-not-sent"),
                _ if o.status == OrderStatus::Refunded => tr!(lang, "fail-refunded"),
                _ => tr!(lang, "fail-unavailable"),
            };
            tr!(
                lang,
                "order-refunded",
                id = o.id,
                kind = kind,
                number = number,
                value = value,
                price = money(lang, o.price),
                reason = reason,
                balance = money(lang, balance.unwrap_or_default())
            )
        }
    }
}

/// A customer's order-list button: icon, short type, value, Algiers day (`dd/mm`). Short enough
/// (≤ 32 characters) that a phone does not cut it; the order itself shows the rest.
pub fn orders_button(lang: Lang, o: &Order) -> String {
    let kind = match o.card_type {
        CardType::Adsl => "type-short-adsl",
        CardType::FourG => "type-short-4g",
    };
    tr!(
        lang,
        "orders-button",
        icon = tr!(lang, status_icon(o.status)),
        kind = tr!(lang, kind),
        value = card_value(o.value),
        date = crate::i18n::local_day_ms(o.created_at)
    )
}

pub fn status_icon(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Placed | OrderStatus::Handling => "status-icon-processing",
        OrderStatus::Queued => "status-icon-queued",
        OrderStatus::Fulfilled => "status-icon-fulfilled",
        OrderStatus::Refunded => "status-icon-refunded",
        OrderStatus::Failed => "status-icon-failed",
    }
}

/// Shown to a banned user; with `SUPPORT_CONTACT`, who to talk to. `html`: for a message (the
/// contact escaped), else for a callback's plain-text notice.
pub fn banned(lang: Lang, support: &str, html: bool) -> String {
    if support.is_empty() {
        return tr!(lang, "banned");
    }
    let contact = if html { html_escape(support) } else { support.to_owned() };
    tr!(lang, "banned-contact", contact = contact)
}

/// A user's price list, one line per card type and value: what `/setrole` tells them.
pub fn price_list(lang: Lang, lines: &[(CardType, Dinars, Dinars)]) -> String {
    lines
        .iter()
        .map(|(t, value, price)| {
            tr!(
                lang,
                "reseller-price-line",
                kind = card_type(lang, *t),
                value = card_value(*value),
                price = money(lang, *price)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line of the order list, for an admin's `/user` (plain text, no HTML).
pub fn order_line(lang: Lang, o: &Order) -> String {
    tr!(
        lang,
        "orders-line",
        id = o.id,
        kind = card_type(lang, o.card_type),
        value = card_value(o.value),
        status = status_label(lang, o.status),
        date = local_time(o.created_at)
    )
}

pub fn ledger_line(lang: Lang, e: &LedgerEntry) -> String {
    let key = match e.kind {
        LedgerKind::Credit => "ledger-credit",
        LedgerKind::Debit => "ledger-debit",
        LedgerKind::Hold => "ledger-hold",
        LedgerKind::Capture => "ledger-capture",
        LedgerKind::Release => "ledger-release",
    };
    tr!(
        lang,
        key,
        amount = money(lang, e.amount),
        order = e.order_id.unwrap_or(0),
        date = local_time(e.created_at),
        after = money(lang, e.balance_after)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banned_notice_names_the_contact_escaped_for_html_only() {
        for lang in Lang::ALL {
            assert_eq!(banned(lang, "", true), tr!(lang, "banned"));
            assert!(banned(lang, "@a<b", true).contains("@a&lt;b"), "{lang:?}");
            assert!(banned(lang, "@a<b", false).contains("@a<b"), "{lang:?}");
        }
    }

    #[test]
    fn a_price_list_has_one_line_per_card_in_the_users_currency() {
        let lines = [(CardType::Adsl, Dinars(1000), Dinars(990)), (CardType::FourG, Dinars(2000), Dinars(1950))];
        let en = price_list(Lang::En, &lines);
        assert_eq!(
            en,
            "Idoom ADSL 1\u{202f}000\u{a0}DA card: <b>990\u{a0}DA</b>\n\
             Idoom 4G LTE 2\u{202f}000\u{a0}DA card: <b>1\u{202f}950\u{a0}DA</b>"
        );
        let ar = price_list(Lang::Ar, &lines);
        assert_eq!(ar.lines().count(), 2);
        assert!(
            ar.contains("1\u{202f}000\u{a0}د.ج") && ar.contains("1\u{202f}950\u{a0}د.ج") && !ar.contains("DA"),
            "{ar}"
        );
        let fr = price_list(Lang::Fr, &lines);
        assert!(fr.contains("Carte Idoom ADSL de 1\u{202f}000\u{a0}DA\u{a0}: <b>990\u{a0}DA</b>"), "{fr}");
    }

    #[test]
    fn every_line_type_has_its_own_prompt_with_its_example() {
        for lang in Lang::ALL {
            let (adsl, four_g) = (number_prompt(lang, CardType::Adsl), number_prompt(lang, CardType::FourG));
            assert_ne!(adsl, four_g, "{lang:?}");
            assert!(adsl.contains("<code>036362608</code>") && four_g.contains("<code>0661234567</code>"), "{lang:?}");
            assert!(four_g.contains("Idoom 4G LTE"), "{lang:?}");
        }
    }
}
