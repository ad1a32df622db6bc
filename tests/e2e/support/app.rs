//! The real bot, started with the same code as `main`, against both fakes and a SQLite file in a
//! temp dir. In-process for most tests; as a child process where a test kills it.
use super::{FakeOneClick, FakeTelegram, TgUser};
use netcard_bot::config::Config;
use netcard_bot::store::Store;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use testkit::BotProcess;
use tokio::sync::oneshot;

pub const ADMIN: i64 = 900;
pub const CARD_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub tg: FakeTelegram,
    pub oc: FakeOneClick,
    pub dir: Arc<tempfile::TempDir>,
    pub vars: BTreeMap<String, String>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), netcard_bot::app::StartError>>>,
}

impl TestApp {
    pub async fn start() -> TestApp {
        TestApp::start_with(&[]).await
    }

    /// Starts with short intervals; `overrides` replace or add variables.
    pub async fn start_with(overrides: &[(&str, &str)]) -> TestApp {
        let mut app = TestApp::prepare(overrides).await;
        app.launch().await;
        app
    }

    /// Fakes, temp dir and variables, without starting the bot (for tests that run the binary).
    pub async fn prepare(overrides: &[(&str, &str)]) -> TestApp {
        let tg = FakeTelegram::start().await;
        let oc = FakeOneClick::start().await;
        // As the real API: past the key's budget, 429. The bot's limiter must keep it from that.
        oc.set_budget_per_minute(Some(120));
        let dir = Arc::new(tempfile::tempdir().unwrap());
        let mut vars: BTreeMap<String, String> = [
            ("TELOXIDE_TOKEN", tg.token().to_owned()),
            ("TELOXIDE_API_URL", tg.api_url()),
            ("ONECLICK_API_KEY", oc.api_key().to_owned()),
            ("ONECLICK_BASE_URL", oc.base_url()),
            ("DATABASE_URL", format!("sqlite://{}", dir.path().join("netcard.db").display())),
            ("ADMIN_IDS", ADMIN.to_string()),
            ("CARD_ENCRYPTION_KEY", CARD_KEY.to_owned()),
            ("SUPPORT_CONTACT", "@shop_support".to_owned()),
            ("ORDER_POLL_SECS", "0.05".to_owned()),
            ("ORDER_FAST_POLL_WINDOW_SECS", "30".to_owned()),
            ("QUEUED_RECHECK_SECS", "0.3".to_owned()),
            // The shortest grace the bot accepts: four request timeouts.
            ("RECONCILE_GRACE_SECS", "2".to_owned()),
            ("ONECLICK_TIMEOUT_SECS", "0.5".to_owned()),
            // The real default budget, which the fake enforces too (see `prepare`).
            ("ONECLICK_REQUESTS_PER_MINUTE", "120".to_owned()),
            ("HEALTH_CHECK_SECS", "3600".to_owned()),
            ("BROADCAST_PROGRESS_SECS", "0.2".to_owned()),
            ("BALANCE_CACHE_SECS", "0.01".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (k, v) in overrides {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        TestApp { tg, oc, dir, vars, stop: None, task: None }
    }

    pub fn config(&self) -> Config {
        Config::from_lookup(|k| self.vars.get(k).cloned()).expect("test config is valid")
    }

    pub async fn launch(&mut self) {
        let (tx, rx) = oneshot::channel::<()>();
        let cfg = self.config();
        let before = self.tg.call_count("getupdates");
        let hooks = self.tg.call_count("setwebhook");
        self.task = Some(tokio::spawn(netcard_bot::app::run(cfg, async {
            let _ = rx.await;
        })));
        self.stop = Some(tx);
        // Ready once the bot polls for updates (or, in webhook mode, has set its webhook).
        self.tg
            .wait_for(WAIT, |tg| {
                (tg.call_count("getupdates") > before || tg.call_count("setwebhook") > hooks).then_some(())
            })
            .await;
    }

    /// Graceful stop, as on SIGTERM. Returns how long it took.
    pub async fn stop(&mut self) -> Duration {
        let t = std::time::Instant::now();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(15), task).await.expect("bot stops in time").unwrap().unwrap();
        }
        t.elapsed()
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.launch().await;
    }

    /// A second handle on the same database, as an operator would open it.
    pub async fn store(&self) -> Store {
        Store::open(&self.vars["DATABASE_URL"]).await.unwrap()
    }

    pub fn user(&self, id: i64, lang: &str) -> TgUser {
        self.tg.user(id, lang)
    }

    /// Registers a customer (via /start) and credits their wallet through the admin command.
    pub async fn customer_with(&self, id: i64, lang: &str, amount: i64) -> TgUser {
        let u = self.user(id, lang);
        self.tg.send_text(&u, "/start");
        self.tg.wait_message(id, WAIT, |_| true).await;
        if amount > 0 {
            let admin = self.user(ADMIN, "en");
            let done = super::flow::money_confirmed(&self.tg, &admin, &format!("/credit {id} {amount}")).await;
            assert!(done.contains("Credited"), "{done}");
        }
        u
    }
}

/// The bot binary of this package as a child process with exactly `vars` as its environment.
pub fn spawn_bot(vars: &BTreeMap<String, String>) -> BotProcess {
    BotProcess::spawn(env!("CARGO_BIN_EXE_netcard-bot"), vars)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
