//! Simulated customers. Each one waits for the bot's answer before its next step, as a person
//! does; many of them run at once from one task. Latencies are computed afterwards from the fake
//! Telegram's call log (each call's arrival time), so the driver's own reaction time does not
//! enter them.
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use testkit::{Call, FakeTelegram, TgUser};

pub const NUMBER: &str = "036362608";
/// Not-yet-answered customers examined per scan before the driver yields to the fakes.
const MISSES_PER_SCAN: usize = 48;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flow {
    /// The real order wizard: /order → ADSL → number → the 1 000 DA card → Confirm.
    Order,
    /// The same five updates (two texts, three button presses) to a bot that answers each with
    /// one message.
    Echo,
}

pub enum Mode {
    /// Every customer starts at once and does `orders` whole orders back to back.
    Closed { orders: u32 },
    /// Updates offered at `rate` per second for `duration`, each from a customer whose previous
    /// step was answered.
    Paced { rate: f64, duration: Duration },
}

pub struct Cust {
    pub user: TgUser,
    step: u8,
    /// The bot message holding the current wizard step.
    pub wizard: i32,
    /// Bot messages newer than this answer the pending step.
    mark: i32,
    pub orders: u32,
    last_push: usize,
}

impl Cust {
    pub fn new(user: TgUser) -> Cust {
        Cust { user, step: 0, wizard: 0, mark: 0, orders: 0, last_push: 0 }
    }
}

#[derive(Clone, Debug)]
pub enum Kind {
    Message,
    Callback(String),
}

#[derive(Clone, Debug)]
pub struct Push {
    pub chat: i64,
    pub at: Instant,
    pub kind: Kind,
    /// Wizard step (0 /order, 1 type, 2 number, 3 value, 4 confirm).
    pub step: u8,
    /// When the driver saw the step's whole answer (within about a millisecond).
    pub done: Option<Instant>,
}

#[derive(Default, Debug)]
pub struct RunStats {
    pub first_push: Option<Instant>,
    /// When the driver saw the last answer.
    pub end: Option<Instant>,
    pub pushes: usize,
    pub steps_answered: usize,
    pub orders_placed: usize,
    pub unfinished: usize,
    /// Paced mode: arrivals skipped because no customer was free.
    pub missed: usize,
}

pub struct Driver<'a> {
    pub tg: &'a FakeTelegram,
    pub flow: Flow,
    pub custs: Vec<Cust>,
    pub pushes: Vec<Push>,
    /// Closed mode: customers who take a finished customer's place (a fresh chat each), so the
    /// number at once stays the same while chats stay short.
    spare: VecDeque<TgUser>,
    /// Every customer who took part, with their wizard message (for receipts).
    pub done: Vec<Cust>,
}

impl<'a> Driver<'a> {
    pub fn new(tg: &'a FakeTelegram, flow: Flow, users: Vec<TgUser>) -> Driver<'a> {
        Driver::with_slots(tg, flow, users, usize::MAX)
    }

    /// `slots` customers at once; the rest wait and take the place of one who finished.
    pub fn with_slots(tg: &'a FakeTelegram, flow: Flow, mut users: Vec<TgUser>, slots: usize) -> Driver<'a> {
        let spare: VecDeque<TgUser> = users.split_off(slots.min(users.len())).into();
        Driver {
            tg,
            flow,
            custs: users.into_iter().map(Cust::new).collect(),
            pushes: Vec::new(),
            spare,
            done: Vec::new(),
        }
    }

    /// The chat of every customer who took part.
    pub fn chats(&self) -> Vec<i64> {
        self.done.iter().chain(self.custs.iter()).map(|c| c.user.id).collect()
    }

    fn push(&mut self, i: usize) {
        let tg = self.tg;
        let c = &mut self.custs[i];
        let u = &c.user;
        let kind = match (self.flow, c.step) {
            (_, 0) => {
                c.mark = tg.send_text(u, "/order");
                Kind::Message
            }
            (_, 2) => {
                c.mark = tg.send_text(u, NUMBER);
                Kind::Message
            }
            (Flow::Order, s) => {
                let label = ["", "ADSL", "", "1\u{202f}000\u{a0}DA", "Confirm"][s as usize];
                c.mark = c.wizard;
                Kind::Callback(tg.press_button(u, c.wizard, label))
            }
            (Flow::Echo, s) => {
                let data = ["", "t:ADSL", "", "v:1000", "ok"][s as usize];
                c.mark = c.wizard;
                Kind::Callback(tg.press(u, c.wizard, data))
            }
        };
        c.last_push = self.pushes.len();
        self.pushes.push(Push { chat: u.id, at: Instant::now(), kind, step: c.step, done: None });
    }

    /// Whether the bot has answered customer `i`'s pending step (and notes the message to press
    /// next).
    fn answered(&mut self, i: usize) -> bool {
        let tg = self.tg;
        let c = &mut self.custs[i];
        let chat = c.user.id;
        match (self.flow, c.step) {
            (Flow::Echo, _) => match tg.last_bot_message(chat) {
                Some(m) if m.message_id > c.mark => {
                    c.wizard = m.message_id;
                    true
                }
                _ => false,
            },
            (Flow::Order, 0 | 2) => {
                let want = if c.step == 0 { "ADSL" } else { "1\u{202f}000\u{a0}DA" };
                match tg.last_bot_message(chat) {
                    Some(m) if m.message_id > c.mark && m.has_button(want) => {
                        c.wizard = m.message_id;
                        true
                    }
                    _ => false,
                }
            }
            (Flow::Order, s) => {
                let w = c.wizard;
                let Some(m) = tg.bot_messages(chat).into_iter().rev().find(|m| m.message_id == w) else {
                    return false;
                };
                match s {
                    1 => m.plain.contains("phone number"),
                    3 => m.has_button("Confirm"),
                    _ => m.plain.contains("Order #"),
                }
            }
        }
    }

    /// Runs until every customer is done (closed) or the offered period is over and every
    /// pending step answered (paced), or `limit` passes.
    pub async fn run(&mut self, mode: Mode, limit: Duration) -> RunStats {
        let mut st = RunStats::default();
        let start = Instant::now();
        let hard_end = start + limit;
        let mut waiting: VecDeque<usize> = VecDeque::new();
        let mut ready: VecDeque<usize> = (0..self.custs.len()).collect();
        let (orders_each, paced) = match mode {
            Mode::Closed { orders } => (orders, None),
            Mode::Paced { rate, duration } => (u32::MAX, Some((rate, start + duration))),
        };
        let first_push_index = self.pushes.len();
        if paced.is_none() {
            while let Some(i) = ready.pop_front() {
                self.push(i);
                waiting.push_back(i);
            }
        }
        let mut next_tick = Instant::now();
        loop {
            let now = Instant::now();
            if now >= hard_end {
                break;
            }
            if let Some((rate, end)) = paced {
                let period = Duration::from_secs_f64(1.0 / rate);
                while next_tick <= now && next_tick < end {
                    match ready.pop_front() {
                        Some(i) => {
                            self.push(i);
                            waiting.push_back(i);
                        }
                        None => st.missed += 1,
                    }
                    next_tick += period;
                }
                if now >= end && waiting.is_empty() {
                    break;
                }
            } else if waiting.is_empty() {
                break;
            }
            let mut misses = 0;
            let mut progressed = 0;
            for _ in 0..waiting.len() {
                let Some(i) = waiting.pop_front() else { break };
                if !self.answered(i) {
                    waiting.push_back(i);
                    misses += 1;
                    if misses >= MISSES_PER_SCAN {
                        break;
                    }
                    continue;
                }
                progressed += 1;
                st.steps_answered += 1;
                let now = Instant::now();
                st.end = Some(now);
                let c = &mut self.custs[i];
                self.pushes[c.last_push].done = Some(now);
                c.step += 1;
                if c.step == 5 {
                    c.step = 0;
                    c.orders += 1;
                    st.orders_placed += 1;
                    if paced.is_none() && c.orders >= orders_each {
                        let Some(next) = self.spare.pop_front() else { continue };
                        let old = std::mem::replace(c, Cust::new(next));
                        self.done.push(old);
                    }
                }
                if paced.is_some() {
                    // Every step is an arrival of the offered load: wait for a tick.
                    ready.push_back(i);
                    continue;
                }
                self.push(i);
                waiting.push_back(i);
            }
            if progressed == 0 {
                // Sleep until the bot makes its next call (or 1 ms, or the next arrival).
                let mut wake = Instant::now() + Duration::from_millis(1);
                if paced.is_some() && next_tick < wake {
                    wake = next_tick.max(Instant::now());
                }
                let tg = self.tg;
                let seen = answer_calls(tg);
                let next_call = tg.wait_for(Duration::from_secs(3600), |t| (answer_calls(t) != seen).then_some(()));
                let _ = tokio::time::timeout_at(wake.into(), next_call).await;
            } else {
                tokio::task::yield_now().await;
            }
        }
        st.unfinished = waiting.len();
        st.pushes = self.pushes.len() - first_push_index;
        st.first_push = self.pushes.get(first_push_index).map(|p| p.at);
        st
    }
}

/// Time from each update to the driver seeing its whole answer, for pushes of `step` (any when
/// None), sorted.
pub fn step_latencies(pushes: &[Push], step: Option<u8>) -> Vec<Duration> {
    let mut v: Vec<Duration> = pushes
        .iter()
        .filter(|p| step.is_none_or(|s| p.step == s))
        .filter_map(|p| p.done.map(|d| d.saturating_duration_since(p.at)))
        .collect();
    v.sort();
    v
}

/// Calls that can answer a customer; a change wakes the driver.
fn answer_calls(tg: &FakeTelegram) -> usize {
    ["sendMessage", "editMessageText", "answerCallbackQuery", "editMessageReplyMarkup"]
        .iter()
        .map(|m| tg.call_count(m))
        .sum()
}

/// The chat a call was addressed to, and for answerCallbackQuery the query id.
fn call_target(c: &Call) -> (Option<i64>, Option<&str>) {
    if c.method == "answercallbackquery" {
        let id = c.body.get("callback_query_id").and_then(|v| v.as_str());
        // The fake's query ids are "cbq-<chat>-<n>".
        let chat =
            id.and_then(|s| s.strip_prefix("cbq-")).and_then(|s| s.split('-').next()).and_then(|s| s.parse().ok());
        return (chat, id);
    }
    let chat = match c.body.get("chat_id") {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    (chat, None)
}

/// Calls indexed by chat (arrival time, method), and answerCallbackQuery by query id.
pub struct CallIndex {
    by_chat: HashMap<i64, Vec<(Instant, String)>>,
    answered: HashMap<String, Instant>,
}

impl CallIndex {
    pub fn new(calls: &[Call]) -> CallIndex {
        let mut by_chat: HashMap<i64, Vec<(Instant, String)>> = HashMap::new();
        let mut answered = HashMap::new();
        for c in calls {
            let (chat, qid) = call_target(c);
            if let Some(q) = qid {
                answered.entry(q.to_owned()).or_insert(c.at);
            }
            if let Some(chat) = chat {
                by_chat.entry(chat).or_default().push((c.at, c.method.clone()));
            }
        }
        for v in by_chat.values_mut() {
            v.sort_by_key(|x| x.0);
        }
        CallIndex { by_chat, answered }
    }

    /// First call to `chat` at or after `t` whose method passes `ok`.
    pub fn first_after(&self, chat: i64, t: Instant, ok: impl Fn(&str) -> bool) -> Option<Instant> {
        let v = self.by_chat.get(&chat)?;
        let start = v.partition_point(|x| x.0 < t);
        v[start..].iter().find(|x| ok(&x.1)).map(|x| x.0)
    }

    /// Time from each update becoming available to the bot's first answer in that chat: the
    /// answerCallbackQuery of a press, else the first message sent, edited or "typing…".
    /// Receipt edits by the order tracker (editMessageText) never count as an answer to a text.
    pub fn first_answers(&self, pushes: &[Push]) -> (Vec<Duration>, usize) {
        let mut out = Vec::with_capacity(pushes.len());
        let mut missing = 0;
        for p in pushes {
            let t = match &p.kind {
                Kind::Callback(q) => {
                    self.answered.get(q).copied().or_else(|| self.first_after(p.chat, p.at, |m| m == "sendmessage"))
                }
                Kind::Message => self.first_after(p.chat, p.at, |m| {
                    matches!(m, "sendmessage" | "editmessagereplymarkup" | "sendchataction" | "copymessage")
                }),
            };
            match t {
                Some(t) => out.push(t.saturating_duration_since(p.at)),
                None => missing += 1,
            }
        }
        out.sort();
        (out, missing)
    }

    /// Last non-getUpdates call before `until` (the end of the bot's work for a run).
    pub fn last_call_before(calls: &[Call], until: Instant) -> Option<Instant> {
        calls.iter().filter(|c| c.method != "getupdates" && c.at <= until).map(|c| c.at).max()
    }
}
