//! The call forced through a real coturn (relay only, as `BUERGERAMT_TURN_RELAY_ONLY` makes the
//! browsers do): webrtc-rs peers whose only candidates are coturn relays reach each other
//! through coturn → SFU → coturn, with credentials minted by the service; coturn is locked to
//! relay to the SFU's address alone. Negative control: a peer holding an expired credential
//! gathers no relay and never gets media through, so the checker can fail.

use std::time::Duration;

use chrono::Utc;
use media::turn::{TurnSecrets, TurnServers, DEFAULT_TTL};
use testkit::coturn::Coturn;

use crate::support::{self, start_sfu, wait_until, TestPeer};
use crate::CONNECT;

const SECRET: &str = "relay-test-secret-0123456789abcdef0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_forced_to_relay_through_coturn_reach_each_other_via_the_sfu() {
    let _serial = support::serial().await;
    let sfu = start_sfu().await;
    let coturn = Coturn::builder()
        .secret(SECRET)
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let servers = TurnServers::new(
        coturn.turn_urls(),
        TurnSecrets::new([SECRET]).unwrap(),
        DEFAULT_TTL,
    )
    .unwrap();
    let now = Utc::now();
    let anna = TestPeer::join_relayed(
        &sfu,
        "room-relay",
        "anna",
        servers.ice_servers("anna", now).unwrap(),
    )
    .await;
    let bernd = TestPeer::join_relayed(
        &sfu,
        "room-relay",
        "bernd",
        servers.ice_servers("bernd", now).unwrap(),
    )
    .await;
    let both = wait_until(CONNECT * 2, || {
        anna.frames_from("bernd") > 30 && bernd.frames_from("anna") > 30
    })
    .await;
    assert!(
        both,
        "frames anna<-bernd {}, bernd<-anna {}",
        anna.frames_from("bernd"),
        bernd.frames_from("anna")
    );

    // The control: minted two hours ago, expired an hour ago. coturn refuses the allocation,
    // the peer has no candidate at all, and nothing of it reaches the room.
    let expired = servers
        .ice_servers("carla", now - chrono::Duration::hours(2))
        .unwrap();
    let carla = TestPeer::join_relayed(&sfu, "room-relay", "carla", expired).await;
    let reached = wait_until(Duration::from_secs(8), || anna.frames_from("carla") > 0).await;
    assert!(
        !reached,
        "a peer with an expired credential got media through"
    );
    assert!(!carla.connected.load(std::sync::atomic::Ordering::SeqCst));
}
