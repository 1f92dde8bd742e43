//! Media for the video call: the signalling protocol, a small SFU on str0m and TURN credentials.
//!
//! Invariants:
//! - Media flows browser → SFU → browser, never peer to peer: the SFU's answers and offers carry
//!   only the SFU's own candidates, so no party learns another party's address.
//! - Nothing is recorded: the SFU forwards media frames and keeps none.
//! - One peer's failure (a panic in its handling, garbage on the wire, a flood) drops that peer only.
//!
//! Layout: [`signal`] is the wire protocol (JSON messages, validation, per-peer rate limits);
//! [`sfu`] is the forwarding unit (one UDP socket for every peer); [`turn`] mints short-lived TURN
//! credentials for coturn's `use-auth-secret` mode.

pub mod error;
pub mod sfu;
pub mod signal;
pub mod turn;

pub use error::MediaError;
