//! Negotiation: ICE restart, and one SFU offer at a time with changes queued behind it.

use crate::support::{self, start_sfu, wait_until, TestPeer};
use crate::CONNECT;

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
