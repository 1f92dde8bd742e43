//! The selective forwarding unit: one UDP socket, one str0m `Rtc` per peer, rooms of peers that
//! receive each other's media.
//!
//! Negotiation: the browser sends the first offer (its camera and microphone); after that the SFU
//! is the only offerer (new tracks of other peers, ICE restarts), so offers never cross. An answer
//! is expected for each SFU offer before the next one is sent; changes wait in between.
//!
//! Layout: this file is the API the signalling layer uses; [`runtime`] is the loop that owns the
//! socket; `sfu_state` holds rooms and peers; `peer` drives one `Rtc`; `negotiation` turns track
//! changes into offers; `forward` moves media and keyframe requests between peers; `budget` keeps a
//! flooding source from starving the others.
//!
//! Forwarding is str0m's frame mode (depacketize, then packetize per receiver); on loopback it adds
//! about 0.1 to 0.3 ms per frame (median) over a direct call, so RTP mode was not needed.
//!
//! Degradation instead of freezing: loss on a sender's track makes the SFU ask that sender for a
//! keyframe (PLI, at most one per 500 ms per track); receivers' PLI/FIR are routed to the sender's
//! track; a new receiver starts with a FIR; str0m answers NACKs from each receiver's send buffer;
//! BWE runs per peer, and a receiver whose estimate falls below 400 kbit/s gets a simulcast
//! sender's lowest layer (switched at a keyframe of that layer), and the highest again when it
//! recovers. A sender without simulcast cannot be thinned for one weak receiver.
//!
//! Robustness: each peer's handling runs under `catch_unwind` (a panic drops that peer only);
//! datagrams no peer accepts are dropped; each source address has a packet budget per 100 ms
//! window; the loop reads at most a batch of datagrams before it serves timers and other peers.
//!
//! Architecture invariant: every handle talks to the loop through one command channel; the loop is
//! the only owner of the `Rtc`s, so no lock is ever held around media.

mod budget;
mod command;
mod forward;
mod negotiation;
mod peer;
mod runtime;
mod sfu_state;

use std::net::SocketAddr;

use str0m::Candidate;
use tokio::sync::{mpsc, oneshot};

use crate::error::MediaError;
use crate::signal::message::{IceCandidate, SdpType, SessionDescription, TrackInfo};
use command::{Command, PeerKey, Reply};

/// How many events may wait for the signalling layer before the peer is dropped as unresponsive.
const EVENT_QUEUE: usize = 64;

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
    /// [`PeerLink::answer`]. `tracks` says which mid carries whose media: every track the peer
    /// currently receives, not only the new ones.
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

/// The running SFU. Cheap to clone. The loop (and its thread) stops when every handle and link
/// is dropped.
#[derive(Debug, Clone)]
pub struct SfuHandle {
    commands: mpsc::UnboundedSender<Command>,
    media_addr: SocketAddr,
}

impl SfuHandle {
    /// Binds the socket and starts the forwarding loop on a thread of its own (with its own
    /// single-threaded tokio runtime), so the web server's workers and the media loop never wait
    /// for each other.
    pub async fn start(config: SfuConfig) -> Result<SfuHandle, MediaError> {
        let socket = runtime::bind(config.bind)?;
        let local = socket.local_addr()?;
        let media_addr = config.public_addr.unwrap_or(local);
        if media_addr.ip().is_unspecified() || media_addr.port() == 0 {
            return Err(MediaError::Socket(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the SFU needs a concrete address to announce: bind one, or set public_addr",
            )));
        }
        let (commands, receiver) = mpsc::unbounded_channel();
        runtime::spawn(socket, media_addr, receiver)?;
        Ok(SfuHandle {
            commands,
            media_addr,
        })
    }

    /// The address browsers send media to (the announced one).
    pub fn media_addr(&self) -> SocketAddr {
        self.media_addr
    }

    /// Adds a peer to a room with the browser's first offer; returns the answer and the link.
    /// The peer receives every track the room's other peers send, now and later.
    pub async fn join(
        &self,
        room: RoomId,
        peer: PeerId,
        label: PeerLabel,
        offer: SessionDescription,
    ) -> Result<(SessionDescription, PeerLink), MediaError> {
        self.join_room(room, peer, label, offer, false).await
    }

    /// The device check's round trip: a room of one in which the peer receives its own audio and
    /// video back through the SFU (after its first answer, via an offer like any other track).
    pub async fn join_echo(
        &self,
        peer: PeerId,
        label: PeerLabel,
        offer: SessionDescription,
    ) -> Result<(SessionDescription, PeerLink), MediaError> {
        let room = RoomId(format!("echo:{}", peer.0));
        self.join_room(room, peer, label, offer, true).await
    }

    /// Counts for `/ready` and the benchmarks.
    pub async fn stats(&self) -> Result<SfuStats, MediaError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Stats { reply })
            .map_err(|_| MediaError::Stopped)?;
        answer.await.map_err(|_| MediaError::Stopped)
    }

    async fn join_room(
        &self,
        room: RoomId,
        peer: PeerId,
        label: PeerLabel,
        offer: SessionDescription,
        echo: bool,
    ) -> Result<(SessionDescription, PeerLink), MediaError> {
        if offer.kind != SdpType::Offer {
            return Err(MediaError::InvalidSdp("a join needs an offer".to_owned()));
        }
        let (events_tx, events) = mpsc::channel(EVENT_QUEUE);
        let (answer, key) = request(&self.commands, |reply| Command::Join {
            room,
            peer,
            label,
            offer_sdp: offer.sdp,
            echo,
            events: events_tx,
            reply,
        })
        .await?;
        let link = PeerLink {
            events,
            commands: self.commands.clone(),
            key,
        };
        Ok((answer, link))
    }
}

/// Sends one command and waits for its reply; a closed loop is [`MediaError::Stopped`].
async fn request<T>(
    commands: &mpsc::UnboundedSender<Command>,
    command: impl FnOnce(Reply<T>) -> Command,
) -> Result<T, MediaError> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(command(reply))
        .map_err(|_| MediaError::Stopped)?;
    answer.await.map_err(|_| MediaError::Stopped)?
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
    commands: mpsc::UnboundedSender<Command>,
    key: PeerKey,
}

impl PeerLink {
    /// The browser's answer to the last [`PeerEvent::Offer`].
    pub async fn answer(&self, answer: SessionDescription) -> Result<(), MediaError> {
        if answer.kind != SdpType::Answer {
            return Err(MediaError::Negotiation(
                "the SFU is the only offerer after the first offer".to_owned(),
            ));
        }
        let key = self.key;
        request(&self.commands, |reply| Command::Answer {
            key,
            sdp: answer.sdp,
            reply,
        })
        .await
    }

    /// A trickled candidate of the browser. An empty candidate (the end of candidates) is
    /// accepted and does nothing.
    pub async fn candidate(&self, candidate: IceCandidate) -> Result<(), MediaError> {
        let line = candidate.candidate.trim();
        if line.is_empty() {
            return Ok(());
        }
        let line = line.strip_prefix("a=").unwrap_or(line);
        let parsed = Candidate::from_sdp_string(line)
            .map_err(|_| MediaError::InvalidSdp("the candidate cannot be parsed".to_owned()))?;
        let key = self.key;
        request(&self.commands, |reply| Command::Candidate {
            key,
            candidate: Box::new(parsed),
            reply,
        })
        .await
    }

    /// Asks for an offer with fresh ICE credentials (after a network change). The offer arrives
    /// as a [`PeerEvent::Offer`] (after any offer still waiting for its answer).
    pub async fn restart_ice(&self) -> Result<(), MediaError> {
        let key = self.key;
        request(&self.commands, |reply| Command::RestartIce { key, reply }).await
    }

    /// Removes the peer now (hang-up); its tracks disappear from the others' offers.
    pub async fn leave(self) {
        // Dropping sends the removal.
    }

    /// Test hook: pins the send-side bandwidth estimate towards this peer, as if its link had
    /// that capacity (loopback has no slow links). Real estimates are ignored from then on.
    #[doc(hidden)]
    pub fn pin_estimate(&self, bps: u64) -> Result<(), MediaError> {
        self.commands
            .send(Command::PinEstimate { key: self.key, bps })
            .map_err(|_| MediaError::Stopped)
    }

    /// Test hook: the next time the SFU handles this peer's input, the handling panics. The SFU
    /// must drop this peer only (with [`PeerEvent::Closed`]) and keep serving everyone else.
    #[doc(hidden)]
    pub fn inject_panic(&self) -> Result<(), MediaError> {
        self.commands
            .send(Command::InjectPanic { key: self.key })
            .map_err(|_| MediaError::Stopped)
    }
}

impl Drop for PeerLink {
    fn drop(&mut self) {
        // A stopped loop has no peer left to remove.
        let _ = self.commands.send(Command::Remove { key: self.key });
    }
}
