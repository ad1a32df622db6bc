//! Configuration, read once from the environment (and `.env`, which the environment overrides).
use crate::i18n::Lang;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::time::Duration;

/// The log filter when `RUST_LOG` is unset.
pub const DEFAULT_LOG_FILTER: &str = "info";

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
    /// Follow several open orders with `/v3/internet/list` (off: one check per order).
    pub oneclick_list: bool,
    /// Orders sent longer ago than this are followed by their own checks, not the list.
    pub oneclick_list_window: Duration,
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
    /// An order failed as never sent is looked up once more after each of these (from its failure).
    pub not_sent_rechecks: [Duration; 2],
    /// Admins are told once when an order has been HANDLING, or QUEUED, this long.
    pub handling_alert_after: Duration,
    pub queued_alert_after: Duration,
    pub broadcast_per_sec: u32,
    pub broadcast_progress_every: Duration,
    pub products_cache_ttl: Duration,
    pub balance_cache_ttl: Duration,
    pub health_check_every: Duration,
    /// How often the wallets are checked against the ledger (also once at start).
    pub ledger_check_every: Duration,
    /// Set: updates come by webhook to this URL instead of long polling.
    pub webhook_url: Option<url::Url>,
    /// The one HTTP server (webhook, health, metrics); required with `webhook_url`.
    pub http_listen: Option<SocketAddr>,
    /// Sent by Telegram with every webhook request; derived from the token when not configured.
    pub webhook_secret: Secret,
    pub log_format: LogFormat,
    /// Where the bot's HTTP server is reachable from outside (for links to the admin panel).
    pub public_url: Option<url::Url>,
    /// How old a panel `initData` may be and how long a panel browser session lasts.
    pub panel_session_secs: u32,
    /// Wallet top-ups (`TOPUP_*`, `OCPAY_FEE_MODE`); off unless `TOPUP_METHODS` names a method.
    pub topup: crate::topup_config::TopupConfig,
    /// How long after a delivery its renewal reminder is due (`RENEWAL_REMINDER_DAYS`); `None`: off.
    pub renewal_reminder: Option<Duration>,
    /// The hours of the day (Algiers time) reminders may go out.
    pub reminder_hours: ReminderHours,
}

/// Hours of the day in Algiers time, `start` included, `end` excluded (`0-24`: all day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderHours {
    pub start: u32,
    pub end: u32,
}

impl ReminderHours {
    fn parse(s: &str) -> Option<ReminderHours> {
        let (a, b) = s.split_once('-')?;
        let (start, end) = (a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?);
        (start < end && end <= 24).then_some(ReminderHours { start, end })
    }
}

impl std::fmt::Display for ReminderHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
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
        let oneclick_list = match get("ONECLICK_LIST").as_deref() {
            None | Some("on") | Some("true") | Some("1") => true,
            Some("off") | Some("false") | Some("0") => false,
            Some(_) => return Err(err("ONECLICK_LIST", "must be on or off")),
        };
        let webhook_url = web_url(&get, "WEBHOOK_URL")?;
        let http_listen = match get("HTTP_LISTEN") {
            None => None,
            Some(a) => Some(a.parse::<SocketAddr>().map_err(|_| {
                err("HTTP_LISTEN", "must be an address and port, e.g. 127.0.0.1:8080 (or 0.0.0.0:8080 in a container)")
            })?),
        };
        if webhook_url.is_some() && http_listen.is_none() {
            return Err(err(
                "HTTP_LISTEN",
                "required with WEBHOOK_URL: the address the webhook is served on, e.g. 127.0.0.1:8080",
            ));
        }
        let webhook_secret = match get("WEBHOOK_SECRET") {
            None => derive_webhook_secret(&telegram_token),
            Some(s) if is_valid_webhook_secret(&s) => s,
            Some(_) => {
                return Err(err(
                    "WEBHOOK_SECRET",
                    "must be 1 to 256 of A-Z a-z 0-9 _ -; leave it unset to derive one from the bot token",
                ));
            }
        };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(err("LOG_FORMAT", "must be text or json")),
        };
        let public_url = web_url(&get, "PUBLIC_URL")?;
        let oneclick_timeout = secs(&get, "ONECLICK_TIMEOUT_SECS", 15.0)?;
        let reconcile_grace = secs(&get, "RECONCILE_GRACE_SECS", 60.0)?;
        // A shorter grace could refund an order OneClickDZ is still processing (a send waits for
        // its budget slot, then up to its timeout, before the attempt ends).
        if reconcile_grace < oneclick_timeout * 4 {
            return Err(err(
                "RECONCILE_GRACE_SECS",
                format!(
                    "must be at least 4 × ONECLICK_TIMEOUT_SECS ({} s), so that no order is refunded while OneClickDZ may still process it",
                    (oneclick_timeout * 4).as_secs_f64()
                ),
            ));
        }
        let not_sent_rechecks =
            [secs(&get, "NOT_SENT_RECHECK_1_SECS", 3600.0)?, secs(&get, "NOT_SENT_RECHECK_2_SECS", 86400.0)?];
        if not_sent_rechecks[1] <= not_sent_rechecks[0] {
            return Err(err("NOT_SENT_RECHECK_2_SECS", "must be longer than NOT_SENT_RECHECK_1_SECS"));
        }
        let topup = crate::topup_config::TopupConfig::from_lookup(get)?;
        // Shorter, a createLink still waiting for its answer would be closed under it.
        if topup.link_answer_deadline.is_some_and(|d| d < oneclick_timeout) {
            return Err(err(
                "TOPUP_LINK_ANSWER_DEADLINE",
                format!("must be at least ONECLICK_TIMEOUT_SECS ({} s)", oneclick_timeout.as_secs_f64()),
            ));
        }
        // Days, fractions accepted (tests use a few seconds' worth); 0 switches reminders off.
        let renewal_reminder = match get("RENEWAL_REMINDER_DAYS") {
            None => Some(Duration::from_secs(30 * 86_400)),
            Some(s) => {
                let days =
                    s.parse::<f64>().ok().filter(|d| d.is_finite() && *d >= 0.0 && *d <= 3650.0).ok_or_else(|| {
                        err("RENEWAL_REMINDER_DAYS", "must be a number of days from 0 (off) to 3650, e.g. 30")
                    })?;
                (days > 0.0).then(|| Duration::from_secs_f64(days * 86_400.0))
            }
        };
        let reminder_hours = match get("REMINDER_HOURS") {
            None => ReminderHours { start: 9, end: 21 },
            Some(s) => ReminderHours::parse(&s).ok_or_else(|| {
                err(
                    "REMINDER_HOURS",
                    "must be two hours of the day in Algiers time, START-END, e.g. 9-21 (0-24: all day)",
                )
            })?,
        };
        Ok(Config {
            topup,
            renewal_reminder,
            reminder_hours,
            not_sent_rechecks,
            handling_alert_after: secs(&get, "HANDLING_ALERT_SECS", 3600.0)?,
            queued_alert_after: secs(&get, "QUEUED_ALERT_SECS", 172_800.0)?,
            webhook_url,
            http_listen,
            webhook_secret: Secret::new(webhook_secret),
            log_format,
            public_url,
            panel_session_secs: int(&get, "PANEL_SESSION_SECS", 3600, 60, 30 * 86_400)?,
            telegram_token: Secret::new(telegram_token),
            telegram_api_url,
            telegram_throttle: throttle,
            oneclick_api_key: Secret::new(oneclick_api_key),
            oneclick_base_url,
            oneclick_requests_per_minute: int(&get, "ONECLICK_REQUESTS_PER_MINUTE", 120, 1, 100_000)?,
            oneclick_timeout,
            oneclick_list,
            oneclick_list_window: secs(&get, "ONECLICK_LIST_WINDOW_SECS", 300.0)?,
            database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/netcard.db".to_owned()),
            admin_ids,
            admin_chat_id,
            default_language,
            card_encryption_key,
            support_contact: get("SUPPORT_CONTACT").unwrap_or_default(),
            order_poll: secs(&get, "ORDER_POLL_SECS", 5.0)?,
            order_fast_poll_window: secs(&get, "ORDER_FAST_POLL_WINDOW_SECS", 300.0)?,
            queued_recheck: secs(&get, "QUEUED_RECHECK_SECS", 1800.0)?,
            reconcile_grace,
            broadcast_per_sec: int(&get, "BROADCAST_PER_SEC", 25, 1, 1000)?,
            broadcast_progress_every: secs(&get, "BROADCAST_PROGRESS_SECS", 3.0)?,
            products_cache_ttl: secs(&get, "PRODUCTS_CACHE_SECS", 300.0)?,
            balance_cache_ttl: secs(&get, "BALANCE_CACHE_SECS", 60.0)?,
            health_check_every: secs(&get, "HEALTH_CHECK_SECS", 60.0)?,
            ledger_check_every: secs(&get, "LEDGER_CHECK_SECS", 86400.0)?,
        })
    }

    /// The card key file beside the database, used when `CARD_ENCRYPTION_KEY` is unset.
    pub fn card_key_file(&self) -> Option<std::path::PathBuf> {
        if self.card_encryption_key.is_some() {
            return None;
        }
        let db = crate::store::Store::database_path(&self.database_url)?;
        Some(db.parent().map(|d| d.join("card.key")).unwrap_or_else(|| "card.key".into()))
    }

    pub fn is_admin(&self, user_id: i64) -> bool {
        self.admin_ids.contains(&user_id)
    }

    /// When a createLink with no answer recorded counts as lost: `TOPUP_LINK_ANSWER_DEADLINE`, else
    /// well past the request timeout, so a slow answer is never overtaken by the worker.
    pub fn topup_link_answer_deadline(&self) -> Duration {
        self.topup.link_answer_deadline.unwrap_or(self.oneclick_timeout * 3 + Duration::from_secs(30))
    }
}

/// An http(s) URL with a host: https for Telegram's servers, plain http for a local Bot API server.
fn web_url(get: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<Option<url::Url>, ConfigError> {
    let Some(s) = get(var) else { return Ok(None) };
    match url::Url::parse(&s) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => Ok(Some(u)),
        _ => Err(err(
            var,
            "must be an https:// URL (http:// only for a local Bot API server), e.g. https://bot.example.com/telegram",
        )),
    }
}

/// What Telegram accepts as `secret_token`.
pub fn is_valid_webhook_secret(s: &str) -> bool {
    (1..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A secret that stays the same across restarts without being configured, and from which the
/// token cannot be recovered: the hex SHA-256 of a fixed label and the token.
pub fn derive_webhook_secret(token: &str) -> String {
    let digest = Sha256::new().chain_update(b"netcard-bot webhook secret\0").chain_update(token.as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
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

    /// The rows of README.md's configuration table: (variable, required column, default column).
    fn readme_rows() -> Vec<(String, String, String)> {
        let readme = include_str!("../README.md");
        let section = readme.split("\n## Configuration\n").nth(1).expect("README has a Configuration section");
        let section = section.split("\n## ").next().unwrap_or(section);
        let rows: Vec<_> = section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                assert!(cells.len() >= 4, "a configuration row has 4 cells: {l}");
                (cells[0].trim_matches('`').to_owned(), cells[1].to_owned(), cells[2].to_owned())
            })
            .collect();
        assert!(rows.len() > 20, "the table was not found: {rows:?}");
        rows
    }

    /// Every variable `from_lookup` reads, in the order it reads them.
    fn variables_read() -> Vec<String> {
        let m: HashMap<&str, &str> = BASE.into_iter().collect();
        let seen = std::sync::Mutex::new(Vec::new());
        Config::from_lookup(|k| {
            seen.lock().unwrap().push(k.to_owned());
            m.get(k).map(|v| v.to_string())
        })
        .unwrap();
        seen.into_inner().unwrap()
    }

    /// What the README's default column says for `var`, worked out from the configuration's actual
    /// default value (`None` when the configuration has no such variable).
    fn documented_default(c: &Config, var: &str) -> Option<String> {
        let secs = |d: Duration| d.as_secs_f64().to_string();
        let unset = |is_none: bool, text: &str| if is_none { text.to_owned() } else { "a value".to_owned() };
        Some(match var {
            "TELOXIDE_TOKEN" | "ONECLICK_API_KEY" => String::new(),
            // teloxide's own default Bot API server, which an unset variable leaves in place.
            "TELOXIDE_API_URL" => match &c.telegram_api_url {
                None => teloxide::Bot::new("1:a").api_url().as_str().trim_end_matches('/').to_owned(),
                Some(u) => u.to_string(),
            },
            "ONECLICK_BASE_URL" => c.oneclick_base_url.clone(),
            "ONECLICK_REQUESTS_PER_MINUTE" => c.oneclick_requests_per_minute.to_string(),
            "ONECLICK_TIMEOUT_SECS" => secs(c.oneclick_timeout),
            "ONECLICK_LIST" => (if c.oneclick_list { "on" } else { "off" }).to_owned(),
            "ONECLICK_LIST_WINDOW_SECS" => secs(c.oneclick_list_window),
            "DATABASE_URL" => c.database_url.clone(),
            "ADMIN_IDS" => unset(c.admin_ids.is_empty(), "none (warning at start)"),
            "ADMIN_CHAT_ID" => unset(c.admin_chat_id.is_none(), "each admin"),
            "SUPPORT_CONTACT" => unset(c.support_contact.is_empty(), "none"),
            "DEFAULT_LANGUAGE" => c.default_language.code().to_owned(),
            "CARD_ENCRYPTION_KEY" => unset(
                c.card_encryption_key.is_none(),
                "key file `card.key` beside the database (0600), with a warning to back it up",
            ),
            "ORDER_POLL_SECS" => secs(c.order_poll),
            "ORDER_FAST_POLL_WINDOW_SECS" => secs(c.order_fast_poll_window),
            "QUEUED_RECHECK_SECS" => secs(c.queued_recheck),
            "RECONCILE_GRACE_SECS" => secs(c.reconcile_grace),
            "NOT_SENT_RECHECK_1_SECS" => secs(c.not_sent_rechecks[0]),
            "NOT_SENT_RECHECK_2_SECS" => secs(c.not_sent_rechecks[1]),
            "HANDLING_ALERT_SECS" => secs(c.handling_alert_after),
            "QUEUED_ALERT_SECS" => secs(c.queued_alert_after),
            "BROADCAST_PER_SEC" => c.broadcast_per_sec.to_string(),
            "BROADCAST_PROGRESS_SECS" => secs(c.broadcast_progress_every),
            "PRODUCTS_CACHE_SECS" => secs(c.products_cache_ttl),
            "BALANCE_CACHE_SECS" => secs(c.balance_cache_ttl),
            "HEALTH_CHECK_SECS" => secs(c.health_check_every),
            "LEDGER_CHECK_SECS" => secs(c.ledger_check_every),
            "TELEGRAM_THROTTLE" => (if c.telegram_throttle { "on" } else { "off" }).to_owned(),
            "WEBHOOK_URL" => unset(c.webhook_url.is_none(), "none (long polling)"),
            "HTTP_LISTEN" => unset(c.http_listen.is_none(), "none (no HTTP server in polling mode)"),
            "WEBHOOK_SECRET" => {
                let derived = c.webhook_secret.expose() == derive_webhook_secret(c.telegram_token.expose());
                (if derived { "derived from the bot token" } else { "a value" }).to_owned()
            }
            "LOG_FORMAT" => (if c.log_format == LogFormat::Text { "text" } else { "json" }).to_owned(),
            "PUBLIC_URL" => unset(c.public_url.is_none(), "none"),
            "PANEL_SESSION_SECS" => c.panel_session_secs.to_string(),
            "TOPUP_METHODS" => unset(c.topup.methods.is_empty(), "none (no top-ups)"),
            "TOPUP_MIN" => c.topup.limits.min.get().to_string(),
            "TOPUP_MAX" => c.topup.limits.max.get().to_string(),
            "TOPUP_TRANSFER_INSTRUCTIONS" => unset(c.topup.transfer_instructions.is_none(), "none"),
            "OCPAY_FEE_MODE" => c.topup.fee_mode.as_str().to_owned(),
            "TOPUP_CHECK_FAST" => secs(c.topup.schedule.fast_interval),
            "TOPUP_CHECK_FAST_WINDOW" => secs(c.topup.schedule.fast_window),
            "TOPUP_CHECK_SLOW" => secs(c.topup.schedule.slow_interval),
            "TOPUP_CHECK_GIVE_UP" => secs(c.topup.schedule.give_up_after),
            "TOPUP_LINK_ANSWER_DEADLINE" => match c.topup.link_answer_deadline {
                None => "3 × ONECLICK_TIMEOUT_SECS + 30".to_owned(),
                Some(d) => secs(d),
            },
            "RENEWAL_REMINDER_DAYS" => c.renewal_reminder.map_or(0.0, |d| d.as_secs_f64() / 86_400.0).to_string(),
            "REMINDER_HOURS" => c.reminder_hours.to_string(),
            // Read by the log subscriber in main, not by `Config`.
            "RUST_LOG" => DEFAULT_LOG_FILTER.to_owned(),
            _ => return None,
        })
    }

    #[test]
    fn defaults_match_the_readme() {
        let c = cfg(&BASE).unwrap();
        let rows = readme_rows();
        let mut problems = Vec::new();
        for (var, required, default) in &rows {
            match documented_default(&c, var) {
                None => problems.push(format!("{var}: in the README, unknown to the configuration")),
                Some(actual) if &actual != default => {
                    problems.push(format!("{var}: README says {default:?}, the configuration's default is {actual:?}"))
                }
                Some(_) => {}
            }
            // A required variable is one whose absence stops the bot naming it.
            let without: Vec<_> = BASE.iter().copied().filter(|(k, _)| k != var).collect();
            let refused = cfg(&without).err().is_some_and(|e| e.var == var);
            if refused != (required == "yes") {
                problems.push(format!("{var}: README says required {required:?}, absent it is refused: {refused}"));
            }
        }
        let documented: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        for var in variables_read() {
            if !documented.contains(&var.as_str()) {
                problems.push(format!("{var}: read by the configuration, missing from the README's table"));
            }
        }
        assert!(
            problems.is_empty(),
            "README.md's configuration table and config.rs disagree:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn the_link_answer_deadline_follows_the_request_timeout_unless_set() {
        let c = cfg(&BASE).unwrap();
        assert_eq!(c.topup_link_answer_deadline(), Duration::from_secs(75));
        let mut pairs = BASE.to_vec();
        pairs.push(("ONECLICK_TIMEOUT_SECS", "1.5"));
        pairs.push(("RECONCILE_GRACE_SECS", "6"));
        assert_eq!(cfg(&pairs).unwrap().topup_link_answer_deadline(), Duration::from_millis(34_500));
        pairs.push(("TOPUP_LINK_ANSWER_DEADLINE", "2"));
        assert_eq!(cfg(&pairs).unwrap().topup_link_answer_deadline(), Duration::from_secs(2));
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
            ("ONECLICK_LIST", "sometimes"),
            ("ONECLICK_LIST_WINDOW_SECS", "0"),
            ("TELOXIDE_API_URL", "not a url"),
            ("WEBHOOK_URL", "ftp://bot.example.com/tg"),
            ("WEBHOOK_URL", "bot.example.com/tg"),
            ("HTTP_LISTEN", "8080"),
            ("HTTP_LISTEN", "localhost"),
            ("WEBHOOK_SECRET", "has space"),
            ("WEBHOOK_SECRET", "semi;colon"),
            ("LOG_FORMAT", "xml"),
            ("PUBLIC_URL", "admin.example.com"),
            ("TOPUP_LINK_ANSWER_DEADLINE", "soon"),
            // Below the request timeout (15 s by default): it would close links still being made.
            ("TOPUP_LINK_ANSWER_DEADLINE", "10"),
            ("RENEWAL_REMINDER_DAYS", "-1"),
            ("RENEWAL_REMINDER_DAYS", "monthly"),
            ("REMINDER_HOURS", "21-9"),
            ("REMINDER_HOURS", "9-25"),
            ("REMINDER_HOURS", "9"),
        ];
        for (var, value) in cases {
            let mut pairs = BASE.to_vec();
            pairs.push((var, value));
            assert_eq!(cfg(&pairs).unwrap_err().var, var, "{var}={value}");
        }
    }

    #[test]
    fn renewal_reminders_take_days_with_fractions_and_zero_switches_them_off() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut all = BASE.to_vec();
            all.extend_from_slice(pairs);
            cfg(&all).unwrap()
        };
        let c = with(&[]);
        assert_eq!(c.renewal_reminder, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(c.reminder_hours, ReminderHours { start: 9, end: 21 });
        assert_eq!(with(&[("RENEWAL_REMINDER_DAYS", "0")]).renewal_reminder, None);
        let secs = with(&[("RENEWAL_REMINDER_DAYS", "0.0000231481")]).renewal_reminder.unwrap();
        assert!((secs.as_secs_f64() - 2.0).abs() < 0.01, "{secs:?}");
        assert_eq!(with(&[("REMINDER_HOURS", "0-24")]).reminder_hours, ReminderHours { start: 0, end: 24 });
    }

    #[test]
    fn a_grace_shorter_than_four_request_timeouts_is_refused() {
        let with = |grace: &str, timeout: &str| {
            let mut pairs = BASE.to_vec();
            pairs.extend([("RECONCILE_GRACE_SECS", grace), ("ONECLICK_TIMEOUT_SECS", timeout)]);
            cfg(&pairs)
        };
        let e = with("59", "15").unwrap_err();
        assert_eq!(e.var, "RECONCILE_GRACE_SECS");
        assert!(e.to_string().contains("ONECLICK_TIMEOUT_SECS") && !e.to_string().contains('\n'), "{e}");
        assert!(with("60", "15").is_ok(), "the defaults pass: exactly four timeouts");
        assert_eq!(with("0.3", "1").unwrap_err().var, "RECONCILE_GRACE_SECS");
        assert!(with("2", "0.5").is_ok());
        let mut pairs = BASE.to_vec();
        pairs.extend([("NOT_SENT_RECHECK_1_SECS", "10"), ("NOT_SENT_RECHECK_2_SECS", "5")]);
        assert_eq!(cfg(&pairs).unwrap_err().var, "NOT_SENT_RECHECK_2_SECS");
    }

    #[test]
    fn webhook_mode_needs_an_address_to_listen_on() {
        let mut pairs = BASE.to_vec();
        pairs.push(("WEBHOOK_URL", "https://bot.example.com/telegram"));
        let e = cfg(&pairs).unwrap_err();
        assert_eq!(e.var, "HTTP_LISTEN");
        assert!(e.to_string().contains("WEBHOOK_URL"), "{e}");
        pairs.push(("HTTP_LISTEN", "127.0.0.1:8080"));
        let c = cfg(&pairs).unwrap();
        assert_eq!(c.webhook_url.unwrap().path(), "/telegram");
        assert_eq!(c.http_listen, Some("127.0.0.1:8080".parse().unwrap()));
        // A local Bot API server may call plain http; IPv6 listen addresses are accepted.
        let mut pairs = BASE.to_vec();
        pairs.extend([("WEBHOOK_URL", "http://127.0.0.1:9000/tg"), ("HTTP_LISTEN", "[::1]:8080")]);
        assert!(cfg(&pairs).is_ok());
    }

    #[test]
    fn the_http_server_is_optional_in_polling_mode() {
        let c = cfg(&BASE).unwrap();
        assert_eq!((c.webhook_url, c.http_listen, c.public_url), (None, None, None));
        let mut pairs = BASE.to_vec();
        pairs.extend([("HTTP_LISTEN", "0.0.0.0:9090"), ("PUBLIC_URL", "https://shop.example.com/")]);
        let c = cfg(&pairs).unwrap();
        assert_eq!(c.http_listen, Some("0.0.0.0:9090".parse().unwrap()));
        assert_eq!(c.public_url.unwrap().host_str(), Some("shop.example.com"));
    }

    #[test]
    fn webhook_secret_is_taken_as_given_or_derived_from_the_token() {
        let mut pairs = BASE.to_vec();
        let longest = "a-_Z9".repeat(51) + "x";
        pairs.push(("WEBHOOK_SECRET", &longest));
        assert_eq!(cfg(&pairs).unwrap().webhook_secret.expose(), longest);
        let too_long = longest.clone() + "y";
        let mut pairs = BASE.to_vec();
        pairs.push(("WEBHOOK_SECRET", &too_long));
        assert_eq!(cfg(&pairs).unwrap_err().var, "WEBHOOK_SECRET");

        let derived = cfg(&BASE).unwrap().webhook_secret;
        assert_eq!(derived, cfg(&BASE).unwrap().webhook_secret, "the same on every start");
        assert!(is_valid_webhook_secret(derived.expose()), "{derived:?}");
        assert_ne!(derived.expose(), "1:abc");
        let other = cfg(&[("TELOXIDE_TOKEN", "2:abc"), ("ONECLICK_API_KEY", "k")]).unwrap().webhook_secret;
        assert_ne!(derived, other, "another bot gets another secret");
    }

    #[test]
    fn derived_secret_is_a_fixed_hash_of_the_token() {
        let s = derive_webhook_secret("123456:ABC-DEF");
        assert_eq!(s.len(), 64);
        assert!(is_valid_webhook_secret(&s));
        assert!(!s.contains("123456") && !s.contains("ABC"));
        // Pinned: a change would make Telegram's in-flight deliveries fail across an upgrade.
        assert_eq!(s, "377eeca56f0e25d85ab5ab19390333d147a56d87d0a715640b931762d4371a9b");
    }

    #[test]
    fn log_format_is_text_unless_json() {
        assert_eq!(cfg(&BASE).unwrap().log_format, LogFormat::Text);
        let mut pairs = BASE.to_vec();
        pairs.push(("LOG_FORMAT", "json"));
        assert_eq!(cfg(&pairs).unwrap().log_format, LogFormat::Json);
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
        let derived = derive_webhook_secret("1:abc");
        assert!(!dbg.contains("1:abc") && !dbg.contains("key-123") && !dbg.contains(&key), "{dbg}");
        assert!(!dbg.contains(&derived), "{dbg}");
    }
}
