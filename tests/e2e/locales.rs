//! The locales: fr and ar mirror en message for message, every message renders cleanly in every
//! language, no user-facing text is hard-coded in the Rust sources, and French and Arabic
//! customers get their own language through a whole order.
use crate::support::flow::{wait_last, wait_msg};
use crate::support::{BotMessage, TestApp, WAIT};
use netcard_bot::domain::Dinars;
use netcard_bot::i18n::{Arg, Lang, card_value, money, t};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use testkit::ftl;
use testkit::source_scan::{ids_used_in, rust_files, scan_source};

/// message id → the variables it references (in its value, selectors and variants included).
type Messages = BTreeMap<String, BTreeSet<String>>;

fn locales_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("locales")
}

/// Every message of a locale, from all the .ftl files of its folder (as fluent-templates loads
/// them).
fn parse_locale(lang: Lang) -> Messages {
    let locale = ftl::Locale::load(&locales_dir().join(lang.code())).unwrap_or_else(|e| panic!("{e}"));
    locale.messages.into_iter().map(|(id, m)| (id, m.vars)).collect()
}

#[test]
fn parse_sanity() {
    // Guards the walk of the syntax tree: if it missed variables, the parity test would pass on
    // empty sets.
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
    let langs: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
    let problems = ftl::parity(&locales_dir(), &langs).unwrap_or_else(|e| panic!("{e}"));
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
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
        (Lang::Fr, "topup-btn-amount"),
        (Lang::Fr, "panel-action"),
        (Lang::Fr, "panel-date"),
        (Lang::Fr, "panel-export"),
        (Lang::Fr, "panel-note"),
        (Lang::Fr, "panel-total"),
        (Lang::Fr, "panel-upstream"),
        (Lang::Ar, "panel-upstream"),
        (Lang::Fr, "language-choose-first"),
        (Lang::Fr, "status-icon-failed"),
        (Lang::Fr, "status-icon-fulfilled"),
        (Lang::Fr, "status-icon-processing"),
        (Lang::Fr, "status-icon-queued"),
        (Lang::Fr, "status-icon-refunded"),
        (Lang::Fr, "type-short-4g"),
        (Lang::Fr, "type-short-adsl"),
        (Lang::Ar, "language-choose-first"),
        (Lang::Ar, "status-icon-failed"),
        (Lang::Ar, "status-icon-fulfilled"),
        (Lang::Ar, "status-icon-processing"),
        (Lang::Ar, "status-icon-queued"),
        (Lang::Ar, "status-icon-refunded"),
        (Lang::Ar, "type-short-4g"),
        (Lang::Ar, "type-short-adsl"),
        (Lang::Fr, "orders-button"),
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
        t(
            Lang::Ar,
            "btn-value",
            &[("value", card_value(Dinars(1000)).into()), ("price", money(Lang::Ar, Dinars(1100)).into())]
        ),
        "بطاقة 1\u{202f}000\u{a0}د.ج · 1\u{202f}100\u{a0}د.ج"
    );
    assert_eq!(t0(Lang::Fr, "language-name"), "Français");
    assert_eq!(t0(Lang::Ar, "language-name"), "العربية");
}

/// `t` without arguments.
fn t0(lang: Lang, id: &str) -> String {
    t(lang, id, &[])
}

#[test]
fn no_user_facing_literal_in_the_sources() {
    let files = rust_files(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")));
    assert!(files.len() > 20, "{files:?}");
    let mut calls: BTreeMap<&str, usize> = BTreeMap::new();
    let mut findings = Vec::new();
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        let scan = scan_source(&src);
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
    assert!(findings.is_empty(), "user-facing text must come from locales/*/*.ftl:\n{}", findings.join("\n"));
}

#[test]
fn every_key_the_code_uses_exists() {
    let en = parse_locale(Lang::En);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let files = rust_files(Path::new(root));
    let mut missing = Vec::new();
    let mut seen = 0;
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
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
    value_button: "Carte de 1\u{202f}000\u{a0}DA · 1\u{202f}000\u{a0}DA",
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
    number_prompt: "أرسل رقم الهاتف الثابت",
    choose_value: "اختر قيمة البطاقة",
    value_button: "بطاقة 1\u{202f}000\u{a0}د.ج · 1\u{202f}000\u{a0}د.ج",
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
    assert_eq!(prompt.text, t(lang, "order-enter-number-adsl", &[("example", "036362608".into())]));
    assert_eq!(labels(&prompt), [x.back, x.cancel]);

    // The values.
    app.tg.send_text(&u, "036362608");
    let values = wait_last(&app.tg, u.id, |m| m.has_button("1\u{202f}000\u{a0}")).await;
    assert!(values.plain.contains(x.choose_value), "{}", values.plain);
    assert_eq!(
        values.text,
        t(lang, "order-choose-value", &[("kind", kind.as_str().into()), ("number", "036362608".into())])
    );
    assert!(labels(&values).iter().any(|l| l == x.value_button), "{:?}", labels(&values));
    assert!(values.has_button(x.back) && values.has_button(x.cancel));

    // The confirm screen.
    app.tg.press_button(&u, values.message_id, "1\u{202f}000\u{a0}");
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
    assert_eq!(
        labels(&receipt),
        [x.copy.to_owned(), t0(lang, "btn-buy-again"), t0(lang, "btn-new-order"), t0(lang, "btn-orders")]
    );

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
    // First contact in a language the shop does not speak: the question in all three.
    let first = app.tg.wait_message(u.id, WAIT, |_| true).await;
    assert_eq!(first.text, t0(Lang::En, "language-choose-first"));
    assert_eq!(labels(&first), ["العربية", "Français", "English"]);
    // Not answered: the next /start greets in the default language.
    app.tg.send_text(&u, "/start");
    let greeting = wait_last(&app.tg, u.id, |m| m.message_id != first.message_id).await;
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
    let first = app.tg.wait_message(u.id, WAIT, |_| true).await;
    assert_eq!(first.text, t0(Lang::En, "language-choose-first"));
    app.tg.send_text(&u, "/start");
    let greeting = wait_last(&app.tg, u.id, |m| m.message_id != first.message_id).await;
    assert_eq!(greeting.text, t(Lang::Fr, "menu-greeting", &[("name", "User3002".into())]));
    // A supported language_code still wins over the default.
    let v = app.user(3003, "ar-DZ");
    app.tg.send_text(&v, "/start");
    let greeting = app.tg.wait_message(v.id, WAIT, |_| true).await;
    assert!(greeting.plain.contains(AR.greeting_word), "{}", greeting.plain);
}
