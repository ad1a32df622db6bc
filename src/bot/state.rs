//! Dialogue state per chat, persisted in our own table so a restart keeps every conversation.
use crate::domain::CardType;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use teloxide::dispatching::dialogue::{Dialogue, ErasedStorage, Storage};
use teloxide::types::ChatId;

/// Where a chat is. Steps that show buttons remember the message holding them (`msg`): a press
/// on any other message is stale and changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum State {
    #[default]
    Idle,
    ChoosingType {
        msg: i32,
    },
    EnteringNumber {
        msg: i32,
        card_type: CardType,
    },
    ChoosingValue {
        msg: i32,
        card_type: CardType,
        number: String,
    },
    Confirming {
        msg: i32,
        card_type: CardType,
        number: String,
        value: i64,
        price: i64,
        /// Fixed when the summary is shown: the order's ref, so a replayed confirm finds it.
        order_ref: String,
    },
    /// An admin is about to send the message to broadcast.
    BroadcastCompose,
    BroadcastConfirm {
        msg: i32,
        from_chat: i64,
        message_id: i32,
        #[serde(default)]
        audience: String,
    },
}

/// The same type as `futures::future::BoxFuture<'static, T>`, without the dependency.
type BoxFut<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

pub type Dlg = Dialogue<State, ErasedStorage<State>>;

pub struct DbStorage {
    store: Store,
}

impl DbStorage {
    pub fn erased(store: Store) -> Arc<ErasedStorage<State>> {
        Arc::new(DbStorage { store }).erase()
    }
}

impl Storage<State> for DbStorage {
    type Error = StoreError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFut<Result<(), StoreError>> {
        Box::pin(async move { self.store.remove_dialogue(chat_id.0).await })
    }

    fn update_dialogue(self: Arc<Self>, chat_id: ChatId, dialogue: State) -> BoxFut<Result<(), StoreError>> {
        Box::pin(async move {
            if dialogue == State::Idle {
                return self.store.remove_dialogue(chat_id.0).await;
            }
            let json = serde_json::to_string(&dialogue).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            self.store.save_dialogue(chat_id.0, &json).await
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFut<Result<Option<State>, StoreError>> {
        Box::pin(async move {
            let Some(json) = self.store.dialogue(chat_id.0).await? else {
                return Ok(None);
            };
            // A state saved by an older version that no longer decodes starts the chat afresh
            // instead of stranding it.
            Ok(match serde_json::from_str(&json) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(chat = chat_id.0, error = %e, "dropping undecodable dialogue state");
                    None
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;

    #[tokio::test]
    async fn states_survive_a_new_storage_on_the_same_database() {
        let (store, _d) = temp_store().await;
        let s = State::Confirming {
            msg: 5,
            card_type: CardType::FourG,
            number: "213665983439".into(),
            value: 1000,
            price: 1050,
            order_ref: "nc-1".into(),
        };
        let storage = Arc::new(DbStorage { store: store.clone() });
        storage.clone().update_dialogue(ChatId(9), s.clone()).await.unwrap();
        let fresh = Arc::new(DbStorage { store: store.clone() });
        assert_eq!(fresh.clone().get_dialogue(ChatId(9)).await.unwrap(), Some(s));
        fresh.clone().update_dialogue(ChatId(9), State::Idle).await.unwrap();
        assert_eq!(fresh.clone().get_dialogue(ChatId(9)).await.unwrap(), None);
        store.save_dialogue(9, r#"{"step":"Vanished"}"#).await.unwrap();
        assert_eq!(fresh.get_dialogue(ChatId(9)).await.unwrap(), None);
    }
}
