//! Dialogue state per chat, as JSON text, so a restart keeps every conversation where it was.
use super::{Store, StoreError, now_ms};

impl Store {
    pub async fn dialogue(&self, chat_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT state FROM dialogues WHERE chat_id = ?")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn save_dialogue(&self, chat_id: i64, state_json: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dialogues (chat_id, state, updated_at) VALUES (?, ?, ?)
             ON CONFLICT(chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(state_json)
        .bind(now_ms())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn remove_dialogue(&self, chat_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM dialogues WHERE chat_id = ?").bind(chat_id).execute(&self.writer).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::temp_store;

    #[tokio::test]
    async fn dialogue_round_trip() {
        let (s, _d) = temp_store().await;
        assert_eq!(s.dialogue(1).await.unwrap(), None);
        s.save_dialogue(1, r#"{"a":1}"#).await.unwrap();
        s.save_dialogue(1, r#"{"a":2}"#).await.unwrap();
        assert_eq!(s.dialogue(1).await.unwrap().as_deref(), Some(r#"{"a":2}"#));
        s.remove_dialogue(1).await.unwrap();
        assert_eq!(s.dialogue(1).await.unwrap(), None);
    }
}
