//! Who may use the panel: Telegram Web App `initData` checked as Telegram specifies, one-time
//! login links turned into cookie sessions, CSRF tokens for writes, and a brake on failed logins.
//! Nothing the page says about its user is trusted; only what the signature covers.
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The Telegram user an `initData` was signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAppUser {
    pub id: i64,
    pub first_name: String,
    pub language_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InitDataError {
    #[error("initData is malformed")]
    Malformed,
    #[error("initData signature does not match")]
    BadSignature,
    #[error("initData is too old")]
    Expired,
    #[error("user is not an admin")]
    NotAdmin,
}

/// `secret_key = HMAC_SHA256(key = "WebAppData", msg = bot_token)`.
fn secret_key(bot_token: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(b"WebAppData").expect("HMAC takes any key length");
    mac.update(bot_token.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Every field but `hash`, as `key=value` (decoded), sorted by key, joined by `\n`.
fn data_check_string(fields: &[(String, String)]) -> String {
    let mut pairs: Vec<String> = fields.iter().filter(|(k, _)| k != "hash").map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    pairs.join("\n")
}

fn signature(bot_token: &str, fields: &[(String, String)]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(&secret_key(bot_token)).expect("HMAC takes any key length");
    mac.update(data_check_string(fields).as_bytes());
    mac
}

/// Checks a raw `initData` query string: signature, age (`auth_date` within `max_age_secs` of
/// `now_secs`), and that its user is one of `admin_ids`.
pub fn validate_init_data(
    init_data: &str,
    bot_token: &str,
    admin_ids: &[i64],
    now_secs: i64,
    max_age_secs: i64,
) -> Result<WebAppUser, InitDataError> {
    let fields: Vec<(String, String)> =
        url::form_urlencoded::parse(init_data.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let get = |name: &str| {
        let mut it = fields.iter().filter(|(k, _)| k == name);
        match (it.next(), it.next()) {
            (Some((_, v)), None) => Ok(v.as_str()),
            _ => Err(InitDataError::Malformed),
        }
    };
    let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(InitDataError::Malformed);
    }
    let hash = hex::decode(get("hash")?).map_err(|_| InitDataError::Malformed)?;
    // `verify_slice` compares in constant time.
    signature(bot_token, &fields).verify_slice(&hash).map_err(|_| InitDataError::BadSignature)?;
    let auth_date: i64 = get("auth_date")?.parse().map_err(|_| InitDataError::Malformed)?;
    // A date from the future (beyond clock skew) is as suspect as an old one.
    if now_secs - auth_date > max_age_secs || auth_date - now_secs > 60 {
        return Err(InitDataError::Expired);
    }
    #[derive(serde::Deserialize)]
    struct User {
        id: i64,
        #[serde(default)]
        first_name: String,
        language_code: Option<String>,
    }
    let user: User = serde_json::from_str(get("user")?).map_err(|_| InitDataError::Malformed)?;
    if !admin_ids.contains(&user.id) {
        return Err(InitDataError::NotAdmin);
    }
    Ok(WebAppUser { id: user.id, first_name: user.first_name, language_code: user.language_code })
}

/// Signs `fields` as Telegram does and returns the `initData` string (for tests and tools).
pub fn sign_init_data(bot_token: &str, fields: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let hash = hex::encode(signature(bot_token, &owned).finalize().into_bytes());
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.append_pair("hash", &hash);
    s.finish()
}

/// Constant-time comparison of a CSRF token sent back with the session's.
pub fn csrf_matches(expected: &str, sent: &str) -> bool {
    expected.len() == sent.len() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
}

/// Failures allowed before each further attempt from the same client must wait.
const FREE_FAILURES: u32 = 5;
const MAX_WAIT: Duration = Duration::from_secs(300);
/// Clients tracked at most; beyond, the table starts over (memory stays bounded).
const MAX_CLIENTS: usize = 10_000;

/// Slows down repeated failed logins per client (its IP, or one shared key when unknown): after
/// `FREE_FAILURES`, each attempt waits 1 s, 2 s, 4 s, … (up to 5 min) after the last failure.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    clients: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(wait)` when `client` must wait before trying again.
    pub fn check(&self, client: &str, now: Instant) -> Result<(), Duration> {
        let Some(&(failures, last)) = self.lock().get(client) else { return Ok(()) };
        if failures < FREE_FAILURES {
            return Ok(());
        }
        let wait = Duration::from_secs(1u64 << (failures - FREE_FAILURES).min(16)).min(MAX_WAIT);
        let ready = last + wait;
        if now >= ready { Ok(()) } else { Err(ready - now) }
    }

    pub fn failed(&self, client: &str, now: Instant) {
        let mut m = self.lock();
        if m.len() >= MAX_CLIENTS && !m.contains_key(client) {
            m.clear();
        }
        let e = m.entry(client.to_owned()).or_insert((0, now));
        *e = (e.0.saturating_add(1), now);
    }

    pub fn succeeded(&self, client: &str) {
        self.lock().remove(client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:ABC-test-token";
    const NOW: i64 = 1_800_000_000;

    fn sample(user_id: i64, auth_date: i64) -> String {
        let user = format!(r#"{{"id":{user_id},"first_name":"Amine","language_code":"ar"}}"#);
        sign_init_data(
            TOKEN,
            &[
                ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
                ("user", &user),
                ("auth_date", &auth_date.to_string()),
                ("signature", "abc"),
            ],
        )
    }

    fn check(data: &str) -> Result<WebAppUser, InitDataError> {
        validate_init_data(data, TOKEN, &[42], NOW, 3600)
    }

    #[test]
    fn valid_init_data_is_accepted() {
        let u = check(&sample(42, NOW - 10)).unwrap();
        assert_eq!(u, WebAppUser { id: 42, first_name: "Amine".into(), language_code: Some("ar".into()) });
    }

    #[test]
    fn the_signature_follows_telegrams_rule() {
        // Computed independently of `sign_init_data`: the secret, then the sorted lines.
        let secret = secret_key(TOKEN);
        let mut mac = HmacSha256::new_from_slice(&secret).unwrap();
        mac.update(b"auth_date=1800000000\nuser={\"id\":42}");
        let hash = hex::encode(mac.finalize().into_bytes());
        let data = format!("user=%7B%22id%22%3A42%7D&auth_date=1800000000&hash={hash}");
        assert_eq!(check(&data).unwrap().id, 42);
    }

    #[test]
    fn a_tampered_hash_is_refused() {
        let data = sample(42, NOW);
        let i = data.find("hash=").unwrap() + 5;
        let mut bytes = data.into_bytes();
        bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        assert_eq!(check(&String::from_utf8(bytes).unwrap()), Err(InitDataError::BadSignature));
        let no_hash = sample(42, NOW);
        let no_hash = &no_hash[..no_hash.find("&hash=").unwrap()];
        assert_eq!(check(no_hash), Err(InitDataError::Malformed));
    }

    #[test]
    fn a_changed_field_is_refused() {
        let data = sample(42, NOW);
        assert_eq!(check(&data.replace("Amine", "Admin")), Err(InitDataError::BadSignature));
        assert_eq!(check(&data.replace("signature=abc", "signature=abd")), Err(InitDataError::BadSignature));
        // A field added after signing, or one given twice, is refused too.
        assert_eq!(check(&format!("{data}&start_param=x")), Err(InitDataError::BadSignature));
        assert_eq!(check(&format!("{data}&auth_date={NOW}")), Err(InitDataError::Malformed));
    }

    #[test]
    fn old_init_data_is_refused() {
        assert!(check(&sample(42, NOW - 3600)).is_ok());
        assert_eq!(check(&sample(42, NOW - 3601)), Err(InitDataError::Expired));
        assert_eq!(check(&sample(42, NOW + 3600)), Err(InitDataError::Expired));
    }

    #[test]
    fn a_user_who_is_not_an_admin_is_refused() {
        assert_eq!(check(&sample(7, NOW)), Err(InitDataError::NotAdmin));
        // Signed with another bot's token: not ours.
        assert_eq!(
            validate_init_data(&sample(42, NOW), "999:other", &[42], NOW, 3600),
            Err(InitDataError::BadSignature)
        );
    }

    #[test]
    fn csrf_tokens_compare_whole() {
        assert!(csrf_matches("abcd", "abcd"));
        assert!(!csrf_matches("abcd", "abce"));
        assert!(!csrf_matches("abcd", "abc"));
        assert!(!csrf_matches("abcd", ""));
    }

    #[test]
    fn failed_logins_are_slowed_down_per_client() {
        let t = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert!(t.check("1.2.3.4", t0).is_ok());
            t.failed("1.2.3.4", t0);
        }
        assert_eq!(t.check("1.2.3.4", t0), Err(Duration::from_secs(1)));
        assert!(t.check("5.6.7.8", t0).is_ok(), "another client is not slowed");
        assert!(t.check("1.2.3.4", t0 + Duration::from_secs(1)).is_ok());
        t.failed("1.2.3.4", t0 + Duration::from_secs(1));
        assert_eq!(t.check("1.2.3.4", t0 + Duration::from_secs(1)), Err(Duration::from_secs(2)));
        t.succeeded("1.2.3.4");
        assert!(t.check("1.2.3.4", t0).is_ok());
    }
}
