//! A fake Telegram Bot API server on 127.0.0.1.
//!
//! The real bot (teloxide) talks to it over HTTP through `TELOXIDE_API_URL`. The fake keeps
//! a per-chat message log, long-polled update queue and a record of every call, and answers
//! with the same JSON shapes and error descriptions as Telegram so that teloxide maps them
//! to the same `ApiError` variants (strictness matters: teloxide silently drops what it
//! cannot deserialize).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, oneshot};

/// Token prefix; each fake's token ends with its port. A request with another token gets 401, so a
/// bot left over from another test that reaches a reused port stops instead of answering here.
pub const DEFAULT_TOKEN: &str = "123456:TEST-TOKEN";
/// Real bot ids equal the numeric prefix of their token.
pub const BOT_ID: i64 = 123456;
pub const BOT_USERNAME: &str = "netcard_test_bot";
pub const BOT_FIRST_NAME: &str = "NetCard Test Bot";

pub const MESSAGE_NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
pub const MESSAGE_TO_EDIT_NOT_FOUND: &str = "Bad Request: message to edit not found";
pub const MESSAGE_TO_DELETE_NOT_FOUND: &str = "Bad Request: message to delete not found";
pub const BOT_BLOCKED: &str = "Forbidden: bot was blocked by the user";
pub const USER_DEACTIVATED: &str = "Forbidden: user is deactivated";
/// Spelled as teloxide matches it (Telegram writes "query ID"; teloxide compares exactly).
pub const QUERY_ID_INVALID: &str = "Bad Request: query is too old and response timeout expired or query id is invalid";
pub const MESSAGE_TO_COPY_NOT_FOUND: &str = "Bad Request: message to copy not found";
pub const MESSAGE_TO_FORWARD_NOT_FOUND: &str = "Bad Request: message to forward not found";
pub const WEBHOOK_ACTIVE: &str =
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
/// Telegram lets a callback query be answered once, within about 15 s.
pub const CALLBACK_ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
/// The header Telegram sends the webhook's secret token in.
pub const SECRET_TOKEN_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// Methods the fake knows; any other is answered 404 "Not Found", as Telegram does.
const KNOWN_METHODS: [&str; 23] = [
    "getme",
    "getupdates",
    "setwebhook",
    "deletewebhook",
    "getwebhookinfo",
    "sendmessage",
    "editmessagetext",
    "editmessagereplymarkup",
    "deletemessage",
    "answercallbackquery",
    "setmycommands",
    "deletemycommands",
    "getmycommands",
    "sendchataction",
    "copymessage",
    "forwardmessage",
    "setchatmenubutton",
    "getchatmenubutton",
    "sendphoto",
    "senddocument",
    "getfile",
    "close",
    "logout",
];
/// Methods that post a message into a chat: what flood control counts.
const FLOOD_COUNTED: [&str; 5] = ["sendmessage", "copymessage", "forwardmessage", "sendphoto", "senddocument"];

/// Telegram's flood control: about 30 messages a second overall and 1 a second in one chat, with
/// short bursts allowed; past it a 429 with `parameters.retry_after`. Two token buckets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloodLimits {
    pub per_second: f64,
    pub burst: f64,
    pub per_chat_per_second: f64,
    pub per_chat_burst: f64,
}

impl Default for FloodLimits {
    fn default() -> Self {
        FloodLimits { per_second: 30.0, burst: 30.0, per_chat_per_second: 1.0, per_chat_burst: 5.0 }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Refills to `now`; the wait until a token is there, or zero.
    fn wait(&mut self, now: Instant, rate: f64, burst: f64) -> Duration {
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * rate).min(burst);
        self.at = now;
        if self.tokens >= 1.0 { Duration::ZERO } else { Duration::from_secs_f64((1.0 - self.tokens) / rate) }
    }
}

/// What `setWebhook` set.
#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    pub url: String,
    pub secret_token: Option<String>,
    pub allowed_updates: Option<Vec<String>>,
    pub drop_pending_updates: bool,
}

/// Telegram's limit, counted in UTF-16 code units after entity parsing.
const MAX_TEXT_LEN: usize = 4096;
/// Telegram caps long polling at 50 s; a bigger value would only hang a broken test longer.
const MAX_POLL_TIMEOUT: u64 = 50;
/// Kinds Telegram leaves out unless `allowed_updates` names them explicitly.
const EXCLUDED_BY_DEFAULT: [&str; 3] = ["chat_member", "message_reaction", "message_reaction_count"];

/// One request the bot made. `method` is lowercased (`sendmessage`).
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub body: Value,
    pub at: Instant,
}

/// A simulated Telegram user; its private chat id equals its user id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TgUser {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: String,
}

/// Current state of a message the bot sent (or copied) into a chat.
#[derive(Clone, Debug, PartialEq)]
pub struct BotMessage {
    pub chat_id: i64,
    pub message_id: i32,
    /// Text exactly as the bot sent it (HTML tags and escapes included).
    pub text: String,
    /// What the user sees: `text` with HTML tags stripped and entities decoded.
    pub plain: String,
    pub parse_mode: Option<String>,
    /// Raw JSON markup as sent (None once an edit dropped it).
    pub reply_markup: Option<Value>,
    /// "photo" or "document" for a sendPhoto / sendDocument (its caption is the text).
    pub media: Option<String>,
    /// Successful edits (text or markup).
    pub edits: usize,
    /// Every text the message has shown, oldest first, the current one last.
    pub text_history: Vec<String>,
    pub deleted: bool,
}

impl BotMessage {
    /// Inline buttons of the current markup, row by row: (label, callback_data).
    pub fn buttons(&self) -> Vec<(String, Option<String>)> {
        inline_buttons(self.reply_markup.as_ref())
            .into_iter()
            .map(|b| {
                let text = b.get("text").and_then(Value::as_str).unwrap_or_default();
                let data = b.get("callback_data").and_then(Value::as_str);
                (text.to_owned(), data.map(str::to_owned))
            })
            .collect()
    }

    pub fn has_button(&self, label_contains: &str) -> bool {
        self.buttons().iter().any(|(t, _)| t.contains(label_contains))
    }

    /// `copy_text.text` of every CopyTextButton on the current markup.
    pub fn copy_text_buttons(&self) -> Vec<String> {
        inline_buttons(self.reply_markup.as_ref())
            .into_iter()
            .filter_map(|b| b.pointer("/copy_text/text").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }
}

/// A recorded `copyMessage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyRecord {
    pub from_chat_id: i64,
    pub message_id: i32,
    pub chat_id: i64,
    pub new_message_id: i32,
}

/// The command menu stored by `setMyCommands` for one (scope, language) pair.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandSet {
    pub scope: Option<Value>,
    pub language_code: Option<String>,
    /// (command, description)
    pub commands: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    Blocked,
    Deactivated,
}

struct Injection {
    remaining: usize,
    code: u16,
    description: String,
    retry_after: Option<u32>,
}

struct ApiErr {
    code: u16,
    description: String,
    retry_after: Option<u32>,
}

impl ApiErr {
    fn bad(description: impl Into<String>) -> Self {
        ApiErr { code: 400, description: description.into(), retry_after: None }
    }
}

type ApiResult = Result<Value, ApiErr>;

struct StoredMsg {
    message_id: i32,
    /// None for the bot itself.
    from_user: Option<i64>,
    date: i64,
    text: Option<String>,
    plain: Option<String>,
    parse_mode: Option<String>,
    reply_markup: Option<Value>,
    /// Non-text content (sticker, photo, caption) merged into the Message JSON.
    media: Map<String, Value>,
    edits: usize,
    edit_date: Option<i64>,
    history: Vec<String>,
    deleted: bool,
    /// "photo" / "document" for a bot's media message.
    kind: Option<String>,
}

impl StoredMsg {
    /// A message the bot posted.
    fn bot(
        message_id: i32,
        text: String,
        plain: String,
        parse_mode: Option<String>,
        reply_markup: Option<Value>,
        kind: Option<String>,
    ) -> StoredMsg {
        StoredMsg {
            message_id,
            from_user: None,
            date: now_unix(),
            history: vec![text.clone()],
            text: Some(text),
            plain: Some(plain),
            parse_mode,
            reply_markup,
            media: Map::new(),
            edits: 0,
            edit_date: None,
            deleted: false,
            kind,
        }
    }
}

#[derive(Default)]
struct ChatLog {
    last_id: i32,
    msgs: BTreeMap<i32, StoredMsg>,
}

#[derive(Default)]
struct State {
    updates: VecDeque<Value>,
    next_update_id: i64,
    allowed_updates: Option<Vec<String>>,
    filtered_updates: Vec<String>,
    chats: HashMap<i64, ChatLog>,
    users: HashMap<i64, TgUser>,
    calls: Vec<Call>,
    call_counts: HashMap<String, usize>,
    blocked: HashMap<i64, Block>,
    injections: HashMap<String, VecDeque<Injection>>,
    latency: Duration,
    answered: Vec<(String, Option<String>)>,
    /// Callback queries not answered yet, with when they were pressed.
    open_callbacks: HashMap<String, Instant>,
    callback_timeout: Duration,
    webhook: Option<Webhook>,
    /// (chat_id, menu_button) of every setChatMenuButton, in order.
    menu_buttons: Vec<(Option<i64>, Value)>,
    /// File ids getFile knows: those of users' photos and of the bot's uploads.
    files: HashSet<String>,
    flood: Option<FloodLimits>,
    flood_global: Option<Bucket>,
    flood_chats: HashMap<i64, Bucket>,
    flood_refusals: usize,
    next_callback: u64,
    copies: Vec<CopyRecord>,
    commands: Vec<CommandSet>,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Woken after every recorded call (for `wait_for`).
    calls_notify: Notify,
    /// Woken when an update is queued (for long polls).
    updates_notify: Notify,
    /// The only token this fake answers.
    token: std::sync::OnceLock<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not poison the fake for the server tasks.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The fake server. Dropping it shuts the server down.
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: SocketAddr,
    token: String,
    shutdown_tx: Option<oneshot::Sender<()>>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        // Release pending long polls so the graceful shutdown does not wait for them.
        self.shared.updates_notify.notify_waiters();
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
    }
}

impl FakeTelegram {
    pub async fn start() -> FakeTelegram {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_update_id: 1,
                callback_timeout: CALLBACK_ANSWER_TIMEOUT,
                flood: Some(FloodLimits::default()),
                ..State::default()
            }),
            calls_notify: Notify::new(),
            updates_notify: Notify::new(),
            token: std::sync::OnceLock::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("fake telegram: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake telegram: local_addr");
        let token = format!("{DEFAULT_TOKEN}-{}", addr.port());
        let _ = shared.token.set(token.clone());
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let tx = crate::serve(listener, app);
        FakeTelegram { shared, addr, token, shutdown_tx: Some(tx) }
    }

    /// Base URL for `TELOXIDE_API_URL` / `Bot::set_api_url` (teloxide appends `/bot<token>/<Method>`).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// A user (registered so that chats built for them carry their name).
    pub fn user(&self, id: i64, language_code: &str) -> TgUser {
        let u = TgUser {
            id,
            first_name: format!("User{id}"),
            username: Some(format!("user{id}")),
            language_code: language_code.to_owned(),
        };
        self.shared.lock().users.insert(id, u.clone());
        u
    }

    /// Queues a private text message from `from`; returns its message_id.
    pub fn send_text(&self, from: &TgUser, text: &str) -> i32 {
        let mut media = Map::new();
        media.insert("text".into(), json!(text));
        if text.starts_with('/') {
            // The command word, including any @botname suffix, as Telegram marks it.
            let word = text.split_whitespace().next().unwrap_or(text);
            let len = word.encode_utf16().count();
            media.insert("entities".into(), json!([{ "type": "bot_command", "offset": 0, "length": len }]));
        }
        self.user_message(from, Some(text.to_owned()), media)
    }

    /// Queues a sticker message (no text).
    pub fn send_sticker(&self, from: &TgUser) -> i32 {
        let mut media = Map::new();
        media.insert(
            "sticker".into(),
            json!({
                "file_id": "CAACAgIAAxkBAAFAKEstickerfileid",
                "file_unique_id": "AgADfakesticker",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": false,
                "is_video": false,
                "emoji": "\u{1F44D}",
                "file_size": 12345
            }),
        );
        self.user_message(from, None, media)
    }

    /// Queues a photo message with an optional caption.
    pub fn send_photo(&self, from: &TgUser, caption: Option<&str>) -> i32 {
        let mut media = Map::new();
        media.insert(
            "photo".into(),
            json!([
                { "file_id": "AgACAgFAKEphotosmall", "file_unique_id": "AQADsmall",
                  "width": 90, "height": 90, "file_size": 1500 },
                { "file_id": "AgACAgFAKEphotobig", "file_unique_id": "AQADbig",
                  "width": 1280, "height": 960, "file_size": 150000 }
            ]),
        );
        if let Some(c) = caption {
            media.insert("caption".into(), json!(c));
        }
        self.shared.lock().files.extend(["AgACAgFAKEphotosmall".to_owned(), "AgACAgFAKEphotobig".to_owned()]);
        self.user_message(from, caption.map(str::to_owned), media)
    }

    /// Queues a document message (a file the customer sends: a PDF receipt, or anything else)
    /// with `file_name` and `mime_type`; getFile serves it. Returns the message_id.
    pub fn send_document(&self, from: &TgUser, file_name: &str, mime_type: &str) -> i32 {
        let file_id = format!("BQACAgFAKEdoc{}", self.shared.lock().files.len());
        let mut media = Map::new();
        media.insert(
            "document".into(),
            json!({
                "file_id": file_id,
                "file_unique_id": format!("AgAD{file_id}"),
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": 84000
            }),
        );
        self.shared.lock().files.insert(file_id);
        self.user_message(from, None, media)
    }

    /// Queues a callback query for `callback_data` on bot message `message_id`
    /// (the query carries the message in its current state). Returns the query id.
    pub fn press(&self, from: &TgUser, message_id: i32, callback_data: &str) -> String {
        self.press_in(from, from.id, message_id, callback_data)
    }

    /// As [`press`](Self::press), on a bot message in chat `chat_id` (a group: negative id) by
    /// member `from`.
    pub fn press_in(&self, from: &TgUser, chat_id: i64, message_id: i32, callback_data: &str) -> String {
        let mut st = self.shared.lock();
        let msg = match st.chats.get(&chat_id).and_then(|c| c.msgs.get(&message_id)) {
            Some(m) if !m.deleted => message_json(&st, chat_id, m),
            Some(_) => panic!("press: message {message_id} in chat {chat_id} was deleted"),
            None => panic!(
                "press: no message {message_id} in chat {chat_id}; bot messages there: {}",
                describe_chat(&st, chat_id)
            ),
        };
        st.next_callback += 1;
        let id = format!("cbq-{}-{}", chat_id, st.next_callback);
        st.open_callbacks.insert(id.clone(), Instant::now());
        let cq = json!({
            "id": id,
            "from": user_json(from),
            "message": msg,
            "chat_instance": format!("ci-{chat_id}"),
            "data": callback_data,
        });
        push_update(&mut st, "callback_query", cq);
        drop(st);
        self.shared.updates_notify.notify_waiters();
        id
    }

    /// Presses the first inline button of the message's CURRENT markup whose label contains
    /// `label_contains`. Panics, listing the buttons, if there is none.
    pub fn press_button(&self, from: &TgUser, message_id: i32, label_contains: &str) -> String {
        let data = {
            let st = self.shared.lock();
            let Some(m) = st.chats.get(&from.id).and_then(|c| c.msgs.get(&message_id)) else {
                panic!(
                    "press_button({label_contains:?}): no message {message_id} in chat {}; bot messages there: {}",
                    from.id,
                    describe_chat(&st, from.id)
                );
            };
            let buttons = inline_buttons(m.reply_markup.as_ref());
            let found = buttons
                .iter()
                .find(|b| b.get("text").and_then(Value::as_str).is_some_and(|t| t.contains(label_contains)));
            match found.and_then(|b| b.get("callback_data").and_then(Value::as_str)) {
                Some(d) => d.to_owned(),
                None => panic!(
                    "press_button: no callback button containing {label_contains:?} on message {message_id} \
                     in chat {} (text: {:?}); buttons: {}",
                    from.id,
                    m.plain.as_deref().unwrap_or_default(),
                    serde_json::to_string(&buttons).unwrap_or_default()
                ),
            }
        };
        self.press(from, message_id, &data)
    }

    /// Queues a `my_chat_member` update (member→kicked when `blocked`, kicked→member otherwise)
    /// and, like Telegram, blocks/unblocks the chat accordingly.
    pub fn send_my_chat_member(&self, user: &TgUser, blocked: bool) {
        let bot = bot_user_json();
        let member = json!({ "user": bot, "status": "member" });
        let kicked = json!({ "user": bot, "status": "kicked", "until_date": 0 });
        let (old, new) = if blocked { (member, kicked) } else { (kicked, member) };
        let mut st = self.shared.lock();
        let upd = json!({
            "chat": chat_json(&st, user.id),
            "from": user_json(user),
            "date": now_unix(),
            "old_chat_member": old,
            "new_chat_member": new,
        });
        if blocked {
            st.blocked.insert(user.id, Block::Blocked);
        } else {
            st.blocked.remove(&user.id);
        }
        push_update(&mut st, "my_chat_member", upd);
        drop(st);
        self.shared.updates_notify.notify_waiters();
    }

    /// Every send/copy/edit/chat action to that chat now fails with 403 "bot was blocked".
    pub fn block_user(&self, chat_id: i64) {
        self.shared.lock().blocked.insert(chat_id, Block::Blocked);
    }

    pub fn unblock_user(&self, chat_id: i64) {
        self.shared.lock().blocked.remove(&chat_id);
    }

    /// Like `block_user` but with 403 "user is deactivated".
    pub fn deactivate_user(&self, chat_id: i64) {
        self.shared.lock().blocked.insert(chat_id, Block::Deactivated);
    }

    /// The next `count` calls of `method` (any case) fail with `code`/`description`
    /// (and `parameters.retry_after` when given: use code 429 and
    /// "Too Many Requests: retry after N" to mimic flood control).
    pub fn inject_error(&self, method: &str, count: usize, code: u16, description: &str, retry_after: Option<u32>) {
        if count == 0 {
            return;
        }
        self.shared.lock().injections.entry(method.to_ascii_lowercase()).or_default().push_back(Injection {
            remaining: count,
            code,
            description: description.to_owned(),
            retry_after,
        });
    }

    /// Delay applied to every request before it is processed.
    pub fn set_latency(&self, d: Duration) {
        self.shared.lock().latency = d;
    }

    /// Flood control as Telegram applies it (`Some(FloodLimits::default())` from the start), or
    /// None to switch it off for tests and benchmarks that need raw speed.
    pub fn set_flood_limits(&self, limits: Option<FloodLimits>) {
        let mut st = self.shared.lock();
        st.flood = limits;
        st.flood_global = None;
        st.flood_chats.clear();
    }

    /// Sends refused with 429 by flood control so far.
    pub fn flood_refusals(&self) -> usize {
        self.shared.lock().flood_refusals
    }

    /// How long after the press a callback query can still be answered (15 s by default).
    pub fn set_callback_answer_timeout(&self, d: Duration) {
        self.shared.lock().callback_timeout = d;
    }

    /// What the last `setWebhook` set, until a `deleteWebhook`.
    pub fn webhook(&self) -> Option<Webhook> {
        self.shared.lock().webhook.clone()
    }

    /// (chat_id, menu_button) of every `setChatMenuButton`, oldest first.
    pub fn menu_buttons(&self) -> Vec<(Option<i64>, Value)> {
        self.shared.lock().menu_buttons.clone()
    }

    /// Takes the queued updates out of the queue (as Telegram does when it delivers them to a
    /// webhook), oldest first.
    pub fn take_updates(&self) -> Vec<Value> {
        self.shared.lock().updates.drain(..).collect()
    }

    /// POSTs every queued update to the webhook set by the bot, with its secret token header,
    /// as Telegram does; returns the HTTP status of each delivery.
    pub async fn deliver_to_webhook(&self) -> Vec<u16> {
        let hook = self.webhook().expect("deliver_to_webhook: the bot set no webhook");
        let mut out = Vec::new();
        for update in self.take_updates() {
            out.push(post_update(&hook.url, hook.secret_token.as_deref(), &update).await);
        }
        out
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Calls of one method, case-insensitive.
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        let m = method.to_ascii_lowercase();
        self.shared.lock().calls.iter().filter(|c| c.method == m).cloned().collect()
    }

    /// Number of calls of one method without cloning them (cheap enough for benchmarks).
    pub fn call_count(&self, method: &str) -> usize {
        let m = method.to_ascii_lowercase();
        self.shared.lock().call_counts.get(&m).copied().unwrap_or(0)
    }

    /// All bot messages in that chat (including deleted ones), oldest first.
    pub fn bot_messages(&self, chat_id: i64) -> Vec<BotMessage> {
        let st = self.shared.lock();
        bot_messages_of(&st, chat_id)
    }

    /// The newest bot message in that chat that is not deleted.
    pub fn last_bot_message(&self, chat_id: i64) -> Option<BotMessage> {
        self.bot_messages(chat_id).into_iter().rev().find(|m| !m.deleted)
    }

    /// Queued updates not yet confirmed by an offset.
    pub fn pending_updates(&self) -> usize {
        self.shared.lock().updates.len()
    }

    /// `allowed_updates` last sent by the bot (Telegram remembers it between calls).
    pub fn allowed_updates(&self) -> Option<Vec<String>> {
        self.shared.lock().allowed_updates.clone()
    }

    /// (callback query id, text) for every answerCallbackQuery, in order (duplicates kept).
    pub fn answered_callbacks(&self) -> Vec<(String, Option<String>)> {
        self.shared.lock().answered.clone()
    }

    pub fn copies(&self) -> Vec<CopyRecord> {
        self.shared.lock().copies.clone()
    }

    /// Current command menus, one per (scope, language_code).
    pub fn my_commands(&self) -> Vec<CommandSet> {
        self.shared.lock().commands.clone()
    }

    /// Re-evaluates `f` after every recorded call and at least every 20 ms until it returns
    /// Some. Panics on timeout with a dump of the last calls.
    pub async fn wait_for<T>(&self, timeout: Duration, mut f: impl FnMut(&FakeTelegram) -> Option<T>) -> T {
        match self.poll_until(timeout, &mut f).await {
            Some(v) => v,
            None => panic!("FakeTelegram::wait_for timed out after {timeout:?}\n{}", self.debug_dump(None)),
        }
    }

    /// First bot message (oldest first, not deleted, current state) in that chat matching `pred`.
    pub async fn wait_message(
        &self,
        chat_id: i64,
        timeout: Duration,
        pred: impl Fn(&BotMessage) -> bool,
    ) -> BotMessage {
        let found = self
            .poll_until(timeout, &mut |fake: &FakeTelegram| {
                fake.bot_messages(chat_id).into_iter().find(|m| !m.deleted && pred(m))
            })
            .await;
        match found {
            Some(m) => m,
            None => panic!(
                "FakeTelegram::wait_message(chat {chat_id}) timed out after {timeout:?}\n{}",
                self.debug_dump(Some(chat_id))
            ),
        }
    }

    async fn poll_until<T>(&self, timeout: Duration, f: &mut impl FnMut(&FakeTelegram) -> Option<T>) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register interest before evaluating so a call landing in between is not missed.
            let notified = self.shared.calls_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(v) = f(self) {
                return Some(v);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Human-readable state for failure messages: last calls, a chat's messages, queue.
    pub fn debug_dump(&self, chat_id: Option<i64>) -> String {
        let st = self.shared.lock();
        let mut out = String::new();
        let start = st.calls.len().saturating_sub(15);
        let _ = writeln!(out, "last {} of {} calls to the fake Telegram:", st.calls.len() - start, st.calls.len());
        let t0 = st.calls.first().map(|c| c.at);
        for c in &st.calls[start..] {
            let ms = t0.map(|t| c.at.duration_since(t).as_millis()).unwrap_or(0);
            let _ = writeln!(out, "  +{ms}ms {} {}", c.method, truncate(&c.body.to_string(), 300));
        }
        if let Some(chat) = chat_id {
            let _ = writeln!(out, "bot messages in chat {chat}: {}", describe_chat(&st, chat));
            if let Some(b) = st.blocked.get(&chat) {
                let _ = writeln!(out, "chat {chat} is {b:?}");
            }
        }
        let _ = writeln!(out, "pending (unconfirmed) updates: {}", st.updates.len());
        if !st.filtered_updates.is_empty() {
            let _ = writeln!(
                out,
                "updates dropped because the bot's allowed_updates {:?} excluded them: {:?}",
                st.allowed_updates, st.filtered_updates
            );
        }
        out
    }

    fn user_message(&self, from: &TgUser, text: Option<String>, media: Map<String, Value>) -> i32 {
        let mut st = self.shared.lock();
        st.users.entry(from.id).or_insert_with(|| from.clone());
        let chat_id = from.id;
        let id = next_message_id(&mut st, chat_id);
        let stored = StoredMsg {
            message_id: id,
            from_user: Some(from.id),
            date: now_unix(),
            text: text.clone(),
            plain: text,
            parse_mode: None,
            reply_markup: None,
            media,
            edits: 0,
            edit_date: None,
            history: Vec::new(),
            deleted: false,
            kind: None,
        };
        let msg = message_json(&st, chat_id, &stored);
        st.chats.entry(chat_id).or_default().msgs.insert(id, stored);
        push_update(&mut st, "message", msg);
        drop(st);
        self.shared.updates_notify.notify_waiters();
        id
    }
}

/// POSTs one update to `url` as Telegram delivers it to a webhook, with the secret token header
/// when given; returns the HTTP status (0 when the request could not be made).
pub async fn post_update(url: &str, secret_token: Option<&str>, update: &Value) -> u16 {
    let mut req = reqwest::Client::new().post(url).json(update);
    if let Some(secret) = secret_token {
        req = req.header(SECRET_TOKEN_HEADER, secret);
    }
    req.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// HTTP side

async fn handle(AxState(shared): AxState<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let token_ok = uri.path().strip_prefix("/bot").and_then(|r| r.rsplit_once('/')).map(|(t, _)| t)
        == shared.token.get().map(String::as_str);
    if !token_ok {
        return tg_error(&ApiErr { code: 401, description: "Unauthorized".into(), retry_after: None });
    }
    let Some(method) = method_from_path(uri.path()) else {
        return tg_error(&ApiErr { code: 404, description: "Not Found".into(), retry_after: None });
    };
    let body = parse_body(&headers, &body);
    let at = Instant::now();

    let latency = shared.lock().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let result = {
        let mut st = shared.lock();
        st.calls.push(Call { method: method.clone(), body: body.clone(), at });
        *st.call_counts.entry(method.clone()).or_default() += 1;
        match take_injection(&mut st, &method) {
            Some(err) => Some(Err(err)),
            None if !KNOWN_METHODS.contains(&method.as_str()) => {
                Some(Err(ApiErr { code: 404, description: "Not Found".into(), retry_after: None }))
            }
            None if method == "getupdates" && st.webhook.is_some() => {
                Some(Err(ApiErr { code: 409, description: WEBHOOK_ACTIVE.into(), retry_after: None }))
            }
            None if method == "getupdates" => {
                if let Some(list) = body.get("allowed_updates").and_then(Value::as_array) {
                    st.allowed_updates = Some(list.iter().filter_map(Value::as_str).map(str::to_owned).collect());
                }
                None
            }
            None => Some(dispatch(&mut st, &method, &body)),
        }
    };
    shared.calls_notify.notify_waiters();

    match result {
        Some(Ok(v)) => tg_ok(v),
        Some(Err(e)) => tg_error(&e),
        None => {
            let v = get_updates(&shared, &body).await;
            tg_ok(v)
        }
    }
}

/// `/bot<token>/<Method>` → lowercased method.
fn method_from_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/bot")?;
    let (_token, method) = rest.rsplit_once('/')?;
    if method.is_empty() {
        return None;
    }
    Some(method.to_ascii_lowercase())
}

fn tg_ok(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn tg_error(e: &ApiErr) -> Response {
    let mut body = json!({ "ok": false, "error_code": e.code, "description": e.description });
    if let Some(r) = e.retry_after {
        body["parameters"] = json!({ "retry_after": r });
    }
    let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

fn take_injection(st: &mut State, method: &str) -> Option<ApiErr> {
    let queue = st.injections.get_mut(method)?;
    let inj = queue.front_mut()?;
    inj.remaining -= 1;
    let err = ApiErr { code: inj.code, description: inj.description.clone(), retry_after: inj.retry_after };
    if inj.remaining == 0 {
        queue.pop_front();
    }
    Some(err)
}

async fn get_updates(shared: &Shared, body: &Value) -> Value {
    let offset = body.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(100).clamp(1, 100) as usize;
    let timeout = body.get("timeout").and_then(Value::as_u64).unwrap_or(0).min(MAX_POLL_TIMEOUT);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);

    {
        let mut st = shared.lock();
        if offset > 0 {
            // Telegram forgets every update with id < offset: they are confirmed.
            while st.updates.front().is_some_and(|u| update_id(u) < offset) {
                st.updates.pop_front();
            }
        } else if offset < 0 {
            // Negative offset: keep only the last -offset updates, forget the rest.
            let keep = offset.unsigned_abs() as usize;
            while st.updates.len() > keep {
                st.updates.pop_front();
            }
        }
    }

    loop {
        let notified = shared.updates_notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let st = shared.lock();
            if st.shutdown {
                return json!([]);
            }
            if !st.updates.is_empty() {
                return Value::Array(st.updates.iter().take(limit).cloned().collect());
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return json!([]);
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

fn update_id(u: &Value) -> i64 {
    u.get("update_id").and_then(Value::as_i64).unwrap_or(0)
}

fn push_update(st: &mut State, kind: &str, payload: Value) {
    // Telegram applies allowed_updates when an update is created, not when it is fetched.
    let allowed = match &st.allowed_updates {
        Some(list) if !list.is_empty() => list.iter().any(|k| k == kind),
        _ => !EXCLUDED_BY_DEFAULT.contains(&kind),
    };
    if !allowed {
        st.filtered_updates.push(kind.to_owned());
        return;
    }
    let id = st.next_update_id;
    st.next_update_id += 1;
    let mut upd = Map::new();
    upd.insert("update_id".into(), json!(id));
    upd.insert(kind.into(), payload);
    st.updates.push_back(Value::Object(upd));
}

fn dispatch(st: &mut State, method: &str, body: &Value) -> ApiResult {
    // Every chat-targeted write fails for a user who blocked the bot or is deactivated.
    let writes = ["send", "edit", "copy", "forward"].iter().any(|p| method.starts_with(p));
    if writes && let Some(chat) = chat_id_of(body, "chat_id") {
        match st.blocked.get(&chat) {
            Some(Block::Blocked) => {
                return Err(ApiErr { code: 403, description: BOT_BLOCKED.into(), retry_after: None });
            }
            Some(Block::Deactivated) => {
                return Err(ApiErr { code: 403, description: USER_DEACTIVATED.into(), retry_after: None });
            }
            None => {}
        }
    }
    if FLOOD_COUNTED.contains(&method)
        && let Some(chat) = chat_id_of(body, "chat_id")
    {
        flood_control(st, chat)?;
    }
    match method {
        "getme" => Ok(me_json()),
        "getwebhookinfo" => {
            let hook = st.webhook.clone();
            let mut info = json!({
                "url": hook.as_ref().map(|h| h.url.as_str()).unwrap_or_default(),
                "has_custom_certificate": false,
                "pending_update_count": st.updates.len(),
            });
            if let Some(list) = hook.and_then(|h| h.allowed_updates) {
                info["allowed_updates"] = json!(list);
            }
            Ok(info)
        }
        "setwebhook" => set_webhook(st, body),
        "deletewebhook" => {
            if body.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
                st.updates.clear();
            }
            st.webhook = None;
            Ok(json!(true))
        }
        "setchatmenubutton" => {
            let button = body.get("menu_button").cloned().unwrap_or_else(|| json!({ "type": "default" }));
            st.menu_buttons.push((chat_id_of(body, "chat_id"), button));
            Ok(json!(true))
        }
        "getchatmenubutton" => {
            let chat = chat_id_of(body, "chat_id");
            let found = st.menu_buttons.iter().rev().find(|(c, _)| *c == chat).map(|(_, b)| b.clone());
            Ok(found.unwrap_or_else(|| json!({ "type": "default" })))
        }
        "sendphoto" => send_media(st, body, "photo"),
        "senddocument" => send_media(st, body, "document"),
        "getfile" => {
            let id = body.get("file_id").and_then(Value::as_str).unwrap_or_default();
            if !st.files.contains(id) {
                return Err(ApiErr::bad("Bad Request: invalid file_id"));
            }
            let path = if id.starts_with("BQ") { format!("documents/{id}") } else { format!("photos/{id}.jpg") };
            Ok(json!({ "file_id": id, "file_unique_id": format!("u-{id}"), "file_size": 150000,
                       "file_path": path }))
        }
        "close" | "logout" => Ok(json!(true)),
        "sendmessage" => send_message(st, body),
        "editmessagetext" => edit_message_text(st, body),
        "editmessagereplymarkup" => edit_message_reply_markup(st, body),
        "deletemessage" => delete_message(st, body),
        "answercallbackquery" => {
            let id = body.get("callback_query_id").and_then(Value::as_str).unwrap_or_default();
            // Once answered, or too old, a query id is no longer valid.
            let timeout = st.callback_timeout;
            match st.open_callbacks.remove(id) {
                Some(pressed) if pressed.elapsed() <= timeout => {}
                _ => return Err(ApiErr::bad(QUERY_ID_INVALID)),
            }
            let text = body.get("text").and_then(Value::as_str).map(str::to_owned);
            st.answered.push((id.to_owned(), text));
            Ok(json!(true))
        }
        "setmycommands" => set_my_commands(st, body),
        "deletemycommands" => {
            let (scope, lang) = scope_and_lang(body);
            st.commands.retain(|c| !(c.scope == scope && c.language_code == lang));
            Ok(json!(true))
        }
        "getmycommands" => {
            let (scope, lang) = scope_and_lang(body);
            let set = st.commands.iter().find(|c| c.scope == scope && c.language_code == lang);
            let list: Vec<Value> = set
                .map(|c| c.commands.iter().map(|(n, d)| json!({ "command": n, "description": d })).collect())
                .unwrap_or_default();
            Ok(Value::Array(list))
        }
        "sendchataction" => Ok(json!(true)),
        "copymessage" => copy_message(st, body, MESSAGE_TO_COPY_NOT_FOUND),
        "forwardmessage" => copy_message(st, body, MESSAGE_TO_FORWARD_NOT_FOUND),
        _ => Err(ApiErr { code: 404, description: "Not Found".into(), retry_after: None }),
    }
}

/// Takes a token from the chat's bucket and the global one, or answers 429 with how long to wait.
fn flood_control(st: &mut State, chat: i64) -> Result<(), ApiErr> {
    let Some(limits) = st.flood else { return Ok(()) };
    let now = Instant::now();
    let global = st.flood_global.get_or_insert(Bucket { tokens: limits.burst, at: now });
    let wait_global = global.wait(now, limits.per_second, limits.burst);
    let chat_bucket = st.flood_chats.entry(chat).or_insert(Bucket { tokens: limits.per_chat_burst, at: now });
    let wait_chat = chat_bucket.wait(now, limits.per_chat_per_second, limits.per_chat_burst);
    let wait = wait_global.max(wait_chat);
    if !wait.is_zero() {
        st.flood_refusals += 1;
        // Telegram gives whole seconds, at least one.
        let secs = wait.as_secs_f64().ceil().max(1.0) as u32;
        return Err(ApiErr {
            code: 429,
            description: format!("Too Many Requests: retry after {secs}"),
            retry_after: Some(secs),
        });
    }
    chat_bucket.tokens -= 1.0;
    if let Some(g) = st.flood_global.as_mut() {
        g.tokens -= 1.0;
    }
    Ok(())
}

fn set_webhook(st: &mut State, body: &Value) -> ApiResult {
    let url = body.get("url").and_then(Value::as_str).unwrap_or_default().to_owned();
    if url.is_empty() {
        st.webhook = None;
        return Ok(json!(true));
    }
    if !url.starts_with("https://") && !url.starts_with("http://127.0.0.1") && !url.starts_with("http://localhost") {
        return Err(ApiErr::bad("Bad Request: bad webhook: An HTTPS URL must be provided for webhook"));
    }
    let secret_token = body.get("secret_token").and_then(Value::as_str).map(str::to_owned);
    // Telegram: 1-256 characters A-Z, a-z, 0-9, _ and -.
    if let Some(s) = &secret_token
        && !((1..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        return Err(ApiErr::bad("Bad Request: secret token contains unallowed characters"));
    }
    let allowed_updates = body
        .get("allowed_updates")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>());
    if let Some(list) = &allowed_updates {
        st.allowed_updates = Some(list.clone());
    }
    let drop_pending_updates = body.get("drop_pending_updates").and_then(Value::as_bool) == Some(true);
    if drop_pending_updates {
        st.updates.clear();
    }
    st.webhook = Some(Webhook { url, secret_token, allowed_updates, drop_pending_updates });
    Ok(json!(true))
}

/// sendPhoto / sendDocument: a bot message whose text is the caption.
fn send_media(st: &mut State, body: &Value, kind: &str) -> ApiResult {
    let chat_id = chat_id_of(body, "chat_id").ok_or_else(|| ApiErr::bad("Bad Request: chat_id is empty"))?;
    let file = body.get(kind).and_then(Value::as_str).unwrap_or_default();
    if file.is_empty() {
        return Err(ApiErr::bad(format!("Bad Request: there is no {kind} in the request")));
    }
    let caption = body.get("caption").and_then(Value::as_str).unwrap_or_default().to_owned();
    let parse_mode = body.get("parse_mode").and_then(Value::as_str).map(str::to_owned);
    let plain = render(&caption, parse_mode.as_deref())?;
    if plain.encode_utf16().count() > 1024 {
        return Err(ApiErr::bad("Bad Request: message caption is too long"));
    }
    let markup = body.get("reply_markup").cloned().filter(|v| !v.is_null());
    validate_markup(markup.as_ref())?;
    let id = next_message_id(st, chat_id);
    let file_id = format!("{kind}-{chat_id}-{id}");
    st.files.insert(file_id.clone());
    let stored = StoredMsg::bot(id, caption, plain, parse_mode, markup, Some(kind.to_owned()));
    let mut v = message_json(st, chat_id, &stored);
    let file_json = json!({ "file_id": file_id, "file_unique_id": format!("u-{file_id}"), "file_size": 1000 });
    if let Some(obj) = v.as_object_mut() {
        let text = obj.remove("text").unwrap_or_default();
        obj.insert("caption".into(), text);
        let media = if kind == "photo" {
            json!([{ "width": 320, "height": 320, "file_id": file_id, "file_unique_id": format!("u-{file_id}") }])
        } else {
            file_json
        };
        obj.insert(kind.into(), media);
    }
    st.chats.entry(chat_id).or_default().msgs.insert(id, stored);
    Ok(v)
}

fn send_message(st: &mut State, body: &Value) -> ApiResult {
    let chat_id = chat_id_of(body, "chat_id").ok_or_else(|| ApiErr::bad("Bad Request: chat_id is empty"))?;
    let text = body.get("text").and_then(Value::as_str).unwrap_or_default().to_owned();
    let parse_mode = body.get("parse_mode").and_then(Value::as_str).map(str::to_owned);
    let plain = render(&text, parse_mode.as_deref())?;
    if plain.trim().is_empty() {
        return Err(ApiErr::bad("Bad Request: message text is empty"));
    }
    if plain.encode_utf16().count() > MAX_TEXT_LEN {
        return Err(ApiErr::bad("Bad Request: message is too long"));
    }
    let markup = body.get("reply_markup").cloned().filter(|v| !v.is_null());
    validate_markup(markup.as_ref())?;
    let id = next_message_id(st, chat_id);
    let stored = StoredMsg::bot(id, text, plain, parse_mode, markup, None);
    let v = message_json(st, chat_id, &stored);
    st.chats.entry(chat_id).or_default().msgs.insert(id, stored);
    Ok(v)
}

/// Finds a bot message that may be edited, with Telegram's errors otherwise.
fn editable<'a>(st: &'a mut State, body: &Value) -> Result<(i64, &'a mut StoredMsg), ApiErr> {
    let chat_id = chat_id_of(body, "chat_id").ok_or_else(|| ApiErr::bad("Bad Request: chat_id is empty"))?;
    let message_id = body.get("message_id").and_then(Value::as_i64).unwrap_or(0) as i32;
    let msg = st
        .chats
        .get_mut(&chat_id)
        .and_then(|c| c.msgs.get_mut(&message_id))
        .filter(|m| !m.deleted)
        .ok_or_else(|| ApiErr::bad(MESSAGE_TO_EDIT_NOT_FOUND))?;
    if msg.from_user.is_some() || msg.text.is_none() {
        return Err(ApiErr::bad("Bad Request: message can't be edited"));
    }
    Ok((chat_id, msg))
}

fn edit_message_text(st: &mut State, body: &Value) -> ApiResult {
    if body.get("inline_message_id").is_some() {
        return Ok(json!(true));
    }
    let text = body.get("text").and_then(Value::as_str).unwrap_or_default().to_owned();
    let parse_mode = body.get("parse_mode").and_then(Value::as_str).map(str::to_owned);
    let plain = render(&text, parse_mode.as_deref())?;
    // Telegram drops the inline keyboard when an edit does not repeat it.
    let markup = normalize_markup(body.get("reply_markup"));
    validate_markup(markup.as_ref())?;
    let (chat_id, msg) = editable(st, body)?;
    if plain.trim().is_empty() {
        return Err(ApiErr::bad("Bad Request: message text is empty"));
    }
    if plain.encode_utf16().count() > MAX_TEXT_LEN {
        return Err(ApiErr::bad("Bad Request: MESSAGE_TOO_LONG"));
    }
    let same_text = msg.text.as_deref() == Some(text.as_str()) && msg.parse_mode == parse_mode;
    if same_text && normalize_markup(msg.reply_markup.as_ref()) == markup {
        return Err(ApiErr::bad(MESSAGE_NOT_MODIFIED));
    }
    msg.text = Some(text.clone());
    msg.plain = Some(plain);
    msg.parse_mode = parse_mode;
    msg.reply_markup = markup;
    msg.edits += 1;
    msg.edit_date = Some(now_unix());
    msg.history.push(text);
    let snapshot = message_json_ref(st, chat_id, body);
    Ok(snapshot)
}

fn edit_message_reply_markup(st: &mut State, body: &Value) -> ApiResult {
    if body.get("inline_message_id").is_some() {
        return Ok(json!(true));
    }
    let markup = normalize_markup(body.get("reply_markup"));
    validate_markup(markup.as_ref())?;
    let (chat_id, msg) = editable(st, body)?;
    if normalize_markup(msg.reply_markup.as_ref()) == markup {
        return Err(ApiErr::bad(MESSAGE_NOT_MODIFIED));
    }
    msg.reply_markup = markup;
    msg.edits += 1;
    msg.edit_date = Some(now_unix());
    Ok(message_json_ref(st, chat_id, body))
}

fn message_json_ref(st: &State, chat_id: i64, body: &Value) -> Value {
    let message_id = body.get("message_id").and_then(Value::as_i64).unwrap_or(0) as i32;
    let m = &st.chats[&chat_id].msgs[&message_id];
    message_json(st, chat_id, m)
}

fn delete_message(st: &mut State, body: &Value) -> ApiResult {
    let chat_id = chat_id_of(body, "chat_id").unwrap_or(0);
    let message_id = body.get("message_id").and_then(Value::as_i64).unwrap_or(0) as i32;
    match st.chats.get_mut(&chat_id).and_then(|c| c.msgs.get_mut(&message_id)) {
        Some(m) if !m.deleted => {
            m.deleted = true;
            Ok(json!(true))
        }
        _ => Err(ApiErr::bad(MESSAGE_TO_DELETE_NOT_FOUND)),
    }
}

fn copy_message(st: &mut State, body: &Value, not_found: &str) -> ApiResult {
    let chat_id = chat_id_of(body, "chat_id").ok_or_else(|| ApiErr::bad("Bad Request: chat_id is empty"))?;
    let from_chat_id = chat_id_of(body, "from_chat_id").unwrap_or(0);
    let message_id = body.get("message_id").and_then(Value::as_i64).unwrap_or(0) as i32;
    let markup = body.get("reply_markup").cloned().filter(|v| !v.is_null());
    validate_markup(markup.as_ref())?;
    let source = st.chats.get(&from_chat_id).and_then(|c| c.msgs.get(&message_id)).filter(|m| !m.deleted);
    let Some(source) = source else {
        return Err(ApiErr::bad(not_found));
    };
    let (text, plain, parse_mode) = match source.text.clone() {
        Some(t) => (t, source.plain.clone().unwrap_or_default(), source.parse_mode.clone()),
        None => {
            let t = format!("[copy of {from_chat_id}:{message_id}]");
            (t.clone(), t, None)
        }
    };
    let new_id = next_message_id(st, chat_id);
    let stored = StoredMsg::bot(new_id, text, plain, parse_mode, markup, None);
    st.chats.entry(chat_id).or_default().msgs.insert(new_id, stored);
    st.copies.push(CopyRecord { from_chat_id, message_id, chat_id, new_message_id: new_id });
    Ok(json!({ "message_id": new_id }))
}

fn set_my_commands(st: &mut State, body: &Value) -> ApiResult {
    let list = body.get("commands").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut commands = Vec::with_capacity(list.len());
    for c in &list {
        let name = c.get("command").and_then(Value::as_str).unwrap_or_default();
        let desc = c.get("description").and_then(Value::as_str).unwrap_or_default();
        // Telegram: 1-32 chars of lowercase letters, digits and underscores.
        let valid = (1..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(ApiErr::bad("Bad Request: BOT_COMMAND_INVALID"));
        }
        commands.push((name.to_owned(), desc.to_owned()));
    }
    let (scope, language_code) = scope_and_lang(body);
    st.commands.retain(|c| !(c.scope == scope && c.language_code == language_code));
    st.commands.push(CommandSet { scope, language_code, commands });
    Ok(json!(true))
}

/// Scope `default` is the same menu as no scope.
fn scope_and_lang(body: &Value) -> (Option<Value>, Option<String>) {
    let scope =
        body.get("scope").filter(|s| !s.is_null() && s.get("type").and_then(Value::as_str) != Some("default")).cloned();
    let lang = body.get("language_code").and_then(Value::as_str).filter(|l| !l.is_empty()).map(str::to_owned);
    (scope, lang)
}

fn validate_markup(markup: Option<&Value>) -> Result<(), ApiErr> {
    for b in inline_buttons(markup) {
        if let Some(data) = b.get("callback_data").and_then(Value::as_str) {
            if data.is_empty() || data.len() > 64 {
                return Err(ApiErr::bad("Bad Request: BUTTON_DATA_INVALID"));
            }
        } else if b.as_object().is_some_and(|o| o.len() <= 1) {
            return Err(ApiErr::bad(
                "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
            ));
        }
    }
    Ok(())
}

/// Only a non-empty inline keyboard counts as markup on a message.
fn normalize_markup(markup: Option<&Value>) -> Option<Value> {
    let m = markup?;
    let rows = m.get("inline_keyboard")?.as_array()?;
    if rows.iter().all(|r| r.as_array().is_none_or(|r| r.is_empty())) {
        return None;
    }
    Some(m.clone())
}

fn inline_buttons(markup: Option<&Value>) -> Vec<Value> {
    markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
        .map(|rows| rows.iter().filter_map(Value::as_array).flatten().cloned().collect())
        .unwrap_or_default()
}

fn next_message_id(st: &mut State, chat_id: i64) -> i32 {
    let log = st.chats.entry(chat_id).or_default();
    log.last_id += 1;
    log.last_id
}

fn bot_messages_of(st: &State, chat_id: i64) -> Vec<BotMessage> {
    let Some(log) = st.chats.get(&chat_id) else {
        return Vec::new();
    };
    log.msgs
        .values()
        .filter(|m| m.from_user.is_none())
        .map(|m| BotMessage {
            chat_id,
            message_id: m.message_id,
            text: m.text.clone().unwrap_or_default(),
            plain: m.plain.clone().unwrap_or_default(),
            parse_mode: m.parse_mode.clone(),
            reply_markup: m.reply_markup.clone(),
            edits: m.edits,
            text_history: m.history.clone(),
            deleted: m.deleted,
            media: m.kind.clone(),
        })
        .collect()
}

fn describe_chat(st: &State, chat_id: i64) -> String {
    let msgs = bot_messages_of(st, chat_id);
    if msgs.is_empty() {
        return "(none)".into();
    }
    let mut out = String::new();
    for m in msgs.iter().rev().take(8).rev() {
        let labels: Vec<String> = m.buttons().into_iter().map(|(t, _)| t).collect();
        let _ = write!(
            out,
            "\n    #{}{}{} {:?} buttons={:?}",
            m.message_id,
            if m.deleted { " (deleted)" } else { "" },
            if m.edits > 0 { format!(" (edited {}x)", m.edits) } else { String::new() },
            truncate(&m.plain, 200),
            labels
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// JSON builders

fn me_json() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
        "can_connect_to_business": false,
        "has_main_web_app": false,
    })
}

fn bot_user_json() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME })
}

fn user_json(u: &TgUser) -> Value {
    let mut v = json!({ "id": u.id, "is_bot": false, "first_name": u.first_name });
    if let Some(name) = &u.username {
        v["username"] = json!(name);
    }
    if !u.language_code.is_empty() {
        v["language_code"] = json!(u.language_code);
    }
    v
}

/// Positive ids are private chats with a user; negative ids are groups.
fn chat_json(st: &State, chat_id: i64) -> Value {
    if chat_id < 0 {
        return json!({ "id": chat_id, "type": "supergroup", "title": format!("Chat {chat_id}") });
    }
    let mut v = json!({ "id": chat_id, "type": "private" });
    match st.users.get(&chat_id) {
        Some(u) => {
            v["first_name"] = json!(u.first_name);
            if let Some(name) = &u.username {
                v["username"] = json!(name);
            }
        }
        None => v["first_name"] = json!(format!("User{chat_id}")),
    }
    v
}

fn message_json(st: &State, chat_id: i64, m: &StoredMsg) -> Value {
    let from = match m.from_user {
        None => bot_user_json(),
        Some(uid) => st
            .users
            .get(&uid)
            .map(user_json)
            .unwrap_or_else(|| json!({ "id": uid, "is_bot": false, "first_name": format!("User{uid}") })),
    };
    let mut v = json!({
        "message_id": m.message_id,
        "date": m.date,
        "chat": chat_json(st, chat_id),
        "from": from,
    });
    let obj = v.as_object_mut().expect("object");
    if m.from_user.is_none() {
        // Telegram returns the parsed text, without HTML markup.
        obj.insert("text".into(), json!(m.plain.clone().unwrap_or_default()));
        if let Some(mk) = normalize_markup(m.reply_markup.as_ref()) {
            obj.insert("reply_markup".into(), mk);
        }
        if let Some(d) = m.edit_date {
            obj.insert("edit_date".into(), json!(d));
        }
    } else {
        for (k, val) in &m.media {
            obj.insert(k.clone(), val.clone());
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Request bodies

fn chat_id_of(body: &Value, key: &str) -> Option<i64> {
    match body.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// JSON is what teloxide sends; forms and multipart (file uploads) are decoded best-effort,
/// with each field parsed as JSON when it is JSON (teloxide encodes nested objects that way).
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Value {
    if body.is_empty() {
        return json!({});
    }
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if ctype.starts_with("application/x-www-form-urlencoded") {
        let map: Map<String, Value> =
            url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), field_value(&v))).collect();
        return Value::Object(map);
    }
    if ctype.starts_with("multipart/form-data")
        && let Some(boundary) = ctype.split("boundary=").nth(1)
    {
        return parse_multipart(body, boundary.trim_matches('"'));
    }
    serde_json::from_slice(body).unwrap_or_else(|_| json!({ "_raw": String::from_utf8_lossy(body) }))
}

fn field_value(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned()))
}

fn parse_multipart(body: &[u8], boundary: &str) -> Value {
    let delim = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let mut map = Map::new();
    for part in text.split(delim.as_str()) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head.split("name=\"").nth(1).and_then(|s| s.split('"').next()) else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let value = match head.split("filename=\"").nth(1).and_then(|s| s.split('"').next()) {
            Some(file) => json!(format!("<file:{file}>")),
            None => field_value(content),
        };
        map.insert(name.to_owned(), value);
    }
    Value::Object(map)
}

// ---------------------------------------------------------------------------------------------
// Text rendering

fn render(text: &str, parse_mode: Option<&str>) -> Result<String, ApiErr> {
    match parse_mode {
        Some(m) if m.eq_ignore_ascii_case("html") => {
            parse_html(text).map_err(|e| ApiErr::bad(format!("Bad Request: can't parse entities: {e}")))
        }
        _ => Ok(text.to_owned()),
    }
}

const HTML_TAGS: [&str; 16] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

/// Telegram's HTML subset: unknown tags, a stray `<` and unbalanced tags are errors (this is
/// what catches missing escaping); returns the visible text.
fn parse_html(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut stack: Vec<String> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let c = rest.chars().next().expect("non-empty");
        if c == '<' {
            let Some(end) = rest.find('>') else {
                return Err(format!("Unclosed start tag at byte offset {i}"));
            };
            let inner = &rest[1..end];
            if let Some(name) = inner.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                match stack.pop() {
                    Some(open) if open == name => {}
                    Some(open) => {
                        return Err(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{open}>\", found \"</{name}>\""
                        ));
                    }
                    None => return Err(format!("Unexpected end tag at byte offset {i}")),
                }
            } else {
                let name = inner
                    .split(|ch: char| ch.is_whitespace() || ch == '/')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if !HTML_TAGS.contains(&name.as_str()) {
                    return Err(format!("Unsupported start tag \"{name}\" at byte offset {i}"));
                }
                stack.push(name);
            }
            i += end + 1;
        } else if c == '&' {
            match decode_entity(rest) {
                Some((ch, len)) => {
                    out.push(ch);
                    i += len;
                }
                None => {
                    // Telegram keeps an ampersand that does not start a known entity.
                    out.push('&');
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += c.len_utf8();
        }
    }
    match stack.pop() {
        Some(open) => Err(format!("Can't find end tag corresponding to start tag \"{open}\"")),
        None => Ok(out),
    }
}

fn decode_entity(s: &str) -> Option<(char, usize)> {
    let semi = s.get(..12.min(s.len())).unwrap_or(s).find(';')?;
    let name = &s[1..semi];
    let ch = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((ch, semi + 1))
}

// ---------------------------------------------------------------------------------------------

fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(1)
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_rendering() {
        assert_eq!(parse_html("<b>a</b> &lt;x&gt; &amp; b").unwrap(), "a <x> & b");
        assert_eq!(parse_html("<a href=\"https://x\">l</a>").unwrap(), "l");
        assert!(parse_html("1 < 2").is_err());
        assert!(parse_html("<b>x").is_err());
        assert!(parse_html("<b>x</i>").is_err());
        assert!(parse_html("<br>").is_err());
    }
}
