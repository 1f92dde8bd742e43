//! The SFU's offers: which of another peer's tracks a peer receives on which mid, and the state of
//! each such outgoing track through the offer/answer round.
//!
//! At most one SFU offer is pending per peer. Changes (new tracks, stopped tracks, an ICE
//! restart) queue in the track states and `ice_restart_wanted` until the answer arrives; the next
//! offer then carries all of them.

use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaKind, Mid, Rid};

use super::command::PeerKey;
use super::peer::Peer;
use super::PeerEvent;
use crate::error::MediaError;
use crate::signal::message::{SdpType, SessionDescription, TrackInfo};

/// Who sends an outgoing track, as the receiving page is told.
#[derive(Debug, Clone)]
pub(super) struct Owner {
    pub(super) peer_id: String,
    pub(super) role: String,
    pub(super) name: String,
}

/// Where an outgoing track stands in the negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OutState {
    /// Waiting for the next offer.
    ToOpen,
    /// In the pending offer on this mid.
    Negotiating(Mid),
    /// Answered: media is forwarded on this mid.
    Open(Mid),
    /// The source left: the mid is stopped in the next offer.
    ToStop(Mid),
    /// In the pending offer as stopped.
    NegotiatingStop(Mid),
}

/// One track of another peer that this peer receives.
#[derive(Debug)]
pub(super) struct TrackOut {
    pub(super) source: PeerKey,
    pub(super) source_mid: Mid,
    pub(super) kind: MediaKind,
    pub(super) owner: Owner,
    pub(super) state: OutState,
    /// The source peer is gone: stop this mid.
    pub(super) source_gone: bool,
    /// The simulcast layer forwarded now, and the one to switch to at the next keyframe.
    pub(super) rid: Option<Rid>,
    pub(super) wanted_rid: Option<Rid>,
}

impl TrackOut {
    pub(super) fn new(source: PeerKey, source_mid: Mid, kind: MediaKind, owner: Owner) -> TrackOut {
        TrackOut {
            source,
            source_mid,
            kind,
            owner,
            state: OutState::ToOpen,
            source_gone: false,
            rid: None,
            wanted_rid: None,
        }
    }

    /// The mid media is forwarded on, once the answer is in.
    pub(super) fn open_mid(&self) -> Option<Mid> {
        match self.state {
            OutState::Open(mid) if !self.source_gone => Some(mid),
            _ => None,
        }
    }
}

/// The SFU's offer waiting for the browser's answer.
#[derive(Debug)]
pub(super) struct PendingOffer {
    pending: SdpPendingOffer,
    ice_restart: bool,
}

/// A video track that just opened towards a receiver and needs a keyframe from its source.
#[derive(Debug)]
pub(super) struct NeedsKeyframe {
    pub(super) source: PeerKey,
    pub(super) source_mid: Mid,
    pub(super) rid: Option<Rid>,
    pub(super) kind: KeyframeRequestKind,
}

fn kind_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

impl Peer {
    /// Makes an offer if something changed and no offer is pending.
    pub(super) fn negotiate_if_needed(&mut self) {
        if self.pending.is_some() || self.doomed.is_some() {
            return;
        }
        self.tracks_out
            .retain(|t| !(t.source_gone && t.state == OutState::ToOpen));
        for track in &mut self.tracks_out {
            if let OutState::Open(mid) = track.state {
                if track.source_gone {
                    track.state = OutState::ToStop(mid);
                }
            }
        }
        let wanted = self.ice_restart_wanted
            || self
                .tracks_out
                .iter()
                .any(|t| matches!(t.state, OutState::ToOpen | OutState::ToStop(_)));
        if !wanted {
            return;
        }

        let mut api = self.rtc.sdp_api();
        for track in &mut self.tracks_out {
            match track.state {
                OutState::ToOpen => {
                    let kind = kind_name(track.kind);
                    let mid = api.add_media(
                        track.kind,
                        Direction::SendOnly,
                        Some(track.owner.peer_id.clone()),
                        Some(format!(
                            "{}-{kind}-{}",
                            track.owner.peer_id, track.source_mid
                        )),
                        None,
                    );
                    track.state = OutState::Negotiating(mid);
                }
                OutState::ToStop(mid) => {
                    api.stop_media(mid);
                    track.state = OutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        let ice_restart = self.ice_restart_wanted;
        if ice_restart {
            // ICE-lite with one host candidate: the candidate stays, the credentials change.
            api.ice_restart(true);
        }
        self.ice_restart_wanted = false;
        if !api.has_changes() {
            return;
        }
        match api.apply() {
            Some((offer, pending)) => {
                self.pending = Some(PendingOffer {
                    pending,
                    ice_restart,
                });
                let description = SessionDescription {
                    kind: SdpType::Offer,
                    sdp: offer.to_sdp_string(),
                };
                let tracks = self.track_infos();
                self.emit(PeerEvent::Offer {
                    description,
                    tracks,
                });
            }
            None => {
                // Applied without negotiation (nothing str0m needs the browser for).
                self.settle_tracks();
            }
        }
    }

    /// Applies the browser's answer to the pending offer. Returns the video tracks that opened,
    /// whose sources must send a keyframe for this new receiver.
    pub(super) fn accept_answer(&mut self, sdp: &str) -> Result<Vec<NeedsKeyframe>, MediaError> {
        if self.pending.is_none() {
            return Err(MediaError::Negotiation(
                "no offer of the SFU is waiting for an answer".to_owned(),
            ));
        }
        let answer = SdpAnswer::from_sdp_string(sdp)
            .map_err(|_| MediaError::InvalidSdp("the answer cannot be parsed".to_owned()))?;
        let Some(pending) = self.pending.take() else {
            return Err(MediaError::Negotiation(
                "no offer of the SFU is waiting for an answer".to_owned(),
            ));
        };
        if let Err(e) = self.rtc.sdp_api().accept_answer(pending.pending, answer) {
            // The offer is void: its changes go back into the queue for the next offer.
            for track in &mut self.tracks_out {
                match track.state {
                    OutState::Negotiating(_) => track.state = OutState::ToOpen,
                    OutState::NegotiatingStop(mid) => track.state = OutState::ToStop(mid),
                    _ => {}
                }
            }
            self.ice_restart_wanted |= pending.ice_restart;
            tracing::debug!(peer = %self.id.0, error = %e, "answer refused");
            return Err(MediaError::InvalidSdp(
                "the answer does not match the offer".to_owned(),
            ));
        }
        Ok(self.settle_tracks())
    }

    /// Negotiated tracks become open, stopped ones are forgotten.
    fn settle_tracks(&mut self) -> Vec<NeedsKeyframe> {
        let mut opened = Vec::new();
        for track in &mut self.tracks_out {
            if let OutState::Negotiating(mid) = track.state {
                track.state = OutState::Open(mid);
                if track.kind == MediaKind::Video {
                    opened.push(NeedsKeyframe {
                        source: track.source,
                        source_mid: track.source_mid,
                        rid: track.rid,
                        kind: KeyframeRequestKind::Fir,
                    });
                }
            }
        }
        self.tracks_out
            .retain(|t| !matches!(t.state, OutState::NegotiatingStop(_)));
        opened
    }

    /// Every track this peer receives (or is being offered), with its sender.
    pub(super) fn track_infos(&self) -> Vec<TrackInfo> {
        self.tracks_out
            .iter()
            .filter(|t| !t.source_gone)
            .filter_map(|t| match t.state {
                OutState::Negotiating(mid) | OutState::Open(mid) => Some(TrackInfo {
                    mid: mid.to_string(),
                    kind: kind_name(t.kind).to_owned(),
                    peer_id: t.owner.peer_id.clone(),
                    role: t.owner.role.clone(),
                    name: t.owner.name.clone(),
                }),
                _ => None,
            })
            .collect()
    }
}
