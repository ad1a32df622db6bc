//! SQLite storage. Every public function is one transaction named for what it does; money and order
//! status change together or not at all.
pub mod admin_actions;
pub mod audit;
pub mod backup;
pub mod broadcasts;
pub mod dialogues;
pub mod ledger;
pub mod lookup;
pub mod orders;
pub mod panel;
pub mod prices;
pub mod reminders;
pub mod settings;
pub mod stats;
pub mod topups;
pub mod users;

use crate::domain::Dinars;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

pub use broadcasts::{Audience, BroadcastJob, BroadcastProgress, BroadcastStatus, RecipientStatus};
pub use ledger::{Balances, LedgerEntry, LedgerKind};
pub use orders::{NewOrder, Order, PlaceOutcome, StatusUpdate, alert_bits};
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
    InsufficientFunds { available: Dinars },
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("illegal order transition {from} -> {to}")]
    IllegalTransition { from: &'static str, to: &'static str },
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A chat's dialogue state could not be encoded or written; the chat keeps its previous state.
    #[error("dialogue not saved: {0}")]
    DialogueNotSaved(String),
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// The one connection that writes. SQLite takes one writer at a time anyway; queueing writers
    /// here wakes each as soon as the previous commits, where SQLite's busy handler would make
    /// them sleep and retry (up to tens of milliseconds each when several orders settle at once).
    writer: SqlitePool,
    /// What the writer commits with now (`SYNC_*`): FULL unless a light write just set NORMAL.
    writer_sync: Arc<AtomicU8>,
    members: std::sync::Arc<users::MemberCache>,
    prices: std::sync::Arc<prices::PriceCache>,
}

/// The writer's `synchronous` as last set (`SYNC_UNKNOWN`: a change may have been cut short).
const SYNC_FULL: u8 = 0;
const SYNC_NORMAL: u8 = 1;
const SYNC_UNKNOWN: u8 = 2;

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
        // The writer syncs the WAL at every commit (FULL): a committed claim or credit survives a
        // power loss, not only a killed process. Writes whose loss costs nothing (see `light_write`)
        // commit at NORMAL; every acquire puts the writer back to FULL first, so any other write,
        // and one after a light write was cancelled half-way, is FULL. Readers never commit, so
        // NORMAL costs them nothing.
        Self::migrate(opts.clone()).await?;
        let writer_sync = Arc::new(AtomicU8::new(SYNC_FULL));
        let sync = writer_sync.clone();
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .before_acquire(move |conn, _| {
                let sync = sync.clone();
                Box::pin(async move {
                    if sync.load(Ordering::Acquire) != SYNC_FULL {
                        sync.store(SYNC_UNKNOWN, Ordering::Release);
                        sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await?;
                        sync.store(SYNC_FULL, Ordering::Release);
                    }
                    Ok(true)
                })
            })
            .connect_with(opts.clone().synchronous(SqliteSynchronous::Full))
            .await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        Ok(Store { pool, writer, writer_sync, members: Default::default(), prices: Default::default() })
    }

    /// Runs the migrations on a connection of their own with foreign keys off, as SQLite's way of
    /// rebuilding a table requires (the PRAGMA cannot change inside the migration's transaction),
    /// then refuses to go on if any row points nowhere.
    async fn migrate(opts: SqliteConnectOptions) -> Result<(), StoreError> {
        let conn = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.foreign_keys(false).synchronous(SqliteSynchronous::Full))
            .await?;
        sqlx::migrate!().run(&conn).await?;
        let dangling: Vec<(String, i64)> =
            sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check").fetch_all(&conn).await?;
        conn.close().await;
        if !dangling.is_empty() {
            return Err(StoreError::Corrupt(format!("rows pointing nowhere after migrating: {dangling:?}")));
        }
        Ok(())
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

    /// The writer for one statement whose loss in a power cut costs nothing: what a later check
    /// or the customer's next tap writes again (the last-seen time, a dialogue's step, a status
    /// seen upstream with no money moving, a reschedule, "customer told"). It commits at NORMAL,
    /// without waiting for the disk; a later FULL commit makes it durable with itself. Never for
    /// money, a claim before an outside call, or anything a restart could not rebuild.
    async fn light_write(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        let mut conn = self.writer.acquire().await?;
        self.writer_sync.store(SYNC_UNKNOWN, Ordering::Release);
        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
        self.writer_sync.store(SYNC_NORMAL, Ordering::Release);
        Ok(conn)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// An order row as unit tests start from: ADSL, 500 DA, HANDLING with its hold, sent at 1 ms;
    /// each test overrides what it is about with `Order { .., ..testing::order(id) }`.
    pub fn order(id: i64) -> Order {
        use crate::domain::{CardType, HoldState, OrderStatus};
        Order {
            id,
            r#ref: format!("r{id}"),
            user_id: 1,
            chat_id: 1,
            message_id: None,
            card_type: CardType::Adsl,
            number: "031000000".into(),
            value: Dinars(500),
            price: Dinars(500),
            cost: None,
            status: OrderStatus::Handling,
            hold_state: HoldState::Held,
            topup_id: None,
            topup_ref: None,
            card_code_enc: None,
            num_trans: None,
            date_traitement: None,
            upstream_status: None,
            failure_reason: None,
            send_attempted_at: Some(1),
            next_check_at: None,
            fast_until: None,
            check_failures: 0,
            notify_pending: false,
            was_queued: false,
            created_at: 1,
            updated_at: 1,
            finished_at: None,
            send_ended_at: None,
            upstream_seen: false,
            not_found_count: 0,
            alerted: 0,
            status_since: Some(1),
            followup_at: None,
        }
    }

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
            s.credit(id, Dinars(money), 1, None).await.unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CardType, FailureReason, HoldState, OrderStatus};

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

    /// Commits go through the writer, which must sync at every commit (2 = FULL); readers keep
    /// NORMAL (1).
    #[tokio::test]
    async fn the_writer_syncs_every_commit() {
        let (s, _d) = testing::temp_store().await;
        let (w,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(&s.writer).await.unwrap();
        assert_eq!(w, 2, "writer synchronous");
        let (r,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(s.pool()).await.unwrap();
        assert_eq!(r, 1, "reader synchronous");
    }

    async fn synchronous(c: &mut sqlx::SqliteConnection) -> i64 {
        sqlx::query_as::<_, (i64,)>("PRAGMA synchronous").fetch_one(c).await.unwrap().0
    }

    /// A light write commits at NORMAL; whatever takes the writer next (a money transaction, a
    /// claim as one statement) is back at FULL, also after a light write cut short.
    #[tokio::test]
    async fn only_light_writes_skip_the_sync_and_the_writer_returns_to_full() {
        let (s, _d) = testing::temp_store().await;
        {
            let mut light = s.light_write().await.unwrap();
            assert_eq!(synchronous(&mut light).await, 1, "a light write commits at NORMAL");
        }
        let mut tx = s.write_tx().await.unwrap();
        assert_eq!(synchronous(&mut tx).await, 2, "a transaction after it is FULL");
        tx.rollback().await.unwrap();
        {
            let _light = s.light_write().await.unwrap();
        }
        let (w,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(&s.writer).await.unwrap();
        assert_eq!(w, 2, "one statement on the writer after it is FULL");
        // Cut short between its two steps: the next acquire cannot know, and makes it FULL.
        {
            let mut conn = s.writer.acquire().await.unwrap();
            s.writer_sync.store(SYNC_UNKNOWN, Ordering::Release);
            sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await.unwrap();
        }
        let (w,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(&s.writer).await.unwrap();
        assert_eq!(w, 2, "after a light write cut short");
    }

    /// A database of the first schema, filled the old way, reads back the same through the store
    /// after 0002 rebuilt `orders`; the ledger's triggers, the foreign keys and indexes are kept.
    #[tokio::test]
    async fn upgrading_to_typed_columns_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let opts = SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true).foreign_keys(true);
        let old = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.unwrap();
        let mut first = sqlx::migrate!();
        first.migrations = first.migrations.iter().filter(|m| m.version == 1).cloned().collect();
        first.run(&old).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO users (id, first_name, balance, held, created_at, last_seen_at) VALUES (5, 'U', 700, 300, 1, 1);
             INSERT INTO orders (id, ref, user_id, chat_id, card_type, number, value, price, status, hold_state,
                                 failure_reason, created_at, updated_at)
             VALUES (41, 'r41', 5, 5, 'ADSL', '036362608', 1000, 1000, 'FAILED', 'released', 'not_sent', 1, 1),
                    (42, 'r42', 5, 5, '4G', '213665983439', 500, 300, 'HANDLING', 'held', NULL, 2, 2);
             INSERT INTO ledger (user_id, kind, amount, balance_delta, held_delta, balance_after, held_after,
                                 order_id, admin_id, note, created_at)
             VALUES (5, 'credit', 2000, 2000, 0, 2000, 0, NULL, 1, 'cash', 1),
                    (5, 'hold', 1000, -1000, 1000, 1000, 1000, 41, NULL, 'r41', 2),
                    (5, 'release', 1000, 1000, -1000, 2000, 0, 41, NULL, 'r41', 3),
                    (5, 'hold', 300, -300, 300, 1700, 300, 42, NULL, 'r42', 4),
                    (5, 'debit', 1000, -1000, 0, 700, 300, NULL, 1, NULL, 5);
             INSERT INTO prices (card_type, value, tier, price, updated_at) VALUES ('ADSL', 1000, 'reseller', 990, 1);
             INSERT INTO dialogues (chat_id, state, updated_at) VALUES (5, '{}', 1);
             INSERT INTO broadcasts (id, admin_id, from_chat_id, from_message_id, audience, status, total, created_at)
             VALUES (3, 1, 1, 10, 'lang:fr', 'cancelled', 1, 1);
             INSERT INTO broadcast_recipients (broadcast_id, user_id, status, updated_at) VALUES (3, 5, 'sent', 1);
             INSERT INTO settings (key, value) VALUES ('maintenance', '1');",
        )
        .execute(&old)
        .await
        .unwrap();
        old.close().await;

        let s = Store::open(&url).await.unwrap();
        let failed = s.order(41).await.unwrap().unwrap();
        assert_eq!(
            (failed.status, failed.hold_state, failed.failure_reason, failed.value, failed.price),
            (OrderStatus::Failed, HoldState::Released, Some(FailureReason::NotSent), Dinars(1000), Dinars(1000))
        );
        let open = s.order_by_ref("r42").await.unwrap().unwrap();
        assert_eq!(
            (open.id, open.status, open.hold_state, open.failure_reason),
            (42, OrderStatus::Handling, HoldState::Held, None)
        );
        assert_eq!(open.number, "213665983439");
        assert_eq!(s.check_schedule().await.unwrap(), vec![], "no schedule was set");
        assert_eq!(s.balances(5).await.unwrap(), Balances { balance: Dinars(700), held: Dinars(300) });
        let ledger = s.recent_ledger(5, 10).await.unwrap();
        assert_eq!(ledger.len(), 5);
        assert_eq!((ledger[1].kind, ledger[1].order_id), (LedgerKind::Hold, Some(42)));
        assert_eq!(ledger[4].note.as_deref(), Some("cash"));
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
        assert_eq!(s.price_table(CardType::Adsl).await.unwrap().get(&1000), Some(&(None, Some(990))));
        assert_eq!(s.dialogue(5).await.unwrap().as_deref(), Some("{}"));
        let job = s.broadcast(3).await.unwrap().unwrap();
        assert_eq!((job.status, job.audience), (BroadcastStatus::Cancelled, Audience::Language(crate::i18n::Lang::Fr)));
        assert_eq!(s.recipients(3).await.unwrap(), vec![(5, "sent".to_owned())]);
        assert!(s.flag(settings::MAINTENANCE).await.unwrap());

        // The ledger is still append-only, its rows still point at orders that exist, and the
        // indexes are back.
        assert!(sqlx::query("UPDATE ledger SET amount = 1").execute(&s.writer).await.is_err());
        assert!(sqlx::query("DELETE FROM ledger").execute(&s.writer).await.is_err());
        let dangling = "INSERT INTO ledger (user_id, kind, amount, balance_delta, held_delta, balance_after, held_after, order_id, created_at)
                        VALUES (5, 'hold', 1, 0, 0, 0, 0, 999, 1)";
        assert!(sqlx::query(dangling).execute(&s.writer).await.is_err(), "foreign keys are on again");
        let fk: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(s.pool()).await.unwrap();
        assert!(fk.is_empty(), "{fk:?}");
        let (indexes,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('orders_due', 'orders_user', 'orders_created')",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(indexes, 3);
        // New orders go on from the old ids.
        testing::customer(&s, 6, 0).await;
        let o = NewOrder {
            r#ref: "new".into(),
            user_id: 6,
            chat_id: 6,
            message_id: None,
            card_type: CardType::Adsl,
            number: "036362608".into(),
            value: Dinars(500),
            price: Dinars(0),
            cost: None,
            fast_window_ms: 0,
        };
        let PlaceOutcome::Placed { order, .. } = s.place_order_with_hold(&o).await.unwrap() else { panic!() };
        assert_eq!(order.id, 43);
    }

    /// Texts outside each enum's list are refused by the database itself.
    #[tokio::test]
    async fn the_database_refuses_unknown_enum_texts() {
        let (s, _d) = testing::temp_store().await;
        testing::customer(&s, 5, 0).await;
        let insert = |hold: &str, reason: &str| {
            format!(
                "INSERT INTO orders (ref, user_id, chat_id, card_type, number, value, price, status, hold_state,
                                     failure_reason, created_at, updated_at)
                 VALUES (hex(randomblob(8)), 5, 5, 'ADSL', '036362608', 1000, 0, 'FAILED', '{hold}', {reason}, 1, 1)"
            )
        };
        for r in FailureReason::ALL {
            let sql = insert("released", &format!("'{}'", r.as_str()));
            sqlx::query(&sql).execute(&s.writer).await.unwrap();
        }
        sqlx::query(&insert("released", "NULL")).execute(&s.writer).await.unwrap();
        for (hold, reason) in [("released", "'timeout'"), ("released", "''"), ("refunded", "NULL")] {
            let e = sqlx::query(&insert(hold, reason)).execute(&s.writer).await.unwrap_err();
            assert!(e.to_string().contains("CHECK constraint failed"), "{hold} {reason}: {e}");
        }
        let paused = "INSERT INTO broadcasts (admin_id, from_chat_id, from_message_id, audience, status, created_at)
                      VALUES (1, 1, 1, 'all', 'paused', 1)";
        let e = sqlx::query(paused).execute(&s.writer).await.unwrap_err();
        assert!(e.to_string().contains("CHECK constraint failed"), "{e}");
    }
}
