//! A webrtc-rs test peer: joins the SFU through `SfuHandle`, answers its offers, forwards test
//! controls to the `PeerLink`; also a direct pair (no SFU) as the baseline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use media::sfu::{PeerEvent, PeerId, PeerLabel, PeerLink, RoomId, SfuHandle};
use media::signal::message::{IceCandidate, SdpType, SessionDescription};
use rtc::ice::mdns::MulticastDnsMode;
use rtc::peer_connection::configuration::interceptor_registry::configure_simulcast_extension_headers;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCSessionDescription, Registry, SettingEngineBuilder,
};
use webrtc::rtp_transceiver::RtpSender;

use super::sender::{sample_track, send_audio, send_video, watch_keyframe_requests};
use super::{keyframes, Handler, Received, Seen, SIMULCAST_LAYERS};

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

    /// Joins `room` with every candidate a relay of `ice_servers` (`iceTransportPolicy: relay`):
    /// all media goes through the TURN server.
    pub async fn join_relayed(
        sfu: &SfuHandle,
        room: &str,
        name: &str,
        ice_servers: Vec<media::signal::message::IceServer>,
    ) -> TestPeer {
        Self::join_configured(sfu, Some(room), name, false, Some(ice_servers)).await
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
        Self::join_configured(sfu, room, name, simulcast, None).await
    }

    async fn join_configured(
        sfu: &SfuHandle,
        room: Option<&str>,
        name: &str,
        simulcast: bool,
        relay: Option<Vec<media::signal::message::IceServer>>,
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
        } = endpoint_configured(name, simulcast, relay).await;

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
    endpoint_configured(name, simulcast, None).await
}

/// [`endpoint`], relay-only through `relay`'s TURN servers when given.
async fn endpoint_configured(
    name: &str,
    simulcast: bool,
    relay: Option<Vec<media::signal::message::IceServer>>,
) -> Endpoint {
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
    let mut builder = PeerConnectionBuilder::new()
        .with_media_engine(media_engine)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .with_handler(handler)
        .with_udp_addrs(vec!["127.0.0.1:0"]);
    if let Some(servers) = relay {
        let ice_servers = servers
            .into_iter()
            .map(|server| webrtc::peer_connection::RTCIceServer {
                urls: server.urls,
                username: server.username.unwrap_or_default(),
                credential: server.credential.unwrap_or_default(),
            })
            .collect();
        builder = builder.with_configuration(
            webrtc::peer_connection::RTCConfigurationBuilder::new()
                .with_ice_servers(ice_servers)
                .with_ice_transport_policy(webrtc::peer_connection::RTCIceTransportPolicy::Relay)
                .build(),
        );
    }
    let pc = builder.build().await.expect("a webrtc-rs peer connection");
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
