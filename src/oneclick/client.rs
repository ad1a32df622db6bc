//! The async OneClickDZ v3 client: URL building, auth header, rate limiting, GET retries.
//!
//! Retry policy: GETs are retried on transient errors (network, timeout, 5xx, 429) with capped
//! exponential backoff, honouring `Retry-After`. `POST /internet/send` is never retried here:
//! after an unknown outcome the caller must reconcile with check-ref before sending again.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::Rng;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use tokio::time::Instant;
use url::Url;

use super::error::{OneClickError, foreign_404, is_api_error_envelope, parse_retry_after};
use super::types::{
    AccountBalance, FromData, KeyInfo, NumberInfo, Product, SendRequest, SendResponse, Topup, TopupPage, parse_response,
};
use crate::domain::CardType;
use crate::ratelimit::{Lane, RateLimiter};

/// Burst slots of the request budget that sends, checks and list pages leave to customers' own
/// requests (a number check, a price list): with the budget in full use, a customer still goes at
/// once instead of queueing a slot or more behind the tracker.
const CUSTOMER_RESERVE: u32 = 3;

/// Bodies are small JSON documents (a list page is 100 items at most); anything bigger is a
/// misbehaving proxy and is not worth buffering.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone)]
pub struct ClientConfig {
    /// e.g. `https://api.oneclickdz.com` (a trailing slash or a path prefix are fine).
    pub base_url: String,
    pub api_key: String,
    /// Whole request, body included.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Client-side ceiling shared by all clones of the client; 0 disables it.
    pub requests_per_minute: u32,
    /// Extra attempts for GETs after a transient failure.
    pub get_retries: u32,
    /// First retry delay; doubles per attempt up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Cap for backoff and for honoured `Retry-After` values.
    pub max_backoff: Duration,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            api_key: api_key.into(),
            request_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            // The published Bill Payment ceiling for production keys; assumed for Flexy too.
            requests_per_minute: 120,
            get_retries: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("get_retries", &self.get_retries)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .finish()
    }
}

// Who waits for a request when the budget is short (`Lane`): requests a customer is waiting on
// in the chat (number check, products, balance) book the next slot; the tracker's work (sends of
// placed orders, status polls), which the customer follows on a "processing" receipt, only takes
// slots those leave (measured: with one queue, 100 orders in flight made customers wait a minute
// for their number check).

/// Cheap to clone; clones share the connection pool, the rate limiter and the request counter.
#[derive(Clone)]
pub struct OneClickClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// Parsed and checked to be usable as a base (`path_segments_mut` works).
    base: Url,
    /// Marked sensitive so reqwest/hyper never print it.
    key: HeaderValue,
    limiter: RateLimiter,
    requests: AtomicU64,
    get_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl fmt::Debug for OneClickClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut base = self.inner.base.clone();
        let _ = base.set_password(None);
        f.debug_struct("OneClickClient")
            .field("base_url", &base.as_str())
            .field("limiter", &self.inner.limiter)
            .field("get_retries", &self.inner.get_retries)
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

fn config_error(message: &str) -> OneClickError {
    OneClickError::Config(message.to_string())
}

impl OneClickClient {
    /// Fails with `InvalidKey` for an empty or non-ASCII key, and with `Config` for an unusable
    /// base URL.
    pub fn new(cfg: ClientConfig) -> Result<Self, OneClickError> {
        Self::with_http_builder(cfg, reqwest::Client::builder())
    }

    pub(crate) fn with_http_builder(cfg: ClientConfig, builder: reqwest::ClientBuilder) -> Result<Self, OneClickError> {
        // Keys pasted into .env files often carry stray whitespace.
        let key = cfg.api_key.trim();
        if key.is_empty() {
            return Err(OneClickError::InvalidKey);
        }
        let mut key = HeaderValue::from_str(key).map_err(|_| OneClickError::InvalidKey)?;
        key.set_sensitive(true);

        let mut base = Url::parse(cfg.base_url.trim()).map_err(|_| config_error("invalid OneClickDZ base URL"))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(config_error("OneClickDZ base URL must be http(s)"));
        }
        base.set_query(None);
        base.set_fragment(None);

        let http = builder
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.connect_timeout)
            // A redirect could turn the POST into a GET, resend it, or carry the key header to
            // another host (reqwest only strips standard auth headers): never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("netcard-bot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| config_error("could not build the HTTP client"))?;

        Ok(OneClickClient {
            inner: Arc::new(Inner {
                http,
                base,
                key,
                limiter: RateLimiter::within_budget(cfg.requests_per_minute).reserving(CUSTOMER_RESERVE),
                requests: AtomicU64::new(0),
                get_retries: cfg.get_retries,
                initial_backoff: cfg.initial_backoff,
                max_backoff: cfg.max_backoff,
            }),
        })
    }

    /// `GET /v3/validate`: which account and environment the key belongs to.
    pub async fn validate(&self) -> Result<KeyInfo, OneClickError> {
        self.get(self.url(&["validate"], &[])).await
    }

    /// `GET /v3/account/balance`
    pub async fn balance(&self) -> Result<AccountBalance, OneClickError> {
        self.get(self.url(&["account", "balance"], &[])).await
    }

    /// `GET /v3/internet/products?type=`. Includes unavailable products; filter on `available`.
    pub async fn products(&self, t: CardType) -> Result<Vec<Product>, OneClickError> {
        self.get(self.url(&["internet", "products"], &[("type", t.as_api())])).await
    }

    /// `GET /v3/internet/check-number?type=&number=`
    pub async fn check_number(&self, t: CardType, number: &str) -> Result<NumberInfo, OneClickError> {
        self.get(self.url(&["internet", "check-number"], &[("type", t.as_api()), ("number", number)])).await
    }

    /// `POST /v3/internet/send` (background lane). Sent exactly once, never retried. On an error where
    /// `outcome_unknown_for_send()` is true, reconcile with `check_ref(req.ref)`.
    pub async fn send(&self, req: &SendRequest) -> Result<SendResponse, OneClickError> {
        let body = serde_json::to_vec(req)
            .map_err(|_| OneClickError::Validation { message: "could not encode the send request".to_string() })?;
        let url = self.url(&["internet", "send"], &[]);
        self.attempt(Lane::Background, Method::POST, &url, Some(body)).await.map_err(|f| f.error)
    }

    /// `GET /v3/internet/check-id/{id}`. A status poll: in the background lane.
    pub async fn check_id(&self, id: &str) -> Result<Topup, OneClickError> {
        let id = non_empty(id, "top-up id")?;
        self.get_in(Lane::Background, self.url(&["internet", "check-id", id], &[])).await
    }

    /// `GET /v3/internet/check-ref/{ref}`. A status poll: in the background lane.
    pub async fn check_ref(&self, r#ref: &str) -> Result<Topup, OneClickError> {
        let r = non_empty(r#ref, "top-up ref")?;
        self.get_in(Lane::Background, self.url(&["internet", "check-ref", r], &[])).await
    }

    /// `GET /v3/internet/list?page=&pageSize=`. Clamped to the documented bounds
    /// (page ≥ 1, 1 ≤ pageSize ≤ 100) rather than earning a 400.
    pub async fn list(&self, page: u32, page_size: u32) -> Result<TopupPage, OneClickError> {
        let page = page.max(1).to_string();
        let size = page_size.clamp(1, 100).to_string();
        self.get(self.url(&["internet", "list"], &[("page", &page), ("pageSize", &size)])).await
    }

    /// `GET /v3/internet/list?page=&pageSize=&from=&to=` for the order tracker: in its own lane
    /// (ahead of sends and single checks, behind customers). `window` is (from, to) in ms since the
    /// epoch, sent as ISO 8601 and always together (the docs require both or neither).
    pub async fn list_window(
        &self,
        page: u32,
        page_size: u32,
        window: Option<(i64, i64)>,
    ) -> Result<TopupPage, OneClickError> {
        let page = page.max(1).to_string();
        let size = page_size.clamp(1, 100).to_string();
        let iso = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        let bounds = window.map(|(from, to)| (iso(from), iso(to)));
        let mut query: Vec<(&str, &str)> = vec![("page", &page), ("pageSize", &size)];
        if let Some((from, to)) = &bounds {
            query.push(("from", from));
            query.push(("to", to));
        }
        self.get_in(Lane::Tracker, self.url(&["internet", "list"], &query)).await
    }

    /// The shared limiter's view for the tracker's planner: customer requests of the last
    /// minute and the steady rate per minute.
    pub fn budget_view(&self) -> (usize, f64) {
        (self.inner.limiter.customer_last_minute(), self.inner.limiter.steady_per_minute())
    }

    /// A POST in the customer lane, sent once and never retried: OCPay's createLink has no
    /// idempotency key, so a second attempt would make a second link.
    pub(super) async fn post_once<T: FromData>(&self, segments: &[&str], body: Vec<u8>) -> Result<T, OneClickError> {
        let url = self.url(segments, &[]);
        self.attempt(Lane::Customer, Method::POST, &url, Some(body)).await.map_err(|f| f.error)
    }

    /// A status poll in the background lane, retried like the other GETs.
    pub(super) async fn poll<T: FromData>(&self, segments: &[&str]) -> Result<T, OneClickError> {
        self.get_in(Lane::Background, self.url(segments, &[])).await
    }

    /// HTTP requests actually sent (every attempt counts) since creation, across clones.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// `<base>/v3/<segments...>?<query>`; segments are percent-encoded (so a `/` in a ref
    /// cannot change the route).
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.base.clone();
        {
            let mut path = url.path_segments_mut().expect("base URL was checked to be a base in new()");
            path.pop_if_empty().push("v3").extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    async fn get<T: FromData>(&self, url: Url) -> Result<T, OneClickError> {
        self.get_in(Lane::Customer, url).await
    }

    async fn get_in<T: FromData>(&self, lane: Lane, url: Url) -> Result<T, OneClickError> {
        let mut retry = 0;
        loop {
            match self.attempt(lane, Method::GET, &url, None).await {
                Ok(v) => return Ok(v),
                Err(f) if f.error.is_transient() && retry < self.inner.get_retries => {
                    let delay = self.backoff(retry, f.retry_after);
                    tracing::debug!(
                        path = url.path(),
                        retry = retry + 1,
                        delay_ms = delay.as_millis() as u64,
                        error = %f.error,
                        "retrying OneClickDZ GET"
                    );
                    tokio::time::sleep(delay).await;
                    retry += 1;
                }
                Err(f) => return Err(f.error),
            }
        }
    }

    /// Server-requested delay when given (capped), else exponential with "equal jitter" so
    /// clones retrying together do not stay in lockstep.
    fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let max = self.inner.max_backoff;
        if let Some(ra) = retry_after {
            return ra.min(max);
        }
        let exp = self.inner.initial_backoff.saturating_mul(2u32.saturating_pow(retry)).min(max);
        let half = exp / 2;
        let jitter_ms = rand::thread_rng().gen_range(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter_ms)
    }

    /// One HTTP exchange: limiter, request, bounded body read, parse.
    async fn attempt<T: FromData>(
        &self,
        lane: Lane,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
    ) -> Result<T, Failure> {
        let waiting = Instant::now();
        self.inner.limiter.acquire_in(lane).await;
        crate::metrics::oneclick_budget_wait(lane.name(), waiting.elapsed());
        let started = Instant::now();
        let result = self.exchange(method, url, body).await;
        crate::metrics::oneclick_request(
            url.path(),
            result.as_ref().map(|_| ()).map_err(|f| &f.error),
            started.elapsed(),
        );
        result
    }

    /// The request and its answer, after the limiter let it through.
    async fn exchange<T: FromData>(&self, method: Method, url: &Url, body: Option<Vec<u8>>) -> Result<T, Failure> {
        let inner = &self.inner;
        inner.requests.fetch_add(1, Ordering::Relaxed);
        // Path only (no query, headers or body): the key is a header, and bodies may hold card
        // codes.
        tracing::debug!(method = %method, path = url.path(), "OneClickDZ request");
        let started = Instant::now();

        let mut req = inner
            .http
            .request(method.clone(), url.clone())
            .header("X-Access-Token", inner.key.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(body);
        }
        let mut resp = req.send().await.map_err(Failure::transport)?;

        let status = resp.status().as_u16();
        let retry_after_raw = resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let request_id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);

        let mut buf = Vec::new();
        let mut too_large = false;
        while let Some(chunk) = resp.chunk().await.map_err(Failure::transport)? {
            if buf.len() + chunk.len() > MAX_BODY_BYTES {
                too_large = true;
                break;
            }
            buf.extend_from_slice(&chunk);
        }
        tracing::debug!(
            method = %method,
            path = url.path(),
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            request_id = request_id.as_deref().unwrap_or(""),
            "OneClickDZ response"
        );

        let retry_after = retry_after_raw.as_deref().and_then(parse_retry_after);
        let result = if too_large {
            if (200..300).contains(&status) {
                Err(OneClickError::Malformed("response body too large".to_string()))
            } else {
                parse_response::<T>(status, retry_after_raw.as_deref(), b"")
            }
        } else {
            parse_response::<T>(status, retry_after_raw.as_deref(), &buf)
        };
        // "Not found" only from OneClickDZ itself: it can refund an order, a proxy's 404 must not.
        let result = match result {
            Err(OneClickError::NotFound) if status == 404 && (too_large || !is_api_error_envelope(&buf)) => {
                Err(foreign_404())
            }
            r => r,
        };

        result.map_err(|error| {
            if let OneClickError::RateLimited { retry_after: ra } = &error {
                // The gateway's limit is per key: hold back every request of this client, not
                // just the one that was refused.
                let pause = ra.unwrap_or(inner.initial_backoff).min(inner.max_backoff);
                if !pause.is_zero() {
                    inner.limiter.pause_until(Instant::now() + pause);
                }
            }
            Failure { error, retry_after }
        })
    }
}

/// A failed attempt plus the `Retry-After` header (also honoured on 503, e.g. AUTH_UNAVAILABLE).
struct Failure {
    error: OneClickError,
    retry_after: Option<Duration>,
}

impl Failure {
    fn transport(e: reqwest::Error) -> Self {
        let error =
            if e.is_timeout() { OneClickError::Timeout } else { OneClickError::Network(describe_transport_error(e)) };
        Failure { error, retry_after: None }
    }
}

/// The error and its causes, without the URL (it holds the phone number for check-number).
fn describe_transport_error(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

fn non_empty<'a>(s: &'a str, what: &str) -> Result<&'a str, OneClickError> {
    if s.trim().is_empty() { Err(OneClickError::Validation { message: format!("empty {what}") }) } else { Ok(s) }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    const KEY: &str = "sk_test_9f5c4b09883f1b96cd7b541c";

    #[derive(Clone)]
    enum Reply {
        Respond {
            status: u16,
            headers: Vec<(&'static str, &'static str)>,
            body: &'static str,
        },
        /// Accept the connection and never answer.
        Hang,
    }

    fn reply(status: u16, body: &'static str) -> Reply {
        Reply::Respond { status, headers: vec![], body }
    }

    #[derive(Debug, Clone)]
    struct Seen {
        method: String,
        target: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Seen {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
        }
    }

    struct TestServer {
        base: String,
        seen: Arc<Mutex<Vec<Seen>>>,
    }

    impl TestServer {
        fn seen(&self) -> Vec<Seen> {
            self.seen.lock().unwrap().clone()
        }
    }

    /// A minimal HTTP/1.1 server: one request per connection, replies taken in order (the last
    /// one repeats), `Connection: close`.
    async fn serve(replies: Vec<Reply>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let queue = Arc::new(Mutex::new(VecDeque::from(replies)));
        let seen2 = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let (seen, queue) = (seen2.clone(), queue.clone());
                tokio::spawn(async move { handle(sock, seen, queue).await });
            }
        });
        TestServer { base, seen }
    }

    async fn handle(mut sock: TcpStream, seen: Arc<Mutex<Vec<Seen>>>, queue: Arc<Mutex<VecDeque<Reply>>>) {
        let mut buf = Vec::new();
        let mut tmp = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match sock.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or("").split(' ');
        let method = request_line.next().unwrap_or("").to_string();
        let target = request_line.next().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize =
            headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
        while buf.len() < head_end + len {
            match sock.read(&mut tmp).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        }
        let body = buf[head_end..].to_vec();
        seen.lock().unwrap().push(Seen { method, target, headers, body });
        let next = {
            let mut q = queue.lock().unwrap();
            if q.len() > 1 { q.pop_front() } else { q.front().cloned() }
        };
        match next {
            None | Some(Reply::Hang) => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                drop(sock);
            }
            Some(Reply::Respond { status, headers, body }) => {
                let mut out = format!(
                    "HTTP/1.1 {status} Test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(body);
                let _ = sock.write_all(out.as_bytes()).await;
                let _ = sock.shutdown().await;
            }
        }
    }

    fn config(base: &str) -> ClientConfig {
        let mut c = ClientConfig::new(base, KEY);
        c.request_timeout = Duration::from_secs(5);
        c.connect_timeout = Duration::from_secs(2);
        c.initial_backoff = Duration::from_millis(5);
        c.max_backoff = Duration::from_millis(50);
        c.requests_per_minute = 6000;
        c
    }

    fn client(cfg: ClientConfig) -> OneClickClient {
        // Ignore proxy environment variables so tests always hit the local server.
        OneClickClient::with_http_builder(cfg, reqwest::Client::builder().no_proxy()).unwrap()
    }

    const BALANCE_OK: &str = r#"{"success":true,"data":{"balance":1326.13}}"#;
    const VALIDATE_OK: &str =
        r#"{"success":true,"data":{"username":"u","apiKey":{"type":"SANDBOX","scope":"READ-WRITE","isEnabled":true}}}"#;
    const SEND_OK: &str = r#"{"success":true,"data":{"topupId":"690161a3e9e88196b4eb6545","topupRef":"r-1"}}"#;
    const UNAVAILABLE: &str = r#"{"success":false,"error":{"code":"SERVICE_UNAVAILABLE","message":"try later"}}"#;

    fn send_request() -> SendRequest {
        SendRequest {
            card_type: CardType::Adsl,
            number: "036362608".into(),
            value: 1000,
            r#ref: "u42-1761698210633-ab12".into(),
        }
    }

    #[tokio::test]
    async fn get_retries_after_503_then_succeeds() {
        let srv = serve(vec![reply(503, ""), reply(200, BALANCE_OK)]).await;
        let c = client(config(&srv.base));
        let b = c.balance().await.unwrap();
        assert_eq!(b.balance, 1326.13);
        assert_eq!(srv.seen().len(), 2);
        assert_eq!(c.request_count(), 2);
        assert!(srv.seen().iter().all(|s| s.target == "/v3/account/balance"));
    }

    #[tokio::test]
    async fn get_retries_429_with_retry_after_zero() {
        let srv = serve(vec![
            Reply::Respond {
                status: 429,
                headers: vec![("Retry-After", "0")],
                body: r#"{"success":false,"error":{"code":"RATE_LIMIT_EXCEEDED","message":"Too many requests"}}"#,
            },
            reply(200, VALIDATE_OK),
        ])
        .await;
        let c = client(config(&srv.base));
        let k = c.validate().await.unwrap();
        assert!(k.environment.is_sandbox());
        assert_eq!(srv.seen().len(), 2);
    }

    #[tokio::test]
    async fn huge_retry_after_is_capped_by_max_backoff() {
        let srv = serve(vec![
            Reply::Respond { status: 429, headers: vec![("Retry-After", "3600")], body: "" },
            reply(200, BALANCE_OK),
        ])
        .await;
        let c = client(config(&srv.base));
        let started = std::time::Instant::now();
        c.balance().await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(srv.seen().len(), 2);
    }

    #[tokio::test]
    async fn get_gives_up_after_configured_retries() {
        let srv = serve(vec![reply(503, UNAVAILABLE)]).await;
        let mut cfg = config(&srv.base);
        cfg.get_retries = 2;
        let c = client(cfg);
        let e = c.products(CardType::Adsl).await.unwrap_err();
        assert_eq!(e, OneClickError::Server { status: 503, code: Some("SERVICE_UNAVAILABLE".into()) });
        assert_eq!(srv.seen().len(), 3);
        assert_eq!(c.request_count(), 3);
    }

    #[tokio::test]
    async fn definite_errors_are_not_retried() {
        let srv = serve(vec![reply(
            400,
            r#"{"success":false,"error":{"code":"ERR_PHONE","message":"Invalid phone number for ADSL service"}}"#,
        )])
        .await;
        let c = client(config(&srv.base));
        let e = c.check_number(CardType::Adsl, "123456").await.unwrap_err();
        assert!(matches!(e, OneClickError::InvalidPhone { .. }));
        assert_eq!(srv.seen().len(), 1);
    }

    #[tokio::test]
    async fn send_is_not_retried_on_503() {
        let srv = serve(vec![reply(503, UNAVAILABLE), reply(200, SEND_OK)]).await;
        let c = client(config(&srv.base));
        let e = c.send(&send_request()).await.unwrap_err();
        assert_eq!(e, OneClickError::Server { status: 503, code: Some("SERVICE_UNAVAILABLE".into()) });
        assert!(e.outcome_unknown_for_send());
        let seen = srv.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(c.request_count(), 1);
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].target, "/v3/internet/send");
    }

    #[tokio::test]
    async fn send_is_not_retried_on_429() {
        let srv = serve(vec![
            Reply::Respond { status: 429, headers: vec![("Retry-After", "0")], body: "" },
            reply(200, SEND_OK),
        ])
        .await;
        let c = client(config(&srv.base));
        let e = c.send(&send_request()).await.unwrap_err();
        assert_eq!(e, OneClickError::RateLimited { retry_after: Some(Duration::ZERO) });
        assert!(!e.outcome_unknown_for_send());
        assert_eq!(srv.seen().len(), 1);
    }

    #[tokio::test]
    async fn send_success_and_wire_format() {
        let srv = serve(vec![reply(200, SEND_OK)]).await;
        let c = client(config(&srv.base));
        let r = c.send(&send_request()).await.unwrap();
        assert_eq!(r.topup_id.as_deref(), Some("690161a3e9e88196b4eb6545"));
        let seen = &srv.seen()[0];
        assert_eq!(seen.header("content-type"), Some("application/json"));
        assert_eq!(seen.header("x-access-token"), Some(KEY));
        let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"type":"ADSL","number":"036362608","value":1000,"ref":"u42-1761698210633-ab12"})
        );
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let srv = serve(vec![Reply::Hang]).await;
        let mut cfg = config(&srv.base);
        cfg.request_timeout = Duration::from_millis(200);
        cfg.get_retries = 0;
        let c = client(cfg);
        let started = std::time::Instant::now();
        assert_eq!(c.balance().await.unwrap_err(), OneClickError::Timeout);
        let e = c.send(&send_request()).await.unwrap_err();
        assert_eq!(e, OneClickError::Timeout);
        assert!(e.outcome_unknown_for_send());
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(srv.seen().len(), 2);
    }

    #[tokio::test]
    async fn timeouts_are_retried_for_gets() {
        let srv = serve(vec![Reply::Hang, reply(200, BALANCE_OK)]).await;
        let mut cfg = config(&srv.base);
        cfg.request_timeout = Duration::from_millis(200);
        let c = client(cfg);
        assert_eq!(c.balance().await.unwrap().whole_dinars(), 1326);
        assert_eq!(srv.seen().len(), 2);
    }

    #[tokio::test]
    async fn sends_key_and_accept_headers() {
        let srv = serve(vec![reply(200, VALIDATE_OK)]).await;
        let c = client(config(&srv.base));
        c.validate().await.unwrap();
        let seen = &srv.seen()[0];
        assert_eq!(seen.method, "GET");
        assert_eq!(seen.target, "/v3/validate");
        assert_eq!(seen.header("x-access-token"), Some(KEY));
        assert_eq!(seen.header("accept"), Some("application/json"));
        assert_eq!(seen.header("authorization"), None);
    }

    #[tokio::test]
    async fn builds_paths_and_queries() {
        // One body that reads both as a top-up and as a balance.
        const BOTH: &str = r#"{"success":true,"data":{"_id":"x","status":"HANDLING","balance":5}}"#;
        let srv = serve(vec![reply(200, BOTH)]).await;
        // Trailing slash and a path prefix on the base URL.
        let c = client(config(&format!("{}/proxy/", srv.base)));
        c.check_ref("API-+213665983439-a b/c?d#e%").await.unwrap();
        c.check_id("6901616fe9e88196b4eb64b2").await.unwrap();
        let targets: Vec<String> = srv.seen().into_iter().map(|s| s.target).collect();
        assert_eq!(
            targets,
            vec![
                "/proxy/v3/internet/check-ref/API-+213665983439-a%20b%2Fc%3Fd%23e%25",
                "/proxy/v3/internet/check-id/6901616fe9e88196b4eb64b2",
            ]
        );

        let srv = serve(vec![
            reply(200, r#"{"success":true,"data":{"ncli":"1","type":"4GLTE"}}"#),
            reply(200, r#"{"success":true,"data":{"products":[]}}"#),
            reply(200, r#"{"success":true,"data":{"items":[]}}"#),
        ])
        .await;
        let c = client(config(&format!("{}/", srv.base)));
        let n = c.check_number(CardType::FourG, "213665983439").await.unwrap();
        assert_eq!(n.card_type, Some(CardType::FourG));
        c.products(CardType::FourG).await.unwrap();
        c.list(0, 500).await.unwrap();
        let targets: Vec<String> = srv.seen().into_iter().map(|s| s.target).collect();
        assert_eq!(
            targets,
            vec![
                "/v3/internet/check-number?type=4G&number=213665983439",
                "/v3/internet/products?type=4G",
                "/v3/internet/list?page=1&pageSize=100",
            ]
        );
    }

    #[tokio::test]
    async fn empty_ids_fail_locally() {
        let c = client(config("http://127.0.0.1:9"));
        assert!(matches!(c.check_id(" ").await, Err(OneClickError::Validation { .. })));
        assert!(matches!(c.check_ref("").await, Err(OneClickError::Validation { .. })));
        assert_eq!(c.request_count(), 0);
    }

    #[tokio::test]
    async fn connection_refused_is_network_error_and_retried() {
        // Grab a free port, then close it.
        let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let mut cfg = config(&format!("http://{addr}"));
        cfg.get_retries = 1;
        let c = client(cfg);
        let e = c.check_number(CardType::Adsl, "036362608").await.unwrap_err();
        assert!(matches!(e, OneClickError::Network(_)), "{e:?}");
        assert!(e.is_transient() && e.outcome_unknown_for_send());
        let text = format!("{e} {e:?}");
        assert!(!text.contains(KEY) && !text.contains("036362608"), "{text}");
        assert_eq!(c.request_count(), 2);
    }

    #[tokio::test]
    async fn server_429_pauses_the_shared_limiter() {
        let srv = serve(vec![
            Reply::Respond { status: 429, headers: vec![("Retry-After", "1")], body: "" },
            reply(200, BALANCE_OK),
        ])
        .await;
        let mut cfg = config(&srv.base);
        cfg.max_backoff = Duration::from_millis(300);
        let c = client(cfg);
        // The POST is not retried, but it pauses every clone for min(Retry-After, max_backoff).
        assert!(c.send(&send_request()).await.is_err());
        let other = c.clone();
        let started = std::time::Instant::now();
        other.balance().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
        assert_eq!(c.request_count(), 2);
    }

    /// With the budget spent, a customer's request goes before status polls already waiting.
    #[tokio::test]
    async fn customer_requests_go_before_waiting_status_polls() {
        // One body that reads both as a top-up and as a balance.
        const BOTH: &str = r#"{"success":true,"data":{"_id":"x","status":"HANDLING","balance":5}}"#;
        let srv = serve(vec![reply(200, BOTH)]).await;
        let mut cfg = config(&srv.base);
        // 300/min within budget: a burst of 50, then one request every 240 ms.
        cfg.requests_per_minute = 300;
        let c = client(cfg);
        let polls: Vec<_> = (0..54)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.check_id("x").await.map(|_| ()) })
            })
            .collect();
        // Once the burst is at the server, the four polls beyond it wait for slots.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while srv.seen().len() < 50 {
            assert!(std::time::Instant::now() < deadline, "burst not sent: {}", srv.seen().len());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // A task like the polls, so it has no head start over them when they wake.
        let customer = tokio::spawn({
            let c = c.clone();
            async move { c.balance().await.map(|_| ()) }
        });
        customer.await.unwrap().unwrap();
        for p in polls {
            p.await.unwrap().unwrap();
        }
        // The order at the server, not elapsed time: a loaded machine slows every request alike
        // (one that took a whole slot to send the burst may let one poll go first).
        let seen = srv.seen();
        let at = seen.iter().position(|s| s.target.contains("/account/balance")).expect("the customer's request");
        assert_eq!(seen.len(), 55);
        assert!(at <= 51, "the customer's request went behind {} of the 4 waiting polls", at - 50);
    }

    #[test]
    fn debug_output_hides_the_key() {
        let cfg = ClientConfig::new("https://api.oneclickdz.com", KEY);
        assert!(!format!("{cfg:?}").contains(KEY));
        let c = OneClickClient::new(cfg).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(KEY), "{dbg}");
        assert!(dbg.contains("api.oneclickdz.com"));
    }

    #[test]
    fn config_defaults() {
        let c = ClientConfig::new("http://127.0.0.1:4567", "k");
        assert_eq!(c.request_timeout, Duration::from_secs(15));
        assert_eq!(c.connect_timeout, Duration::from_secs(5));
        assert_eq!(c.requests_per_minute, 120);
        assert_eq!(c.get_retries, 3);
        assert_eq!(c.max_backoff, Duration::from_secs(8));
        assert_eq!(c.initial_backoff, Duration::from_millis(250));
    }

    #[test]
    fn new_rejects_bad_config() {
        let e = OneClickClient::new(ClientConfig::new("https://x", "  ")).unwrap_err();
        assert_eq!(e, OneClickError::InvalidKey);
        let e = OneClickClient::new(ClientConfig::new("https://x", "bad\nkey")).unwrap_err();
        assert_eq!(e, OneClickError::InvalidKey);
        for base in ["not a url", "ftp://x", "mailto:a@b"] {
            let e = OneClickClient::new(ClientConfig::new(base, KEY)).unwrap_err();
            assert!(matches!(e, OneClickError::Config(_)), "{base}: {e:?}");
            assert!(!e.to_string().contains(KEY));
        }
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let mut cfg = ClientConfig::new("http://127.0.0.1:1", KEY);
        cfg.initial_backoff = Duration::from_millis(200);
        cfg.max_backoff = Duration::from_secs(1);
        let c = OneClickClient::new(cfg).unwrap();
        for retry in 0..40 {
            let d = c.backoff(retry, None);
            let exp = Duration::from_millis(200).saturating_mul(2u32.saturating_pow(retry)).min(Duration::from_secs(1));
            assert!(d >= exp / 2 && d <= exp, "{retry}: {d:?}");
        }
        assert_eq!(c.backoff(0, Some(Duration::from_secs(60))), Duration::from_secs(1));
        assert_eq!(c.backoff(3, Some(Duration::ZERO)), Duration::ZERO);
    }
}
