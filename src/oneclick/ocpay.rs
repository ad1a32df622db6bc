//! OCPay payment links (`/v3/ocpay/…`): make a link the customer pays by CIB or Edahabia card,
//! then ask whether it was paid. OCPay has no webhooks, so the bot checks.
//!
//! createLink has no idempotency key: a call whose answer was lost (timeout, network, 5xx, an
//! unreadable body) may have made a link, and calling again would make a second one. Such calls
//! come back as [`OcpayError::OutcomeUnknown`] and must never be repeated; nothing was shown to
//! the payer, so the top-up is closed and an orphan link expires by itself after 20 minutes.
//!
//! Only the top-level `paymentUrl` and `paymentRef` are relied on: the SDKs disagree on what
//! `paymentLink` holds, so everything in it is optional.
use serde::Serialize;
use serde_json::{Map, Value};

use super::client::OneClickClient;
use super::error::OneClickError;
use super::types::{FromData, as_object, opt_bool, opt_f64, opt_string};
use crate::domain::Dinars;
use crate::domain::topup::{FeeMode, OCPAY_MAX, OCPAY_MIN};

/// OCPay counts the title's length in bytes in one SDK and in UTF-16 units in the other.
const MAX_TITLE_BYTES: usize = 200;

/// A link made by createLink.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedLink {
    /// `OCPL-XXXXXX-YYYY`: what checkPayment takes.
    pub payment_ref: String,
    /// Where the payer goes (`https://pay.ocdz.link/pay/…`).
    pub payment_url: String,
    /// `paymentLink.time` (or `createdAt`), unix ms, when OCPay sent a readable one.
    pub created_at: Option<i64>,
    /// For support requests to OneClickDZ.
    pub request_id: Option<String>,
}

/// What checkPayment says of a payment.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentStatus {
    /// Not started, or being processed by the bank: keep checking.
    Pending,
    /// Paid.
    Confirmed { details: Option<TransactionDetails> },
    /// Declined, cancelled, or the link expired unused (also HTTP 410).
    Failed,
    /// A status OCPay does not document, as sent. Not final: keep checking.
    Other(String),
}

impl PaymentStatus {
    fn parse(s: &str, details: Option<TransactionDetails>) -> PaymentStatus {
        match s.trim().to_ascii_uppercase().as_str() {
            "PENDING" => PaymentStatus::Pending,
            "CONFIRMED" => PaymentStatus::Confirmed { details },
            "FAILED" => PaymentStatus::Failed,
            _ => PaymentStatus::Other(s.to_string()),
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, PaymentStatus::Confirmed { .. } | PaymentStatus::Failed)
    }

    /// The status as stored (`upstream_status`).
    pub fn as_str(&self) -> &str {
        match self {
            PaymentStatus::Pending => "PENDING",
            PaymentStatus::Confirmed { .. } => "CONFIRMED",
            PaymentStatus::Failed => "FAILED",
            PaymentStatus::Other(s) => s,
        }
    }
}

/// `transactionDetails`, "when available"; every field is optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransactionDetails {
    /// DZD as OCPay reports it; compare with the amount asked before trusting it.
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub is_sandbox: Option<bool>,
    pub created_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaymentCheck {
    pub status: PaymentStatus,
    /// The ref the answer is about, when it says.
    pub payment_ref: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OcpayError {
    /// HTTP 403: the merchant is not validated yet, or the key has no rights on OCPay. Nothing
    /// was created. Hide online payment for a while and tell the admins.
    #[error("OCPay refused access (merchant not validated, or a key without rights): {message}")]
    Forbidden { message: String },
    /// createLink only: a link may or may not exist. Never call again for this top-up.
    #[error("the outcome of createLink is unknown: {0}")]
    OutcomeUnknown(OneClickError),
    /// Anything else. For createLink, nothing was created; for checkPayment, no answer this time.
    #[error(transparent)]
    Api(OneClickError),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateLinkBody<'a> {
    product_info: ProductInfo<'a>,
    fee_mode: &'static str,
}

#[derive(Serialize)]
struct ProductInfo<'a> {
    title: &'a str,
    amount: i64,
}

impl OneClickClient {
    /// `POST /v3/ocpay/createLink`, customer lane, sent exactly once. Write the top-up row first.
    /// Amounts outside OCPay's 500–500 000 DA and blank titles are refused before sending.
    pub async fn create_link(&self, title: &str, amount: Dinars, fee_mode: FeeMode) -> Result<CreatedLink, OcpayError> {
        let title = clip_title(title);
        if title.is_empty() {
            return Err(invalid("empty payment link title"));
        }
        if !(OCPAY_MIN..=OCPAY_MAX).contains(&amount) {
            return Err(invalid("amount outside OCPay's 500 to 500 000 DA"));
        }
        let body =
            CreateLinkBody { product_info: ProductInfo { title, amount: amount.get() }, fee_mode: fee_mode.as_str() };
        let body = serde_json::to_vec(&body).map_err(|_| invalid("could not encode the createLink request"))?;
        self.post_once(&["ocpay", "createLink"], body).await.map_err(create_error)
    }

    /// `GET /v3/ocpay/checkPayment/{ref}`, background lane. HTTP 410 (link expired) reads as FAILED.
    pub async fn check_payment(&self, payment_ref: &str) -> Result<PaymentCheck, OcpayError> {
        let payment_ref = payment_ref.trim();
        if payment_ref.is_empty() {
            return Err(invalid("empty payment ref"));
        }
        match self.poll::<PaymentCheck>(&["ocpay", "checkPayment", payment_ref]).await {
            // An answer about another payment must never settle this one.
            Ok(check) if check.payment_ref.as_deref().is_some_and(|r| r.trim() != payment_ref) => {
                Err(OcpayError::Api(OneClickError::Malformed("checkPayment answered for another paymentRef".into())))
            }
            Ok(check) => Ok(check),
            Err(OneClickError::Other { status: 410, message, .. }) => Ok(PaymentCheck {
                status: PaymentStatus::Failed,
                payment_ref: None,
                message: Some(message),
                request_id: None,
            }),
            Err(e) => Err(forbidden(e).unwrap_or_else(OcpayError::Api)),
        }
    }
}

fn invalid(message: &str) -> OcpayError {
    OcpayError::Api(OneClickError::Validation { message: message.to_string() })
}

/// Trimmed and cut (on a character boundary) to what OCPay accepts.
fn clip_title(title: &str) -> &str {
    let title = title.trim();
    let mut end = title.len().min(MAX_TITLE_BYTES);
    while !title.is_char_boundary(end) {
        end -= 1;
    }
    title[..end].trim_end()
}

/// A refusal of access: a 403 the general error mapping did not recognise, or API access off.
fn forbidden(e: OneClickError) -> Result<OcpayError, OneClickError> {
    match e {
        OneClickError::Other { status: 403, message, .. } => Ok(OcpayError::Forbidden { message }),
        OneClickError::ApiDisabled => Ok(OcpayError::Forbidden { message: e.to_string() }),
        e => Err(e),
    }
}

fn create_error(e: OneClickError) -> OcpayError {
    match forbidden(e) {
        Ok(f) => f,
        Err(e) if e.outcome_unknown_for_send() => OcpayError::OutcomeUnknown(e),
        Err(e) => OcpayError::Api(e),
    }
}

/// `meta.requestId` (OCPay's documented place) or a top-level `requestId` (the general v3 one).
fn request_id(envelope: &Map<String, Value>) -> Option<String> {
    envelope
        .get("meta")
        .and_then(Value::as_object)
        .and_then(|m| opt_string(m, "requestId"))
        .or_else(|| opt_string(envelope, "requestId"))
}

impl FromData for CreatedLink {
    fn from_data(data: &Value) -> Result<Self, String> {
        let o = as_object(data, "createLink")?;
        let payment_ref = opt_string(o, "paymentRef").ok_or("createLink: paymentRef missing")?;
        if payment_ref.len() > 100 || payment_ref.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("createLink: paymentRef is not a reference".into());
        }
        let payment_url = opt_string(o, "paymentUrl").ok_or("createLink: paymentUrl missing")?;
        // It becomes a URL button: Telegram refuses anything but a plain http(s) URL.
        match url::Url::parse(payment_url.trim()) {
            Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
            _ => return Err("createLink: paymentUrl is not an http(s) URL".into()),
        }
        let link = o.get("paymentLink").and_then(Value::as_object);
        let created_at = link
            .and_then(|l| opt_string(l, "time").or_else(|| opt_string(l, "createdAt")))
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
            .map(|t| t.timestamp_millis());
        Ok(CreatedLink { payment_ref, payment_url: payment_url.trim().to_string(), created_at, request_id: None })
    }

    fn from_envelope(data: &Value, envelope: &Map<String, Value>) -> Result<Self, String> {
        Ok(CreatedLink { request_id: request_id(envelope), ..Self::from_data(data)? })
    }
}

impl FromData for PaymentCheck {
    fn from_data(data: &Value) -> Result<Self, String> {
        let o = as_object(data, "checkPayment")?;
        let status = opt_string(o, "status").ok_or("checkPayment: status missing")?;
        let details = o.get("transactionDetails").and_then(Value::as_object).map(|d| TransactionDetails {
            amount: opt_f64(d, "amount"),
            currency: opt_string(d, "currency"),
            is_sandbox: opt_bool(d, "isSandbox"),
            created_date: opt_string(d, "createdDate"),
        });
        Ok(PaymentCheck {
            status: PaymentStatus::parse(&status, details),
            payment_ref: opt_string(o, "paymentRef"),
            message: opt_string(o, "message"),
            request_id: None,
        })
    }

    fn from_envelope(data: &Value, envelope: &Map<String, Value>) -> Result<Self, String> {
        Ok(PaymentCheck { request_id: request_id(envelope), ..Self::from_data(data)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oneclick::ClientConfig;
    use crate::oneclick::types::parse_response;
    use axum::Router;
    use axum::extract::State;
    use axum::http::{StatusCode, Uri};
    use axum::response::IntoResponse;
    use proptest::prelude::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    const CREATED: &str = r#"{ "success": true,
      "data": {
        "paymentLink": {
          "uid": "user_123456789", "ref": "OCPL-A1B2C3-D4E5", "isSandbox": false,
          "productInfo": { "title": "Premium Subscription", "description": "x", "amount": 5000 },
          "feeMode": "NO_FEE", "successMessage": "ok", "redirectUrl": "https://yourstore.com/success?orderId=12345",
          "time": "2025-01-15T10:30:00Z" },
        "paymentUrl": "https://pay.ocdz.link/pay/OCPL-A1B2C3-D4E5",
        "paymentRef": "OCPL-A1B2C3-D4E5" },
      "meta": { "timestamp": "2025-01-15T10:30:00Z", "requestId": "req_abc123xyz" } }"#;

    const CONFIRMED: &str = r#"{ "success": true,
      "data": { "status": "CONFIRMED", "message": "Payment confirmed successfully", "paymentRef": "OCPL-A1B2C3-D4E5",
                "transactionDetails": { "amount": 5000, "currency": "DZD", "isSandbox": false,
                                        "createdDate": "2025-01-15T10:30:00Z" } },
      "meta": { "timestamp": "2025-01-15T10:35:00Z", "requestId": "req_abc123xyz" } }"#;

    fn parse<T: FromData>(status: u16, body: &str) -> Result<T, OneClickError> {
        parse_response::<T>(status, None, body.as_bytes())
    }

    #[test]
    fn created_link_documented_shape() {
        let l: CreatedLink = parse(200, CREATED).unwrap();
        assert_eq!(l.payment_ref, "OCPL-A1B2C3-D4E5");
        assert_eq!(l.payment_url, "https://pay.ocdz.link/pay/OCPL-A1B2C3-D4E5");
        assert_eq!(l.created_at, Some(1_736_937_000_000));
        assert_eq!(l.request_id.as_deref(), Some("req_abc123xyz"));
    }

    #[test]
    fn created_link_other_shapes() {
        // The Node SDK's names inside paymentLink, requestId at the top level.
        let l: CreatedLink = parse(
            200,
            r#"{"success":true,"data":{"paymentLink":{"paymentRef":"OCPL-1","createdAt":"2025-01-15T10:30:00.500+01:00"},
               "paymentUrl":" https://pay.ocdz.link/pay/OCPL-1 ","paymentRef":"OCPL-1"},"requestId":"r-top"}"#,
        )
        .unwrap();
        assert_eq!((l.payment_ref.as_str(), l.payment_url.as_str()), ("OCPL-1", "https://pay.ocdz.link/pay/OCPL-1"));
        assert_eq!(l.created_at, Some(1_736_933_400_500));
        assert_eq!(l.request_id.as_deref(), Some("r-top"));
        // No paymentLink, no meta: still a link, with nothing optional.
        let l: CreatedLink =
            parse(200, r#"{"success":true,"data":{"paymentUrl":"https://p.example/x","paymentRef":"OCPL-2"}}"#)
                .unwrap();
        assert_eq!((l.created_at, l.request_id), (None, None));
        // An unreadable time is left out, not an error.
        let l: CreatedLink = parse(
            200,
            r#"{"success":true,"data":{"paymentLink":{"time":"yesterday"},"paymentUrl":"https://p.example/x","paymentRef":"OCPL-3"}}"#,
        )
        .unwrap();
        assert_eq!(l.created_at, None);
    }

    #[test]
    fn created_link_without_a_usable_ref_or_url_is_malformed() {
        for data in [
            r#"{"paymentUrl":"https://pay.ocdz.link/pay/X"}"#,
            r#"{"paymentRef":"OCPL-1"}"#,
            r#"{"paymentRef":"OCPL-1","paymentUrl":"javascript:alert(1)"}"#,
            r#"{"paymentRef":"OCPL-1","paymentUrl":"not a url"}"#,
            r#"{"paymentRef":"OCPL 1","paymentUrl":"https://pay.ocdz.link/pay/X"}"#,
            r#"{"paymentRef":"","paymentUrl":"https://pay.ocdz.link/pay/X"}"#,
            r#"{"paymentLink":{"ref":"OCPL-1"},"paymentUrl":{"href":"https://x"},"paymentRef":"OCPL-1"}"#,
            r#"["OCPL-1"]"#,
        ] {
            let body = format!(r#"{{"success":true,"data":{data}}}"#);
            assert!(matches!(parse::<CreatedLink>(200, &body), Err(OneClickError::Malformed(_))), "{data}");
        }
    }

    #[test]
    fn payment_statuses() {
        let c: PaymentCheck = parse(200, CONFIRMED).unwrap();
        let PaymentStatus::Confirmed { details: Some(d) } = &c.status else { panic!("{c:?}") };
        assert_eq!(d.amount, Some(5000.0));
        assert_eq!((d.currency.as_deref(), d.is_sandbox), (Some("DZD"), Some(false)));
        assert_eq!(d.created_date.as_deref(), Some("2025-01-15T10:30:00Z"));
        assert_eq!(c.payment_ref.as_deref(), Some("OCPL-A1B2C3-D4E5"));
        assert_eq!(c.request_id.as_deref(), Some("req_abc123xyz"));
        assert!(c.status.is_final());

        let check = |data: &str| parse::<PaymentCheck>(200, &format!(r#"{{"success":true,"data":{data}}}"#));
        let c = check(r#"{"status":"PENDING","message":"Payment not yet initiated","paymentRef":"OCPL-1"}"#).unwrap();
        assert_eq!(
            (c.status.clone(), c.message.as_deref()),
            (PaymentStatus::Pending, Some("Payment not yet initiated"))
        );
        assert!(!c.status.is_final());
        assert_eq!(check(r#"{"status":"FAILED","message":"Payment failed"}"#).unwrap().status, PaymentStatus::Failed);
        // Confirmed without details, and with odd details.
        assert_eq!(check(r#"{"status":"confirmed"}"#).unwrap().status, PaymentStatus::Confirmed { details: None });
        let odd =
            check(r#"{"status":"CONFIRMED","transactionDetails":{"amount":"5000.00","isSandbox":"yes","currency":7}}"#)
                .unwrap();
        let PaymentStatus::Confirmed { details: Some(d) } = odd.status else { panic!() };
        assert_eq!((d.amount, d.is_sandbox, d.currency.as_deref()), (Some(5000.0), Some(true), Some("7")));
        let odd = check(r#"{"status":"CONFIRMED","transactionDetails":[1,2]}"#).unwrap();
        assert_eq!(odd.status, PaymentStatus::Confirmed { details: None });
        // Undocumented statuses are kept, and are not final.
        let other = check(r#"{"status":"PROCESSING"}"#).unwrap().status;
        assert_eq!(other, PaymentStatus::Other("PROCESSING".into()));
        assert!(!other.is_final());
        assert_eq!(other.as_str(), "PROCESSING");
        // No status at all is no answer.
        assert!(matches!(check(r#"{"message":"?"}"#), Err(OneClickError::Malformed(_))));
        assert!(matches!(check(r#"{"status":null}"#), Err(OneClickError::Malformed(_))));
        assert!(matches!(check(r#""CONFIRMED""#), Err(OneClickError::Malformed(_))));
    }

    #[test]
    fn error_classification() {
        let refused = |status, body: &str| create_error(parse::<CreatedLink>(status, body).unwrap_err());
        assert_eq!(
            refused(403, r#"{"success":false,"message":"Merchant validation required"}"#),
            OcpayError::Forbidden { message: "Merchant validation required".into() }
        );
        assert!(matches!(
            refused(403, r#"{"success":false,"error":{"code":"FORBIDDEN","message":"no rights"}}"#),
            OcpayError::Forbidden { .. }
        ));
        assert!(matches!(refused(403, ""), OcpayError::Forbidden { .. }));
        assert!(matches!(
            refused(400, r#"{"success":false,"message":"amount"}"#),
            OcpayError::Api(OneClickError::Validation { .. })
        ));
        assert!(matches!(refused(401, ""), OcpayError::Api(OneClickError::InvalidKey)));
        // Answers lost or unreadable: a link may exist.
        for (status, body) in
            [(502, ""), (500, r#"{"success":false}"#), (200, "<html>"), (200, r#"{"success":true,"data":{}}"#)]
        {
            assert!(matches!(refused(status, body), OcpayError::OutcomeUnknown(_)), "{status} {body}");
        }
        assert!(matches!(create_error(OneClickError::Timeout), OcpayError::OutcomeUnknown(_)));
        assert!(matches!(create_error(OneClickError::Network("reset".into())), OcpayError::OutcomeUnknown(_)));
        // A 429 comes from the gateway before the request is processed: no link.
        assert!(matches!(create_error(OneClickError::RateLimited { retry_after: None }), OcpayError::Api(_)));
    }

    #[test]
    fn titles_are_trimmed_and_clipped_on_a_character_boundary() {
        assert_eq!(clip_title("  Top-up #12  "), "Top-up #12");
        let arabic = "شحن الرصيد ".repeat(30);
        let clipped = clip_title(&arabic);
        assert!(clipped.len() <= MAX_TITLE_BYTES && !clipped.is_empty());
        assert!(arabic.starts_with(clipped));
        assert_eq!(clip_title("   "), "");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(status in 100u16..600, body in ".{0,300}") {
            let _ = parse::<CreatedLink>(status, &body);
            let _ = parse::<PaymentCheck>(status, &body);
        }

        #[test]
        fn json_shaped_bodies_never_panic(
            ok in any::<bool>(),
            status in prop_oneof![Just("CONFIRMED"), Just("PENDING"), Just("x"), Just("")],
            amount in prop_oneof![Just("5000"), Just("\"5e3\""), Just("null"), Just("[]"), Just("1e400"), Just("-1")],
            url in prop_oneof![Just("\"https://a.b/c\""), Just("3"), Just("\"\""), Just("{}")],
        ) {
            let body = format!(
                r#"{{"success":{ok},"data":{{"status":"{status}","paymentRef":"R","paymentUrl":{url},
                   "paymentLink":{{"time":{amount}}},"transactionDetails":{{"amount":{amount}}}}},"meta":{amount}}}"#
            );
            let _ = parse::<CreatedLink>(200, &body);
            let _ = parse::<PaymentCheck>(200, &body);
        }
    }

    // ---- Over HTTP ------------------------------------------------------------------------

    type Seen = (String, String, String);
    /// A status and body, or `None`: never answer.
    type Reply = Option<(u16, &'static str)>;

    #[derive(Clone)]
    struct Fake {
        /// Replies in order; the last one repeats. `None`: never answer.
        replies: Arc<Mutex<Vec<Reply>>>,
        /// Method, path, body.
        seen: Arc<Mutex<Vec<Seen>>>,
    }

    async fn any_request(
        State(f): State<Fake>,
        method: axum::http::Method,
        uri: Uri,
        body: String,
    ) -> impl IntoResponse {
        f.seen.lock().unwrap().push((method.to_string(), uri.path().to_string(), body));
        let next = {
            let mut r = f.replies.lock().unwrap();
            if r.len() > 1 { r.remove(0) } else { r[0] }
        };
        match next {
            None => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                (StatusCode::OK, String::new())
            }
            Some((status, body)) => (StatusCode::from_u16(status).unwrap(), body.to_string()),
        }
    }

    async fn fake(replies: Vec<Reply>) -> (OneClickClient, Fake) {
        let f = Fake { replies: Arc::new(Mutex::new(replies)), seen: Default::default() };
        let app = Router::new().fallback(any_request).with_state(f.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut cfg = ClientConfig::new(base, "sk_test_key");
        cfg.request_timeout = Duration::from_millis(300);
        cfg.initial_backoff = Duration::from_millis(1);
        cfg.max_backoff = Duration::from_millis(5);
        cfg.requests_per_minute = 6000;
        let client = OneClickClient::with_http_builder(cfg, reqwest::Client::builder().no_proxy()).unwrap();
        (client, f)
    }

    #[tokio::test]
    async fn create_link_sends_the_documented_body_once() {
        let (c, f) = fake(vec![Some((200, CREATED))]).await;
        let l = c.create_link("  Boutique · top-up #7 ", Dinars(2000), FeeMode::SplitFee).await.unwrap();
        assert_eq!(l.payment_ref, "OCPL-A1B2C3-D4E5");
        let seen = f.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        assert_eq!((seen[0].0.as_str(), seen[0].1.as_str()), ("POST", "/v3/ocpay/createLink"));
        let body: Value = serde_json::from_str(&seen[0].2).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"productInfo": {"title": "Boutique · top-up #7", "amount": 2000}, "feeMode": "SPLIT_FEE"})
        );
    }

    #[tokio::test]
    async fn a_lost_create_link_answer_is_never_retried() {
        for reply in [None, Some((503, "")), Some((200, "{"))] {
            let (c, f) = fake(vec![reply, Some((200, CREATED))]).await;
            let err = c.create_link("Top-up", Dinars(1000), FeeMode::NoFee).await.unwrap_err();
            assert!(matches!(err, OcpayError::OutcomeUnknown(_)), "{reply:?}: {err:?}");
            assert_eq!(f.seen.lock().unwrap().len(), 1, "{reply:?}: sent once");
        }
    }

    #[tokio::test]
    async fn create_link_refusals() {
        let (c, f) = fake(vec![Some((403, r#"{"success":false,"message":"Merchant not validated"}"#))]).await;
        assert_eq!(
            c.create_link("Top-up", Dinars(1000), FeeMode::NoFee).await.unwrap_err(),
            OcpayError::Forbidden { message: "Merchant not validated".into() }
        );
        // Out of OCPay's range or without a title: refused here, nothing sent.
        for (title, amount) in [("Top-up", 499), ("Top-up", 500_001), ("  ", 1000)] {
            let err = c.create_link(title, Dinars(amount), FeeMode::NoFee).await.unwrap_err();
            assert!(matches!(err, OcpayError::Api(OneClickError::Validation { .. })), "{title} {amount}");
        }
        assert_eq!(f.seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn check_payment_reads_statuses_and_retries_transient_failures() {
        let (c, f) = fake(vec![Some((503, "")), Some((200, CONFIRMED))]).await;
        let check = c.check_payment("OCPL-A1B2C3-D4E5").await.unwrap();
        assert!(matches!(check.status, PaymentStatus::Confirmed { details: Some(_) }));
        let seen = f.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2, "a poll is a GET: retried");
        assert!(seen.iter().all(|s| s.0 == "GET" && s.1 == "/v3/ocpay/checkPayment/OCPL-A1B2C3-D4E5"));

        // 410: the link expired.
        let (c, _) = fake(vec![Some((410, r#"{"success":false,"message":"Payment link expired"}"#))]).await;
        assert_eq!(c.check_payment("OCPL-1").await.unwrap().status, PaymentStatus::Failed);
        // A ref with a slash cannot change the route.
        let (c, f) = fake(vec![Some((200, r#"{"success":true,"data":{"status":"PENDING"}}"#))]).await;
        assert_eq!(c.check_payment("a/b").await.unwrap().status, PaymentStatus::Pending);
        assert_eq!(f.seen.lock().unwrap()[0].1, "/v3/ocpay/checkPayment/a%2Fb");
        // An answer about another payment is no answer.
        let (c, _) = fake(vec![Some((200, CONFIRMED))]).await;
        assert!(matches!(c.check_payment("OCPL-OTHER").await, Err(OcpayError::Api(OneClickError::Malformed(_)))));
        // 403 and 404 are errors, not outcomes.
        let (c, _) = fake(vec![Some((403, ""))]).await;
        assert!(matches!(c.check_payment("OCPL-1").await, Err(OcpayError::Forbidden { .. })));
        let (c, _) = fake(vec![Some((404, ""))]).await;
        // A 404 without OneClickDZ's envelope (a proxy, a router) is not "not found" (issue 13).
        assert!(matches!(
            c.check_payment("OCPL-1").await,
            Err(OcpayError::Api(OneClickError::Other { status: 404, .. }))
        ));
        assert!(matches!(c.check_payment(" ").await, Err(OcpayError::Api(OneClickError::Validation { .. }))));
    }
}
