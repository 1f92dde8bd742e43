//! One peer: its str0m `Rtc`, the tracks it sends and receives, and what it tells the signalling
//! layer. Everything here runs inside the loop, under `catch_unwind` (see `sfu_state`).

use std::time::{Duration, Instant};

use str0m::bwe::BweKind;
use str0m::media::{KeyframeRequest, KeyframeRequestKind, MediaData, MediaKind, Mid, Rid};
use str0m::net::Transmit;
use str0m::{Event, IceConnectionState, Input, Output, Rtc};
use tokio::sync::mpsc;

use super::negotiation::{PendingOffer, TrackOut};
use super::{PeerEvent, PeerId, PeerLabel, RoomId};

/// A peer whose ICE never connects is dropped after this long.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A peer whose ICE stays disconnected (and gets no ICE restart through) is dropped after this.
pub(super) const DISCONNECTED_TIMEOUT: Duration = Duration::from_secs(30);
/// At most one keyframe request per incoming track in this interval, whatever asks for it.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(500);

/// A track this peer sends to the SFU.
#[derive(Debug)]
pub(super) struct TrackIn {
    pub(super) mid: Mid,
    pub(super) kind: MediaKind,
    /// Simulcast layers the browser sends (empty without simulcast).
    pub(super) rids: Vec<Rid>,
    last_keyframe_request: Option<Instant>,
}

/// Where the peer's ICE/DTLS stands, as last told to the signalling layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    New { since: Instant },
    Connected,
    Disconnected { since: Instant },
}

/// What one peer's output asks of the rest of the room.
// Frames are by far the most common item; boxing them would allocate once per frame.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Propagated {
    /// The peer started sending a new track.
    TrackOpened(Mid),
    /// A media frame of the peer, to forward.
    Media(MediaData),
    /// The peer (as a receiver) asks for a keyframe on one of its outgoing mids.
    KeyframeRequest(KeyframeRequest),
}

#[derive(Debug)]
pub(super) struct Peer {
    pub(super) id: PeerId,
    pub(super) room: RoomId,
    pub(super) label: PeerLabel,
    /// A device check: the peer receives its own tracks.
    pub(super) echo: bool,
    pub(super) rtc: Rtc,
    events: mpsc::Sender<PeerEvent>,
    pub(super) tracks_in: Vec<TrackIn>,
    pub(super) tracks_out: Vec<TrackOut>,
    pub(super) pending: Option<PendingOffer>,
    pub(super) ice_restart_wanted: bool,
    pub(super) link: Link,
    /// The latest send-side bandwidth estimate towards this peer.
    pub(super) estimate_bps: Option<u64>,
    /// Test hook: the estimate is fixed and real estimates are ignored.
    estimate_pinned: bool,
    pub(super) next_timeout: Instant,
    /// Set when the peer must be removed, with the reason given to the signalling layer.
    pub(super) doomed: Option<String>,
    panic_armed: bool,
}

impl Peer {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        id: PeerId,
        room: RoomId,
        label: PeerLabel,
        echo: bool,
        rtc: Rtc,
        events: mpsc::Sender<PeerEvent>,
        now: Instant,
    ) -> Peer {
        Peer {
            id,
            room,
            label,
            echo,
            rtc,
            events,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            pending: None,
            ice_restart_wanted: false,
            link: Link::New { since: now },
            estimate_bps: None,
            estimate_pinned: false,
            next_timeout: now,
            doomed: None,
            panic_armed: false,
        }
    }

    /// Marks the peer for removal (the first reason wins).
    pub(super) fn doom(&mut self, reason: impl Into<String>) {
        if self.doomed.is_none() {
            self.doomed = Some(reason.into());
        }
    }

    /// Tells the signalling layer something. A full queue means nobody reads: the peer goes.
    pub(super) fn emit(&mut self, event: PeerEvent) {
        match self.events.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.doom("the signalling layer fell behind")
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.doom("the link was dropped"),
        }
    }

    /// The last word to the signalling layer; it may not arrive if the queue is full.
    pub(super) fn emit_closed(&self, reason: String) {
        let _ = self.events.try_send(PeerEvent::Closed { reason });
    }

    pub(super) fn pin_estimate(&mut self, bps: u64) {
        self.estimate_bps = Some(bps);
        self.estimate_pinned = true;
    }

    pub(super) fn arm_panic(&mut self) {
        self.panic_armed = true;
    }

    /// Feeds one input (a datagram or a timeout) to the `Rtc`.
    pub(super) fn handle_input(&mut self, input: Input) {
        if self.panic_armed {
            self.panic_armed = false;
            panic!("injected fault in peer handling");
        }
        if !self.rtc.is_alive() {
            return;
        }
        if let Err(e) = self.rtc.handle_input(input) {
            tracing::debug!(peer = %self.id.0, error = %e, "peer input refused");
            self.doom("the connection failed");
        }
    }

    /// Feeds a timeout when one is due, and drops peers that never connect or stay lost.
    pub(super) fn handle_timeout(&mut self, now: Instant) {
        if now >= self.next_timeout {
            self.handle_input(Input::Timeout(now));
        }
        match self.link {
            Link::New { since } if now.saturating_duration_since(since) > CONNECT_TIMEOUT => {
                self.doom("the media connection was not established in time")
            }
            Link::Disconnected { since }
                if now.saturating_duration_since(since) > DISCONNECTED_TIMEOUT =>
            {
                self.doom("the media connection was lost")
            }
            _ => {}
        }
        if !self.rtc.is_alive() {
            self.doom("the media connection closed");
        }
    }

    /// Polls the `Rtc` until it wants a timeout: sends its datagrams with `transmit` and collects
    /// what the room must learn in `out`.
    pub(super) fn poll(&mut self, transmit: &mut dyn FnMut(&Transmit), out: &mut Vec<Propagated>) {
        while self.rtc.is_alive() && self.doomed.is_none() {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => {
                    self.next_timeout = at;
                    return;
                }
                Ok(Output::Transmit(datagram)) => transmit(&datagram),
                Ok(Output::Event(event)) => self.handle_event(event, out),
                Err(e) => {
                    tracing::debug!(peer = %self.id.0, error = %e, "peer output failed");
                    self.doom("the connection failed");
                }
            }
        }
    }

    fn handle_event(&mut self, event: Event, out: &mut Vec<Propagated>) {
        match event {
            Event::Connected => self.set_link(Link::Connected),
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.set_link(Link::Disconnected {
                    since: Instant::now(),
                })
            }
            Event::IceConnectionStateChange(
                IceConnectionState::Connected | IceConnectionState::Completed,
            ) => {
                // After a disconnect ICE may come back by itself; DTLS stays up.
                if matches!(self.link, Link::Disconnected { .. }) {
                    self.set_link(Link::Connected);
                }
            }
            Event::MediaAdded(added) if added.direction.is_receiving() => {
                let rids = added
                    .simulcast
                    .map(|s| s.recv.iter().map(|layer| layer.rid).collect())
                    .unwrap_or_default();
                self.tracks_in.push(TrackIn {
                    mid: added.mid,
                    kind: added.kind,
                    rids,
                    last_keyframe_request: None,
                });
                out.push(Propagated::TrackOpened(added.mid));
            }
            Event::MediaData(data) => {
                if !data.contiguous {
                    // Loss on the way in: the receivers would freeze until the next keyframe.
                    self.request_keyframe(data.mid, data.rid, KeyframeRequestKind::Pli);
                }
                out.push(Propagated::Media(data));
            }
            Event::KeyframeRequest(request) => out.push(Propagated::KeyframeRequest(request)),
            Event::EgressBitrateEstimate(
                BweKind::Twcc { estimate, .. } | BweKind::Remb { estimate, .. },
            ) if !self.estimate_pinned => {
                self.estimate_bps = Some(estimate.as_u64());
            }
            Event::Closed => self.doom("the peer closed the connection"),
            _ => {}
        }
    }

    fn set_link(&mut self, link: Link) {
        let was_connected = self.link == Link::Connected;
        self.link = link;
        match link {
            Link::Connected if !was_connected => self.emit(PeerEvent::Connected),
            Link::Disconnected { .. } if was_connected => self.emit(PeerEvent::Disconnected),
            _ => {}
        }
    }

    /// Asks this peer (as a sender) for a keyframe on one of its tracks, at most once per
    /// [`KEYFRAME_REQUEST_INTERVAL`].
    pub(super) fn request_keyframe(
        &mut self,
        mid: Mid,
        rid: Option<Rid>,
        kind: KeyframeRequestKind,
    ) {
        let now = Instant::now();
        let Some(track) = self.tracks_in.iter_mut().find(|t| t.mid == mid) else {
            return;
        };
        if track.kind != MediaKind::Video {
            return;
        }
        if track
            .last_keyframe_request
            .is_some_and(|at| now.saturating_duration_since(at) < KEYFRAME_REQUEST_INTERVAL)
        {
            return;
        }
        let Some(mut writer) = self.rtc.writer(mid) else {
            return;
        };
        if !writer.is_request_keyframe_possible(kind) {
            return;
        }
        // Fails when the sender has not sent on that rid yet; the next request will do.
        if writer.request_keyframe(rid, kind).is_ok() {
            track.last_keyframe_request = Some(now);
        }
    }
}
