//! Quality: keyframe requests (new receivers, receivers' PLIs) and simulcast layers.

use std::time::Duration;

use crate::support::{self, start_sfu, wait_until, TestPeer};
use crate::CONNECT;

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
