//! Errors of the OneClickDZ client, grouped by what the caller has to do about them.
//!
//! Nothing in here may ever carry the API key or a raw response body: a body can hold a card
//! code, and errors end up in logs and in admin chats. Only the structured `error.message` of
//! an API error (or of a router error) is kept, and it is truncated.

use std::time::Duration;

/// Longest server-supplied message we keep in an error.
const MAX_MESSAGE_CHARS: usize = 300;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OneClickError {
    /// The key is missing, wrong, expired or revoked. Fix the configuration; do not retry in a
    /// loop (about 20 bad attempts get the IP blocked).
    #[error("OneClickDZ rejected the API key (missing, invalid or revoked)")]
    InvalidKey,
    /// Too many bad-key attempts from this IP; blocked for about 15 minutes.
    #[error("OneClickDZ has temporarily blocked this IP (too many bad-key attempts)")]
    IpBlocked,
    /// The server's IP is not in the key's whitelist.
    #[error("this server's IP is not in the OneClickDZ key whitelist")]
    IpNotAllowed,
    /// The key or API access is switched off on the OneClickDZ side.
    #[error("OneClickDZ API access is disabled for this key")]
    ApiDisabled,
    /// The account balance does not cover the order. Do not retry until funds are added.
    #[error("insufficient OneClickDZ balance")]
    InsufficientBalance,
    /// The number is not valid for the requested card type.
    #[error("invalid phone number: {message}")]
    InvalidPhone { message: String },
    /// The card value is out of stock.
    #[error("card value out of stock")]
    OutOfStock,
    /// The order ref was already used: look the existing order up with check-ref, never resend.
    #[error("order reference already in use")]
    DuplicateRef,
    /// 429. The request was rejected before processing.
    #[error("rate limited by OneClickDZ{}", fmt_retry_after(.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// 404 / NOT_FOUND (unknown order id/ref, or a wrong base URL).
    #[error("not found")]
    NotFound,
    /// Bad parameters (ERR_VALIDATION, other 400s): an integration bug, not for end users.
    #[error("request rejected as invalid: {message}")]
    Validation { message: String },
    /// 5xx. For a POST the outcome is unknown.
    #[error("OneClickDZ server error (HTTP {status}{})", fmt_code(.code))]
    Server { status: u16, code: Option<String> },
    /// Connection-level failure (DNS, refused, reset, TLS...).
    #[error("network error talking to OneClickDZ: {0}")]
    Network(String),
    /// No complete answer within the configured timeout.
    #[error("timed out waiting for OneClickDZ")]
    Timeout,
    /// A 2xx whose body is not the expected shape. The text never includes body content.
    #[error("unexpected OneClickDZ response: {0}")]
    Malformed(String),
    /// Anything else the server answered.
    #[error("OneClickDZ error (HTTP {status}{}): {message}", fmt_code(.code))]
    Other { status: u16, code: Option<String>, message: String },
    /// The client cannot be built from its configuration (base URL, HTTP stack): found before
    /// any request, fixed in the configuration.
    #[error("OneClickDZ client configuration: {0}")]
    Config(String),
}

fn fmt_code(code: &Option<String>) -> String {
    code.as_deref().map(|c| format!(", {c}")).unwrap_or_default()
}

fn fmt_retry_after(d: &Option<Duration>) -> String {
    d.map(|d| format!(", retry after {}s", d.as_secs_f64())).unwrap_or_default()
}

impl OneClickError {
    /// Worth retrying later with the same request (for GETs the client already did).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Timeout | Self::Server { .. } | Self::RateLimited { .. })
    }

    /// For `POST /internet/send`: the order may or may not have been placed. The caller must
    /// reconcile with check-ref (same ref) before resending or refunding.
    ///
    /// `Network` is included even though a refused connection never reached the server: the
    /// variant does not say at which stage it failed, so we stay on the safe side.
    /// `RateLimited` is deliberately NOT included: a 429 is produced by the gateway's limiter
    /// before the request is processed, so the order definitely was not placed and the same
    /// request may be sent again later (it is still `is_transient`).
    pub fn outcome_unknown_for_send(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Timeout | Self::Server { .. } | Self::Malformed(_))
    }

    /// The API understood the request and refused it; nothing was done and retrying the same
    /// request will not help. (`DuplicateRef` is excluded on purpose: an order with that ref
    /// exists and must be looked up, not treated as a refusal.)
    pub fn is_definite_refusal(&self) -> bool {
        matches!(
            self,
            Self::InvalidPhone { .. }
                | Self::OutOfStock
                | Self::InsufficientBalance
                | Self::Validation { .. }
                | Self::InvalidKey
                | Self::IpBlocked
                | Self::IpNotAllowed
                | Self::ApiDisabled
        )
    }

    /// The server-requested wait, when it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// Whether a 404's body is OneClickDZ's own error envelope (`{"success": false, "error": {...}}`).
/// Only then does the 404 say that the top-up does not exist: a router's or a proxy's 404 (wrong
/// path, a misrouted request, an HTML page) says nothing about the order.
pub(crate) fn is_api_error_envelope(body: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    o.get("error").is_some_and(serde_json::Value::is_object)
}

/// A 404 that is not OneClickDZ's "not found": an unknown outcome, never a proof of absence.
pub(crate) fn foreign_404() -> OneClickError {
    OneClickError::Other {
        status: 404,
        code: None,
        message: "404 without OneClickDZ's error envelope (a proxy or a router?)".to_string(),
    }
}

/// Upper-cases and turns '-' into '_' so `DUPLICATED-REF` and `duplicated_ref` compare equal.
pub(crate) fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase().replace('-', "_")
}

pub(crate) fn truncate_message(msg: &str) -> String {
    let msg = msg.trim();
    match msg.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &msg[..i]),
        None => msg.to_string(),
    }
}

/// Maps an API error (code and message from the envelope, when there was one) and the HTTP
/// status to a variant: first by code, then by message hints, then by status.
pub(crate) fn map_api_error(
    status: u16,
    code: Option<&str>,
    message: Option<&str>,
    retry_after: Option<Duration>,
) -> OneClickError {
    let norm = code.map(normalize_code).filter(|c| !c.is_empty());
    let message = message.map(truncate_message).unwrap_or_default();
    let msg_lc = message.to_ascii_lowercase();
    let original_code = code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());

    if let Some(c) = norm.as_deref() {
        match c {
            "MISSING_ACCESS_TOKEN" | "INVALID_ACCESS_TOKEN" | "ERR_AUTH" => {
                return OneClickError::InvalidKey;
            }
            "IP_BLOCKED" => return OneClickError::IpBlocked,
            "IP_NOT_ALLOWED" => return OneClickError::IpNotAllowed,
            "API_DISABLED" => return OneClickError::ApiDisabled,
            "NO_BALANCE" | "INSUFFICIENT_BALANCE" => return OneClickError::InsufficientBalance,
            "ERR_PHONE" | "INVALID_PHONE" => {
                return OneClickError::InvalidPhone { message: or_default(message, "invalid phone number") };
            }
            "DUPLICATED_REF" | "DUPLICATE_REF" => return OneClickError::DuplicateRef,
            "RATE_LIMIT_EXCEEDED" => return OneClickError::RateLimited { retry_after },
            "NOT_FOUND" => return OneClickError::NotFound,
            "ERR_VALIDATION" => {
                return OneClickError::Validation { message: or_default(message, "validation failed") };
            }
            "INTERNAL_ERROR" | "SERVICE_UNAVAILABLE" | "AUTH_UNAVAILABLE" => {
                return OneClickError::Server { status, code: original_code };
            }
            // The out-of-stock code is undocumented (ERR_STOCK is a guess): match any code
            // mentioning stock.
            c if c.contains("STOCK") => return OneClickError::OutOfStock,
            _ => {}
        }
    }

    // Unknown or absent code: the send-topup docs describe these errors only in words, so
    // recognise the wording. Skipped for 5xx, where the message is not about the order.
    if status < 500 {
        if msg_lc.contains("out of stock") {
            return OneClickError::OutOfStock;
        }
        if msg_lc.contains("insufficient balance")
            || msg_lc.contains("not enough balance")
            || (status == 403 && msg_lc.contains("balance"))
        {
            return OneClickError::InsufficientBalance;
        }
        // Misreading a duplicate ref as a refusal would make the bot refund an order that
        // exists, so the documented wording is recognised too.
        if msg_lc.contains("reference") && msg_lc.contains("already") {
            return OneClickError::DuplicateRef;
        }
    }

    match status {
        401 => OneClickError::InvalidKey,
        404 => OneClickError::NotFound,
        429 => OneClickError::RateLimited { retry_after },
        400 => OneClickError::Validation { message: or_default(message, "bad request") },
        500..=599 => OneClickError::Server { status, code: original_code },
        _ => OneClickError::Other { status, code: original_code, message: or_default(message, "no error message") },
    }
}

fn or_default(message: String, default: &str) -> String {
    if message.is_empty() { default.to_string() } else { message }
}

/// Parses a `Retry-After` header: delay in seconds (fractions tolerated) or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_case_and_dash_insensitive() {
        assert_eq!(map_api_error(403, Some("DUPLICATED-REF"), None, None), OneClickError::DuplicateRef);
        assert_eq!(map_api_error(403, Some("duplicated_ref"), None, None), OneClickError::DuplicateRef);
        assert_eq!(map_api_error(403, Some("Duplicate-Ref"), None, None), OneClickError::DuplicateRef);
        assert_eq!(map_api_error(401, Some("err-auth"), None, None), OneClickError::InvalidKey);
    }

    #[test]
    fn only_oneclickdz_s_own_envelope_makes_a_404_a_not_found() {
        let api = br#"{"success":false,"error":{"code":"NOT_FOUND","message":"Top-up not found"},"requestId":"r"}"#;
        assert!(is_api_error_envelope(api));
        let router = br#"{"message":"Route GET:/v3/x not found","error":"Not Found","statusCode":404}"#;
        for foreign in [&router[..], b"", b"<html>404</html>", b"null", br#"{"message":"nope"}"#] {
            assert!(!is_api_error_envelope(foreign), "{}", String::from_utf8_lossy(foreign));
        }
        assert!(!foreign_404().is_definite_refusal() && foreign_404() != OneClickError::NotFound);
    }

    #[test]
    fn code_wins_over_status() {
        // A code we know beats a surprising status.
        assert_eq!(map_api_error(400, Some("NO_BALANCE"), None, None), OneClickError::InsufficientBalance);
        assert_eq!(map_api_error(200, Some("ERR_STOCK"), None, None), OneClickError::OutOfStock);
        assert_eq!(map_api_error(400, Some("CARD_STOCK_EMPTY"), None, None), OneClickError::OutOfStock);
    }

    #[test]
    fn message_hints_for_unknown_codes() {
        assert_eq!(
            map_api_error(400, Some("ERR_TOPUP"), Some("Card value out of stock"), None),
            OneClickError::OutOfStock
        );
        assert_eq!(map_api_error(403, None, Some("Balance too low"), None), OneClickError::InsufficientBalance);
        assert_eq!(
            map_api_error(400, Some("SOMETHING"), Some("This reference ID is already in use."), None),
            OneClickError::DuplicateRef
        );
        // A 403 without a balance hint stays Other.
        assert!(matches!(
            map_api_error(403, Some("FORBIDDEN"), Some("nope"), None),
            OneClickError::Other { status: 403, .. }
        ));
        // Hints are ignored on 5xx.
        assert!(matches!(
            map_api_error(503, None, Some("out of stock"), None),
            OneClickError::Server { status: 503, .. }
        ));
    }

    #[test]
    fn status_fallbacks() {
        assert_eq!(map_api_error(401, None, None, None), OneClickError::InvalidKey);
        assert_eq!(map_api_error(404, None, None, None), OneClickError::NotFound);
        assert_eq!(
            map_api_error(429, None, None, Some(Duration::from_secs(3))),
            OneClickError::RateLimited { retry_after: Some(Duration::from_secs(3)) }
        );
        assert_eq!(map_api_error(400, None, Some("bad"), None), OneClickError::Validation { message: "bad".into() });
        assert_eq!(map_api_error(502, None, None, None), OneClickError::Server { status: 502, code: None });
        assert!(matches!(
            map_api_error(418, Some("TEAPOT"), Some("short and stout"), None),
            OneClickError::Other { status: 418, code: Some(ref c), ref message } if c == "TEAPOT" && message == "short and stout"
        ));
    }

    #[test]
    fn long_messages_are_truncated() {
        let long = "x".repeat(5000);
        let OneClickError::Validation { message } = map_api_error(400, None, Some(&long), None) else {
            panic!("expected Validation");
        };
        assert!(message.chars().count() <= MAX_MESSAGE_CHARS + 1);
    }

    /// What the tracker does with each error of a send, written out case by case (not derived from
    /// the lists the code uses): `refund` = a definite refusal, the hold may be released;
    /// `reconcile` = the outcome is unknown, look the ref up before anything else; `retry` = worth
    /// trying again later.
    #[test]
    fn each_error_says_refund_reconcile_or_retry() {
        use OneClickError as E;
        #[rustfmt::skip]
        let table: [(E, bool, bool, bool); 17] = [
            //                                         refund reconcile retry
            (E::InvalidKey,                            true,  false,    false),
            (E::IpBlocked,                             true,  false,    false),
            (E::IpNotAllowed,                          true,  false,    false),
            (E::ApiDisabled,                           true,  false,    false),
            (E::InsufficientBalance,                   true,  false,    false),
            (E::InvalidPhone { message: "m".into() },  true,  false,    false),
            (E::OutOfStock,                            true,  false,    false),
            (E::Validation { message: "m".into() },    true,  false,    false),
            // The ref exists upstream: look it up, never refund nor resend.
            (E::DuplicateRef,                          false, false,    false),
            // Refused before processing: may be sent again, nothing to reconcile.
            (E::RateLimited { retry_after: None },     false, false,    true),
            (E::NotFound,                              false, false,    false),
            (E::Server { status: 503, code: None },    false, true,     true),
            (E::Network("reset".into()),               false, true,     true),
            (E::Timeout,                               false, true,     true),
            (E::Malformed("x".into()),                 false, true,     false),
            (E::Other { status: 418, code: None, message: "m".into() }, false, false, false),
            (E::Config("bad base URL".into()),         false, false,    false),
        ];
        for (e, refund, reconcile, retry) in &table {
            assert_eq!(e.is_definite_refusal(), *refund, "refund: {e:?}");
            assert_eq!(e.outcome_unknown_for_send(), *reconcile, "reconcile: {e:?}");
            assert_eq!(e.is_transient(), *retry, "retry: {e:?}");
        }
    }

    #[test]
    fn retry_after_header_forms() {
        assert_eq!(parse_retry_after("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
        // A date in the past means "now".
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        let future = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let d = parse_retry_after(&future).unwrap();
        assert!(d > Duration::from_secs(25) && d <= Duration::from_secs(30));
    }
}
