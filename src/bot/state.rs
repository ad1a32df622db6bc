//! Dialogue state per chat, persisted in our own table so a restart keeps every conversation.
use crate::domain::{CardType, Dinars, PhoneNumber};
use crate::store::{Audience, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use teloxide::dispatching::dialogue::{Dialogue, ErasedStorage, Storage};
use teloxide::types::{ChatId, MessageId};

/// Where a chat is. Steps that show buttons remember the message holding them (`msg`): a press
/// on any other message is stale and changes nothing. A new step is a variant here, with its
/// answers in [`State::wizard_msg`] and [`State::awaits`] (the compiler asks for both).
///
/// Persisted as JSON in the `dialogues` table: the field names and their JSON forms are those of
/// the rows already stored (ids as numbers, numbers and refs as strings, the audience as its
/// stored text); `rows_written_by_earlier_versions_still_decode` holds them to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum State {
    #[default]
    Idle,
    ChoosingType {
        #[serde(with = "msg_id")]
        msg: MessageId,
    },
    EnteringNumber {
        #[serde(with = "msg_id")]
        msg: MessageId,
        card_type: CardType,
    },
    ChoosingValue {
        #[serde(with = "msg_id")]
        msg: MessageId,
        card_type: CardType,
        number: PhoneNumber,
    },
    Confirming {
        #[serde(with = "msg_id")]
        msg: MessageId,
        card_type: CardType,
        number: PhoneNumber,
        value: Dinars,
        price: Dinars,
        /// Fixed when the summary is shown: the order's ref, so a replayed confirm finds it.
        order_ref: String,
    },
    /// An admin is about to send the message to broadcast.
    BroadcastCompose,
    BroadcastConfirm {
        #[serde(with = "msg_id")]
        msg: MessageId,
        from_chat: ChatId,
        #[serde(with = "msg_id")]
        message_id: MessageId,
        #[serde(default = "everyone", with = "audience_text")]
        audience: Audience,
    },
    /// Top-up: choosing online payment or a transfer receipt.
    TopupChoosing {
        #[serde(with = "msg_id")]
        msg: MessageId,
    },
    /// Top-up: the amount, tapped or typed.
    TopupAmount {
        #[serde(with = "msg_id")]
        msg: MessageId,
        online: bool,
    },
    /// Top-up by transfer: waiting for the receipt's photo or PDF.
    TopupReceipt { amount: Dinars },
    /// An admin types the amount actually received for a receipt.
    TopupAdminAmount { topup_id: i64 },
    /// An admin types why a receipt is refused.
    TopupAdminReason { topup_id: i64 },
}

/// What a step takes besides commands and buttons that work everywhere (menu, order history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaits {
    /// Nothing in particular: a text gets "not understood" and the menu.
    Nothing,
    /// Something the user sends: a typed number, the message to broadcast.
    Message,
    /// Only the buttons of its wizard message: a text gets "use the buttons".
    Buttons,
}

impl State {
    /// The message showing the current step's buttons: step buttons pressed on any other
    /// message are stale.
    pub fn wizard_msg(&self) -> Option<MessageId> {
        match self {
            State::ChoosingType { msg }
            | State::EnteringNumber { msg, .. }
            | State::ChoosingValue { msg, .. }
            | State::Confirming { msg, .. }
            | State::BroadcastConfirm { msg, .. }
            | State::TopupChoosing { msg }
            | State::TopupAmount { msg, .. } => Some(*msg),
            State::Idle
            | State::BroadcastCompose
            | State::TopupReceipt { .. }
            | State::TopupAdminAmount { .. }
            | State::TopupAdminReason { .. } => None,
        }
    }

    /// What the step waits for.
    pub fn awaits(&self) -> Awaits {
        match self {
            State::Idle => Awaits::Nothing,
            State::EnteringNumber { .. }
            | State::BroadcastCompose
            | State::TopupAmount { .. }
            | State::TopupReceipt { .. }
            | State::TopupAdminAmount { .. }
            | State::TopupAdminReason { .. } => Awaits::Message,
            State::TopupChoosing { .. }
            | State::ChoosingType { .. }
            | State::ChoosingValue { .. }
            | State::Confirming { .. }
            | State::BroadcastConfirm { .. } => Awaits::Buttons,
        }
    }

    /// A step of the customer's top-up (where /cancel and Cancel end the top-up).
    pub fn is_topup(&self) -> bool {
        matches!(self, State::TopupChoosing { .. } | State::TopupAmount { .. } | State::TopupReceipt { .. })
    }
}

fn everyone() -> Audience {
    Audience::Everyone
}

/// A message id as the bare number stored rows hold (teloxide's own form is an object).
mod msg_id {
    use serde::{Deserialize, Deserializer, Serializer};
    use teloxide::types::MessageId;

    pub fn serialize<S: Serializer>(id: &MessageId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(id.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MessageId, D::Error> {
        i32::deserialize(d).map(MessageId)
    }
}

/// The audience as the text `Audience::encode` gives, as stored rows hold it.
mod audience_text {
    use crate::store::Audience;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &Audience, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&a.encode())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Audience, D::Error> {
        let text = String::deserialize(d)?;
        Audience::decode(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown audience {text:?}")))
    }
}

/// The same type as `futures::future::BoxFuture<'static, T>`, without the dependency.
type BoxFut<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

pub type Dlg = Dialogue<State, ErasedStorage<State>>;

/// Dialogue states in our table, with the table's content mirrored in memory: reading a chat's
/// state (every update) costs no query, and a state is written only when it changes. Only this
/// storage writes the table, and one chat's updates are handled one at a time, so the mirror
/// cannot go stale; a failed write forgets the chat so the next read asks the database.
///
/// Writes are group-committed: a change returns once it is in the table, but changes from many
/// chats that arrive while one write runs go together in the next (one statement for all), so
/// under load a step costs a share of a statement instead of one.
pub struct DbStorage {
    store: Store,
    /// `None`: known to have no row (idle).
    known: Mutex<HashMap<i64, Option<State>>>,
    pending: Mutex<Pending>,
    /// Held by the one caller writing a batch; the others queue here in arrival order.
    writing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Pending {
    /// Changes not yet written, latest per chat (JSON; `None`: idle).
    changes: HashMap<i64, Option<String>>,
    /// The batch now filling; batches up to `written` are in the table.
    batch: u64,
    written: u64,
    /// The last batch that failed to write, and why.
    failed: Option<(u64, String)>,
}

/// Beyond this many chats the mirror starts over: memory stays bounded.
const MAX_MIRRORED: usize = 50_000;

impl DbStorage {
    pub fn new(store: Store) -> DbStorage {
        DbStorage {
            store,
            known: Mutex::new(HashMap::new()),
            pending: Mutex::new(Pending::default()),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    pub fn erased(store: Store) -> Arc<ErasedStorage<State>> {
        Arc::new(DbStorage::new(store)).erase()
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Option<State>>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn remember(&self, chat: i64, state: Option<State>) {
        let mut k = self.known();
        if k.len() >= MAX_MIRRORED && !k.contains_key(&chat) {
            k.clear();
        }
        k.insert(chat, state);
    }

    /// Records the change and returns once the batch holding it is written.
    async fn write(&self, chat: i64, state: Option<State>) -> Result<(), StoreError> {
        let json = match &state {
            Some(s) => Some(serde_json::to_string(s).map_err(|e| StoreError::DialogueNotSaved(e.to_string()))?),
            None => None,
        };
        self.remember(chat, state);
        let mine = {
            let mut p = self.pending();
            p.changes.insert(chat, json);
            p.batch
        };
        let _turn = self.writing.lock().await;
        let (changes, batch) = {
            let mut p = self.pending();
            if p.written > mine {
                // Someone else wrote our batch while we queued.
                return match &p.failed {
                    Some((b, e)) if *b == mine => Err(StoreError::DialogueNotSaved(e.clone())),
                    _ => Ok(()),
                };
            }
            let changes: Vec<(i64, Option<String>)> = p.changes.drain().collect();
            p.batch += 1;
            (changes, mine)
        };
        let res = self.store.save_dialogues(&changes).await;
        let mut p = self.pending();
        p.written = batch + 1;
        if let Err(e) = &res {
            p.failed = Some((batch, e.to_string()));
            // The table has the older states: let the next reads ask it.
            let mut k = self.known();
            for (c, _) in &changes {
                k.remove(c);
            }
        }
        res
    }
}

impl Storage<State> for DbStorage {
    type Error = StoreError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFut<Result<(), StoreError>> {
        Box::pin(async move { self.write(chat_id.0, None).await })
    }

    fn update_dialogue(self: Arc<Self>, chat_id: ChatId, dialogue: State) -> BoxFut<Result<(), StoreError>> {
        Box::pin(async move {
            let next = (dialogue != State::Idle).then_some(dialogue);
            if self.known().get(&chat_id.0) == Some(&next) {
                return Ok(());
            }
            self.write(chat_id.0, next).await
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFut<Result<Option<State>, StoreError>> {
        Box::pin(async move {
            if let Some(state) = self.known().get(&chat_id.0) {
                return Ok(state.clone());
            }
            let state = match self.store.dialogue(chat_id.0).await? {
                None => None,
                // A state saved by an older version that no longer decodes starts the chat afresh
                // instead of stranding it.
                Some(json) => match serde_json::from_str(&json) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::warn!(chat = chat_id.0, error = %e, "dropping undecodable dialogue state");
                        None
                    }
                },
            };
            self.remember(chat_id.0, state.clone());
            Ok(state)
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
            msg: MessageId(5),
            card_type: CardType::FourG,
            number: PhoneNumber::from_trusted("213665983439".into()),
            value: Dinars(1000),
            price: Dinars(1050),
            order_ref: "nc-1".into(),
        };
        let storage = Arc::new(DbStorage::new(store.clone()));
        storage.clone().update_dialogue(ChatId(9), s.clone()).await.unwrap();
        let fresh = Arc::new(DbStorage::new(store.clone()));
        assert_eq!(fresh.clone().get_dialogue(ChatId(9)).await.unwrap(), Some(s));
        fresh.clone().update_dialogue(ChatId(9), State::Idle).await.unwrap();
        assert_eq!(fresh.clone().get_dialogue(ChatId(9)).await.unwrap(), None);
        store.save_dialogue(9, r#"{"step":"Vanished"}"#).await.unwrap();
        let after_upgrade = Arc::new(DbStorage::new(store.clone()));
        assert_eq!(after_upgrade.get_dialogue(ChatId(9)).await.unwrap(), None);
    }

    /// The mirror answers reads, and every change still reaches the table at once (a restart,
    /// i.e. a new storage on the same file, sees it).
    #[tokio::test]
    async fn changes_are_written_through_and_reads_come_from_memory() {
        let (store, _d) = temp_store().await;
        let storage = Arc::new(DbStorage::new(store.clone()));
        let choosing = State::ChoosingType { msg: MessageId(3) };
        assert_eq!(storage.clone().get_dialogue(ChatId(4)).await.unwrap(), None);
        storage.clone().update_dialogue(ChatId(4), choosing.clone()).await.unwrap();
        assert_eq!(store.dialogue(4).await.unwrap().as_deref(), Some(r#"{"step":"ChoosingType","msg":3}"#));
        // Changed behind the storage's back (only tests do that): the mirror still answers.
        store.remove_dialogue(4).await.unwrap();
        assert_eq!(storage.clone().get_dialogue(ChatId(4)).await.unwrap(), Some(choosing.clone()));
        // The same state again is not rewritten; a different one is.
        storage.clone().update_dialogue(ChatId(4), choosing.clone()).await.unwrap();
        assert_eq!(store.dialogue(4).await.unwrap(), None);
        let entering = State::EnteringNumber { msg: MessageId(3), card_type: CardType::Adsl };
        storage.clone().update_dialogue(ChatId(4), entering.clone()).await.unwrap();
        let restarted = Arc::new(DbStorage::new(store.clone()));
        assert_eq!(restarted.clone().get_dialogue(ChatId(4)).await.unwrap(), Some(entering));
        storage.clone().remove_dialogue(ChatId(4)).await.unwrap();
        assert_eq!(store.dialogue(4).await.unwrap(), None);
        assert_eq!(storage.get_dialogue(ChatId(4)).await.unwrap(), None);
    }

    /// Many chats changing at once: every change is in the table when its call returns, and
    /// calls that queued behind a write share the next one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_changes_are_all_written_before_they_return() {
        let (store, _d) = temp_store().await;
        let storage = Arc::new(DbStorage::new(store.clone()));
        let mut tasks = tokio::task::JoinSet::new();
        for chat in 0..300i64 {
            let storage = storage.clone();
            tasks.spawn(async move {
                for msg in 0..3 {
                    storage
                        .clone()
                        .update_dialogue(ChatId(chat), State::ChoosingType { msg: MessageId(msg) })
                        .await
                        .unwrap();
                }
                if chat % 2 == 0 {
                    storage.clone().update_dialogue(ChatId(chat), State::Idle).await.unwrap();
                }
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        let restarted = Arc::new(DbStorage::new(store.clone()));
        for chat in 0..300i64 {
            let want = (chat % 2 == 1).then_some(State::ChoosingType { msg: MessageId(2) });
            assert_eq!(restarted.clone().get_dialogue(ChatId(chat)).await.unwrap(), want, "chat {chat}");
        }
        let p = storage.pending();
        assert!(p.changes.is_empty());
        // One write per change would be 1,050 batches; sharing gives a handful (5 measured).
        assert!(p.written < 100, "writes were shared: {} batches for 1,050 changes", p.written);
    }

    #[tokio::test]
    async fn a_failed_write_is_reported_and_the_mirror_forgets_it() {
        let (store, _d) = temp_store().await;
        let storage = Arc::new(DbStorage::new(store.clone()));
        storage.clone().update_dialogue(ChatId(1), State::ChoosingType { msg: MessageId(1) }).await.unwrap();
        sqlx::query("DROP TABLE dialogues").execute(store.pool()).await.unwrap();
        let res = storage.clone().update_dialogue(ChatId(1), State::ChoosingType { msg: MessageId(2) }).await;
        assert!(res.is_err());
        assert!(!storage.known().contains_key(&1), "the next read asks the table");
    }

    /// Every variant as the earlier version wrote it (i64/String fields) decodes to the typed
    /// state and is written back the same way, so no stored dialogue is lost on upgrade.
    #[test]
    fn rows_written_by_earlier_versions_still_decode() {
        let number = || PhoneNumber::from_trusted("213665983439".into());
        let rows = [
            (r#"{"step":"Idle"}"#, State::Idle),
            (r#"{"step":"ChoosingType","msg":3}"#, State::ChoosingType { msg: MessageId(3) }),
            (
                r#"{"step":"EnteringNumber","msg":4,"card_type":"ADSL"}"#,
                State::EnteringNumber { msg: MessageId(4), card_type: CardType::Adsl },
            ),
            (
                r#"{"step":"ChoosingValue","msg":6,"card_type":"4G","number":"213665983439"}"#,
                State::ChoosingValue { msg: MessageId(6), card_type: CardType::FourG, number: number() },
            ),
            (
                r#"{"step":"Confirming","msg":5,"card_type":"4G","number":"213665983439","value":1000,"price":1050,"order_ref":"nc-1"}"#,
                State::Confirming {
                    msg: MessageId(5),
                    card_type: CardType::FourG,
                    number: number(),
                    value: Dinars(1000),
                    price: Dinars(1050),
                    order_ref: "nc-1".into(),
                },
            ),
            (r#"{"step":"BroadcastCompose"}"#, State::BroadcastCompose),
            (
                r#"{"step":"BroadcastConfirm","msg":9,"from_chat":77,"message_id":12,"audience":"lang:fr"}"#,
                State::BroadcastConfirm {
                    msg: MessageId(9),
                    from_chat: ChatId(77),
                    message_id: MessageId(12),
                    audience: Audience::Language(crate::i18n::Lang::Fr),
                },
            ),
        ];
        for (json, state) in rows {
            assert_eq!(serde_json::from_str::<State>(json).unwrap(), state, "{json}");
            assert_eq!(serde_json::to_string(&state).unwrap(), json, "written back as before");
        }
        // Rows from before the audience was kept: everyone.
        let old = r#"{"step":"BroadcastConfirm","msg":9,"from_chat":77,"message_id":12}"#;
        let decoded: State = serde_json::from_str(old).unwrap();
        assert!(matches!(decoded, State::BroadcastConfirm { audience: Audience::Everyone, .. }));
    }

    /// Every variant says which message holds its buttons and what it waits for. The match is
    /// exhaustive: a new step does not compile here until it is listed.
    #[test]
    fn each_step_knows_its_message_and_what_it_awaits() {
        let m = MessageId(8);
        let number = PhoneNumber::from_trusted("036362608".into());
        let all = [
            State::Idle,
            State::ChoosingType { msg: m },
            State::EnteringNumber { msg: m, card_type: CardType::Adsl },
            State::ChoosingValue { msg: m, card_type: CardType::Adsl, number: number.clone() },
            State::Confirming {
                msg: m,
                card_type: CardType::Adsl,
                number,
                value: Dinars(500),
                price: Dinars(500),
                order_ref: "r".into(),
            },
            State::BroadcastCompose,
            State::BroadcastConfirm {
                msg: m,
                from_chat: ChatId(1),
                message_id: MessageId(2),
                audience: Audience::Everyone,
            },
            State::TopupChoosing { msg: m },
            State::TopupAmount { msg: m, online: true },
            State::TopupReceipt { amount: Dinars(1500) },
            State::TopupAdminAmount { topup_id: 3 },
            State::TopupAdminReason { topup_id: 3 },
        ];
        let mut seen = std::collections::HashSet::new();
        for s in &all {
            let (wizard, awaits) = match s {
                State::Idle => (None, Awaits::Nothing),
                State::ChoosingType { .. } => (Some(m), Awaits::Buttons),
                State::EnteringNumber { .. } => (Some(m), Awaits::Message),
                State::ChoosingValue { .. } => (Some(m), Awaits::Buttons),
                State::Confirming { .. } => (Some(m), Awaits::Buttons),
                State::BroadcastCompose => (None, Awaits::Message),
                State::BroadcastConfirm { .. } => (Some(m), Awaits::Buttons),
                State::TopupChoosing { .. } => (Some(m), Awaits::Buttons),
                State::TopupAmount { .. } => (Some(m), Awaits::Message),
                State::TopupReceipt { .. } | State::TopupAdminAmount { .. } | State::TopupAdminReason { .. } => {
                    (None, Awaits::Message)
                }
            };
            assert_eq!((s.wizard_msg(), s.awaits()), (wizard, awaits), "{s:?}");
            seen.insert(std::mem::discriminant(s));
        }
        assert_eq!(seen.len(), all.len(), "one sample per variant");
    }
}
