//! Why TURN settings or a participant id were refused.

/// A TURN setting (secret, URL, lifetime) or a participant id that cannot be used. The texts
/// never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TurnError {
    /// No secret was configured.
    #[error("at least one TURN secret is needed")]
    NoSecret,
    /// A secret is too short or contains characters coturn's config file cannot hold.
    #[error("TURN secret number {position} is unusable: {reason}")]
    BadSecret {
        position: usize,
        reason: &'static str,
    },
    /// The same secret is configured twice.
    #[error("TURN secret number {position} repeats an earlier one")]
    DuplicateSecret { position: usize },
    /// No TURN URL was configured.
    #[error("at least one TURN URL is needed")]
    NoUrl,
    /// A URL that is not `turn:`, `turns:` or `stun:`.
    #[error("{url:?} is not a TURN or STUN URL: {reason}")]
    BadUrl { url: String, reason: &'static str },
    /// The credential lifetime is zero or longer than [`super::MAX_TTL`].
    #[error("a TURN credential lifetime of {seconds} seconds is outside 1 second to 24 hours")]
    BadTtl { seconds: u64 },
    /// A participant id that is empty, too long, or has characters other than ASCII letters,
    /// digits, `-`, `_` and `.` (the username's `:` separator in particular).
    #[error("the participant id is not an opaque id of 1 to 128 letters, digits, '-', '_', '.'")]
    BadParticipant,
    /// The expiry is outside the range of a unix timestamp.
    #[error("the credential's expiry is out of range")]
    ExpiryOutOfRange,
}
