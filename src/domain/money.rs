//! Whole dinars. Card values and wallet amounts are integers; fractions never reach a wallet.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Dinars(pub i64);

/// Why an amount typed by an admin was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("not a whole number of dinars")]
    NotANumber,
    #[error("must be greater than zero")]
    NotPositive,
    #[error("too large")]
    TooLarge,
}

impl Dinars {
    /// Largest amount one admin operation may move; far above any real wallet, far below overflow.
    pub const MAX_OPERATION: i64 = 100_000_000;

    pub fn get(self) -> i64 {
        self.0
    }

    /// Parses a positive amount as admins type it: `1500`, `1 500`, `1500DA`, `1.500`.
    pub fn parse_positive(s: &str) -> Result<Dinars, AmountError> {
        let cleaned: String = s
            .trim()
            .trim_end_matches(|c: char| c.is_alphabetic() || c == '.')
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '\u{00a0}' | ',' | '.'))
            .collect();
        if cleaned.starts_with('-') {
            return Err(AmountError::NotPositive);
        }
        if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit()) {
            return Err(AmountError::NotANumber);
        }
        let n: i64 = cleaned.parse().map_err(|_| AmountError::TooLarge)?;
        if n == 0 {
            return Err(AmountError::NotPositive);
        }
        if n > Self::MAX_OPERATION {
            return Err(AmountError::TooLarge);
        }
        Ok(Dinars(n))
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

impl std::fmt::Display for Dinars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_admin_amounts() {
        assert_eq!(Dinars::parse_positive("1500"), Ok(Dinars(1500)));
        assert_eq!(Dinars::parse_positive("1 500"), Ok(Dinars(1500)));
        assert_eq!(Dinars::parse_positive("1500DA"), Ok(Dinars(1500)));
        assert_eq!(Dinars::parse_positive("1.500"), Ok(Dinars(1500)));
        assert_eq!(Dinars::parse_positive("0"), Err(AmountError::NotPositive));
        assert_eq!(Dinars::parse_positive("-5"), Err(AmountError::NotPositive));
        assert_eq!(Dinars::parse_positive("abc"), Err(AmountError::NotANumber));
        assert_eq!(Dinars::parse_positive(""), Err(AmountError::NotANumber));
        assert_eq!(Dinars::parse_positive("99999999999999999999999"), Err(AmountError::TooLarge));
        assert_eq!(Dinars::parse_positive("100000001"), Err(AmountError::TooLarge));
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
