//! Proves the fakes behave like the real services by driving them with the real client
//! libraries: teloxide for the Bot API, reqwest for OneClickDZ.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use teloxide::payloads::{
    EditMessageTextSetters, GetUpdatesSetters, SendMessageSetters, SendPhotoSetters, SetChatMenuButtonSetters,
    SetMyCommandsSetters, SetWebhookSetters,
};
use teloxide::prelude::*;
use teloxide::types::{
    AllowedUpdate, BotCommand, BotCommandScope, CallbackQueryId, ChatMemberKind, InlineKeyboardButton,
    InlineKeyboardMarkup, InputFile, MediaKind, MenuButton, MessageId, MessageKind, ParseMode, UpdateKind,
};
use teloxide::{ApiError, RequestError};

use testkit::fake_oneclick::CARD_CODE_PREFIX;
use testkit::fake_telegram::{BOT_ID, BOT_USERNAME};
use testkit::{FakeOneClick, FakeTelegram, FloodLimits, Script};

const T: Duration = Duration::from_secs(5);

fn bot(fake: &FakeTelegram) -> Bot {
    Bot::new(fake.token()).set_api_url(fake.api_url().parse().expect("api url"))
}

fn keyboard(rows: Vec<Vec<InlineKeyboardButton>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows)
}

fn api_err<T: std::fmt::Debug>(r: Result<T, RequestError>) -> ApiError {
    match r {
        Err(RequestError::Api(e)) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Fake Telegram

#[tokio::test]
async fn tg_get_me_and_webhook_info() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let me = bot.get_me().await.expect("getMe deserializes");
    assert_eq!(me.id.0 as i64, BOT_ID);
    assert_eq!(me.username(), BOT_USERNAME);
    assert!(me.is_bot);
    let info = bot.get_webhook_info().await.expect("getWebhookInfo deserializes");
    assert!(info.url.is_none());
    bot.delete_webhook().await.expect("deleteWebhook");
    let methods: Vec<String> = fake.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(methods, ["getme", "getwebhookinfo", "deletewebhook"]);
}

#[tokio::test]
async fn tg_send_edit_and_not_modified() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = fake.user(1001, "fr");
    let chat = ChatId(user.id);
    let kb = keyboard(vec![
        vec![InlineKeyboardButton::callback("Buy ADSL", "buy:adsl")],
        vec![InlineKeyboardButton::copy_text_button(
            "Copy",
            teloxide::types::CopyTextButton { text: "7788000000000001".into() },
        )],
    ]);
    let msg = bot
        .send_message(chat, "<b>Hello</b> &amp; welcome")
        .parse_mode(ParseMode::Html)
        .reply_markup(kb.clone())
        .await
        .expect("sendMessage returns a Message");
    assert_eq!(msg.chat.id, chat);
    assert!(msg.chat.is_private());
    assert_eq!(msg.text(), Some("Hello & welcome"), "Telegram returns the parsed text");
    assert_eq!(msg.from.as_ref().map(|u| u.id.0 as i64), Some(BOT_ID));
    assert_eq!(msg.reply_markup(), Some(&kb), "inline keyboard echoed");

    let stored = fake.last_bot_message(user.id).expect("message logged");
    assert_eq!(stored.message_id, msg.id.0);
    assert_eq!(stored.text, "<b>Hello</b> &amp; welcome");
    assert_eq!(stored.plain, "Hello & welcome");
    assert_eq!(stored.parse_mode.as_deref(), Some("HTML"));
    assert_eq!(stored.buttons(), vec![("Buy ADSL".to_owned(), Some("buy:adsl".to_owned())), ("Copy".to_owned(), None)]);
    assert!(stored.has_button("ADSL"));
    assert_eq!(stored.copy_text_buttons(), ["7788000000000001"]);

    // An edit without reply_markup removes the keyboard, as on Telegram.
    let edited = bot.edit_message_text(chat, msg.id, "Bye").await.expect("edit works");
    assert_eq!(edited.text(), Some("Bye"));
    assert!(edited.reply_markup().is_none());
    let stored = fake.last_bot_message(user.id).unwrap();
    assert_eq!((stored.edits, stored.reply_markup.is_none()), (1, true));
    assert_eq!(stored.text_history, ["<b>Hello</b> &amp; welcome", "Bye"]);

    // The identical edit again is "not modified".
    let e = api_err(bot.edit_message_text(chat, msg.id, "Bye").await);
    assert_eq!(e, ApiError::MessageNotModified);
    // Same text but a new keyboard is a modification.
    bot.edit_message_text(chat, msg.id, "Bye").reply_markup(kb.clone()).await.expect("markup change");
    // editMessageReplyMarkup changes only the markup; the same markup again is "not modified".
    let kb2 = keyboard(vec![vec![InlineKeyboardButton::callback("Back", "back")]]);
    bot.edit_message_reply_markup(chat, msg.id).reply_markup(kb2.clone()).await.expect("markup edit");
    let e = api_err(bot.edit_message_reply_markup(chat, msg.id).reply_markup(kb2).await);
    assert_eq!(e, ApiError::MessageNotModified);
    let stored = fake.last_bot_message(user.id).unwrap();
    assert_eq!((stored.text.as_str(), stored.edits), ("Bye", 3));
    assert!(stored.has_button("Back") && !stored.has_button("Buy"));

    let e = api_err(bot.edit_message_text(chat, MessageId(999), "x").await);
    assert_eq!(e, ApiError::MessageToEditNotFound);

    bot.delete_message(chat, msg.id).await.expect("delete");
    let e = api_err(bot.delete_message(chat, msg.id).await);
    assert_eq!(e, ApiError::MessageToDeleteNotFound);
    assert!(fake.last_bot_message(user.id).is_none(), "deleted messages are skipped");
    assert!(fake.bot_messages(user.id)[0].deleted);
    let e = api_err(bot.edit_message_text(chat, msg.id, "again").await);
    assert_eq!(e, ApiError::MessageToEditNotFound);
}

#[tokio::test]
async fn tg_blocking_injection_and_validation_errors() {
    let fake = FakeTelegram::start().await;
    // Many sends into one chat: flood control is tested on its own.
    fake.set_flood_limits(None);
    let bot = bot(&fake);
    let user = fake.user(2002, "ar");
    let chat = ChatId(user.id);

    fake.block_user(user.id);
    assert_eq!(api_err(bot.send_message(chat, "hi").await), ApiError::BotBlocked);
    assert_eq!(api_err(bot.copy_message(chat, ChatId(1), MessageId(1)).await), ApiError::BotBlocked);
    fake.unblock_user(user.id);
    let m = bot.send_message(chat, "hi").await.expect("unblocked");
    fake.deactivate_user(user.id);
    assert_eq!(api_err(bot.edit_message_text(chat, m.id, "x").await), ApiError::UserDeactivated);
    fake.unblock_user(user.id);

    fake.inject_error("sendMessage", 1, 429, "Too Many Requests: retry after 3", Some(3));
    match bot.send_message(chat, "flood").await {
        Err(RequestError::RetryAfter(s)) => assert_eq!(s.seconds(), 3),
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    bot.send_message(chat, "after flood").await.expect("injection used up");

    fake.inject_error("EDITMESSAGETEXT", 2, 400, "Bad Request: something odd", None);
    for _ in 0..2 {
        assert!(matches!(api_err(bot.edit_message_text(chat, m.id, "y").await), ApiError::Unknown(_)));
    }
    bot.edit_message_text(chat, m.id, "y").await.expect("two injections used up");

    // Strictness that catches real bugs before production does.
    let e = api_err(bot.send_message(chat, "1 < 2").parse_mode(ParseMode::Html).await);
    assert!(matches!(e, ApiError::CantParseEntities(_)), "{e:?}");
    let e = api_err(bot.send_message(chat, "<b>open").parse_mode(ParseMode::Html).await);
    assert!(matches!(e, ApiError::CantParseEntities(_)), "{e:?}");
    let long_data = "x".repeat(65);
    let kb = keyboard(vec![vec![InlineKeyboardButton::callback("b", long_data)]]);
    assert_eq!(api_err(bot.send_message(chat, "kb").reply_markup(kb).await), ApiError::ButtonDataInvalid);
    assert_eq!(api_err(bot.send_message(chat, " ").await), ApiError::MessageTextIsEmpty);
    assert_eq!(api_err(bot.send_message(chat, "é".repeat(4097)).await), ApiError::MessageIsTooLong);
    assert_eq!(api_err(bot.answer_callback_query(CallbackQueryId("nope".to_owned())).await), ApiError::InvalidQueryId);

    let sends = fake.calls_to("SendMessage");
    assert_eq!(sends.len(), fake.call_count("sendmessage"));
    assert_eq!(sends[0].body["text"], "hi");
    assert_eq!(sends[0].body["chat_id"], 2002);
}

#[tokio::test]
async fn tg_updates_deserialize_and_offset_confirms() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = fake.user(3003, "en");

    let start_id = fake.send_text(&user, "/start ref42");
    let menu = bot
        .send_message(ChatId(user.id), "Menu")
        .reply_markup(keyboard(vec![vec![InlineKeyboardButton::callback("4G cards", "menu:4g")]]))
        .await
        .unwrap();
    assert_eq!((start_id, menu.id.0), (1, 2), "user and bot messages share the chat counter");
    let cb_id = fake.press_button(&user, menu.id.0, "4G");
    fake.send_my_chat_member(&user, true);
    let sticker_id = fake.send_sticker(&user);
    fake.send_photo(&user, Some("receipt"));
    assert_eq!(sticker_id, 3);
    assert_eq!(fake.pending_updates(), 5);

    let updates = bot.get_updates().await.expect("getUpdates");
    assert_eq!(updates.len(), 5);
    for u in &updates {
        assert!(!matches!(u.kind, UpdateKind::Error(_)), "teloxide failed to parse {:?}", u.kind);
    }
    let UpdateKind::Message(m) = &updates[0].kind else { panic!("{:?}", updates[0].kind) };
    assert_eq!(m.text(), Some("/start ref42"));
    assert_eq!(m.chat.id.0, user.id);
    let from = m.from.as_ref().unwrap();
    assert_eq!((from.id.0 as i64, from.language_code.as_deref()), (user.id, Some("en")));
    let entities = m.entities().unwrap();
    assert_eq!((entities[0].offset, entities[0].length), (0, 6));

    let UpdateKind::CallbackQuery(q) = &updates[1].kind else { panic!("{:?}", updates[1].kind) };
    assert_eq!(q.id.0, cb_id);
    assert_eq!(q.data.as_deref(), Some("menu:4g"));
    assert_eq!(q.from.id.0 as i64, user.id);
    let qm = q.regular_message().expect("the pressed message is accessible");
    assert_eq!(qm.id, menu.id);
    assert!(qm.reply_markup().is_some(), "callback carries the current markup");

    let UpdateKind::MyChatMember(cm) = &updates[2].kind else { panic!("{:?}", updates[2].kind) };
    assert!(matches!(cm.old_chat_member.kind, ChatMemberKind::Member(_)));
    assert!(matches!(cm.new_chat_member.kind, ChatMemberKind::Banned(_)));
    assert_eq!(cm.new_chat_member.user.id.0 as i64, BOT_ID);
    assert_eq!(
        api_err(bot.send_message(ChatId(user.id), "x").await),
        ApiError::BotBlocked,
        "a my_chat_member block also blocks sends"
    );

    let UpdateKind::Message(s) = &updates[3].kind else { panic!() };
    assert!(matches!(&s.kind, MessageKind::Common(c) if matches!(c.media_kind, MediaKind::Sticker(_))));
    assert!(s.text().is_none());
    let UpdateKind::Message(p) = &updates[4].kind else { panic!() };
    assert!(p.photo().is_some());
    assert_eq!(p.caption(), Some("receipt"));

    // Not confirmed yet: the same batch comes back.
    assert_eq!(bot.get_updates().await.unwrap().len(), 5);
    let last = updates[4].id.0 as i32;
    let rest = bot.get_updates().offset(last).await.unwrap();
    assert_eq!(rest.len(), 1, "offset = last id keeps only the last update");
    assert_eq!(bot.get_updates().offset(last + 1).await.unwrap().len(), 0);
    assert_eq!(fake.pending_updates(), 0);

    bot.answer_callback_query(CallbackQueryId(cb_id.clone())).text("ok").await.expect("issued id is valid");
    assert_eq!(fake.answered_callbacks(), [(cb_id, Some("ok".to_owned()))]);

    // limit is honoured.
    for i in 0..3 {
        fake.send_text(&user, &format!("m{i}"));
    }
    assert_eq!(bot.get_updates().offset(last + 1).limit(2).await.unwrap().len(), 2);
}

#[tokio::test]
async fn tg_long_poll_waits_and_returns_early() {
    let fake = Arc::new(FakeTelegram::start().await);
    let bot = bot(&fake);
    let user = fake.user(4004, "fr");

    let t0 = Instant::now();
    assert!(bot.get_updates().timeout(1).await.unwrap().is_empty());
    let idle = t0.elapsed();
    assert!(idle >= Duration::from_millis(900), "long poll returned after {idle:?}");

    let f2 = fake.clone();
    let u2 = user.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        f2.send_text(&u2, "hello");
    });
    let t0 = Instant::now();
    let ups = bot.get_updates().timeout(8).await.unwrap();
    let waited = t0.elapsed();
    assert_eq!(ups.len(), 1);
    assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(3), "waited {waited:?}");

    // allowed_updates is remembered and filters updates created afterwards.
    let offset = ups[0].id.as_offset();
    bot.get_updates().offset(offset).allowed_updates([AllowedUpdate::Message]).await.unwrap();
    assert_eq!(fake.allowed_updates(), Some(vec!["message".to_owned()]));
    fake.send_my_chat_member(&user, false);
    assert_eq!(fake.pending_updates(), 0, "my_chat_member filtered out");
    fake.send_text(&user, "still delivered");
    assert_eq!(fake.pending_updates(), 1);
}

#[tokio::test]
async fn tg_wait_helpers_copy_and_commands() {
    let fake = Arc::new(FakeTelegram::start().await);
    let bot = bot(&fake);
    let user = fake.user(5005, "ar");
    let other = fake.user(5006, "fr");

    let b2 = bot.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        b2.send_message(ChatId(5005), "Your code: <code>123</code>").parse_mode(ParseMode::Html).await.unwrap();
    });
    let m = fake.wait_message(user.id, T, |m| m.plain.contains("code: 123")).await;
    assert_eq!(m.text, "Your code: <code>123</code>");
    let n = fake.wait_for(T, |f| Some(f.call_count("sendMessage")).filter(|n| *n == 1)).await;
    assert_eq!(n, 1);

    // copyMessage copies the original text when the fake knows it.
    let src = fake.send_text(&user, "broadcast body");
    let copied = bot.copy_message(ChatId(other.id), ChatId(user.id), MessageId(src)).await.unwrap();
    let c = fake.last_bot_message(other.id).unwrap();
    assert_eq!((c.message_id, c.text.as_str()), (copied.0, "broadcast body"));
    // Copying a message that does not exist is refused, as Telegram does.
    let e = api_err(bot.copy_message(ChatId(other.id), ChatId(-100), MessageId(7)).await);
    assert!(matches!(e, ApiError::MessageToCopyNotFound), "{e:?}");
    assert_eq!(fake.copies().len(), 1);

    let cmds = vec![BotCommand::new("start", "Start"), BotCommand::new("orders", "My orders")];
    bot.set_my_commands(cmds.clone()).language_code("ar").await.unwrap();
    bot.set_my_commands(vec![BotCommand::new("admin", "Admin")])
        .scope(BotCommandScope::Chat { chat_id: teloxide::types::Recipient::Id(ChatId(9)) })
        .await
        .unwrap();
    let sets = fake.my_commands();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0].language_code.as_deref(), Some("ar"));
    assert_eq!(sets[1].scope.as_ref().unwrap()["type"], "chat");
    assert_eq!(bot.get_my_commands().language_code("ar").await.unwrap(), cmds);
    assert!(bot.get_my_commands().await.unwrap().is_empty());
    let e = api_err(bot.set_my_commands(vec![BotCommand::new("Start", "bad")]).await);
    assert!(matches!(e, ApiError::Unknown(ref s) if s.contains("BOT_COMMAND_INVALID")), "{e:?}");

    // A timeout panics with a dump that names the recent calls.
    let f2 = fake.clone();
    let res = tokio::spawn(async move {
        f2.wait_for(Duration::from_millis(100), |_| None::<()>).await;
    })
    .await;
    let panic = res.expect_err("wait_for must panic on timeout").into_panic();
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("timed out") && msg.contains("copymessage"), "{msg}");
}

/// teloxide's own Dispatcher (getWebhookInfo, getMe, long polling with offsets and
/// allowed_updates hints, Throttle) runs against the fake end to end.
///
/// It is stopped through the listener's stop token, not `Dispatcher::shutdown_token`: teloxide
/// 0.17 signals that one with `Notify::notify_waiters`, which is lost when the dispatch loop is
/// between two waits, and the dispatcher then never stops (it hung CI on a loaded 2-core machine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tg_real_dispatcher_roundtrip() {
    use teloxide::adaptors::Throttle;
    use teloxide::adaptors::throttle::Limits;
    use teloxide::types::{CallbackQuery, Message};
    use teloxide::update_listeners::{self, UpdateListener};

    let fake = FakeTelegram::start().await;
    let user = fake.user(7007, "fr");
    let bot = bot(&fake).throttle(Limits::default());

    let handler = dptree::entry()
        .branch(Update::filter_message().endpoint(|bot: Throttle<Bot>, msg: Message| async move {
            let kb = keyboard(vec![vec![InlineKeyboardButton::callback("Pay 500", "pay:500")]]);
            let text = format!("echo: {}", msg.text().unwrap_or("(no text)"));
            bot.send_message(msg.chat.id, text).reply_markup(kb).await?;
            respond(())
        }))
        .branch(Update::filter_callback_query().endpoint(|bot: Throttle<Bot>, q: CallbackQuery| async move {
            bot.answer_callback_query(q.id.clone()).await?;
            if let Some(m) = q.regular_message() {
                let data = q.data.clone().unwrap_or_default();
                bot.edit_message_text(m.chat.id, m.id, format!("pressed {data}")).await?;
            }
            respond(())
        }));
    let mut listener =
        update_listeners::Polling::builder(bot.clone()).timeout(Duration::from_secs(10)).delete_webhook().await.build();
    let stop = listener.stop_token();
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let task = tokio::spawn(async move {
        dispatcher.dispatch_with_listener(listener, LoggingErrorHandler::new()).await;
    });

    fake.send_text(&user, "hi");
    let m = fake.wait_message(user.id, T, |m| m.plain == "echo: hi").await;
    fake.press_button(&user, m.message_id, "Pay");
    let edited = fake.wait_message(user.id, T, |m| m.plain == "pressed pay:500").await;
    assert_eq!((edited.message_id, edited.reply_markup.is_none()), (m.message_id, true));
    fake.wait_for(T, |f| (f.answered_callbacks().len() == 1).then_some(())).await;
    fake.send_sticker(&user);
    fake.wait_message(user.id, T, |m| m.plain == "echo: (no text)").await;

    let allowed = fake.allowed_updates().expect("the dispatcher hints allowed_updates");
    assert!(allowed.contains(&"message".to_owned()) && allowed.contains(&"callback_query".to_owned()));
    let first: Vec<String> = fake.calls().into_iter().take(2).map(|c| c.method).collect();
    assert_eq!(first, ["getwebhookinfo", "getme"]);

    let t0 = Instant::now();
    stop.stop();
    tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("the dispatcher stops within 3 s of its stop token")
        .unwrap();
    assert!(t0.elapsed() < Duration::from_secs(3), "shutdown took {:?}", t0.elapsed());
    assert_eq!(fake.pending_updates(), 0, "all updates confirmed by the final offset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tg_survives_concurrent_load() {
    let fake = FakeTelegram::start().await;
    fake.set_flood_limits(None);
    let bot = bot(&fake);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..400 {
        let b = bot.clone();
        set.spawn(async move { b.send_message(ChatId(6000 + i % 4), format!("n{i}")).await.map(|m| m.id.0) });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        r.unwrap().expect("every send succeeds");
        ok += 1;
    }
    assert_eq!(ok, 400);
    for chat in 6000..6004 {
        let ids: Vec<i32> = fake.bot_messages(chat).iter().map(|m| m.message_id).collect();
        assert_eq!(ids, (1..=100).collect::<Vec<_>>(), "per-chat ids are dense and unique");
    }
}

// ---------------------------------------------------------------------------------------------
// Fake OneClickDZ

async fn oc_get(oc: &FakeOneClick, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", oc.base_url()))
        .header("X-Access-Token", oc.api_key())
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.json().await.expect("json body"))
}

async fn oc_send(oc: &FakeOneClick, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/v3/internet/send", oc.base_url()))
        .header("X-Access-Token", oc.api_key())
        .json(&body)
        .send()
        .await
        .expect("request");
    (r.status().as_u16(), r.json().await.expect("json body"))
}

fn topup(kind: &str, number: &str, value: i64, r: &str) -> Value {
    json!({ "type": kind, "number": number, "value": value, "ref": r })
}

#[tokio::test]
async fn oc_account_and_products() {
    let oc = FakeOneClick::start().await;
    let (s, v) = oc_get(&oc, "/v3/internet/products?type=ADSL").await;
    assert_eq!(s, 200);
    assert_eq!(v["success"], true);
    assert_eq!(v["meta"]["type"], "ADSL");
    let products = v["data"]["products"].as_array().unwrap();
    let values: Vec<i64> = products.iter().map(|p| p["value"].as_i64().unwrap()).collect();
    assert_eq!(values, [500, 1000, 2000]);
    assert_eq!(products[1]["cost"].as_i64(), Some(980), "whole costs are integers");
    assert_eq!(products[1]["available"], true);
    assert!(v["requestId"].is_string());

    oc.set_available("4G", 1500, false);
    let (_, v) = oc_get(&oc, "/v3/internet/products?type=4G").await;
    let p = v["data"]["products"].as_array().unwrap();
    assert_eq!(p.len(), 4);
    assert_eq!((p[1]["value"].as_i64(), &p[1]["available"]), (Some(1500), &json!(false)));
    oc.set_products("ADSL", vec![(500, 489.5, true)]);
    let (_, v) = oc_get(&oc, "/v3/internet/products?type=ADSL").await;
    assert_eq!(v["data"]["products"][0]["cost"].as_f64(), Some(489.5));

    let (s, v) = oc_get(&oc, "/v3/internet/products").await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("ERR_VALIDATION")));

    let (s, v) = oc_get(&oc, "/v3/validate").await;
    assert_eq!((s, v["data"]["apiKey"]["type"].as_str()), (200, Some("SANDBOX")));
    assert_eq!(v["data"]["username"], "+213665983439");
    oc.set_environment("PRODUCTION");
    assert_eq!(oc_get(&oc, "/v3/validate").await.1["data"]["apiKey"]["type"], "PRODUCTION");
    oc.fail_validate(true);
    assert_eq!(oc_get(&oc, "/v3/validate").await.0, 503);
    oc.fail_validate(false);

    let (s, v) = oc_get(&oc, "/v3/account/balance").await;
    assert_eq!((s, v["data"]["balance"].as_f64()), (200, Some(100_000.0)));
    oc.set_balance(1326.13);
    assert_eq!(oc_get(&oc, "/v3/account/balance").await.1["data"]["balance"].as_f64(), Some(1326.13));

    let (s, v) = oc_get(&oc, "/v3/nope").await;
    assert_eq!((s, v["statusCode"].as_i64()), (404, Some(404)));
    assert_eq!(oc.request_count("validate"), 3);
}

#[tokio::test]
async fn oc_check_number() {
    let oc = FakeOneClick::start().await;
    let (s, v) = oc_get(&oc, "/v3/internet/check-number?type=4G&number=213665983439").await;
    assert_eq!((s, v["data"]["type"].as_str()), (200, Some("4GLTE")));
    let (s, v) = oc_get(&oc, "/v3/internet/check-number?type=ADSL&number=036362608").await;
    assert_eq!((s, v["data"]["type"].as_str()), (200, Some("ADSL")));
    assert!(v["data"]["offre"].is_string());
    for bad in ["type=4G&number=0665983439", "type=4G&number=%2B213665983439", "type=ADSL&number=36362608"] {
        let (s, v) = oc_get(&oc, &format!("/v3/internet/check-number?{bad}")).await;
        assert_eq!((s, v["error"]["code"].as_str()), (400, Some("ERR_PHONE")), "{bad}");
    }
    oc.mark_invalid_number("021123456");
    let (s, v) = oc_get(&oc, "/v3/internet/check-number?type=ADSL&number=021123456").await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("ERR_PHONE")));
}

#[tokio::test]
async fn oc_send_then_fulfilled_with_card_code() {
    let oc = FakeOneClick::start().await;
    let (s, v) = oc_send(&oc, topup("ADSL", "036362608", 1000, "ord-1")).await;
    assert_eq!(s, 200, "{v}");
    let id = v["data"]["topupId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(v["data"]["topupRef"], "API-+213665983439-ord-1");
    assert_eq!(oc.balance(), 100_000.0 - 980.0);

    let (s, v) = oc_get(&oc, &format!("/v3/internet/check-id/{id}")).await;
    assert_eq!((s, v["data"]["status"].as_str()), (200, Some("HANDLING")));
    assert!(v["data"].get("card_code").is_none());
    assert_eq!(v["data"]["topup_amount"].as_i64(), Some(1000));
    assert_eq!(v["data"]["ref"], "ord-1");

    let (_, v) = oc_get(&oc, &format!("/v3/internet/check-id/{id}")).await;
    let d = &v["data"];
    assert_eq!(d["status"], "FULFILLED");
    let code = d["card_code"].as_str().unwrap();
    assert!(code.starts_with(CARD_CODE_PREFIX) && code.len() == 16, "{code}");
    assert_eq!(d["num_trans"], "AT-TEST-1");
    assert!(d["date_traitement"].as_str().unwrap().ends_with('Z'));
    assert_eq!(oc.card_code_for("ord-1").as_deref(), Some(code));

    let (_, v) = oc_get(&oc, "/v3/internet/check-ref/ord-1").await;
    assert_eq!(v["data"]["card_code"].as_str(), Some(code));
    assert_eq!(oc.check_count("ord-1"), 3);

    let (s, v) = oc_get(&oc, "/v3/internet/check-ref/missing").await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "NOT_FOUND");
    assert_eq!(v["error"]["message"], "Top-up with reference 'missing' not found");
    assert_eq!(oc_get(&oc, "/v3/internet/check-id/0123456789abcdef01234567").await.0, 404);

    // A second order for a 4G number gets a different code; list is newest first.
    oc_send(&oc, topup("4G", "213665983439", 1500, "ord-2")).await;
    oc.set_status("ord-2", "FULFILLED");
    assert_ne!(oc.card_code_for("ord-2"), oc.card_code_for("ord-1"));
    let (_, v) = oc_get(&oc, "/v3/internet/list?page=1&pageSize=1").await;
    assert_eq!(v["data"]["items"][0]["ref"], "ord-2");
    assert_eq!(v["data"]["items"][0]["type"], "4G");
    assert_eq!(v["data"]["pagination"]["totalPages"], 2);
    assert_eq!(oc.topup_refs(), ["ord-1", "ord-2"]);
}

#[tokio::test]
async fn oc_duplicate_ref_and_rejections() {
    let oc = FakeOneClick::start().await;
    assert_eq!(oc_send(&oc, topup("ADSL", "036362608", 500, "dup")).await.0, 200);
    let (s, v) = oc_send(&oc, topup("ADSL", "036362608", 500, "dup")).await;
    assert_eq!((s, v["error"]["code"].as_str()), (403, Some("DUPLICATED_REF")));
    assert_eq!(oc.send_count("dup"), 2);
    assert_eq!(oc.topup_refs().len(), 1);
    assert_eq!(oc.balance(), 100_000.0 - 490.0, "charged once");

    let (s, v) = oc_send(&oc, json!({ "type": "ADSL", "number": "036362608", "ref": "r1" })).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("ERR_VALIDATION")));
    let (s, v) = oc_send(&oc, topup("4G", "0665983439", 1000, "r2")).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("ERR_PHONE")));
    oc.set_available("ADSL", 2000, false);
    let (s, v) = oc_send(&oc, topup("ADSL", "036362608", 2000, "r3")).await;
    assert_eq!((s, v["error"]["code"].as_str()), (400, Some("ERR_STOCK")));
    oc.set_balance(100.0);
    let (s, v) = oc_send(&oc, topup("ADSL", "036362608", 500, "r4")).await;
    assert_eq!((s, v["error"]["code"].as_str()), (403, Some("INSUFFICIENT_BALANCE")));
    assert_eq!(v["error"]["details"]["required"].as_i64(), Some(490));
    assert_eq!(oc.topup_refs().len(), 1, "rejected sends create nothing");
    assert_eq!(oc.total_sends(), 6);
    assert_eq!(oc.balance(), 100.0);
}

#[tokio::test]
async fn oc_scripts_refund_queue_manual() {
    let oc = FakeOneClick::start().await;
    oc.script("036000001", Script::Refund { after_checks: 0 });
    oc.script("036000002", Script::Queue { after_checks: 1 });
    oc.script("036000003", Script::Manual);
    for (n, r) in [("036000001", "a"), ("036000002", "b"), ("036000003", "c")] {
        assert_eq!(oc_send(&oc, topup("ADSL", n, 1000, r)).await.0, 200);
    }
    assert_eq!(oc.balance(), 100_000.0 - 3.0 * 980.0);
    let status = |v: Value| v["data"]["status"].as_str().unwrap().to_owned();

    assert_eq!(status(oc_get(&oc, "/v3/internet/check-ref/a").await.1), "REFUNDED");
    assert_eq!(oc.balance(), 100_000.0 - 2.0 * 980.0, "refund returns the cost");
    assert_eq!(status(oc_get(&oc, "/v3/internet/check-ref/a").await.1), "REFUNDED");
    assert_eq!(oc.balance(), 100_000.0 - 2.0 * 980.0, "refunded once");

    assert_eq!(status(oc_get(&oc, "/v3/internet/check-ref/b").await.1), "HANDLING");
    for _ in 0..3 {
        assert_eq!(status(oc_get(&oc, "/v3/internet/check-ref/b").await.1), "QUEUED");
    }
    oc.set_status("b", "FULFILLED");
    let (_, v) = oc_get(&oc, "/v3/internet/check-ref/b").await;
    assert_eq!(v["data"]["status"], "FULFILLED");
    assert!(v["data"]["card_code"].as_str().unwrap().starts_with(CARD_CODE_PREFIX));

    for _ in 0..4 {
        assert_eq!(status(oc_get(&oc, "/v3/internet/check-ref/c").await.1), "HANDLING");
    }
    oc.set_status("c", "REFUNDED");
    assert_eq!(oc.status_of("c").as_deref(), Some("REFUNDED"));
    assert_eq!(oc.balance(), 100_000.0 - 980.0);
}

#[tokio::test]
async fn oc_auth_and_injected_errors() {
    let oc = FakeOneClick::start().await;
    let url = format!("{}/v3/account/balance", oc.base_url());
    let c = reqwest::Client::new();
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = c.get(&url).header("X-Access-Token", "wrong").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "INVALID_ACCESS_TOKEN");

    let body = json!({ "success": false, "error": { "code": "RATE_LIMIT_EXCEEDED", "message": "slow down" } });
    oc.inject_error("balance", 1, 429, body.clone());
    let (s, v) = oc_get(&oc, "/v3/account/balance").await;
    assert_eq!((s, v), (429, body));
    let (s, v) = oc_get(&oc, "/v3/account/balance").await;
    assert_eq!((s, v["success"].as_bool()), (200, Some(true)), "only once");
    assert_eq!(oc.request_count("balance"), 4);
    let (m, p, _) = oc.requests().last().cloned().unwrap();
    assert_eq!((m.as_str(), p.as_str()), ("GET", "/v3/account/balance"));
}

#[tokio::test]
async fn oc_accept_then_timeout_and_delays() {
    let oc = FakeOneClick::start().await;
    let client = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let send = |r: &str| {
        client
            .post(format!("{}/v3/internet/send", oc.base_url()))
            .header("X-Access-Token", oc.api_key())
            .json(&topup("ADSL", "036362608", 500, r))
            .send()
    };

    oc.send_accept_then_timeout(1, Duration::from_secs(2));
    let err = send("lost-1").await.expect_err("the response comes too late");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(oc.topup_refs(), ["lost-1"], "yet the top-up exists");
    let (s, v) = oc_get(&oc, "/v3/internet/check-ref/lost-1").await;
    assert_eq!((s, v["data"]["status"].as_str()), (200, Some("HANDLING")));
    // The injection is used up: the next send answers at once.
    assert_eq!(send("ok-2").await.unwrap().status().as_u16(), 200);

    // inject_delay holds the request before processing.
    oc.inject_delay("check-ref", 1, Duration::from_millis(600));
    let t0 = Instant::now();
    let (s, _) = oc_get(&oc, "/v3/internet/check-ref/ok-2").await;
    assert_eq!(s, 200);
    assert!(t0.elapsed() >= Duration::from_millis(550));
    let n = oc.wait_for(T, |o| Some(o.request_count("check-ref")).filter(|n| *n == 2)).await;
    assert_eq!(n, 2);

    // A send delayed before processing and abandoned by the client leaves no top-up.
    oc.inject_delay("send", 1, Duration::from_millis(800));
    assert!(send("abandoned").await.expect_err("client gives up").is_timeout());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(oc.send_count("abandoned"), 1, "the POST was received");
    assert_eq!(oc.topup_refs(), ["lost-1", "ok-2"], "but never processed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oc_survives_concurrent_load() {
    let oc = Arc::new(FakeOneClick::start().await);
    oc.set_balance(1_000_000.0);
    let client = reqwest::Client::new();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..300 {
        let (c, url, key) = (client.clone(), oc.base_url(), oc.api_key().to_owned());
        set.spawn(async move {
            let body = json!({ "type": "ADSL", "number": "036362608", "value": 500, "ref": format!("load-{i}") });
            let r = c.post(format!("{url}/v3/internet/send")).header("X-Access-Token", key).json(&body).send().await;
            r.map(|r| r.status().as_u16())
        });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().expect("request"), 200);
    }
    assert_eq!(oc.topup_refs().len(), 300);
    assert_eq!(oc.balance(), 1_000_000.0 - 300.0 * 490.0);
}

/// The fake is as strict as Telegram: unknown methods, callback answers, flood control; and it
/// knows the webhook, menu button and media methods the bot is growing into.
#[tokio::test]
async fn tg_strictness_webhook_media_and_flood_control() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = fake.user(5101, "en");

    // An unknown method is a 404, not a silent success.
    let url = format!("{}/bot{}/sendNothing", fake.api_url(), fake.token());
    let r: Value = reqwest::Client::new().post(&url).json(&json!({})).send().await.unwrap().json().await.unwrap();
    assert_eq!((r["ok"].clone(), r["error_code"].clone()), (json!(false), json!(404)), "{r}");

    // A callback query is answered once, and only while it is fresh.
    let sent = bot.send_message(ChatId(user.id), "pick").await.unwrap();
    let q = fake.press(&user, sent.id.0, "x");
    bot.answer_callback_query(CallbackQueryId(q.clone())).await.unwrap();
    let e = api_err(bot.answer_callback_query(CallbackQueryId(q)).await);
    assert!(matches!(e, ApiError::InvalidQueryId), "{e:?}");
    fake.set_callback_answer_timeout(Duration::from_millis(50));
    let q = fake.press(&user, sent.id.0, "x");
    tokio::time::sleep(Duration::from_millis(80)).await;
    let e = api_err(bot.answer_callback_query(CallbackQueryId(q)).await);
    assert!(matches!(e, ApiError::InvalidQueryId), "{e:?}");

    // setWebhook is recorded, getUpdates is refused while it is set, and a queued update can be
    // delivered to it by POST with the secret header.
    let hook = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/tg", hook.local_addr().unwrap());
    let got = Arc::new(std::sync::Mutex::new(Vec::<(Option<String>, Value)>::new()));
    let got2 = got.clone();
    let app = axum::Router::new().route(
        "/tg",
        axum::routing::post(move |h: axum::http::HeaderMap, axum::Json(v): axum::Json<Value>| {
            let got = got2.clone();
            async move {
                let secret = h.get(testkit::fake_telegram::SECRET_TOKEN_HEADER).map(|v| v.to_str().unwrap().to_owned());
                got.lock().unwrap().push((secret, v));
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(hook, app).await.unwrap() });
    bot.set_webhook(hook_url.parse().unwrap())
        .secret_token("s3cr3t".to_owned())
        .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
        .drop_pending_updates(true)
        .await
        .unwrap();
    let w = fake.webhook().expect("webhook recorded");
    assert_eq!(
        (w.url.as_str(), w.secret_token.as_deref(), w.drop_pending_updates),
        (hook_url.as_str(), Some("s3cr3t"), true)
    );
    assert_eq!(w.allowed_updates, Some(vec!["message".to_owned(), "callback_query".to_owned()]));
    assert_eq!(bot.get_webhook_info().await.unwrap().url.map(|u| u.to_string()), Some(hook_url.clone()));
    let e = bot.get_updates().await.unwrap_err();
    assert!(e.to_string().contains("webhook is active"), "{e}");
    fake.send_text(&user, "hello hook");
    assert_eq!(fake.deliver_to_webhook().await, [200]);
    let delivered = got.lock().unwrap().clone();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].0.as_deref(), Some("s3cr3t"));
    assert_eq!(delivered[0].1["message"]["text"], "hello hook");
    bot.delete_webhook().await.unwrap();
    assert!(fake.webhook().is_none());

    // Menu button, photo, document, getFile.
    let button = MenuButton::WebApp {
        text: "Shop".into(),
        web_app: teloxide::types::WebAppInfo { url: "https://example.org/app".parse().unwrap() },
    };
    bot.set_chat_menu_button().chat_id(ChatId(user.id)).menu_button(button).await.unwrap();
    let mb = fake.menu_buttons();
    assert_eq!((mb[0].0, mb[0].1["type"].clone()), (Some(user.id), json!("web_app")));
    let photo = bot
        .send_photo(ChatId(user.id), InputFile::memory(vec![1u8, 2, 3]).file_name("r.png"))
        .caption("Receipt")
        .await
        .unwrap();
    let m = fake.last_bot_message(user.id).unwrap();
    assert_eq!((m.message_id, m.media.as_deref(), m.plain.as_str()), (photo.id.0, Some("photo"), "Receipt"));
    let file_id = photo.photo().unwrap()[0].file.id.clone();
    let f = bot.get_file(file_id).await.unwrap();
    assert!(f.path.starts_with("photos/"), "{f:?}");
    assert!(bot.get_file("nope".into()).await.is_err());
    bot.send_document(ChatId(user.id), InputFile::memory(b"pdf".to_vec()).file_name("r.pdf")).await.unwrap();
    assert_eq!(fake.last_bot_message(user.id).unwrap().media.as_deref(), Some("document"));

    // Flood control: one chat gets a short burst, then 429 with retry_after; other chats are
    // not affected until the overall 30/s is reached.
    let flooded = fake.user(5102, "en");
    let mut refused = None;
    for i in 0..10 {
        if let Err(e) = bot.send_message(ChatId(flooded.id), format!("m{i}")).await {
            refused = Some((i, e));
            break;
        }
    }
    let (at, e) = refused.expect("a burst into one chat is refused");
    assert_eq!(at, 5, "the default burst per chat is 5");
    assert!(matches!(e, RequestError::RetryAfter(s) if s.seconds() >= 1), "{e:?}");
    // Fresh buckets: the sends above do not count against the overall limit.
    fake.set_flood_limits(Some(FloodLimits::default()));
    let mut overall = 0;
    for chat in 6000..6060 {
        if bot.send_message(ChatId(chat), "x").await.is_err() {
            break;
        }
        overall += 1;
    }
    // 30 at once, plus what refills while the loop runs.
    assert!((30..=45).contains(&overall), "about 30 a second overall, got {overall}");
    assert!(fake.flood_refusals() >= 2);
    fake.set_flood_limits(None);
    for i in 0..50 {
        bot.send_message(ChatId(flooded.id), format!("n{i}")).await.unwrap();
    }
}

#[tokio::test]
async fn oc_budget_hidden_sends_and_odd_statuses() {
    let oc = FakeOneClick::start().await;
    // The budget: past it, 429 RATE_LIMIT_EXCEEDED with Retry-After.
    oc.set_budget_per_minute(Some(3));
    for _ in 0..3 {
        assert_eq!(oc_get(&oc, "/v3/account/balance").await.0, 200);
    }
    let url = format!("{}/v3/account/balance", oc.base_url());
    let r = reqwest::Client::new().get(&url).header("X-Access-Token", oc.api_key()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let secs: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(oc.rate_limited(), 1);
    oc.set_budget_per_minute(None);

    // A send hidden for a while: NOT_FOUND by ref, then found.
    // Hidden long enough that a loaded machine still asks within it; then found without a fixed
    // sleep that must outlast it.
    oc.send_hidden_for(1, Duration::from_secs(1));
    let sent = Instant::now();
    assert_eq!(oc_send(&oc, topup("ADSL", "036000001", 1000, "h-1")).await.0, 200);
    assert_eq!(oc_get(&oc, "/v3/internet/check-ref/h-1").await.0, 404);
    while oc_get(&oc, "/v3/internet/check-ref/h-1").await.0 == 404 {
        assert!(sent.elapsed() < Duration::from_secs(10), "still hidden");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(sent.elapsed() >= Duration::from_secs(1), "hidden for the time set: {:?}", sent.elapsed());

    // 429 injected on /send.
    oc.inject_rate_limit("send", 1, 2);
    let (code, body) = oc_send(&oc, topup("ADSL", "036000002", 1000, "r-1")).await;
    assert_eq!((code, body["error"]["code"].clone()), (429, json!("RATE_LIMIT_EXCEEDED")));
    assert!(oc.status_of("r-1").is_none(), "a rate-limited send creates nothing");

    // FULFILLED without a card code, an undocumented status, FULFILLED then REFUNDED.
    oc.script("036000003", Script::FulfillWithoutCode { after_checks: 0 });
    oc.script("036000004", Script::Status { after_checks: 0, status: "PENDING_REVIEW" });
    oc.script("036000005", Script::FulfillThenRefund { after_checks: 0 });
    for (n, r) in [("036000003", "o-3"), ("036000004", "o-4"), ("036000005", "o-5")] {
        assert_eq!(oc_send(&oc, topup("ADSL", n, 1000, r)).await.0, 200);
    }
    let (_, b) = oc_get(&oc, "/v3/internet/check-ref/o-3").await;
    assert_eq!(b["data"]["status"], "FULFILLED");
    assert!(b["data"].get("card_code").is_none(), "{b}");
    let (_, b) = oc_get(&oc, "/v3/internet/check-ref/o-4").await;
    assert_eq!(b["data"]["status"], "PENDING_REVIEW");
    let before = oc.balance();
    let (_, b) = oc_get(&oc, "/v3/internet/check-ref/o-5").await;
    assert_eq!(b["data"]["status"], "FULFILLED");
    assert!(b["data"]["card_code"].as_str().is_some_and(|c| c.starts_with(CARD_CODE_PREFIX)));
    let (_, b) = oc_get(&oc, "/v3/internet/check-ref/o-5").await;
    assert_eq!(b["data"]["status"], "REFUNDED");
    assert!(oc.balance() > before, "the impossible refund returns the cost");
}
