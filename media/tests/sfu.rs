//! The SFU with real WebRTC stacks on loopback: webrtc-rs peers (an independent implementation)
//! send synthetic VP8 video and Opus audio through the str0m SFU.

mod support;

use std::time::Duration;

use support::{start_sfu, wait_until, TestPeer};

/// Long enough for ICE, DTLS and one renegotiation on a loaded 2-core machine.
const CONNECT: Duration = Duration::from_secs(10);
/// "Media keeps flowing": every second brings at least 5 of the 30 frames sent. Lenient on
/// purpose (the machine is shared and loaded); a stopped sender gives 0 and fails it.
const FLOW_WINDOW: Duration = Duration::from_secs(1);
const FLOW_MIN_FRAMES: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_in_a_room_each_receive_the_others_video_and_audio() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;

    let both = wait_until(CONNECT, || {
        anna.frames_from("bernd") > 30 && bernd.frames_from("anna") > 30
    })
    .await;
    assert!(
        both,
        "frames anna<-bernd {}, bernd<-anna {}",
        anna.frames_from("bernd"),
        bernd.frames_from("anna")
    );
    assert!(anna.audio_from("bernd") > 0 && bernd.audio_from("anna") > 0);
    assert!(anna
        .seen
        .connected
        .load(std::sync::atomic::Ordering::SeqCst));
    assert!(
        anna.seen
            .candidates_sent
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
    );
    assert!(anna
        .seen
        .answer_errors
        .lock()
        .expect("test lock")
        .is_empty());
    assert_eq!(
        anna.frames_from("anna"),
        0,
        "nobody gets their own video back"
    );

    let stats = sfu.stats().await.expect("stats");
    assert_eq!((stats.rooms, stats.peers), (1, 2));
    assert_eq!(stats.forwarded_streams, 4, "two tracks each way");
    let tracks = anna.seen.tracks.lock().expect("test lock").clone();
    assert!(tracks
        .iter()
        .all(|t| t.peer_id == "bernd" && t.name == "Test bernd"));
    assert_eq!(tracks.len(), 2);
}

/// Garbage and a flood against the SFU's socket from outside any call, on their own threads
/// (a real attacker does not share our runtime). Stops when the returned guard is dropped.
struct Attack {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<u64>>,
}

impl Attack {
    fn start(target: std::net::SocketAddr) -> Attack {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut threads = Vec::new();
        // Garbage: random lengths and bytes, including ones that look like DTLS and RTP.
        let flag = std::sync::Arc::clone(&stop);
        threads.push(std::thread::spawn(move || {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("garbage socket");
            let mut sent = 0u64;
            while !flag.load(Ordering::Relaxed) {
                let len = 1 + (rand::random::<usize>() % 1400);
                let mut datagram: Vec<u8> = (0..len).map(|_| rand::random::<u8>()).collect();
                datagram[0] = [0x00, 0x16, 0x80, 0x90, 0xff][sent as usize % 5];
                let _ = socket.send_to(&datagram, target);
                sent += 1;
                if sent % 64 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            }
            sent
        }));
        // Flood: STUN binding requests with a made-up username, as fast as one thread can.
        let flag = std::sync::Arc::clone(&stop);
        threads.push(std::thread::spawn(move || {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("flood socket");
            let stun = stun_binding_request();
            let mut sent = 0u64;
            while !flag.load(Ordering::Relaxed) {
                if socket.send_to(&stun, target).is_ok() {
                    sent += 1;
                }
            }
            sent
        }));
        Attack { stop, threads }
    }

    /// Stops the attack; returns the datagrams sent.
    fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.threads
            .into_iter()
            .map(|t| t.join().unwrap_or(0))
            .sum()
    }
}

/// A STUN binding request (RFC 5389 header and a USERNAME nobody has).
fn stun_binding_request() -> Vec<u8> {
    let username = b"nobody:attacker";
    let mut m = Vec::new();
    m.extend_from_slice(&0x0001u16.to_be_bytes());
    m.extend_from_slice(&((4 + username.len() + 1) as u16).to_be_bytes());
    m.extend_from_slice(&0x2112_A442u32.to_be_bytes());
    m.extend((0..12).map(|_| rand::random::<u8>()));
    m.extend_from_slice(&0x0006u16.to_be_bytes());
    m.extend_from_slice(&(username.len() as u16).to_be_bytes());
    m.extend_from_slice(username);
    m.push(0);
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_a_flood_on_the_socket_do_not_stop_another_rooms_media() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    let carl = TestPeer::join(&sfu, "room-2", "carl").await;
    assert!(wait_until(CONNECT, || anna.frames_from("bernd") > 30).await);

    let attack = Attack::start(sfu.media_addr());
    let during = support::frames_keep_flowing(
        &anna,
        "bernd",
        Duration::from_secs(4),
        FLOW_WINDOW,
        FLOW_MIN_FRAMES,
    )
    .await;
    let sent = attack.stop();
    let per_window =
        during.unwrap_or_else(|e| panic!("media stopped during the flood ({sent} datagrams): {e}"));
    println!("flood: {sent} datagrams; frames per half second during it: {per_window:?}");
    assert!(sent > 10_000, "the flood was a flood ({sent} datagrams)");
    assert!(carl.connected.load(std::sync::atomic::Ordering::SeqCst));
    let stats = sfu.stats().await.expect("stats");
    assert_eq!((stats.rooms, stats.peers), (2, 3));

    // Negative control: the same checker fails when the media really stops.
    bernd.set_sending(false);
    let stopped = support::frames_keep_flowing(
        &anna,
        "bernd",
        Duration::from_secs(2),
        FLOW_WINDOW,
        FLOW_MIN_FRAMES,
    )
    .await;
    assert!(
        stopped.is_err(),
        "the checker saw frames that were not sent: {stopped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_leaves_stops_its_media_and_the_room_goes_on() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    assert!(wait_until(CONNECT, || anna.frames_from("bernd") > 30).await);
    let offers_before = anna.seen.offers.load(std::sync::atomic::Ordering::SeqCst);

    bernd.leave().await;

    // Anna gets an offer that stops bernd's mids, answers it, and has no track of bernd left.
    let stopped = wait_until(CONNECT, || {
        anna.seen.offers.load(std::sync::atomic::Ordering::SeqCst) > offers_before
            && anna.seen.tracks.lock().expect("test lock").is_empty()
    })
    .await;
    assert!(stopped, "no offer removed bernd's tracks");
    // Frames in flight may still land; then the count must stand still for a whole second.
    let frozen = support::frames_keep_flowing(
        &anna,
        "bernd",
        Duration::from_secs(1),
        Duration::from_secs(1),
        1,
    )
    .await;
    assert!(
        frozen.is_err(),
        "bernd's frames still arrive after he left: {frozen:?}"
    );
    assert!(anna
        .seen
        .answer_errors
        .lock()
        .expect("test lock")
        .is_empty());
    assert_eq!(*anna.seen.closed.lock().expect("test lock"), None);
    let stats = sfu.stats().await.expect("stats");
    assert_eq!(
        (stats.rooms, stats.peers, stats.forwarded_streams),
        (1, 1, 0)
    );

    // The room survives: a newcomer and anna see each other.
    let clara = TestPeer::join(&sfu, "room-1", "clara").await;
    let both = wait_until(CONNECT, || {
        anna.frames_from("clara") > 30 && clara.frames_from("anna") > 30
    })
    .await;
    assert!(
        both,
        "anna<-clara {}, clara<-anna {}",
        anna.frames_from("clara"),
        clara.frames_from("anna")
    );
}

fn ice_ufrag(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .map(|u| u.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ice_restart_renews_the_credentials_and_media_continues() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    assert!(wait_until(CONNECT, || anna.frames_from("bernd") > 30).await);
    let old_ufrag = anna
        .pc
        .current_remote_description()
        .await
        .and_then(|d| ice_ufrag(&d.sdp))
        .expect("a ufrag");
    let offered_ufrag = || {
        anna.seen
            .last_offer
            .lock()
            .expect("test lock")
            .as_deref()
            .and_then(ice_ufrag)
    };

    anna.restart_ice();

    // Offers without a restart keep the credentials; the restart offer must bring new ones.
    let renewed = wait_until(CONNECT, || {
        offered_ufrag().is_some_and(|ufrag| ufrag != old_ufrag)
    })
    .await;
    assert!(renewed, "no offer with new ICE credentials");
    let new_ufrag = offered_ufrag().expect("a ufrag in the offer");
    // The answer went in (the pump records refusals) and media flows on both ways.
    let answered = wait_until(CONNECT, || anna.pc_remote_ufrag_is(&new_ufrag)).await;
    assert!(answered);
    let frames = anna.frames_from("bernd");
    let back = bernd.frames_from("anna");
    let flowing = wait_until(CONNECT, || {
        anna.frames_from("bernd") > frames + 30 && bernd.frames_from("anna") > back + 30
    })
    .await;
    assert!(flowing, "media did not continue after the ICE restart");
    assert!(anna
        .seen
        .answer_errors
        .lock()
        .expect("test lock")
        .is_empty());
    assert!(anna.connected.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_one_peers_handling_drops_only_that_peer() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    let carl = TestPeer::join(&sfu, "room-2", "carl").await;
    let dora = TestPeer::join(&sfu, "room-2", "dora").await;
    assert!(
        wait_until(CONNECT, || anna.frames_from("bernd") > 30
            && dora.frames_from("carl") > 30)
        .await
    );

    anna.inject_panic();

    let closed = wait_until(CONNECT, || {
        anna.seen.closed.lock().expect("test lock").is_some()
    })
    .await;
    assert!(closed, "the panicking peer was not closed");
    assert_eq!(
        anna.seen.closed.lock().expect("test lock").as_deref(),
        Some("internal error")
    );
    // The other room goes on, and so does the panicking peer's partner (without anna's tracks).
    let flowing = support::frames_keep_flowing(
        &dora,
        "carl",
        Duration::from_secs(2),
        FLOW_WINDOW,
        FLOW_MIN_FRAMES,
    )
    .await;
    assert!(flowing.is_ok(), "the other room stopped: {flowing:?}");
    assert!(
        wait_until(CONNECT, || bernd
            .seen
            .tracks
            .lock()
            .expect("test lock")
            .is_empty())
        .await,
        "bernd still has anna's tracks"
    );
    let stats = sfu.stats().await.expect("stats");
    assert_eq!((stats.rooms, stats.peers), (2, 3));
    assert!(carl.frames_from("dora") > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_check_echo_room_sends_a_peer_its_own_media_back() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join_echo(&sfu, "anna").await;
    let echoed = wait_until(CONNECT, || {
        anna.frames_from("anna") > 30 && anna.audio_from("anna") > 10
    })
    .await;
    assert!(echoed, "echo frames {}", anna.frames_from("anna"));
}

/// A flood of binding requests that carry a real peer's valid ICE credentials, from that peer's
/// side (a participant who knows its own SDP can send them): each passes the SFU's integrity check
/// and is answered. Returns (requests sent, responses received) when stopped.
struct CredentialFlood {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<(u64, u64)>,
}

impl CredentialFlood {
    async fn start(target: std::net::SocketAddr, peer: &TestPeer) -> CredentialFlood {
        use std::sync::atomic::Ordering;
        let remote = peer
            .pc
            .remote_description()
            .await
            .expect("the SFU's answer")
            .sdp;
        let local = peer
            .pc
            .local_description()
            .await
            .expect("the peer's offer")
            .sdp;
        let sfu_ufrag = support::stun::sdp_attribute(&remote, "ice-ufrag").expect("sfu ufrag");
        let sfu_pwd = support::stun::sdp_attribute(&remote, "ice-pwd").expect("sfu pwd");
        let peer_ufrag = support::stun::sdp_attribute(&local, "ice-ufrag").expect("peer ufrag");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("flood socket");
            socket.set_nonblocking(true).expect("non-blocking");
            let mut buf = [0u8; 1500];
            let (mut sent, mut answered) = (0u64, 0u64);
            while !flag.load(Ordering::Relaxed) {
                let request = support::stun::binding_request(&sfu_ufrag, &peer_ufrag, &sfu_pwd);
                if socket.send_to(&request, target).is_ok() {
                    sent += 1;
                }
                while socket.recv_from(&mut buf).is_ok() {
                    answered += 1;
                }
            }
            (sent, answered)
        });
        CredentialFlood { stop, thread }
    }

    fn stop(self) -> (u64, u64) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.join().unwrap_or((0, 0))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_flooding_valid_ice_checks_does_not_stall_another_room() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let _bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    let carl = TestPeer::join(&sfu, "room-2", "carl").await;
    assert!(wait_until(CONNECT, || anna.frames_from("bernd") > 30).await);
    assert!(
        wait_until(CONNECT, || carl
            .connected
            .load(std::sync::atomic::Ordering::SeqCst))
        .await
    );

    let flood = CredentialFlood::start(sfu.media_addr(), &carl).await;
    let during = support::frames_keep_flowing(
        &anna,
        "bernd",
        Duration::from_secs(4),
        FLOW_WINDOW,
        FLOW_MIN_FRAMES,
    )
    .await;
    let (sent, answered) = flood.stop();
    println!("credential flood: {sent} requests, {answered} answered; frames: {during:?}");
    assert!(
        answered > 0,
        "the flood never reached the SFU's ICE handling"
    );
    during.unwrap_or_else(|e| panic!("media stopped during the flood: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_offers_answers_and_candidates_are_refused_and_harm_nobody() {
    use media::error::MediaError;
    use media::sfu::{PeerId, PeerLabel, RoomId};
    use media::signal::message::{IceCandidate, SdpType, SessionDescription};

    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    assert!(wait_until(CONNECT, || anna.frames_from("bernd") > 30).await);
    let label = PeerLabel {
        role: "citizen".to_owned(),
        name: "Mallory".to_owned(),
    };
    let garbage = SessionDescription {
        kind: SdpType::Offer,
        sdp: "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n".to_owned(),
    };
    let refused = sfu
        .join(
            RoomId("room-1".to_owned()),
            PeerId("mallory".to_owned()),
            label.clone(),
            garbage,
        )
        .await;
    assert!(
        matches!(refused, Err(MediaError::InvalidSdp(_))),
        "{refused:?}"
    );
    let taken = sfu
        .join(
            RoomId("room-1".to_owned()),
            PeerId("anna".to_owned()),
            label,
            SessionDescription {
                kind: SdpType::Offer,
                sdp: anna.pc.local_description().await.expect("an offer").sdp,
            },
        )
        .await;
    assert!(
        matches!(taken, Err(MediaError::Negotiation(_))),
        "a second anna: {taken:?}"
    );

    // An answer nobody asked for, and a candidate that is not one, on a real link.
    let (_answer, link) = support::join_raw(&sfu, "room-3", "carl").await;
    let unasked = link
        .answer(SessionDescription {
            kind: SdpType::Answer,
            sdp: "v=0\r\n".to_owned(),
        })
        .await;
    assert!(
        matches!(unasked, Err(MediaError::Negotiation(_))),
        "{unasked:?}"
    );
    let candidate = link
        .candidate(IceCandidate {
            candidate: "candidate:garbage".to_owned(),
            sdp_mid: None,
            sdp_m_line_index: None,
            username_fragment: None,
        })
        .await;
    assert!(
        matches!(candidate, Err(MediaError::InvalidSdp(_))),
        "{candidate:?}"
    );

    let stats = sfu.stats().await.expect("stats");
    assert_eq!((stats.rooms, stats.peers), (2, 3));
    let frames = bernd.frames_from("anna");
    assert!(wait_until(CONNECT, || bernd.frames_from("anna") > frames + 30).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_receiver_makes_the_sender_send_a_keyframe() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    assert!(
        wait_until(CONNECT, || anna
            .seen
            .connected
            .load(std::sync::atomic::Ordering::SeqCst))
        .await
    );
    // Alone in the room, nobody asks anna for anything.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(anna.keyframe_requests(), 0);

    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;

    let asked = wait_until(CONNECT, || anna.keyframe_requests() > 0).await;
    assert!(
        asked,
        "anna's video opened towards bernd without a keyframe request"
    );
    assert!(wait_until(CONNECT, || bernd.frames_from("anna") > 30).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receivers_keyframe_request_reaches_the_sender() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    assert!(wait_until(CONNECT, || bernd.frames_from("anna") > 30).await);

    // Control: without a request from bernd, anna's count stands still for two seconds.
    let settled = anna.keyframe_requests();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(anna.keyframe_requests(), settled, "requests nobody sent");

    // Bernd's PLIs (as a browser sends after loss) reach anna through the SFU.
    let mut reached = false;
    for _ in 0..10 {
        assert!(
            bernd.request_keyframe_from("anna").await,
            "bernd could not send a PLI"
        );
        if wait_until(Duration::from_millis(600), || {
            anna.keyframe_requests() > settled
        })
        .await
        {
            reached = true;
            break;
        }
    }
    assert!(reached, "no PLI of bernd reached anna");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_whose_connection_closes_without_leaving_is_reported_closed() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    assert!(wait_until(CONNECT, || anna.frames_from("bernd") > 30).await);

    bernd.close_connection_only().await;

    let noticed = wait_until(Duration::from_secs(15), || {
        bernd.seen.closed.lock().expect("test lock").is_some()
    })
    .await;
    let reason = bernd.seen.closed.lock().expect("test lock").clone();
    println!(
        "closed: {reason:?}, disconnected events: {}",
        bernd
            .seen
            .disconnected
            .load(std::sync::atomic::Ordering::SeqCst)
    );
    assert!(noticed, "the SFU did not notice the closed connection");
    assert!(
        wait_until(CONNECT, || anna
            .seen
            .tracks
            .lock()
            .expect("test lock")
            .is_empty())
        .await,
        "anna still has bernd's tracks"
    );
    let stats = sfu.stats().await.expect("stats");
    assert_eq!(stats.peers, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulcast_sender_reaches_a_receiver_as_one_layer_chosen_by_its_bandwidth() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join_simulcast(&sfu, "room-1", "anna").await;
    let bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    if std::env::var("SFU_TEST_DEBUG").is_ok() {
        let offer = anna
            .pc
            .local_description()
            .await
            .map(|d| d.sdp)
            .unwrap_or_default();
        let answer = anna
            .pc
            .remote_description()
            .await
            .map(|d| d.sdp)
            .unwrap_or_default();
        println!("OFFER\n{offer}\nANSWER\n{answer}");
    }

    assert!(
        wait_until(CONNECT, || bernd.frames_from("anna") > 60).await,
        "frames bernd<-anna {}",
        bernd.frames_from("anna")
    );
    // Two layers are sent; bernd (with bandwidth to spare) gets the high one, and only it.
    let layers = bernd.received.get("anna", "video").layers;
    println!("layers received: {layers:?}");
    let high = layers.get(&b'h').copied().unwrap_or(0);
    let low = layers.get(&b'l').copied().unwrap_or(0);
    assert!(high > 60, "high-layer frames: {layers:?}");
    assert_eq!(
        low, 0,
        "both layers were forwarded into one track: {layers:?}"
    );
    assert!(anna.frames_from("bernd") > 0);

    // Bernd's link weakens: he is switched to the low layer (at a keyframe of it), and only it.
    let layer = |rid: u8| {
        bernd
            .received
            .get("anna", "video")
            .layers
            .get(&rid)
            .copied()
            .unwrap_or(0)
    };
    let requests = anna.keyframe_requests();
    bernd.pin_estimate(150_000);
    assert!(
        wait_until(CONNECT, || layer(b'l') > 30).await,
        "no switch to the low layer: {:?}",
        bernd.received.get("anna", "video").layers
    );
    assert!(
        anna.keyframe_requests() > requests,
        "the switch asked for no keyframe"
    );
    let high_after_switch = layer(b'h');
    let low_after_switch = layer(b'l');
    assert!(wait_until(CONNECT, || layer(b'l') > low_after_switch + 30).await);
    assert_eq!(
        layer(b'h'),
        high_after_switch,
        "high-layer frames after the switch"
    );

    // And back up when the estimate recovers.
    bernd.pin_estimate(3_000_000);
    assert!(
        wait_until(CONNECT, || layer(b'h') > high_after_switch + 30).await,
        "no switch back to the high layer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_wait_while_an_offer_is_unanswered_and_follow_in_the_next_offer() {
    use std::sync::atomic::Ordering;
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let anna = TestPeer::join(&sfu, "room-1", "anna").await;
    let _bernd = TestPeer::join(&sfu, "room-1", "bernd").await;
    assert!(wait_until(CONNECT, || anna.frames_from("bernd") > 30).await);
    let offers = || anna.seen.offers.load(Ordering::SeqCst);
    let before = offers();

    // Anna's browser is slow: the restart offer stays unanswered while carl joins.
    anna.hold_answers(true);
    anna.restart_ice();
    assert!(
        wait_until(CONNECT, || offers() == before + 1).await,
        "no restart offer"
    );
    let carl = TestPeer::join(&sfu, "room-1", "carl").await;
    assert!(wait_until(CONNECT, || carl.frames_from("anna") > 30).await);
    // Carl's tracks are queued for anna: no second offer while the first waits.
    assert_eq!(
        offers(),
        before + 1,
        "an offer was sent while another was pending"
    );
    assert_eq!(anna.frames_from("carl"), 0);

    // The answer goes in; the queued change follows as the next offer, and carl's media flows.
    anna.hold_answers(false);
    assert!(
        wait_until(CONNECT, || anna.frames_from("carl") > 30).await,
        "carl's tracks never reached anna"
    );
    assert_eq!(
        offers(),
        before + 2,
        "the queued changes came as exactly one more offer"
    );
    assert!(anna
        .seen
        .answer_errors
        .lock()
        .expect("test lock")
        .is_empty());
    let tracks = anna.seen.tracks.lock().expect("test lock").clone();
    assert_eq!(tracks.iter().filter(|t| t.peer_id == "carl").count(), 2);
    assert_eq!(tracks.iter().filter(|t| t.peer_id == "bernd").count(), 2);
}
