//! How the texts read on a phone: French spacing that never leaves a `?` or `:` alone on the
//! next line, amounts that never wrap away from their currency, Arabic that says "د.ج", dates in
//! Algiers time. Every message of every `.ftl` file of `locales/` is read with Fluent's own parser.
use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use fluent_syntax::unicode::unescape_unicode_to_string;
use netcard_bot::domain::Dinars;
use netcard_bot::i18n::{Arg, Lang, card_value, local_ms, local_rfc3339, money, t};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const NBSP: char = '\u{a0}';
const NNBSP: char = '\u{202f}';

/// One message (or attribute) of one file, with every text it can render: one per variant of its
/// selectors, variables written `{$name}`.
struct Msg {
    file: String,
    id: String,
    texts: Vec<String>,
    vars: BTreeSet<String>,
}

fn locale_dir(lang: Lang) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("locales").join(lang.code())
}

fn ftl_files(lang: Lang) -> Vec<PathBuf> {
    let dir = locale_dir(lang);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .ftl file in {}", dir.display());
    files
}

fn messages(lang: Lang) -> Vec<Msg> {
    let mut out = Vec::new();
    for path in ftl_files(lang) {
        let file = path.file_name().expect("file name").to_string_lossy().into_owned();
        let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let res = fluent_syntax::parser::parse(src.as_str())
            .unwrap_or_else(|(_, errors)| panic!("{}: parse errors: {errors:#?}", path.display()));
        for entry in &res.body {
            let Entry::Message(m) = entry else { continue };
            let mut patterns: Vec<(String, &Pattern<&str>)> = Vec::new();
            if let Some(value) = &m.value {
                patterns.push((m.id.name.to_owned(), value));
            }
            for a in &m.attributes {
                patterns.push((format!("{}.{}", m.id.name, a.id.name), &a.value));
            }
            for (id, pattern) in patterns {
                let mut vars = BTreeSet::new();
                let texts = pattern_texts(pattern, &mut vars);
                out.push(Msg { file: file.clone(), id, texts, vars });
            }
        }
    }
    assert!(!out.is_empty(), "no message in locales/{}", lang.code());
    out
}

fn pattern_texts(p: &Pattern<&str>, vars: &mut BTreeSet<String>) -> Vec<String> {
    let mut out = vec![String::new()];
    for element in &p.elements {
        let alternatives = match element {
            PatternElement::TextElement { value } => vec![(*value).to_owned()],
            PatternElement::Placeable { expression } => expression_texts(expression, vars),
        };
        out = out.iter().flat_map(|head| alternatives.iter().map(move |a| format!("{head}{a}"))).collect();
    }
    out
}

fn expression_texts(e: &Expression<&str>, vars: &mut BTreeSet<String>) -> Vec<String> {
    match e {
        Expression::Select { selector, variants } => {
            inline_text(selector, vars);
            variants.iter().flat_map(|v| pattern_texts(&v.value, vars)).collect()
        }
        Expression::Inline(i) => vec![inline_text(i, vars)],
    }
}

fn inline_text(i: &InlineExpression<&str>, vars: &mut BTreeSet<String>) -> String {
    match i {
        InlineExpression::StringLiteral { value } => unescape_unicode_to_string(value).into_owned(),
        InlineExpression::NumberLiteral { value } => (*value).to_owned(),
        InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
            format!("{{${}}}", id.name)
        }
        InlineExpression::Placeable { expression } => expression_texts(expression, vars).concat(),
        other => panic!("unexpected expression in a message: {other:?}"),
    }
}

/// What a reader sees: `<code>` spans (commands, numbers, codes: copied, not read) and HTML entities
/// (`&lt;` ends with a `;` that is no punctuation) become neutral marks.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<code>") {
        out.push_str(&rest[..start]);
        out.push('⟦');
        rest = rest[start..].find("</code>").map_or("", |end| &rest[start + end + "</code>".len()..]);
    }
    out.push_str(rest);
    for entity in ["&lt;", "&gt;", "&amp;", "&quot;"] {
        out = out.replace(entity, "⟦");
    }
    out
}

/// The French typography rules broken by `text`, one line each.
fn french_faults(text: &str) -> Vec<String> {
    let chars: Vec<char> = prose(text).chars().collect();
    let mut faults = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let context: String = chars[i.saturating_sub(12)..(i + 4).min(chars.len())].iter().collect();
        let mut fault = |what: &str| faults.push(format!("{what} in {context:?}"));
        match c {
            '?' | '!' | ';' if before != Some(NNBSP) => fault("no narrow no-break space (U+202F) before ? ! ;"),
            // 12:30 is a time, not punctuation.
            ':' if before.is_some_and(|b| b.is_ascii_digit()) && after.is_some_and(|a| a.is_ascii_digit()) => {}
            ':' if before != Some(NBSP) => fault("no no-break space (U+00A0) before :"),
            '«' if after != Some(NBSP) => fault("no no-break space (U+00A0) after «"),
            '»' if before != Some(NBSP) => fault("no no-break space (U+00A0) before »"),
            '°' if before.is_some_and(|b| b == 'n' || b == 'N') && after != Some(NBSP) => {
                fault("no no-break space (U+00A0) after n°")
            }
            NBSP | NNBSP if before.is_some_and(char::is_whitespace) => fault("a space before a no-break space"),
            _ => {}
        }
    }
    faults
}

/// Where an amount may wrap away from its currency, or a literal amount is not grouped.
fn currency_faults(text: &str) -> Vec<String> {
    let mut faults = Vec::new();
    for currency in ["DA", "د.ج"] {
        for (at, _) in text.match_indices(currency) {
            let head = &text[..at];
            let tail = &text[at + currency.len()..];
            // "DA" inside a word ("DATA") is no currency.
            let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if is_word(head.chars().next_back()) || is_word(tail.chars().next()) {
                continue;
            }
            let context: String = head.chars().rev().take(16).collect::<Vec<_>>().into_iter().rev().collect();
            let mut rev = head.chars().rev();
            if rev.next() != Some(NBSP) {
                faults.push(format!("no no-break space (U+00A0) before {currency} in {context:?}{currency}"));
                continue;
            }
            let amount: String = rev.by_ref().take_while(|c| c.is_ascii_digit() || *c == NNBSP).collect();
            // `take_while` ate the character before the amount; a digit before that one means
            // the amount was grouped with a space that breaks.
            if !amount.is_empty() && rev.next().is_some_and(|c| c.is_ascii_digit()) {
                faults.push(format!("amount grouped by a breaking space in {context:?}{currency}"));
            }
            if amount.is_empty() && !head.trim_end_matches(NBSP).ends_with('}') {
                faults.push(format!("{currency} follows no amount in {context:?}{currency}"));
            }
            let digits: String = amount.chars().rev().collect();
            if digits.split(NNBSP).enumerate().any(|(i, g)| g.len() > 3 || (i > 0 && g.len() != 3)) {
                faults.push(format!("amount not grouped by U+202F in {context:?}{currency}"));
            }
        }
    }
    faults
}

fn report(faults: Vec<String>) {
    assert!(faults.is_empty(), "{} fault(s):\n{}", faults.len(), faults.join("\n"));
}

fn each_text(lang: Lang, check: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut faults = Vec::new();
    for m in messages(lang) {
        for text in &m.texts {
            faults.extend(check(text).into_iter().map(|f| format!("{} {}/{}: {f}", lang.code(), m.file, m.id)));
        }
    }
    faults
}

#[test]
fn french_typography_holds_in_every_french_message() {
    report(each_text(Lang::Fr, french_faults));
}

#[test]
fn the_french_checker_catches_each_fault() {
    let good = "Bonjour\u{202f}! Prix\u{a0}: 12:30, «\u{a0}x\u{a0}» n°\u{a0}3\u{202f}; <code>&lt;a&gt; x:y</code>";
    assert!(french_faults(good).is_empty(), "{:?}", french_faults(good));
    for bad in [
        "Que faire ?",
        "Que faire\u{a0}?",
        "Bienvenue !",
        "oui ; non",
        "Prix : 3",
        "Prix\u{202f}: 3",
        "Prix: 3",
        "« solde\u{a0}»",
        "«\u{a0}solde »",
        "commande n° 3",
        "commande n°3",
    ] {
        assert_eq!(french_faults(bad).len(), 1, "{bad:?}: {:?}", french_faults(bad));
    }
    for good in ["Que faire\u{202f}?", "Prix\u{a0}: { $price }", "à 12:30", "«\u{a0}solde\u{a0}»", "n°\u{a0}{ $id }"]
    {
        assert!(french_faults(good).is_empty(), "{good:?}: {:?}", french_faults(good));
    }
}

#[test]
fn amounts_never_wrap_away_from_their_currency() {
    let mut faults = Vec::new();
    for lang in Lang::ALL {
        faults.extend(each_text(lang, currency_faults));
    }
    report(faults);
}

#[test]
fn the_currency_checker_catches_each_fault() {
    for bad in
        ["{$value} DA", "1000\u{a0}DA", "1 000\u{a0}DA", "{$value} د.ج", "Prix en\u{a0}DA", "100\u{202f}0\u{a0}DA"]
    {
        assert_eq!(currency_faults(bad).len(), 1, "{bad:?}: {:?}", currency_faults(bad));
    }
    for good in ["{$value}\u{a0}DA", "1\u{202f}000\u{a0}DA", "500\u{a0}د.ج", "12\u{202f}500\u{a0}DA", "DATA ADSL"] {
        assert!(currency_faults(good).is_empty(), "{good:?}: {:?}", currency_faults(good));
    }
}

#[test]
fn arabic_messages_say_dinar_in_arabic() {
    let mut faults = Vec::new();
    for m in messages(Lang::Ar) {
        for text in &m.texts {
            let latin_currency = ["DA", "DZD", "Da"].iter().any(|c| {
                text.match_indices(c).any(|(at, _)| {
                    let before = text[..at].chars().next_back();
                    let after = text[at + c.len()..].chars().next();
                    !before.is_some_and(|b| b.is_ascii_alphanumeric())
                        && !after.is_some_and(|a| a.is_ascii_alphanumeric())
                })
            });
            if latin_currency {
                faults.push(format!("ar {}/{}: {text:?}", m.file, m.id));
            }
        }
    }
    report(faults);
}

#[test]
fn arabic_arrows_point_the_right_to_left_way() {
    let ar = |id: &str| t(Lang::Ar, id, &[]);
    for id in ["btn-back", "btn-main-menu"] {
        assert!(ar(id).contains('➡') && !ar(id).contains('⬅'), "{id}: {}", ar(id));
    }
    // Right to left, "previous" is on the right and points right.
    assert!(ar("btn-prev").contains('▶') && ar("btn-next").contains('◀'));
    for lang in [Lang::En, Lang::Fr] {
        assert!(t(lang, "btn-back", &[]).contains('⬅'), "{lang:?}");
    }
}

#[test]
fn language_names_have_no_flags() {
    for lang in Lang::ALL {
        let name = t(lang, "language-name", &[]);
        let flag = name.chars().any(|c| ('\u{1F1E6}'..='\u{1F1FF}').contains(&c));
        assert!(!flag && !name.trim().is_empty(), "{lang:?}: {name:?}");
    }
}

#[test]
fn amounts_are_grouped_with_a_no_break_space_before_the_currency() {
    let currency = |lang: Lang| if lang == Lang::Ar { "د.ج" } else { "DA" };
    for lang in Lang::ALL {
        let cur = currency(lang);
        assert_eq!(money(lang, Dinars(1_234_567)), format!("1\u{202f}234\u{202f}567\u{a0}{cur}"), "{lang:?}");
        assert_eq!(money(lang, Dinars(500)), format!("500\u{a0}{cur}"), "{lang:?}");
        let button = t(
            lang,
            "btn-value",
            &[("value", Arg::Str(card_value(Dinars(2000)))), ("price", Arg::Str(money(lang, Dinars(2100))))],
        );
        for amount in ["2\u{202f}000", "2\u{202f}100"] {
            assert!(button.contains(&format!("{amount}\u{a0}{cur}")), "{lang:?}: {button:?}");
        }
    }
    assert_eq!(card_value(Dinars(1000)), "1\u{202f}000");
    assert_eq!(card_value(Dinars(500)), "500");
}

#[test]
fn dates_are_shown_in_algiers_time() {
    // The upstream processing date of a receipt, and a stored timestamp of the same instant.
    assert_eq!(local_rfc3339("2025-10-29T01:05:30.000Z"), "29/10/2025 02:05");
    assert_eq!(local_ms(1_761_699_930_000), "29/10/2025 02:05");
    // No daylight saving time in Algeria: July is UTC+1 too.
    assert_eq!(local_rfc3339("2025-07-01T12:00:00Z"), "01/07/2025 13:00");
}

/// Every file of a locale has its twin in the other two, with the same messages and variables: a
/// message missing in one language would show its key.
#[test]
fn every_file_has_the_same_messages_in_the_three_languages() {
    let table = |lang: Lang| -> BTreeMap<(String, String), BTreeSet<String>> {
        messages(lang).into_iter().map(|m| ((m.file, m.id), m.vars)).collect()
    };
    let en = table(Lang::En);
    for lang in [Lang::Fr, Lang::Ar] {
        let other = table(lang);
        let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{lang:?}: missing {missing:?}, extra {extra:?}");
        for (key, vars) in &en {
            assert_eq!(&other[key], vars, "{lang:?} {key:?}: not the same variables as en");
        }
    }
}

/// Every status, both types, the longest card value and a two-digit day: a phone shows the
/// whole label (32 characters at most).
#[test]
fn order_list_buttons_fit_on_a_phone() {
    const STATUSES: [&str; 5] = [
        "status-icon-processing",
        "status-icon-queued",
        "status-icon-fulfilled",
        "status-icon-refunded",
        "status-icon-failed",
    ];
    // Above any card OneClickDZ sells (ADSL and 4G go up to a few thousand dinars).
    let longest = Dinars(100_000);
    for lang in Lang::ALL {
        for kind in ["type-short-adsl", "type-short-4g"] {
            for status in STATUSES {
                let icon = t(lang, status, &[]);
                assert!(!icon.is_empty() && icon != status, "{lang:?} {status}");
                let label = t(
                    lang,
                    "orders-button",
                    &[
                        ("icon", Arg::Str(icon)),
                        ("kind", Arg::Str(t(lang, kind, &[]))),
                        ("value", Arg::Str(card_value(longest))),
                        ("date", Arg::Str(netcard_bot::i18n::local_day_ms(1_766_966_330_000))),
                    ],
                );
                assert!(label.chars().count() <= 32, "{lang:?}: {label:?} is {} characters", label.chars().count());
                let cur = if lang == Lang::Ar { "د.ج" } else { "DA" };
                assert!(label.contains(&format!("100\u{202f}000\u{a0}{cur}")), "{lang:?}: {label:?}");
                assert!(label.contains("29/12"), "{lang:?}: {label:?}");
            }
        }
    }
}

#[test]
fn what_happens_next_is_said() {
    let contact = ("contact", Arg::Str("@shop_support".into()));
    for lang in Lang::ALL {
        // After a refund, the way to order again.
        let all = messages(lang);
        let refunded = all.iter().find(|m| m.id == "order-refunded").expect("order-refunded");
        assert!(refunded.texts.iter().all(|t| t.contains("/order")), "{lang:?}: {:?}", refunded.texts);
        for key in ["order-code-unavailable-contact", "banned-contact"] {
            assert!(t(lang, key, std::slice::from_ref(&contact)).contains("@shop_support"), "{lang:?} {key}");
        }
        // A user whose Telegram speaks none of our languages can read the first prompt anyway.
        let first = t(lang, "language-choose-first", &[]);
        for words in ["Choose your language", "Choisissez votre langue", "اختر لغتك"] {
            assert!(first.contains(words), "{lang:?}: {first}");
        }
        assert_ne!(t(lang, "error-generic", &[]), "error-generic");
    }
}
