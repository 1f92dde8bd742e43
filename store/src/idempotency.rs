//! Idempotency records: what makes a retried state-changing HTTP request take effect at most once.
//!
//! A client that saw a timeout or a 5xx cannot know whether its change was applied, so it retries
//! with the same `Idempotency-Key`. The API stores one record per `(scope, key)`: the fingerprint
//! of the first request and, once it finished, its reply. A retry with the same fingerprint gets
//! the stored reply instead of running the change again; the same key with another fingerprint is
//! a client error. The scope is a digest of the caller's credential, so one client can never see
//! another's reply (see `docs/adr/0003-idempotency.md`).
//!
//! Exactly one of any number of concurrent [`IdempotencyStore::begin`] calls for one key gets
//! [`Begin::Started`]: PostgreSQL decides with `INSERT … ON CONFLICT`, SQLite through its single
//! writer. A record whose request never finished (the process died) is taken over once it is older
//! than `stale_after`. Records are kept until [`IdempotencyStore::purge`] removes them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;

/// The SHA-256 fingerprint of a request (method, path and query, content type, body).
pub type RequestHash = [u8; 32];

/// A finished request's reply, replayed to retries. Only what a client needs to see the same
/// answer again: no cookies, no other headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// The HTTP status code, 100 to 599.
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// What [`IdempotencyStore::begin`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// This caller owns the key now and must run the request, then [`IdempotencyStore::complete`]
    /// or [`IdempotencyStore::abandon`] it.
    Started,
    /// The request already finished with this reply.
    Replay(StoredReply),
    /// The same request is still running (not stale yet).
    InFlight,
    /// The key was used with a request of another fingerprint.
    Mismatch,
}

/// Storage of idempotency records. Both backends pass one conformance suite
/// (`tests/conformance/idempotency.rs`).
#[async_trait]
pub trait IdempotencyStore: Send + Sync + std::fmt::Debug + 'static {
    /// Claims `key` in `scope` for a request with fingerprint `request_hash`, or reports what
    /// holds it. A record of the same fingerprint that is still in flight and started before
    /// `now - stale_after` is taken over (its process is presumed dead): `Started` again.
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        request_hash: RequestHash,
        now: DateTime<Utc>,
        stale_after: Duration,
    ) -> Result<Begin, StoreError>;

    /// Stores the reply of an in-flight record. Returns false (and changes nothing) if there is
    /// no in-flight record for the key: it was completed, abandoned or purged meanwhile.
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        reply: &StoredReply,
    ) -> Result<bool, StoreError>;

    /// Deletes an in-flight record so that a retry runs the request again (its reply was not a
    /// definitive answer, e.g. a 5xx). Returns false if there was no in-flight record; a
    /// completed record is never deleted here.
    async fn abandon(&self, scope: &str, key: &str) -> Result<bool, StoreError>;

    /// Deletes every record (finished or not) started before `older_than`; returns how many.
    async fn purge(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Checks the parts of a record the backends store, so both reject the same input.
pub(crate) fn check_names(scope: &str, key: &str) -> Result<(), StoreError> {
    for (what, value) in [("scope", scope), ("key", key)] {
        if value.is_empty() || value.len() > 1024 || value.contains('\0') {
            return Err(StoreError::InvalidInput(format!(
                "an idempotency {what} must be 1 to 1024 bytes without NUL"
            )));
        }
    }
    Ok(())
}

/// Checks a reply before it is stored.
pub(crate) fn check_reply(reply: &StoredReply) -> Result<(), StoreError> {
    if !(100..=599).contains(&reply.status) {
        return Err(StoreError::InvalidInput(format!(
            "{} is not an HTTP status",
            reply.status
        )));
    }
    let headers = [reply.content_type.as_deref(), reply.location.as_deref()];
    if headers.into_iter().flatten().any(|v| v.contains('\0')) {
        return Err(StoreError::InvalidInput(
            "a stored header must not contain NUL".into(),
        ));
    }
    Ok(())
}

/// `now - stale_after`, saturating at the Unix epoch (no record is older than that).
pub(crate) fn stale_before(now: DateTime<Utc>, stale_after: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(stale_after)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .map_or_else(DateTime::<Utc>::default, |t| {
            t.max(DateTime::<Utc>::default())
        })
}

/// Classifies an existing record for a caller with fingerprint `request_hash`.
pub(crate) fn classify(
    stored_hash: &[u8],
    request_hash: &RequestHash,
    reply: Option<StoredReply>,
) -> Begin {
    if stored_hash != request_hash.as_slice() {
        return Begin::Mismatch;
    }
    match reply {
        Some(reply) => Begin::Replay(reply),
        None => Begin::InFlight,
    }
}
