//! The words of issue 17 that need the bot to say them: a failure told, the number prompt per
//! line, who to contact when banned, the first prompt in three languages, a reseller told of
//! their prices, the short order-list buttons.
use crate::support::flow::{place, to_confirm, wait_last, wait_msg};
use crate::support::{ADMIN, BotMessage, TestApp, TgUser, WAIT};
use netcard_bot::domain::Dinars;
use netcard_bot::i18n::{Arg, Lang, card_value, local_day_ms, money, t};

fn t0(lang: Lang, id: &str) -> String {
    t(lang, id, &[])
}

/// Sends `text` as `u` and waits for a bot message after it that satisfies `pred`.
async fn say(app: &TestApp, u: &TgUser, text: &str, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    let mid = app.tg.send_text(u, text);
    app.tg
        .wait_for(WAIT, |tg| tg.bot_messages(u.id).into_iter().find(|m| m.message_id > mid && !m.deleted && pred(m)))
        .await
}

fn labels(m: &BotMessage) -> Vec<String> {
    m.buttons().into_iter().map(|(label, _)| label).collect()
}

/// A step that fails inside the bot (here the database refuses the order's row) is told to the
/// customer with the generic error, the pressed button is answered, and nothing is charged.
#[tokio::test]
async fn a_failing_step_tells_the_customer_and_charges_nothing() {
    let app = TestApp::start().await;
    let u = app.customer_with(7001, "en", 5000).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    let store = app.store().await;
    sqlx::query(
        "CREATE TRIGGER test_refuse_orders BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    )
    .execute(store.pool())
    .await
    .unwrap();

    let query = app.tg.press_button(&u, summary.message_id, "Confirm");
    let told = wait_last(&app.tg, u.id, |m| m.text == t0(Lang::En, "error-generic")).await;
    assert!(told.plain.contains("was not charged") && told.plain.contains("try again"), "{}", told.plain);
    assert!(told.has_button(&t0(Lang::En, "btn-new-order")), "a way on: {:?}", labels(&told));
    assert!(app.tg.answered_callbacks().iter().any(|(id, _)| *id == query), "the press was answered");

    assert_eq!(app.oc.total_sends(), 0, "nothing sent to OneClickDZ");
    assert_eq!(store.count_orders_of_user(u.id).await.unwrap(), 0);
    let b = store.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (5000, 0), "not charged");
    assert!(store.ledger_mismatches().await.unwrap().is_empty());

    // A typed command that fails is told too, in the user's language.
    let v = app.customer_with(7002, "fr", 0).await;
    sqlx::query("ALTER TABLE ledger RENAME TO ledger_gone").execute(store.pool()).await.unwrap();
    let m = say(&app, &v, "/balance", |m| m.text == t0(Lang::Fr, "error-generic")).await;
    assert!(m.plain.contains("n'a pas été débité"), "{}", m.plain);

    // Before any handler: a newcomer who cannot be registered hears it in Telegram's language.
    sqlx::query("CREATE TRIGGER test_refuse_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'refused'); END")
        .execute(store.pool())
        .await
        .unwrap();
    let w = app.user(7003, "ar");
    let m = say(&app, &w, "/start", |_| true).await;
    assert_eq!(m.text, t0(Lang::Ar, "error-generic"));
}

/// An order placed and held whose message then fails to update is no failure to report: "nothing
/// was charged" would be untrue. The tracker brings the message up to date.
#[tokio::test]
async fn a_placed_order_is_never_reported_as_not_charged() {
    let app = TestApp::start().await;
    let u = app.customer_with(7004, "en", 5000).await;
    let summary = to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    app.tg.inject_error("editMessageText", 1, 400, "Bad Request: something unexpected", None);
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let receipt = wait_last(&app.tg, u.id, |m| m.plain.contains("delivered")).await;
    assert_eq!(receipt.message_id, summary.message_id);
    let generic = t0(Lang::En, "error-generic");
    assert!(app.tg.bot_messages(u.id).iter().all(|m| m.text != generic), "told 'not charged' after charging");
    let b = app.store().await.balances(u.id).await.unwrap();
    assert_eq!((b.balance.get(), b.held.get()), (4000, 0));
    assert_eq!(app.oc.total_sends(), 1);
}

/// The same for an admin's credit: once the money has moved, a failed edit of the preview is not
/// reported as "nothing was charged, try again" (a second /credit would credit twice).
#[tokio::test]
async fn a_credit_made_is_never_reported_as_a_failure() {
    let app = TestApp::start().await;
    let u = app.customer_with(7005, "en", 0).await;
    let admin = app.user(ADMIN, "en");
    let preview = crate::support::flow::money_preview(&app.tg, &admin, &format!("/credit {} 700", u.id)).await;
    app.tg.inject_error("editMessageText", 1, 400, "Bad Request: something unexpected", None);
    app.tg.press_button(&admin, preview.message_id, "Confirm");
    app.tg.wait_message(u.id, WAIT, |m| m.plain.contains("topped up with 700")).await;
    let store = app.store().await;
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 700);
    // Whatever the admin's chat shows next, it is not the generic failure.
    let later = say(&app, &admin, "/help", |m| m.plain.contains("How it works")).await;
    let generic = t0(Lang::En, "error-generic");
    assert!(app.tg.bot_messages(ADMIN).iter().filter(|m| m.message_id < later.message_id).all(|m| m.text != generic));
}

/// The number prompt names the line: the fixed line for ADSL, the Idoom 4G LTE line for 4G,
/// each with its own example.
#[tokio::test]
async fn each_line_type_has_its_own_number_prompt() {
    let app = TestApp::start().await;
    for (id, lang, code) in [(7011, Lang::En, "en"), (7012, Lang::Ar, "ar")] {
        let u = app.customer_with(id, code, 0).await;
        let types = say(&app, &u, "/order", |m| m.has_button("ADSL") && m.has_button("4G")).await;
        app.tg.press_button(&u, types.message_id, "ADSL");
        let adsl = t(lang, "order-enter-number-adsl", &[("example", "036362608".into())]);
        wait_msg(&app.tg, u.id, types.message_id, |m| m.text == adsl).await;
        app.tg.press_button(&u, types.message_id, &t0(lang, "btn-back"));
        wait_msg(&app.tg, u.id, types.message_id, |m| m.has_button("4G")).await;
        app.tg.press_button(&u, types.message_id, "4G");
        let four_g = t(lang, "order-enter-number-4g", &[("example", "0661234567".into())]);
        let m = wait_msg(&app.tg, u.id, types.message_id, |m| m.text == four_g).await;
        assert_ne!(adsl, four_g);
        if lang == Lang::En {
            assert!(m.plain.contains("Idoom 4G LTE line") && m.plain.contains("not your personal mobile"));
            assert!(adsl.contains("landline"), "{adsl}");
        }
        assert!(!m.plain.contains("SMS"));
    }
}

async fn ban(app: &TestApp, id: i64) {
    let admin = app.user(ADMIN, "en");
    say(app, &admin, &format!("/ban {id}"), |m| m.plain.contains("is banned")).await;
}

/// A banned user is told who to contact when the shop has a support contact.
#[tokio::test]
async fn banned_users_are_told_who_to_contact() {
    let app = TestApp::start().await;
    let u = app.customer_with(7021, "en", 0).await;
    let menu = app.tg.last_bot_message(u.id).unwrap();
    ban(&app, u.id).await;
    let m = say(&app, &u, "/order", |_| true).await;
    let want = t(Lang::En, "banned-contact", &[("contact", "@shop_support".into())]);
    assert_eq!(m.text, want);
    assert!(m.plain.contains("contact @shop_support"), "{}", m.plain);
    // A press on an old button: the notice names the contact too.
    let query = app.tg.press_button(&u, menu.message_id, "Balance");
    let answer = app
        .tg
        .wait_for(WAIT, |tg| tg.answered_callbacks().into_iter().find(|(id, _)| *id == query).and_then(|a| a.1))
        .await;
    assert!(answer.contains("@shop_support"), "{answer}");

    // In Arabic too.
    let v = app.customer_with(7022, "ar", 0).await;
    ban(&app, v.id).await;
    let m = say(&app, &v, "/start", |_| true).await;
    assert_eq!(m.text, t(Lang::Ar, "banned-contact", &[("contact", "@shop_support".into())]));
}

#[tokio::test]
async fn without_a_support_contact_the_banned_notice_stays_short() {
    let app = TestApp::start_with(&[("SUPPORT_CONTACT", "")]).await;
    let u = app.customer_with(7023, "fr", 0).await;
    ban(&app, u.id).await;
    let m = say(&app, &u, "/order", |_| true).await;
    assert_eq!(m.text, t0(Lang::Fr, "banned"));
}

/// Someone whose Telegram speaks none of our languages (or says nothing) is first asked their
/// language in all three, languages named without flags; the choice sticks.
#[tokio::test]
async fn an_unknown_language_is_asked_first_in_all_three() {
    let app = TestApp::start().await;
    for (id, code, pick, lang) in [(7031, "de", "Français", Lang::Fr), (7032, "", "العربية", Lang::Ar)] {
        let u = app.user(id, code);
        let first = say(&app, &u, "/start", |_| true).await;
        assert_eq!(first.text, t0(Lang::En, "language-choose-first"));
        for words in ["Choose your language", "Choisissez votre langue", "اختر لغتك"] {
            assert!(first.plain.contains(words), "{}", first.plain);
        }
        assert_eq!(labels(&first), ["العربية", "Français", "English"]);
        app.tg.press_button(&u, first.message_id, pick);
        wait_msg(&app.tg, u.id, first.message_id, |m| m.text == t0(lang, "language-set")).await;
        let greeting = say(&app, &u, "/start", |_| true).await;
        assert_eq!(greeting.text, t(lang, "menu-greeting", &[("name", format!("User{id}").into())]));
    }
    // A language we speak: greeted at once.
    let u = app.user(7033, "fr-FR");
    let greeting = say(&app, &u, "/start", |_| true).await;
    assert_eq!(greeting.text, t(Lang::Fr, "menu-greeting", &[("name", "User7033".into())]));
}

fn price_line(lang: Lang, kind: &str, value: i64, price: i64) -> String {
    t(
        lang,
        "reseller-price-line",
        &[
            ("kind", Arg::Str(t0(lang, kind))),
            ("value", Arg::Str(card_value(Dinars(value)))),
            ("price", Arg::Str(money(lang, Dinars(price)))),
        ],
    )
}

/// `/setrole` tells the user in their own chat and language, with the prices that now apply.
#[tokio::test]
async fn a_reseller_is_told_with_their_prices_and_back() {
    let app = TestApp::start().await;
    let admin = app.user(ADMIN, "en");
    say(&app, &admin, "/setprice ADSL 1000 1100", |m| m.plain.contains("now sells at")).await;
    say(&app, &admin, "/setprice ADSL 1000 990 reseller", |m| m.plain.contains("now sells at")).await;
    let u = app.customer_with(7041, "en", 0).await;

    say(&app, &admin, &format!("/setrole {} reseller", u.id), |m| m.plain.contains("is now a reseller")).await;
    let granted = app.tg.wait_message(u.id, WAIT, |m| m.plain.contains("reseller")).await;
    assert!(granted.text.starts_with(&t(Lang::En, "reseller-granted", &[("prices", "".into())])), "{}", granted.text);
    assert!(granted.text.contains(&price_line(Lang::En, "type-adsl", 1000, 990)), "{}", granted.text);
    assert!(granted.plain.contains("Idoom ADSL 1\u{202f}000\u{a0}DA card: 990\u{a0}DA"), "{}", granted.plain);

    say(&app, &admin, &format!("/setrole {} customer", u.id), |m| m.plain.contains("is now a customer")).await;
    let revoked = app.tg.wait_message(u.id, WAIT, |m| m.plain.contains("customer account")).await;
    assert!(revoked.text.contains(&price_line(Lang::En, "type-adsl", 1000, 1100)), "{}", revoked.text);
    assert!(!revoked.text.contains(&price_line(Lang::En, "type-adsl", 1000, 990)), "{}", revoked.text);

    // Arabic: its own words and "د.ج", never "DA".
    let v = app.customer_with(7042, "ar", 0).await;
    say(&app, &admin, &format!("/setrole {} reseller", v.id), |m| m.plain.contains("is now a reseller")).await;
    let ar = app.tg.wait_message(v.id, WAIT, |m| m.text.contains("موزع")).await;
    assert!(ar.text.contains(&price_line(Lang::Ar, "type-adsl", 1000, 990)), "{}", ar.text);
    assert!(ar.plain.contains("د.ج") && !ar.plain.contains("DA"), "{}", ar.plain);

    // A user who blocked the bot: the admin's command still succeeds, and they are marked unreachable.
    let w = app.customer_with(7043, "en", 0).await;
    app.tg.block_user(w.id);
    let reply = say(&app, &admin, &format!("/setrole {} reseller", w.id), |m| m.plain.contains("7043")).await;
    assert_eq!(reply.plain, format!("User {} is now a reseller.", w.id));
    let store = app.store().await;
    assert_eq!(store.user(w.id).await.unwrap().unwrap().role, netcard_bot::domain::Role::Reseller);
    let mut unreachable = false;
    for _ in 0..100 {
        unreachable = store.user(w.id).await.unwrap().unwrap().unreachable;
        if unreachable {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(unreachable, "a blocked user is marked unreachable");
}

/// `/orders` lists each order as a short button: status icon, type, value, Algiers day.
#[tokio::test]
async fn order_list_buttons_are_short() {
    let app = TestApp::start().await;
    let u = app.customer_with(7051, "en", 5000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
    let store = app.store().await;
    for lang in [Lang::En, Lang::Ar] {
        if lang == Lang::Ar {
            let menu = say(&app, &u, "/language", |m| m.has_button("العربية")).await;
            app.tg.press_button(&u, menu.message_id, "العربية");
            wait_msg(&app.tg, u.id, menu.message_id, |m| m.text == t0(Lang::Ar, "language-set")).await;
        }
        let order = store.orders_of_user(u.id, 0, 1).await.unwrap().remove(0);
        let want = t(
            lang,
            "orders-button",
            &[
                ("icon", Arg::Str(t0(lang, "status-icon-fulfilled"))),
                ("kind", Arg::Str(t0(lang, "type-short-adsl"))),
                ("value", Arg::Str(card_value(Dinars(1000)))),
                ("date", Arg::Str(local_day_ms(order.created_at))),
            ],
        );
        let list = say(&app, &u, "/orders", |m| m.buttons().len() > 1).await;
        assert_eq!(labels(&list)[0], want);
        assert!(want.chars().count() <= 32, "{want:?}");
        if lang == Lang::Ar {
            assert!(want.contains("1\u{202f}000\u{a0}د.ج") && !want.contains("DA"), "{want:?}");
        } else {
            assert!(want.starts_with("✅ ADSL 1\u{202f}000\u{a0}DA · "), "{want:?}");
        }
        // The button still opens the order.
        app.tg.press_button(&u, list.message_id, &want);
        wait_last(&app.tg, u.id, |m| m.text.contains("036362608") && m.message_id > list.message_id).await;
    }
}
