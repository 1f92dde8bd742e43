//! The synthetic media a test peer sends: VP8 frames (with the send time inside, optionally as
//! simulcast) and Opus packets, and its answers to keyframe requests.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp::extension::HeaderExtension;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::shared::marshal::{Marshal, MarshalSize};
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::Track;
use webrtc::peer_connection::PeerConnection;
use webrtc::rtp_transceiver::RtpSender;

use super::{epoch, keyframes, Received, FPS, FRAME_BYTES, SIMULCAST_LAYERS};

/// A synthetic VP8 frame: a frame tag (a keyframe every 10 s or when asked for), the send time,
/// filler.
fn vp8_frame(index: u64, forced: bool, size: usize, layer: u8) -> Bytes {
    let mut frame = vec![0u8; size.max(32)];
    let keyframe = forced || index % (10 * FPS) == 0;
    frame[0] = if keyframe { 0x10 } else { 0x11 };
    frame[1] = 0x02;
    frame[2] = 0x00;
    let sent = u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX);
    frame[3..11].copy_from_slice(&sent.to_be_bytes());
    if keyframe {
        // The VP8 keyframe start code and a 640x360 size.
        frame[11..14].copy_from_slice(&[0x9d, 0x01, 0x2a]);
        frame[14..16].copy_from_slice(&640u16.to_le_bytes());
        frame[16..18].copy_from_slice(&360u16.to_le_bytes());
    }
    for (i, byte) in frame.iter_mut().enumerate().skip(18) {
        *byte = (i as u64 ^ index) as u8;
    }
    if let Some(last) = frame.last_mut() {
        *last = layer;
    }
    Bytes::from(frame)
}

pub(super) fn sample_track(
    name: &str,
    kind: RtpCodecKind,
    mime: &str,
    clock_rate: u32,
    channels: u16,
    rids: &[&str],
) -> Arc<TrackLocalStaticSample> {
    let rids: Vec<String> = if rids.is_empty() {
        vec![String::new()]
    } else {
        rids.iter().map(|r| (*r).to_owned()).collect()
    };
    let encodings = rids
        .into_iter()
        .map(|rid| RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                rid,
                ssrc: Some(rand::random::<u32>()),
                ..Default::default()
            },
            codec: RTCRtpCodec {
                mime_type: mime.to_owned(),
                clock_rate,
                channels,
                sdp_fmtp_line: String::new(),
                rtcp_feedback: vec![],
            },
            ..Default::default()
        })
        .collect();
    let track = MediaStreamTrack::new(
        format!("{name}-stream"),
        format!("{name}-{kind}"),
        format!("{name}-{kind}"),
        kind,
        encodings,
    );
    Arc::new(TrackLocalStaticSample::new(Instant::now(), track).expect("a sample track"))
}

async fn negotiated(sender: &Arc<dyn RtpSender>) -> Option<u8> {
    sender
        .get_parameters()
        .await
        .ok()?
        .rtp_parameters
        .codecs
        .first()
        .map(|codec| codec.payload_type)
}

/// Counts the keyframe requests that reach a video sender and makes its next frame a keyframe.
pub(super) async fn watch_keyframe_requests(
    track: Arc<TrackLocalStaticSample>,
    received: Arc<Received>,
) {
    while let Some(event) = track.poll().await {
        if let TrackLocalEvent::OnRtcpPacket(packets) = event {
            let requests = packets
                .iter()
                .filter(|p| keyframes::is_keyframe_request(p.as_ref()))
                .count() as u64;
            if requests > 0 {
                received
                    .keyframe_requests
                    .fetch_add(requests, Ordering::SeqCst);
                received.force_keyframe.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// The mid of the first video m-line of the peer's local description.
async fn video_mid(pc: &Arc<dyn PeerConnection>) -> Option<String> {
    let sdp = pc.local_description().await?.sdp;
    let video = sdp
        .split("\nm=")
        .find(|section| section.starts_with("video"))?;
    video
        .lines()
        .find_map(|l| l.trim().strip_prefix("a=mid:"))
        .map(str::to_owned)
}

pub(super) async fn send_video(
    pc: Arc<dyn PeerConnection>,
    track: Arc<TrackLocalStaticSample>,
    sender: Arc<dyn RtpSender>,
    sending: Arc<AtomicBool>,
    received: Arc<Received>,
) {
    let Some(pt) = negotiated(&sender).await else {
        return;
    };
    let mid = video_mid(&pc).await;
    // One stream per simulcast layer (rid), or one stream without a rid.
    let mut streams = Vec::new();
    for ssrc in track.ssrcs().await {
        let rid = track.rid(ssrc).await.filter(|rid| !rid.is_empty());
        let size = rid
            .as_deref()
            .and_then(|r| SIMULCAST_LAYERS.iter().find(|(name, _)| *name == r))
            .map_or(FRAME_BYTES, |(_, size)| *size);
        let layer = rid
            .as_deref()
            .and_then(|r| r.bytes().next())
            .unwrap_or(b'n');
        streams.push((ssrc, rid, size, layer));
    }
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / FPS));
    let mut index = 0u64;
    loop {
        tick.tick().await;
        if !sending.load(Ordering::SeqCst) {
            continue;
        }
        let keyframe = received.force_keyframe.swap(false, Ordering::SeqCst);
        for (ssrc, rid, size, layer) in &streams {
            let sample = Sample {
                data: vp8_frame(index, keyframe, *size, *layer),
                duration: Duration::from_millis(1000 / FPS),
                ..Sample::new(Instant::now())
            };
            let mut writer = track.sample_writer(*ssrc, pt);
            if let (Some(rid), Some(mid)) = (rid, &mid) {
                // A new SSRC is matched to its m-line by these two (no SSRC lines in the SDP).
                writer = writer.with_extension(HeaderExtension::Custom {
                    uri: "urn:ietf:params:rtp-hdrext:sdes:mid".into(),
                    extension: Box::new(RidValue(mid.clone().into_bytes())),
                });
                writer = writer.with_extension(HeaderExtension::Custom {
                    uri: "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id".into(),
                    extension: Box::new(RidValue(rid.clone().into_bytes())),
                });
            }
            // Before the connection is up, writes fail; the next frame tries again.
            let _ = writer.write_sample(&sample).await;
        }
        index += 1;
    }
}

/// The value of the RTP stream id header extension (the rid's bytes).
struct RidValue(Vec<u8>);

impl MarshalSize for RidValue {
    fn marshal_size(&self) -> usize {
        self.0.len()
    }
}

impl Marshal for RidValue {
    fn marshal_to(&self, buf: &mut [u8]) -> rtc::shared::error::Result<usize> {
        let Some(target) = buf.get_mut(..self.0.len()) else {
            return Err(rtc::shared::error::Error::Other(
                "buffer too small".to_owned(),
            ));
        };
        target.copy_from_slice(&self.0);
        Ok(self.0.len())
    }
}

pub(super) async fn send_audio(
    track: Arc<TrackLocalStaticSample>,
    sender: Arc<dyn RtpSender>,
    sending: Arc<AtomicBool>,
) {
    let Some(pt) = negotiated(&sender).await else {
        return;
    };
    let Some(ssrc) = track.ssrcs().await.first().copied() else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tick.tick().await;
        if !sending.load(Ordering::SeqCst) {
            continue;
        }
        let sample = Sample {
            data: Bytes::from(vec![0xf8u8; 80]),
            duration: Duration::from_millis(20),
            ..Sample::new(Instant::now())
        };
        let _ = track.sample_writer(ssrc, pt).write_sample(&sample).await;
    }
}
