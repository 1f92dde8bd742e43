//! What a test peer received, per sender and kind, and what the SFU told it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use media::signal::message::{IceCandidate, TrackInfo};
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use tokio::sync::mpsc;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState,
};

use super::epoch;

/// What one receiving track has seen.
#[derive(Debug, Default, Clone)]
pub struct TrackCount {
    pub packets: u64,
    /// Video: packets with the marker bit (the last packet of a frame).
    pub frames: u64,
    /// Video: one-way latency of each frame's first packet, sender to this receiver.
    pub latencies: Vec<Duration>,
    /// Video: frames per layer (the frame's last byte: `h`/`l` for simulcast, `n` without).
    pub layers: HashMap<u8, u64>,
}

/// Counts per (sender peer id, kind).
#[derive(Default)]
pub struct Received {
    tracks: Mutex<HashMap<(String, String), TrackCount>>,
    /// Remote video tracks by sender, to send keyframe requests on.
    pub(super) remote_video: Mutex<HashMap<String, Arc<dyn TrackRemote>>>,
    /// Keyframe requests (PLI/FIR) that reached this peer's video sender.
    pub keyframe_requests: AtomicU64,
    /// Set by a keyframe request: the next frame sent is a keyframe.
    pub(super) force_keyframe: AtomicBool,
}

impl Received {
    fn record(
        &self,
        sender: &str,
        kind: &str,
        marker: bool,
        latency: Option<Duration>,
        last_byte: Option<u8>,
    ) {
        let mut tracks = self.tracks.lock().expect("test lock");
        let count = tracks
            .entry((sender.to_owned(), kind.to_owned()))
            .or_default();
        count.packets += 1;
        if marker {
            count.frames += 1;
            if let Some(layer) = last_byte {
                *count.layers.entry(layer).or_default() += 1;
            }
        }
        if let Some(latency) = latency {
            count.latencies.push(latency);
        }
    }

    pub fn get(&self, sender: &str, kind: &str) -> TrackCount {
        self.tracks
            .lock()
            .expect("test lock")
            .get(&(sender.to_owned(), kind.to_owned()))
            .cloned()
            .unwrap_or_default()
    }
}

/// What the SFU told this peer (offers are answered by the pump and recorded by their tracks).
#[derive(Debug, Default)]
pub struct Seen {
    pub connected: AtomicBool,
    pub disconnected: AtomicU64,
    pub offers: AtomicU64,
    pub answer_errors: Mutex<Vec<String>>,
    pub closed: Mutex<Option<String>>,
    pub tracks: Mutex<Vec<TrackInfo>>,
    pub last_offer: Mutex<Option<String>>,
    /// Local candidates the SFU accepted through `PeerLink::candidate`.
    pub candidates_sent: AtomicU64,
}

pub(super) struct Handler {
    pub(super) received: Arc<Received>,
    pub(super) gathered: mpsc::UnboundedSender<()>,
    /// Local candidates, trickled to the SFU by the pump once the peer has joined.
    pub(super) candidates: mpsc::UnboundedSender<IceCandidate>,
    pub(super) connected: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(());
        }
    }

    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.candidates.send(IceCandidate {
                candidate: init.candidate,
                sdp_mid: init.sdp_mid,
                sdp_m_line_index: init.sdp_mline_index,
                username_fragment: init.username_fragment,
            });
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        self.connected
            .store(state == RTCPeerConnectionState::Connected, Ordering::SeqCst);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let received = Arc::clone(&self.received);
        tokio::spawn(async move {
            let sender = track.stream_id().await;
            let kind = match track.kind().await {
                RtpCodecKind::Video => "video",
                _ => "audio",
            };
            if kind == "video" {
                received
                    .remote_video
                    .lock()
                    .expect("test lock")
                    .insert(sender.clone(), Arc::clone(&track));
            }
            while let Some(event) = track.poll().await {
                match event {
                    TrackRemoteEvent::OnRtpPacket(packet) => {
                        let latency = if kind == "video" {
                            frame_send_time(&packet.payload)
                                .map(|sent| epoch().elapsed().saturating_sub(sent))
                        } else {
                            None
                        };
                        let last = packet.payload.last().copied();
                        received.record(&sender, kind, packet.header.marker, latency, last);
                    }
                    TrackRemoteEvent::OnEnded => break,
                    _ => {}
                }
            }
        });
    }
}

/// The send time written into the first packet of a VP8 frame (after the payload descriptor and
/// the three bytes of the VP8 frame tag), if this packet starts a frame.
fn frame_send_time(payload: &[u8]) -> Option<Duration> {
    let first = *payload.first()?;
    let start_of_partition = first & 0x10 != 0 && first & 0x07 == 0;
    if !start_of_partition {
        return None;
    }
    let mut at = 1;
    if first & 0x80 != 0 {
        let ext = *payload.get(at)?;
        at += 1;
        if ext & 0x80 != 0 {
            let picture_id = *payload.get(at)?;
            at += if picture_id & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1;
        }
        if ext & 0x30 != 0 {
            at += 1;
        }
    }
    let stamp = payload.get(at + 3..at + 11)?;
    let nanos = u64::from_be_bytes(stamp.try_into().ok()?);
    Some(Duration::from_nanos(nanos))
}
