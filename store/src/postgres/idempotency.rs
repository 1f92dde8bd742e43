//! Idempotency records on PostgreSQL. A claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE`:
//! the unique key makes concurrent claimers wait for the first one's commit, and the conditional
//! update (only a stale, in-flight record of the same request) is re-checked on the newest row
//! version, so exactly one concurrent caller gets [`Begin::Started`]. Whoever gets no row back
//! reads the record to learn why.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::idempotency::{
    check_names, check_reply, classify, stale_before, Begin, IdempotencyStore, RequestHash,
    StoredReply,
};
use crate::StoreError;

/// Claims a key: `$1` scope, `$2` key, `$3` fingerprint, `$4` now, `$5` the stale horizon.
/// Returns a row if this caller inserted the record or took a stale one over.
const CLAIM_SQL: &str = "\
    INSERT INTO idempotency_records (scope, idempotency_key, request_hash, started_at) \
    VALUES ($1, $2, $3, $4) \
    ON CONFLICT (scope, idempotency_key) DO UPDATE SET started_at = EXCLUDED.started_at \
    WHERE idempotency_records.status IS NULL \
      AND idempotency_records.request_hash = EXCLUDED.request_hash \
      AND idempotency_records.started_at < $5 \
    RETURNING 1";

/// How often a claim is retried when the record it lost to disappears before it can be read
/// (abandoned or purged in between); each retry is a fresh claim.
const CLAIM_ATTEMPTS: usize = 3;

type RecordRow = (
    Vec<u8>,
    Option<i16>,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
);

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        request_hash: RequestHash,
        now: DateTime<Utc>,
        stale_after: Duration,
    ) -> Result<Begin, StoreError> {
        check_names(scope, key)?;
        let stale = stale_before(now, stale_after);
        for _ in 0..CLAIM_ATTEMPTS {
            let claimed: Option<i32> = sqlx::query_scalar(CLAIM_SQL)
                .bind(scope)
                .bind(key)
                .bind(request_hash.as_slice())
                .bind(now)
                .bind(stale)
                .fetch_optional(&self.pool)
                .await?;
            if claimed.is_some() {
                return Ok(Begin::Started);
            }
            let row: Option<RecordRow> = sqlx::query_as(
                "SELECT request_hash, status, content_type, location, body \
                 FROM idempotency_records WHERE scope = $1 AND idempotency_key = $2",
            )
            .bind(scope)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
            let Some((stored_hash, status, content_type, location, body)) = row else {
                continue;
            };
            let reply = match status {
                None => None,
                Some(status) => Some(StoredReply {
                    status: u16::try_from(status).map_err(|_| {
                        StoreError::Corrupt("a stored HTTP status is negative".into())
                    })?,
                    content_type,
                    location,
                    body: body.unwrap_or_default(),
                }),
            };
            return Ok(classify(&stored_hash, &request_hash, reply));
        }
        // The record keeps vanishing between the claim and the read: someone else is working on
        // this key right now.
        Ok(Begin::InFlight)
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        reply: &StoredReply,
    ) -> Result<bool, StoreError> {
        check_names(scope, key)?;
        check_reply(reply)?;
        let status = i16::try_from(reply.status)
            .map_err(|_| StoreError::InvalidInput("the HTTP status is out of range".into()))?;
        let changed = sqlx::query(
            "UPDATE idempotency_records \
             SET status = $3, content_type = $4, location = $5, body = $6 \
             WHERE scope = $1 AND idempotency_key = $2 AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .bind(status)
        .bind(reply.content_type.as_deref())
        .bind(reply.location.as_deref())
        .bind(reply.body.as_slice())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn abandon(&self, scope: &str, key: &str) -> Result<bool, StoreError> {
        check_names(scope, key)?;
        let deleted = sqlx::query(
            "DELETE FROM idempotency_records \
             WHERE scope = $1 AND idempotency_key = $2 AND status IS NULL",
        )
        .bind(scope)
        .bind(key)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(deleted == 1)
    }

    async fn purge(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        let deleted = sqlx::query("DELETE FROM idempotency_records WHERE started_at < $1")
            .bind(older_than)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted)
    }
}
