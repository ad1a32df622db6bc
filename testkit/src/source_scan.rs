//! The check that no user-facing text is hard-coded in the Rust sources: a small Rust lexer, the
//! calls that put text in front of a Telegram user, and the literals given to them. Code under
//! `#[cfg(test)]` is left out item by item (a test module in the middle of a file does not hide
//! the production code after it).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Punct(char),
    /// A string literal, unescaped.
    Str(String),
    /// Numbers, char literals, lifetimes.
    Other,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
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
pub fn lex(src: &str) -> Vec<Token> {
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
pub struct Scan {
    /// Text calls seen, by name.
    pub calls: BTreeMap<&'static str, usize>,
    /// (line, call, literal)
    pub findings: Vec<(usize, String, String)>,
}

/// The text calls and the user-facing literals given to them, outside `#[cfg(test)]` items.
pub fn scan_source(src: &str) -> Scan {
    let toks = without_tests(lex(src));
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

/// The tokens without the items marked `#[cfg(test)]` (a module, a function, a `use`, a
/// statement): each is skipped up to the end of its `{ … }` block or its `;`, and scanning goes
/// on after it.
pub fn without_tests(toks: Vec<Token>) -> Vec<Token> {
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if !is_cfg_test(&toks, i) {
            out.push(toks[i].clone());
            i += 1;
            continue;
        }
        i += 7;
        // Further attributes of the same item.
        while is_punct(toks.get(i), '#') && is_punct(toks.get(i + 1), '[') {
            i = split_args(&toks, i + 1).1 + 1;
        }
        while i < toks.len() {
            if is_punct(toks.get(i), ';') {
                i += 1;
                break;
            }
            if is_punct(toks.get(i), '{') {
                i = split_args(&toks, i).1 + 1;
                break;
            }
            i += 1;
        }
    }
    out
}

/// `#[cfg(test)]` starts at `i`.
fn is_cfg_test(toks: &[Token], i: usize) -> bool {
    is_punct(toks.get(i), '#')
        && is_punct(toks.get(i + 1), '[')
        && is_ident(toks.get(i + 2), "cfg")
        && is_punct(toks.get(i + 3), '(')
        && is_ident(toks.get(i + 4), "test")
        && is_punct(toks.get(i + 5), ')')
        && is_punct(toks.get(i + 6), ']')
}

/// Every `.rs` file under `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
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
pub fn ids_used_in(src: &str, id_shaped_too: bool) -> Vec<(usize, String)> {
    let toks = without_tests(lex(src));
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

#[cfg(test)]
mod tests {
    use super::*;

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
            [
                "Order placed!",
                "Done",
                "Buy now",
                "Paid {} DA",
                "Merci \"beaucoup\"",
                "شكرا",
                "Édité",
                "Bob",
                "ADSL card"
            ],
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
    fn production_code_after_a_test_module_is_scanned() {
        let src = r####"
fn before() {
    ui::send(&bot, chat, tr!(lang, "menu-text"), None);
}
#[cfg(test)]
mod tests {
    #[test]
    fn t() {
        ui::send(&bot, chat, "Test only".into(), None);
    }
}
#[cfg(test)]
#[allow(unused)]
use super::x;
async fn after() {
    ui::send(&bot, chat, "Leaked after the tests".into(), None).await?;
}
#[cfg(test)]
fn helper() { bot.send_message(chat, "Helper text"); }
fn last() { bot.send_message(chat, "Last words"); }
"####;
        let scan = scan_source(src);
        let found: Vec<(usize, &str)> = scan.findings.iter().map(|f| (f.0, f.2.as_str())).collect();
        assert_eq!(found, [(16, "Leaked after the tests"), (20, "Last words")], "{scan:#?}");
        assert_eq!(scan.calls.get("send").copied(), Some(2), "{scan:#?}");
        let ids = ids_used_in(src, false);
        assert_eq!(ids, [(3, "menu-text".to_owned())]);
    }
}
