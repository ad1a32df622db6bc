//! The audit log: who changed what, when. Append-only (triggers refuse UPDATE and DELETE); an
//! entry is written inside the transaction of the change it describes, so both land or neither.
use super::{Store, StoreError, now_ms};
use sqlx::SqliteConnection;

/// One change made by an admin, as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditEntry {
    pub admin_id: i64,
    /// A short machine name: `credit`, `debit`, `set-price`, `ban`, …
    pub action: String,
    /// What was changed: `user:42`, `price:ADSL:1000:customer`, `order:17`.
    pub target: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// An entry as read back.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub admin_id: i64,
    pub action: String,
    pub target: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: i64,
}

/// Which entries to read: newest first, older than `before_id` when paging on.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub admin_id: Option<i64>,
    pub action: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Appends `entry` inside the caller's transaction; returns its id.
pub async fn record(tx: &mut SqliteConnection, entry: &AuditEntry) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO audit_log (admin_id, action, target, before, after, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(entry.admin_id)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(&entry.before)
    .bind(&entry.after)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    Ok(id)
}

impl Store {
    /// Appends one entry on its own. Test-only: every change is audited inside its own transaction.
    #[cfg(test)]
    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A page of the log, newest first, keyset-paged on the id.
    pub async fn audit_page(&self, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, admin_id, action, target, before, after, created_at FROM audit_log
             WHERE (?1 IS NULL OR admin_id = ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR id < ?3)
             ORDER BY id DESC LIMIT ?4",
        )
        .bind(f.admin_id)
        .bind(&f.action)
        .bind(f.before_id)
        .bind(f.limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The actions present in the log, for the filter's choices.
    pub async fn audit_actions(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT action FROM audit_log ORDER BY action").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;

    fn entry(admin_id: i64, action: &str) -> AuditEntry {
        AuditEntry {
            admin_id,
            action: action.into(),
            target: Some("user:5".into()),
            before: Some("0".into()),
            after: Some("100".into()),
        }
    }

    #[tokio::test]
    async fn entries_are_written_inside_the_callers_transaction_and_roll_back_with_it() {
        let (s, _d) = temp_store().await;
        let mut tx = s.write_tx().await.unwrap();
        record(&mut tx, &entry(1, "credit")).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(s.audit_page(&AuditFilter { limit: 10, ..Default::default() }).await.unwrap().is_empty());

        let mut tx = s.write_tx().await.unwrap();
        record(&mut tx, &entry(1, "credit")).await.unwrap();
        tx.commit().await.unwrap();
        let rows = s.audit_page(&AuditFilter { limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].admin_id, rows[0].action.as_str()), (1, "credit"));
        assert_eq!(rows[0].after.as_deref(), Some("100"));
    }

    #[tokio::test]
    async fn the_log_refuses_updates_and_deletes() {
        let (s, _d) = temp_store().await;
        s.record_audit(&entry(1, "ban")).await.unwrap();
        let upd = sqlx::query("UPDATE audit_log SET after = 'x'").execute(&s.writer).await;
        assert!(upd.unwrap_err().to_string().contains("append-only"));
        let del = sqlx::query("DELETE FROM audit_log").execute(&s.writer).await;
        assert!(del.unwrap_err().to_string().contains("append-only"));
    }

    #[tokio::test]
    async fn pages_filter_by_admin_and_action_newest_first() {
        let (s, _d) = temp_store().await;
        for i in 0..7 {
            s.record_audit(&entry(1 + i % 2, if i % 3 == 0 { "ban" } else { "credit" })).await.unwrap();
        }
        let all = s.audit_page(&AuditFilter { limit: 3, ..Default::default() }).await.unwrap();
        assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), [7, 6, 5]);
        let next = s.audit_page(&AuditFilter { limit: 3, before_id: Some(5), ..Default::default() }).await.unwrap();
        assert_eq!(next.iter().map(|r| r.id).collect::<Vec<_>>(), [4, 3, 2]);
        let f = AuditFilter { admin_id: Some(1), action: Some("ban".into()), limit: 10, before_id: None };
        let rows = s.audit_page(&f).await.unwrap();
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [7, 1]);
        assert_eq!(s.audit_actions().await.unwrap(), ["ban", "credit"]);
    }
}
