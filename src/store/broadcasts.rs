//! Broadcast jobs with one row per recipient, so a restart goes on where it stopped.
use super::audit::AuditEntry;
use super::{Store, StoreError, now_ms};
use crate::i18n::Lang;

/// Who a broadcast goes to. Unreachable and banned users are always left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Language(Lang),
    Resellers,
}

impl Audience {
    pub fn encode(&self) -> String {
        match self {
            Audience::Everyone => "all".into(),
            Audience::Language(l) => format!("lang:{}", l.code()),
            Audience::Resellers => "resellers".into(),
        }
    }

    pub fn decode(s: &str) -> Option<Audience> {
        match s {
            "all" | "" => Some(Audience::Everyone),
            "resellers" => Some(Audience::Resellers),
            _ => s.strip_prefix("lang:").and_then(Lang::from_code).map(Audience::Language),
        }
    }

    /// The WHERE clause over `users` and its one optional bind.
    fn filter(&self) -> (&'static str, Option<String>) {
        match self {
            Audience::Everyone => ("banned = 0 AND unreachable = 0", None),
            Audience::Language(l) => ("banned = 0 AND unreachable = 0 AND language = ?", Some(l.code().to_owned())),
            Audience::Resellers => ("banned = 0 AND unreachable = 0 AND role = 'reseller'", None),
        }
    }
}

crate::domain::text_enum! {
    /// Where a broadcast job stands.
    pub enum BroadcastStatus {
        Running = "running",
        Done = "done",
        Cancelled = "cancelled",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastJob {
    pub id: i64,
    pub admin_id: i64,
    pub from_chat_id: i64,
    pub from_message_id: i32,
    pub audience: Audience,
    pub status: BroadcastStatus,
    pub progress_chat_id: Option<i64>,
    pub progress_message_id: Option<i32>,
    pub total: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BroadcastProgress {
    pub sent: i64,
    pub failed: i64,
    pub blocked: i64,
    pub pending: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientStatus {
    Sent,
    Failed,
    Blocked,
}

impl RecipientStatus {
    fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Sent => "sent",
            RecipientStatus::Failed => "failed",
            RecipientStatus::Blocked => "blocked",
        }
    }
}

type JobRow = (i64, i64, i64, i32, String, String, Option<i64>, Option<i32>, i64, i64);

fn job(r: JobRow) -> BroadcastJob {
    BroadcastJob {
        id: r.0,
        admin_id: r.1,
        from_chat_id: r.2,
        from_message_id: r.3,
        // An audience this version cannot read goes to nobody new: the rows are already written.
        audience: Audience::decode(&r.4).unwrap_or(Audience::Everyone),
        // The CHECK constraint admits no other text; a job we cannot read is treated as over.
        status: BroadcastStatus::parse(&r.5).unwrap_or(BroadcastStatus::Done),
        progress_chat_id: r.6,
        progress_message_id: r.7,
        total: r.8,
        created_at: r.9,
    }
}

fn draft_key(admin_id: i64) -> String {
    format!("broadcast_audience:{admin_id}")
}

const JOB_COLUMNS: &str = "id, admin_id, from_chat_id, from_message_id, audience, status, progress_chat_id, progress_message_id, total, created_at";

impl Store {
    pub async fn audience_size(&self, audience: &Audience) -> Result<i64, StoreError> {
        let (filter, bind) = audience.filter();
        let sql = format!("SELECT COUNT(*) FROM users WHERE {filter}");
        let mut q = sqlx::query_as::<_, (i64,)>(&sql);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        Ok(q.fetch_one(&self.pool).await?.0)
    }

    /// Creates the job and its recipient rows in one transaction.
    pub async fn create_broadcast(
        &self,
        admin_id: i64,
        from_chat_id: i64,
        from_message_id: i32,
        audience: &Audience,
        progress_chat_id: i64,
        progress_message_id: i32,
    ) -> Result<BroadcastJob, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO broadcasts (admin_id, from_chat_id, from_message_id, audience, status, progress_chat_id,
                                     progress_message_id, created_at)
             VALUES (?, ?, ?, ?, 'running', ?, ?, ?) RETURNING id",
        )
        .bind(admin_id)
        .bind(from_chat_id)
        .bind(from_message_id)
        .bind(audience.encode())
        .bind(progress_chat_id)
        .bind(progress_message_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let (filter, bind) = audience.filter();
        let sql = format!(
            "INSERT INTO broadcast_recipients (broadcast_id, user_id, status, updated_at)
             SELECT ?, id, 'pending', ? FROM users WHERE {filter}"
        );
        let mut q = sqlx::query(&sql).bind(id).bind(now);
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let total = q.execute(&mut *tx).await?.rows_affected() as i64;
        sqlx::query("UPDATE broadcasts SET total = ? WHERE id = ?").bind(total).bind(id).execute(&mut *tx).await?;
        // Audited with the job, in its transaction.
        let entry = super::audit::AuditEntry {
            admin_id,
            action: "broadcast".into(),
            target: Some(format!("broadcast:{id}")),
            before: None,
            after: Some(format!("{} {total}", audience.encode())),
        };
        super::audit::record(&mut tx, &entry).await?;
        let row: JobRow = sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM broadcasts WHERE id = ?"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(job(row))
    }

    pub async fn running_broadcasts(&self) -> Result<Vec<BroadcastJob>, StoreError> {
        let rows: Vec<JobRow> =
            sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM broadcasts WHERE status = 'running' ORDER BY id"))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(job).collect())
    }

    pub async fn broadcast(&self, id: i64) -> Result<Option<BroadcastJob>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM broadcasts WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(job))
    }

    /// After a crash, rows caught mid-send may or may not have been delivered; they are never
    /// retried, so nobody gets the message twice.
    pub async fn settle_interrupted_sends(&self, job_id: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("UPDATE broadcast_recipients SET status = 'unknown', updated_at = ? WHERE broadcast_id = ? AND status = 'sending'")
            .bind(now_ms())
            .bind(job_id)
            .execute(&self.writer)
            .await?
            .rows_affected())
    }

    /// Up to `limit` recipients still to send, in a stable order. Reading them claims nothing.
    pub async fn pending_recipients(&self, job_id: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT user_id FROM broadcast_recipients WHERE broadcast_id = ? AND status = 'pending'
             ORDER BY user_id LIMIT ?",
        )
        .bind(job_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Marks one recipient 'sending', committed before its request goes out: a crash can then
    /// lose at most this one recipient, never send to it twice. False if it was not pending, or
    /// if the job is no longer running: the job's status is checked in the same statement, so
    /// once a cancel has committed no recipient can be claimed (and no copy sent) after it.
    pub async fn claim_recipient(&self, job_id: i64, user_id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE broadcast_recipients SET status = 'sending', updated_at = ?1
             WHERE broadcast_id = ?2 AND user_id = ?3 AND status = 'pending'
               AND EXISTS (SELECT 1 FROM broadcasts WHERE id = ?2 AND status = 'running')",
        )
        .bind(now_ms())
        .bind(job_id)
        .bind(user_id)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Waits (at most `bound`) until none of the jobs' recipients is mid-send, e.g. before a
    /// cancel is acknowledged, so no copy claimed before the cancel arrives after it. False if
    /// some are still in flight at the bound.
    pub async fn wait_sends_settled(&self, job_ids: &[i64], bound: std::time::Duration) -> Result<bool, StoreError> {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let mut sending = 0;
            for id in job_ids {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ? AND status = 'sending'",
                )
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
                sending += n;
            }
            if sending == 0 {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Every recipient of a job and its status, by user id.
    pub async fn recipients(&self, job_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT user_id, status FROM broadcast_recipients WHERE broadcast_id = ? ORDER BY user_id")
            .bind(job_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Every job, oldest first.
    pub async fn broadcasts(&self) -> Result<Vec<BroadcastJob>, StoreError> {
        let rows: Vec<JobRow> =
            sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM broadcasts ORDER BY id")).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(job).collect())
    }

    /// The message that shows a job's progress, when it had to be sent anew.
    pub async fn set_progress_message(&self, job_id: i64, chat_id: i64, message_id: i32) -> Result<(), StoreError> {
        sqlx::query("UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?")
            .bind(chat_id)
            .bind(message_id)
            .bind(job_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The audience an admin picked with `/broadcast <audience>`, for the message they send next.
    pub async fn set_broadcast_draft(&self, admin_id: i64, audience: &Audience) -> Result<(), StoreError> {
        self.set_setting(&draft_key(admin_id), &audience.encode()).await
    }

    pub async fn broadcast_draft(&self, admin_id: i64) -> Result<Audience, StoreError> {
        Ok(self.setting(&draft_key(admin_id)).await?.and_then(|s| Audience::decode(&s)).unwrap_or(Audience::Everyone))
    }

    /// Records a recipient's outcome; a blocked recipient is marked unreachable in the same transaction.
    pub async fn finish_recipient(&self, job_id: i64, user_id: i64, status: RecipientStatus) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE broadcast_recipients SET status = ?, updated_at = ? WHERE broadcast_id = ? AND user_id = ?",
        )
        .bind(status.as_str())
        .bind(now_ms())
        .bind(job_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if status == RecipientStatus::Blocked {
            sqlx::query("UPDATE users SET unreachable = 1 WHERE id = ?").bind(user_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        if status == RecipientStatus::Blocked {
            // Their next message must clear the flag again, not be answered from the cache.
            self.members.forget(user_id);
        }
        Ok(())
    }

    /// A recipient claimed but not sent (shutdown, or a 429 before the request counted) goes back to pending.
    pub async fn unclaim_recipient(&self, job_id: i64, user_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE broadcast_recipients SET status = 'pending' WHERE broadcast_id = ? AND user_id = ? AND status = 'sending'")
            .bind(job_id)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn broadcast_progress(&self, job_id: i64) -> Result<BroadcastProgress, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ? GROUP BY status")
                .bind(job_id)
                .fetch_all(&self.pool)
                .await?;
        let mut p = BroadcastProgress::default();
        for (status, n) in rows {
            match status.as_str() {
                "sent" => p.sent += n,
                "failed" | "unknown" => p.failed += n,
                "blocked" => p.blocked += n,
                _ => p.pending += n,
            }
        }
        Ok(p)
    }

    pub async fn finish_broadcast(&self, job_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id = ? AND status = 'running'")
            .bind(now_ms())
            .bind(job_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Stops a job; its pending recipients are never sent. True if it was running; then the stop
    /// is audited under `admin_id` (`broadcast-cancel`) in the same transaction.
    pub async fn cancel_broadcast(&self, job_id: i64, admin_id: i64) -> Result<bool, StoreError> {
        let mut tx = self.write_tx().await?;
        let r = sqlx::query(
            "UPDATE broadcasts SET status = 'cancelled', finished_at = ? WHERE id = ? AND status = 'running'",
        )
        .bind(now_ms())
        .bind(job_id)
        .execute(&mut *tx)
        .await?;
        let stopped = r.rows_affected() == 1;
        if stopped {
            let entry = AuditEntry {
                admin_id,
                action: super::panel::AUDIT_BROADCAST_CANCEL.into(),
                target: Some(format!("broadcast:{job_id}")),
                before: Some("running".into()),
                after: Some("cancelled".into()),
            };
            super::audit::record(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(stopped)
    }

    /// Stops every running job; returns their ids. Audited under `admin_id` in the same
    /// transaction when any was running: before, the ids that ran; after, none.
    pub async fn cancel_running_broadcasts(&self, admin_id: i64) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.write_tx().await?;
        let rows: Vec<(i64,)> = sqlx::query_as(
            "UPDATE broadcasts SET status = 'cancelled', finished_at = ? WHERE status = 'running' RETURNING id",
        )
        .bind(now_ms())
        .fetch_all(&mut *tx)
        .await?;
        let mut ids: Vec<i64> = rows.into_iter().map(|r| r.0).collect();
        ids.sort_unstable();
        if !ids.is_empty() {
            let entry = AuditEntry {
                admin_id,
                action: super::panel::AUDIT_BROADCAST_CANCEL.into(),
                target: Some("broadcasts".into()),
                before: Some(ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")),
                after: Some(String::new()),
            };
            super::audit::record(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;
    use crate::store::NewUser;
    use crate::store::testing::temp_store;

    async fn user(s: &Store, id: i64, language: Lang) {
        s.touch_user(&NewUser {
            id,
            first_name: format!("U{id}"),
            last_name: None,
            username: None,
            language,
            is_admin: false,
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn audiences_leave_out_banned_and_unreachable_users() {
        let (s, _d) = temp_store().await;
        for (id, l) in [(1, Lang::En), (2, Lang::Fr), (3, Lang::Fr), (4, Lang::Ar), (5, Lang::Ar)] {
            user(&s, id, l).await;
        }
        s.set_banned(1, 3, true).await.unwrap();
        s.set_unreachable(5, true).await.unwrap();
        s.set_role(1, 4, Role::Reseller).await.unwrap();
        assert_eq!(s.audience_size(&Audience::Everyone).await.unwrap(), 3);
        assert_eq!(s.audience_size(&Audience::Language(Lang::Fr)).await.unwrap(), 1);
        assert_eq!(s.audience_size(&Audience::Resellers).await.unwrap(), 1);
        for a in [Audience::Everyone, Audience::Language(Lang::Ar), Audience::Resellers] {
            assert_eq!(Audience::decode(&a.encode()), Some(a));
        }
        assert_eq!(s.broadcast_draft(9).await.unwrap(), Audience::Everyone);
        s.set_broadcast_draft(9, &Audience::Resellers).await.unwrap();
        assert_eq!(s.broadcast_draft(9).await.unwrap(), Audience::Resellers);
    }

    #[tokio::test]
    async fn a_recipient_is_claimed_once_and_a_crash_mid_send_is_never_retried() {
        let (s, _d) = temp_store().await;
        for id in 1..=3 {
            user(&s, id, Lang::En).await;
        }
        let job = s.create_broadcast(1, 1, 10, &Audience::Everyone, 1, 11).await.unwrap();
        assert_eq!((job.total, job.audience.clone()), (3, Audience::Everyone));
        assert_eq!(s.pending_recipients(job.id, 10).await.unwrap(), vec![1, 2, 3]);
        assert!(s.claim_recipient(job.id, 1).await.unwrap());
        assert!(!s.claim_recipient(job.id, 1).await.unwrap(), "claimed twice");
        s.finish_recipient(job.id, 1, RecipientStatus::Sent).await.unwrap();
        assert!(s.claim_recipient(job.id, 2).await.unwrap());
        s.unclaim_recipient(job.id, 2).await.unwrap();
        assert!(s.claim_recipient(job.id, 2).await.unwrap());
        s.finish_recipient(job.id, 2, RecipientStatus::Blocked).await.unwrap();
        assert!(s.user(2).await.unwrap().unwrap().unreachable);
        // The process dies with recipient 3 marked 'sending'.
        assert!(s.claim_recipient(job.id, 3).await.unwrap());
        assert_eq!(s.settle_interrupted_sends(job.id).await.unwrap(), 1);
        assert!(s.pending_recipients(job.id, 10).await.unwrap().is_empty());
        let p = s.broadcast_progress(job.id).await.unwrap();
        assert_eq!((p.sent, p.blocked, p.failed, p.pending), (1, 1, 1, 0));
        s.set_progress_message(job.id, 1, 42).await.unwrap();
        assert_eq!(s.broadcast(job.id).await.unwrap().unwrap().progress_message_id, Some(42));
        assert!(s.cancel_broadcast(job.id, 7).await.unwrap());
        assert!(!s.cancel_broadcast(job.id, 7).await.unwrap());
        assert_eq!(s.broadcasts().await.unwrap()[0].status, BroadcastStatus::Cancelled);
        // The stop is audited with it, once (the newest entry; the creation is the one before).
        let f = crate::store::audit::AuditFilter { limit: 10, ..Default::default() };
        let got: Vec<_> =
            s.audit_page(&f).await.unwrap().into_iter().map(|r| (r.admin_id, r.action, r.after)).collect();
        assert_eq!(got[0], (7, "broadcast-cancel".to_owned(), Some("cancelled".to_owned())));
        assert_eq!(got.iter().filter(|r| r.1 == "broadcast-cancel").count(), 1);
    }

    #[tokio::test]
    async fn nobody_is_claimed_once_the_job_is_cancelled() {
        let (s, _d) = temp_store().await;
        for id in 1..=3 {
            user(&s, id, Lang::En).await;
        }
        let job = s.create_broadcast(1, 1, 10, &Audience::Everyone, 1, 11).await.unwrap();
        assert!(s.claim_recipient(job.id, 1).await.unwrap());
        assert_eq!(s.cancel_running_broadcasts(1).await.unwrap(), vec![job.id]);
        assert!(!s.claim_recipient(job.id, 2).await.unwrap(), "claimed after the cancel");
        // The one claimed before the cancel is waited for, within the bound.
        assert!(!s.wait_sends_settled(&[job.id], std::time::Duration::from_millis(30)).await.unwrap());
        s.finish_recipient(job.id, 1, RecipientStatus::Sent).await.unwrap();
        assert!(s.wait_sends_settled(&[job.id], std::time::Duration::from_millis(30)).await.unwrap());
        assert_eq!(s.pending_recipients(job.id, 10).await.unwrap(), vec![2, 3]);
    }
}
