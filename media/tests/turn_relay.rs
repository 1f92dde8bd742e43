//! Credentials minted by `media::turn` against a real coturn on loopback (Debian's
//! `turnserver`, started per test by `testkit::coturn`), through a TURN client written from the
//! RFCs (`testkit::stun`). Each instance is locked like the production sample: every peer denied
//! but the "SFU" at 127.0.0.1.

#[path = "turn_support/mod.rs"]
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use chrono::{DateTime, Utc};
use support::{allocate, minting, peer_socket, round_trip, start, NEW, SFU};
use testkit::coturn::Coturn;
use testkit::stun::Transport;

#[test]
fn a_minted_credential_allocates_a_relay_over_udp_and_tcp_and_media_reaches_the_sfu_and_back() {
    let coturn = start(&[NEW]);
    let servers = minting(&coturn, &[NEW]);
    for transport in [Transport::Udp, Transport::Tcp] {
        let credential = servers.credential("peer-1", Utc::now()).unwrap();
        let (mut client, relayed) = allocate(&coturn, transport, &credential)
            .unwrap_or_else(|e| panic!("{transport:?}: {e}\n{}", coturn.log()));
        assert_eq!(relayed.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        let (low, high) = coturn.relay_ports();
        assert!((low..=high).contains(&relayed.port()), "{relayed}");

        let sfu = peer_socket(SFU);
        round_trip(&mut client, relayed, &sfu);
        assert_eq!(
            client.refresh(0).unwrap(),
            Some(0),
            "{transport:?} deallocates"
        );
    }
}

#[test]
fn an_expired_credential_and_a_wrong_password_are_refused_with_401() {
    let coturn = start(&[NEW]);
    let servers = minting(&coturn, &[NEW]);
    let two_hours_ago: DateTime<Utc> = Utc::now() - chrono::Duration::hours(2);
    let expired = servers.credential("peer-2", two_hours_ago).unwrap();
    assert!(expired.expires_at < Utc::now());
    let mut wrong = servers.credential("peer-2", Utc::now()).unwrap();
    wrong.password = wrong
        .password
        .replacen(|c: char| c.is_alphanumeric(), "_", 1);
    let mut tampered = servers.credential("peer-2", Utc::now()).unwrap();
    // A later expiry with the password of the earlier one: the HMAC covers the expiry.
    let later = tampered.expires_at + chrono::Duration::hours(5);
    tampered.username = format!("{}:peer-2", later.timestamp());

    for transport in [Transport::Udp, Transport::Tcp] {
        for (what, credential) in [
            ("expired", &expired),
            ("wrong password", &wrong),
            ("extended expiry", &tampered),
        ] {
            let refused = allocate(&coturn, transport, credential)
                .map(|_| ())
                .unwrap_err();
            assert_eq!(
                refused.code(),
                Some(401),
                "{what} over {transport:?}: {refused}"
            );
        }
        // The control: the same participant with a credential minted now is accepted.
        let fresh = servers.credential("peer-2", Utc::now()).unwrap();
        allocate(&coturn, transport, &fresh).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn the_relay_reaches_only_the_sfu_address_and_every_other_peer_is_forbidden() {
    let coturn = start(&[NEW]);
    let servers = minting(&coturn, &[NEW]);
    let credential = servers.credential("peer-5", Utc::now()).unwrap();
    for transport in [Transport::Udp, Transport::Tcp] {
        let (mut client, _) = allocate(&coturn, transport, &credential).unwrap();
        client.create_permission(IpAddr::V4(SFU)).unwrap();
        for denied in [
            "127.0.0.2",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "8.8.8.8",
            "0.0.0.0",
        ] {
            let refused = client
                .create_permission(denied.parse().unwrap())
                .unwrap_err();
            assert_eq!(
                refused.code(),
                Some(403),
                "{denied} over {transport:?}: {refused}"
            );
        }
    }
}

#[test]
fn data_sent_towards_a_denied_loopback_address_does_not_arrive_while_an_unlocked_server_delivers_it(
) {
    // The negative control of the lock: the same exchange with a coturn that has no
    // denied/allowed lines reaches 127.0.0.2, so the test above can tell a locked server from
    // an open one.
    let other = peer_socket(Ipv4Addr::new(127, 0, 0, 2));
    let other_addr = other.local_addr().unwrap();
    let mut buffer = [0u8; 256];

    let locked = start(&[NEW]);
    let credential = minting(&locked, &[NEW])
        .credential("peer-6", Utc::now())
        .unwrap();
    let (mut client, _) = allocate(&locked, Transport::Udp, &credential).unwrap();
    let refused = client.create_permission(other_addr.ip()).unwrap_err();
    assert_eq!(refused.code(), Some(403), "{refused}");
    client.send_to(other_addr, b"to a stranger").unwrap();
    other
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    assert!(
        other.recv_from(&mut buffer).is_err(),
        "a locked coturn relayed to 127.0.0.2"
    );

    let open = Coturn::builder()
        .secret(NEW)
        .unlocked()
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let credential = minting(&open, &[NEW])
        .credential("peer-6", Utc::now())
        .unwrap();
    let (mut client, relayed) = allocate(&open, Transport::Udp, &credential).unwrap();
    client.create_permission(other_addr.ip()).unwrap();
    client.send_to(other_addr, b"to a stranger").unwrap();
    other
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let (n, from) = other.recv_from(&mut buffer).unwrap();
    assert_eq!((&buffer[..n], from), (&b"to a stranger"[..], relayed));
}
