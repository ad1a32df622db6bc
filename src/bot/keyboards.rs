//! Inline keyboards. Labels come from the locales; payloads from `callback::Cb`.
use super::callback::{Cb, MenuItem};
use crate::catalog::Offer;
use crate::domain::CardType;
use crate::i18n::{Lang, money};
use crate::tr;
use teloxide::types::{CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup};

fn button(label: String, cb: Cb) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, cb.encode())
}

pub fn main_menu(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![button(tr!(lang, "btn-new-order"), Cb::Menu(MenuItem::Order))],
        vec![
            button(tr!(lang, "btn-balance"), Cb::Menu(MenuItem::Balance)),
            button(tr!(lang, "btn-orders"), Cb::Menu(MenuItem::Orders)),
        ],
        vec![
            button(tr!(lang, "btn-language"), Cb::Menu(MenuItem::Language)),
            button(tr!(lang, "btn-help"), Cb::Menu(MenuItem::Help)),
        ],
    ])
}

pub fn back_to_menu(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(tr!(lang, "btn-main-menu"), Cb::Menu(MenuItem::Main))]])
}

fn back_cancel_row(lang: Lang) -> Vec<InlineKeyboardButton> {
    vec![button(tr!(lang, "btn-back"), Cb::Back), button(tr!(lang, "btn-cancel"), Cb::Cancel)]
}

pub fn card_types(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![
            button(tr!(lang, "btn-type-adsl"), Cb::Type(CardType::Adsl)),
            button(tr!(lang, "btn-type-4g"), Cb::Type(CardType::FourG)),
        ],
        vec![button(tr!(lang, "btn-cancel"), Cb::Cancel)],
    ])
}

/// Recently used numbers for one-tap reuse, then Back and Cancel.
pub fn number_step(lang: Lang, recent: &[String]) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> =
        recent.iter().map(|n| vec![button(n.clone(), Cb::Number(n.clone()))]).collect();
    rows.push(back_cancel_row(lang));
    InlineKeyboardMarkup::new(rows)
}

pub fn values(lang: Lang, offers: &[Offer]) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = offers
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|o| {
                    button(
                        tr!(lang, "btn-value", value = crate::i18n::card_value(o.value), price = money(lang, o.price)),
                        Cb::Value(o.value.get()),
                    )
                })
                .collect()
        })
        .collect();
    rows.push(back_cancel_row(lang));
    InlineKeyboardMarkup::new(rows)
}

pub fn confirm(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(tr!(lang, "btn-confirm"), Cb::Confirm)], back_cancel_row(lang)])
}

/// Under a receipt: a real Copy button for the code, Buy again (this order's card once more),
/// then the way on.
pub fn receipt(lang: Lang, order: i64, code: Option<&str>) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    if let Some(code) = code.filter(|c| !c.is_empty() && c.chars().count() <= 256) {
        rows.push(vec![InlineKeyboardButton::copy_text_button(
            tr!(lang, "btn-copy-code"),
            CopyTextButton { text: code.to_owned() },
        )]);
    }
    rows.push(vec![button(tr!(lang, "btn-buy-again"), Cb::BuyAgain(order))]);
    rows.push(vec![
        button(tr!(lang, "btn-new-order"), Cb::Menu(MenuItem::Order)),
        button(tr!(lang, "btn-orders"), Cb::Menu(MenuItem::Orders)),
    ]);
    InlineKeyboardMarkup::new(rows)
}

/// Under a renewal reminder.
pub fn reminder(lang: Lang, order: i64) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![button(tr!(lang, "btn-buy-again"), Cb::BuyAgain(order))],
        vec![button(tr!(lang, "btn-stop-reminders"), Cb::RemindersOff)],
    ])
}

pub fn orders_page(lang: Lang, ids: &[(i64, String)], page: i64, pages: i64) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> =
        ids.iter().map(|(id, label)| vec![button(label.clone(), Cb::Order(*id))]).collect();
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(button(tr!(lang, "btn-prev"), Cb::OrdersPage(page - 1)));
    }
    if page + 1 < pages {
        nav.push(button(tr!(lang, "btn-next"), Cb::OrdersPage(page + 1)));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    rows.push(vec![button(tr!(lang, "btn-main-menu"), Cb::Menu(MenuItem::Main))]);
    InlineKeyboardMarkup::new(rows)
}

pub fn languages() -> InlineKeyboardMarkup {
    // Each language is named in itself, whatever the current one.
    InlineKeyboardMarkup::new(vec![
        Lang::ALL.iter().map(|l| button(tr!(*l, "language-name"), Cb::Language(*l))).collect::<Vec<_>>(),
    ])
}

pub fn broadcast_confirm(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(tr!(lang, "btn-confirm"), Cb::BroadcastConfirm),
        button(tr!(lang, "btn-cancel"), Cb::BroadcastCancel),
    ]])
}

pub fn broadcast_progress(lang: Lang, job: i64) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(tr!(lang, "btn-cancel"), Cb::BroadcastStop(job))]])
}

/// Under an admin's credit or debit preview: the pending action's id rides on both buttons.
pub fn admin_move(lang: Lang, action: i64) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(tr!(lang, "btn-confirm"), Cb::MoveConfirm(action)),
        button(tr!(lang, "btn-cancel"), Cb::MoveCancel(action)),
    ]])
}

/// Under one order of a `/lookup`: what can be done to it, then the way through the matches.
pub fn lookup(
    lang: Lang,
    order: i64,
    followed: bool,
    refundable: bool,
    query: &str,
    page: i64,
    pages: i64,
) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    let mut acts = Vec::new();
    if followed {
        acts.push(button(tr!(lang, "btn-recheck"), Cb::Recheck(order)));
    }
    if refundable {
        acts.push(button(tr!(lang, "btn-refund"), Cb::Refund(order)));
    }
    if !acts.is_empty() {
        rows.push(acts);
    }
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(button(tr!(lang, "btn-prev"), Cb::LookupPage(page - 1, query.to_owned())));
    }
    if page + 1 < pages {
        nav.push(button(tr!(lang, "btn-next"), Cb::LookupPage(page + 1, query.to_owned())));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    InlineKeyboardMarkup::new(rows)
}

/// The second confirmation of an admin refund.
pub fn refund_confirm(lang: Lang, order: i64) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(tr!(lang, "btn-refund-confirm"), Cb::RefundConfirm(order)),
        button(tr!(lang, "btn-refund-keep"), Cb::RefundKeep(order)),
    ]])
}

/// The Top up button, then the main menu (under /balance and the "not enough balance" refusal).
pub fn with_topup(lang: Lang, topups: bool) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    if topups {
        rows.push(vec![button(tr!(lang, "topup-btn"), Cb::Topup)]);
    }
    rows.push(vec![button(tr!(lang, "btn-main-menu"), Cb::Menu(MenuItem::Main))]);
    InlineKeyboardMarkup::new(rows)
}

/// Just the Top up button (e.g. to reach the other method when one is unavailable).
pub fn topup_start(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(tr!(lang, "topup-btn"), Cb::Topup)]])
}

/// The methods on offer, one per row, then Cancel.
pub fn topup_methods(lang: Lang, online: bool, transfer: bool) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    if online {
        rows.push(vec![button(tr!(lang, "topup-btn-online"), Cb::TopupVia(true))]);
    }
    if transfer {
        rows.push(vec![button(tr!(lang, "topup-btn-transfer"), Cb::TopupVia(false))]);
    }
    rows.push(vec![button(tr!(lang, "btn-cancel"), Cb::Cancel)]);
    InlineKeyboardMarkup::new(rows)
}

/// Suggested amounts in one row, then Cancel.
pub fn topup_amounts(lang: Lang, amounts: &[crate::domain::Dinars]) -> InlineKeyboardMarkup {
    let row: Vec<_> = amounts
        .iter()
        .map(|a| button(tr!(lang, "topup-btn-amount", amount = a.grouped()), Cb::TopupAmount(a.get())))
        .collect();
    let mut rows = Vec::new();
    if !row.is_empty() {
        rows.push(row);
    }
    rows.push(vec![button(tr!(lang, "btn-cancel"), Cb::Cancel)]);
    InlineKeyboardMarkup::new(rows)
}

/// The payment link as a URL button (`Pay 2 000 DA`).
pub fn topup_pay(lang: Lang, amount: crate::domain::Dinars, url: &str) -> InlineKeyboardMarkup {
    match url::Url::parse(url) {
        Ok(u) => InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
            tr!(lang, "topup-btn-pay", amount = amount.grouped()),
            u,
        )]]),
        Err(_) => InlineKeyboardMarkup::default(),
    }
}

/// An admin's buttons under a receipt request.
pub fn topup_review(lang: Lang, id: i64) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![
            button(tr!(lang, "topup-btn-approve"), Cb::TopupApprove(id)),
            button(tr!(lang, "topup-btn-reject"), Cb::TopupReject(id)),
        ],
        vec![button(tr!(lang, "topup-btn-other-amount"), Cb::TopupOther(id))],
    ])
}
