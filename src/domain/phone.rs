//! Subscriber numbers as OneClickDZ wants them, from what people actually type.
use super::CardType;
use serde::{Deserialize, Serialize};

/// A number already in the canonical form for its card type: ADSL `0` + 8 digits, 4G `213` + 9 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhoneNumber(String);

/// Why a typed number was refused; each variant becomes a localized explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("empty")]
    Empty,
    #[error("contains characters other than digits")]
    NotDigits,
    #[error("wrong number of digits")]
    WrongLength,
    #[error("wrong prefix")]
    WrongPrefix,
}

impl PhoneNumber {
    /// Accepts spaces, dashes, dots, parentheses and a leading `+` or `00`, then normalises:
    /// ADSL keeps the 9-digit landline form; 4G turns `06…`/`+213 6…`/`6…` into `2136…`.
    pub fn parse(card_type: CardType, input: &str) -> Result<PhoneNumber, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut digits = String::with_capacity(trimmed.len());
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                // Arabic-Indic digits, as typed on Arabic keyboards.
                '\u{0660}'..='\u{0669}' => {
                    digits.push(char::from(b'0' + (c as u32 - 0x0660) as u8));
                }
                ' ' | '-' | '.' | '(' | ')' | '\u{00a0}' => {}
                '+' if i == 0 => {}
                _ => return Err(PhoneError::NotDigits),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::NotDigits);
        }
        // `00213…` is the international form; other `00…` inputs are typos, not prefixes.
        let digits = match digits.strip_prefix("00") {
            Some(rest) if rest.starts_with("213") => rest.to_owned(),
            _ => digits,
        };
        match card_type {
            CardType::Adsl => {
                // A landline typed with the country code: +213 36 36 26 08 → 036362608.
                let local = match digits.strip_prefix("213") {
                    Some(rest) if rest.len() == 8 => format!("0{rest}"),
                    _ => digits,
                };
                if local.len() != 9 {
                    return Err(PhoneError::WrongLength);
                }
                if !local.starts_with('0') {
                    return Err(PhoneError::WrongPrefix);
                }
                Ok(PhoneNumber(local))
            }
            CardType::FourG => {
                let national = if let Some(rest) = digits.strip_prefix("213") {
                    rest.to_owned()
                } else if let Some(rest) = digits.strip_prefix('0') {
                    rest.to_owned()
                } else {
                    digits
                };
                if national.len() != 9 {
                    return Err(PhoneError::WrongLength);
                }
                if national.starts_with('0') {
                    return Err(PhoneError::WrongPrefix);
                }
                Ok(PhoneNumber(format!("213{national}")))
            }
        }
    }

    /// Wraps a value read back from our own database, where it was stored canonical.
    pub fn from_trusted(s: String) -> PhoneNumber {
        PhoneNumber(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CardType::*;
    use proptest::prelude::*;

    fn ok(t: CardType, s: &str) -> String {
        PhoneNumber::parse(t, s).unwrap().as_str().to_owned()
    }

    #[test]
    fn adsl_accepts_documented_examples() {
        for n in ["036362608", "031417237", "021123456"] {
            assert_eq!(ok(Adsl, n), n);
        }
        assert_eq!(ok(Adsl, " 036 36-26.08 "), "036362608");
        assert_eq!(ok(Adsl, "+213 36 36 26 08"), "036362608");
        assert_eq!(ok(Adsl, "٠٣٦٣٦٢٦٠٨"), "036362608");
    }

    #[test]
    fn adsl_rejects_documented_bad_forms() {
        assert_eq!(PhoneNumber::parse(Adsl, "36362608"), Err(PhoneError::WrongLength));
        assert_eq!(PhoneNumber::parse(Adsl, "0363626081"), Err(PhoneError::WrongLength));
        assert_eq!(PhoneNumber::parse(Adsl, "136362608"), Err(PhoneError::WrongPrefix));
        assert_eq!(PhoneNumber::parse(Adsl, "03636260a"), Err(PhoneError::NotDigits));
        assert_eq!(PhoneNumber::parse(Adsl, "   "), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse(Adsl, "--"), Err(PhoneError::NotDigits));
    }

    #[test]
    fn four_g_normalises_what_people_type() {
        for n in [
            "213665983439",
            "0665983439",
            "+213665983439",
            "+213 665 98 34 39",
            "00213665983439",
            "665983439",
            "0665-98-34-39",
        ] {
            assert_eq!(ok(FourG, n), "213665983439", "input {n}");
        }
    }

    #[test]
    fn four_g_rejects_wrong_lengths_and_prefixes() {
        assert_eq!(PhoneNumber::parse(FourG, "2136659834399"), Err(PhoneError::WrongLength));
        assert_eq!(PhoneNumber::parse(FourG, "066598343"), Err(PhoneError::WrongLength));
        assert_eq!(PhoneNumber::parse(FourG, "2130665983439"), Err(PhoneError::WrongLength));
        assert_eq!(PhoneNumber::parse(FourG, "00665983439"), Err(PhoneError::WrongLength));
        assert_eq!(PhoneNumber::parse(FourG, "0065983439"), Err(PhoneError::WrongPrefix));
        assert_eq!(PhoneNumber::parse(FourG, "06659834+39"), Err(PhoneError::NotDigits));
    }

    /// What a parsed number must be: canonical for its type, and a fixed point of the parser
    /// (a stored number read back and parsed again is the same number).
    fn assert_canonical(t: CardType, input: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let Ok(n) = PhoneNumber::parse(t, input) else { return Ok(()) };
        let s = n.as_str();
        prop_assert!(s.bytes().all(|b| b.is_ascii_digit()), "{input:?} -> {s:?}");
        match t {
            Adsl => prop_assert!(s.len() == 9 && s.starts_with('0'), "{input:?} -> {s:?}"),
            FourG => prop_assert!(s.len() == 12 && s.starts_with("213") && !s[3..].starts_with('0'), "{s:?}"),
        }
        prop_assert_eq!(PhoneNumber::parse(t, s), Ok(n.clone()), "not a fixed point: {:?}", input);
        // The digits typed are the digits kept, give or take the country code and a leading 0.
        let typed: String = input
            .chars()
            .filter_map(|c| c.to_digit(10).or_else(|| arabic_digit(c)))
            .map(|d| char::from(b'0' + d as u8))
            .collect();
        prop_assert!(typed.ends_with(&s[s.len() - 8..]), "{input:?} -> {s:?}");
        Ok(())
    }

    fn arabic_digit(c: char) -> Option<u32> {
        ('\u{0660}'..='\u{0669}').contains(&c).then(|| c as u32 - 0x0660)
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics_and_parses_to_a_canonical_number(s in any::<String>()) {
            assert_canonical(Adsl, &s)?;
            assert_canonical(FourG, &s)?;
        }

        /// Inputs close to real numbers, so that many of them parse.
        #[test]
        fn number_like_input_parses_to_a_canonical_number(s in "[+]?[0-9٠-٩ .()-]{0,16}") {
            assert_canonical(Adsl, &s)?;
            assert_canonical(FourG, &s)?;
        }

        /// Digits behind the prefixes people type, so that the length and prefix rules are hit.
        #[test]
        fn prefixed_digits_parse_to_a_canonical_number(
            prefix in prop::sample::select(vec!["", "0", "00", "+213", "00213", "213", "2130", "+", "0213"]),
            body in "[0-9]{6,11}",
        ) {
            let s = format!("{prefix}{body}");
            assert_canonical(Adsl, &s)?;
            assert_canonical(FourG, &s)?;
        }

        /// Any non-digit that is not a separator is refused, wherever it is.
        #[test]
        fn a_letter_anywhere_is_refused(head in "[0-9]{0,6}", c in "[a-zA-Zء-ي]", tail in "[0-9]{0,6}") {
            let s = format!("{head}{c}{tail}");
            prop_assert_eq!(PhoneNumber::parse(Adsl, &s), Err(PhoneError::NotDigits));
            prop_assert_eq!(PhoneNumber::parse(FourG, &s), Err(PhoneError::NotDigits));
        }
    }
}
