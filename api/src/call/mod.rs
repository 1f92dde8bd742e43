//! The video call (issue 5): who may join a case's call ([`join`]), the rooms of connected
//! participants ([`hub`]), the records of the call ([`session`]), the WebSocket that carries the
//! signalling between the browser and the SFU ([`socket`], protocol in `docs/signalling.md`), and
//! the clerk's invitations of third parties ([`invites`]).
//!
//! Rooms live in the process that runs the SFU: every connection of one case's call must reach
//! the same process (one process per deployment today; several would route by case).

pub mod abandon;
pub mod hub;
pub mod invites;
pub mod join;
pub mod session;
pub mod socket;

use std::sync::Arc;

use media::sfu::SfuHandle;
use media::signal::message::IceServer;
use media::turn::TurnServers;

/// The call's parts in the application state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Calls {
    pub hub: hub::Hub,
    /// The SFU; `None` until `serve` (or a test) starts one: media is then refused.
    pub sfu: Option<SfuHandle>,
    /// The TURN servers and the secrets their credentials are minted with; `None` sends no
    /// `iceServers` (browsers then reach the SFU directly or not at all).
    pub turn: Option<Arc<TurnServers>>,
    /// Every browser is told to use TURN only (`iceTransportPolicy: "relay"`).
    pub relay_only: bool,
    /// How long a call everybody left stays open before the system ends it ([`abandon`]).
    pub abandon_grace: std::time::Duration,
}

impl Default for Calls {
    fn default() -> Self {
        Calls {
            hub: hub::Hub::default(),
            sfu: None,
            turn: None,
            relay_only: false,
            abandon_grace: abandon::DEFAULT_GRACE,
        }
    }
}

impl Calls {
    /// The `iceTransportPolicy` browsers are told to use.
    pub fn ice_transport_policy(&self) -> &'static str {
        if self.relay_only && self.turn.is_some() {
            "relay"
        } else {
            "all"
        }
    }

    /// The `iceServers` for one connection, with a fresh credential for its peer id. A minting
    /// fault (it cannot happen with validated settings) is logged and leaves TURN out.
    pub fn ice_servers(&self, peer_id: &str, now: chrono::DateTime<chrono::Utc>) -> Vec<IceServer> {
        match &self.turn {
            Some(turn) => turn.ice_servers(peer_id, now).unwrap_or_else(|error| {
                tracing::error!(%error, "minting TURN credentials failed");
                Vec::new()
            }),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
