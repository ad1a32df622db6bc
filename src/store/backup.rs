//! A consistent copy of the database while the bot runs, and the write probe behind `/readyz`.
use super::{Store, StoreError};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists; choose a new file")]
    Exists(PathBuf),
    #[error("the file name {0} is not valid UTF-8")]
    NotUtf8(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Writes a copy of the database to `dest` with `VACUUM INTO`: one read transaction, so the copy
    /// holds exactly what was committed when it began, while the bot keeps writing (WAL).
    /// An existing `dest` is refused, never overwritten.
    pub async fn backup_into(&self, dest: &Path) -> Result<(), BackupError> {
        if dest.exists() {
            return Err(BackupError::Exists(dest.to_owned()));
        }
        let name = dest.to_str().ok_or_else(|| BackupError::NotUtf8(dest.to_owned()))?;
        // SQLite also refuses a non-empty target; the check above only makes the message clear.
        sqlx::query("VACUUM INTO ?").bind(name).execute(&self.pool).await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Takes the write lock and lets it go without changing anything: fails when the file cannot
    /// be written (read-only, disk gone) or another writer holds it past the busy timeout.
    pub async fn probe_write(&self) -> Result<(), StoreError> {
        let tx = self.write_tx().await?;
        tx.rollback().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::CardType;
    use crate::store::testing::{customer, temp_store};
    use crate::store::{NewOrder, PlaceOutcome};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn order(user_id: i64, n: i64) -> NewOrder {
        NewOrder {
            r#ref: format!("bk-{user_id}-{n}"),
            user_id,
            chat_id: user_id,
            message_id: None,
            card_type: CardType::Adsl,
            number: "036000000".into(),
            value: crate::domain::Dinars(500),
            price: crate::domain::Dinars(500),
            cost: None,
            fast_window_ms: 60_000,
        }
    }

    #[tokio::test]
    async fn a_copy_taken_while_orders_flow_holds_every_committed_order() {
        let (store, dir) = temp_store().await;
        customer(&store, 7, 1_000_000).await;
        let stop = Arc::new(AtomicBool::new(false));
        let placed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = tokio::spawn({
            let (store, stop, placed) = (store.clone(), stop.clone(), placed.clone());
            async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    match store.place_order_with_hold(&order(7, n)).await.unwrap() {
                        PlaceOutcome::Placed { order, .. } => placed.lock().unwrap().push(order.r#ref),
                        other => panic!("{other:?}"),
                    }
                    tokio::task::yield_now().await;
                }
            }
        });
        // Some orders first, so the copy has something to hold; then the copy while they go on.
        while placed.lock().unwrap().len() < 20 {
            tokio::task::yield_now().await;
        }
        let committed_before: Vec<String> = placed.lock().unwrap().clone();
        let dest = dir.path().join("backup.db");
        store.backup_into(&dest).await.unwrap();
        stop.store(true, Ordering::SeqCst);
        writer.await.unwrap();

        let copy = Store::open(&format!("sqlite://{}", dest.display())).await.unwrap();
        assert_eq!(copy.ledger_mismatches().await.unwrap(), Vec::<i64>::new());
        for r in &committed_before {
            assert!(copy.order_by_ref(r).await.unwrap().is_some(), "order {r} missing from the copy");
        }
        let held = copy.balances(7).await.unwrap();
        let orders_in_copy = copy.count_orders_of_user(7).await.unwrap();
        assert_eq!(held.held.get(), 500 * orders_in_copy, "holds match the orders the copy holds");
    }

    #[tokio::test]
    async fn an_existing_file_is_never_overwritten() {
        let (store, dir) = temp_store().await;
        let dest = dir.path().join("precious.db");
        std::fs::write(&dest, "keep me").unwrap();
        let e = store.backup_into(&dest).await.unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "keep me");
    }

    #[tokio::test]
    async fn the_write_probe_passes_on_a_writable_database() {
        let (store, _dir) = temp_store().await;
        store.probe_write().await.unwrap();
        store.close().await;
        assert!(store.probe_write().await.is_err(), "a closed store is not writable");
    }
}
