//! The command line: run (the default), check, backup, health. Each subcommand prints one line per
//! step, so an operator (or a script) sees at once what failed.
use crate::config::{Config, ConfigError};
use crate::store::Store;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A Telegram shop bot selling Idoom ADSL and 4G recharge cards through the OneClickDZ API.
///
/// Configured from the environment and a `.env` file (see the README's configuration table).
#[derive(Debug, Parser)]
#[command(name = "netcard-bot", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Run the bot until SIGTERM or Ctrl-C (what `netcard-bot` alone does).
    Run,
    /// Check the configuration, the database and its migrations, the ledger, the Telegram token
    /// and the OneClickDZ key: one line each; exits non-zero if any fails.
    Check,
    /// Write a consistent copy of the database to FILE, also while the bot runs. The card
    /// encryption key is not in it: back it up separately.
    Backup {
        /// Where to write the copy; an existing file is never overwritten.
        file: PathBuf,
    },
    /// Ask the running bot's HTTP server (`HTTP_LISTEN`) for `/healthz`: exits 0 when it answers 200.
    /// For container health checks.
    Health,
}

/// What a step printed, and whether it passed.
struct Report {
    failed: bool,
}

impl Report {
    fn line(&mut self, what: &str, result: Result<String, String>) {
        match result {
            Ok(detail) => println!("{what}: ok ({detail})"),
            Err(problem) => {
                self.failed = true;
                println!("{what}: FAILED: {problem}");
            }
        }
    }
}

/// `netcard-bot check`: exit 0 when every line says ok, 2 for a configuration error, 1 otherwise.
pub async fn check(cfg: Result<Config, ConfigError>) -> u8 {
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => {
            println!("configuration: FAILED: {e}");
            return 2;
        }
    };
    let mut report = Report { failed: false };
    let mode = match &cfg.webhook_url {
        Some(u) => format!("webhook on {u}"),
        None => "long polling".to_owned(),
    };
    report.line("configuration", Ok(mode));
    let store = match open_existing(&cfg.database_url).await {
        Ok(Some(store)) => {
            report.line("database", Ok(format!("{}, migrations applied", cfg.database_url)));
            Some(store)
        }
        Ok(None) => {
            report.line("database", Ok(format!("{} does not exist yet; created at the first start", cfg.database_url)));
            None
        }
        Err(e) => {
            report.line("database", Err(e));
            None
        }
    };
    if let Some(store) = &store {
        let ledger = match store.ledger_mismatches().await {
            Ok(ids) if ids.is_empty() => Ok("every wallet equals its ledger".to_owned()),
            Ok(ids) => Err(format!("wallets that differ from their ledger: {ids:?}")),
            Err(e) => Err(e.to_string()),
        };
        report.line("ledger", ledger);
        store.close().await;
    }
    report.line("Telegram token", telegram_check(&cfg).await);
    report.line("OneClickDZ key", oneclick_check(&cfg).await);
    u8::from(report.failed)
}

/// The store, when its file exists: a check or a backup must not create an empty database
/// where the path is wrong.
async fn open_existing(database_url: &str) -> Result<Option<Store>, String> {
    let path = Store::database_path(database_url).ok_or("DATABASE_URL is not a valid sqlite:// URL")?;
    if !path.exists() {
        return Ok(None);
    }
    Store::open(database_url).await.map(Some).map_err(|e| e.to_string())
}

async fn telegram_check(cfg: &Config) -> Result<String, String> {
    use teloxide::prelude::Requester;
    let mut bot = teloxide::Bot::new(cfg.telegram_token.expose());
    if let Some(url) = &cfg.telegram_api_url {
        bot = bot.set_api_url(url.clone());
    }
    match tokio::time::timeout(Duration::from_secs(15), bot.get_me()).await {
        Ok(Ok(me)) => Ok(format!("@{}", me.username.clone().unwrap_or_default())),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("Telegram did not answer within 15 s".to_owned()),
    }
}

async fn oneclick_check(cfg: &Config) -> Result<String, String> {
    let mut client_cfg =
        crate::oneclick::ClientConfig::new(cfg.oneclick_base_url.clone(), cfg.oneclick_api_key.expose());
    client_cfg.request_timeout = cfg.oneclick_timeout;
    client_cfg.get_retries = 0;
    let client = crate::oneclick::OneClickClient::new(client_cfg).map_err(|e| e.to_string())?;
    let key = client.validate().await.map_err(|e| e.to_string())?;
    Ok(format!("{} key, scope {:?}", key.environment, key.scope))
}

/// `netcard-bot backup FILE`: 0 when the copy was written.
pub async fn backup(cfg: Result<Config, ConfigError>, file: &Path) -> u8 {
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return 2;
        }
    };
    let store = match open_existing(&cfg.database_url).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            eprintln!("no database at {}: nothing to back up", cfg.database_url);
            return 1;
        }
        Err(e) => {
            eprintln!("database: {e}");
            return 1;
        }
    };
    let result = store.backup_into(file).await;
    store.close().await;
    if let Err(e) = result {
        eprintln!("backup failed: {e}");
        return 1;
    }
    println!("database copied to {}", file.display());
    match cfg.card_key_file() {
        Some(key) => println!(
            "the card key is NOT in the copy: back up {} separately (card codes cannot be read without it)",
            key.display()
        ),
        None => println!(
            "the card key is NOT in the copy: it is CARD_ENCRYPTION_KEY in the environment; keep it safe separately"
        ),
    }
    0
}

/// `netcard-bot health`: 0 when `GET /healthz` on `HTTP_LISTEN` answers 200.
pub async fn health(http_listen: Option<String>) -> u8 {
    let Some(listen) = http_listen else {
        eprintln!("HTTP_LISTEN is not set: the bot runs no HTTP server");
        return 1;
    };
    let Ok(mut addr) = listen.trim().parse::<std::net::SocketAddr>() else {
        eprintln!("HTTP_LISTEN: not an address and port: {listen}");
        return 1;
    };
    // A server on every interface is reached on loopback.
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3)).build();
    let answer = match client {
        Ok(c) => c.get(format!("http://{addr}/healthz")).send().await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(r) if r.status().is_success() => 0,
        Ok(r) => {
            eprintln!("/healthz answered {}", r.status());
            1
        }
        Err(e) => {
            eprintln!("/healthz: {}", e.without_url());
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn help_lists_every_subcommand() {
        let help = Cli::command().render_long_help().to_string();
        for sub in ["run", "check", "backup", "health", "--version"] {
            assert!(help.contains(sub), "{sub} missing from:\n{help}");
        }
        Cli::command().debug_assert();
    }

    #[test]
    fn run_is_the_default_and_backup_needs_a_file() {
        assert_eq!(Cli::try_parse_from(["netcard-bot"]).unwrap().command, None);
        assert_eq!(Cli::try_parse_from(["netcard-bot", "check"]).unwrap().command, Some(Command::Check));
        let b = Cli::try_parse_from(["netcard-bot", "backup", "x.db"]).unwrap().command;
        assert_eq!(b, Some(Command::Backup { file: "x.db".into() }));
        assert!(Cli::try_parse_from(["netcard-bot", "backup"]).is_err());
        assert!(Cli::try_parse_from(["netcard-bot", "frobnicate"]).is_err());
    }

    #[tokio::test]
    async fn check_with_a_bad_configuration_fails() {
        let cfg = Config::from_lookup(|k| (k == "TELOXIDE_TOKEN").then(|| "1:a".to_owned()));
        assert_eq!(check(cfg).await, 2);
    }

    #[tokio::test]
    async fn backup_refuses_a_missing_database_and_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("shop.db").display());
        let cfg = || {
            Config::from_lookup(|k| match k {
                "TELOXIDE_TOKEN" => Some("1:a".into()),
                "ONECLICK_API_KEY" => Some("k".into()),
                "DATABASE_URL" => Some(url.clone()),
                _ => None,
            })
        };
        let dest = dir.path().join("copy.db");
        assert_eq!(backup(cfg(), &dest).await, 1, "no database yet");
        assert!(!dir.path().join("shop.db").exists(), "a backup does not create the database");
        Store::open(&url).await.unwrap().close().await;
        assert_eq!(backup(cfg(), &dest).await, 0);
        assert!(Store::open(&format!("sqlite://{}", dest.display())).await.is_ok());
        assert_eq!(backup(cfg(), &dest).await, 1, "never overwrites");
    }

    #[tokio::test]
    async fn health_fails_without_a_server() {
        assert_eq!(health(None).await, 1);
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        assert_eq!(health(Some(free.to_string())).await, 1, "nothing listens there any more");
    }
}
