//! Small persistent switches: maintenance mode and alert latches survive restarts.
use super::audit::AuditEntry;
use super::{Store, StoreError};

pub const MAINTENANCE: &str = "maintenance";
pub const AUTO_MAINTENANCE: &str = "auto_maintenance";

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Sets `key` only if absent; true if this call set it (a latch several tasks may race for).
    pub async fn set_setting_once(&self, key: &str, value: &str) -> Result<bool, StoreError> {
        let r = sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.writer)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM settings WHERE key = ?").bind(key).execute(&self.writer).await?;
        Ok(())
    }

    /// The keys that start with `prefix`.
    pub async fn setting_keys(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT key FROM settings WHERE substr(key, 1, length(?1)) = ?1")
            .bind(prefix)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub async fn flag(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.setting(key).await?.as_deref() == Some("1"))
    }

    pub async fn set_flag(&self, key: &str, on: bool) -> Result<(), StoreError> {
        self.set_setting(key, if on { "1" } else { "0" }).await
    }

    /// Switches maintenance. An admin's switch (`admin_id`) also takes the shop back from the
    /// health check (no automatic reopening) and is audited as `maintenance` in the same
    /// transaction when it changed the state; the health check's own switch is not audited.
    pub async fn set_maintenance(&self, on: bool, admin_id: Option<i64>) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let before: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
            .bind(MAINTENANCE)
            .fetch_optional(&mut *tx)
            .await?;
        let before = before.is_some_and(|(v,)| v == "1");
        let set =
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        sqlx::query(set).bind(MAINTENANCE).bind(if on { "1" } else { "0" }).execute(&mut *tx).await?;
        if let Some(admin_id) = admin_id {
            sqlx::query(set).bind(AUTO_MAINTENANCE).bind("0").execute(&mut *tx).await?;
            if before != on {
                let word = |b: bool| if b { "on" } else { "off" };
                let entry = AuditEntry {
                    admin_id,
                    action: "maintenance".into(),
                    target: Some("shop".into()),
                    before: Some(word(before).into()),
                    after: Some(word(on).into()),
                };
                super::audit::record(&mut tx, &entry).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;

    #[tokio::test]
    async fn flags_persist() {
        let (s, _d) = temp_store().await;
        assert!(!s.flag(MAINTENANCE).await.unwrap());
        s.set_flag(MAINTENANCE, true).await.unwrap();
        assert!(s.flag(MAINTENANCE).await.unwrap());
        s.set_flag(MAINTENANCE, false).await.unwrap();
        assert!(!s.flag(MAINTENANCE).await.unwrap());
    }

    #[tokio::test]
    async fn an_admins_maintenance_switch_is_audited_with_it_and_the_health_checks_is_not() {
        let (s, _d) = temp_store().await;
        let audit = |s: Store| async move {
            let f = crate::store::audit::AuditFilter { limit: 10, ..Default::default() };
            let rows = s.audit_page(&f).await.unwrap();
            rows.into_iter().rev().map(|r| (r.admin_id, r.action, r.before, r.after)).collect::<Vec<_>>()
        };
        s.set_maintenance(true, None).await.unwrap();
        s.set_flag(AUTO_MAINTENANCE, true).await.unwrap();
        assert!(audit(s.clone()).await.is_empty(), "the health check is no admin");
        s.set_maintenance(true, Some(9)).await.unwrap();
        assert!(audit(s.clone()).await.is_empty(), "already on: nothing changed");
        assert!(!s.flag(AUTO_MAINTENANCE).await.unwrap(), "the admin now owns the switch");
        s.set_maintenance(false, Some(9)).await.unwrap();
        assert!(!s.flag(MAINTENANCE).await.unwrap());
        let off = (9, "maintenance".to_owned(), Some("on".to_owned()), Some("off".to_owned()));
        assert_eq!(audit(s.clone()).await, [off]);
    }
}
