//! Calls: media both ways, the echo room, leaving, a connection that closes, refusals.

use std::time::Duration;

use crate::support::{self, start_sfu, wait_until, TestPeer};
use crate::CONNECT;

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
