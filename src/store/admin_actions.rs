//! Credits and debits typed by an admin: written as pending when the preview is shown, carried out
//! once when Confirm is pressed. The pending row is the guard: it is decided in the same
//! transaction as the ledger row, so a double tap, a replayed update or a restart moves money once.
use super::audit::{self, AuditEntry};
use super::ledger::{self, Balances, LedgerKind, Reason};
use super::{Store, StoreError, now_ms};
use crate::domain::Dinars;

/// Which way the money goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminMove {
    Credit,
    Debit,
}

impl AdminMove {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminMove::Credit => "credit",
            AdminMove::Debit => "debit",
        }
    }

    fn parse(s: &str) -> Option<AdminMove> {
        [AdminMove::Credit, AdminMove::Debit].into_iter().find(|k| k.as_str() == s)
    }

    /// The change to the spendable balance.
    fn balance_delta(self, amount: Dinars) -> i64 {
        match self {
            AdminMove::Credit => amount.get(),
            AdminMove::Debit => -amount.get(),
        }
    }

    fn ledger_kind(self) -> LedgerKind {
        match self {
            AdminMove::Credit => LedgerKind::Credit,
            AdminMove::Debit => LedgerKind::Debit,
        }
    }
}

/// A movement shown to the admin and waiting for Confirm or Cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMove {
    pub id: i64,
    pub admin_id: i64,
    pub kind: AdminMove,
    pub user_id: i64,
    pub amount: Dinars,
    pub note: Option<String>,
}

/// What a Confirm press did.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// The money moved, now.
    Done { action: PendingMove, balances: Balances },
    /// Decided before (a second tap, or cancelled): nothing moved this time.
    AlreadyDecided,
    /// A debit larger than the spendable balance: nothing moved, the action is closed.
    Refused { action: PendingMove, available: Dinars },
}

type Row = (i64, i64, String, i64, i64, Option<String>);

fn from_row((id, admin_id, kind, user_id, amount, note): Row) -> Result<PendingMove, StoreError> {
    let kind = AdminMove::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("admin action kind {kind}")))?;
    Ok(PendingMove { id, admin_id, kind, user_id, amount: Dinars(amount), note })
}

impl Store {
    /// Writes the movement as pending (nothing moves yet); its id goes into the Confirm button.
    pub async fn propose_admin_move(
        &self,
        admin_id: i64,
        kind: AdminMove,
        user_id: i64,
        amount: Dinars,
        note: Option<&str>,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO admin_actions (admin_id, kind, user_id, amount, note, created_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(admin_id)
        .bind(kind.as_str())
        .bind(user_id)
        .bind(amount.get())
        .bind(note)
        .bind(now_ms())
        .fetch_one(&self.writer)
        .await?;
        Ok(id)
    }

    /// Carries out a pending movement, once: the action is marked done in the transaction that
    /// writes the ledger row. Only the admin who typed it may confirm it.
    pub async fn confirm_admin_move(&self, id: i64, admin_id: i64) -> Result<ConfirmOutcome, StoreError> {
        let mut tx = self.write_tx().await?;
        let now = now_ms();
        let row: Option<Row> = sqlx::query_as(
            "UPDATE admin_actions SET status = 'done', decided_at = ?1
             WHERE id = ?2 AND admin_id = ?3 AND status = 'pending'
             RETURNING id, admin_id, kind, user_id, amount, note",
        )
        .bind(now)
        .bind(id)
        .bind(admin_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(ConfirmOutcome::AlreadyDecided) };
        let action = from_row(row)?;
        let reason = Reason { admin_id: Some(admin_id), note: action.note.as_deref(), ..Default::default() };
        match ledger::apply(&mut tx, action.user_id, action.kind.ledger_kind(), action.amount, reason).await {
            Ok(balances) => {
                let entry = AuditEntry {
                    admin_id,
                    action: action.kind.as_str().into(),
                    target: Some(format!("user:{}", action.user_id)),
                    before: Some((balances.balance.get() - action.kind.balance_delta(action.amount)).to_string()),
                    after: Some(balances.balance.to_string()),
                };
                audit::record(&mut tx, &entry).await?;
                tx.commit().await?;
                Ok(ConfirmOutcome::Done { action, balances })
            }
            Err(StoreError::InsufficientFunds { available }) => {
                // The failed ledger write left nothing; only the action is closed.
                sqlx::query("UPDATE admin_actions SET status = 'refused' WHERE id = ?")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(ConfirmOutcome::Refused { action, available })
            }
            Err(e) => Err(e),
        }
    }

    /// Closes a pending movement without moving money. False if it was already decided.
    pub async fn cancel_admin_move(&self, id: i64, admin_id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE admin_actions SET status = 'cancelled', decided_at = ?1
             WHERE id = ?2 AND admin_id = ?3 AND status = 'pending'",
        )
        .bind(now_ms())
        .bind(id)
        .bind(admin_id)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{customer, temp_store};

    #[tokio::test]
    async fn a_pending_move_is_carried_out_once() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        let id = s.propose_admin_move(1, AdminMove::Credit, 5, Dinars(1500), Some("cash")).await.unwrap();
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 0, "a preview moves nothing");
        assert_eq!(s.confirm_admin_move(id, 2).await.unwrap(), ConfirmOutcome::AlreadyDecided, "another admin");
        let first = s.confirm_admin_move(id, 1).await.unwrap();
        assert!(matches!(
            first,
            ConfirmOutcome::Done {
                balances: Balances { balance: crate::domain::Dinars(1500), held: crate::domain::Dinars(0) },
                ..
            }
        ));
        assert_eq!(s.confirm_admin_move(id, 1).await.unwrap(), ConfirmOutcome::AlreadyDecided);
        assert!(!s.cancel_admin_move(id, 1).await.unwrap(), "a done move cannot be cancelled");
        let ledger = s.recent_ledger(5, 10).await.unwrap();
        assert_eq!(ledger.len(), 1);
        assert_eq!((ledger[0].admin_id, ledger[0].note.as_deref()), (Some(1), Some("cash")));
        assert!(s.ledger_mismatches().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn cancelled_and_refused_moves_move_nothing() {
        let (s, _d) = temp_store().await;
        customer(&s, 5, 0).await;
        s.credit(5, Dinars(100), 1, None).await.unwrap();
        let c = s.propose_admin_move(1, AdminMove::Credit, 5, Dinars(50), None).await.unwrap();
        assert!(s.cancel_admin_move(c, 1).await.unwrap());
        assert_eq!(s.confirm_admin_move(c, 1).await.unwrap(), ConfirmOutcome::AlreadyDecided);
        let d = s.propose_admin_move(1, AdminMove::Debit, 5, Dinars(101), None).await.unwrap();
        assert!(matches!(
            s.confirm_admin_move(d, 1).await.unwrap(),
            ConfirmOutcome::Refused { available: Dinars(100), .. }
        ));
        assert_eq!(s.confirm_admin_move(d, 1).await.unwrap(), ConfirmOutcome::AlreadyDecided);
        assert_eq!(s.balances(5).await.unwrap().balance.get(), 100);
        assert_eq!(s.recent_ledger(5, 10).await.unwrap().len(), 1);
    }
}
