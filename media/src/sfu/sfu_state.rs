//! The loop's state: peers by key, rooms of peers, and the steps the loop runs (join, input,
//! timeouts, polling, propagation, removal).
//!
//! Every step that touches one peer's `Rtc` runs under `catch_unwind`: a panic there (a bug, or
//! input that trips one in a dependency) dooms that peer only; the loop and the other peers go on.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use str0m::bwe::Bitrate;
use str0m::change::SdpOffer;
use str0m::net::{DatagramRecv, Protocol, Receive, Transmit};
use str0m::{Candidate, Input, Rtc};
use tokio::sync::mpsc;

use super::command::{Command, PeerKey};
use super::forward::{forward_media, route_keyframe_request};
use super::negotiation::{NeedsKeyframe, Owner, TrackOut};
use super::peer::{Peer, Propagated};
use super::{PeerEvent, PeerId, PeerLabel, RoomId, SfuStats};
use crate::error::MediaError;
use crate::signal::message::{SdpType, SessionDescription};

/// The send-side bandwidth estimate a new peer starts with.
const INITIAL_BITRATE_KBPS: u64 = 1_500;
/// The loop wakes at least this often for housekeeping (connect and disconnect timeouts).
const HOUSEKEEPING: Duration = Duration::from_millis(500);
/// Rounds of poll-and-propagate per drive; a frame needs one, a keyframe request two. A bound
/// only so that one turn of the loop stays short; unfinished work resumes on the next turn.
const MAX_ROUNDS: usize = 8;
/// Source addresses remembered for demultiplexing; beyond that the cache starts over (a peer may
/// send from many ports; the cache only saves a scan).
const MAX_ROUTES: usize = 16_384;

/// Runs `f` on one peer; a panic dooms that peer and returns `None`.
fn guarded<T>(peer: &mut Peer, f: impl FnOnce(&mut Peer) -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(|| f(&mut *peer))) {
        Ok(value) => Some(value),
        Err(_) => {
            tracing::error!(peer = %peer.id.0, "peer handling panicked; the peer is dropped");
            peer.doom("internal error");
            None
        }
    }
}

#[derive(Debug)]
pub(super) struct Sfu {
    announced: SocketAddr,
    peers: BTreeMap<PeerKey, Peer>,
    ids: HashMap<PeerId, PeerKey>,
    rooms: BTreeMap<RoomId, Vec<PeerKey>>,
    /// Which peer a source address belonged to last; checked first when demultiplexing.
    routes: HashMap<SocketAddr, PeerKey>,
    next_key: u64,
}

impl Sfu {
    pub(super) fn new(announced: SocketAddr) -> Sfu {
        Sfu {
            announced,
            peers: BTreeMap::new(),
            ids: HashMap::new(),
            rooms: BTreeMap::new(),
            routes: HashMap::new(),
            next_key: 0,
        }
    }

    pub(super) fn command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Join {
                room,
                peer,
                label,
                offer_sdp,
                echo,
                events,
                reply,
            } => {
                let result = self.join(room, peer, label, &offer_sdp, echo, events, now);
                let _ = reply.send(result);
            }
            Command::Answer { key, sdp, reply } => {
                let result = self.answer(key, &sdp);
                let _ = reply.send(result);
            }
            Command::Candidate {
                key,
                candidate,
                reply,
            } => {
                let result = match self.peers.get_mut(&key) {
                    Some(peer) => {
                        guarded(peer, |p| p.rtc.add_remote_candidate(*candidate));
                        Ok(())
                    }
                    None => Err(MediaError::UnknownPeer),
                };
                let _ = reply.send(result);
            }
            Command::RestartIce { key, reply } => {
                let result = match self.peers.get_mut(&key) {
                    Some(peer) => {
                        peer.ice_restart_wanted = true;
                        Ok(())
                    }
                    None => Err(MediaError::UnknownPeer),
                };
                let _ = reply.send(result);
            }
            Command::Remove { key } => self.remove(key, "left".to_owned()),
            Command::Stats { reply } => {
                let _ = reply.send(self.stats());
            }
            Command::PinEstimate { key, bps } => {
                if let Some(peer) = self.peers.get_mut(&key) {
                    peer.pin_estimate(bps);
                }
            }
            Command::InjectPanic { key } => {
                if let Some(peer) = self.peers.get_mut(&key) {
                    peer.arm_panic();
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn join(
        &mut self,
        room: RoomId,
        id: PeerId,
        label: PeerLabel,
        offer_sdp: &str,
        echo: bool,
        events: mpsc::Sender<PeerEvent>,
        now: Instant,
    ) -> Result<(SessionDescription, PeerKey), MediaError> {
        if self.ids.contains_key(&id) {
            return Err(MediaError::Negotiation(
                "this peer id is already in the SFU".to_owned(),
            ));
        }
        let offer = SdpOffer::from_sdp_string(offer_sdp)
            .map_err(|_| MediaError::InvalidSdp("the offer cannot be parsed".to_owned()))?;
        let host = Candidate::host(self.announced, "udp").map_err(|e| {
            MediaError::Socket(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                e.to_string(),
            ))
        })?;
        // The offer is the browser's: str0m must not take the loop down on a malformed one.
        let accepted = catch_unwind(AssertUnwindSafe(|| {
            let mut rtc = Rtc::builder()
                .set_ice_lite(true)
                .enable_bwe(Some(Bitrate::kbps(INITIAL_BITRATE_KBPS)))
                .build(now);
            rtc.add_local_candidate(host);
            let answer = rtc.sdp_api().accept_offer(offer);
            answer.map(|answer| (rtc, answer))
        }));
        let (rtc, answer) = match accepted {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "offer refused");
                return Err(MediaError::InvalidSdp(
                    "the offer cannot be accepted".to_owned(),
                ));
            }
            Err(_) => {
                tracing::error!("accepting an offer panicked");
                return Err(MediaError::InvalidSdp(
                    "the offer cannot be accepted".to_owned(),
                ));
            }
        };

        let key = PeerKey(self.next_key);
        self.next_key += 1;
        let mut peer = Peer::new(id.clone(), room.clone(), label, echo, rtc, events, now);
        // The joiner receives what the room already sends (in its first SFU offer).
        let members = self.rooms.get(&room).cloned().unwrap_or_default();
        for member in members {
            if let Some(sender) = self.peers.get(&member) {
                let owner = owner_of(sender);
                for track in &sender.tracks_in {
                    peer.tracks_out.push(TrackOut::new(
                        member,
                        track.mid,
                        track.kind,
                        owner.clone(),
                    ));
                }
            }
        }
        self.peers.insert(key, peer);
        self.ids.insert(id, key);
        self.rooms.entry(room).or_default().push(key);
        let answer = SessionDescription {
            kind: SdpType::Answer,
            sdp: answer.to_sdp_string(),
        };
        Ok((answer, key))
    }

    fn answer(&mut self, key: PeerKey, sdp: &str) -> Result<(), MediaError> {
        let peer = self.peers.get_mut(&key).ok_or(MediaError::UnknownPeer)?;
        let Some(result) = guarded(peer, |p| p.accept_answer(sdp)) else {
            return Err(MediaError::UnknownPeer);
        };
        let opened = result?;
        // A new receiver starts with a keyframe instead of waiting for the next one.
        for need in opened {
            self.request_keyframe(need);
        }
        Ok(())
    }

    /// Removes a peer: the others stop receiving its tracks (the next offer stops the mids).
    pub(super) fn remove(&mut self, key: PeerKey, reason: String) {
        let Some(peer) = self.peers.remove(&key) else {
            return;
        };
        tracing::info!(peer = %peer.id.0, reason = %reason, "peer removed");
        peer.emit_closed(reason);
        self.ids.remove(&peer.id);
        self.routes.retain(|_, k| *k != key);
        if let Some(members) = self.rooms.get_mut(&peer.room) {
            members.retain(|k| *k != key);
            if members.is_empty() {
                self.rooms.remove(&peer.room);
            }
        }
        for other in self.peers.values_mut() {
            for track in other.tracks_out.iter_mut().filter(|t| t.source == key) {
                track.source_gone = true;
            }
        }
    }

    fn stats(&self) -> SfuStats {
        SfuStats {
            rooms: self.rooms.len(),
            peers: self.peers.len(),
            forwarded_streams: self
                .peers
                .values()
                .map(|p| {
                    p.tracks_out
                        .iter()
                        .filter(|t| t.open_mid().is_some())
                        .count()
                })
                .sum(),
        }
    }

    /// One datagram from the socket. Garbage and datagrams no peer claims are dropped.
    pub(super) fn receive(&mut self, now: Instant, source: SocketAddr, datagram: &[u8]) {
        let Ok(contents) = DatagramRecv::try_from(datagram) else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.announced,
                contents,
            },
        );
        let cached = self
            .routes
            .get(&source)
            .copied()
            .filter(|key| self.peers.get(key).is_some_and(|p| p.rtc.accepts(&input)));
        let key = cached.or_else(|| {
            self.peers
                .iter()
                .find(|(_, p)| p.doomed.is_none() && p.rtc.accepts(&input))
                .map(|(key, _)| *key)
        });
        let Some(key) = key else {
            return;
        };
        if cached.is_none() {
            if self.routes.len() >= MAX_ROUTES {
                self.routes.clear();
            }
            self.routes.insert(source, key);
        }
        if let Some(peer) = self.peers.get_mut(&key) {
            guarded(peer, |p| p.handle_input(input));
        }
    }

    /// Feeds due timeouts to every peer.
    pub(super) fn handle_timeouts(&mut self, now: Instant) {
        for peer in self.peers.values_mut() {
            guarded(peer, |p| p.handle_timeout(now));
        }
    }

    /// Polls every peer, forwards what they produced, makes offers and removes doomed peers,
    /// until nothing is left to do. Returns when the loop must wake next.
    pub(super) fn drive(&mut self, now: Instant, transmit: &mut dyn FnMut(&Transmit)) -> Instant {
        let mut settled = false;
        for _ in 0..MAX_ROUNDS {
            let mut produced: Vec<(PeerKey, Propagated)> = Vec::new();
            for (key, peer) in self.peers.iter_mut() {
                let mut out = Vec::new();
                guarded(peer, |p| p.poll(transmit, &mut out));
                produced.extend(out.into_iter().map(|item| (*key, item)));
            }
            for peer in self.peers.values_mut() {
                guarded(peer, |p| p.negotiate_if_needed());
            }
            self.reap();
            if produced.is_empty() {
                settled = true;
                break;
            }
            for (source, item) in produced {
                self.propagate(source, item);
            }
        }
        if !settled {
            // Writes of the last round are not polled yet: come back at once.
            return now;
        }
        let wake = now + HOUSEKEEPING;
        self.peers
            .values()
            .map(|p| p.next_timeout)
            .fold(wake, Instant::min)
    }

    fn reap(&mut self) {
        let doomed: Vec<(PeerKey, String)> = self
            .peers
            .iter()
            .filter_map(|(key, p)| p.doomed.clone().map(|reason| (*key, reason)))
            .collect();
        for (key, reason) in doomed {
            self.remove(key, reason);
        }
    }

    /// The peers that receive what `source` sends: the others in its room, or itself in an echo
    /// room.
    fn receivers(&self, source: PeerKey) -> Vec<PeerKey> {
        let Some(peer) = self.peers.get(&source) else {
            return Vec::new();
        };
        let echo = peer.echo;
        self.rooms
            .get(&peer.room)
            .map(|members| {
                members
                    .iter()
                    .copied()
                    .filter(|k| echo || *k != source)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn propagate(&mut self, source: PeerKey, item: Propagated) {
        match item {
            Propagated::TrackOpened(mid) => {
                let Some(sender) = self.peers.get(&source) else {
                    return;
                };
                let owner = owner_of(sender);
                let Some(kind) = sender
                    .tracks_in
                    .iter()
                    .find(|t| t.mid == mid)
                    .map(|t| t.kind)
                else {
                    return;
                };
                for receiver in self.receivers(source) {
                    if let Some(peer) = self.peers.get_mut(&receiver) {
                        peer.tracks_out
                            .push(TrackOut::new(source, mid, kind, owner.clone()));
                    }
                }
            }
            Propagated::Media(data) => {
                let rids = self
                    .peers
                    .get(&source)
                    .and_then(|p| p.tracks_in.iter().find(|t| t.mid == data.mid))
                    .map(|t| t.rids.clone())
                    .unwrap_or_default();
                let mut needs = Vec::new();
                for receiver in self.receivers(source) {
                    if let Some(peer) = self.peers.get_mut(&receiver) {
                        if let Some(more) =
                            guarded(peer, |p| forward_media(source, &rids, &data, p))
                        {
                            needs.extend(more);
                        }
                    }
                }
                for need in needs {
                    self.request_keyframe(need);
                }
            }
            Propagated::KeyframeRequest(request) => {
                let need = self
                    .peers
                    .get(&source)
                    .and_then(|receiver| route_keyframe_request(receiver, &request));
                if let Some(need) = need {
                    self.request_keyframe(need);
                }
            }
        }
    }

    fn request_keyframe(&mut self, need: NeedsKeyframe) {
        if let Some(sender) = self.peers.get_mut(&need.source) {
            guarded(sender, |p| {
                p.request_keyframe(need.source_mid, need.rid, need.kind)
            });
        }
    }

    /// Ends every peer (the loop is stopping).
    pub(super) fn close_all(&mut self) {
        let keys: Vec<PeerKey> = self.peers.keys().copied().collect();
        for key in keys {
            self.remove(key, "the SFU stopped".to_owned());
        }
    }
}

fn owner_of(peer: &Peer) -> Owner {
    Owner {
        peer_id: peer.id.0.clone(),
        role: peer.label.role.clone(),
        name: peer.label.name.clone(),
    }
}
