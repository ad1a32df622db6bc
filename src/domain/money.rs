//! Whole dinars. Card values and wallet amounts are integers; fractions never reach a wallet.
use serde::{Deserialize, Serialize};

/// Stored as a plain INTEGER column (`sqlx` transparent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct Dinars(pub i64);

/// Why an amount typed by an admin was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("not a whole number of dinars")]
    NotANumber,
    /// `1500.00`, `1500,5`, `12.5`: dinars are whole here, a decimal part is never dropped silently.
    #[error("has a decimal part")]
    Fraction,
    /// `1.5.0`, `1500.000`, `1 50`: digits that are not groups of three, read neither way safely.
    #[error("digits are not grouped by three")]
    Grouping,
    #[error("must be greater than zero")]
    NotPositive,
    #[error("too large")]
    TooLarge,
}

impl AmountError {
    /// The message id (locales) that explains the refusal to an admin.
    pub fn message_key(self) -> &'static str {
        match self {
            AmountError::NotANumber => "amount-not-a-number",
            AmountError::Fraction => "amount-fraction",
            AmountError::Grouping => "amount-grouping",
            AmountError::NotPositive => "amount-not-positive",
            AmountError::TooLarge => "amount-too-large",
        }
    }
}

/// A decimal digit, ASCII or Arabic-Indic (as typed on Arabic keyboards).
fn digit(c: char) -> Option<i64> {
    match c {
        '0'..='9' => Some(i64::from(c as u8 - b'0')),
        '\u{0660}'..='\u{0669}' => Some(i64::from(c as u32 - 0x0660)),
        _ => None,
    }
}

/// Spaces that may separate thousands: plain, no-break, narrow no-break, thin.
fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{00a0}' | '\u{202f}' | '\u{2009}')
}

/// The currency written after an amount, longest first.
const CURRENCIES: [&str; 6] = ["د.ج", "دج", "DZD", "dzd", "DA", "da"];

/// Splits `s` after its leading run of digits: (the run's value, its length in digits, the rest).
/// The value saturates: anything that long is refused as too large anyway.
fn digit_run(s: &str) -> (i64, usize, &str) {
    let (mut value, mut len) = (0i64, 0usize);
    for (i, c) in s.char_indices() {
        match digit(c) {
            Some(d) => {
                value = value.saturating_mul(10).saturating_add(d);
                len += 1;
            }
            None => return (value, len, &s[i..]),
        }
    }
    (value, len, "")
}

/// Reads the amount at the start of `s` (after the user id of `/credit`, `/debit`) and returns it
/// with the note that follows, trimmed. The amount is a group of digits, optionally followed by
/// groups of exactly three after one separator each (space, no-break space, `,` or `.`) when the
/// first group has one to three digits: `1500`, `1 500`, `1,500`, `1.500 000`; then optionally a
/// currency (`DA`, `دج`, `د.ج`). A note must be set apart by a space and may not start with a
/// digit: `1 50` or `1500 2` could be read two ways, and a wrong reading moves money.
pub fn parse_amount_and_note(s: &str) -> Result<(Dinars, &str), AmountError> {
    let s = s.trim_start();
    if let Some(r) = s.strip_prefix(['-', '\u{2212}'])
        && r.starts_with(|c| digit(c).is_some())
    {
        return Err(AmountError::NotPositive);
    }
    let (mut value, first_len, mut rest) = digit_run(s);
    if first_len == 0 {
        return Err(AmountError::NotANumber);
    }
    let groups_ok = first_len <= 3;
    // One kind of separator per amount (' ' for every space): `1,500.000` or `1 500.000` could be
    // a decimal written the other country's way.
    let mut kind = None;
    loop {
        let mut chars = rest.chars();
        let Some(sep) = chars.next() else { break };
        let after = chars.as_str();
        let punct = matches!(sep, ',' | '.');
        if !(punct || is_group_space(sep)) {
            break;
        }
        let (group, len, tail) = digit_run(after);
        if len == 0 {
            break;
        }
        let k = if punct { sep } else { ' ' };
        if len == 3 && groups_ok && kind.is_none_or(|x| x == k) {
            kind = Some(k);
            value = value.saturating_mul(1000).saturating_add(group);
            rest = tail;
            continue;
        }
        if !punct {
            // A space then digits that are no group: the amount would end here, and the note
            // start with a number. Refused rather than guessed.
            return Err(AmountError::Grouping);
        }
        // A last `.`/`,` followed by other than three digits is a decimal part; anything else
        // (a second bad group, or three digits after a first group of four) a wrong grouping.
        let more = tail.starts_with([',', '.']) && tail[1..].starts_with(|c| digit(c).is_some());
        return Err(if len != 3 && !more { AmountError::Fraction } else { AmountError::Grouping });
    }
    let rest = strip_currency(rest);
    let note = match rest.chars().next() {
        None => "",
        Some(c) if c.is_whitespace() => rest.trim(),
        Some(_) => return Err(AmountError::NotANumber),
    };
    if note.starts_with(|c| digit(c).is_some()) {
        return Err(AmountError::Grouping);
    }
    if value == 0 {
        return Err(AmountError::NotPositive);
    }
    if value > Dinars::MAX_OPERATION {
        return Err(AmountError::TooLarge);
    }
    Ok((Dinars(value), note))
}

/// `rest` without a currency written right after the amount (`DA`, ` دج`), when one is there as
/// a whole word.
fn strip_currency(rest: &str) -> &str {
    let spaced = rest.trim_start_matches(is_group_space);
    for cur in CURRENCIES {
        if let Some(after) = spaced.strip_prefix(cur)
            && after.chars().next().is_none_or(char::is_whitespace)
        {
            return after;
        }
    }
    rest
}

impl Dinars {
    /// Largest amount one admin operation may move; far above any real wallet, far below overflow.
    pub const MAX_OPERATION: i64 = 100_000_000;

    pub fn get(self) -> i64 {
        self.0
    }

    /// Parses a whole string as one positive amount, as admins type it: `1500`, `1 500`,
    /// `1.500`, `1500DA` (see [`parse_amount_and_note`]); anything after the amount is refused.
    pub fn parse_positive(s: &str) -> Result<Dinars, AmountError> {
        match parse_amount_and_note(s)? {
            (d, "") => Ok(d),
            _ => Err(AmountError::NotANumber),
        }
    }

    /// Upstream amounts (OneClickDZ balances and costs) come with decimals; we round costs up so that
    /// a margin is never overstated and a price is never accepted below what the shop pays.
    pub fn from_upstream_ceil(x: f64) -> Dinars {
        if !x.is_finite() || x <= 0.0 {
            return Dinars(0);
        }
        Dinars(x.ceil().min(i64::MAX as f64) as i64)
    }

    /// A balance is floored: the shop can only count on whole dinars it really has.
    pub fn from_upstream_floor(x: f64) -> Dinars {
        if !x.is_finite() || x <= 0.0 {
            return Dinars(0);
        }
        Dinars(x.floor().min(i64::MAX as f64) as i64)
    }

    /// Groups thousands with a thin space, as amounts are written in Algeria (`12 500`).
    pub fn grouped(self) -> String {
        let digits = self.0.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if self.0 < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('\u{202f}');
            }
            out.push(c);
        }
        out
    }
}

// Sums and differences for display and checks; money itself moves in SQL, one transaction each.
impl std::ops::Add for Dinars {
    type Output = Dinars;
    fn add(self, rhs: Dinars) -> Dinars {
        Dinars(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Dinars {
    type Output = Dinars;
    fn sub(self, rhs: Dinars) -> Dinars {
        Dinars(self.0 - rhs.0)
    }
}

impl std::iter::Sum for Dinars {
    fn sum<I: Iterator<Item = Dinars>>(iter: I) -> Dinars {
        Dinars(iter.map(|d| d.0).sum())
    }
}

impl std::fmt::Display for Dinars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_admin_amounts() {
        for ok in ["1500", "1 500", "1,500", "1.500", "1500DA", "1500 DA", "1500 دج", "1500 د.ج", "1\u{a0}500", "١٥٠٠"]
        {
            assert_eq!(Dinars::parse_positive(ok), Ok(Dinars(1500)), "{ok:?}");
        }
        assert_eq!(Dinars::parse_positive("1 500 000"), Ok(Dinars(1_500_000)));
        assert_eq!(Dinars::parse_positive("0"), Err(AmountError::NotPositive));
        assert_eq!(Dinars::parse_positive("0 000"), Err(AmountError::NotPositive));
        assert_eq!(Dinars::parse_positive("-5"), Err(AmountError::NotPositive));
        assert_eq!(Dinars::parse_positive("abc"), Err(AmountError::NotANumber));
        assert_eq!(Dinars::parse_positive(""), Err(AmountError::NotANumber));
        assert_eq!(Dinars::parse_positive("1500 cash"), Err(AmountError::NotANumber), "a whole string: no note");
        assert_eq!(Dinars::parse_positive("1500x"), Err(AmountError::NotANumber));
        assert_eq!(Dinars::parse_positive("99999999999999999999999"), Err(AmountError::TooLarge));
        assert_eq!(Dinars::parse_positive("100000001"), Err(AmountError::TooLarge));
        assert_eq!(Dinars::parse_positive("100 000 001"), Err(AmountError::TooLarge));
    }

    #[test]
    fn decimals_and_bad_groupings_are_refused() {
        for frac in ["1500.00", "1500,5", "12.5", "15,00", "1,500.50", "1 500,00"] {
            assert_eq!(Dinars::parse_positive(frac), Err(AmountError::Fraction), "{frac:?}");
            assert_eq!(parse_amount_and_note(&format!("{frac} note")), Err(AmountError::Fraction), "{frac:?}");
        }
        for bad in ["1.5.0", "1500.000", "1,50,000", "1 50", "1500 500", "1 5000", "1,500.000", "1 500.000"] {
            assert_eq!(Dinars::parse_positive(bad), Err(AmountError::Grouping), "{bad:?}");
        }
    }

    #[test]
    fn the_note_is_what_follows_the_amount() {
        assert_eq!(parse_amount_and_note("1 500 cash in shop"), Ok((Dinars(1500), "cash in shop")));
        assert_eq!(parse_amount_and_note("1500 DA  paid "), Ok((Dinars(1500), "paid")));
        assert_eq!(parse_amount_and_note("1.500 دج نقدا"), Ok((Dinars(1500), "نقدا")));
        assert_eq!(parse_amount_and_note("1500 dans la caisse"), Ok((Dinars(1500), "dans la caisse")));
        assert_eq!(parse_amount_and_note("  200"), Ok((Dinars(200), "")));
        // A note starting with a number could be part of the amount: refused, never guessed.
        assert_eq!(parse_amount_and_note("1500 2 cards"), Err(AmountError::Grouping));
    }

    /// An amount written the ways admins write it, followed by a note.
    fn written(n: i64, sep: &str, currency: &str, note: &str) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        format!("{out}{currency}{note}")
    }

    proptest! {
        #[test]
        fn every_whole_amount_written_the_usual_ways_reads_back(
            n in 1..=Dinars::MAX_OPERATION,
            sep in prop::sample::select(vec!["", " ", "\u{a0}", "\u{202f}", ",", "."]),
            currency in prop::sample::select(vec!["", "DA", " DA", " دج", " د.ج", "\u{a0}DA"]),
            note in prop::option::of("[a-zA-Zء-ي][a-zA-Z0-9ء-ي .,]{0,20}"),
        ) {
            let s = written(n, sep, currency, &note.as_ref().map(|t| format!(" {t}")).unwrap_or_default());
            let want = note.as_deref().map_or("", str::trim);
            prop_assert_eq!(parse_amount_and_note(&s), Ok((Dinars(n), want)), "{:?}", s);
            if note.is_none() {
                prop_assert_eq!(Dinars::parse_positive(&s), Ok(Dinars(n)), "{:?}", s);
            }
        }

        #[test]
        fn nothing_with_a_fraction_is_accepted(
            n in 0..=Dinars::MAX_OPERATION,
            sep in prop::sample::select(vec!["", " ", ",", "."]),
            point in prop::sample::select(vec![",", "."]),
            fraction in "[0-9]{1,4}",
            tail in prop::sample::select(vec!["", " DA", " note"]),
        ) {
            let s = format!("{}{point}{fraction}{tail}", written(n, sep, "", ""));
            // Three digits after the point read as one more group of thousands, which is right
            // only after a valid grouping: `1.500` is 1500. Every other case must be refused.
            if fraction.len() == 3 && (sep == point || n < 1000) {
                return Ok(());
            }
            prop_assert!(parse_amount_and_note(&s).is_err(), "{:?} accepted", s);
            prop_assert!(Dinars::parse_positive(&s).is_err(), "{:?} accepted", s);
        }
    }

    /// Every refusal has its explanation in each language.
    #[test]
    fn each_refusal_is_explained_in_every_language() {
        use crate::i18n::Lang;
        for e in [
            AmountError::NotANumber,
            AmountError::Fraction,
            AmountError::Grouping,
            AmountError::NotPositive,
            AmountError::TooLarge,
        ] {
            for lang in Lang::ALL {
                let text = crate::tr!(lang, e.message_key());
                assert!(!text.is_empty() && !text.contains(e.message_key()), "{lang:?} {e:?}: {text:?}");
            }
        }
    }

    #[test]
    fn upstream_rounding() {
        assert_eq!(Dinars::from_upstream_ceil(489.01), Dinars(490));
        assert_eq!(Dinars::from_upstream_floor(1326.93), Dinars(1326));
        assert_eq!(Dinars::from_upstream_floor(f64::NAN), Dinars(0));
        assert_eq!(Dinars::from_upstream_ceil(-3.0), Dinars(0));
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(Dinars(0).grouped(), "0");
        assert_eq!(Dinars(999).grouped(), "999");
        assert_eq!(Dinars(1000).grouped(), "1\u{202f}000");
        assert_eq!(Dinars(1234567).grouped(), "1\u{202f}234\u{202f}567");
        assert_eq!(Dinars(-1500).grouped(), "-1\u{202f}500");
    }
}
