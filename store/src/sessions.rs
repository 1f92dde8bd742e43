//! Staff login sessions: one row per session, keyed by the SHA-256 of its random token.
//!
//! The token itself is never stored, so a copy of the database cannot be used to log in. A row
//! carries the account, its role and office as they were at login (the API revokes every session
//! of an account whose role, office, password or status changes, so the copy is never stale), and
//! two times: `created_at` for the absolute limit and `last_seen_at` for the idle limit.
//!
//! Whether a session is alive is decided in Rust by [`SessionPolicy::is_alive`], the same code for
//! both backends; the backends only read, write and delete rows. A touch writes `last_seen_at`
//! only when it is older than [`SessionPolicy::touch_every`], so a burst of requests is one write,
//! not one per request (the idle limit is then up to that much shorter, never longer).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::account::{Role, Username};
use domain::{ClerkId, OfficeId};

use crate::StoreError;

/// The SHA-256 of a session token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Even a hash is not worth showing in logs; the first bytes tell sessions apart.
        write!(f, "TokenHash({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: TokenHash,
    pub account_id: ClerkId,
    pub username: Username,
    pub role: Role,
    pub office: Option<OfficeId>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long is dead.
    pub idle: Duration,
    /// A session older than this is dead, however busy.
    pub absolute: Duration,
    /// `last_seen_at` is written only when it is at least this old.
    pub touch_every: Duration,
}

impl SessionPolicy {
    /// Idle 30 minutes, absolute 12 hours, touched at most once a minute.
    pub const DEFAULT: SessionPolicy = SessionPolicy {
        idle: Duration::minutes(30),
        absolute: Duration::hours(12),
        touch_every: Duration::minutes(1),
    };

    /// True while the session is neither idle nor older than the absolute limit at `now`.
    pub fn is_alive(&self, session: &SessionRecord, now: DateTime<Utc>) -> bool {
        now - session.last_seen_at < self.idle && now - session.created_at < self.absolute
    }

    /// When the session dies if it is not used again.
    pub fn expires_at(&self, session: &SessionRecord) -> DateTime<Utc> {
        (session.last_seen_at + self.idle).min(session.created_at + self.absolute)
    }

    /// The oldest `last_seen_at` and `created_at` a live session can have at `now`; rows with
    /// either at or below these are dead (used by [`SessionStore::purge_expired_sessions`]).
    pub fn cutoffs(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (now - self.idle, now - self.absolute)
    }
}

#[async_trait]
pub trait SessionStore: Send + Sync + std::fmt::Debug + 'static {
    /// Stores a new session. A token hash that exists already is `InvalidInput` (with 256 random
    /// bits it cannot happen by chance).
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;

    /// The session with this token hash if it is alive at `now`, with `last_seen_at` moved to
    /// `now` when it was at least `policy.touch_every` old. A dead session is deleted and `None`.
    async fn touch_session(
        &self,
        token_hash: &TokenHash,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// Deletes one session; true if it existed.
    async fn revoke_session(&self, token_hash: &TokenHash) -> Result<bool, StoreError>;

    /// Deletes every session of an account; returns how many there were.
    async fn revoke_account_sessions(&self, account_id: ClerkId) -> Result<u64, StoreError>;

    /// Deletes every session that is dead at `now`; returns how many.
    async fn purge_expired_sessions(
        &self,
        now: DateTime<Utc>,
        policy: &SessionPolicy,
    ) -> Result<u64, StoreError>;
}

/// Builds a record from stored column values, refusing values the domain would not accept.
pub(crate) fn record_from_columns(
    token_hash: Vec<u8>,
    account_id: uuid::Uuid,
    username: String,
    role: String,
    office: Option<String>,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
) -> Result<SessionRecord, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("a stored session has a bad {what}"));
    Ok(SessionRecord {
        token_hash: TokenHash(token_hash.try_into().map_err(|_| corrupt("token hash"))?),
        account_id: ClerkId(account_id),
        username: Username::parse(username).map_err(|_| corrupt("username"))?,
        role: role.parse().map_err(|_| corrupt("role"))?,
        office: office
            .map(OfficeId::parse)
            .transpose()
            .map_err(|_| corrupt("office"))?,
        created_at,
        last_seen_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn session(created: DateTime<Utc>, seen: DateTime<Utc>) -> SessionRecord {
        SessionRecord {
            token_hash: TokenHash([7; 32]),
            account_id: ClerkId(uuid::Uuid::nil()),
            username: Username::parse("admin").unwrap(),
            role: Role::Admin,
            office: None,
            created_at: created,
            last_seen_at: seen,
        }
    }

    #[test]
    fn a_session_dies_after_thirty_idle_minutes_or_twelve_hours_whichever_comes_first() {
        let policy = SessionPolicy::DEFAULT;
        let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap();
        let fresh = session(t0, t0);
        assert!(policy.is_alive(&fresh, t0 + Duration::minutes(29)));
        assert!(!policy.is_alive(&fresh, t0 + Duration::minutes(30)));
        let busy = session(t0, t0 + Duration::hours(11) + Duration::minutes(59));
        assert!(policy.is_alive(&busy, t0 + Duration::hours(11) + Duration::minutes(59)));
        assert!(!policy.is_alive(&busy, t0 + Duration::hours(12)));
        assert_eq!(policy.expires_at(&fresh), t0 + Duration::minutes(30));
        assert_eq!(policy.expires_at(&busy), t0 + Duration::hours(12));
    }

    #[test]
    fn the_debug_form_of_a_token_hash_shows_only_two_bytes() {
        assert_eq!(format!("{:?}", TokenHash([0xab; 32])), "TokenHash(abab…)");
    }
}
