//! Test peers on webrtc-rs (an independent WebRTC stack): each sends a synthetic VP8 video track
//! and an Opus audio track, negotiates with the SFU through `SfuHandle`/`PeerLink` directly (no
//! WebSocket), answers the SFU's later offers, and counts what it receives per sender.
//!
//! Every video frame carries the sender's send time (nanoseconds since a process-wide epoch) in
//! its first bytes, so a receiver in the same process can measure the latency of each frame.

#![allow(dead_code)]

pub mod keyframes;
pub mod stun;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use media::sfu::{PeerEvent, PeerId, PeerLabel, PeerLink, RoomId, SfuConfig, SfuHandle};
use media::signal::message::{IceCandidate, SdpType, SessionDescription, TrackInfo};
use rtc::ice::mdns::MulticastDnsMode;
use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::configure_simulcast_extension_headers;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp::extension::HeaderExtension;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::shared::marshal::{Marshal, MarshalSize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::media_stream::Track;
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState, RTCSessionDescription, Registry, SettingEngineBuilder,
};
use webrtc::rtp_transceiver::RtpSender;

/// Video frames per second the test peers send.
pub const FPS: u64 = 30;
/// Bytes per synthetic video frame (a 640x360 delta frame is a few KB).
pub const FRAME_BYTES: usize = 4_000;

/// The simulcast layers of a simulcast test sender: rid and frame size.
pub const SIMULCAST_LAYERS: [(&str, usize); 2] = [("h", FRAME_BYTES), ("l", 800)];

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Tests of this binary run one at a time: two floods at once on a 2-core machine would measure
/// the machine, not the SFU. Hold the guard for the whole test.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

/// An SFU on loopback for one test.
pub async fn start_sfu() -> SfuHandle {
    let config = SfuConfig {
        bind: "127.0.0.1:0".parse().expect("a literal address"),
        public_addr: None,
    };
    SfuHandle::start(config).await.expect("the SFU starts")
}

/// Waits until `condition` holds, polling; false when `limit` passed first.
pub async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether frames from `sender` keep arriving at `receiver` for `duration`: every `window`
/// must bring at least `min_frames` new ones. Returns the frames of each window (the checker's
/// evidence), or the first window that fell short.
pub async fn frames_keep_flowing(
    receiver: &TestPeer,
    sender: &str,
    duration: Duration,
    window: Duration,
    min_frames: u64,
) -> Result<Vec<u64>, String> {
    let mut per_window = Vec::new();
    let mut last = receiver.frames_from(sender);
    let windows = (duration.as_millis() / window.as_millis().max(1)).max(1);
    for i in 0..windows {
        tokio::time::sleep(window).await;
        let now = receiver.frames_from(sender);
        let got = now - last;
        last = now;
        per_window.push(got);
        if got < min_frames {
            return Err(format!(
                "window {i}: {got} frames from {sender} (wanted at least {min_frames}); so far {per_window:?}"
            ));
        }
    }
    Ok(per_window)
}

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
    remote_video: Mutex<HashMap<String, Arc<dyn TrackRemote>>>,
    /// Keyframe requests (PLI/FIR) that reached this peer's video sender.
    pub keyframe_requests: AtomicU64,
    /// Set by a keyframe request: the next frame sent is a keyframe.
    force_keyframe: AtomicBool,
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

struct Handler {
    received: Arc<Received>,
    gathered: mpsc::UnboundedSender<()>,
    /// Local candidates, trickled to the SFU by the pump once the peer has joined.
    candidates: mpsc::UnboundedSender<IceCandidate>,
    connected: Arc<AtomicBool>,
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

enum Control {
    RestartIce,
    InjectPanic,
    PinEstimate(u64),
    HoldAnswers(bool),
}

/// One webrtc-rs peer in a room of the SFU.
pub struct TestPeer {
    pub name: String,
    pub pc: Arc<dyn PeerConnection>,
    pub received: Arc<Received>,
    pub seen: Arc<Seen>,
    pub connected: Arc<AtomicBool>,
    sending: Arc<AtomicBool>,
    control: Option<mpsc::UnboundedSender<Control>>,
    tasks: Vec<JoinHandle<()>>,
}

impl TestPeer {
    /// Joins `room` of the SFU as `name`, sending video and audio.
    pub async fn join(sfu: &SfuHandle, room: &str, name: &str) -> TestPeer {
        Self::join_with(sfu, Some(room), name, false).await
    }

    /// Joins a device-check echo room.
    pub async fn join_echo(sfu: &SfuHandle, name: &str) -> TestPeer {
        Self::join_with(sfu, None, name, false).await
    }

    /// Joins `room` sending its video as simulcast ([`SIMULCAST_LAYERS`]).
    pub async fn join_simulcast(sfu: &SfuHandle, room: &str, name: &str) -> TestPeer {
        Self::join_with(sfu, Some(room), name, true).await
    }

    async fn join_with(
        sfu: &SfuHandle,
        room: Option<&str>,
        name: &str,
        simulcast: bool,
    ) -> TestPeer {
        let Endpoint {
            pc,
            received,
            connected,
            mut gathered,
            candidates,
            video,
            video_sender,
            audio,
            audio_sender,
        } = endpoint(name, simulcast).await;

        let offer = pc.create_offer(None).await.expect("an offer");
        pc.set_local_description(offer).await.expect("local offer");
        tokio::time::timeout(Duration::from_secs(5), gathered.recv())
            .await
            .expect("ICE gathering completes");
        let local = pc.local_description().await.expect("a local description");
        let offer = SessionDescription {
            kind: SdpType::Offer,
            sdp: local.sdp,
        };
        let label = PeerLabel {
            role: "citizen".to_owned(),
            name: format!("Test {name}"),
        };
        let peer = PeerId(name.to_owned());
        let (answer, link) = match room {
            Some(room) => sfu.join(RoomId(room.to_owned()), peer, label, offer).await,
            None => sfu.join_echo(peer, label, offer).await,
        }
        .expect("the SFU accepts the offer");
        assert_eq!(answer.kind, SdpType::Answer);
        let answer = RTCSessionDescription::answer(answer.sdp).expect("an answer");
        pc.set_remote_description(answer)
            .await
            .expect("the SFU's answer applies");

        let seen = Arc::new(Seen::default());
        let (control, control_rx) = mpsc::unbounded_channel();
        let sending = Arc::new(AtomicBool::new(true));
        let tasks = vec![
            tokio::spawn(pump(
                link,
                control_rx,
                candidates,
                Arc::clone(&pc),
                Arc::clone(&seen),
            )),
            tokio::spawn(watch_keyframe_requests(
                Arc::clone(&video),
                Arc::clone(&received),
            )),
            tokio::spawn(send_video(
                Arc::clone(&pc),
                video,
                video_sender,
                Arc::clone(&sending),
                Arc::clone(&received),
            )),
            tokio::spawn(send_audio(audio, audio_sender, Arc::clone(&sending))),
        ];
        TestPeer {
            name: name.to_owned(),
            pc,
            received,
            seen,
            connected,
            sending,
            control: Some(control),
            tasks,
        }
    }

    /// Whether the SFU's description now in force carries this ICE username fragment.
    pub fn pc_remote_ufrag_is(&self, ufrag: &str) -> bool {
        let pc = Arc::clone(&self.pc);
        let wanted = format!("a=ice-ufrag:{ufrag}");
        let handle = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| {
            handle.block_on(async move {
                pc.current_remote_description()
                    .await
                    .is_some_and(|d| d.sdp.contains(&wanted))
            })
        })
    }

    /// Sends a PLI for the video received from `sender` (as a browser does after loss).
    pub async fn request_keyframe_from(&self, sender: &str) -> bool {
        let track = self
            .received
            .remote_video
            .lock()
            .expect("test lock")
            .get(sender)
            .cloned();
        let Some(track) = track else {
            return false;
        };
        let Some(ssrc) = track.ssrcs().await.first().copied() else {
            return false;
        };
        let pli = PictureLossIndication {
            sender_ssrc: 0,
            media_ssrc: ssrc,
        };
        track.write_rtcp(vec![Box::new(pli)]).await.is_ok()
    }

    /// Keyframe requests that reached this peer's video sender so far.
    pub fn keyframe_requests(&self) -> u64 {
        self.received.keyframe_requests.load(Ordering::SeqCst)
    }

    /// Video frames received from `sender` so far.
    pub fn frames_from(&self, sender: &str) -> u64 {
        self.received.get(sender, "video").frames
    }

    /// Audio packets received from `sender` so far.
    pub fn audio_from(&self, sender: &str) -> u64 {
        self.received.get(sender, "audio").packets
    }

    /// Stops (or resumes) sending media; the connection stays up.
    pub fn set_sending(&self, on: bool) {
        self.sending.store(on, Ordering::SeqCst);
    }

    pub fn restart_ice(&self) {
        if let Some(control) = &self.control {
            let _ = control.send(Control::RestartIce);
        }
    }

    /// Pins the SFU's bandwidth estimate towards this peer.
    pub fn pin_estimate(&self, bps: u64) {
        if let Some(control) = &self.control {
            let _ = control.send(Control::PinEstimate(bps));
        }
    }

    /// Holds the SFU's offers unanswered (true), or answers the held one and goes on (false).
    pub fn hold_answers(&self, on: bool) {
        if let Some(control) = &self.control {
            let _ = control.send(Control::HoldAnswers(on));
        }
    }

    pub fn inject_panic(&self) {
        if let Some(control) = &self.control {
            let _ = control.send(Control::InjectPanic);
        }
    }

    /// Closes the webrtc-rs connection but keeps the link to the SFU (a tab that crashed, a
    /// network that vanished): the SFU must notice by itself.
    pub async fn close_connection_only(&self) {
        self.sending.store(false, Ordering::SeqCst);
        let _ = self.pc.close().await;
    }

    /// Hangs up: the link is dropped (the SFU removes the peer), media stops.
    pub async fn leave(mut self) {
        self.sending.store(false, Ordering::SeqCst);
        self.control = None;
        for task in self.tasks.drain(..) {
            task.abort();
        }
        let _ = self.pc.close().await;
    }
}

impl Drop for TestPeer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A webrtc-rs peer connection with a video and an audio track, not yet negotiated.
struct Endpoint {
    pc: Arc<dyn PeerConnection>,
    received: Arc<Received>,
    connected: Arc<AtomicBool>,
    gathered: mpsc::UnboundedReceiver<()>,
    candidates: mpsc::UnboundedReceiver<IceCandidate>,
    video: Arc<TrackLocalStaticSample>,
    video_sender: Arc<dyn RtpSender>,
    audio: Arc<TrackLocalStaticSample>,
    audio_sender: Arc<dyn RtpSender>,
}

async fn endpoint(name: &str, simulcast: bool) -> Endpoint {
    let received = Arc::new(Received::default());
    let connected = Arc::new(AtomicBool::new(false));
    let (gathered_tx, gathered) = mpsc::unbounded_channel();
    let (candidates_tx, candidates) = mpsc::unbounded_channel();
    let mut media_engine = MediaEngine::default();
    media_engine
        .register_default_codecs()
        .expect("default codecs");
    if simulcast {
        configure_simulcast_extension_headers(&mut media_engine).expect("simulcast extensions");
    }
    let registry = register_default_interceptors(Registry::new(), &mut media_engine)
        .expect("default interceptors")
        .with(
            rtc::interceptor::Slot::from(14_000),
            keyframes::KeyframeRequests::default(),
        );
    let settings = SettingEngineBuilder::new()
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        .with_include_loopback_candidate(true)
        .build();
    let handler = Arc::new(Handler {
        received: Arc::clone(&received),
        gathered: gathered_tx,
        candidates: candidates_tx,
        connected: Arc::clone(&connected),
    });
    let pc = PeerConnectionBuilder::new()
        .with_media_engine(media_engine)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .with_handler(handler)
        .with_udp_addrs(vec!["127.0.0.1:0"])
        .build()
        .await
        .expect("a webrtc-rs peer connection");
    let pc: Arc<dyn PeerConnection> = Arc::new(pc);

    let rids: Vec<&str> = if simulcast {
        SIMULCAST_LAYERS.iter().map(|(rid, _)| *rid).collect()
    } else {
        Vec::new()
    };
    let video = sample_track(name, RtpCodecKind::Video, "video/VP8", 90_000, 0, &rids);
    let video_sender = pc
        .add_track(Arc::clone(&video) as Arc<dyn TrackLocal>)
        .await
        .expect("video track");
    let audio = sample_track(name, RtpCodecKind::Audio, "audio/opus", 48_000, 2, &[]);
    let audio_sender = pc
        .add_track(Arc::clone(&audio) as Arc<dyn TrackLocal>)
        .await
        .expect("audio track");
    Endpoint {
        pc,
        received,
        connected,
        gathered,
        candidates,
        video,
        video_sender,
        audio,
        audio_sender,
    }
}

/// Two peers connected directly (no SFU): the baseline for latency. Frames are counted under
/// the sender's stream id, `<name>-stream`.
pub async fn direct_pair(a: &str, b: &str) -> (TestPeer, TestPeer) {
    let mut first = endpoint(a, false).await;
    let mut second = endpoint(b, false).await;
    let offer = first.pc.create_offer(None).await.expect("an offer");
    first
        .pc
        .set_local_description(offer)
        .await
        .expect("local offer");
    tokio::time::timeout(Duration::from_secs(5), first.gathered.recv())
        .await
        .expect("ICE gathering completes");
    let offer = first.pc.local_description().await.expect("an offer");
    second
        .pc
        .set_remote_description(offer)
        .await
        .expect("remote offer");
    let answer = second.pc.create_answer(None).await.expect("an answer");
    second
        .pc
        .set_local_description(answer)
        .await
        .expect("local answer");
    tokio::time::timeout(Duration::from_secs(5), second.gathered.recv())
        .await
        .expect("ICE gathering completes");
    let answer = second.pc.local_description().await.expect("an answer");
    first
        .pc
        .set_remote_description(answer)
        .await
        .expect("remote answer");
    (sending_peer(a, first), sending_peer(b, second))
}

fn sending_peer(name: &str, endpoint: Endpoint) -> TestPeer {
    let sending = Arc::new(AtomicBool::new(true));
    let tasks = vec![
        tokio::spawn(send_video(
            Arc::clone(&endpoint.pc),
            endpoint.video,
            endpoint.video_sender,
            Arc::clone(&sending),
            Arc::clone(&endpoint.received),
        )),
        tokio::spawn(send_audio(
            endpoint.audio,
            endpoint.audio_sender,
            Arc::clone(&sending),
        )),
    ];
    TestPeer {
        name: name.to_owned(),
        pc: endpoint.pc,
        received: endpoint.received,
        seen: Arc::new(Seen::default()),
        connected: endpoint.connected,
        sending,
        control: None,
        tasks,
    }
}

fn sample_track(
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
async fn watch_keyframe_requests(track: Arc<TrackLocalStaticSample>, received: Arc<Received>) {
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

async fn send_video(
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

async fn send_audio(
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

/// Answers the SFU's offers and records what it says; forwards test controls to the link.
async fn pump(
    mut link: PeerLink,
    mut control: mpsc::UnboundedReceiver<Control>,
    mut candidates: mpsc::UnboundedReceiver<IceCandidate>,
    pc: Arc<dyn PeerConnection>,
    seen: Arc<Seen>,
) {
    // While held, offers wait here unanswered (a slow browser); released, the last one is answered.
    let mut hold = false;
    let mut held: Option<SessionDescription> = None;
    loop {
        tokio::select! {
            event = link.events.recv() => match event {
                Some(PeerEvent::Offer { description, tracks }) => {
                    seen.offers.fetch_add(1, Ordering::SeqCst);
                    *seen.tracks.lock().expect("test lock") = tracks;
                    *seen.last_offer.lock().expect("test lock") = Some(description.sdp.clone());
                    if hold {
                        held = Some(description);
                    } else if let Err(e) = answer_offer(&pc, &link, description).await {
                        seen.answer_errors.lock().expect("test lock").push(e);
                    }
                }
                Some(PeerEvent::Connected) => seen.connected.store(true, Ordering::SeqCst),
                Some(PeerEvent::Disconnected) => {
                    seen.disconnected.fetch_add(1, Ordering::SeqCst);
                }
                Some(PeerEvent::Closed { reason }) => {
                    *seen.closed.lock().expect("test lock") = Some(reason);
                }
                None => return,
            },
            Some(candidate) = candidates.recv() => match link.candidate(candidate).await {
                Ok(()) => {
                    seen.candidates_sent.fetch_add(1, Ordering::SeqCst);
                }
                Err(e) => seen.answer_errors.lock().expect("test lock").push(e.to_string()),
            },
            command = control.recv() => match command {
                Some(Control::RestartIce) => {
                    if let Err(e) = link.restart_ice().await {
                        seen.answer_errors.lock().expect("test lock").push(e.to_string());
                    }
                }
                Some(Control::InjectPanic) => {
                    let _ = link.inject_panic();
                }
                Some(Control::PinEstimate(bps)) => {
                    let _ = link.pin_estimate(bps);
                }
                Some(Control::HoldAnswers(on)) => {
                    hold = on;
                    if let Some(offer) = held.take().filter(|_| !on) {
                        if let Err(e) = answer_offer(&pc, &link, offer).await {
                            seen.answer_errors.lock().expect("test lock").push(e);
                        }
                    }
                }
                None => return,
            },
        }
    }
}

async fn answer_offer(
    pc: &Arc<dyn PeerConnection>,
    link: &PeerLink,
    offer: SessionDescription,
) -> Result<(), String> {
    let offer = RTCSessionDescription::offer(offer.sdp).map_err(|e| e.to_string())?;
    pc.set_remote_description(offer)
        .await
        .map_err(|e| e.to_string())?;
    let answer = pc.create_answer(None).await.map_err(|e| e.to_string())?;
    pc.set_local_description(answer)
        .await
        .map_err(|e| e.to_string())?;
    let local = pc
        .local_description()
        .await
        .ok_or_else(|| "no local description".to_owned())?;
    link.answer(SessionDescription {
        kind: SdpType::Answer,
        sdp: local.sdp,
    })
    .await
    .map_err(|e| e.to_string())
}

struct NoEvents;

impl PeerConnectionEventHandler for NoEvents {}

/// Joins with a bare webrtc-rs offer (receive-only, nothing sent) and returns the SFU's answer
/// and the link as they are, for tests of the API's refusals.
pub async fn join_raw(sfu: &SfuHandle, room: &str, name: &str) -> (SessionDescription, PeerLink) {
    let mut media_engine = MediaEngine::default();
    media_engine
        .register_default_codecs()
        .expect("default codecs");
    let settings = SettingEngineBuilder::new()
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_media_engine(media_engine)
        .with_setting_engine(settings)
        .with_handler(Arc::new(NoEvents))
        .with_udp_addrs(vec!["127.0.0.1:0"])
        .build()
        .await
        .expect("a webrtc-rs peer connection");
    let track = sample_track(name, RtpCodecKind::Video, "video/VP8", 90_000, 0, &[]);
    pc.add_track(track as Arc<dyn TrackLocal>)
        .await
        .expect("a track");
    let offer = pc.create_offer(None).await.expect("an offer");
    let offer = SessionDescription {
        kind: SdpType::Offer,
        sdp: offer.sdp,
    };
    let label = PeerLabel {
        role: "interpreter".to_owned(),
        name: format!("Test {name}"),
    };
    sfu.join(
        RoomId(room.to_owned()),
        PeerId(name.to_owned()),
        label,
        offer,
    )
    .await
    .expect("the SFU accepts the offer")
}
