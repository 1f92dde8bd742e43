//! The per-stream hash chain.
//!
//! `hash = SHA-256(prev_hash ‖ content_digest)` where `content_digest = SHA-256(canonical bytes)`
//! and the canonical bytes are a length-prefixed encoding of every stored fact of the event
//! (stream, version, id, type, schema version, time, payload, sealed personal data). The hash
//! covers the ciphertext of personal data, so deleting a subject's key leaves the chain intact.
//! `prev_hash` of a stream's first event is [`GENESIS`].
//!
//! The PostgreSQL backend receives the content digest from Rust and computes the chain step in
//! its append function (`sha256(prev_hash || digest)`), so an append needs one round trip.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first event of every stream.
pub const GENESIS: [u8; 32] = [0u8; 32];

const DOMAIN_TAG: &[u8] = b"buergeramt-event-v1";

/// The facts of one event that the chain covers.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub stream_id: &'a str,
    pub stream_version: u64,
    pub event_id: uuid::Uuid,
    pub event_type: &'a str,
    pub schema_version: u32,
    /// Stored with microsecond precision; the digest uses microseconds since the epoch.
    pub recorded_at: DateTime<Utc>,
    pub payload: &'a [u8],
    /// `(subject, nonce ‖ ciphertext)` when the event carries personal data.
    pub sealed: Option<(uuid::Uuid, &'a [u8])>,
}

fn put(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

/// SHA-256 over the canonical bytes of `content`.
pub fn content_digest(content: &Content<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    put(&mut h, DOMAIN_TAG);
    put(&mut h, content.stream_id.as_bytes());
    h.update(content.stream_version.to_be_bytes());
    h.update(content.event_id.as_bytes());
    put(&mut h, content.event_type.as_bytes());
    h.update(content.schema_version.to_be_bytes());
    h.update(content.recorded_at.timestamp_micros().to_be_bytes());
    put(&mut h, content.payload);
    match content.sealed {
        None => h.update([0u8]),
        Some((subject, ciphertext)) => {
            h.update([1u8]);
            h.update(subject.as_bytes());
            put(&mut h, ciphertext);
        }
    }
    h.finalize().into()
}

/// One chain step: `SHA-256(prev_hash ‖ content_digest)`.
pub fn link(prev_hash: &[u8; 32], content_digest: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(content_digest);
    h.finalize().into()
}

/// Truncates a time to the microsecond precision both backends store.
pub fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(payload: &[u8]) -> Content<'_> {
        Content {
            stream_id: "case-1",
            stream_version: 1,
            event_id: uuid::Uuid::nil(),
            event_type: "CaseOpened",
            schema_version: 1,
            recorded_at: DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap(),
            payload,
            sealed: None,
        }
    }

    #[test]
    fn changing_one_payload_byte_changes_the_digest() {
        assert_ne!(
            content_digest(&sample(b"{\"a\":1}")),
            content_digest(&sample(b"{\"a\":2}"))
        );
    }

    #[test]
    fn a_link_depends_on_the_previous_hash() {
        let d = content_digest(&sample(b"{}"));
        assert_ne!(link(&GENESIS, &d), link(&[1u8; 32], &d));
    }

    #[test]
    fn length_prefixes_keep_adjacent_fields_apart() {
        let mut a = sample(b"x");
        a.event_type = "AB";
        let mut b = sample(b"x");
        b.event_type = "A";
        assert_ne!(content_digest(&a), content_digest(&b));
    }
}
