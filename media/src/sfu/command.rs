//! What the public handles ask of the SFU's loop. Each request that can fail carries a reply.

use str0m::Candidate;
use tokio::sync::{mpsc, oneshot};

use super::{PeerEvent, PeerId, PeerLabel, RoomId, SfuStats};
use crate::error::MediaError;
use crate::signal::message::SessionDescription;

/// The loop's own name for a peer: unique for the SFU's lifetime, never reused, so a late command
/// of a removed peer can never reach its successor with the same [`PeerId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct PeerKey(pub(super) u64);

pub(super) type Reply<T> = oneshot::Sender<Result<T, MediaError>>;

#[derive(Debug)]
pub(super) enum Command {
    Join {
        room: RoomId,
        peer: PeerId,
        label: PeerLabel,
        offer_sdp: String,
        echo: bool,
        events: mpsc::Sender<PeerEvent>,
        reply: Reply<(SessionDescription, PeerKey)>,
    },
    Answer {
        key: PeerKey,
        sdp: String,
        reply: Reply<()>,
    },
    Candidate {
        key: PeerKey,
        candidate: Box<Candidate>,
        reply: Reply<()>,
    },
    RestartIce {
        key: PeerKey,
        reply: Reply<()>,
    },
    Remove {
        key: PeerKey,
    },
    Stats {
        reply: oneshot::Sender<SfuStats>,
    },
    /// Test hook: pins the bandwidth estimate towards the peer (simulcast layer choice).
    PinEstimate {
        key: PeerKey,
        bps: u64,
    },
    /// Test hook: the peer's next input handling panics.
    InjectPanic {
        key: PeerKey,
    },
}
