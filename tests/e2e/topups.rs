//! Wallet top-ups end to end: online payment links (OCPay on the fake OneClickDZ) with each
//! scripted outcome, transfer receipts reviewed by admins, restarts, forged and doubled taps.
use crate::support::flow::{wait_last, wait_msg};
use crate::support::{ADMIN, BotMessage, TestApp, TgUser, WAIT};
use netcard_bot::domain::topup::{MoneySource, TopupStatus};
use netcard_bot::i18n::{Arg, Lang, t};
use netcard_bot::store::Store;
use testkit::{CreateFault, FakeOcpay, PayScript};

const INSTR: &str = "CCP 0012345678 clé 90, Nom Prénom";

fn vars(give_up: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("TOPUP_METHODS", "online,transfer"),
        ("TOPUP_TRANSFER_INSTRUCTIONS", INSTR),
        ("TOPUP_CHECK_FAST", "0.05"),
        ("TOPUP_CHECK_FAST_WINDOW", "1"),
        ("TOPUP_CHECK_SLOW", "0.2"),
        ("TOPUP_CHECK_GIVE_UP", give_up),
    ]
}

async fn start(give_up: &'static str, extra: &[(&'static str, &'static str)]) -> (TestApp, FakeOcpay) {
    let mut v = vars(give_up);
    v.extend_from_slice(extra);
    let app = TestApp::start_with(&v).await;
    let ocpay = FakeOcpay::of(&app.oc.base_url());
    (app, ocpay)
}

/// The URL of the message's first URL button.
fn pay_url(m: &BotMessage) -> Option<String> {
    m.reply_markup.as_ref()?.pointer("/inline_keyboard/0/0/url")?.as_str().map(str::to_owned)
}

/// A new bot message in the chat (after `before` of them) that satisfies `pred`.
async fn next_msg(app: &TestApp, chat: i64, before: usize, pred: impl Fn(&BotMessage) -> bool) -> BotMessage {
    app.tg.wait_for(WAIT, |tg| tg.bot_messages(chat).into_iter().skip(before).find(|m| pred(m))).await
}

/// /topup, then the method (by payload, whatever the language); returns the wizard message.
async fn choose(app: &TestApp, u: &TgUser, via: &str) -> BotMessage {
    let before = app.tg.bot_messages(u.id).len();
    app.tg.send_text(u, "/topup");
    let m = next_msg(app, u.id, before, |m| m.buttons().iter().any(|b| b.1.as_deref() == Some(via))).await;
    app.tg.press(u, m.message_id, via);
    wait_msg(&app.tg, u.id, m.message_id, |m| m.buttons().iter().any(|b| b.1.as_deref() == Some("ta:2000"))).await
}

/// A whole online start: /topup, online, 2 000 DA; returns the message showing the link.
async fn open_link(app: &TestApp, u: &TgUser) -> BotMessage {
    let m = choose(app, u, "tv:online").await;
    app.tg.press(u, m.message_id, "ta:2000");
    wait_msg(&app.tg, u.id, m.message_id, |m| pay_url(m).is_some()).await
}

/// Transfer up to the receipt: /topup, transfer, typed amount; returns the prompt for the photo.
async fn to_receipt(app: &TestApp, u: &TgUser, amount: &str) -> BotMessage {
    let m = choose(app, u, "tv:transfer").await;
    assert!(m.plain.contains(INSTR), "the shop's instructions as written: {}", m.plain);
    let before = app.tg.bot_messages(u.id).len();
    app.tg.send_text(u, amount);
    next_msg(app, u.id, before, |m| m.text.contains("/cancel")).await
}

/// A receipt photo sent; returns the request (with buttons) that reached `admin`.
async fn send_receipt(app: &TestApp, u: &TgUser, admin: i64) -> BotMessage {
    let before = app.tg.bot_messages(admin).len();
    app.tg.send_photo(u, None);
    next_msg(app, admin, before, |m| m.buttons().iter().any(|b| b.1.as_deref().is_some_and(|d| d.starts_with("tok:"))))
        .await
}

async fn topup_credits(store: &Store, user: i64) -> Vec<(i64, MoneySource)> {
    let rows = store.recent_ledger(user, 50).await.unwrap();
    rows.into_iter().filter(|e| e.topup_id.is_some()).map(|e| (e.amount.get(), e.source)).collect()
}

async fn ledger_ok(app: &TestApp) {
    assert!(app.store().await.ledger_mismatches().await.unwrap().is_empty(), "ledger invariants hold");
}

#[tokio::test]
async fn online_payment_confirmed_after_some_checks_credits_once() {
    let (app, ocpay) = start("5", &[]).await;
    ocpay.script_next(PayScript::Confirm { after_checks: 3 });
    // Two checks answered 503 first: retried, never taken as an outcome.
    ocpay.fail_checks(2, 503);
    let u = app.customer_with(4001, "en", 0).await;
    let link = open_link(&app, &u).await;
    assert!(
        link.plain.contains("Top up 2\u{202f}000\u{a0}DA") && link.plain.contains("valid for 20"),
        "{}",
        link.plain
    );
    assert!(link.has_button("Pay 2\u{202f}000"), "{:?}", link.buttons());
    let refs = ocpay.refs();
    assert_eq!(pay_url(&link), Some(format!("https://pay.ocdz.link/pay/{}", refs[0])));
    assert_eq!(ocpay.link_request(&refs[0]), Some((2000, "NO_FEE".to_owned())));

    let paid = wait_msg(&app.tg, u.id, link.message_id, |m| m.plain.contains("Paid")).await;
    assert!(paid.plain.contains("New balance: 2\u{202f}000\u{a0}DA"), "{}", paid.plain);
    assert!(pay_url(&paid).is_none(), "the link is gone once paid");
    assert!(ocpay.check_count(&refs[0]) >= 4, "confirmed after some checks");
    wait_last(&app.tg, ADMIN, |m| m.plain.contains("Online payment confirmed") && m.plain.contains(&refs[0])).await;

    // Checks stop: a settled top-up is not checked again.
    let checks = ocpay.check_count(&refs[0]);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(ocpay.check_count(&refs[0]), checks);
    assert_eq!(ocpay.create_count(), 1);

    let store = app.store().await;
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 2000);
    assert_eq!(topup_credits(&store, u.id).await, vec![(2000, MoneySource::Online)]);

    // /balance: the customer's id to copy, where the money came from, and a Top up button.
    app.tg.send_text(&u, "/balance");
    let b = wait_last(&app.tg, u.id, |m| m.plain.contains("Your balance")).await;
    assert!(b.text.contains("<code>4001</code>") && b.plain.contains("online payment"), "{}", b.plain);
    assert!(b.has_button("Top up"), "{:?}", b.buttons());
    ledger_ok(&app).await;
}

#[tokio::test]
async fn online_payment_failed_expired_or_never_settled_credits_nothing() {
    let (app, ocpay) = start("1.5", &[]).await;
    let cases = [
        (4011, PayScript::Fail { after_checks: 1 }, "was not completed: nothing was charged"),
        (4012, PayScript::Expire { after_checks: 1 }, "was not completed: nothing was charged"),
        (4013, PayScript::Pending, "We could not confirm your payment"),
    ];
    for (id, script, seen) in cases {
        ocpay.script_next(script);
        let u = app.customer_with(id, "en", 0).await;
        let link = open_link(&app, &u).await;
        let done = wait_msg(&app.tg, u.id, link.message_id, |m| m.plain.contains(seen)).await;
        assert!(pay_url(&done).is_none(), "{id}: no link left to pay");
    }
    // Given up at the end of the window: after checking to the end, and admins are told.
    let last = ocpay.refs()[2].clone();
    assert!(ocpay.check_count(&last) > 5, "checked until the end of the window");
    wait_last(&app.tg, ADMIN, |m| m.plain.contains("still not confirmed") && m.plain.contains(&last)).await;
    let store = app.store().await;
    for id in [4011, 4012, 4013] {
        assert_eq!(store.balances(id).await.unwrap().balance.get(), 0);
        assert!(topup_credits(&store, id).await.is_empty());
    }
    let statuses: Vec<TopupStatus> = futures_statuses(&store, &[1, 2, 3]).await.into_iter().map(|t| t.status).collect();
    assert_eq!(statuses, vec![TopupStatus::Failed, TopupStatus::Failed, TopupStatus::Expired]);
    ledger_ok(&app).await;
}

async fn futures_statuses(store: &Store, ids: &[i64]) -> Vec<netcard_bot::store::topups::Topup> {
    let mut v = Vec::new();
    for id in ids {
        v.push(store.topup(*id).await.unwrap().expect("top-up row"));
    }
    v
}

#[tokio::test]
async fn a_refused_or_lost_create_link_shows_no_url_and_a_slow_one_works() {
    let (app, ocpay) = start("5", &[]).await;
    let u = app.customer_with(4021, "en", 0).await;
    for fault in [CreateFault::ServerError, CreateFault::Lost] {
        ocpay.fault_next_create(fault);
        let m = choose(&app, &u, "tv:online").await;
        app.tg.press(&u, m.message_id, "ta:2000");
        let failed = wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("could not be made")).await;
        assert!(pay_url(&failed).is_none(), "{fault:?}: no URL was shown");
    }
    // Sent once each, never repeated; both top-ups closed as failed, with no money.
    assert_eq!(ocpay.create_count(), 2);
    let store = app.store().await;
    for row in futures_statuses(&store, &[1, 2]).await {
        assert_eq!((row.status, row.payment_url.clone()), (TopupStatus::Failed, None), "{row:?}");
    }
    // The customer can start again; a slow answer (within the timeout) still gives the link.
    ocpay.fault_next_create(CreateFault::Slow(std::time::Duration::from_millis(300)));
    ocpay.script_next(PayScript::Confirm { after_checks: 0 });
    let link = open_link(&app, &u).await;
    wait_msg(&app.tg, u.id, link.message_id, |m| m.plain.contains("Paid")).await;
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 2000);
    assert_eq!(ocpay.create_count(), 3);
    ledger_ok(&app).await;
}

#[tokio::test]
async fn forbidden_hides_online_payment_and_admins_are_told_once() {
    let (app, ocpay) = start("5", &[]).await;
    ocpay.fault_next_create(CreateFault::Forbidden);
    let u = app.customer_with(4031, "en", 0).await;
    let m = choose(&app, &u, "tv:online").await;
    app.tg.press(&u, m.message_id, "ta:2000");
    let refused = wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("Online payment is not available")).await;
    assert!(pay_url(&refused).is_none());
    wait_last(&app.tg, ADMIN, |m| m.plain.contains("OCPay refused")).await;
    // The next customers only see the transfer; no more createLink and no second notice.
    let v = app.customer_with(4032, "en", 0).await;
    for c in [&u, &v] {
        let before = app.tg.bot_messages(c.id).len();
        app.tg.send_text(c, "/topup");
        let menu = next_msg(&app, c.id, before, |m| m.has_button("Transfer or cash")).await;
        assert!(!menu.has_button("Pay online"), "{:?}", menu.buttons());
        assert!(menu.plain.contains("Online payment is not available"), "{}", menu.plain);
    }
    assert_eq!(ocpay.create_count(), 1);
    let notices = app.tg.bot_messages(ADMIN).into_iter().filter(|m| m.plain.contains("OCPay refused")).count();
    assert_eq!(notices, 1, "admins are told once");
    ledger_ok(&app).await;
}

#[tokio::test]
async fn topup_while_a_link_is_open_shows_that_link() {
    let (app, ocpay) = start("30", &[]).await;
    ocpay.script_next(PayScript::Pending);
    let u = app.customer_with(4041, "en", 0).await;
    let link = open_link(&app, &u).await;
    let before = app.tg.bot_messages(u.id).len();
    app.tg.send_text(&u, "/topup");
    let again = next_msg(&app, u.id, before, |m| m.plain.contains("already have a payment link open")).await;
    assert_eq!(pay_url(&again), pay_url(&link));
    assert_eq!(ocpay.create_count(), 1, "no second link");
}

#[tokio::test]
async fn a_restart_while_a_payment_is_pending_credits_it_once_after() {
    let (mut app, ocpay) = start("600", &[]).await;
    ocpay.script_next(PayScript::Pending);
    let u = app.customer_with(4051, "en", 0).await;
    let link = open_link(&app, &u).await;
    let r = ocpay.refs()[0].clone();
    app.oc.wait_for(WAIT, |_| (ocpay.check_count(&r) >= 2).then_some(())).await;
    app.stop().await;
    // Paid while the bot was down.
    ocpay.set_status(&r, "CONFIRMED");
    app.launch().await;
    let paid = wait_msg(&app.tg, u.id, link.message_id, |m| m.plain.contains("Paid")).await;
    assert!(paid.plain.contains("New balance: 2\u{202f}000\u{a0}DA"), "{}", paid.plain);
    // Another restart changes nothing.
    app.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let store = app.store().await;
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 2000);
    assert_eq!(topup_credits(&store, u.id).await, vec![(2000, MoneySource::Online)]);
    let paid_notices = app.tg.bot_messages(ADMIN).into_iter().filter(|m| m.plain.contains(&r)).count();
    assert_eq!(paid_notices, 1);
    ledger_ok(&app).await;
}

#[tokio::test]
async fn a_receipt_is_approved_once_despite_a_double_tap_and_a_forged_one() {
    let (app, _ocpay) = start("5", &[]).await;
    let u = app.customer_with(4061, "en", 0).await;
    let prompt = to_receipt(&app, &u, "1 500").await;
    assert!(prompt.plain.contains("photo of the receipt"), "{}", prompt.plain);
    // Text where a photo is expected: asked again, nothing written.
    app.tg.send_text(&u, "I paid yesterday");
    wait_last(&app.tg, u.id, |m| m.plain.contains("Please send the receipt as a photo")).await;
    let before = app.tg.bot_messages(u.id).len();
    app.tg.send_sticker(&u);
    next_msg(&app, u.id, before, |m| m.plain.contains("Please send the receipt as a photo")).await;
    let before = app.tg.bot_messages(u.id).len();
    assert!(app.store().await.topup(1).await.unwrap().is_none());

    let request = send_receipt(&app, &u, ADMIN).await;
    let waiting = next_msg(&app, u.id, before, |m| m.plain.contains("waiting for review")).await;
    assert!(waiting.plain.contains("1\u{202f}500\u{a0}DA"), "{}", waiting.plain);
    assert!(request.plain.contains("Amount declared: 1\u{202f}500\u{a0}DA") && request.plain.contains("4061"));
    let photo = app.tg.bot_messages(ADMIN).into_iter().rev().find(|m| m.media.as_deref() == Some("photo"));
    assert!(photo.is_some(), "the receipt itself reaches the admin");

    // A customer forging the admin's button: refused, nothing credited.
    app.tg.press(&u, waiting.message_id, "tok:1");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let store = app.store().await;
    assert_eq!(store.topup(1).await.unwrap().unwrap().status, TopupStatus::Pending);
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 0);

    let admin = app.user(ADMIN, "en");
    // Two taps before the first is answered: the same payload twice.
    app.tg.press(&admin, request.message_id, "tok:1");
    app.tg.press(&admin, request.message_id, "tok:1");
    let decided = wait_msg(&app.tg, ADMIN, request.message_id, |m| m.plain.contains("Approved by")).await;
    assert!(decided.buttons().is_empty(), "{:?}", decided.buttons());
    let approved = wait_last(&app.tg, u.id, |m| m.plain.contains("Receipt approved")).await;
    assert!(approved.plain.contains("New balance: 1\u{202f}500\u{a0}DA"), "{}", approved.plain);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 1500);
    assert_eq!(topup_credits(&store, u.id).await, vec![(1500, MoneySource::Transfer)]);
    let told = app.tg.bot_messages(u.id).into_iter().filter(|m| m.plain.contains("Receipt approved")).count();
    assert_eq!(told, 1, "told once");
    ledger_ok(&app).await;
}

#[tokio::test]
async fn two_admins_at_once_other_amount_reject_and_the_waiting_limit() {
    let (app, _ocpay) = start("5", &[("ADMIN_IDS", "900,901")]).await;
    let second = app.customer_with(901, "en", 0).await;
    let u = app.customer_with(4071, "en", 0).await;
    let mut requests = Vec::new();
    for amount in ["1 500", "2000", "3000DA"] {
        to_receipt(&app, &u, amount).await;
        let r900 = send_receipt(&app, &u, ADMIN).await;
        let r901 = wait_last(&app.tg, 901, |m| m.plain.contains(&format!("#{}", requests.len() + 1))).await;
        requests.push((r900, r901));
    }
    // A fourth while three wait: refused before any amount is asked.
    let before = app.tg.bot_messages(u.id).len();
    app.tg.send_text(&u, "/topup");
    let m = next_msg(&app, u.id, before, |m| m.has_button("Transfer or cash")).await;
    app.tg.press_button(&u, m.message_id, "Transfer or cash");
    wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("already have 3 receipts waiting")).await;

    // /topups lists them, oldest first.
    let admin = app.user(ADMIN, "en");
    let before = app.tg.bot_messages(ADMIN).len();
    app.tg.send_text(&admin, "/topups");
    let list = next_msg(&app, ADMIN, before, |m| m.plain.contains("Top-up requests waiting")).await;
    let (p1, p3) = (list.plain.find("#1 ").unwrap(), list.plain.find("#3 ").unwrap());
    assert!(p1 < p3, "{}", list.plain);

    // Both admins approve #1 at the same moment: one credit, both copies show who decided.
    app.tg.press(&admin, requests[0].0.message_id, "tok:1");
    app.tg.press(&second, requests[0].1.message_id, "tok:1");
    for (chat, msg) in [(ADMIN, requests[0].0.message_id), (901, requests[0].1.message_id)] {
        wait_msg(&app.tg, chat, msg, |m| m.plain.contains("Approved by") && m.buttons().is_empty()).await;
    }
    // #2: another amount received, typed.
    app.tg.press_button(&admin, requests[1].0.message_id, "Other amount");
    wait_last(&app.tg, ADMIN, |m| m.plain.contains("Type the amount actually received")).await;
    app.tg.send_text(&admin, "1 800");
    wait_last(&app.tg, u.id, |m| m.plain.contains("1\u{202f}800\u{a0}DA received (you declared 2\u{202f}000\u{a0}DA)"))
        .await;
    // The other admin's copy shows the decision; its buttons are gone.
    wait_msg(&app.tg, 901, requests[1].1.message_id, |m| m.plain.contains("Approved by") && m.buttons().is_empty())
        .await;
    // #3: refused with a reason the customer reads.
    app.tg.press_button(&second, requests[2].1.message_id, "Reject");
    wait_last(&app.tg, 901, |m| m.plain.contains("Type the reason")).await;
    app.tg.send_text(&second, "no money received");
    wait_last(&app.tg, u.id, |m| m.plain.contains("Receipt refused") && m.plain.contains("no money received")).await;
    wait_msg(&app.tg, ADMIN, requests[2].0.message_id, |m| m.plain.contains("Refused by")).await;

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let store = app.store().await;
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 1500 + 1800);
    let mut credits = topup_credits(&store, u.id).await;
    credits.sort_by_key(|c| c.0);
    assert_eq!(credits, vec![(1500, MoneySource::Transfer), (1800, MoneySource::Transfer)]);
    ledger_ok(&app).await;
}

#[tokio::test]
async fn amounts_out_of_range_or_not_numbers_get_the_prompt_again() {
    let (app, ocpay) = start("5", &[]).await;
    let u = app.customer_with(4081, "en", 0).await;
    choose(&app, &u, "tv:online").await;
    for (typed, seen) in [
        ("100", "The minimum is 500\u{a0}DA"),
        ("200 000", "The maximum is 100\u{202f}000\u{a0}DA"),
        ("lots", "digits only"),
        ("1500.50", "digits only"),
    ] {
        let before = app.tg.bot_messages(u.id).len();
        app.tg.send_text(&u, typed);
        let m = next_msg(&app, u.id, before, |m| m.plain.contains(seen)).await;
        assert!(m.plain.contains("How much do you want to add"), "{typed}: the prompt again: {}", m.plain);
        assert!(m.has_button("2\u{202f}000\u{a0}DA"), "{typed}: {:?}", m.buttons());
    }
    // A suggested amount tapped on the latest prompt goes on to the link.
    let last = app.tg.last_bot_message(u.id).unwrap();
    app.tg.press(&u, last.message_id, "ta:2000");
    wait_msg(&app.tg, u.id, last.message_id, |m| pay_url(m).is_some()).await;
    app.tg.send_text(&u, "/cancel");
    choose(&app, &u, "tv:transfer").await;
    app.tg.send_text(&u, "/cancel");
    wait_last(&app.tg, u.id, |m| m.plain.contains("Top-up cancelled")).await;
    assert_eq!(ocpay.create_count(), 1);
}

fn tr(lang: Lang, key: &str, args: &[(&'static str, &str)]) -> String {
    let args: Vec<(&'static str, Arg)> = args.iter().map(|(k, v)| (*k, Arg::from(*v))).collect();
    t(lang, key, &args)
}

#[tokio::test]
async fn french_and_arabic_customers_top_up_in_their_language() {
    let (app, ocpay) = start("5", &[]).await;
    // French, online.
    ocpay.script_next(PayScript::Confirm { after_checks: 1 });
    let fr = app.customer_with(4091, "fr", 0).await;
    let before = app.tg.bot_messages(fr.id).len();
    app.tg.send_text(&fr, "/topup");
    let menu = next_msg(&app, fr.id, before, |m| m.has_button("Payer en ligne")).await;
    assert_eq!(menu.text, tr(Lang::Fr, "topup-choose-method", &[]));
    let link = open_link(&app, &fr).await;
    assert!(link.has_button(&tr(Lang::Fr, "topup-btn-pay", &[("amount", "2\u{202f}000")])), "{:?}", link.buttons());
    let paid = wait_msg(&app.tg, fr.id, link.message_id, |m| m.plain.contains("Payé")).await;
    let want = tr(Lang::Fr, "topup-online-paid", &[("amount", "2\u{202f}000"), ("balance", "2\u{202f}000")]);
    assert_eq!(paid.text, want);
    assert!(want.contains("\u{a0}DA"), "French puts a no-break space before DA: {want}");

    // Arabic, by transfer.
    let ar = app.customer_with(4092, "ar", 0).await;
    let m = choose(&app, &ar, "tv:transfer").await;
    assert!(m.text.contains(&tr(Lang::Ar, "topup-transfer-amount", &[("min", "500"), ("max", "100\u{202f}000")])));
    let before = app.tg.bot_messages(ar.id).len();
    app.tg.send_text(&ar, "1000");
    next_msg(&app, ar.id, before, |m| m.text == tr(Lang::Ar, "topup-send-receipt", &[])).await;
    let request = send_receipt(&app, &ar, ADMIN).await;
    wait_last(&app.tg, ar.id, |m| m.text == tr(Lang::Ar, "topup-receipt-waiting", &[("amount", "1\u{202f}000")])).await;
    app.tg.press_button(&app.user(ADMIN, "en"), request.message_id, "Approve");
    let want = tr(Lang::Ar, "topup-receipt-approved", &[("amount", "1\u{202f}000"), ("balance", "1\u{202f}000")]);
    wait_last(&app.tg, ar.id, |m| m.text == want).await;
    assert!(!want.contains("DA"), "Arabic says د.ج");
    ledger_ok(&app).await;
}

#[tokio::test]
async fn a_method_switched_on_without_what_it_needs_stops_the_start_naming_the_variable() {
    let app = TestApp::prepare(&[]).await;
    for (set, var) in [
        (vec![("TOPUP_METHODS", "transfer")], "TOPUP_TRANSFER_INSTRUCTIONS"),
        (vec![("TOPUP_METHODS", "online,card")], "TOPUP_METHODS"),
        (vec![("TOPUP_METHODS", "online"), ("TOPUP_MAX", "400")], "TOPUP_MAX"),
        (vec![("TOPUP_METHODS", "online"), ("OCPAY_FEE_MODE", "FREE")], "OCPAY_FEE_MODE"),
    ] {
        let mut vars = app.vars.clone();
        for (k, v) in &set {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        let mut p = crate::support::spawn_bot(&vars);
        let status = p.wait().await;
        let out = p.logs();
        assert_eq!(status.code(), Some(2), "{set:?}: {out}");
        let lines: Vec<&str> = out.lines().filter(|l| l.contains(var)).collect();
        assert_eq!(lines.len(), 1, "{set:?}: one line naming {var}: {out}");
    }
}

#[tokio::test]
async fn the_not_enough_balance_refusal_offers_a_top_up() {
    let (app, _ocpay) = start("5", &[]).await;
    let u = app.customer_with(4101, "en", 100).await;
    let summary = crate::support::flow::to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    app.tg.press_button(&u, summary.message_id, "Confirm");
    let refused = wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("Not enough balance")).await;
    app.tg.press_button(&u, refused.message_id, "Top up");
    let menu = wait_msg(&app.tg, u.id, refused.message_id, |m| m.has_button("Pay online")).await;
    assert!(menu.has_button("Transfer or cash"), "{:?}", menu.buttons());
}

const GROUP: i64 = -1_000_777;

/// The request (with its buttons) the bot posted in `chat` after `before` of its messages there.
async fn request_in(app: &TestApp, chat: i64, before: usize) -> BotMessage {
    next_msg(app, chat, before, |m| m.buttons().iter().any(|b| b.1.as_deref().is_some_and(|d| d.starts_with("tok:"))))
        .await
}

#[tokio::test]
async fn with_an_admin_chat_receipts_go_there_and_only_admins_decide_from_it() {
    let (app, _ocpay) = start("5", &[("ADMIN_CHAT_ID", "-1000777"), ("ADMIN_IDS", "900,901")]).await;
    let second = app.customer_with(901, "en", 0).await;
    let u = app.customer_with(4111, "en", 0).await;
    let admin = app.user(ADMIN, "en");
    let stranger = app.user(4119, "en");
    let store = app.store().await;

    to_receipt(&app, &u, "1 500").await;
    let before = app.tg.bot_messages(GROUP).len();
    app.tg.send_photo(&u, None);
    let request = request_in(&app, GROUP, before).await;
    assert!(request.plain.contains("Amount declared: 1\u{202f}500\u{a0}DA"), "{}", request.plain);
    let media: Vec<_> = app.tg.bot_messages(GROUP).into_iter().filter_map(|m| m.media).collect();
    assert_eq!(media, vec!["photo".to_owned()], "the receipt itself is in the group");
    for private in [ADMIN, 901] {
        let seen = app.tg.bot_messages(private);
        assert!(seen.iter().all(|m| !m.plain.contains("Top-up request") && m.media.is_none()), "{private}: {seen:?}");
    }

    // A group member who is not an admin: told so, nothing moves.
    let answered = app.tg.answered_callbacks().len();
    app.tg.press_in(&stranger, GROUP, request.message_id, "tok:1");
    let refusal = app.tg.wait_for(WAIT, |tg| tg.answered_callbacks().into_iter().nth(answered)).await;
    assert_eq!(refusal.1.as_deref(), Some("Only the shop's admins can decide on top-up requests."));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(store.topup(1).await.unwrap().unwrap().status, TopupStatus::Pending);
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 0);
    assert!(app.tg.bot_messages(GROUP).last().unwrap().has_button("Approve"), "the request still waits");

    // An admin approves from the group, twice at once: credited once, the group's copy says who.
    app.tg.press_in(&admin, GROUP, request.message_id, "tok:1");
    app.tg.press_in(&admin, GROUP, request.message_id, "tok:1");
    let decided = wait_msg(&app.tg, GROUP, request.message_id, |m| m.plain.contains("Approved by")).await;
    assert!(decided.buttons().is_empty(), "{:?}", decided.buttons());
    wait_last(&app.tg, u.id, |m| m.plain.contains("Receipt approved") && m.plain.contains("1\u{202f}500")).await;

    // "Other amount" from the group: asked in the admin's private chat, typed there.
    to_receipt(&app, &u, "2000").await;
    let before = app.tg.bot_messages(GROUP).len();
    app.tg.send_photo(&u, None);
    let request = request_in(&app, GROUP, before).await;
    let answered = app.tg.answered_callbacks().len();
    app.tg.press_in(&second, GROUP, request.message_id, "tam:2");
    let told = app.tg.wait_for(WAIT, |tg| tg.answered_callbacks().into_iter().nth(answered)).await;
    assert!(told.1.as_deref().is_some_and(|t| t.contains("private chat")), "{told:?}");
    wait_last(&app.tg, 901, |m| m.plain.contains("Type the amount actually received for request #2")).await;
    app.tg.send_text(&second, "1 800");
    wait_last(&app.tg, u.id, |m| m.plain.contains("1\u{202f}800\u{a0}DA received (you declared 2\u{202f}000\u{a0}DA)"))
        .await;
    wait_msg(&app.tg, GROUP, request.message_id, |m| m.plain.contains("Approved by") && m.buttons().is_empty()).await;

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 1500 + 1800);
    let mut credits = topup_credits(&store, u.id).await;
    credits.sort_by_key(|c| c.0);
    assert_eq!(credits, vec![(1500, MoneySource::Transfer), (1800, MoneySource::Transfer)]);
    let approvals = app.tg.bot_messages(u.id).into_iter().filter(|m| m.plain.contains("Receipt approved")).count();
    assert_eq!(approvals, 2, "told once each");
    ledger_ok(&app).await;
}

#[tokio::test]
async fn a_pdf_receipt_reaches_the_admins_as_a_document_and_other_files_are_refused() {
    let (app, _ocpay) = start("5", &[]).await;
    let u = app.customer_with(4121, "en", 0).await;
    to_receipt(&app, &u, "2500").await;
    // Not a PDF nor an image: asked again, nothing written.
    let before = app.tg.bot_messages(u.id).len();
    app.tg.send_document(&u, "receipt.zip", "application/zip");
    next_msg(&app, u.id, before, |m| m.plain.contains("Please send the receipt as a photo or a PDF document")).await;
    assert!(app.store().await.topup(1).await.unwrap().is_none());

    let before_admin = app.tg.bot_messages(ADMIN).len();
    app.tg.send_document(&u, "reçu CCP.pdf", "application/pdf");
    let request = request_in(&app, ADMIN, before_admin).await;
    assert!(request.plain.contains("Amount declared: 2\u{202f}500\u{a0}DA"), "{}", request.plain);
    let media: Vec<_> = app.tg.bot_messages(ADMIN).into_iter().skip(before_admin).filter_map(|m| m.media).collect();
    assert_eq!(media, vec!["document".to_owned()], "the PDF itself reaches the admin, as a document");
    // The document sent on is the customer's own file, which Telegram serves by getFile.
    let sent = app.tg.calls_to("senddocument").pop().expect("a sendDocument call");
    let file_id = sent.body.get("document").and_then(|v| v.as_str()).unwrap().to_owned();
    assert_eq!(app.store().await.topup(1).await.unwrap().unwrap().receipt_file_id.as_deref(), Some(file_id.as_str()));
    let url = format!("{}/bot{}/getFile", app.tg.api_url(), app.tg.token());
    let file: serde_json::Value = reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({ "file_id": file_id }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        file.pointer("/result/file_path").and_then(|v| v.as_str()),
        Some(format!("documents/{file_id}").as_str())
    );

    app.tg.press_button(&app.user(ADMIN, "en"), request.message_id, "Approve");
    wait_last(&app.tg, u.id, |m| m.plain.contains("Receipt approved") && m.plain.contains("2\u{202f}500")).await;
    let store = app.store().await;
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 2500);
    assert_eq!(topup_credits(&store, u.id).await, vec![(2500, MoneySource::Transfer)]);
    ledger_ok(&app).await;
}

/// The bot process killed while OCPay holds its createLink, then started again: the top-up row
/// (written before the call) is closed as failed once its answer deadline passes, the customer is
/// told on the message that said "preparing", and createLink is never sent again for it (it has no
/// idempotency key; the orphan link was never shown, so nobody can pay it, and it expires unused).
#[tokio::test]
async fn killed_during_create_link_closes_the_top_up_once_and_never_makes_a_second_link() {
    let mut v = vars("600");
    // The request outlasts the moments between the fake seeing it and the kill; the deadline is
    // the shortest the bot accepts (one request timeout).
    v.extend_from_slice(&[
        ("ONECLICK_TIMEOUT_SECS", "3"),
        ("RECONCILE_GRACE_SECS", "12"),
        ("TOPUP_LINK_ANSWER_DEADLINE", "3"),
    ]);
    let app = TestApp::prepare(&v).await;
    let ocpay = FakeOcpay::of(&app.oc.base_url());
    let mut p = crate::support::spawn_bot(&app.vars);
    app.tg.wait_for(WAIT, |tg| (tg.call_count("getupdates") > 0).then_some(())).await;
    let u = app.customer_with(4131, "en", 0).await;

    ocpay.fault_next_create(CreateFault::Lost);
    let m = choose(&app, &u, "tv:online").await;
    app.tg.press(&u, m.message_id, "ta:2000");
    app.oc.wait_for(WAIT, |_| (ocpay.create_count() == 1).then_some(())).await;
    let store = app.store().await;
    let row = store.topup(1).await.unwrap().expect("the row is written before createLink leaves");
    assert_eq!((row.status, row.payment_ref.clone()), (TopupStatus::Creating, None), "{row:?}");
    p.kill();
    assert_eq!(store.topup(1).await.unwrap().unwrap().status, TopupStatus::Creating, "killed before any answer");

    let mut p2 = crate::support::spawn_bot(&app.vars);
    let told = wait_msg(&app.tg, u.id, m.message_id, |m| m.plain.contains("could not be made")).await;
    assert!(pay_url(&told).is_none(), "no URL was ever shown");
    assert!(told.plain.contains("Nothing was charged"), "{}", told.plain);
    let row = store.topup(1).await.unwrap().unwrap();
    assert_eq!((row.status, row.failure_reason.as_deref()), (TopupStatus::Failed, Some("answer_lost")), "{row:?}");
    assert_eq!((row.payment_ref, row.payment_url), (None, None));
    // Never asked again, and the orphan link OCPay made is never checked.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(ocpay.create_count(), 1, "no second link for the same top-up");
    let orphan = ocpay.refs()[0].clone();
    assert_eq!(ocpay.check_count(&orphan), 0);

    // The customer starts again: a new top-up, a new link, credited once.
    ocpay.script_next(PayScript::Confirm { after_checks: 0 });
    let link = open_link(&app, &u).await;
    let paid = wait_msg(&app.tg, u.id, link.message_id, |m| m.plain.contains("Paid")).await;
    assert!(paid.plain.contains("New balance: 2\u{202f}000\u{a0}DA"), "{}", paid.plain);
    assert_eq!(ocpay.create_count(), 2);
    let failed_told = app.tg.bot_messages(u.id).into_iter().filter(|m| m.plain.contains("could not be made")).count();
    assert_eq!(failed_told, 1, "told once");
    assert_eq!(store.balances(u.id).await.unwrap().balance.get(), 2000);
    assert_eq!(topup_credits(&store, u.id).await, vec![(2000, MoneySource::Online)]);
    ledger_ok(&app).await;
    assert!(p2.terminate().await.success(), "{}", p2.logs());
}
