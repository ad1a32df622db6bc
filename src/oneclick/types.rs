//! Typed results of the OneClickDZ API and the pure response parser.
//!
//! Responses are read through `serde_json::Value` with hand-written, lenient accessors instead
//! of `#[derive(Deserialize)]`: the docs disagree on shapes (numbers vs strings, `data` as an
//! array or an object), and serde's error messages quote offending values, which could put a
//! card code into an error or a log line. Our own errors name fields, never values.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::{OneClickError, map_api_error, parse_retry_after};
use crate::domain::CardType;

/// Which environment a key belongs to (`data.apiKey.type` of `/v3/validate`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyEnvironment {
    Sandbox,
    Production,
    /// Anything else, as sent. Empty when the API did not say.
    Other(String),
}

impl KeyEnvironment {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "SANDBOX" => Self::Sandbox,
            "PRODUCTION" => Self::Production,
            _ => Self::Other(s.to_string()),
        }
    }

    pub fn is_sandbox(&self) -> bool {
        matches!(self, Self::Sandbox)
    }
}

impl fmt::Display for KeyEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sandbox => f.write_str("SANDBOX"),
            Self::Production => f.write_str("PRODUCTION"),
            Self::Other(s) if s.trim().is_empty() => f.write_str("unknown"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

/// What `/v3/validate` says about the key. The key itself is never kept.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    pub username: Option<String>,
    pub environment: KeyEnvironment,
    /// `READ-WRITE` or `READ-ONLY`.
    pub scope: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountBalance {
    /// DZD, with decimals.
    pub balance: f64,
    pub currency: Option<String>,
}

impl AccountBalance {
    /// Balance rounded down to whole dinars (for display and "can we afford it" checks).
    pub fn whole_dinars(&self) -> i64 {
        self.balance.floor() as i64
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Face value in DZD; send it back as `SendRequest::value`.
    pub value: i64,
    /// What the account is charged, in DZD. Never show it to end users.
    pub cost: f64,
    pub available: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NumberInfo {
    /// Masked customer id.
    pub ncli: Option<String>,
    /// Current plan (ADSL only).
    pub offre: Option<String>,
    /// `"4GLTE"` is read as `FourG`; `None` if absent or unrecognised.
    pub card_type: Option<CardType>,
}

/// Body of `POST /v3/internet/send`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendRequest {
    #[serde(rename = "type")]
    pub card_type: CardType,
    pub number: String,
    pub value: i64,
    /// Our unique order ref. Omitted from the JSON when empty (the server then makes one up,
    /// which loses the ability to reconcile by ref: always set it).
    #[serde(rename = "ref", skip_serializing_if = "String::is_empty")]
    pub r#ref: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendResponse {
    /// Poll with `check_id`.
    pub topup_id: Option<String>,
    /// May differ from the ref we sent (`API-<username>-...`): store both.
    pub topup_ref: Option<String>,
    pub new_balance: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TopupStatus {
    Handling,
    Fulfilled,
    Queued,
    Refunded,
    /// Unknown status, as sent (e.g. PENDING, UNKNOWN_ERROR). Treat as not final.
    Other(String),
}

impl TopupStatus {
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "HANDLING" => Self::Handling,
            "FULFILLED" => Self::Fulfilled,
            "QUEUED" => Self::Queued,
            "REFUNDED" => Self::Refunded,
            _ => Self::Other(s.to_string()),
        }
    }

    /// Canonical API spelling (or the original text for `Other`); suitable for storage.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Handling => "HANDLING",
            Self::Fulfilled => "FULFILLED",
            Self::Queued => "QUEUED",
            Self::Refunded => "REFUNDED",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for TopupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One internet top-up order (check-id / check-ref / list item).
#[derive(Clone, PartialEq)]
pub struct Topup {
    /// `_id`
    pub id: Option<String>,
    pub r#ref: Option<String>,
    pub status: TopupStatus,
    /// As sent (`ADSL`, `4G`, maybe `4GLTE`).
    pub card_type: Option<String>,
    pub number: Option<String>,
    pub topup_amount: Option<f64>,
    /// The secret the customer types in. Present only when FULFILLED. Never log it.
    pub card_code: Option<String>,
    pub num_trans: Option<String>,
    pub date_traitement: Option<String>,
    pub created_at: Option<String>,
    pub refund_message: Option<String>,
}

impl fmt::Debug for Topup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topup")
            .field("id", &self.id)
            .field("ref", &self.r#ref)
            .field("status", &self.status)
            .field("card_type", &self.card_type)
            .field("number", &self.number)
            .field("topup_amount", &self.topup_amount)
            .field("card_code", &self.card_code.as_ref().map(|_| Redacted))
            .field("num_trans", &self.num_trans)
            .field("date_traitement", &self.date_traitement)
            .field("created_at", &self.created_at)
            .field("refund_message", &self.refund_message)
            .finish()
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopupPage {
    pub items: Vec<Topup>,
    pub page: Option<u32>,
    pub total_pages: Option<u32>,
    pub total_results: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Builds a result from the envelope's `data`. The error string must describe the problem
/// without quoting values.
pub(crate) trait FromData: Sized {
    fn from_data(data: &Value) -> Result<Self, String>;

    /// For results that also read the envelope around `data` (OCPay's `requestId`).
    fn from_envelope(data: &Value, _envelope: &Map<String, Value>) -> Result<Self, String> {
        Self::from_data(data)
    }
}

/// Turns an HTTP status, the `Retry-After` header and the body into a typed result. Pure, so
/// every documented shape can be tested without a network.
pub(crate) fn parse_response<T: FromData>(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<T, OneClickError> {
    let retry_after = retry_after.and_then(parse_retry_after);
    let is_2xx = (200..300).contains(&status);
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let obj = json.as_ref().and_then(Value::as_object);

    let Some(obj) = obj.filter(|o| is_envelope(o)) else {
        if is_2xx {
            let what = match &json {
                None if body.iter().all(u8::is_ascii_whitespace) => "empty body",
                None => "body is not JSON",
                Some(_) => "body is not an API envelope",
            };
            return Err(OneClickError::Malformed(what.to_string()));
        }
        // Router (Fastify `{message, error, statusCode}`), proxy HTML, empty: go by status,
        // keeping only a JSON `message`, never raw body text.
        let message = obj.and_then(|o| o.get("message")).and_then(Value::as_str);
        return Err(map_api_error(status, None, message, retry_after));
    };

    let error = obj.get("error").and_then(Value::as_object);
    let success = match obj.get("success") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => error.is_none(),
    };

    if !success {
        let code = error.and_then(|e| opt_string(e, "code"));
        let message = error.and_then(|e| opt_string(e, "message")).or_else(|| opt_string(obj, "message"));
        let message = match (message, is_2xx) {
            (None, true) => Some("request failed without an error description".to_string()),
            (m, _) => m,
        };
        return Err(map_api_error(status, code.as_deref(), message.as_deref(), retry_after));
    }
    if !is_2xx {
        // `success: true` on an error status: trust the status.
        return Err(map_api_error(status, None, None, retry_after));
    }
    match obj.get("data") {
        None | Some(Value::Null) => Err(OneClickError::Malformed("success response without data".to_string())),
        Some(data) => T::from_envelope(data, obj).map_err(OneClickError::Malformed),
    }
}

/// An object is our envelope if it has `success`, an `error` object or `data`. Fastify router
/// errors have `error` as a string and none of the others.
fn is_envelope(o: &Map<String, Value>) -> bool {
    o.contains_key("success") || o.get("error").is_some_and(Value::is_object) || o.contains_key("data")
}

pub(super) fn as_object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object().ok_or_else(|| format!("{what}: expected an object"))
}

/// A string, or a number rendered as text (ids and codes may come as numbers). Empty strings
/// count as absent so an empty `card_code` is never "delivered".
pub(super) fn opt_string(o: &Map<String, Value>, key: &str) -> Option<String> {
    match o.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first_string(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| opt_string(o, k))
}

/// A JSON number or a numeric string; finite only.
pub(super) fn opt_f64(o: &Map<String, Value>, key: &str) -> Option<f64> {
    value_f64(o.get(key)?)
}

fn value_f64(v: &Value) -> Option<f64> {
    let f = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    f.is_finite().then_some(f)
}

fn first_f64(o: &Map<String, Value>, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| opt_f64(o, k))
}

pub(super) fn opt_bool(o: &Map<String, Value>, key: &str) -> Option<bool> {
    match o.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        _ => None,
    }
}

/// A non-negative whole number, from an integer, an integral float or a numeric string.
fn opt_u64(o: &Map<String, Value>, key: &str) -> Option<u64> {
    let f = opt_f64(o, key)?;
    (f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64).then_some(f as u64)
}

fn opt_u32(o: &Map<String, Value>, key: &str) -> Option<u32> {
    opt_u64(o, key).and_then(|n| u32::try_from(n).ok())
}

impl FromData for KeyInfo {
    fn from_data(data: &Value) -> Result<Self, String> {
        let o = as_object(data, "validate")?;
        let key = o.get("apiKey").and_then(Value::as_object);
        Ok(KeyInfo {
            username: opt_string(o, "username"),
            environment: key
                .and_then(|k| opt_string(k, "type"))
                .map(|t| KeyEnvironment::parse(&t))
                .unwrap_or_else(|| KeyEnvironment::Other(String::new())),
            scope: key.and_then(|k| opt_string(k, "scope")),
            enabled: key.and_then(|k| opt_bool(k, "isEnabled").or_else(|| opt_bool(k, "enabled"))),
        })
    }
}

impl FromData for AccountBalance {
    fn from_data(data: &Value) -> Result<Self, String> {
        // Tolerate a bare number as `data`.
        if let Some(balance) = value_f64(data) {
            return Ok(AccountBalance { balance, currency: None });
        }
        let o = as_object(data, "balance")?;
        Ok(AccountBalance {
            balance: opt_f64(o, "balance").ok_or("balance: missing or not a number")?,
            currency: opt_string(o, "currency"),
        })
    }
}

impl Product {
    fn from_value(v: &Value) -> Result<Self, String> {
        let o = as_object(v, "product")?;
        let value = opt_f64(o, "value").ok_or("product: value missing or not a number")?;
        // The value is sent back to /send, so it must be a whole, positive amount.
        if value <= 0.0 || value.fract() != 0.0 || value > i64::MAX as f64 {
            return Err("product: value is not a positive whole number".into());
        }
        let cost = opt_f64(o, "cost").ok_or("product: cost missing or not a number")?;
        if cost < 0.0 {
            return Err("product: negative cost".into());
        }
        Ok(Product {
            value: value as i64,
            cost,
            // Absent means the API did not say; offering the card costs at worst an
            // OutOfStock refusal at send time, while hiding it would empty the shop.
            available: opt_bool(o, "available").unwrap_or(true),
        })
    }
}

impl FromData for Vec<Product> {
    fn from_data(data: &Value) -> Result<Self, String> {
        // EN/FR docs: `{products: [...]}` (type in data or meta); AR guide: a bare array.
        let items = match data {
            Value::Array(a) => a,
            Value::Object(o) => o
                .get("products")
                .or_else(|| o.get("items"))
                .and_then(Value::as_array)
                .ok_or("products: no `products` array in data")?,
            _ => return Err("products: expected an array or an object".into()),
        };
        let mut out = Vec::with_capacity(items.len());
        let mut last_err = None;
        for item in items {
            // One odd entry should not take the whole menu down.
            match Product::from_value(item) {
                Ok(p) => out.push(p),
                Err(e) => {
                    tracing::warn!(error = %e, "skipping unparseable OneClickDZ product");
                    last_err = Some(e);
                }
            }
        }
        match last_err {
            Some(e) if out.is_empty() => Err(e),
            _ => Ok(out),
        }
    }
}

impl FromData for NumberInfo {
    fn from_data(data: &Value) -> Result<Self, String> {
        let o = as_object(data, "check-number")?;
        Ok(NumberInfo {
            ncli: opt_string(o, "ncli"),
            offre: opt_string(o, "offre"),
            card_type: opt_string(o, "type").and_then(|t| CardType::parse(&t)),
        })
    }
}

impl FromData for SendResponse {
    fn from_data(data: &Value) -> Result<Self, String> {
        let o = as_object(data, "send")?;
        Ok(SendResponse {
            topup_id: first_string(o, &["topupId", "topup_id", "_id", "id"]),
            topup_ref: first_string(o, &["topupRef", "topup_ref", "ref"]),
            new_balance: first_f64(o, &["newBalance", "new_balance"]),
        })
    }
}

impl FromData for Topup {
    fn from_data(data: &Value) -> Result<Self, String> {
        let o = as_object(data, "topup")?;
        let status = match o.get("status") {
            Some(Value::String(s)) if !s.trim().is_empty() => TopupStatus::parse(s),
            _ => return Err("topup: status missing or not a string".into()),
        };
        Ok(Topup {
            id: first_string(o, &["_id", "id"]),
            r#ref: opt_string(o, "ref"),
            status,
            card_type: opt_string(o, "type"),
            number: opt_string(o, "number"),
            topup_amount: opt_f64(o, "topup_amount"),
            card_code: opt_string(o, "card_code"),
            num_trans: opt_string(o, "num_trans"),
            date_traitement: opt_string(o, "date_traitement"),
            created_at: opt_string(o, "created_at"),
            refund_message: opt_string(o, "refund_message"),
        })
    }
}

impl FromData for TopupPage {
    fn from_data(data: &Value) -> Result<Self, String> {
        let (items, pagination) = match data {
            Value::Array(a) => (a, None),
            Value::Object(o) => (
                o.get("items").and_then(Value::as_array).ok_or("list: no `items` array in data")?,
                // Docs put pagination in data.pagination; tolerate it flat in data.
                Some(o.get("pagination").and_then(Value::as_object).unwrap_or(o)),
            ),
            _ => return Err("list: expected an object or an array".into()),
        };
        let items = items
            .iter()
            .enumerate()
            .map(|(i, v)| Topup::from_data(v).map_err(|e| format!("list item {i}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TopupPage {
            items,
            page: pagination.and_then(|p| opt_u32(p, "page")),
            total_pages: pagination.and_then(|p| opt_u32(p, "totalPages")),
            total_results: pagination.and_then(|p| opt_u64(p, "totalResults")),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn ok<T: FromData>(body: &str) -> T {
        match parse_response::<T>(200, None, body.as_bytes()) {
            Ok(v) => v,
            Err(e) => panic!("expected success, got {e:?}"),
        }
    }

    fn err(status: u16, body: &str) -> OneClickError {
        err_ra(status, None, body)
    }

    fn err_ra(status: u16, retry_after: Option<&str>, body: &str) -> OneClickError {
        // The result type does not matter for errors; use the most permissive one.
        parse_response::<KeyInfo>(status, retry_after, body.as_bytes()).expect_err("expected an error")
    }

    fn api_err(status: u16, code: &str, message: &str) -> OneClickError {
        let body = serde_json::json!({
            "success": false,
            "error": {"code": code, "message": message, "details": {"x": 1}},
            "requestId": "req_abc123"
        });
        err(status, &body.to_string())
    }

    // --- validate -------------------------------------------------------------------------

    #[test]
    fn validate_full() {
        let k: KeyInfo = ok(r#"{ "success": true,
          "data": { "username": "+213665983439",
                    "apiKey": { "key": "ea27b376-9f5c-4b09-883f-1b96cd7b541c", "isEnabled": true,
                                "type": "SANDBOX", "allowedips": [], "scope": "READ-WRITE" } } }"#);
        assert_eq!(
            k,
            KeyInfo {
                username: Some("+213665983439".into()),
                environment: KeyEnvironment::Sandbox,
                scope: Some("READ-WRITE".into()),
                enabled: Some(true),
            }
        );
        assert!(!format!("{k:?}").contains("ea27b376"));
    }

    #[test]
    fn validate_without_key_and_allowedips() {
        let k: KeyInfo = ok(r#"{ "success": true,
          "data": { "username": "u", "apiKey": { "isEnabled": false, "type": "production",
                    "scope": "READ-ONLY" } } }"#);
        assert_eq!(k.environment, KeyEnvironment::Production);
        assert_eq!(k.enabled, Some(false));
        assert_eq!(k.scope.as_deref(), Some("READ-ONLY"));
    }

    #[test]
    fn validate_odd_environment_and_missing_api_key() {
        let k: KeyInfo = ok(r#"{"success":true,"data":{"apiKey":{"type":"Staging"}}}"#);
        assert_eq!(k.environment, KeyEnvironment::Other("Staging".into()));
        let k: KeyInfo = ok(r#"{"success":true,"data":{"username":"u"}}"#);
        assert_eq!(k.environment, KeyEnvironment::Other(String::new()));
        assert_eq!(k.environment.to_string(), "unknown");
        assert_eq!(k.enabled, None);
    }

    #[test]
    fn validate_errors() {
        assert_eq!(api_err(401, "MISSING_ACCESS_TOKEN", "Access token is required"), OneClickError::InvalidKey);
        assert_eq!(
            api_err(401, "INVALID_ACCESS_TOKEN", "The provided access token is invalid"),
            OneClickError::InvalidKey
        );
    }

    // --- balance --------------------------------------------------------------------------

    #[test]
    fn balance_with_and_without_currency() {
        let b: AccountBalance = ok(r#"{ "success": true, "data": { "balance": 1326.13 },
            "meta": { "timestamp": "2025-10-29T00:35:58.710Z" } }"#);
        assert_eq!(b, AccountBalance { balance: 1326.13, currency: None });
        assert_eq!(b.whole_dinars(), 1326);
        let b: AccountBalance = ok(r#"{"success":true,"data":{"balance":"50.99","currency":"DZD"}}"#);
        assert_eq!(b.currency.as_deref(), Some("DZD"));
        assert_eq!(b.whole_dinars(), 50);
        let b: AccountBalance = ok(r#"{"success":true,"data":{"balance":0}}"#);
        assert_eq!(b.whole_dinars(), 0);
    }

    #[test]
    fn balance_missing_is_malformed() {
        let e = parse_response::<AccountBalance>(200, None, br#"{"success":true,"data":{}}"#).unwrap_err();
        assert!(matches!(e, OneClickError::Malformed(_)));
    }

    // --- products -------------------------------------------------------------------------

    fn doc_products() -> Vec<Product> {
        vec![
            Product { value: 500, cost: 490.0, available: true },
            Product { value: 1000, cost: 980.0, available: true },
            Product { value: 2000, cost: 1960.0, available: true },
            Product { value: 5000, cost: 4900.0, available: false },
        ]
    }

    #[test]
    fn products_object_with_meta_type() {
        let p: Vec<Product> = ok(r#"{ "success": true,
          "data": { "products": [ { "value": 500,  "cost": 490,  "available": true },
                                  { "value": 1000, "cost": 980,  "available": true },
                                  { "value": 2000, "cost": 1960, "available": true },
                                  { "value": 5000, "cost": 4900, "available": false } ] },
          "meta": { "timestamp": "2025-11-01T12:00:00.000Z", "type": "ADSL" } }"#);
        assert_eq!(p, doc_products());
    }

    #[test]
    fn products_object_with_data_type() {
        let p: Vec<Product> = ok(r#"{ "success": true,
          "data": { "type": "4G", "products": [ { "value": 1000.0, "cost": 975.5, "available": true } ] } }"#);
        assert_eq!(p, vec![Product { value: 1000, cost: 975.5, available: true }]);
    }

    #[test]
    fn products_bare_array() {
        let p: Vec<Product> = ok(r#"{ "success": true,
          "data": [ { "value": 500, "cost": 450, "available": true },
                    { "value": "1000", "cost": "900", "available": "false" } ] }"#);
        assert_eq!(
            p,
            vec![
                Product { value: 500, cost: 450.0, available: true },
                Product { value: 1000, cost: 900.0, available: false }
            ]
        );
    }

    #[test]
    fn products_skip_bad_entries_but_not_all() {
        let p: Vec<Product> = ok(r#"{"success":true,"data":{"products":[
            {"value": 500, "cost": 490}, {"value": 12.5, "cost": 1}, {"cost": 3}, "junk"]}}"#);
        assert_eq!(p, vec![Product { value: 500, cost: 490.0, available: true }]);
        let e = parse_response::<Vec<Product>>(
            200,
            None,
            br#"{"success":true,"data":{"products":[{"value":"abc","cost":1}]}}"#,
        )
        .unwrap_err();
        assert!(matches!(e, OneClickError::Malformed(_)));
        let empty: Vec<Product> = ok(r#"{"success":true,"data":{"products":[]}}"#);
        assert!(empty.is_empty());
        let e = parse_response::<Vec<Product>>(200, None, br#"{"success":true,"data":{"x":1}}"#).unwrap_err();
        assert!(matches!(e, OneClickError::Malformed(_)));
    }

    // --- check-number ---------------------------------------------------------------------

    #[test]
    fn check_number_adsl() {
        let n: NumberInfo = ok(r#"{ "success": true, "data": { "ncli": "11022*****",
            "offre": "FTTc-b_10M'", "type": "ADSL" },
            "meta": { "timestamp": "2025-10-29T00:36:48.823Z" } }"#);
        assert_eq!(
            n,
            NumberInfo {
                ncli: Some("11022*****".into()),
                offre: Some("FTTc-b_10M'".into()),
                card_type: Some(CardType::Adsl),
            }
        );
    }

    #[test]
    fn check_number_4glte() {
        let n: NumberInfo = ok(
            r#"{ "success": true, "data": { "ncli": "11034*****", "type": "4GLTE" }, "meta": { "timestamp": "x" } }"#,
        );
        assert_eq!(n.card_type, Some(CardType::FourG));
        assert_eq!(n.offre, None);
    }

    #[test]
    fn check_number_err_phone() {
        let e = err(
            400,
            r#"{ "success": false,
              "error": { "code": "ERR_PHONE", "message": "Invalid phone number for ADSL service",
                         "details": { "number": "123456", "type": "ADSL",
                                      "reason": "Number does not match required format" } } }"#,
        );
        assert_eq!(e, OneClickError::InvalidPhone { message: "Invalid phone number for ADSL service".into() });
        // Status unknown for ERR_PHONE: the code decides even on a 200.
        assert!(matches!(api_err(200, "ERR_PHONE", "bad"), OneClickError::InvalidPhone { .. }));
        assert!(matches!(api_err(400, "INVALID_PHONE", "bad"), OneClickError::InvalidPhone { .. }));
    }

    // --- send -----------------------------------------------------------------------------

    #[test]
    fn send_request_serialization() {
        let r = SendRequest {
            card_type: CardType::FourG,
            number: "213665983439".into(),
            value: 1000,
            r#ref: "internet-order-001".into(),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"type":"4G","number":"213665983439","value":1000,"ref":"internet-order-001"})
        );
        let r = SendRequest { r#ref: String::new(), card_type: CardType::Adsl, ..r };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"type":"ADSL","number":"213665983439","value":1000})
        );
    }

    #[test]
    fn send_success() {
        let s: SendResponse = ok(r#"{ "success": true,
          "data": { "topupId": "690161a3e9e88196b4eb6545",
                    "topupRef": "API-+213665983439-test-internet-1761698210633" },
          "meta": { "timestamp": "2025-10-29T00:36:52.065Z" } }"#);
        assert_eq!(
            s,
            SendResponse {
                topup_id: Some("690161a3e9e88196b4eb6545".into()),
                topup_ref: Some("API-+213665983439-test-internet-1761698210633".into()),
                new_balance: None,
            }
        );
        let s: SendResponse =
            ok(r#"{"success":true,"data":{"topupId":"a","topupRef":"b","newBalance":346.13},"requestId":"r"}"#);
        assert_eq!(s.new_balance, Some(346.13));
    }

    #[test]
    fn send_errors() {
        assert_eq!(api_err(403, "NO_BALANCE", "Insufficient balance"), OneClickError::InsufficientBalance);
        assert_eq!(api_err(403, "INSUFFICIENT_BALANCE", "Insufficient balance"), OneClickError::InsufficientBalance);
        assert_eq!(api_err(403, "DUPLICATED_REF", "This reference ID is already in use"), OneClickError::DuplicateRef);
        // The captured real response, verbatim.
        assert_eq!(
            err(
                403,
                r#"{"success":false,"error":{"code":"DUPLICATED-REF","message":"This reference ID is already in use."},"requestId":"req-fpg"}"#
            ),
            OneClickError::DuplicateRef
        );
        assert_eq!(api_err(400, "ERR_STOCK", "x"), OneClickError::OutOfStock);
        assert_eq!(api_err(400, "OUT_OF_STOCK", "x"), OneClickError::OutOfStock);
        assert_eq!(api_err(400, "ERR_CARD", "Card value out of stock"), OneClickError::OutOfStock);
    }

    // --- check-id / check-ref -------------------------------------------------------------

    #[test]
    fn topup_handling() {
        let t: Topup = ok(r#"{ "success": true,
          "data": { "_id": "6901616fe9e88196b4eb64b2", "ref": "order-123456", "status": "HANDLING",
                    "type": "ADSL", "number": "036362608", "topup_amount": 1000,
                    "created_at": "2025-11-01T12:00:00.000Z" } }"#);
        assert_eq!(
            t,
            Topup {
                id: Some("6901616fe9e88196b4eb64b2".into()),
                r#ref: Some("order-123456".into()),
                status: TopupStatus::Handling,
                card_type: Some("ADSL".into()),
                number: Some("036362608".into()),
                topup_amount: Some(1000.0),
                card_code: None,
                num_trans: None,
                date_traitement: None,
                created_at: Some("2025-11-01T12:00:00.000Z".into()),
                refund_message: None,
            }
        );
    }

    const FULFILLED: &str = r#"{ "success": true,
      "data": { "_id": "6901616fe9e88196b4eb64b2", "ref": "internet-order-001", "status": "FULFILLED",
                "type": "ADSL", "number": "036362608", "topup_amount": 1000,
                "card_code": "123456789012", "num_trans": "AT-2025-12345",
                "date_traitement": "2025-10-29T01:05:30.000Z", "created_at": "2025-10-29T01:00:00.000Z" } }"#;

    #[test]
    fn topup_fulfilled() {
        let t: Topup = ok(FULFILLED);
        assert_eq!(t.status, TopupStatus::Fulfilled);
        assert_eq!(t.card_code.as_deref(), Some("123456789012"));
        assert_eq!(t.num_trans.as_deref(), Some("AT-2025-12345"));
        assert_eq!(t.date_traitement.as_deref(), Some("2025-10-29T01:05:30.000Z"));
    }

    #[test]
    fn topup_debug_redacts_card_code() {
        let t: Topup = ok(FULFILLED);
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("123456789012"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
        assert!(dbg.contains("AT-2025-12345"));
        let t = Topup { card_code: None, ..t };
        assert!(!format!("{t:?}").contains("<redacted>"));
    }

    #[test]
    fn topup_card_code_as_number_is_text() {
        let t: Topup =
            ok(r#"{"success":true,"data":{"_id":"x","status":"FULFILLED","card_code":123456789012,"num_trans":987}}"#);
        assert_eq!(t.card_code.as_deref(), Some("123456789012"));
        assert_eq!(t.num_trans.as_deref(), Some("987"));
        let t: Topup = ok(r#"{"success":true,"data":{"status":"FULFILLED","card_code":""}}"#);
        assert_eq!(t.card_code, None);
    }

    #[test]
    fn topup_status_parsing() {
        let t: Topup = ok(r#"{"success":true,"data":{"_id":"x","status":"UNKNOWN_ERROR","refund_message":"r"}}"#);
        assert_eq!(t.status, TopupStatus::Other("UNKNOWN_ERROR".into()));
        assert_eq!(t.refund_message.as_deref(), Some("r"));
        assert_eq!(TopupStatus::parse("fulfilled"), TopupStatus::Fulfilled);
        assert_eq!(TopupStatus::parse(" Queued "), TopupStatus::Queued);
        assert_eq!(TopupStatus::parse("refunded"), TopupStatus::Refunded);
        assert_eq!(TopupStatus::parse("handling"), TopupStatus::Handling);
        assert_eq!(TopupStatus::parse("Pending"), TopupStatus::Other("Pending".into()));
        assert_eq!(TopupStatus::Other("Pending".into()).as_str(), "Pending");
        let e = parse_response::<Topup>(200, None, br#"{"success":true,"data":{"_id":"x"}}"#).unwrap_err();
        assert!(matches!(e, OneClickError::Malformed(_)));
    }

    #[test]
    fn topup_not_found() {
        assert_eq!(api_err(404, "NOT_FOUND", "Top-up with reference 'order-12345' not found"), OneClickError::NotFound);
    }

    // --- list -----------------------------------------------------------------------------

    #[test]
    fn list_with_pagination() {
        let p: TopupPage = ok(r#"{ "success": true,
          "data": { "items": [
              { "_id": "a", "ref": "r1", "status": "REFUNDED", "type": "4G", "number": "213665983439",
                "topup_amount": 2000, "created_at": "t" },
              { "_id": "b", "ref": "r2", "status": "QUEUED", "type": "ADSL", "number": "036362608",
                "topup_amount": 500, "created_at": "t" } ],
            "pagination": { "page": 2, "pageSize": 20, "totalPages": 10, "totalResults": 195 } },
          "meta": { "timestamp": "x" } }"#);
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.items[0].status, TopupStatus::Refunded);
        assert_eq!(p.items[1].status, TopupStatus::Queued);
        assert_eq!(p.items[1].id.as_deref(), Some("b"));
        assert_eq!(p.page, Some(2));
        assert_eq!(p.total_pages, Some(10));
        assert_eq!(p.total_results, Some(195));
    }

    #[test]
    fn list_without_pagination_and_bad_item() {
        let p: TopupPage = ok(r#"{"success":true,"data":{"items":[]}}"#);
        assert_eq!(p, TopupPage { items: vec![], page: None, total_pages: None, total_results: None });
        let e =
            parse_response::<TopupPage>(200, None, br#"{"success":true,"data":{"items":[{"_id":"a"}]}}"#).unwrap_err();
        assert!(matches!(e, OneClickError::Malformed(_)));
    }

    // --- every documented error code ------------------------------------------------------

    #[test]
    fn documented_error_codes() {
        use OneClickError as E;
        let cases: Vec<(u16, &str, E)> = vec![
            (401, "MISSING_ACCESS_TOKEN", E::InvalidKey),
            (401, "INVALID_ACCESS_TOKEN", E::InvalidKey),
            (401, "ERR_AUTH", E::InvalidKey),
            (403, "IP_BLOCKED", E::IpBlocked),
            (403, "IP_NOT_ALLOWED", E::IpNotAllowed),
            (403, "API_DISABLED", E::ApiDisabled),
            (403, "NO_BALANCE", E::InsufficientBalance),
            (403, "INSUFFICIENT_BALANCE", E::InsufficientBalance),
            (403, "DUPLICATED_REF", E::DuplicateRef),
            (403, "DUPLICATED-REF", E::DuplicateRef),
            (403, "DUPLICATE_REF", E::DuplicateRef),
            (400, "ERR_VALIDATION", E::Validation { message: "msg".into() }),
            (400, "ERR_PHONE", E::InvalidPhone { message: "msg".into() }),
            (400, "INVALID_PHONE", E::InvalidPhone { message: "msg".into() }),
            (400, "ERR_STOCK", E::OutOfStock),
            (404, "NOT_FOUND", E::NotFound),
            (429, "RATE_LIMIT_EXCEEDED", E::RateLimited { retry_after: None }),
            (500, "INTERNAL_ERROR", E::Server { status: 500, code: Some("INTERNAL_ERROR".into()) }),
            (503, "SERVICE_UNAVAILABLE", E::Server { status: 503, code: Some("SERVICE_UNAVAILABLE".into()) }),
            (503, "AUTH_UNAVAILABLE", E::Server { status: 503, code: Some("AUTH_UNAVAILABLE".into()) }),
        ];
        for (status, code, want) in cases {
            assert_eq!(api_err(status, code, "msg"), want, "{status} {code}");
        }
    }

    #[test]
    fn error_without_request_id_or_details() {
        assert_eq!(
            err(403, r#"{"success":false,"error":{"code":"IP_NOT_ALLOWED","message":"m"}}"#),
            OneClickError::IpNotAllowed
        );
        // Error object without a code: status decides.
        assert_eq!(err(401, r#"{"success":false,"error":{"message":"who are you"}}"#), OneClickError::InvalidKey);
        // success:false with nothing else on a 200.
        assert!(matches!(err(200, r#"{"success":false}"#), OneClickError::Other { status: 200, .. }));
    }

    #[test]
    fn rate_limited_with_retry_after() {
        let e = err_ra(
            429,
            Some("7"),
            r#"{"success":false,"error":{"code":"RATE_LIMIT_EXCEEDED","message":"Too many requests"}}"#,
        );
        assert_eq!(e, OneClickError::RateLimited { retry_after: Some(Duration::from_secs(7)) });
        // 429 with a non-envelope body still carries the header.
        assert_eq!(
            err_ra(429, Some("2"), "Too Many Requests"),
            OneClickError::RateLimited { retry_after: Some(Duration::from_secs(2)) }
        );
        assert_eq!(err_ra(429, None, ""), OneClickError::RateLimited { retry_after: None });
    }

    #[test]
    fn fastify_404() {
        let e = err(404, r#"{"message":"Route GET:/v3/internet/nope not found","error":"Not Found","statusCode":404}"#);
        assert_eq!(e, OneClickError::NotFound);
        let e = err(
            400,
            r#"{"statusCode":400,"error":"Bad Request","message":"querystring must have required property 'type'"}"#,
        );
        assert_eq!(e, OneClickError::Validation { message: "querystring must have required property 'type'".into() });
    }

    #[test]
    fn non_json_and_empty_bodies() {
        let e = err(502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
        assert_eq!(e, OneClickError::Server { status: 502, code: None });
        assert_eq!(err(503, ""), OneClickError::Server { status: 503, code: None });
        // An HTML 403 from a proxy: no body text leaks into the error.
        let e = err(403, "<html>secret-ish 123456789012</html>");
        assert!(matches!(e, OneClickError::Other { status: 403, .. }));
        assert!(!e.to_string().contains("123456789012"));
    }

    #[test]
    fn malformed_success_bodies() {
        for body in [
            r#"{"success":true}"#,
            r#"{"success":true,"data":null}"#,
            "",
            "   ",
            "<html>ok</html>",
            r#"["not","an","envelope"]"#,
            r#"{"hello":"world"}"#,
        ] {
            let e = parse_response::<KeyInfo>(200, None, body.as_bytes()).unwrap_err();
            assert!(matches!(e, OneClickError::Malformed(_)), "{body:?} -> {e:?}");
        }
    }

    #[test]
    fn malformed_errors_never_quote_values() {
        // A card code where a number was expected must not appear in the error text.
        let e = parse_response::<AccountBalance>(
            200,
            None,
            br#"{"success":true,"data":{"balance":{"card_code":"123456789012"}}}"#,
        )
        .unwrap_err();
        assert!(!format!("{e} {e:?}").contains("123456789012"));
        let e = parse_response::<Topup>(200, None, br#"{"success":true,"data":{"status":123456789012}}"#).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("123456789012"));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let b: AccountBalance = ok(
            r#"{"success":true,"data":{"balance":1,"extra":{"deep":[1,2]}},"meta":{"timestamp":"x","new":true},"requestId":"r","more":1}"#,
        );
        assert_eq!(b.balance, 1.0);
    }

    #[test]
    fn success_true_on_error_status_uses_status() {
        assert_eq!(err(503, r#"{"success":true,"data":{}}"#), OneClickError::Server { status: 503, code: None });
    }
}
