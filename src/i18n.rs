//! Every text a user sees comes from `locales/{en,fr,ar}/*.ftl` through here.
mod dates;

pub use dates::{local_day_ms, local_ms, local_rfc3339};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Isolation marks (U+2068/U+2069) around variables would be copied along with card codes
        // and phone numbers; our templates keep such values inside <code> instead.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "fr")]
    Fr,
    #[serde(rename = "ar")]
    Ar,
}

static EN: LanguageIdentifier = langid!("en");
static FR: LanguageIdentifier = langid!("fr");
static AR: LanguageIdentifier = langid!("ar");

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ar, Lang::Fr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Ar => "ar",
        }
    }

    /// Maps a Telegram `language_code` (`fr`, `fr-FR`, `ar-DZ`) to one of ours.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "ar" => Some(Lang::Ar),
            _ => None,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
            Lang::Ar => &AR,
        }
    }
}

/// One argument of a message. Numbers stay numbers so Fluent can choose plural forms.
#[derive(Debug, Clone)]
pub enum Arg {
    Num(i64),
    Str(String),
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n)
    }
}
impl From<i32> for Arg {
    fn from(n: i32) -> Arg {
        Arg::Num(n.into())
    }
}
impl From<u32> for Arg {
    fn from(n: u32) -> Arg {
        Arg::Num(n.into())
    }
}
impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Str(s.clone())
    }
}
impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_owned())
    }
}

/// Renders `key` in `lang`, falling back to English, and to the key itself if it is missing
/// everywhere (a bug the locale tests catch; never a panic in production).
pub fn t(lang: Lang, key: &str, args: &[(&'static str, Arg)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Arg::Num(n) => FluentValue::from(*n),
                Arg::Str(s) => FluentValue::from(s.clone()),
            };
            (Cow::Borrowed(*k), value)
        })
        .collect();
    let args = if map.is_empty() { None } else { Some(&map) };
    match LOCALES.try_lookup_complete(lang.id(), key, args) {
        Some(s) => s,
        None => {
            tracing::error!(key, lang = lang.code(), "missing translation");
            key.to_owned()
        }
    }
}

/// `tr!(lang, "key")` or `tr!(lang, "key", name = value, …)`.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $key:expr) => {
        $crate::i18n::t($lang, $key, &[])
    };
    ($lang:expr, $key:expr, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::t($lang, $key, &[$((stringify!($name), $crate::i18n::Arg::from($value))),+])
    };
}

/// Escapes text that users or upstream control before it goes into an HTML-mode message.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// An amount as the locale writes it, e.g. `1 500 DA` or `1 500 د.ج`: thousands grouped by a
/// narrow no-break space, a no-break space before the currency (in the `amount` message).
pub fn money(lang: Lang, amount: crate::domain::Dinars) -> String {
    t(lang, "amount", &[("amount", Arg::Str(amount.grouped()))])
}

/// A card's face value for the `{ $value }` of messages that write the currency themselves
/// (`{ $value } DA`): grouped like every amount, `1 000`.
pub fn card_value(value: crate::domain::Dinars) -> String {
    value.grouped()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_telegram_language_codes() {
        assert_eq!(Lang::from_code("fr-FR"), Some(Lang::Fr));
        assert_eq!(Lang::from_code("ar"), Some(Lang::Ar));
        assert_eq!(Lang::from_code("EN_us"), Some(Lang::En));
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(Lang::from_code(""), None);
    }

    #[test]
    fn escapes_html() {
        assert_eq!(html_escape("<b>a&b</b>"), "&lt;b&gt;a&amp;b&lt;/b&gt;");
    }

    #[test]
    fn missing_key_falls_back_to_the_key() {
        assert_eq!(t(Lang::Fr, "no-such-key-anywhere", &[]), "no-such-key-anywhere");
    }
}
