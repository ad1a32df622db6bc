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
        .execute(&mut *self.light_write().await?)
        .await?;
        Ok(())
    }

    /// Writes many chats' states at once (`None`: the chat is idle, its row goes): a few
    /// statements for the whole batch, each atomic.
    pub async fn save_dialogues(&self, batch: &[(i64, Option<String>)]) -> Result<(), StoreError> {
        // Well under SQLite's limit of 32,766 bound parameters per statement.
        const ROWS: usize = 500;
        let now = now_ms();
        let saves: Vec<(i64, &str)> = batch.iter().filter_map(|(c, s)| Some((*c, s.as_deref()?))).collect();
        let removes: Vec<i64> = batch.iter().filter(|(_, s)| s.is_none()).map(|(c, _)| *c).collect();
        for chunk in saves.chunks(ROWS) {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO dialogues (chat_id, state, updated_at) ");
            qb.push_values(chunk, |mut row, (chat, state)| {
                row.push_bind(*chat).push_bind(*state).push_bind(now);
            });
            qb.push(" ON CONFLICT(chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at");
            qb.build().execute(&mut *self.light_write().await?).await?;
        }
        for chunk in removes.chunks(ROWS) {
            let mut qb = sqlx::QueryBuilder::new("DELETE FROM dialogues WHERE chat_id IN (");
            let mut ids = qb.separated(", ");
            for chat in chunk {
                ids.push_bind(*chat);
            }
            qb.push(")");
            qb.build().execute(&mut *self.light_write().await?).await?;
        }
        Ok(())
    }

    pub async fn remove_dialogue(&self, chat_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM dialogues WHERE chat_id = ?")
            .bind(chat_id)
            .execute(&mut *self.light_write().await?)
            .await?;
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

    #[tokio::test]
    async fn batches_save_and_remove_in_one_go() {
        let (s, _d) = temp_store().await;
        s.save_dialogue(2, "old").await.unwrap();
        let mut batch: Vec<(i64, Option<String>)> = (10..1210).map(|c| (c, Some(format!("s{c}")))).collect();
        batch.push((2, None));
        s.save_dialogues(&batch).await.unwrap();
        assert_eq!(s.dialogue(2).await.unwrap(), None);
        assert_eq!(s.dialogue(10).await.unwrap().as_deref(), Some("s10"));
        assert_eq!(s.dialogue(1209).await.unwrap().as_deref(), Some("s1209"));
        s.save_dialogues(&[(10, Some("t".into())), (11, None)]).await.unwrap();
        assert_eq!(s.dialogue(10).await.unwrap().as_deref(), Some("t"));
        assert_eq!(s.dialogue(11).await.unwrap(), None);
        s.save_dialogues(&[]).await.unwrap();
    }
}
