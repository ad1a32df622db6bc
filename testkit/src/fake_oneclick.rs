//! A fake OneClickDZ API v3 (internet top-ups and account endpoints) on 127.0.0.1.
//!
//! Shapes follow the OneClickDZ API v3 documentation. Top-ups evolve by per-number
//! scripts counted in status checks, so tests decide outcomes (fulfilled, queued, refunded)
//! deterministically; faults (errors, delays, lost responses) are injected per endpoint.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};

pub const DEFAULT_API_KEY: &str = "test-key";
/// The account username; the API prefixes topupRef with it.
pub const ACCOUNT_USERNAME: &str = "+213665983439";
/// Card codes start with this so tests can recognise them in messages (and in logs).
pub const CARD_CODE_PREFIX: &str = "7788";

/// How a top-up for a number evolves; counted in status checks (check-id / check-ref) of that top-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// HANDLING for the first `after_checks` checks, then FULFILLED with a card code.
    Fulfill { after_checks: u32 },
    /// HANDLING for `after_checks` checks, then QUEUED until `set_status`.
    Queue { after_checks: u32 },
    /// HANDLING for `after_checks` checks, then REFUNDED (cost returned to the balance).
    Refund { after_checks: u32 },
    /// HANDLING until the test calls `set_status`.
    Manual,
    /// HANDLING for `after_checks` checks, then FULFILLED without a `card_code` (a malformed answer
    /// the bot must not take as a delivery).
    FulfillWithoutCode { after_checks: u32 },
    /// HANDLING for `after_checks` checks, then a status the API does not document.
    Status { after_checks: u32, status: &'static str },
    /// FULFILLED (with a code) after `after_checks` checks, then REFUNDED on the next check: a move
    /// the API should never make.
    FulfillThenRefund { after_checks: u32 },
    /// HANDLING until a moment drawn (evenly, from the fake's seeded generator) between `min_ms`
    /// and `max_ms` after the send, then FULFILLED with a code, whoever looks (check or list):
    /// the operator's own pace, independent of how often the bot asks.
    FulfillAfter { min_ms: u64, max_ms: u64 },
}

/// A broken `/v3/internet/list` (see `break_list`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFault {
    /// 500 INTERNAL_ERROR.
    ServerError,
    /// 200 with a body the docs do not describe (`data.rows` instead of `data.items`).
    WrongShape,
}

impl Default for Script {
    fn default() -> Self {
        Script::Fulfill { after_checks: 1 }
    }
}

#[derive(Clone, Debug)]
struct Product {
    value: i64,
    cost: f64,
    available: bool,
}

#[derive(Clone, Debug)]
struct Topup {
    id: String,
    r#ref: String,
    kind: String,
    number: String,
    value: i64,
    cost: f64,
    status: String,
    checks: u32,
    script: Script,
    /// set_status was used: the script no longer drives this top-up.
    forced: bool,
    refunded: bool,
    card_code: Option<String>,
    num_trans: Option<String>,
    date_traitement: Option<String>,
    created_at: String,
    /// Until then check-id, check-ref and list do not see it (a send still being processed).
    hidden_until: Option<Instant>,
    /// When it was created (for list's `from` / `to`), ms since the epoch.
    created_ms: i64,
    /// `FulfillAfter`: when it becomes FULFILLED.
    fulfil_at: Option<Instant>,
    /// When it became FULFILLED upstream (the moment, not when somebody looked).
    fulfilled_at: Option<Instant>,
}

/// Injections still to fire: (remaining uses, payload), applied front first.
type Injected<T> = VecDeque<(usize, T)>;

struct State {
    key: String,
    products: HashMap<String, Vec<Product>>,
    balance: f64,
    environment: String,
    scripts: HashMap<String, Script>,
    invalid_numbers: HashSet<String>,
    topups: Vec<Topup>,
    by_id: HashMap<String, usize>,
    by_ref: HashMap<String, usize>,
    by_topup_ref: HashMap<String, usize>,
    send_counts: HashMap<String, usize>,
    total_sends: usize,
    errors: HashMap<String, Injected<(u16, Value)>>,
    delays: HashMap<String, Injected<Duration>>,
    accept_then_timeout: Injected<Duration>,
    /// Sends still to be hidden from look-ups for that long after they are processed.
    hide_after_send: Injected<Duration>,
    /// While on, processed sends keep their answer until `release_send_answers`.
    hold_send_answers: bool,
    /// Processed sends whose answer is being held right now.
    sends_held: usize,
    /// Requests allowed per rolling minute (None: no limit) and the arrival times counted.
    budget: Option<u32>,
    budget_window: VecDeque<Instant>,
    rate_limited: usize,
    fail_validate: bool,
    requests: Vec<(String, String, Instant)>,
    request_counts: HashMap<String, usize>,
    seq: u64,
    codes_issued: u64,
    id_base: u64,
    /// The rolling window the budget is counted over (60 s unless a test scales it).
    budget_window_len: Duration,
    /// Whether list items carry `card_code` (and the card fields) like check-id does.
    list_card_codes: bool,
    list_fault: Option<ListFault>,
    /// A small seeded generator for `FulfillAfter` (reproducible runs).
    rng: u64,
}

struct Shared {
    state: Mutex<State>,
    notify: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test must not poison the fake for the server tasks.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The fake server. Dropping it shuts the server down.
pub struct FakeOneClick {
    shared: Arc<Shared>,
    addr: SocketAddr,
    key: String,
    shutdown_tx: Option<oneshot::Sender<()>>,
}

impl Drop for FakeOneClick {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
    }
}

fn default_products(kind: &str) -> Vec<Product> {
    let values: &[i64] = if kind == "ADSL" { &[500, 1000, 2000] } else { &[1000, 1500, 2000, 3500] };
    values.iter().map(|&v| Product { value: v, cost: round2(v as f64 * 0.98), available: true }).collect()
}

impl FakeOneClick {
    pub async fn start() -> FakeOneClick {
        let products =
            HashMap::from([("ADSL".to_owned(), default_products("ADSL")), ("4G".to_owned(), default_products("4G"))]);
        let state = State {
            key: DEFAULT_API_KEY.to_owned(),
            products,
            balance: 100_000.0,
            environment: "SANDBOX".to_owned(),
            scripts: HashMap::new(),
            invalid_numbers: HashSet::new(),
            topups: Vec::new(),
            by_id: HashMap::new(),
            by_ref: HashMap::new(),
            by_topup_ref: HashMap::new(),
            send_counts: HashMap::new(),
            total_sends: 0,
            errors: HashMap::new(),
            delays: HashMap::new(),
            accept_then_timeout: VecDeque::new(),
            hide_after_send: VecDeque::new(),
            hold_send_answers: false,
            sends_held: 0,
            budget: None,
            budget_window: VecDeque::new(),
            rate_limited: 0,
            fail_validate: false,
            requests: Vec::new(),
            request_counts: HashMap::new(),
            seq: 0,
            codes_issued: 0,
            budget_window_len: Duration::from_secs(60),
            list_card_codes: true,
            list_fault: None,
            rng: 0x9E37_79B9_7F4A_7C15,
            // Ids look like MongoDB ObjectIds: a time prefix then a counter.
            id_base: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        };
        let shared = Arc::new(Shared { state: Mutex::new(state), notify: Notify::new() });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("fake oneclick: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake oneclick: local_addr");
        // A key per fake: a bot left over from another test that reaches a reused port gets 401.
        let key = format!("{DEFAULT_API_KEY}-{}", addr.port());
        shared.state.lock().unwrap().key = key.clone();
        let app = crate::fake_ocpay::merge(Router::new().fallback(handle).with_state(shared.clone()), addr, &key);
        let tx = crate::serve(listener, app);
        FakeOneClick { shared, addr, key, shutdown_tx: Some(tx) }
    }

    /// e.g. "http://127.0.0.1:PORT" (paths start with /v3).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn api_key(&self) -> &str {
        &self.key
    }

    /// Replaces the catalogue of "ADSL" or "4G": (value, cost, available).
    pub fn set_products(&self, t: &str, products: Vec<(i64, f64, bool)>) {
        let list = products.into_iter().map(|(value, cost, available)| Product { value, cost, available }).collect();
        self.shared.lock().products.insert(t.to_owned(), list);
    }

    pub fn set_available(&self, t: &str, value: i64, available: bool) {
        let mut st = self.shared.lock();
        let p = st
            .products
            .get_mut(t)
            .and_then(|l| l.iter_mut().find(|p| p.value == value))
            .unwrap_or_else(|| panic!("set_available: no {t} product with value {value}"));
        p.available = available;
    }

    pub fn set_balance(&self, b: f64) {
        self.shared.lock().balance = b;
    }

    pub fn balance(&self) -> f64 {
        self.shared.lock().balance
    }

    /// "SANDBOX" or "PRODUCTION", as reported by /v3/validate.
    pub fn set_environment(&self, env: &str) {
        self.shared.lock().environment = env.to_owned();
    }

    /// Script for future top-ups to `number` (unscripted numbers: Fulfill { after_checks: 1 }).
    pub fn script(&self, number: &str, s: Script) {
        self.shared.lock().scripts.insert(number.to_owned(), s);
    }

    /// check-number and send answer ERR_PHONE for this (well-formed) number.
    pub fn mark_invalid_number(&self, number: &str) {
        self.shared.lock().invalid_numbers.insert(number.to_owned());
    }

    /// Forces a top-up (by the ref we sent) to HANDLING, QUEUED, FULFILLED (generates the
    /// code) or REFUNDED (returns the cost); its script stops applying.
    pub fn set_status(&self, r#ref: &str, status: &str) {
        let mut st = self.shared.lock();
        let idx = *st.by_ref.get(r#ref).unwrap_or_else(|| panic!("set_status: unknown ref {ref:?}"));
        st.topups[idx].forced = true;
        apply_status(&mut st, idx, status);
        drop(st);
        self.shared.notify.notify_waiters();
    }

    /// The card code generated for that order, once fulfilled.
    pub fn card_code_for(&self, r#ref: &str) -> Option<String> {
        let st = self.shared.lock();
        st.by_ref.get(r#ref).and_then(|&i| st.topups[i].card_code.clone())
    }

    /// Current status of that order (without counting as a check).
    pub fn status_of(&self, r#ref: &str) -> Option<String> {
        let mut st = self.shared.lock();
        let idx = *st.by_ref.get(r#ref)?;
        advance_timed(&mut st, idx);
        Some(st.topups[idx].status.clone())
    }

    /// Status checks (check-id + check-ref) made on that order.
    pub fn check_count(&self, r#ref: &str) -> u32 {
        let st = self.shared.lock();
        st.by_ref.get(r#ref).map(|&i| st.topups[i].checks).unwrap_or(0)
    }

    /// POSTs to /send that carried this ref, including rejected ones.
    pub fn send_count(&self, r#ref: &str) -> usize {
        self.shared.lock().send_counts.get(r#ref).copied().unwrap_or(0)
    }

    /// All POSTs to /send.
    pub fn total_sends(&self) -> usize {
        self.shared.lock().total_sends
    }

    /// Refs of the top-ups created, oldest first.
    pub fn topup_refs(&self) -> Vec<String> {
        self.shared.lock().topups.iter().map(|t| t.r#ref.clone()).collect()
    }

    /// The next `count` requests to `endpoint` ("validate", "balance", "products",
    /// "check-number", "send", "check-id", "check-ref", "list") answer `http_status` with
    /// `body`, without being processed.
    pub fn inject_error(&self, endpoint: &str, count: usize, http_status: u16, body: Value) {
        if count == 0 {
            return;
        }
        self.shared.lock().errors.entry(endpoint.to_owned()).or_default().push_back((count, (http_status, body)));
    }

    /// The next `count` requests to `endpoint` wait `delay` BEFORE being processed: a client
    /// that gives up first leaves no trace (unlike `send_accept_then_timeout`).
    pub fn inject_delay(&self, endpoint: &str, count: usize, delay: Duration) {
        if count == 0 {
            return;
        }
        self.shared.lock().delays.entry(endpoint.to_owned()).or_default().push_back((count, delay));
    }

    /// The next `count` sends are processed (top-up created, balance charged) but the response
    /// is held for `delay`, so a client with a shorter timeout does not learn the outcome.
    pub fn send_accept_then_timeout(&self, count: usize, delay: Duration) {
        if count == 0 {
            return;
        }
        self.shared.lock().accept_then_timeout.push_back((count, delay));
    }

    /// The next `count` sends are processed (top-up created, balance charged) but check-id,
    /// check-ref and list answer NOT_FOUND for `hidden_for` after it: the race the bot's
    /// reconcile grace exists for. With `send_accept_then_timeout` the client gives up too.
    pub fn send_hidden_for(&self, count: usize, hidden_for: Duration) {
        if count == 0 {
            return;
        }
        self.shared.lock().hide_after_send.push_back((count, hidden_for));
    }

    /// From now on, every send is processed (top-up created, balance charged) but its answer hangs
    /// until `release_send_answers`: a client killed meanwhile never learns the outcome.
    pub fn hold_send_answers(&self) {
        self.shared.lock().hold_send_answers = true;
    }

    /// Lets held send answers go and stops holding new ones.
    pub fn release_send_answers(&self) {
        self.shared.lock().hold_send_answers = false;
        self.shared.notify.notify_waiters();
    }

    /// Processed sends whose answer is being held now (see `hold_send_answers`).
    pub fn sends_held(&self) -> usize {
        self.shared.lock().sends_held
    }

    /// A request budget per rolling minute, as the real API enforces per key: past it, 429
    /// RATE_LIMIT_EXCEEDED with a `Retry-After` header. None (the default) for no limit.
    pub fn set_budget_per_minute(&self, budget: Option<u32>) {
        let mut st = self.shared.lock();
        st.budget = budget;
        st.budget_window.clear();
        st.budget_window_len = Duration::from_secs(60);
    }

    /// A budget of `budget` requests per rolling `window`, for tests that scale time down.
    pub fn set_budget_per_window(&self, budget: u32, window: Duration) {
        let mut st = self.shared.lock();
        st.budget = Some(budget);
        st.budget_window.clear();
        st.budget_window_len = window;
    }

    /// Whether list items carry `card_code`, `num_trans` and `date_traitement` (default: yes, as
    /// check-id does). The docs do not say; the bot must cope with both.
    pub fn set_list_card_codes(&self, on: bool) {
        self.shared.lock().list_card_codes = on;
    }

    /// Breaks `/v3/internet/list` (Some) or mends it (None).
    pub fn break_list(&self, fault: Option<ListFault>) {
        self.shared.lock().list_fault = fault;
    }

    /// Seeds the generator `Script::FulfillAfter` draws its delays from.
    pub fn seed(&self, seed: u64) {
        self.shared.lock().rng = seed | 1;
    }

    /// When that order became FULFILLED upstream, if it has.
    pub fn fulfilled_at(&self, r#ref: &str) -> Option<Instant> {
        let mut st = self.shared.lock();
        let idx = *st.by_ref.get(r#ref)?;
        advance_timed(&mut st, idx);
        st.topups[idx].fulfilled_at
    }

    /// The most requests that arrived within any `window` (half-open), over the whole run.
    pub fn max_requests_in(&self, window: Duration) -> usize {
        let st = self.shared.lock();
        let times: Vec<Instant> = st.requests.iter().map(|r| r.2).collect();
        max_in_window(&times, window)
    }

    /// Requests refused by the budget so far.
    pub fn rate_limited(&self) -> usize {
        self.shared.lock().rate_limited
    }

    /// The next `count` requests to `endpoint` answer 429 RATE_LIMIT_EXCEEDED with
    /// `Retry-After: retry_after_secs`, without being processed.
    pub fn inject_rate_limit(&self, endpoint: &str, count: usize, retry_after_secs: u32) {
        let body = json!({ "success": false, "error": { "code": "RATE_LIMIT_EXCEEDED", "message": "Too many requests",
                            "retryAfter": retry_after_secs } });
        self.inject_error(endpoint, count, 429, body);
    }

    /// While on, /v3/validate answers 503 SERVICE_UNAVAILABLE.
    pub fn fail_validate(&self, on: bool) {
        self.shared.lock().fail_validate = on;
    }

    /// (HTTP method, path with query, arrival time) of every request.
    pub fn requests(&self) -> Vec<(String, String, Instant)> {
        self.shared.lock().requests.clone()
    }

    pub fn request_count(&self, endpoint: &str) -> usize {
        self.shared.lock().request_counts.get(endpoint).copied().unwrap_or(0)
    }

    /// Re-evaluates `f` after every request and at least every 20 ms until it returns Some.
    /// Panics on timeout with a dump of the last requests and top-ups.
    pub async fn wait_for<T>(&self, timeout: Duration, mut f: impl FnMut(&FakeOneClick) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register interest before evaluating so a request landing in between is not missed.
            let notified = self.shared.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(v) = f(self) {
                return v;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("FakeOneClick::wait_for timed out after {timeout:?}\n{}", self.debug_dump());
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Last requests, top-ups and balance, for failure messages.
    pub fn debug_dump(&self) -> String {
        let st = self.shared.lock();
        let mut out = String::new();
        let start = st.requests.len().saturating_sub(15);
        let _ = writeln!(
            out,
            "last {} of {} requests to the fake OneClickDZ:",
            st.requests.len() - start,
            st.requests.len()
        );
        let t0 = st.requests.first().map(|r| r.2);
        for (m, p, at) in &st.requests[start..] {
            let ms = t0.map(|t| at.duration_since(t).as_millis()).unwrap_or(0);
            let _ = writeln!(out, "  +{ms}ms {m} {p}");
        }
        let _ = writeln!(out, "balance: {}; top-ups ({}):", st.balance, st.topups.len());
        for t in st.topups.iter().rev().take(10) {
            let _ = writeln!(
                out,
                "  ref={} {} {} {} status={} checks={} script={:?}",
                t.r#ref, t.kind, t.number, t.value, t.status, t.checks, t.script
            );
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP side

async fn handle(
    AxState(shared): AxState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let path_q = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| path.clone());
    let endpoint = classify(&method, &path);
    let query: HashMap<String, String> =
        uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let json_body: Option<Value> = serde_json::from_slice(&body).ok();

    let delay = {
        let mut st = shared.lock();
        st.requests.push((method.to_string(), path_q, Instant::now()));
        *st.request_counts.entry(endpoint.to_owned()).or_default() += 1;
        if endpoint == "send" {
            st.total_sends += 1;
            if let Some(r) = json_body.as_ref().and_then(|b| b.get("ref")).and_then(Value::as_str) {
                *st.send_counts.entry(r.to_owned()).or_default() += 1;
            }
        }
        take_counted(st.delays.get_mut(endpoint))
    };
    shared.notify.notify_waiters();
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }

    let (status, resp, hold, retry_after, hang) = {
        let mut st = shared.lock();
        let over_budget = over_budget(&mut st);
        let (status, resp) = match take_counted(st.errors.get_mut(endpoint)) {
            Some((code, body)) => (code, body),
            None if over_budget.is_some() => {
                st.rate_limited += 1;
                err(&mut st, 429, "RATE_LIMIT_EXCEEDED", "Too many requests", None)
            }
            None => route(&mut st, endpoint, &path, &headers, &query, json_body.as_ref()),
        };
        let processed_send = endpoint == "send" && status == 200;
        let hold = if processed_send { take_counted(Some(&mut st.accept_then_timeout)) } else { None };
        let hang = processed_send && st.hold_send_answers;
        if hang {
            st.sends_held += 1;
        }
        if processed_send
            && let Some(d) = take_counted(Some(&mut st.hide_after_send))
            && let Some(t) = st.topups.last_mut()
        {
            t.hidden_until = Some(Instant::now() + d);
        }
        let retry_after = match over_budget {
            Some(secs) => Some(secs),
            None if status == 429 => resp.pointer("/error/retryAfter").and_then(Value::as_u64).or(Some(1)),
            None => None,
        };
        (status, resp, hold, retry_after, hang)
    };
    shared.notify.notify_waiters();
    if let Some(d) = hold {
        tokio::time::sleep(d).await;
    }
    if hang {
        // Counted back down even if the client goes away and this future is dropped.
        struct Held(Arc<Shared>);
        impl Drop for Held {
            fn drop(&mut self) {
                self.0.lock().sends_held -= 1;
                self.0.notify.notify_waiters();
            }
        }
        let _held = Held(shared.clone());
        loop {
            let released = shared.notify.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            if !shared.lock().hold_send_answers {
                break;
            }
            released.await;
        }
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(resp)).into_response();
    if let Some(secs) = retry_after
        && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    response
}

/// Counts the request against the budget; Some(seconds to wait) when it is over.
fn over_budget(st: &mut State) -> Option<u64> {
    let budget = st.budget? as usize;
    let now = Instant::now();
    let minute = st.budget_window_len;
    while st.budget_window.front().is_some_and(|t| now.duration_since(*t) >= minute) {
        st.budget_window.pop_front();
    }
    if st.budget_window.len() < budget {
        st.budget_window.push_back(now);
        return None;
    }
    let oldest = st.budget_window.front().copied().unwrap_or(now);
    Some((minute.saturating_sub(now.duration_since(oldest))).as_secs().max(1))
}

/// Pops one use of the first injection in a queue of (remaining uses, payload).
fn take_counted<T: Clone>(queue: Option<&mut Injected<T>>) -> Option<T> {
    let queue = queue?;
    let (remaining, payload) = queue.front_mut()?;
    *remaining -= 1;
    let out = payload.clone();
    if *remaining == 0 {
        queue.pop_front();
    }
    Some(out)
}

fn classify(method: &Method, path: &str) -> &'static str {
    let get = method == Method::GET;
    match path.trim_end_matches('/') {
        "/v3/validate" if get => "validate",
        "/v3/account/balance" if get => "balance",
        "/v3/internet/products" if get => "products",
        "/v3/internet/check-number" if get => "check-number",
        "/v3/internet/send" if method == Method::POST => "send",
        "/v3/internet/list" if get => "list",
        p if get && p.starts_with("/v3/internet/check-id/") => "check-id",
        p if get && p.starts_with("/v3/internet/check-ref/") => "check-ref",
        _ => "unknown",
    }
}

type Reply = (u16, Value);

fn route(
    st: &mut State,
    endpoint: &str,
    path: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    body: Option<&Value>,
) -> Reply {
    if endpoint == "unknown" {
        // The real router answers unknown paths Fastify-style, without the envelope.
        return (404, json!({ "message": format!("Route {path} not found"), "error": "Not Found", "statusCode": 404 }));
    }
    match headers.get("x-access-token").and_then(|v| v.to_str().ok()) {
        None => {
            return err(st, 401, "MISSING_ACCESS_TOKEN", "Access token is required", None);
        }
        Some(k) if k != st.key => {
            return err(st, 401, "INVALID_ACCESS_TOKEN", "The provided access token is invalid", None);
        }
        Some(_) => {}
    }
    match endpoint {
        "validate" => {
            if st.fail_validate {
                return err(st, 503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable", None);
            }
            // Like the docs: only success and data.
            let data = json!({
                "username": ACCOUNT_USERNAME,
                "apiKey": { "key": st.key, "isEnabled": true, "type": st.environment,
                            "allowedips": [], "scope": "READ-WRITE" }
            });
            (200, json!({ "success": true, "data": data }))
        }
        "balance" => {
            let data = json!({ "balance": num(st.balance) });
            ok(st, data, None)
        }
        "products" => {
            let Some(kind) = query.get("type").filter(|t| *t == "ADSL" || *t == "4G") else {
                return validation(st, "\"type\" must be one of [ADSL, 4G]", "type");
            };
            let products: Vec<Value> = st.products.get(kind).map_or_else(Vec::new, |l| {
                l.iter().map(|p| json!({ "value": p.value, "cost": num(p.cost), "available": p.available })).collect()
            });
            let kind = kind.clone();
            ok(st, json!({ "products": products }), Some(json!({ "type": kind })))
        }
        "check-number" => {
            let Some(kind) = query.get("type").filter(|t| *t == "ADSL" || *t == "4G").cloned() else {
                return validation(st, "\"type\" must be one of [ADSL, 4G]", "type");
            };
            let Some(number) = query.get("number").filter(|n| !n.is_empty()).cloned() else {
                return validation(st, "\"number\" is required", "number");
            };
            if let Some(e) = phone_error(st, &kind, &number) {
                return e;
            }
            let data = if kind == "ADSL" {
                json!({ "ncli": "11022*****", "offre": "FTTc-b_10M'", "type": "ADSL" })
            } else {
                json!({ "ncli": "11034*****", "type": "4GLTE" })
            };
            ok(st, data, None)
        }
        "send" => send(st, body),
        "check-id" | "check-ref" => {
            let prefix = if endpoint == "check-id" { "/v3/internet/check-id/" } else { "/v3/internet/check-ref/" };
            let key = percent_decode(path.strip_prefix(prefix).unwrap_or_default());
            let idx = if endpoint == "check-id" {
                st.by_id.get(&key).copied()
            } else {
                // Accept our ref and, to be lenient, the prefixed topupRef.
                st.by_ref.get(&key).or_else(|| st.by_topup_ref.get(&key)).copied()
            };
            let idx = idx.filter(|&i| visible(&st.topups[i]));
            let Some(idx) = idx else {
                let what = if endpoint == "check-id" { "id" } else { "reference" };
                return err(st, 404, "NOT_FOUND", &format!("Top-up with {what} '{key}' not found"), None);
            };
            on_check(st, idx);
            let data = topup_json(&st.topups[idx]);
            ok(st, data, None)
        }
        "list" => list(st, query),
        _ => (500, json!({ "success": false, "error": { "code": "INTERNAL_ERROR", "message": "unrouted" } })),
    }
}

/// `GET /v3/internet/list?page=&pageSize=&from=&to=`: newest first, `from` / `to` (ISO 8601,
/// inclusive) on the creation time. A look at every listed top-up, so timed scripts advance.
fn list(st: &mut State, query: &HashMap<String, String>) -> Reply {
    match st.list_fault {
        Some(ListFault::ServerError) => return err(st, 500, "INTERNAL_ERROR", "Internal server error", None),
        Some(ListFault::WrongShape) => {
            return ok(st, json!({ "rows": [{ "id": 1 }], "count": 1 }), None);
        }
        None => {}
    }
    let page = query.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
    let size = query.get("pageSize").and_then(|p| p.parse::<usize>().ok()).unwrap_or(20).clamp(1, 100);
    let bound = |k: &str| -> Result<Option<i64>, ()> {
        match query.get(k) {
            None => Ok(None),
            Some(v) => chrono::DateTime::parse_from_rfc3339(v).map(|d| Some(d.timestamp_millis())).map_err(|_| ()),
        }
    };
    let (Ok(from), Ok(to)) = (bound("from"), bound("to")) else {
        return validation(st, "\"from\" and \"to\" must be ISO 8601 dates", "from");
    };
    if from.is_some() != to.is_some() {
        return validation(st, "\"from\" and \"to\" must be given together", "from");
    }
    let shown: Vec<usize> = (0..st.topups.len())
        .rev()
        .filter(|&i| visible(&st.topups[i]))
        .filter(|&i| {
            from.is_none_or(|f| st.topups[i].created_ms >= f) && to.is_none_or(|t| st.topups[i].created_ms <= t)
        })
        .collect();
    let total = shown.len();
    let picked: Vec<usize> = shown.into_iter().skip((page - 1) * size).take(size).collect();
    let with_codes = st.list_card_codes;
    let items: Vec<Value> = picked
        .into_iter()
        .map(|i| {
            advance_timed(st, i);
            let mut v = topup_json(&st.topups[i]);
            if !with_codes && let Some(o) = v.as_object_mut() {
                for k in ["card_code", "num_trans", "date_traitement"] {
                    o.remove(k);
                }
            }
            v
        })
        .collect();
    let data = json!({
        "items": items,
        "pagination": { "page": page, "pageSize": size, "totalPages": total.div_ceil(size), "totalResults": total }
    });
    ok(st, data, None)
}

/// The most of `times` (in arrival order) within any half-open `window`.
pub fn max_in_window(times: &[Instant], window: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    let (mut best, mut k) = (0, 0);
    for i in 0..sorted.len() {
        while k < sorted.len() && sorted[k].duration_since(sorted[i]) < window {
            k += 1;
        }
        best = best.max(k - i);
    }
    best
}

/// A `FulfillAfter` top-up whose moment has come is FULFILLED, dated at that moment.
fn advance_timed(st: &mut State, idx: usize) {
    let t = &st.topups[idx];
    if t.forced || t.status != "HANDLING" {
        return;
    }
    if let Some(at) = t.fulfil_at.filter(|at| Instant::now() >= *at) {
        apply_status(st, idx, "FULFILLED");
        st.topups[idx].fulfilled_at = Some(at);
    }
}

fn next_rand(st: &mut State) -> u64 {
    // xorshift64*: reproducible from the seed, good enough for spreading delays.
    let mut x = st.rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    st.rng = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn send(st: &mut State, body: Option<&Value>) -> Reply {
    let Some(body) = body.filter(|b| b.is_object()) else {
        return validation(st, "request body must be a JSON object", "body");
    };
    let kind = match body.get("type").and_then(Value::as_str) {
        Some(k @ ("ADSL" | "4G")) => k.to_owned(),
        _ => return validation(st, "\"type\" must be one of [ADSL, 4G]", "type"),
    };
    let Some(number) = body.get("number").and_then(Value::as_str).filter(|n| !n.is_empty()).map(str::to_owned) else {
        return validation(st, "\"number\" is required", "number");
    };
    // The docs type `value` as a number; a string is treated as a client bug.
    let Some(value) = body.get("value").and_then(Value::as_f64) else {
        return validation(st, "\"value\" must be a number", "value");
    };
    let r#ref = match body.get("ref") {
        None | Some(Value::Null) => {
            st.seq += 1;
            format!("auto-{}", st.seq)
        }
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return validation(st, "\"ref\" must be a string", "ref"),
    };
    if st.by_ref.contains_key(&r#ref) {
        return err(st, 403, "DUPLICATED_REF", "This reference ID is already in use", None);
    }
    if let Some(e) = phone_error(st, &kind, &number) {
        return e;
    }
    let product = st.products.get(&kind).and_then(|l| l.iter().find(|p| p.value as f64 == value)).cloned();
    let Some(product) = product.filter(|p| p.available) else {
        return err(
            st,
            400,
            "ERR_STOCK",
            "Card value out of stock",
            Some(json!({ "type": kind, "value": num(value) })),
        );
    };
    if st.balance < product.cost {
        let details = json!({ "required": num(product.cost), "available": num(st.balance) });
        return err(st, 403, "INSUFFICIENT_BALANCE", "Insufficient balance", Some(details));
    }
    st.balance = round2(st.balance - product.cost);
    st.seq += 1;
    let id = format!("{:08x}{:016x}", st.id_base & 0xffff_ffff, st.seq);
    let topup_ref = format!("API-{ACCOUNT_USERNAME}-{ref}");
    let script = st.scripts.get(&number).copied().unwrap_or_default();
    let fulfil_at = match script {
        Script::FulfillAfter { min_ms, max_ms } => {
            let span = max_ms.saturating_sub(min_ms) + 1;
            let delay = min_ms + next_rand(st) % span;
            Some(Instant::now() + Duration::from_millis(delay))
        }
        _ => None,
    };
    let topup = Topup {
        id: id.clone(),
        r#ref: r#ref.clone(),
        kind,
        number,
        value: product.value,
        cost: product.cost,
        status: "HANDLING".into(),
        checks: 0,
        script,
        forced: false,
        refunded: false,
        card_code: None,
        num_trans: None,
        date_traitement: None,
        created_at: now_iso(),
        hidden_until: None,
        created_ms: chrono::Utc::now().timestamp_millis(),
        fulfil_at,
        fulfilled_at: None,
    };
    let idx = st.topups.len();
    st.topups.push(topup);
    st.by_id.insert(id.clone(), idx);
    st.by_ref.insert(r#ref, idx);
    st.by_topup_ref.insert(topup_ref.clone(), idx);
    ok(st, json!({ "topupId": id, "topupRef": topup_ref }), None)
}

fn phone_error(st: &mut State, kind: &str, number: &str) -> Option<Reply> {
    let digits = number.bytes().all(|b| b.is_ascii_digit());
    let well_formed = digits
        && if kind == "ADSL" {
            number.len() == 9 && number.starts_with('0')
        } else {
            number.len() == 12 && number.starts_with("213")
        };
    if well_formed && !st.invalid_numbers.contains(number) {
        return None;
    }
    let reason =
        if well_formed { "Number is not eligible for this service" } else { "Number does not match required format" };
    let details = json!({ "number": number, "type": kind, "reason": reason });
    Some(err(st, 400, "ERR_PHONE", &format!("Invalid phone number for {kind} service"), Some(details)))
}

fn visible(t: &Topup) -> bool {
    t.hidden_until.is_none_or(|until| Instant::now() >= until)
}

/// A status check advances the top-up's script.
fn on_check(st: &mut State, idx: usize) {
    advance_timed(st, idx);
    let t = &mut st.topups[idx];
    t.checks += 1;
    if t.forced {
        return;
    }
    if let Script::FulfillThenRefund { after_checks } = t.script {
        // FULFILLED is not final here: the next check after it refunds.
        match t.status.as_str() {
            "HANDLING" if t.checks > after_checks => apply_status(st, idx, "FULFILLED"),
            "FULFILLED" => apply_status(st, idx, "REFUNDED"),
            _ => {}
        }
        return;
    }
    if t.status != "HANDLING" {
        return;
    }
    let next = match t.script {
        Script::Fulfill { after_checks } if t.checks > after_checks => "FULFILLED",
        Script::Queue { after_checks } if t.checks > after_checks => "QUEUED",
        Script::Refund { after_checks } if t.checks > after_checks => "REFUNDED",
        Script::Status { after_checks, status } if t.checks > after_checks => status,
        Script::FulfillWithoutCode { after_checks } if t.checks > after_checks => {
            t.status = "FULFILLED".into();
            return;
        }
        _ => return,
    };
    apply_status(st, idx, next);
}

fn apply_status(st: &mut State, idx: usize, status: &str) {
    match status {
        "FULFILLED" if st.topups[idx].card_code.is_none() => {
            st.codes_issued += 1;
            let n = st.codes_issued;
            let t = &mut st.topups[idx];
            t.card_code = Some(format!("{CARD_CODE_PREFIX}{n:012}"));
            t.num_trans = Some(format!("AT-TEST-{n}"));
            t.date_traitement = Some(now_iso());
            t.fulfilled_at = Some(Instant::now());
        }
        "REFUNDED" if !st.topups[idx].refunded => {
            st.topups[idx].refunded = true;
            st.balance = round2(st.balance + st.topups[idx].cost);
        }
        _ => {}
    }
    st.topups[idx].status = status.to_owned();
}

fn topup_json(t: &Topup) -> Value {
    let mut v = json!({
        "_id": t.id,
        "ref": t.r#ref,
        "status": t.status,
        "type": t.kind,
        "number": t.number,
        "topup_amount": t.value,
        "created_at": t.created_at,
    });
    // The docs show the card fields only on FULFILLED top-ups.
    if t.status == "FULFILLED" && t.card_code.is_some() {
        v["card_code"] = json!(t.card_code);
        v["num_trans"] = json!(t.num_trans);
        v["date_traitement"] = json!(t.date_traitement);
    }
    v
}

fn next_request_id(st: &mut State) -> String {
    st.seq += 1;
    format!("req_{}_{:06x}", st.id_base, st.seq)
}

fn ok(st: &mut State, data: Value, meta_extra: Option<Value>) -> Reply {
    let mut meta = json!({ "timestamp": now_iso() });
    if let Some(Value::Object(extra)) = meta_extra {
        for (k, v) in extra {
            meta[k] = v;
        }
    }
    (200, json!({ "success": true, "data": data, "meta": meta, "requestId": next_request_id(st) }))
}

fn err(st: &mut State, status: u16, code: &str, message: &str, details: Option<Value>) -> Reply {
    let mut error = json!({ "code": code, "message": message });
    if let Some(d) = details {
        error["details"] = d;
    }
    (status, json!({ "success": false, "error": error, "requestId": next_request_id(st) }))
}

fn validation(st: &mut State, message: &str, field: &str) -> Reply {
    err(st, 400, "ERR_VALIDATION", message, Some(json!({ "fields": [field] })))
}

/// Whole amounts serialise as integers, like the real API (`490`, not `490.0`).
fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 { json!(x as i64) } else { json!(x) }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = ((bytes[i + 1] as char).to_digit(16), (bytes[i + 2] as char).to_digit(16))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
