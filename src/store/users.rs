//! Accounts: one per Telegram user, created on first contact.
use super::{Store, StoreError, now_ms};
use crate::domain::Role;
use crate::i18n::Lang;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Row};

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
    pub balance: i64,
    pub held: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
}

impl User {
    pub fn display_name(&self) -> String {
        match (&self.last_name, &self.username) {
            (Some(l), _) => format!("{} {l}", self.first_name),
            (None, Some(u)) if self.first_name.is_empty() => format!("@{u}"),
            _ => self.first_name.clone(),
        }
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
    /// to us is reachable again. Returns the account as it is now.
    pub async fn touch_user(&self, u: &NewUser) -> Result<User, StoreError> {
        let now = now_ms();
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
        .fetch_one(&self.writer)
        .await?;
        Ok(user)
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = ?").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn set_language(&self, id: i64, lang: Lang) -> Result<(), StoreError> {
        self.update_user_field(id, "UPDATE users SET language = ?1 WHERE id = ?2", lang.code().to_owned()).await
    }

    /// Makes a user a reseller or a customer again. Admin rights come from config only.
    pub async fn set_role(&self, id: i64, role: Role) -> Result<(), StoreError> {
        if role == Role::Admin {
            return Err(StoreError::Corrupt("admin role is granted by ADMIN_IDS only".into()));
        }
        let r = sqlx::query("UPDATE users SET role = ?1 WHERE id = ?2 AND role != 'admin'")
            .bind(role.as_str())
            .bind(id)
            .execute(&self.writer)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    pub async fn set_banned(&self, id: i64, banned: bool) -> Result<(), StoreError> {
        self.update_user_field(id, "UPDATE users SET banned = ?1 WHERE id = ?2", banned).await
    }

    pub async fn set_unreachable(&self, id: i64, unreachable: bool) -> Result<(), StoreError> {
        self.update_user_field(id, "UPDATE users SET unreachable = ?1 WHERE id = ?2", unreachable).await
    }

    async fn update_user_field<T>(&self, id: i64, sql: &'static str, value: T) -> Result<(), StoreError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send,
    {
        let r = sqlx::query(sql).bind(value).bind(id).execute(&self.writer).await?;
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
        assert_eq!((u.language, u.role, u.balance), (Lang::Fr, Role::Customer, 0));
        s.set_language(7, Lang::Ar).await.unwrap();
        s.set_unreachable(7, true).await.unwrap();
        let mut again = new_user(7, false);
        again.language = Lang::En;
        again.first_name = "Amina".into();
        let u = s.touch_user(&again).await.unwrap();
        assert_eq!(u.language, Lang::Ar, "a chosen language survives later contacts");
        assert_eq!(u.first_name, "Amina");
        assert!(!u.unreachable, "writing to the bot makes a user reachable again");
    }

    #[tokio::test]
    async fn admin_role_follows_config() {
        let (s, _d) = temp_store().await;
        assert_eq!(s.touch_user(&new_user(1, true)).await.unwrap().role, Role::Admin);
        assert!(s.set_role(1, Role::Customer).await.is_err(), "no command removes a config admin");
        assert_eq!(s.touch_user(&new_user(1, false)).await.unwrap().role, Role::Customer, "removed from ADMIN_IDS");
        s.touch_user(&new_user(2, false)).await.unwrap();
        s.set_role(2, Role::Reseller).await.unwrap();
        assert_eq!(s.user(2).await.unwrap().unwrap().role, Role::Reseller);
        assert!(matches!(s.set_role(99, Role::Reseller).await, Err(StoreError::NotFound(_))));
    }
}
