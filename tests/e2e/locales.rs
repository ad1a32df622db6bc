//! The locales: fr and ar mirror en message for message, every message renders cleanly in every
//! language, no user-facing text is hard-coded in the Rust sources, and French and Arabic
//! customers get their own language through a whole order.
use crate::support::flow::{wait_last, wait_msg};
use crate::support::{BotMessage, TestApp, WAIT};
use fluent_templates::fluent_bundle::FluentResource;
use netcard_bot::domain::Dinars;
use netcard_bot::i18n::{Arg, Lang, money, t};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Parsing the .ftl files
// ---------------------------------------------------------------------------------------------

/// message id → the variables it references (in its value, selectors and variants included).
type Messages = BTreeMap<String, BTreeSet<String>>;

fn ftl_path(lang: Lang) -> String {
    format!("{}/locales/{}/main.ftl", env!("CARGO_MANIFEST_DIR"), lang.code())
}

/// Every `"` -terminated name that follows `marker` in `haystack`.
fn names_after(haystack: &str, marker: &str) -> BTreeSet<String> {
    haystack
        .match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &haystack[i + marker.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

/// Parses a locale with Fluent's own parser (the one the bot uses) and walks its AST. The AST
/// types of fluent-syntax are not re-exported by fluent-bundle, so the walk goes through their
/// derived `Debug` form, which names every node; `parse_sanity` proves it still does.
fn parse_locale(lang: Lang) -> Messages {
    let path = ftl_path(lang);
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let res = match FluentResource::try_new(src) {
        Ok(res) => res,
        Err((_, errors)) => panic!("{path}: {} parse error(s): {errors:#?}", errors.len()),
    };
    let mut out = Messages::new();
    for entry in res.entries() {
        let node = format!("{entry:?}");
        if let Some(rest) = node.strip_prefix("Message(Message { id: Identifier { name: \"") {
            let id = rest[..rest.find('"').expect("closing quote")].to_owned();
            let vars = names_after(&node, "VariableReference { id: Identifier { name: \"");
            assert!(out.insert(id.clone(), vars).is_none(), "{path}: message {id} is defined twice");
        } else {
            assert!(
                node.contains("Comment"),
                "{path}: only messages and comments are expected (no terms, no junk): {node}"
            );
        }
    }
    out
}

#[test]
fn parse_sanity() {
    // Guards the Debug-based walk: if fluent-syntax changed its node names, this fails instead of
    // the parity test passing on empty sets.
    let en = parse_locale(Lang::En);
    assert!(en.len() > 150, "only {} messages found in en", en.len());
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(en["amount"], set(&["amount"]));
    assert_eq!(en["yes"], set(&[]));
    assert_eq!(en["broadcast-preview"], set(&["count"]));
    assert_eq!(en["order-summary"], set(&["kind", "value", "number", "price", "balance", "after"]));
    assert_eq!(en["broadcast-progress"], set(&["sent", "failed", "blocked", "left", "eta"]));
}

#[test]
fn every_locale_has_the_same_messages_and_variables() {
    let en = parse_locale(Lang::En);
    for lang in [Lang::Fr, Lang::Ar] {
        let other = parse_locale(lang);
        let code = lang.code();
        let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{code} lacks {missing:?}");
        assert!(extra.is_empty(), "{code} has ids en does not: {extra:?}");
        for (id, vars) in &en {
            assert_eq!(&other[id], vars, "{code}: message {id} must use the same variables as en");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering every message
// ---------------------------------------------------------------------------------------------

const NUMERIC: [&str; 17] = [
    "count",
    "id",
    "page",
    "pages",
    "total",
    "sent",
    "failed",
    "blocked",
    "left",
    "eta",
    "today",
    "week",
    "all",
    "order",
    "active",
    "unreachable",
    "banned",
];

fn string_sample(name: &str) -> String {
    format!("x-{name}")
}

/// A sample value for every variable of a message; `count` as given.
fn samples(vars: &BTreeSet<String>, count: i64) -> Vec<(&'static str, Arg)> {
    vars.iter()
        .map(|v| {
            let name: &'static str = Box::leak(v.clone().into_boxed_str());
            let arg = match name {
                "count" => Arg::Num(count),
                n if NUMERIC.contains(&n) => Arg::Num(7),
                n => Arg::Str(string_sample(n)),
            };
            (name, arg)
        })
        .collect()
}

/// Telegram's HTML mode as we use it: only <b>, <i>, <code>, properly nested, and `&` only in
/// the entities html_escape produces.
fn html_problem(s: &str) -> Option<String> {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&']) {
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix('&') {
            if !["lt;", "gt;", "amp;", "quot;"].iter().any(|e| after.starts_with(e)) {
                return Some(format!("bare '&' at {tail:?}"));
            }
            rest = after;
            continue;
        }
        let Some(end) = tail.find('>') else {
            return Some(format!("unclosed '<' at {tail:?}"));
        };
        let tag = &tail[1..end];
        match tag {
            "b" | "i" | "code" => open.push(tag),
            "/b" | "/i" | "/code" => {
                if open.pop() != Some(&tag[1..]) {
                    return Some(format!("</{}> does not close the open tag", &tag[1..]));
                }
            }
            _ => return Some(format!("unexpected tag <{tag}>")),
        }
        rest = &tail[end + 1..];
    }
    (!open.is_empty()).then(|| format!("unclosed tags {open:?}"))
}

/// Contents of the <code> spans of a rendered message.
fn code_spans(s: &str) -> Vec<String> {
    s.split("<code>").skip(1).filter_map(|p| p.split_once("</code>").map(|(c, _)| c.to_owned())).collect()
}

/// Invisible bidi controls: none may sit inside a <code> span (they would be copied along).
const DIRECTION_MARKS: [char; 12] = [
    '\u{200E}', '\u{200F}', '\u{061C}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
    '\u{2067}', '\u{2068}', '\u{2069}',
];

#[test]
fn every_message_renders_in_every_language() {
    let en = parse_locale(Lang::En);
    let mut problems = Vec::new();
    // Messages allowed to read exactly as in English: brand names, `x DA`, a word French shares
    // with English, and a line made of variables only.
    let same_as_en = [
        (Lang::Fr, "type-adsl"),
        (Lang::Fr, "type-4g"),
        (Lang::Fr, "btn-type-adsl"),
        (Lang::Fr, "btn-type-4g"),
        (Lang::Fr, "amount"),
        (Lang::Fr, "ledger-debit"),
        (Lang::Ar, "type-adsl"),
        (Lang::Ar, "type-4g"),
        (Lang::Ar, "btn-type-adsl"),
        (Lang::Ar, "btn-type-4g"),
        (Lang::Ar, "stats-orders-line"),
    ];
    for lang in [Lang::En, Lang::Fr, Lang::Ar] {
        let code = lang.code();
        for (id, vars) in &en {
            let counts: &[i64] = if vars.contains("count") { &[0, 1, 2, 3, 11, 100, 101] } else { &[7] };
            for &count in counts {
                let args = samples(vars, count);
                let out = t(lang, id, &args);
                let en_out = t(Lang::En, id, &args);
                let mut bad = |what: String| problems.push(format!("{code} {id}: {what}: {out:?}"));
                // `yes = yes` and `no = no` are the only English messages equal to their id.
                let self_named = lang == Lang::En && (id == "yes" || id == "no");
                if out.trim().is_empty() {
                    bad("empty".into());
                }
                if out == *id && !self_named {
                    bad("missing (rendered as its id)".into());
                }
                if out.contains(['{', '}']) {
                    bad("unresolved placeable".into());
                }
                if out.contains(['\u{2068}', '\u{2069}']) {
                    bad("Unicode isolation marks".into());
                }
                if let Some(p) = html_problem(&out) {
                    bad(format!("bad HTML ({p})"));
                }
                for name in vars.iter().filter(|v| !NUMERIC.contains(&v.as_str())) {
                    if !out.contains(&string_sample(name)) {
                        bad(format!("variable ${name} is not shown"));
                    }
                }
                for span in code_spans(&out) {
                    if span.contains(DIRECTION_MARKS) {
                        bad(format!("direction mark inside <code>{span}</code>"));
                    }
                }
                if lang != Lang::En {
                    if out == en_out && !same_as_en.contains(&(lang, id.as_str())) {
                        bad("identical to English (untranslated?)".into());
                    }
                    // What must copy cleanly (numbers, codes, refs) stays in <code> as in en.
                    let ours = code_spans(&out);
                    for span in code_spans(&en_out) {
                        let holds_value = vars.iter().any(|v| span.contains(&string_sample(v)));
                        if holds_value && !ours.contains(&span) {
                            bad(format!("<code>{span}</code> of en is missing"));
                        }
                    }
                    if ours.len() != code_spans(&en_out).len() {
                        bad("not as many <code> spans as en".into());
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// Text without the digits, to compare plural forms.
fn skeleton(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_digit()).collect()
}

#[test]
fn plural_forms_follow_each_language() {
    let render = |lang: Lang, id: &str, n: i64| t(lang, id, &[("count", Arg::Num(n))]);
    for id in ["broadcast-preview", "broadcast-started"] {
        // English and French: one / other (French puts 0 in "one").
        assert!(render(Lang::En, id, 1).contains(" user"));
        assert!(render(Lang::En, id, 2).contains(" users"));
        assert!(render(Lang::Fr, id, 1).contains(" utilisateur"));
        assert!(!render(Lang::Fr, id, 0).contains("utilisateurs"));
        assert!(render(Lang::Fr, id, 2).contains(" utilisateurs"));
        // Arabic: zero, one, two, few (3–10), many (11–99), other (100, 101…) all differ.
        let forms: BTreeSet<String> =
            [0, 1, 2, 3, 11, 100].iter().map(|&n| skeleton(&render(Lang::Ar, id, n))).collect();
        assert!(forms.len() >= 5, "{id}: Arabic plural forms are not distinguished: {forms:#?}");
        assert!(render(Lang::Ar, id, 1).contains("واحد"), "{id}");
        assert!(render(Lang::Ar, id, 2).contains("اثنين"), "{id}");
        assert!(render(Lang::Ar, id, 5).contains("5"), "{id}");
        assert!(render(Lang::Ar, id, 5).contains("مستخدمين"), "{id}");
        assert!(render(Lang::Ar, id, 11).contains("مستخدمًا"), "{id}");
        assert_eq!(
            skeleton(&render(Lang::Ar, id, 100)),
            skeleton(&render(Lang::Ar, id, 102)),
            "{id}: 100 and 102 are both 'other' in Arabic"
        );
        assert_eq!(
            skeleton(&render(Lang::Ar, id, 13)),
            skeleton(&render(Lang::Ar, id, 99)),
            "{id}: 13 and 99 are both 'many' in Arabic"
        );
    }
}

#[test]
fn amounts_are_written_in_each_language() {
    let ar = money(Lang::Ar, Dinars(1500));
    assert!(ar.contains("د.ج"), "{ar:?}");
    assert!(ar.contains("1\u{202f}500"), "{ar:?}");
    assert!(!ar.contains("DA"), "{ar:?}");
    for lang in [Lang::Fr, Lang::En] {
        let s = money(lang, Dinars(1500));
        assert_eq!(s, "1\u{202f}500\u{a0}DA", "{lang:?}");
    }
    assert_eq!(
        t(Lang::Ar, "btn-value", &[("value", "1000".into()), ("price", money(Lang::Ar, Dinars(1100)).into())]),
        "بطاقة 1000\u{a0}د.ج · 1\u{202f}100\u{a0}د.ج"
    );
    assert_eq!(t0(Lang::Fr, "language-name"), "Français");
    assert_eq!(t0(Lang::Ar, "language-name"), "العربية");
}

/// `t` without arguments.
fn t0(lang: Lang, id: &str) -> String {
    t(lang, id, &[])
}

// ---------------------------------------------------------------------------------------------
// No user-facing literal in the Rust sources
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Punct(char),
    /// A string literal, unescaped.
    Str(String),
    /// Numbers, char literals, lifetimes.
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Reads a `"…"` literal starting at the opening quote; returns its unescaped content and the
/// index after the closing quote.
fn lex_quoted(c: &[char], mut i: usize, line: &mut usize) -> (String, usize) {
    let mut s = String::new();
    i += 1;
    while i < c.len() && c[i] != '"' {
        if c[i] == '\n' {
            *line += 1;
        }
        if c[i] != '\\' {
            s.push(c[i]);
            i += 1;
            continue;
        }
        i += 1;
        match c.get(i).copied().unwrap_or(' ') {
            'n' => s.push('\n'),
            't' => s.push('\t'),
            'r' => s.push('\r'),
            '0' => s.push('\0'),
            'x' => {
                let hex: String = c[i + 1..(i + 3).min(c.len())].iter().collect();
                s.extend(u8::from_str_radix(&hex, 16).ok().map(char::from));
                i += 2;
            }
            'u' => {
                let close = (i..c.len()).find(|&j| c[j] == '}').unwrap_or(i);
                let hex: String = c[(i + 2).min(close)..close].iter().collect();
                s.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                i = close;
            }
            '\n' => {
                *line += 1;
                while i + 1 < c.len() && c[i + 1].is_whitespace() {
                    if c[i + 1] == '\n' {
                        *line += 1;
                    }
                    i += 1;
                }
            }
            other => s.push(other),
        }
        i += 1;
    }
    (s, i + 1)
}

/// A small Rust lexer: enough to tell code from comments, strings, chars and lifetimes.
fn lex(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            let start_line = line;
            let (s, end) = lex_quoted(&c, i, &mut line);
            out.push(Token { tok: Tok::Str(s), line: start_line });
            i = end;
        } else if ch == '\'' {
            // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('static).
            if next == Some('\\') {
                // Quote, backslash, the escaped char, then up to the closing quote ('\u{…}').
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < c.len() && is_ident_char(c[i]) {
                    i += 1;
                }
            }
            out.push(Token { tok: Tok::Other, line });
        } else if ch.is_ascii_digit() {
            while i < c.len()
                && (is_ident_char(c[i]) || (c[i] == '.' && c.get(i + 1).is_some_and(|d| d.is_ascii_digit())))
            {
                i += 1;
            }
            out.push(Token { tok: Tok::Other, line });
        } else if is_ident_char(ch) {
            let start = i;
            while i < c.len() && is_ident_char(c[i]) {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let after = c.get(i).copied();
            let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if raw_prefix && matches!(after, Some('"' | '#')) {
                let mut hashes = 0;
                while c.get(i + hashes) == Some(&'#') {
                    hashes += 1;
                }
                if c.get(i + hashes) == Some(&'"') {
                    // Raw string: no escapes, ends at `"` followed by as many `#`.
                    let start_line = line;
                    let body = i + hashes + 1;
                    let mut j = body;
                    while j < c.len() && !(c[j] == '"' && (1..=hashes).all(|k| c.get(j + k) == Some(&'#'))) {
                        if c[j] == '\n' {
                            line += 1;
                        }
                        j += 1;
                    }
                    out.push(Token { tok: Tok::Str(c[body..j.min(c.len())].iter().collect()), line: start_line });
                    i = j + 1 + hashes;
                    continue;
                }
                // A raw identifier (r#type).
                i += hashes;
                let start = i;
                while i < c.len() && is_ident_char(c[i]) {
                    i += 1;
                }
                out.push(Token { tok: Tok::Ident(c[start..i].iter().collect()), line });
                continue;
            }
            if matches!(word.as_str(), "b" | "c") && after == Some('"') {
                let start_line = line;
                let (s, end) = lex_quoted(&c, i, &mut line);
                out.push(Token { tok: Tok::Str(s), line: start_line });
                i = end;
                continue;
            }
            if word == "b" && after == Some('\'') {
                // Byte literal b'x': let the char-literal branch take the quote.
                continue;
            }
            out.push(Token { tok: Tok::Ident(word), line });
        } else {
            out.push(Token { tok: Tok::Punct(ch), line });
            i += 1;
        }
    }
    out
}

fn is_punct(t: Option<&Token>, p: char) -> bool {
    matches!(t, Some(Token { tok: Tok::Punct(x), .. }) if *x == p)
}

fn is_ident(t: Option<&Token>, name: &str) -> bool {
    matches!(t, Some(Token { tok: Tok::Ident(x), .. }) if x == name)
}

fn is_open(t: Option<&Token>) -> bool {
    is_punct(t, '(') || is_punct(t, '[') || is_punct(t, '{')
}

/// The arguments (token ranges) of the bracket group opening at `open`, and the index of its
/// closing bracket.
fn split_args(toks: &[Token], open: usize) -> (Vec<Range<usize>>, usize) {
    let mut depth = 0usize;
    let mut args = Vec::new();
    let mut start = open + 1;
    for (i, tok) in toks.iter().enumerate().skip(open) {
        match tok.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    if i > start {
                        args.push(start..i);
                    }
                    return (args, i);
                }
            }
            Tok::Punct(',') if depth == 1 => {
                args.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    (args, toks.len().saturating_sub(1))
}

/// Whether a literal would show letters to a user: HTML tags, `{}` placeholders and entities do
/// not count.
fn has_visible_letters(s: &str) -> bool {
    let mut visible = String::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let markup = match c {
            // <b>, </code>
            '<' => rest
                .find('>')
                .filter(|&end| end > 1 && rest[1..end].chars().all(|c| c.is_ascii_alphanumeric() || c == '/')),
            // {}, {name}, {:?}
            '{' => rest.find('}'),
            // &lt;
            '&' => rest.find(';').filter(|&end| end <= 8 && rest[1..end].chars().all(|c| c.is_ascii_alphanumeric())),
            _ => None,
        };
        if let Some(end) = markup {
            rest = &rest[end + 1..];
            continue;
        }
        visible.push(c);
        rest = &rest[c.len_utf8()..];
    }
    visible.chars().any(char::is_alphabetic)
}

/// Literals with letters an expression would put in front of a user. A `tr!` key is not text;
/// the values of its named arguments are. An `i18n::t(…)` call is skipped whole.
fn user_literals(toks: &[Token]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let here = toks.get(i);
        if is_ident(here, "tr") && is_punct(toks.get(i + 1), '!') && is_open(toks.get(i + 2)) {
            let (args, end) = split_args(toks, i + 2);
            for a in args.iter().skip(2) {
                let arg = &toks[a.clone()];
                let named = matches!(arg.first().map(|t| &t.tok), Some(Tok::Ident(_))) && is_punct(arg.get(1), '=');
                out.extend(user_literals(if named { &arg[2..] } else { arg }));
            }
            i = end + 1;
        } else if is_ident(here, "t") && is_punct(toks.get(i + 1), '(') {
            i = split_args(toks, i + 1).1 + 1;
        } else {
            if let Some(Token { tok: Tok::Str(s), line }) = here
                && has_visible_letters(s)
            {
                out.push((*line, s.clone()));
            }
            i += 1;
        }
    }
    out
}

/// Calls that show text to users: (path before the name, name, index of the text argument).
const TEXT_CALLS: [(&str, &str, usize); 13] = [
    ("ui", "send", 2),
    ("ui", "edit", 3),
    ("ui", "edit_or_send", 3),
    ("", "send_html", 1),
    ("requests", "html_message", 2),
    ("requests", "html_edit", 3),
    ("", "send_message", 1),
    ("", "edit_message_text", 2),
    ("InlineKeyboardButton", "callback", 0),
    ("InlineKeyboardButton", "url", 0),
    ("InlineKeyboardButton", "copy_text_button", 0),
    ("BotCommand", "new", 1),
    // answer_callback_query(id) carries its text in a `.text(…)` further down the chain.
    ("", "answer_callback_query", usize::MAX),
];

#[derive(Debug, Default)]
struct Scan {
    /// Text calls seen, by name.
    calls: BTreeMap<&'static str, usize>,
    /// (line, call, literal)
    findings: Vec<(usize, String, String)>,
}

fn scan_source(src: &str) -> Scan {
    let toks = lex(src);
    let mut scan = Scan::default();
    for i in 0..toks.len() {
        if i > 0 && is_ident(toks.get(i - 1), "fn") {
            continue;
        }
        for (path, name, arg_index) in TEXT_CALLS {
            let open = if path.is_empty() {
                i + 1
            } else if is_ident(toks.get(i), path) && is_punct(toks.get(i + 1), ':') && is_punct(toks.get(i + 2), ':') {
                i + 4
            } else {
                continue;
            };
            let name_at = open - 1;
            if !is_ident(toks.get(name_at), name) || !is_punct(toks.get(open), '(') {
                continue;
            }
            *scan.calls.entry(name).or_default() += 1;
            let (args, close) = split_args(&toks, open);
            let mut texts: Vec<Range<usize>> = args.get(arg_index).cloned().into_iter().collect();
            if arg_index == usize::MAX {
                // Follow the builder chain: .text(…), .show_alert(…), …
                let mut j = close + 1;
                while is_punct(toks.get(j), '.')
                    && matches!(toks.get(j + 1).map(|t| &t.tok), Some(Tok::Ident(_)))
                    && is_punct(toks.get(j + 2), '(')
                {
                    let (chain_args, chain_close) = split_args(&toks, j + 2);
                    if is_ident(toks.get(j + 1), "text") {
                        texts.extend(chain_args.first().cloned());
                    }
                    j = chain_close + 1;
                }
            }
            for r in texts {
                for (line, lit) in user_literals(&toks[r]) {
                    scan.findings.push((line, name.to_owned(), lit));
                }
            }
        }
        // The values given to tr! anywhere end up in front of users too.
        if is_ident(toks.get(i), "tr") && is_punct(toks.get(i + 1), '!') && is_open(toks.get(i + 2)) {
            let end = split_args(&toks, i + 2).1;
            for (line, lit) in user_literals(&toks[i..=end]) {
                let f = (line, "tr!".to_owned(), lit);
                if !scan.findings.contains(&f) {
                    scan.findings.push(f);
                }
            }
        }
    }
    scan.findings.sort();
    scan.findings.dedup_by(|a, b| a.0 == b.0 && a.2 == b.2);
    scan
}

/// The source up to its first `#[cfg(test)]` (unit tests may use literals freely).
fn without_tests(src: &str) -> String {
    src.lines().take_while(|l| !l.contains("#[cfg(test)]")).collect::<Vec<_>>().join("\n")
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_scanner_flags_literals_shown_to_users() {
    let bad = r####"
async fn f() {
    ui::send(&bot, chat, "Order placed!".to_string(), None).await?;
    bot.answer_callback_query(q.id.clone()).show_alert(true).text("Done").await?;
    let b = InlineKeyboardButton::callback("Buy now", "x");
    super::ui::edit_or_send(bot, chat, here, format!("Paid {} DA", n), None).await?;
    bot.edit_message_text(chat, msg, r#"Merci "beaucoup""#).await?;
    bot.send_message(chat, String::from("شكرا")).await?;
    requests::html_edit(bot, chat, msg, "Édité".into(), None);
    ui::edit(bot, chat, msg, tr!(lang, "key", name = "Bob"), None).await?;
    let s = tr!(lang, "order-summary", kind = "ADSL card");
}
"####;
    let scan = scan_source(bad);
    let lits: Vec<&str> = scan.findings.iter().map(|f| f.2.as_str()).collect();
    assert_eq!(
        lits,
        ["Order placed!", "Done", "Buy now", "Paid {} DA", "Merci \"beaucoup\"", "شكرا", "Édité", "Bob", "ADSL card"],
        "{scan:#?}"
    );
    assert_eq!(scan.findings[0].0, 3, "line numbers: {scan:#?}");

    let good = r####"
// ui::send(&bot, chat, "commented out".into(), None)
/* bot.send_message(chat, "also /* nested */ a comment") */
fn send_message(chat: i64, text: &str) {}
async fn g<'a>(x: &'a str) {
    ui::send(&bot, chat, tr!(lang, "menu-text"), None).await?;
    ui::send(&bot, chat, crate::tr!(lang, "phone-send-text", example = render::example_number(t)), None).await?;
    bot.send_message(chat, text).await?;
    ui::edit(bot, chat, msg, format!("{}\n\n<code>{}</code> · {x}", a, b), None).await?;
    let s = "ui::send(bot, chat, \"in a string\", None)";
    bot.answer_callback_query(q.id.clone()).await?;
    let c = 'x'; let q = '"'; let l: &'static str = "not shown";
    InlineKeyboardButton::callback(label, cb.encode());
    ui::send(&bot, chat, i18n::t(lang, "menu-text", &[("name", Arg::Str(n))]), None).await?;
    ui::send(&bot, chat, tr!(lang, "x", user = format!("@{}", u), v = "—".into()), None).await?;
}
"####;
    let scan = scan_source(good);
    assert!(scan.findings.is_empty(), "false positives: {scan:#?}");
    assert_eq!(scan.calls.get("send").copied(), Some(4), "{scan:#?}");
    assert_eq!(scan.calls.get("send_message").copied(), Some(1), "{scan:#?}");
}

#[test]
fn no_user_facing_literal_in_the_sources() {
    let mut files = Vec::new();
    rust_files(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut files);
    files.sort();
    assert!(files.len() > 20, "{files:?}");
    let mut calls: BTreeMap<&str, usize> = BTreeMap::new();
    let mut findings = Vec::new();
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        let scan = scan_source(&without_tests(&src));
        for (k, v) in scan.calls {
            *calls.entry(k).or_default() += v;
        }
        let rel = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path);
        for (line, call, lit) in scan.findings {
            findings.push(format!("{}:{line}: {call}: {lit:?}", rel.display()));
        }
    }
    // The scanner really sees the bot's calls (otherwise it would pass by seeing nothing).
    for name in [
        "send",
        "edit",
        "edit_or_send",
        "send_html",
        "html_message",
        "html_edit",
        "answer_callback_query",
        "callback",
        "new",
    ] {
        assert!(calls.get(name).copied().unwrap_or(0) > 0, "no {name} call found: {calls:?}");
    }
    assert!(calls.values().sum::<usize>() > 30, "{calls:?}");
    assert!(findings.is_empty(), "user-facing text must come from locales/*/main.ftl:\n{}", findings.join("\n"));
}

/// Shaped like a message id: `order-summary`, `cmd-broadcast_cancel`.
fn id_shaped(s: &str) -> bool {
    s.contains('-')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Message ids the code names: every literal in the key position of a `tr!`, and (when
/// `id_shaped_too`) every id-shaped literal, as keys picked in a `let key = match …`.
fn ids_used_in(src: &str, id_shaped_too: bool) -> Vec<(usize, String)> {
    let toks = lex(src);
    let mut out = Vec::new();
    for i in 0..toks.len() {
        if is_ident(toks.get(i), "tr") && is_punct(toks.get(i + 1), '!') && is_open(toks.get(i + 2)) {
            let (args, _) = split_args(&toks, i + 2);
            for tok in args.get(1).map_or(&[][..], |r| &toks[r.clone()]) {
                // `format!("cmd-{}", …)` keys are checked with their enums.
                if let Tok::Str(s) = &tok.tok
                    && !s.contains('{')
                {
                    out.push((tok.line, s.clone()));
                }
            }
        }
        if let Some(Token { tok: Tok::Str(s), line }) = toks.get(i)
            && id_shaped_too
            && id_shaped(s)
        {
            out.push((*line, s.clone()));
        }
    }
    out
}

#[test]
fn every_key_the_code_uses_exists() {
    let en = parse_locale(Lang::En);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = Vec::new();
    rust_files(Path::new(root), &mut files);
    let mut missing = Vec::new();
    let mut seen = 0;
    for path in &files {
        let src = without_tests(&std::fs::read_to_string(path).unwrap());
        // OneClickDZ endpoint names (`check-number`) are id-shaped too: only the Telegram side
        // is searched for bare keys.
        let rel = path.strip_prefix(root).unwrap_or(path);
        let bot_side = rel.starts_with("bot") || rel.starts_with("workers");
        for (line, id) in ids_used_in(&src, bot_side) {
            seen += 1;
            if !en.contains_key(&id) {
                missing.push(format!("src/{}:{line}: {id}", rel.display()));
            }
        }
    }
    assert!(seen > 100, "only {seen} keys found");
    assert!(missing.is_empty(), "keys missing from en: {missing:#?}");
    // Keys built with format!.
    use netcard_bot::bot::commands::Command;
    use netcard_bot::domain::{PriceTier, Role};
    let mut built: Vec<String> =
        Command::CUSTOMER.iter().chain(Command::ADMIN.iter()).map(|c| format!("cmd-{}", c.name())).collect();
    built.extend([Role::Customer, Role::Reseller, Role::Admin].iter().map(|r| format!("role-{}", r.as_str())));
    built.extend([PriceTier::Customer, PriceTier::Reseller].iter().map(|p| format!("role-{}", p.as_str())));
    for id in built {
        assert!(en.contains_key(&id), "{id} missing from en");
        for lang in Lang::ALL {
            // Telegram: a command description is 1 to 256 characters of plain text.
            let s = t0(lang, &id);
            assert!((1..=256).contains(&s.chars().count()) && !s.contains('<'), "{lang:?} {id}: {s:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// French and Arabic customers, end to end
// ---------------------------------------------------------------------------------------------

/// What a customer of one language must see, beyond exact renders of our locale.
struct Expect {
    lang: Lang,
    code: &'static str,
    greeting_word: &'static str,
    choose_type: &'static str,
    number_prompt: &'static str,
    choose_value: &'static str,
    value_button: &'static str,
    summary_title: &'static str,
    confirm: &'static str,
    back: &'static str,
    cancel: &'static str,
    processing: &'static str,
    delivered: &'static str,
    copy: &'static str,
    credited: &'static str,
}

const FR: Expect = Expect {
    lang: Lang::Fr,
    code: "fr",
    greeting_word: "Bienvenue",
    choose_type: "De quelle carte avez-vous besoin\u{202f}?",
    number_prompt: "Envoyez le numéro de la ligne",
    choose_value: "Choisissez le montant",
    value_button: "Carte de 1000\u{a0}DA · 1\u{202f}000\u{a0}DA",
    summary_title: "Vérifiez votre commande",
    confirm: "✅ Confirmer",
    back: "⬅️ Retour",
    cancel: "✖️ Annuler",
    processing: "en cours de traitement",
    delivered: "livrée",
    copy: "📋 Copier le code",
    credited: "Votre solde a été alimenté de",
};

const AR: Expect = Expect {
    lang: Lang::Ar,
    code: "ar",
    greeting_word: "مرحبًا",
    choose_type: "ما نوع البطاقة التي تحتاجها؟",
    number_prompt: "أرسل رقم خط",
    choose_value: "اختر قيمة البطاقة",
    value_button: "بطاقة 1000\u{a0}د.ج · 1\u{202f}000\u{a0}د.ج",
    summary_title: "تحقق من طلبك",
    confirm: "✅ تأكيد",
    back: "➡️ رجوع",
    cancel: "✖️ إلغاء",
    processing: "قيد المعالجة",
    delivered: "تم تسليم الطلب رقم",
    copy: "📋 نسخ الرمز",
    credited: "تم شحن رصيدك",
};

/// English a French or Arabic customer must never see.
const ENGLISH: [&str; 16] = [
    "Welcome",
    "What would you like",
    "Which card",
    "phone number",
    "Choose",
    "Check your order",
    "Order #",
    "delivered",
    "wallet",
    "Wallet",
    "Cancel",
    "Back",
    "Main menu",
    "New order",
    "My orders",
    "Copy code",
];

fn labels(m: &BotMessage) -> Vec<String> {
    m.buttons().into_iter().map(|(label, _)| label).collect()
}

async fn whole_order_in(x: &Expect, user_id: i64) {
    let lang = x.lang;
    let app = TestApp::start().await;
    let u = app.customer_with(user_id, x.code, 5000).await;
    let name = format!("User{user_id}");

    // /start: the greeting and the menu.
    let greeting = app.tg.bot_messages(u.id)[0].clone();
    assert_eq!(greeting.text, t(lang, "menu-greeting", &[("name", name.as_str().into())]));
    assert!(greeting.plain.contains(x.greeting_word), "{}", greeting.plain);
    assert!(greeting.has_button(&t0(lang, "btn-new-order")));

    // The admin's credit, announced in the customer's language.
    let five = money(lang, Dinars(5000));
    let credit = app.tg.wait_message(u.id, WAIT, |m| m.plain.contains(x.credited)).await;
    assert_eq!(
        credit.text,
        t(lang, "credit-received", &[("amount", five.as_str().into()), ("balance", five.as_str().into())])
    );

    // /order: card types.
    app.tg.send_text(&u, "/order");
    let types = wait_last(&app.tg, u.id, |m| m.has_button("ADSL") && m.has_button("4G")).await;
    assert_eq!(types.text, x.choose_type);
    assert_eq!(types.text, t0(lang, "order-choose-type"));
    assert!(types.has_button(x.cancel), "{:?}", labels(&types));

    // The number prompt.
    app.tg.press_button(&u, types.message_id, "ADSL");
    let kind = t0(lang, "type-adsl");
    let prompt = wait_msg(&app.tg, u.id, types.message_id, |m| m.plain.contains(x.number_prompt)).await;
    assert_eq!(
        prompt.text,
        t(lang, "order-enter-number", &[("kind", kind.as_str().into()), ("example", "036362608".into())])
    );
    assert_eq!(labels(&prompt), [x.back, x.cancel]);

    // The values.
    app.tg.send_text(&u, "036362608");
    let values = wait_last(&app.tg, u.id, |m| m.has_button("1000\u{a0}")).await;
    assert!(values.plain.contains(x.choose_value), "{}", values.plain);
    assert_eq!(
        values.text,
        t(lang, "order-choose-value", &[("kind", kind.as_str().into()), ("number", "036362608".into())])
    );
    assert!(labels(&values).iter().any(|l| l == x.value_button), "{:?}", labels(&values));
    assert!(values.has_button(x.back) && values.has_button(x.cancel));

    // The confirm screen.
    app.tg.press_button(&u, values.message_id, "1000\u{a0}");
    let summary = wait_msg(&app.tg, u.id, values.message_id, |m| m.has_button(x.confirm)).await;
    assert!(summary.plain.contains(x.summary_title), "{}", summary.plain);
    assert_eq!(
        summary.text,
        t(
            lang,
            "order-summary",
            &[
                ("kind", kind.as_str().into()),
                ("number", "036362608".into()),
                ("value", "1\u{202f}000".into()),
                ("price", money(lang, Dinars(1000)).into()),
                ("balance", five.as_str().into()),
                ("after", money(lang, Dinars(4000)).into()),
            ]
        )
    );
    assert_eq!(labels(&summary), [x.confirm, x.back, x.cancel]);

    // Confirm: the order message becomes the receipt.
    app.tg.press_button(&u, summary.message_id, x.confirm);
    let receipt = wait_last(&app.tg, u.id, |m| m.plain.contains(x.delivered)).await;
    assert_eq!(receipt.message_id, summary.message_id);
    let refs = app.oc.topup_refs();
    assert_eq!(refs.len(), 1);
    let code = app.oc.card_code_for(&refs[0]).expect("fulfilled upstream");
    assert!(receipt.text.contains(&format!("<code>{code}</code>")), "{}", receipt.text);
    assert!(receipt.text.contains("<code>036362608</code>"));
    assert!(receipt.text.contains(&t0(lang, "howto-adsl")));
    assert!(receipt.text_history.iter().any(|h| h.contains(x.processing)), "{:#?}", receipt.text_history);
    assert_eq!(receipt.copy_text_buttons(), vec![code.clone()]);
    assert_eq!(labels(&receipt), [x.copy.to_owned(), t0(lang, "btn-new-order"), t0(lang, "btn-orders")]);

    // Nothing in English along the way.
    for m in app.tg.bot_messages(u.id) {
        let buttons = labels(&m);
        for s in m.text_history.iter().chain(&buttons) {
            for word in ENGLISH {
                assert!(!s.contains(word), "{} customer saw English {word:?} in {s:?}", x.code);
            }
        }
    }
    let store = app.store().await;
    assert_eq!(store.user(u.id).await.unwrap().unwrap().language, lang);

    // The command menu Telegram shows to users of this language.
    let menus = app.tg.my_commands();
    let menu = menus
        .iter()
        .find(|c| c.language_code.as_deref() == Some(x.code))
        .unwrap_or_else(|| panic!("no {} command menu: {menus:#?}", x.code));
    assert!(menu.commands.contains(&("order".to_owned(), t0(lang, "cmd-order"))), "{menu:#?}");
    assert!(!menu.commands.iter().any(|(_, d)| d.contains("order")));
}

#[tokio::test]
async fn a_french_customer_orders_in_french() {
    whole_order_in(&FR, 2001).await;
}

#[tokio::test]
async fn an_arabic_customer_orders_in_arabic() {
    whole_order_in(&AR, 2002).await;
}

#[tokio::test]
async fn an_unsupported_language_gets_the_default_and_the_language_menu_switches() {
    let app = TestApp::start().await;
    let u = app.user(3001, "de");
    app.tg.send_text(&u, "/start");
    let greeting = app.tg.wait_message(u.id, WAIT, |_| true).await;
    assert_eq!(greeting.text, t(Lang::En, "menu-greeting", &[("name", "User3001".into())]));

    app.tg.send_text(&u, "/language");
    let menu = wait_last(&app.tg, u.id, |m| m.has_button("العربية")).await;
    assert_eq!(menu.text, t0(Lang::En, "language-choose"));
    assert_eq!(labels(&menu), ["العربية", "Français", "English"]);
    app.tg.press_button(&u, menu.message_id, "العربية");
    let set = wait_msg(&app.tg, u.id, menu.message_id, |m| m.text == t0(Lang::Ar, "language-set")).await;
    assert_eq!(set.text, "✅ تم تغيير اللغة إلى العربية.");
    assert!(set.has_button("🛒 طلب جديد"), "{:?}", labels(&set));

    // Telegram keeps sending language_code "de": the choice made in /language wins.
    app.tg.send_text(&u, "/order");
    let types = wait_last(&app.tg, u.id, |m| m.has_button("ADSL")).await;
    assert_eq!(types.text, AR.choose_type);
    assert!(types.has_button(AR.cancel));
    app.tg.send_text(&u, "/start");
    let again = wait_last(&app.tg, u.id, |m| m.plain.contains(AR.greeting_word)).await;
    assert_eq!(again.text, t(Lang::Ar, "menu-greeting", &[("name", "User3001".into())]));
    let store = app.store().await;
    assert_eq!(store.user(u.id).await.unwrap().unwrap().language, Lang::Ar);
    // The chat's command menu follows the chosen language too, and holds no admin command.
    let menu = app
        .tg
        .my_commands()
        .into_iter()
        .find(|s| s.scope.as_ref().is_some_and(|sc| sc.to_string().contains("3001")))
        .expect("a menu for this chat");
    assert!(menu.commands.iter().any(|c| c.0 == "order" && c.1 == t0(Lang::Ar, "cmd-order")), "{menu:?}");
    assert!(menu.commands.iter().all(|c| c.0 != "credit"));
}

#[tokio::test]
async fn the_default_language_comes_from_the_configuration() {
    let app = TestApp::start_with(&[("DEFAULT_LANGUAGE", "fr")]).await;
    let u = app.user(3002, "de");
    app.tg.send_text(&u, "/start");
    let greeting = app.tg.wait_message(u.id, WAIT, |_| true).await;
    assert_eq!(greeting.text, t(Lang::Fr, "menu-greeting", &[("name", "User3002".into())]));
    // A supported language_code still wins over the default.
    let v = app.user(3003, "ar-DZ");
    app.tg.send_text(&v, "/start");
    let greeting = app.tg.wait_message(v.id, WAIT, |_| true).await;
    assert!(greeting.plain.contains(AR.greeting_word), "{}", greeting.plain);
}
