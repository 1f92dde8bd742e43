//! Moving media between peers: frames from a sender to every receiver of the room, keyframe
//! requests from a receiver back to the sender, and the choice of simulcast layer per receiver.
//!
//! Frame mode: str0m depacketizes each incoming frame and packetizes it again per receiver
//! (`Writer::write`), so payload types and sequence numbers are each receiver's own and NACKs are
//! answered from the receiver's own send buffer.

use str0m::media::{KeyframeRequest, KeyframeRequestKind, MediaData, Mid, Rid};

use super::command::PeerKey;
use super::negotiation::NeedsKeyframe;
use super::peer::Peer;

/// Below this send-side estimate towards a receiver, it gets a simulcast sender's lowest layer.
pub(super) const LOW_BITRATE_BPS: u64 = 400_000;

/// Simulcast layer names from the highest quality to the lowest, as browsers commonly name them.
const LAYERS_HIGH_TO_LOW: [&str; 6] = ["f", "h", "2", "1", "m", "l"];
const LAYERS_LOWEST_FIRST: [&str; 4] = ["q", "l", "0", "m"];

/// The layer a receiver should get: the highest while its bandwidth estimate allows, else the
/// lowest. `None` for a sender without simulcast.
pub(super) fn choose_layer(rids: &[Rid], estimate_bps: Option<u64>) -> Option<Rid> {
    let first = *rids.first()?;
    let low = estimate_bps.is_some_and(|bps| bps < LOW_BITRATE_BPS);
    let preference: &[&str] = if low {
        &LAYERS_LOWEST_FIRST
    } else {
        &LAYERS_HIGH_TO_LOW
    };
    preference
        .iter()
        .find_map(|name| rids.iter().copied().find(|rid| &**rid == *name))
        .or(Some(first))
}

/// Writes one frame of `source` into `receiver`, on every outgoing track fed by it. Returns the
/// keyframe requests the receiver's layer switches need from the source.
pub(super) fn forward_media(
    source: PeerKey,
    source_rids: &[Rid],
    data: &MediaData,
    receiver: &mut Peer,
) -> Vec<NeedsKeyframe> {
    let mut needs = Vec::new();
    let estimate = receiver.estimate_bps;
    let mut targets: Vec<Mid> = Vec::new();
    for track in &mut receiver.tracks_out {
        if track.source != source || track.source_mid != data.mid {
            continue;
        }
        let Some(mid) = track.open_mid() else {
            continue;
        };
        if data.rid.is_some() {
            // Simulcast: one layer per receiver, switched only at a keyframe of the new layer.
            let wanted = choose_layer(source_rids, estimate);
            if wanted != track.wanted_rid {
                track.wanted_rid = wanted;
                if wanted != track.rid {
                    needs.push(NeedsKeyframe {
                        source,
                        source_mid: data.mid,
                        rid: wanted,
                        kind: KeyframeRequestKind::Fir,
                    });
                }
            }
            // Switch on the first frame of the wanted layer, later only at its keyframes.
            if data.rid == track.wanted_rid && (track.rid.is_none() || data.is_keyframe()) {
                track.rid = data.rid;
            }
            if data.rid != track.rid {
                continue;
            }
        }
        targets.push(mid);
    }
    for mid in targets {
        let Some(writer) = receiver.rtc.writer(mid) else {
            continue;
        };
        let Some(pt) = writer.match_params(data.params) else {
            continue;
        };
        if let Err(e) = writer.write(pt, data.network_time, data.time, data.data.clone()) {
            tracing::debug!(peer = %receiver.id.0, error = %e, "forwarding a frame failed");
        }
    }
    needs
}

/// Where a receiver's keyframe request must go: the source track of its outgoing mid.
pub(super) fn route_keyframe_request(
    receiver: &Peer,
    request: &KeyframeRequest,
) -> Option<NeedsKeyframe> {
    let track = receiver
        .tracks_out
        .iter()
        .find(|t| t.open_mid() == Some(request.mid))?;
    Some(NeedsKeyframe {
        source: track.source,
        source_mid: track.source_mid,
        rid: track.rid,
        kind: request.kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rids(names: &[&str]) -> Vec<Rid> {
        names.iter().map(|n| Rid::from(*n)).collect()
    }

    #[test]
    fn a_sender_without_simulcast_has_no_layer_to_choose() {
        assert_eq!(choose_layer(&[], Some(100_000)), None);
    }

    #[test]
    fn a_receiver_with_enough_bandwidth_gets_the_highest_layer() {
        let layers = rids(&["l", "m", "h"]);
        assert_eq!(choose_layer(&layers, Some(2_000_000)), Some(Rid::from("h")));
        assert_eq!(choose_layer(&layers, None), Some(Rid::from("h")));
    }

    #[test]
    fn a_receiver_whose_estimate_falls_gets_the_lowest_layer() {
        let layers = rids(&["h", "m", "l"]);
        assert_eq!(choose_layer(&layers, Some(150_000)), Some(Rid::from("l")));
        let numbered = rids(&["0", "1", "2"]);
        assert_eq!(choose_layer(&numbered, Some(150_000)), Some(Rid::from("0")));
    }

    #[test]
    fn unknown_layer_names_fall_back_to_the_first_layer() {
        let layers = rids(&["a", "b"]);
        assert_eq!(choose_layer(&layers, Some(150_000)), Some(Rid::from("a")));
    }
}
