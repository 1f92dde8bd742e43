//! One minted credential: `username = <unix expiry>:<participant>`,
//! `password = base64(HMAC-SHA1(secret, username))`, as coturn's `use-auth-secret` expects.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{TurnError, TurnSecret};

/// The longest participant id, in characters.
pub const MAX_PARTICIPANT_CHARS: usize = 128;

/// A TURN username and password valid until `expires_at`. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnCredential {
    /// `<unix expiry>:<participant>`.
    pub username: String,
    /// `base64(HMAC-SHA1(secret, username))`, standard alphabet with padding.
    pub password: String,
    /// The moment coturn stops accepting the username for new allocations (whole seconds).
    pub expires_at: DateTime<Utc>,
}

impl TurnCredential {
    /// Mints the credential of `participant` that expires at `expires_at` (cut to whole
    /// seconds), signed with `secret`.
    ///
    /// `participant` must be an opaque id (the signalling's peer id): 1 to 128 ASCII letters,
    /// digits, `-`, `_` or `.`. coturn logs usernames, so no name or e-mail address belongs here,
    /// and a `:` would move the expiry coturn reads.
    pub fn mint(
        secret: &TurnSecret,
        participant: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Self, TurnError> {
        check_participant(participant)?;
        let expiry = expires_at.timestamp();
        if expiry <= 0 {
            return Err(TurnError::ExpiryOutOfRange);
        }
        let expires_at = DateTime::from_timestamp(expiry, 0).ok_or(TurnError::ExpiryOutOfRange)?;
        let username = format!("{expiry}:{participant}");
        let password = password(secret, &username);
        Ok(Self {
            username,
            password,
            expires_at,
        })
    }
}

/// `base64(HMAC-SHA1(secret, username))`.
fn password(secret: &TurnSecret, username: &str) -> String {
    // HMAC takes a key of any length (longer keys are hashed first), so `new_from_slice` cannot
    // fail for `Hmac<Sha1>`; the error arm exists only because the trait is shared with MACs
    // that have fixed key sizes.
    let mut mac = match <Hmac<Sha1> as Mac>::new_from_slice(secret.key()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn check_participant(participant: &str) -> Result<(), TurnError> {
    let fits = !participant.is_empty()
        && participant.len() <= MAX_PARTICIPANT_CHARS
        && participant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if fits {
        Ok(())
    } else {
        Err(TurnError::BadParticipant)
    }
}

impl std::fmt::Debug for TurnCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnCredential")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}
