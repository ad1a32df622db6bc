//! OCPay payment links on the fake OneClickDZ server: `POST /v3/ocpay/createLink` and
//! `GET /v3/ocpay/checkPayment/{ref}`, with scripted outcomes (confirmed after some checks,
//! failed, expired, pending, 403, 5xx, slow, answer lost). Shapes follow docs/ocpay.md.
//!
//! The routes are merged into the fake OneClickDZ router; a test reaches their state through
//! [`FakeOcpay::of`] with the fake's base URL.
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// How a link's payment evolves, counted in checkPayment calls for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayScript {
    /// PENDING for `after_checks` checks, then CONFIRMED.
    Confirm { after_checks: u32 },
    /// PENDING for `after_checks` checks, then FAILED (declined or cancelled).
    Fail { after_checks: u32 },
    /// PENDING for `after_checks` checks, then 410 (the link expired unused).
    Expire { after_checks: u32 },
    /// PENDING until the test calls `set_status`.
    Pending,
}

/// What the next createLink does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateFault {
    /// 403: merchant not validated.
    Forbidden,
    /// 5xx after making the link (the answer is an error, the link exists).
    ServerError,
    /// Answers after this delay.
    Slow(Duration),
    /// Makes the link and never answers (well past any client timeout).
    Lost,
}

#[derive(Debug, Clone)]
struct Link {
    amount: i64,
    fee_mode: String,
    checks: u32,
    script: PayScript,
    forced: Option<String>,
}

#[derive(Default)]
struct Ocpay {
    key: String,
    links: HashMap<String, Link>,
    order: Vec<String>,
    scripts: VecDeque<PayScript>,
    faults: VecDeque<CreateFault>,
    check_errors: VecDeque<u16>,
    creates: usize,
    seq: u32,
}

/// The fake's OCPay side, shared with the test.
#[derive(Clone)]
pub struct FakeOcpay(Arc<Mutex<Ocpay>>);

fn registry() -> &'static Mutex<HashMap<String, FakeOcpay>> {
    static R: OnceLock<Mutex<HashMap<String, FakeOcpay>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// The fake OneClickDZ router with the OCPay routes for the server at `addr` (key `key`).
pub fn merge(app: Router, addr: std::net::SocketAddr, key: &str) -> Router {
    let f = FakeOcpay(Arc::new(Mutex::new(Ocpay { key: key.to_owned(), ..Default::default() })));
    registry().lock().unwrap_or_else(|e| e.into_inner()).insert(format!("http://{addr}"), f.clone());
    let routes = Router::new()
        .route("/v3/ocpay/createLink", post(create_link))
        .route("/v3/ocpay/checkPayment/{payment_ref}", get(check_payment))
        .with_state(f);
    routes.merge(app)
}

impl FakeOcpay {
    /// The OCPay side of the fake OneClickDZ at `base_url`.
    pub fn of(base_url: &str) -> FakeOcpay {
        registry().lock().unwrap_or_else(|e| e.into_inner()).get(base_url).cloned().expect("no fake OneClickDZ there")
    }

    fn lock(&self) -> MutexGuard<'_, Ocpay> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The script of the next link made (default: confirmed after 2 checks).
    pub fn script_next(&self, s: PayScript) {
        self.lock().scripts.push_back(s);
    }

    /// A fault for the next createLink.
    pub fn fault_next_create(&self, f: CreateFault) {
        self.lock().faults.push_back(f);
    }

    /// The next `count` checkPayment calls answer `status` (e.g. 503).
    pub fn fail_checks(&self, count: usize, status: u16) {
        self.lock().check_errors.extend(std::iter::repeat_n(status, count));
    }

    /// Forces a link's status (PENDING, CONFIRMED, FAILED) from now on.
    pub fn set_status(&self, payment_ref: &str, status: &str) {
        if let Some(l) = self.lock().links.get_mut(payment_ref) {
            l.forced = Some(status.to_owned());
        }
    }

    /// createLink calls received, answered or not.
    pub fn create_count(&self) -> usize {
        self.lock().creates
    }

    /// Links made, oldest first.
    pub fn refs(&self) -> Vec<String> {
        self.lock().order.clone()
    }

    pub fn check_count(&self, payment_ref: &str) -> u32 {
        self.lock().links.get(payment_ref).map_or(0, |l| l.checks)
    }

    /// (amount, feeMode) sent for a link.
    pub fn link_request(&self, payment_ref: &str) -> Option<(i64, String)> {
        self.lock().links.get(payment_ref).map(|l| (l.amount, l.fee_mode.clone()))
    }
}

fn fail(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "success": false, "message": message }))).into_response()
}

fn authorised(f: &FakeOcpay, headers: &HeaderMap) -> bool {
    let key = f.lock().key.clone();
    headers.get("x-access-token").and_then(|v| v.to_str().ok()) == Some(key.as_str())
}

async fn create_link(State(f): State<FakeOcpay>, headers: HeaderMap, body: String) -> Response {
    if !authorised(&f, &headers) {
        return fail(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let amount = body.pointer("/productInfo/amount").and_then(Value::as_i64).unwrap_or(0);
    let title = body.pointer("/productInfo/title").and_then(Value::as_str).unwrap_or_default();
    let unknown = body.as_object().is_some_and(|o| o.keys().any(|k| k != "productInfo" && k != "feeMode"));
    if !(500..=500_000).contains(&amount) || title.trim().is_empty() || unknown {
        return fail(StatusCode::BAD_REQUEST, "Validation failed");
    }
    let fee_mode = body.get("feeMode").and_then(Value::as_str).unwrap_or("NO_FEE").to_owned();
    let (fault, payment_ref) = {
        let mut st = f.lock();
        st.creates += 1;
        let fault = st.faults.pop_front();
        if fault == Some(CreateFault::Forbidden) {
            drop(st);
            return fail(StatusCode::FORBIDDEN, "Merchant validation required");
        }
        st.seq += 1;
        let payment_ref = format!("OCPL-FAKE{:02}-{:04}", st.seq % 100, st.seq);
        let script = st.scripts.pop_front().unwrap_or(PayScript::Confirm { after_checks: 2 });
        st.links.insert(payment_ref.clone(), Link { amount, fee_mode, checks: 0, script, forced: None });
        st.order.push(payment_ref.clone());
        (fault, payment_ref)
    };
    match fault {
        Some(CreateFault::ServerError) => return fail(StatusCode::BAD_GATEWAY, "Bad gateway"),
        Some(CreateFault::Lost) => tokio::time::sleep(Duration::from_secs(30)).await,
        Some(CreateFault::Slow(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    axum::Json(json!({
        "success": true,
        "data": {
            "paymentLink": { "productInfo": { "title": title, "amount": amount } },
            "paymentUrl": format!("https://pay.ocdz.link/pay/{payment_ref}"),
            "paymentRef": payment_ref,
        },
        "meta": { "requestId": "req-fake" }
    }))
    .into_response()
}

async fn check_payment(State(f): State<FakeOcpay>, headers: HeaderMap, Path(payment_ref): Path<String>) -> Response {
    if !authorised(&f, &headers) {
        return fail(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let mut st = f.lock();
    if let Some(code) = st.check_errors.pop_front() {
        return fail(StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY), "upstream error");
    }
    let Some(link) = st.links.get_mut(&payment_ref) else {
        return fail(StatusCode::NOT_FOUND, "Payment not found");
    };
    link.checks += 1;
    let status = match (&link.forced, link.script) {
        (Some(s), _) => s.clone(),
        (None, PayScript::Confirm { after_checks }) if link.checks > after_checks => "CONFIRMED".into(),
        (None, PayScript::Fail { after_checks }) if link.checks > after_checks => "FAILED".into(),
        (None, PayScript::Expire { after_checks }) if link.checks > after_checks => {
            return fail(StatusCode::GONE, "Payment link expired");
        }
        _ => "PENDING".into(),
    };
    let mut data = json!({ "status": status, "paymentRef": payment_ref, "message": "fake" });
    if status == "CONFIRMED" {
        data["transactionDetails"] = json!({ "amount": link.amount, "currency": "DZD", "isSandbox": true });
    }
    axum::Json(json!({ "success": true, "data": data })).into_response()
}
