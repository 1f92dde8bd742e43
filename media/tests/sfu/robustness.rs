//! Robustness: garbage, floods (foreign and with valid ICE credentials), a panic in one peer.

use std::time::Duration;

use crate::support::{self, start_sfu, wait_until, TestPeer};
use crate::{CONNECT, FLOW_MIN_FRAMES, FLOW_WINDOW};

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
