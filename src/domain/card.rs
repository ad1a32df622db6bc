//! The two kinds of card the shop sells.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CardType {
    #[serde(rename = "ADSL")]
    Adsl,
    #[serde(rename = "4G")]
    FourG,
}

impl CardType {
    pub const ALL: [CardType; 2] = [CardType::Adsl, CardType::FourG];

    /// The spelling OneClickDZ and our database use.
    pub fn as_api(self) -> &'static str {
        match self {
            CardType::Adsl => "ADSL",
            CardType::FourG => "4G",
        }
    }

    /// Accepts our spelling and the variants OneClickDZ answers with (`4GLTE`), case-insensitively.
    pub fn parse(s: &str) -> Option<CardType> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ADSL" => Some(CardType::Adsl),
            "4G" | "4GLTE" | "4G_LTE" | "4G-LTE" | "LTE" => Some(CardType::FourG),
            _ => None,
        }
    }
}

impl std::fmt::Display for CardType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_api())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_api_spellings() {
        assert_eq!(CardType::parse("ADSL"), Some(CardType::Adsl));
        assert_eq!(CardType::parse("4g"), Some(CardType::FourG));
        assert_eq!(CardType::parse("4GLTE"), Some(CardType::FourG));
        assert_eq!(CardType::parse("5G"), None);
        for t in CardType::ALL {
            assert_eq!(CardType::parse(t.as_api()), Some(t));
        }
    }
}
