//! Sessions on PostgreSQL: plain statements on the `sessions` table, which the application role
//! may read, insert, update and delete (migration `0006_sessions.sql`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ClerkId;
use sqlx::postgres::PgRow;
use sqlx::Row as _;

use super::PgStore;
use crate::sessions::{record_from_columns, SessionPolicy, SessionRecord, SessionStore, TokenHash};
use crate::StoreError;

const COLUMNS: &str = "token_hash, account_id, username, role, office, created_at, last_seen_at";

fn record_from(row: &PgRow) -> Result<SessionRecord, StoreError> {
    record_from_columns(
        row.try_get("token_hash")?,
        row.try_get("account_id")?,
        row.try_get("username")?,
        row.try_get("role")?,
        row.try_get("office")?,
        row.try_get("created_at")?,
        row.try_get("last_seen_at")?,
    )
}

/// PostgreSQL keeps microseconds; the record the caller gets back says what was stored.
fn micros(at: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(at.timestamp_micros())
        .ok_or_else(|| StoreError::InvalidInput("a session time is out of range".into()))
}

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let result = sqlx::query(&format!(
            "INSERT INTO sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(session.token_hash.0.as_slice())
        .bind(session.account_id.0)
        .bind(session.username.as_str())
        .bind(session.role.as_str())
        .bind(session.office.as_ref().map(|o| o.as_str()))
        .bind(micros(session.created_at)?)
        .bind(micros(session.last_seen_at)?)
        .execute(self.pool())
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
            "SELECT {COLUMNS} FROM sessions WHERE token_hash = $1"
        ))
        .bind(token_hash.0.as_slice())
        .fetch_optional(self.pool())
        .await?;
        let Some(mut session) = row.as_ref().map(record_from).transpose()? else {
            return Ok(None);
        };
        if !policy.is_alive(&session, now) {
            self.revoke_session(token_hash).await?;
            return Ok(None);
        }
        if now - session.last_seen_at >= policy.touch_every {
            let now = micros(now)?;
            // Only ever moves forward: a slower concurrent touch with an older `now` is a no-op.
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND last_seen_at < $1",
            )
            .bind(now)
            .bind(token_hash.0.as_slice())
            .execute(self.pool())
            .await?;
            session.last_seen_at = now;
        }
        Ok(Some(session))
    }

    async fn revoke_session(&self, token_hash: &TokenHash) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.0.as_slice())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn revoke_account_sessions(&self, account_id: ClerkId) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id.0)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    async fn purge_expired_sessions(
        &self,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<u64, StoreError> {
        let (idle_cutoff, absolute_cutoff) = policy.cutoffs(now);
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at <= $1 OR created_at <= $2")
            .bind(idle_cutoff)
            .bind(absolute_cutoff)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
