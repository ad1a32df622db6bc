//! SQLite storage. Every public function is one transaction named for what it does; money and order
//! status change together or not at all.
pub mod audit;
pub mod broadcasts;
pub mod dialogues;
pub mod ledger;
pub mod orders;
pub mod panel;
pub mod prices;
pub mod settings;
pub mod stats;
pub mod users;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub use broadcasts::{Audience, BroadcastJob, BroadcastProgress, RecipientStatus};
pub use ledger::{Balances, LedgerEntry, LedgerKind};
pub use orders::{NewOrder, Order, PlaceOutcome, StatusUpdate};
pub use stats::Stats;
pub use users::{Member, NewUser, User};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not create the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("not enough balance: {available} available")]
    InsufficientFunds { available: i64 },
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("illegal order transition {from} -> {to}")]
    IllegalTransition { from: &'static str, to: &'static str },
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// The one connection that writes. SQLite takes one writer at a time anyway; queueing writers
    /// here wakes each as soon as the previous commits, where SQLite's busy handler would make
    /// them sleep and retry (up to tens of milliseconds each when several orders settle at once).
    writer: SqlitePool,
    members: std::sync::Arc<users::MemberCache>,
    prices: std::sync::Arc<prices::PriceCache>,
}

/// Milliseconds since the Unix epoch: our one clock for rows and schedules.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Opens (creating file and folder if needed) and migrates the database.
    pub async fn open(database_url: &str) -> Result<Store, StoreError> {
        let opts = SqliteConnectOptions::from_str(database_url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(dir) = opts.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Folder(dir.display().to_string(), e))?;
        }
        // No ping before each acquire (sqlx's default): a SQLite connection is a file handle in this
        // process, and the ping is one more round trip to the connection's thread per statement.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!().run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        Ok(Store { pool, writer, members: Default::default(), prices: Default::default() })
    }

    /// The folder holding the database file, where the card key file lives by default.
    pub fn database_path(database_url: &str) -> Option<std::path::PathBuf> {
        SqliteConnectOptions::from_str(database_url).ok().map(|o| o.get_filename().to_path_buf())
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A write transaction that takes the write lock up front, so two writers never deadlock on
    /// a lock upgrade and the busy timeout applies.
    async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A migrated store on a real file in a temp dir (kept alive by the returned guard).
    pub async fn temp_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        (Store::open(&url).await.unwrap(), dir)
    }

    /// A customer account with `money` credited by admin 1 (nothing when zero).
    pub async fn customer(s: &Store, id: i64, money: i64) {
        let u = NewUser {
            id,
            first_name: "U".into(),
            last_name: None,
            username: None,
            language: crate::i18n::Lang::En,
            is_admin: false,
        };
        s.touch_user(&u).await.unwrap();
        if money > 0 {
            s.credit(id, money, 1, None).await.unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_apply_to_an_empty_file_and_twice() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("nested/dir/db.sqlite").display());
        let s = Store::open(&url).await.unwrap();
        s.close().await;
        let s = Store::open(&url).await.unwrap();
        let tables: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            .fetch_all(s.pool())
            .await
            .unwrap();
        let names: Vec<_> = tables.into_iter().map(|t| t.0).collect();
        for t in ["users", "ledger", "orders", "prices", "dialogues", "broadcasts", "broadcast_recipients", "settings"]
        {
            assert!(names.iter().any(|n| n == t), "missing table {t}: {names:?}");
        }
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(s.pool()).await.unwrap();
        assert_eq!(mode.to_lowercase(), "wal");
        let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys").fetch_one(s.pool()).await.unwrap();
        assert_eq!(fk, 1);
    }
}
