//! Short-lived TURN credentials for coturn's `use-auth-secret` mode (the "TURN REST API").
//!
//! coturn and this service share one or more secrets. For each participant the service mints a
//! username `<unix expiry>:<participant>` and the password `base64(HMAC-SHA1(secret, username))`;
//! coturn recomputes the password from the username with each secret it knows and refuses a
//! username whose expiry has passed. Nothing is stored and coturn needs no user database.
//!
//! - [`TurnSecrets`]: the shared secrets. The first one mints; coturn is configured with all of
//!   them (`static-auth-secret` lines), so a secret is rotated without downtime: add the new one
//!   to coturn and here as the second, then make it the first here, then remove the old one from
//!   both once the last credential minted with it has expired (docs/adr/0005-turn.md).
//! - [`TurnCredential`]: one minted username and password with its expiry.
//! - [`TurnServers`]: the configured TURN URLs, the secrets and the lifetime; it produces the
//!   `iceServers` entry a participant's `RTCPeerConnection` gets.
//!
//! The participant in a username is an opaque id (the signalling's peer id), never personal
//! data: coturn logs usernames. Secrets and passwords never appear in `Debug` output.

mod credential;
mod error;
mod secrets;
mod servers;

pub use credential::{TurnCredential, MAX_PARTICIPANT_CHARS};
pub use error::TurnError;
pub use secrets::{TurnSecret, TurnSecrets, MIN_SECRET_BYTES};
pub use servers::{TurnServers, DEFAULT_TTL, MAX_TTL};

#[cfg(test)]
#[path = "turn/tests.rs"]
mod tests;
