//! Idempotency records on SQLite. Claims go through the single write connection with
//! `BEGIN IMMEDIATE`, so the look-up and the insert (or takeover) are one atomic step and exactly
//! one concurrent caller gets [`Begin::Started`]. A caller that finds a record it cannot take
//! (a reply, a running request, another fingerprint) is answered from a read connection first,
//! so that clients waiting for a running request do not queue behind the writer.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row as _, SqliteConnection};

use super::SqliteStore;
use crate::idempotency::{
    check_names, check_reply, classify, stale_before, Begin, IdempotencyStore, RequestHash,
    StoredReply,
};
use crate::StoreError;

/// One stored record, as [`find`] reads it.
struct Record {
    request_hash: Vec<u8>,
    started_at: i64,
    reply: Option<StoredReply>,
}

fn record_from(row: &SqliteRow) -> Result<Record, StoreError> {
    let status: Option<i64> = row.try_get("status")?;
    let reply = match status {
        None => None,
        Some(status) => Some(StoredReply {
            status: u16::try_from(status)
                .map_err(|_| StoreError::Corrupt("a stored HTTP status is out of range".into()))?,
            content_type: row.try_get("content_type")?,
            location: row.try_get("location")?,
            body: row
                .try_get::<Option<Vec<u8>>, _>("body")?
                .unwrap_or_default(),
        }),
    };
    Ok(Record {
        request_hash: row.try_get("request_hash")?,
        started_at: row.try_get("started_at")?,
        reply,
    })
}

async fn find(
    conn: &mut SqliteConnection,
    scope: &str,
    key: &str,
) -> Result<Option<Record>, StoreError> {
    let row = sqlx::query(
        "SELECT request_hash, started_at, status, content_type, location, body \
         FROM idempotency_records WHERE scope = ? AND idempotency_key = ?",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(record_from).transpose()
}

/// Whether a caller with `request_hash` may take `record` over: it is still in flight, of the
/// same request, and started before `stale_before` (micros).
fn can_take_over(record: &Record, request_hash: &RequestHash, stale_before: i64) -> bool {
    record.reply.is_none()
        && record.request_hash == request_hash.as_slice()
        && record.started_at < stale_before
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        request_hash: RequestHash,
        now: DateTime<Utc>,
        stale_after: Duration,
    ) -> Result<Begin, StoreError> {
        check_names(scope, key)?;
        let stale = stale_before(now, stale_after).timestamp_micros();
        // The cheap path: a record this caller cannot take needs no write lock.
        {
            let mut conn = self.read.acquire().await?;
            if let Some(record) = find(&mut conn, scope, key).await? {
                if !can_take_over(&record, &request_hash, stale) {
                    return Ok(classify(&record.request_hash, &request_hash, record.reply));
                }
            }
        }
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let outcome = match find(&mut tx, scope, key).await? {
            None => {
                sqlx::query(
                    "INSERT INTO idempotency_records \
                     (scope, idempotency_key, request_hash, started_at) VALUES (?, ?, ?, ?)",
                )
                .bind(scope)
                .bind(key)
                .bind(request_hash.as_slice())
                .bind(now.timestamp_micros())
                .execute(&mut *tx)
                .await?;
                Begin::Started
            }
            Some(record) if can_take_over(&record, &request_hash, stale) => {
                sqlx::query(
                    "UPDATE idempotency_records SET started_at = ? \
                     WHERE scope = ? AND idempotency_key = ?",
                )
                .bind(now.timestamp_micros())
                .bind(scope)
                .bind(key)
                .execute(&mut *tx)
                .await?;
                Begin::Started
            }
            Some(record) => classify(&record.request_hash, &request_hash, record.reply),
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        reply: &StoredReply,
    ) -> Result<bool, StoreError> {
        check_names(scope, key)?;
        check_reply(reply)?;
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let changed = sqlx::query(
            "UPDATE idempotency_records \
             SET status = ?, content_type = ?, location = ?, body = ? \
             WHERE scope = ? AND idempotency_key = ? AND status IS NULL",
        )
        .bind(i64::from(reply.status))
        .bind(reply.content_type.as_deref())
        .bind(reply.location.as_deref())
        .bind(reply.body.as_slice())
        .bind(scope)
        .bind(key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(changed == 1)
    }

    async fn abandon(&self, scope: &str, key: &str) -> Result<bool, StoreError> {
        check_names(scope, key)?;
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let deleted = sqlx::query(
            "DELETE FROM idempotency_records \
             WHERE scope = ? AND idempotency_key = ? AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    }

    async fn purge(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut tx = self.write.begin_with("BEGIN IMMEDIATE").await?;
        let deleted = sqlx::query("DELETE FROM idempotency_records WHERE started_at < ?")
            .bind(older_than.timestamp_micros())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted)
    }
}
