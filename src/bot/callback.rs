//! Button payloads. `callback_data` is at most 64 bytes, so buttons carry short tags and ids; a
//! payload that does not parse is treated as tampered and changes nothing.
use crate::domain::CardType;
use crate::i18n::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cb {
    Menu(MenuItem),
    Type(CardType),
    Number(String),
    Value(i64),
    Confirm,
    Back,
    Cancel,
    Order(i64),
    OrdersPage(i64),
    Language(Lang),
    BroadcastConfirm,
    BroadcastCancel,
    BroadcastStop(i64),
    /// Start a top-up (under /balance, on the "not enough balance" refusal).
    Topup,
    /// Top-up method: online payment (true) or a transfer receipt.
    TopupVia(bool),
    /// A suggested top-up amount.
    TopupAmount(i64),
    /// Admin decisions on receipt request `id`.
    TopupApprove(i64),
    TopupReject(i64),
    TopupOther(i64),
    /// Carries out the admin's pending credit or debit with this id.
    MoveConfirm(i64),
    MoveCancel(i64),
    /// `/lookup`: the page-th match of the query (one order per page).
    LookupPage(i64, String),
    Recheck(i64),
    /// Asks the second confirmation before an admin refund of this order.
    Refund(i64),
    RefundConfirm(i64),
    RefundKeep(i64),
    /// The card of this delivered order once more: straight to its summary (receipt, reminder).
    BuyAgain(i64),
    /// Under a renewal reminder: no more reminders.
    RemindersOff,
}

/// What a lookup query may hold on a button: what `LookupQuery::parse` accepts, short enough for
/// the 64 bytes.
fn lookup_query_ok(q: &str) -> bool {
    !q.is_empty() && q.len() <= 48 && q.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    Order,
    Balance,
    Orders,
    Language,
    Help,
    Main,
}

impl MenuItem {
    fn tag(self) -> &'static str {
        match self {
            MenuItem::Order => "order",
            MenuItem::Balance => "balance",
            MenuItem::Orders => "orders",
            MenuItem::Language => "lang",
            MenuItem::Help => "help",
            MenuItem::Main => "main",
        }
    }
}

impl Cb {
    /// A step of a wizard (order, broadcast): accepted only on the message that shows the
    /// current step (`State::wizard_msg`). The match is exhaustive, so a new button must say.
    pub fn is_step(&self) -> bool {
        match self {
            Cb::Type(_)
            | Cb::Number(_)
            | Cb::Value(_)
            | Cb::Confirm
            | Cb::Back
            | Cb::Cancel
            | Cb::BroadcastConfirm
            | Cb::BroadcastCancel
            | Cb::TopupVia(_)
            | Cb::TopupAmount(_) => true,
            Cb::Menu(_)
            | Cb::Order(_)
            | Cb::OrdersPage(_)
            | Cb::Language(_)
            | Cb::BroadcastStop(_)
            | Cb::Topup
            | Cb::TopupApprove(_)
            | Cb::TopupReject(_)
            | Cb::TopupOther(_) => false,
            // Admin buttons name what they act on; the store decides each at most once.
            Cb::MoveConfirm(_)
            | Cb::MoveCancel(_)
            | Cb::LookupPage(..)
            | Cb::Recheck(_)
            | Cb::Refund(_)
            | Cb::RefundConfirm(_)
            | Cb::RefundKeep(_) => false,
            // Work on any message that carries them: the order id says what to buy again.
            Cb::BuyAgain(_) | Cb::RemindersOff => false,
        }
    }

    pub fn encode(&self) -> String {
        match self {
            Cb::Menu(m) => format!("m:{}", m.tag()),
            Cb::Type(t) => format!("t:{}", t.as_api()),
            Cb::Number(n) => format!("n:{n}"),
            Cb::Value(v) => format!("v:{v}"),
            Cb::Confirm => "ok".into(),
            Cb::Back => "back".into(),
            Cb::Cancel => "x".into(),
            Cb::Order(id) => format!("o:{id}"),
            Cb::OrdersPage(p) => format!("op:{p}"),
            Cb::Language(l) => format!("l:{}", l.code()),
            Cb::BroadcastConfirm => "bc:ok".into(),
            Cb::BroadcastCancel => "bc:x".into(),
            Cb::BroadcastStop(id) => format!("bs:{id}"),
            Cb::MoveConfirm(id) => format!("mv:{id}"),
            Cb::MoveCancel(id) => format!("mx:{id}"),
            Cb::LookupPage(page, q) => format!("lp:{page}:{q}"),
            Cb::Recheck(id) => format!("rk:{id}"),
            Cb::Refund(id) => format!("rf:{id}"),
            Cb::RefundConfirm(id) => format!("ry:{id}"),
            Cb::RefundKeep(id) => format!("rn:{id}"),
            Cb::Topup => "tu".into(),
            Cb::TopupVia(online) => (if *online { "tv:online" } else { "tv:transfer" }).into(),
            Cb::TopupAmount(a) => format!("ta:{a}"),
            Cb::TopupApprove(id) => format!("tok:{id}"),
            Cb::TopupReject(id) => format!("tno:{id}"),
            Cb::TopupOther(id) => format!("tam:{id}"),
            Cb::BuyAgain(id) => format!("ba:{id}"),
            Cb::RemindersOff => "rm:off".into(),
        }
    }

    pub fn parse(data: &str) -> Option<Cb> {
        let (tag, arg) = data.split_once(':').unwrap_or((data, ""));
        let num = || arg.parse::<i64>().ok().filter(|n| *n >= 0);
        Some(match tag {
            "m" => Cb::Menu(
                [
                    MenuItem::Order,
                    MenuItem::Balance,
                    MenuItem::Orders,
                    MenuItem::Language,
                    MenuItem::Help,
                    MenuItem::Main,
                ]
                .into_iter()
                .find(|m| m.tag() == arg)?,
            ),
            "t" => Cb::Type(CardType::parse(arg)?),
            "n" if !arg.is_empty() && arg.len() <= 16 && arg.bytes().all(|b| b.is_ascii_digit()) => {
                Cb::Number(arg.to_owned())
            }
            "v" => Cb::Value(num()?),
            "ok" if arg.is_empty() => Cb::Confirm,
            "back" if arg.is_empty() => Cb::Back,
            "x" if arg.is_empty() => Cb::Cancel,
            "o" => Cb::Order(num()?),
            "op" => Cb::OrdersPage(num()?),
            "l" => Cb::Language(Lang::from_code(arg)?),
            "bc" if arg == "ok" => Cb::BroadcastConfirm,
            "bc" if arg == "x" => Cb::BroadcastCancel,
            "bs" => Cb::BroadcastStop(num()?),
            "mv" => Cb::MoveConfirm(num()?),
            "mx" => Cb::MoveCancel(num()?),
            "lp" => {
                let (page, q) = arg.split_once(':')?;
                let page = page.parse::<i64>().ok().filter(|n| *n >= 0)?;
                if !lookup_query_ok(q) {
                    return None;
                }
                Cb::LookupPage(page, q.to_owned())
            }
            "rk" => Cb::Recheck(num()?),
            "rf" => Cb::Refund(num()?),
            "ry" => Cb::RefundConfirm(num()?),
            "rn" => Cb::RefundKeep(num()?),
            "tu" if arg.is_empty() => Cb::Topup,
            "tv" if arg == "online" => Cb::TopupVia(true),
            "tv" if arg == "transfer" => Cb::TopupVia(false),
            "ta" => Cb::TopupAmount(num()?),
            "tok" => Cb::TopupApprove(num()?),
            "tno" => Cb::TopupReject(num()?),
            "tam" => Cb::TopupOther(num()?),
            "ba" => Cb::BuyAgain(num()?),
            "rm" if arg == "off" => Cb::RemindersOff,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One payload of each variant.
    fn all() -> [Cb; 30] {
        [
            Cb::Menu(MenuItem::Order),
            Cb::Menu(MenuItem::Main),
            Cb::Type(CardType::FourG),
            Cb::Number("213665983439".into()),
            Cb::Value(3500),
            Cb::Confirm,
            Cb::Back,
            Cb::Cancel,
            Cb::Order(i64::MAX),
            Cb::OrdersPage(3),
            Cb::Language(Lang::Ar),
            Cb::BroadcastConfirm,
            Cb::BroadcastCancel,
            Cb::BroadcastStop(12),
            Cb::MoveConfirm(7),
            Cb::MoveCancel(7),
            Cb::LookupPage(2, format!("nc-{}-1733170000000-0000abcd", i64::MAX)),
            Cb::Recheck(3),
            Cb::Refund(3),
            Cb::RefundConfirm(3),
            Cb::RefundKeep(3),
            Cb::Topup,
            Cb::TopupVia(true),
            Cb::TopupVia(false),
            Cb::TopupAmount(2000),
            Cb::TopupApprove(7),
            Cb::TopupReject(7),
            Cb::TopupOther(7),
            Cb::BuyAgain(i64::MAX),
            Cb::RemindersOff,
        ]
    }

    #[test]
    fn every_payload_round_trips_within_64_bytes() {
        for cb in all() {
            let s = cb.encode();
            assert!(s.len() <= 64, "{s}");
            assert_eq!(Cb::parse(&s), Some(cb));
        }
    }

    #[test]
    fn tampered_payloads_are_rejected() {
        for s in [
            "",
            "v:",
            "v:-5",
            "v:abc",
            "t:5G",
            "n:12a",
            "ok:1",
            "o:1e3",
            "l:de",
            "zz",
            "m:nope",
            &"n:".repeat(40),
            "lp:1:",
            "lp:x:1",
            "lp:1:a;b",
            "mv:-1",
            "ry:",
            "tv:card",
            "tok:-1",
            "tu:1",
            "ba:",
            "ba:-3",
            "rm",
            "rm:on",
            "m:nope",
            &"n:".repeat(40),
        ] {
            assert_eq!(Cb::parse(s), None, "{s}");
        }
    }

    /// Wizard steps are the buttons of a step message; the rest work on any message. The match
    /// is exhaustive: a new variant does not compile here until it is sorted.
    #[test]
    fn each_button_says_whether_it_is_a_wizard_step() {
        let mut seen = std::collections::HashSet::new();
        for cb in all() {
            let step = match &cb {
                Cb::Type(_) | Cb::Number(_) | Cb::Value(_) | Cb::Confirm | Cb::Back | Cb::Cancel => true,
                Cb::BroadcastConfirm | Cb::BroadcastCancel => true,
                Cb::TopupVia(_) | Cb::TopupAmount(_) => true,
                Cb::Menu(_) | Cb::Order(_) | Cb::OrdersPage(_) | Cb::Language(_) | Cb::BroadcastStop(_) => false,
                Cb::MoveConfirm(_) | Cb::MoveCancel(_) | Cb::LookupPage(..) | Cb::Recheck(_) => false,
                Cb::Refund(_) | Cb::RefundConfirm(_) | Cb::RefundKeep(_) => false,
                Cb::Topup | Cb::TopupApprove(_) | Cb::TopupReject(_) | Cb::TopupOther(_) => false,
                Cb::BuyAgain(_) | Cb::RemindersOff => false,
            };
            assert_eq!(cb.is_step(), step, "{cb:?}");
            seen.insert(std::mem::discriminant(&cb));
        }
        assert_eq!(seen.len(), 28, "every variant has a sample");
    }
}
