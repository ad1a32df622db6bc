//! The bot under test as a child process (the real release binary, or this benchmark's own
//! binary in echo-bot mode), its environment and a seeded SQLite database on disk.
use crate::sys;
use netcard_bot::i18n::Lang;
use netcard_bot::store::{NewUser, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testkit::{FakeOneClick, FakeTelegram};

pub const ADMIN: i64 = 900;
/// Customers and broadcast recipients are users FIRST_USER, FIRST_USER + 1, ...
pub const FIRST_USER: i64 = 10_000_001;
pub const CARD_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
/// Each customer's wallet: enough for many 1,000 DA orders.
pub const WALLET: i64 = 200_000;

pub fn user_id(i: usize) -> i64 {
    FIRST_USER + i as i64
}

/// Creates the database once: `users` accounts (the first `credited` with a wallet) and the admin.
/// Every run starts from a copy, so runs do not see each other's orders.
pub async fn make_template(dir: &Path, users: usize, credited: usize) -> PathBuf {
    let path = dir.join("template.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url).await.expect("open template database");
    let admin = NewUser {
        id: ADMIN,
        first_name: "Admin".into(),
        last_name: None,
        username: Some("admin".into()),
        language: Lang::En,
        is_admin: true,
    };
    store.touch_user(&admin).await.expect("admin user");
    for i in 0..users {
        let id = user_id(i);
        let u = NewUser {
            id,
            first_name: format!("User{id}"),
            last_name: None,
            username: Some(format!("user{id}")),
            language: Lang::En,
            is_admin: false,
        };
        store.touch_user(&u).await.expect("seed user");
        if i < credited {
            store.credit(id, netcard_bot::domain::Dinars(WALLET), ADMIN, Some("bench")).await.expect("seed credit");
        }
    }
    store.close().await;
    path
}

/// A fresh copy of the template in its own folder; returns the DATABASE_URL.
pub fn copy_db(template: &Path, run_dir: &Path) -> String {
    std::fs::create_dir_all(run_dir).expect("run dir");
    let db = run_dir.join("netcard.db");
    std::fs::copy(template, &db).expect("copy template database");
    for ext in ["-wal", "-shm"] {
        let src = PathBuf::from(format!("{}{ext}", template.display()));
        if src.exists() {
            std::fs::copy(&src, format!("{}{ext}", db.display())).expect("copy wal");
        }
    }
    format!("sqlite://{}", db.display())
}

/// The production settings, with the fakes' addresses. Runs change what they measure.
pub fn base_env(tg: &FakeTelegram, oc: &FakeOneClick, db_url: &str) -> BTreeMap<String, String> {
    let log = std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "info".into());
    [
        ("TELOXIDE_TOKEN", tg.token().to_owned()),
        ("TELOXIDE_API_URL", tg.api_url()),
        ("ONECLICK_API_KEY", oc.api_key().to_owned()),
        ("ONECLICK_BASE_URL", oc.base_url()),
        ("DATABASE_URL", db_url.to_owned()),
        ("ADMIN_IDS", ADMIN.to_string()),
        ("CARD_ENCRYPTION_KEY", CARD_KEY.to_owned()),
        ("TELEGRAM_THROTTLE", "off".to_owned()),
        ("RUST_LOG", log),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .chain(extra_env())
    .collect()
}

/// BENCH_BOT_ENV="K=V K2=V2": extra variables for the bot, for experiments (e.g. MALLOC_ARENA_MAX=2).
fn extra_env() -> Vec<(String, String)> {
    std::env::var("BENCH_BOT_ENV")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

pub fn set(env: &mut BTreeMap<String, String>, pairs: &[(&str, &str)]) {
    for (k, v) in pairs {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
}

/// A running bot process. Dropping it kills the process.
pub struct BotProc {
    child: Child,
    pub pid: String,
    pub spawned: Instant,
    pub log: PathBuf,
    tck: f64,
}

impl BotProc {
    /// Starts `program args` with exactly `env` (nothing inherited: no `.env`, no stray
    /// variables), in `dir`, on `core` when pinning.
    pub fn spawn(
        program: &Path,
        args: &[&str],
        env: &BTreeMap<String, String>,
        dir: &Path,
        core: Option<usize>,
    ) -> BotProc {
        std::fs::create_dir_all(dir).expect("bot dir");
        let log = dir.join("bot.log");
        let out = std::fs::File::create(&log).expect("bot log");
        let err = out.try_clone().expect("bot log");
        let mut cmd = match core {
            // taskset execs the program: the pid is the bot's.
            Some(c) => {
                let mut cmd = Command::new("taskset");
                cmd.arg("-c").arg(c.to_string()).arg(program);
                cmd
            }
            None => Command::new(program),
        };
        cmd.args(args).env_clear().envs(env).current_dir(dir).stdin(Stdio::null()).stdout(out).stderr(err);
        let spawned = Instant::now();
        let child = cmd.spawn().expect("spawn the bot");
        BotProc { pid: child.id().to_string(), child, spawned, log, tck: sys::clk_tck() }
    }

    pub fn cpu(&self) -> Duration {
        sys::cpu_time(&self.pid, self.tck)
    }

    /// CPU time per thread name (tokio-rt-worker, sqlx-sqlite-worker, ...), summed.
    pub fn cpu_by_thread(&self) -> BTreeMap<String, Duration> {
        let mut out: BTreeMap<String, Duration> = BTreeMap::new();
        let Ok(dir) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else {
            return out;
        };
        for t in dir.flatten() {
            let tid = t.file_name().to_string_lossy().into_owned();
            let path = format!("{}/task/{tid}", self.pid);
            let comm = std::fs::read_to_string(format!("/proc/{path}/comm")).unwrap_or_default().trim().to_owned();
            *out.entry(comm).or_default() += sys::cpu_time(&path, self.tck);
        }
        out
    }

    pub fn rss_kb(&self) -> u64 {
        sys::status_kb(&self.pid, "VmRSS")
    }

    pub fn hwm_kb(&self) -> u64 {
        sys::status_kb(&self.pid, "VmHWM")
    }

    pub fn threads(&self) -> u64 {
        sys::status_kb(&self.pid, "Threads")
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then waits (bounded) for a graceful stop; returns how long it took, or None if
    /// it had to be killed.
    pub async fn stop(mut self) -> Option<Duration> {
        let t = Instant::now();
        let _ = Command::new("kill").args(["-TERM", &self.pid]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        let deadline = t + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Some(t.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let v: Vec<&str> = s.lines().collect();
        v[v.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for BotProc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for the first getUpdates after `since`; returns the time from spawn to it.
pub async fn wait_ready(tg: &FakeTelegram, bot: &mut BotProc, before: usize) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tg.call_count("getUpdates") <= before {
        if !bot.alive() {
            panic!("the bot exited during start-up:\n{}", bot.log_tail(30));
        }
        if Instant::now() > deadline {
            panic!("the bot did not poll within 30 s:\n{}", bot.log_tail(30));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let first = tg.calls_to("getUpdates").into_iter().nth(before).map(|c| c.at).unwrap_or_else(Instant::now);
    first.saturating_duration_since(bot.spawned)
}
