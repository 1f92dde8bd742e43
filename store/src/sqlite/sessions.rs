//! Sessions on SQLite. Writes go through the single write connection like every other write;
//! reads of a live session that needs no touch use a read connection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ClerkId;
use sqlx::sqlite::SqliteRow;
use sqlx::Row as _;

use super::{time_from, uuid_from, SqliteStore};
use crate::sessions::{record_from_columns, SessionPolicy, SessionRecord, SessionStore, TokenHash};
use crate::StoreError;

const COLUMNS: &str = "token_hash, account_id, username, role, office, created_at, last_seen_at";

fn record_from(row: &SqliteRow) -> Result<SessionRecord, StoreError> {
    record_from_columns(
        row.try_get("token_hash")?,
        uuid_from(row.try_get("account_id")?, "account id")?,
        row.try_get("username")?,
        row.try_get("role")?,
        row.try_get("office")?,
        time_from(row.try_get("created_at")?)?,
        time_from(row.try_get("last_seen_at")?)?,
    )
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let result = sqlx::query(&format!(
            "INSERT INTO sessions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(session.token_hash.0.as_slice())
        .bind(session.account_id.0)
        .bind(session.username.as_str())
        .bind(session.role.as_str())
        .bind(session.office.as_ref().map(|o| o.as_str()))
        .bind(session.created_at.timestamp_micros())
        .bind(session.last_seen_at.timestamp_micros())
        .execute(&self.write)
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(
                StoreError::InvalidInput("a session with this token exists already".into()),
            ),
            Err(other) => Err(other.into()),
        }
    }

    async fn touch_session(
        &self,
        token_hash: &TokenHash,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE token_hash = ?"
        ))
        .bind(token_hash.0.as_slice())
        .fetch_optional(&self.read)
        .await?;
        let Some(mut session) = row.as_ref().map(record_from).transpose()? else {
            return Ok(None);
        };
        if !policy.is_alive(&session, now) {
            self.revoke_session(token_hash).await?;
            return Ok(None);
        }
        if now - session.last_seen_at >= policy.touch_every {
            // Only ever moves forward: a slower concurrent touch with an older `now` is a no-op.
            sqlx::query(
                "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND last_seen_at < ?",
            )
            .bind(now.timestamp_micros())
            .bind(token_hash.0.as_slice())
            .bind(now.timestamp_micros())
            .execute(&self.write)
            .await?;
            session.last_seen_at = time_from(now.timestamp_micros())?;
        }
        Ok(Some(session))
    }

    async fn revoke_session(&self, token_hash: &TokenHash) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash.0.as_slice())
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_account_sessions(&self, account_id: ClerkId) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE account_id = ?")
            .bind(account_id.0)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }

    async fn purge_expired_sessions(
        &self,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<u64, StoreError> {
        let (idle_cutoff, absolute_cutoff) = policy.cutoffs(now);
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?")
            .bind(idle_cutoff.timestamp_micros())
            .bind(absolute_cutoff.timestamp_micros())
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }
}
