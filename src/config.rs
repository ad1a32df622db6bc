//! Configuration, read once from the environment (and `.env`, which the environment overrides).
use crate::i18n::Lang;
use std::time::Duration;

/// A value that must never reach a log: `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub telegram_token: Secret,
    pub telegram_api_url: Option<url::Url>,
    pub telegram_throttle: bool,
    pub oneclick_api_key: Secret,
    pub oneclick_base_url: String,
    pub oneclick_requests_per_minute: u32,
    pub oneclick_timeout: Duration,
    pub database_url: String,
    pub admin_ids: Vec<i64>,
    pub admin_chat_id: Option<i64>,
    pub default_language: Lang,
    pub card_encryption_key: Option<Secret>,
    pub support_contact: String,
    pub order_poll: Duration,
    pub order_fast_poll_window: Duration,
    pub queued_recheck: Duration,
    pub reconcile_grace: Duration,
    pub broadcast_per_sec: u32,
    pub broadcast_progress_every: Duration,
    pub products_cache_ttl: Duration,
    pub balance_cache_ttl: Duration,
    pub health_check_every: Duration,
}

/// A configuration problem, printed as one line naming the variable and what to put there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn err(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { var, problem: problem.into() }
}

impl Config {
    /// Loads `.env` if present (without overriding the real environment), then reads the variables.
    pub fn from_env() -> Result<Config, ConfigError> {
        let _ = dotenvy::dotenv();
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads every variable through `get`, so tests can configure without touching the process env.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |k: &str| get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let telegram_token = get("TELOXIDE_TOKEN")
            .ok_or_else(|| err("TELOXIDE_TOKEN", "not set; put the token @BotFather gave you (123456:ABC…)"))?;
        if !telegram_token.contains(':') {
            return Err(err("TELOXIDE_TOKEN", "does not look like a bot token (expected 123456:ABC…)"));
        }
        let telegram_api_url = match get("TELOXIDE_API_URL") {
            None => None,
            Some(u) => Some(url::Url::parse(&u).map_err(|_| {
                err("TELOXIDE_API_URL", "not a valid URL; leave it unset for https://api.telegram.org")
            })?),
        };
        let oneclick_api_key = get("ONECLICK_API_KEY").ok_or_else(|| {
            err("ONECLICK_API_KEY", "not set; create a key in the OneClickDZ dashboard (Settings → API Configuration)")
        })?;
        let oneclick_base_url = get("ONECLICK_BASE_URL").unwrap_or_else(|| "https://api.oneclickdz.com".to_owned());
        if url::Url::parse(&oneclick_base_url).is_err() {
            return Err(err("ONECLICK_BASE_URL", "not a valid URL; leave it unset for https://api.oneclickdz.com"));
        }
        let admin_ids = match get("ADMIN_IDS") {
            None => Vec::new(),
            Some(s) => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| p.parse::<i64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| err("ADMIN_IDS", "must be Telegram user ids separated by commas, e.g. 12345,67890"))?,
        };
        let admin_chat_id = match get("ADMIN_CHAT_ID") {
            None => None,
            Some(s) => Some(s.parse().map_err(|_| err("ADMIN_CHAT_ID", "must be a numeric chat id"))?),
        };
        let default_language = match get("DEFAULT_LANGUAGE") {
            None => Lang::En,
            Some(s) => Lang::from_code(&s).ok_or_else(|| err("DEFAULT_LANGUAGE", "must be one of en, fr, ar"))?,
        };
        let card_encryption_key = match get("CARD_ENCRYPTION_KEY") {
            None => None,
            Some(k) => {
                if k.len() != 64 || !k.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(err(
                        "CARD_ENCRYPTION_KEY",
                        "must be 64 hex characters (32 bytes); generate one with `openssl rand -hex 32`, or leave it unset to use a key file",
                    ));
                }
                Some(Secret::new(k))
            }
        };
        let throttle = match get("TELEGRAM_THROTTLE").as_deref() {
            None | Some("on") | Some("true") | Some("1") => true,
            Some("off") | Some("false") | Some("0") => false,
            Some(_) => return Err(err("TELEGRAM_THROTTLE", "must be on or off")),
        };
        Ok(Config {
            telegram_token: Secret::new(telegram_token),
            telegram_api_url,
            telegram_throttle: throttle,
            oneclick_api_key: Secret::new(oneclick_api_key),
            oneclick_base_url,
            oneclick_requests_per_minute: int(&get, "ONECLICK_REQUESTS_PER_MINUTE", 120, 1, 100_000)?,
            oneclick_timeout: secs(&get, "ONECLICK_TIMEOUT_SECS", 15.0)?,
            database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/netcard.db".to_owned()),
            admin_ids,
            admin_chat_id,
            default_language,
            card_encryption_key,
            support_contact: get("SUPPORT_CONTACT").unwrap_or_default(),
            order_poll: secs(&get, "ORDER_POLL_SECS", 5.0)?,
            order_fast_poll_window: secs(&get, "ORDER_FAST_POLL_WINDOW_SECS", 300.0)?,
            queued_recheck: secs(&get, "QUEUED_RECHECK_SECS", 1800.0)?,
            reconcile_grace: secs(&get, "RECONCILE_GRACE_SECS", 60.0)?,
            broadcast_per_sec: int(&get, "BROADCAST_PER_SEC", 25, 1, 1000)?,
            broadcast_progress_every: secs(&get, "BROADCAST_PROGRESS_SECS", 3.0)?,
            products_cache_ttl: secs(&get, "PRODUCTS_CACHE_SECS", 300.0)?,
            balance_cache_ttl: secs(&get, "BALANCE_CACHE_SECS", 60.0)?,
            health_check_every: secs(&get, "HEALTH_CHECK_SECS", 60.0)?,
        })
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.admin_ids.contains(&user_id)
    }
}

/// Intervals accept fractions (`0.05`) so tests can run the real timing logic quickly.
fn secs(get: &impl Fn(&str) -> Option<String>, var: &'static str, default: f64) -> Result<Duration, ConfigError> {
    let v = match get(var) {
        None => default,
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0 && *v < 1e7)
            .ok_or_else(|| err(var, "must be a positive number of seconds, e.g. 5 or 0.5"))?,
    };
    Ok(Duration::from_secs_f64(v))
}

fn int(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| err(var, format!("must be a whole number from {min} to {max}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    const BASE: [(&str, &str); 2] = [("TELOXIDE_TOKEN", "1:abc"), ("ONECLICK_API_KEY", "key-123")];

    #[test]
    fn defaults_match_the_readme() {
        let c = cfg(&BASE).unwrap();
        assert_eq!(c.oneclick_base_url, "https://api.oneclickdz.com");
        assert_eq!(c.database_url, "sqlite://data/netcard.db");
        assert_eq!(c.order_poll, Duration::from_secs(5));
        assert_eq!(c.order_fast_poll_window, Duration::from_secs(300));
        assert_eq!(c.queued_recheck, Duration::from_secs(1800));
        assert_eq!(c.broadcast_per_sec, 25);
        assert_eq!(c.default_language, Lang::En);
        assert!(c.telegram_throttle);
        assert!(c.admin_ids.is_empty());
    }

    #[test]
    fn missing_required_values_name_the_variable() {
        assert_eq!(cfg(&[("ONECLICK_API_KEY", "k")]).unwrap_err().var, "TELOXIDE_TOKEN");
        assert_eq!(cfg(&[("TELOXIDE_TOKEN", "1:a")]).unwrap_err().var, "ONECLICK_API_KEY");
        assert_eq!(cfg(&[("TELOXIDE_TOKEN", "  "), ("ONECLICK_API_KEY", "k")]).unwrap_err().var, "TELOXIDE_TOKEN");
    }

    #[test]
    fn invalid_values_are_refused_with_their_name() {
        let cases = [
            ("ADMIN_IDS", "12,abc"),
            ("ORDER_POLL_SECS", "-1"),
            ("ORDER_POLL_SECS", "soon"),
            ("BROADCAST_PER_SEC", "0"),
            ("DEFAULT_LANGUAGE", "de"),
            ("CARD_ENCRYPTION_KEY", "abcd"),
            ("TELEGRAM_THROTTLE", "maybe"),
            ("TELOXIDE_API_URL", "not a url"),
        ];
        for (var, value) in cases {
            let mut pairs = BASE.to_vec();
            pairs.push((var, value));
            assert_eq!(cfg(&pairs).unwrap_err().var, var, "{var}={value}");
        }
    }

    #[test]
    fn parses_lists_and_fractions() {
        let mut pairs = BASE.to_vec();
        pairs.extend([("ADMIN_IDS", " 12, 34 ,"), ("ORDER_POLL_SECS", "0.05"), ("TELEGRAM_THROTTLE", "off")]);
        let c = cfg(&pairs).unwrap();
        assert_eq!(c.admin_ids, vec![12, 34]);
        assert!(c.is_admin(34) && !c.is_admin(56));
        assert_eq!(c.order_poll, Duration::from_millis(50));
        assert!(!c.telegram_throttle);
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let mut pairs = BASE.to_vec();
        let key = "ab".repeat(32);
        pairs.push(("CARD_ENCRYPTION_KEY", &key));
        let c = cfg(&pairs).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("1:abc") && !dbg.contains("key-123") && !dbg.contains(&key), "{dbg}");
    }
}
