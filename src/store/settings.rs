//! Small persistent switches: maintenance mode and alert latches survive restarts.
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
}
