//! Accounts: one per Telegram user, created on first contact.
//!
//! Every update names its sender, so `touch_user` runs on every update. Who a sender is (names,
//! language, role, ban) changes rarely, so it is kept in memory and the row is written only when
//! something changed or `last_seen_at` is older than `LAST_SEEN_EVERY`. Every write to those
//! columns goes through this store and forgets the cached entry.
use super::audit::AuditEntry;
use super::{Store, StoreError, now_ms};
use crate::domain::{Dinars, Role};
use crate::i18n::Lang;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row};
use std::collections::HashMap;
use std::sync::Mutex;

/// How stale `last_seen_at` may get (it only feeds "active users" in /stats).
const LAST_SEEN_EVERY_MS: i64 = 5 * 60 * 1000;
/// Beyond this many cached senders the cache starts over: memory stays bounded.
const MAX_CACHED: usize = 50_000;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language: Lang,
    pub role: Role,
    pub banned: bool,
    pub unreachable: bool,
    pub balance: Dinars,
    pub held: Dinars,
    pub created_at: i64,
    pub last_seen_at: i64,
}

impl User {
    pub fn display_name(&self) -> String {
        display_name(&self.first_name, &self.last_name, &self.username)
    }
}

/// Who is writing to the bot: what handlers need to answer. No money here: balances are always
/// read fresh from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language: Lang,
    pub role: Role,
    pub banned: bool,
}

impl Member {
    pub fn display_name(&self) -> String {
        display_name(&self.first_name, &self.last_name, &self.username)
    }
}

fn display_name(first: &str, last: &Option<String>, username: &Option<String>) -> String {
    match (last, username) {
        (Some(l), _) => format!("{first} {l}"),
        (None, Some(u)) if first.is_empty() => format!("@{u}"),
        _ => first.to_owned(),
    }
}

impl From<User> for Member {
    fn from(u: User) -> Member {
        Member {
            id: u.id,
            first_name: u.first_name,
            last_name: u.last_name,
            username: u.username,
            language: u.language,
            role: u.role,
            banned: u.banned,
        }
    }
}

/// Senders seen recently, with when their row was last written. `epoch` moves on every
/// eviction, so a `touch_user` that raced with a ban does not put the old profile back.
#[derive(Debug, Default)]
pub(crate) struct MemberCache {
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    members: HashMap<i64, (Member, i64)>,
    epoch: u64,
}

impl MemberCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached profile if the update tells us nothing new and last-seen is fresh enough.
    fn fresh(&self, u: &NewUser, now: i64) -> Result<Member, u64> {
        let c = self.lock();
        match c.members.get(&u.id) {
            Some((m, written))
                if now - written < LAST_SEEN_EVERY_MS
                    && m.first_name == u.first_name
                    && m.last_name == u.last_name
                    && m.username == u.username
                    && (m.role == Role::Admin) == u.is_admin =>
            {
                Ok(m.clone())
            }
            _ => Err(c.epoch),
        }
    }

    fn put(&self, m: Member, written: i64, epoch: u64) {
        let mut c = self.lock();
        if c.epoch != epoch {
            return;
        }
        if c.members.len() >= MAX_CACHED {
            c.members.clear();
        }
        c.members.insert(m.id, (m, written));
    }

    fn language(&self, id: i64) -> Option<Lang> {
        self.lock().members.get(&id).map(|(m, _)| m.language)
    }

    pub(crate) fn forget(&self, id: i64) {
        let mut c = self.lock();
        c.epoch += 1;
        c.members.remove(&id);
    }
}

impl<'r> FromRow<'r, SqliteRow> for User {
    fn from_row(row: &'r SqliteRow) -> Result<Self, sqlx::Error> {
        let lang: String = row.try_get("language")?;
        let role: String = row.try_get("role")?;
        Ok(User {
            id: row.try_get("id")?,
            first_name: row.try_get("first_name")?,
            last_name: row.try_get("last_name")?,
            username: row.try_get("username")?,
            language: Lang::from_code(&lang).unwrap_or_default(),
            role: Role::parse(&role).unwrap_or(Role::Customer),
            banned: row.try_get("banned")?,
            unreachable: row.try_get("unreachable")?,
            balance: row.try_get("balance")?,
            held: row.try_get("held")?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
        })
    }
}

/// What an update tells us about its sender.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// From Telegram's `language_code`; only used when the account is created.
    pub language: Lang,
    /// Whether the id is in `ADMIN_IDS` now: config decides admin rights, not the database.
    pub is_admin: bool,
}

impl Store {
    /// Creates the account on first contact, else refreshes names and last-seen. A user who writes
    /// to us is reachable again. Returns who they are now.
    pub async fn touch_user(&self, u: &NewUser) -> Result<Member, StoreError> {
        let now = now_ms();
        let epoch = match self.members.fresh(u, now) {
            Ok(m) => return Ok(m),
            Err(epoch) => epoch,
        };
        let role_if_new = if u.is_admin { Role::Admin } else { Role::Customer };
        let user: User = sqlx::query_as(
            "INSERT INTO users (id, first_name, last_name, username, language, role, created_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
             ON CONFLICT(id) DO UPDATE SET
                first_name = excluded.first_name, last_name = excluded.last_name,
                username = excluded.username, last_seen_at = excluded.last_seen_at, unreachable = 0,
                role = CASE WHEN ?8 THEN 'admin' WHEN users.role = 'admin' THEN 'customer' ELSE users.role END
             RETURNING *",
        )
        .bind(u.id)
        .bind(&u.first_name)
        .bind(&u.last_name)
        .bind(&u.username)
        .bind(u.language.code())
        .bind(role_if_new.as_str())
        .bind(now)
        .bind(u.is_admin)
        .fetch_one(&mut *self.light_write().await?)
        .await?;
        let member = Member::from(user);
        self.members.put(member.clone(), now, epoch);
        Ok(member)
    }

    /// The language a user reads, from memory when they wrote recently.
    pub async fn language_of(&self, id: i64) -> Result<Option<Lang>, StoreError> {
        if let Some(l) = self.members.language(id) {
            return Ok(Some(l));
        }
        let row: Option<(String,)> =
            sqlx::query_as("SELECT language FROM users WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        Ok(row.map(|(code,)| Lang::from_code(&code).unwrap_or_default()))
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = ?").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn set_language(&self, id: i64, lang: Lang) -> Result<(), StoreError> {
        self.update_user_field(id, "UPDATE users SET language = ?1 WHERE id = ?2", lang.code().to_owned()).await
    }

    /// Makes a user a reseller or a customer again, audited under `admin_id` in the same
    /// transaction (nothing is written when the role was already that one). Admin rights come
    /// from config only.
    pub async fn set_role(&self, admin_id: i64, id: i64, role: Role) -> Result<(), StoreError> {
        if role == Role::Admin {
            return Err(StoreError::Corrupt("admin role is granted by ADMIN_IDS only".into()));
        }
        let mut tx = self.write_tx().await?;
        let before: Option<(String,)> = sqlx::query_as("SELECT role FROM users WHERE id = ? AND role != 'admin'")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((before,)) = before else { return Err(StoreError::NotFound("user")) };
        if before != role.as_str() {
            sqlx::query("UPDATE users SET role = ?1 WHERE id = ?2")
                .bind(role.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry {
                admin_id,
                action: super::panel::AUDIT_SET_ROLE.into(),
                target: Some(format!("user:{id}")),
                before: Some(before),
                after: Some(role.as_str().into()),
            };
            super::audit::record(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        self.members.forget(id);
        Ok(())
    }

    /// Bans or unbans a user, audited under `admin_id` in the same transaction (`ban` / `unban`,
    /// before and after read there); a ban of a banned user changes and writes nothing.
    pub async fn set_banned(&self, admin_id: i64, id: i64, banned: bool) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let before: Option<(bool,)> =
            sqlx::query_as("SELECT banned FROM users WHERE id = ?").bind(id).fetch_optional(&mut *tx).await?;
        let Some((before,)) = before else { return Err(StoreError::NotFound("user")) };
        if before != banned {
            sqlx::query("UPDATE users SET banned = ?1 WHERE id = ?2").bind(banned).bind(id).execute(&mut *tx).await?;
            let word = |b: bool| if b { "banned" } else { "not banned" };
            let entry = AuditEntry {
                admin_id,
                action: if banned { "ban" } else { "unban" }.into(),
                target: Some(format!("user:{id}")),
                before: Some(word(before).into()),
                after: Some(word(banned).into()),
            };
            super::audit::record(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        self.members.forget(id);
        Ok(())
    }

    pub async fn set_unreachable(&self, id: i64, unreachable: bool) -> Result<(), StoreError> {
        self.update_user_field(id, "UPDATE users SET unreachable = ?1 WHERE id = ?2", unreachable).await
    }

    async fn update_user_field<T>(&self, id: i64, sql: &'static str, value: T) -> Result<(), StoreError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send,
    {
        let r = sqlx::query(sql).bind(value).bind(id).execute(&self.writer).await?;
        self.members.forget(id);
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_store;

    fn new_user(id: i64, is_admin: bool) -> NewUser {
        NewUser {
            id,
            first_name: "Amine".into(),
            last_name: None,
            username: Some("amine".into()),
            language: Lang::Fr,
            is_admin,
        }
    }

    #[tokio::test]
    async fn first_contact_creates_then_refreshes() {
        let (s, _d) = temp_store().await;
        let u = s.touch_user(&new_user(7, false)).await.unwrap();
        assert_eq!((u.language, u.role), (Lang::Fr, Role::Customer));
        s.set_language(7, Lang::Ar).await.unwrap();
        s.set_unreachable(7, true).await.unwrap();
        let mut again = new_user(7, false);
        again.language = Lang::En;
        again.first_name = "Amina".into();
        let u = s.touch_user(&again).await.unwrap();
        assert_eq!(u.language, Lang::Ar, "a chosen language survives later contacts");
        assert_eq!(u.first_name, "Amina");
        assert!(!s.user(7).await.unwrap().unwrap().unreachable, "writing to the bot makes a user reachable again");
    }

    /// The cache must never answer with a profile older than the last write through the store.
    #[tokio::test]
    async fn cached_senders_see_every_change_made_through_the_store() {
        let (s, _d) = temp_store().await;
        let seen_at = |s: &Store| {
            let s = s.clone();
            async move { s.user(7).await.unwrap().unwrap().last_seen_at }
        };
        s.touch_user(&new_user(7, false)).await.unwrap();
        let first_seen = seen_at(&s).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        s.touch_user(&new_user(7, false)).await.unwrap();
        assert_eq!(seen_at(&s).await, first_seen, "an unchanged sender is answered from memory");

        s.set_banned(1, 7, true).await.unwrap();
        assert!(s.touch_user(&new_user(7, false)).await.unwrap().banned);
        s.set_banned(1, 7, false).await.unwrap();
        assert_eq!(s.language_of(7).await.unwrap(), Some(Lang::Fr));
        s.set_language(7, Lang::Ar).await.unwrap();
        assert_eq!(s.language_of(7).await.unwrap(), Some(Lang::Ar), "read from the table after a change");
        assert_eq!(s.language_of(8).await.unwrap(), None);
        let m = s.touch_user(&new_user(7, false)).await.unwrap();
        assert_eq!((m.banned, m.language), (false, Lang::Ar));
        s.set_role(1, 7, Role::Reseller).await.unwrap();
        assert_eq!(s.touch_user(&new_user(7, false)).await.unwrap().role, Role::Reseller);
        assert_eq!(s.touch_user(&new_user(7, true)).await.unwrap().role, Role::Admin, "added to ADMIN_IDS");

        let mut renamed = new_user(7, true);
        renamed.first_name = "Yacine".into();
        s.touch_user(&renamed).await.unwrap();
        assert_eq!(s.user(7).await.unwrap().unwrap().first_name, "Yacine", "a new name is written at once");

        s.set_unreachable(7, true).await.unwrap();
        s.touch_user(&renamed).await.unwrap();
        assert!(!s.user(7).await.unwrap().unwrap().unreachable, "a blocked user who writes again is reachable");
    }

    #[tokio::test]
    async fn admin_role_follows_config() {
        let (s, _d) = temp_store().await;
        assert_eq!(s.touch_user(&new_user(1, true)).await.unwrap().role, Role::Admin);
        assert!(s.set_role(1, 1, Role::Customer).await.is_err(), "no command removes a config admin");
        assert_eq!(s.touch_user(&new_user(1, false)).await.unwrap().role, Role::Customer, "removed from ADMIN_IDS");
        s.touch_user(&new_user(2, false)).await.unwrap();
        s.set_role(1, 2, Role::Reseller).await.unwrap();
        assert_eq!(s.user(2).await.unwrap().unwrap().role, Role::Reseller);
        assert!(matches!(s.set_role(1, 99, Role::Reseller).await, Err(StoreError::NotFound(_))));
    }

    /// The audited row as (admin, action, target, before, after).
    async fn audit(s: &Store) -> Vec<(i64, String, Option<String>, Option<String>, Option<String>)> {
        let f = crate::store::audit::AuditFilter { limit: 50, ..Default::default() };
        let rows = s.audit_page(&f).await.unwrap();
        rows.into_iter().rev().map(|r| (r.admin_id, r.action, r.target, r.before, r.after)).collect()
    }

    #[tokio::test]
    async fn a_ban_and_its_audit_entry_are_written_together_and_only_on_a_change() {
        let (s, _d) = temp_store().await;
        s.touch_user(&new_user(7, false)).await.unwrap();
        let some = |x: &str| Some(x.to_owned());
        s.set_banned(42, 7, true).await.unwrap();
        s.set_banned(42, 7, true).await.unwrap();
        assert!(s.user(7).await.unwrap().unwrap().banned);
        let ban = (42, "ban".to_owned(), some("user:7"), some("not banned"), some("banned"));
        assert_eq!(audit(&s).await, std::slice::from_ref(&ban), "a repeated ban writes nothing");
        s.set_banned(43, 7, false).await.unwrap();
        s.set_role(43, 7, Role::Reseller).await.unwrap();
        s.set_role(43, 7, Role::Reseller).await.unwrap();
        let unban = (43, "unban".to_owned(), some("user:7"), some("banned"), some("not banned"));
        let role = (43, "set-role".to_owned(), some("user:7"), some("customer"), some("reseller"));
        assert_eq!(audit(&s).await, [ban, unban, role]);

        // An entry that cannot be written takes the change down with it: one transaction.
        sqlx::query("CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'no audit'); END")
            .execute(&s.writer)
            .await
            .unwrap();
        assert!(s.set_banned(42, 7, true).await.is_err());
        assert!(s.set_role(42, 7, Role::Customer).await.is_err());
        let u = s.user(7).await.unwrap().unwrap();
        assert_eq!((u.banned, u.role), (false, Role::Reseller), "nothing changed without its entry");
        assert!(!s.touch_user(&new_user(7, false)).await.unwrap().banned, "nor in the members' cache");
    }
}
