//! The SFU with real WebRTC stacks on loopback: webrtc-rs peers (an independent implementation)
//! send synthetic VP8 video and Opus audio through the str0m SFU.

mod support;

use std::time::Duration;

use support::{start_sfu, wait_until, TestPeer};

/// Long enough for ICE, DTLS and one renegotiation on a loaded 2-core machine.
const CONNECT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_in_a_room_each_receive_the_others_video_and_audio() {
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
    assert_eq!(anna.frames_from("anna"), 0, "nobody gets their own video back");

    let stats = sfu.stats().await.expect("stats");
    assert_eq!((stats.rooms, stats.peers), (1, 2));
    assert_eq!(stats.forwarded_streams, 4, "two tracks each way");
    let tracks = anna.seen.tracks.lock().expect("test lock").clone();
    assert!(tracks.iter().all(|t| t.peer_id == "bernd" && t.name == "Test bernd"));
    assert_eq!(tracks.len(), 2);
}
