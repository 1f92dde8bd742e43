//! The selective forwarding unit: one UDP socket, one str0m `Rtc` per peer, rooms of peers that
//! receive each other's media.
//!
//! Negotiation: the browser sends the first offer (its camera and microphone); after that the SFU
//! is the only offerer (new tracks of other peers, ICE restarts), so offers never cross. An answer
//! is expected for each SFU offer before the next one is sent; changes wait in between.
//!
//! TODO(helper sfu): implement; this file fixes the interface the signalling layer uses.

use std::net::SocketAddr;

use tokio::sync::mpsc;

use crate::error::MediaError;
use crate::signal::message::{IceCandidate, SessionDescription, TrackInfo};

/// Where the SFU listens and which address it announces.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The UDP address to bind; `127.0.0.1:0` on a loopback-only machine.
    pub bind: SocketAddr,
    /// The address written into candidates when it differs from the bound one (behind NAT).
    pub public_addr: Option<SocketAddr>,
}

/// A room: the peers of one video session. The signalling layer uses the session id's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomId(pub String);

/// A peer: one connection of one participant. A participant who rejoins gets a new peer id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub String);

/// Who a peer is, as other peers are told (never an address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerLabel {
    /// `citizen`, `clerk` or `interpreter`.
    pub role: String,
    /// A display name chosen by the signalling layer (no personal data needed).
    pub name: String,
}

/// What the SFU tells the signalling layer about one peer.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerEvent {
    /// An offer from the SFU (new remote tracks, or an ICE restart); answer with
    /// [`PeerLink::answer`]. `tracks` says which mid carries whose media.
    Offer {
        description: SessionDescription,
        tracks: Vec<TrackInfo>,
    },
    /// ICE and DTLS are up; media can flow.
    Connected,
    /// ICE lost the peer (network change); it may come back by itself or after an ICE restart.
    Disconnected,
    /// The peer is gone from the SFU for good (timed out, failed, removed after a panic).
    Closed { reason: String },
}

/// The running SFU. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SfuHandle {
    _private: (),
}

impl SfuHandle {
    /// Binds the socket and starts the forwarding loop.
    pub async fn start(_config: SfuConfig) -> Result<SfuHandle, MediaError> {
        Err(MediaError::Stopped)
    }

    /// The address browsers send media to (the announced one).
    pub fn media_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    /// Adds a peer to a room with the browser's first offer; returns the answer and the link.
    /// The peer receives every track the room's other peers send, now and later.
    pub async fn join(
        &self,
        _room: RoomId,
        _peer: PeerId,
        _label: PeerLabel,
        _offer: SessionDescription,
    ) -> Result<(SessionDescription, PeerLink), MediaError> {
        Err(MediaError::Stopped)
    }

    /// The device check's round trip: a room of one in which the peer receives its own audio and
    /// video back through the SFU (after its first answer, via an offer like any other track).
    pub async fn join_echo(
        &self,
        _peer: PeerId,
        _label: PeerLabel,
        _offer: SessionDescription,
    ) -> Result<(SessionDescription, PeerLink), MediaError> {
        Err(MediaError::Stopped)
    }

    /// Counts for `/ready` and the benchmarks.
    pub async fn stats(&self) -> Result<SfuStats, MediaError> {
        Err(MediaError::Stopped)
    }
}

/// Numbers about the running SFU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SfuStats {
    pub rooms: usize,
    pub peers: usize,
    /// Tracks being forwarded (one per sending track per receiving peer).
    pub forwarded_streams: usize,
}

/// The signalling layer's side of one peer. Dropping it removes the peer from the SFU.
#[derive(Debug)]
pub struct PeerLink {
    /// What the SFU says about this peer.
    pub events: mpsc::Receiver<PeerEvent>,
}

impl PeerLink {
    /// The browser's answer to the last [`PeerEvent::Offer`].
    pub async fn answer(&self, _answer: SessionDescription) -> Result<(), MediaError> {
        Err(MediaError::Stopped)
    }

    /// A trickled candidate of the browser.
    pub async fn candidate(&self, _candidate: IceCandidate) -> Result<(), MediaError> {
        Err(MediaError::Stopped)
    }

    /// Asks for an offer with fresh ICE credentials (after a network change).
    pub async fn restart_ice(&self) -> Result<(), MediaError> {
        Err(MediaError::Stopped)
    }

    /// Removes the peer now (hang-up); its tracks disappear from the others' offers.
    pub async fn leave(self) {}
}
