//! The wallet: an append-only ledger with the running balance and held amount kept beside it.
use super::{Store, StoreError, now_ms};
use crate::domain::Dinars;
use crate::domain::topup::MoneySource;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row, SqliteConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerKind {
    /// Admin adds money (after being paid in cash, BaridiMob, CCP).
    Credit,
    /// Admin removes money (a correction or a cash-out).
    Debit,
    /// An order reserves its price.
    Hold,
    /// The card was delivered: the reserved price is spent.
    Capture,
    /// The order failed or was refunded: the reserved price comes back.
    Release,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Credit => "credit",
            LedgerKind::Debit => "debit",
            LedgerKind::Hold => "hold",
            LedgerKind::Capture => "capture",
            LedgerKind::Release => "release",
        }
    }

    fn parse(s: &str) -> Option<LedgerKind> {
        [LedgerKind::Credit, LedgerKind::Debit, LedgerKind::Hold, LedgerKind::Capture, LedgerKind::Release]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// How an amount moves between spendable balance and held.
    fn deltas(self, amount: i64) -> (i64, i64) {
        match self {
            LedgerKind::Credit => (amount, 0),
            LedgerKind::Debit => (-amount, 0),
            LedgerKind::Hold => (-amount, amount),
            LedgerKind::Capture => (0, -amount),
            LedgerKind::Release => (amount, -amount),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balances {
    /// Spendable now.
    pub balance: Dinars,
    /// Reserved by orders in progress.
    pub held: Dinars,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub id: i64,
    pub user_id: i64,
    pub kind: LedgerKind,
    pub amount: Dinars,
    pub balance_after: Dinars,
    pub held_after: Dinars,
    pub order_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub note: Option<String>,
    /// Where the money came from (online payment, transfer, shop credit, order, refund).
    pub source: MoneySource,
    pub topup_id: Option<i64>,
    pub created_at: i64,
}

impl<'r> FromRow<'r, SqliteRow> for LedgerEntry {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        let kind: String = row.try_get("kind")?;
        Ok(LedgerEntry {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            kind: LedgerKind::parse(&kind)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown ledger kind {kind}").into()))?,
            amount: row.try_get("amount")?,
            balance_after: row.try_get("balance_after")?,
            held_after: row.try_get("held_after")?,
            order_id: row.try_get("order_id")?,
            admin_id: row.try_get("admin_id")?,
            note: row.try_get("note")?,
            source: MoneySource::of_ledger_row(row.try_get::<Option<String>, _>("source")?.as_deref(), &kind),
            topup_id: row.try_get("topup_id")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// Who caused a ledger row and why.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reason<'a> {
    pub order_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub note: Option<&'a str>,
    /// Set by top-ups; NULL where the kind says it (see `MoneySource::of_ledger_row`).
    pub source: Option<MoneySource>,
    /// The top-up this credit settles; unique in the ledger, so it is credited at most once.
    pub topup_id: Option<i64>,
}

/// Applies one movement inside the caller's transaction. The balance update is conditional, so
/// neither figure can go below zero however many transactions race; a refused movement writes
/// nothing.
pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    user_id: i64,
    kind: LedgerKind,
    amount: Dinars,
    reason: Reason<'_>,
) -> Result<Balances, StoreError> {
    let amount = amount.get();
    if amount <= 0 {
        return Err(StoreError::Corrupt(format!("ledger amount must be positive, got {amount}")));
    }
    let (db, dh) = kind.deltas(amount);
    let updated: Option<(i64, i64)> = sqlx::query_as(
        "UPDATE users SET balance = balance + ?1, held = held + ?2
         WHERE id = ?3 AND balance + ?1 >= 0 AND held + ?2 >= 0
         RETURNING balance, held",
    )
    .bind(db)
    .bind(dh)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((balance, held)) = updated else {
        let current: Option<(i64,)> =
            sqlx::query_as("SELECT balance FROM users WHERE id = ?").bind(user_id).fetch_optional(&mut *conn).await?;
        return match current {
            None => Err(StoreError::NotFound("user")),
            Some((available,)) => Err(StoreError::InsufficientFunds { available: Dinars(available) }),
        };
    };
    sqlx::query(
        "INSERT INTO ledger (user_id, kind, amount, balance_delta, held_delta, balance_after, held_after,
                             order_id, admin_id, note, source, topup_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(amount)
    .bind(db)
    .bind(dh)
    .bind(balance)
    .bind(held)
    .bind(reason.order_id)
    .bind(reason.admin_id)
    .bind(reason.note)
    .bind(reason.source.map(MoneySource::as_str))
    .bind(reason.topup_id)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(Balances { balance: Dinars(balance), held: Dinars(held) })
}

impl Store {
    /// An admin adds money to a wallet.
    pub async fn credit(
        &self,
        user_id: i64,
        amount: Dinars,
        admin_id: i64,
        note: Option<&str>,
    ) -> Result<Balances, StoreError> {
        self.admin_movement(user_id, LedgerKind::Credit, amount, admin_id, note).await
    }

    /// An admin removes money; refused (nothing written) if the spendable balance is short.
    pub async fn debit(
        &self,
        user_id: i64,
        amount: Dinars,
        admin_id: i64,
        note: Option<&str>,
    ) -> Result<Balances, StoreError> {
        self.admin_movement(user_id, LedgerKind::Debit, amount, admin_id, note).await
    }

    async fn admin_movement(
        &self,
        user_id: i64,
        kind: LedgerKind,
        amount: Dinars,
        admin_id: i64,
        note: Option<&str>,
    ) -> Result<Balances, StoreError> {
        let mut tx = self.write_tx().await?;
        let b = apply(&mut tx, user_id, kind, amount, Reason { admin_id: Some(admin_id), note, ..Default::default() })
            .await?;
        tx.commit().await?;
        Ok(b)
    }

    pub async fn balances(&self, user_id: i64) -> Result<Balances, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as("SELECT balance, held FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(balance, held)| Balances { balance: Dinars(balance), held: Dinars(held) })
            .ok_or(StoreError::NotFound("user"))
    }

    pub async fn recent_ledger(&self, user_id: i64, limit: i64) -> Result<Vec<LedgerEntry>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM ledger WHERE user_id = ? ORDER BY id DESC LIMIT ?")
            .bind(user_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// What the shop owes its customers: every wallet's spendable plus held money.
    pub async fn total_owed(&self) -> Result<i64, StoreError> {
        let (total,): (i64,) =
            sqlx::query_as("SELECT COALESCE(SUM(balance + held), 0) FROM users").fetch_one(&self.pool).await?;
        Ok(total)
    }

    pub async fn total_held(&self) -> Result<i64, StoreError> {
        let (total,): (i64,) = sqlx::query_as("SELECT COALESCE(SUM(held), 0) FROM users").fetch_one(&self.pool).await?;
        Ok(total)
    }

    /// The invariant check: users whose balance or held amount differs from the sums of their
    /// ledger rows, or whose held amount differs from the prices of their orders still holding.
    /// Empty means the books add up.
    pub async fn ledger_mismatches(&self) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT u.id FROM users u
             LEFT JOIN (SELECT user_id, SUM(balance_delta) AS b, SUM(held_delta) AS h FROM ledger GROUP BY user_id) l
                    ON l.user_id = u.id
             LEFT JOIN (SELECT user_id, SUM(price) AS p FROM orders WHERE hold_state = 'held' GROUP BY user_id) o
                    ON o.user_id = u.id
             WHERE u.balance != COALESCE(l.b, 0) OR u.held != COALESCE(l.h, 0) OR u.held != COALESCE(o.p, 0)
             ORDER BY u.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

/// Where the last ledger check's result is kept (`at_ms;ok`, `at_ms;users 1,2`, `at_ms;failed`).
const LEDGER_CHECK: &str = "ledger_check";

/// How the last ledger check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerCheckResult {
    /// Every wallet matches its ledger rows and its orders still holding.
    Ok,
    /// These users' wallets do not add up.
    Mismatches(Vec<i64>),
    /// The check itself could not run (database error).
    Failed,
}

/// The last ledger check: when (ms since the epoch) and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCheck {
    pub at: i64,
    pub result: LedgerCheckResult,
}

impl LedgerCheck {
    fn encode(&self) -> String {
        let r = match &self.result {
            LedgerCheckResult::Ok => "ok".to_owned(),
            LedgerCheckResult::Failed => "failed".to_owned(),
            LedgerCheckResult::Mismatches(ids) => {
                format!("users {}", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
            }
        };
        format!("{};{r}", self.at)
    }

    fn decode(s: &str) -> Option<LedgerCheck> {
        let (at, r) = s.split_once(';')?;
        let result = match r {
            "ok" => LedgerCheckResult::Ok,
            "failed" => LedgerCheckResult::Failed,
            _ => LedgerCheckResult::Mismatches(
                r.strip_prefix("users ")?.split(',').map(|id| id.parse().ok()).collect::<Option<Vec<i64>>>()?,
            ),
        };
        Some(LedgerCheck { at: at.parse().ok()?, result })
    }
}

impl Store {
    /// Runs the ledger check and keeps its result for `/stats`; the result is returned too.
    pub async fn check_ledger(&self) -> LedgerCheck {
        let result = match self.ledger_mismatches().await {
            Ok(users) if users.is_empty() => LedgerCheckResult::Ok,
            Ok(users) => LedgerCheckResult::Mismatches(users),
            Err(e) => {
                tracing::error!(error = %e, "ledger check could not run");
                LedgerCheckResult::Failed
            }
        };
        let check = LedgerCheck { at: now_ms(), result };
        if let Err(e) = self.set_setting(LEDGER_CHECK, &check.encode()).await {
            tracing::error!(error = %e, "ledger check result not saved");
        }
        check
    }

    /// The last ledger check, if one ever ran.
    pub async fn last_ledger_check(&self) -> Result<Option<LedgerCheck>, StoreError> {
        Ok(self.setting(LEDGER_CHECK).await?.as_deref().and_then(LedgerCheck::decode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;

    #[tokio::test]
    async fn credit_and_debit_move_the_balance_and_are_recorded() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 0).await;
        assert_eq!(
            s.credit(5, Dinars(2000), 1, Some("cash")).await.unwrap(),
            Balances { balance: Dinars(2000), held: Dinars(0) }
        );
        assert_eq!(
            s.debit(5, Dinars(500), 1, None).await.unwrap(),
            Balances { balance: Dinars(1500), held: Dinars(0) }
        );
        assert!(matches!(
            s.debit(5, Dinars(1501), 1, None).await,
            Err(StoreError::InsufficientFunds { available: Dinars(1500) })
        ));
        assert!(matches!(s.credit(6, Dinars(10), 1, None).await, Err(StoreError::NotFound(_))));
        let entries = s.recent_ledger(5, 10).await.unwrap();
        assert_eq!(entries.len(), 2, "a refused debit writes nothing");
        assert_eq!(entries[0].kind, LedgerKind::Debit);
        assert_eq!(entries[1].note.as_deref(), Some("cash"));
        assert_eq!(s.total_owed().await.unwrap(), 1500);
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_ledger_cannot_be_rewritten() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 0).await;
        s.credit(5, Dinars(100), 1, None).await.unwrap();
        assert!(sqlx::query("UPDATE ledger SET amount = 1").execute(s.pool()).await.is_err());
        assert!(sqlx::query("DELETE FROM ledger").execute(s.pool()).await.is_err());
    }

    #[tokio::test]
    async fn a_tampered_balance_is_detected() {
        let (s, _d) = temp_store().await;
        crate::store::testing::customer(&s, 5, 0).await;
        s.credit(5, Dinars(100), 1, None).await.unwrap();
        sqlx::query("UPDATE users SET balance = 1000 WHERE id = 5").execute(s.pool()).await.unwrap();
        assert_eq!(s.ledger_mismatches().await.unwrap(), vec![5]);
    }

    #[tokio::test]
    async fn the_last_ledger_check_is_kept() {
        let (s, _d) = temp_store().await;
        assert_eq!(s.last_ledger_check().await.unwrap(), None);
        crate::store::testing::customer(&s, 5, 0).await;
        crate::store::testing::customer(&s, 6, 0).await;
        let ok = s.check_ledger().await;
        assert_eq!(ok.result, LedgerCheckResult::Ok);
        assert_eq!(s.last_ledger_check().await.unwrap(), Some(ok));
        sqlx::query("UPDATE users SET balance = 7 WHERE id IN (5, 6)").execute(s.pool()).await.unwrap();
        let bad = s.check_ledger().await;
        assert_eq!(bad.result, LedgerCheckResult::Mismatches(vec![5, 6]));
        assert_eq!(s.last_ledger_check().await.unwrap(), Some(bad));
        let failed = LedgerCheck { at: 3, result: LedgerCheckResult::Failed };
        assert_eq!(LedgerCheck::decode(&failed.encode()), Some(failed));
    }
}
