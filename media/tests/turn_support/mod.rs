//! Helpers shared by the TURN tests: minting for a test coturn and allocating through it.

#![allow(dead_code)] // Each test binary uses a different part.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use media::turn::{TurnCredential, TurnSecrets, TurnServers, DEFAULT_TTL};
use testkit::coturn::Coturn;
use testkit::stun::{Transport, TurnClient, TurnFailure};

pub const OLD: &str = "old-secret-0123456789abcdef0123456789abcdef";
pub const NEW: &str = "new-secret-fedcba9876543210fedcba9876543210";
pub const UNKNOWN: &str = "unknown-secret-not-configured-in-coturn-at-all";
/// The stand-in for the SFU's media address: the only peer a test coturn relays to.
pub const SFU: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The service's minting for `coturn`'s URLs with `secrets` (the first one mints).
pub fn minting(coturn: &Coturn, secrets: &[&str]) -> TurnServers {
    TurnServers::new(
        coturn.turn_urls(),
        TurnSecrets::new(secrets.iter().copied()).unwrap(),
        DEFAULT_TTL,
    )
    .unwrap()
}

/// A coturn locked to the SFU address, with static `secrets`.
pub fn start(secrets: &[&str]) -> Coturn {
    let mut builder = Coturn::builder();
    for secret in secrets {
        builder = builder.secret(secret);
    }
    builder.start().unwrap_or_else(|e| panic!("{e}"))
}

/// Allocates a relay with `credential`; returns the client and the relayed address.
pub fn allocate(
    coturn: &Coturn,
    transport: Transport,
    credential: &TurnCredential,
) -> Result<(TurnClient, SocketAddr), TurnFailure> {
    let mut client = TurnClient::connect(
        coturn.addr(),
        transport,
        &credential.username,
        &credential.password,
    )?;
    let allocation = client.allocate()?;
    Ok((client, allocation.relayed))
}

/// A UDP socket standing in for the SFU (or another peer) on `ip`.
pub fn peer_socket(ip: Ipv4Addr) -> UdpSocket {
    let socket = UdpSocket::bind((ip, 0)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    socket
}

/// Sends one datagram from `client` through its relay to `sfu` and one back; panics unless both
/// arrive.
pub fn round_trip(client: &mut TurnClient, relayed: SocketAddr, sfu: &UdpSocket) {
    let sfu_addr = sfu.local_addr().unwrap();
    client.create_permission(sfu_addr.ip()).unwrap();
    client.send_to(sfu_addr, b"rtp from the browser").unwrap();
    let mut buffer = [0u8; 256];
    let (n, from) = sfu.recv_from(&mut buffer).unwrap();
    assert_eq!(&buffer[..n], b"rtp from the browser");
    assert_eq!(from, relayed, "the SFU sees the relay, not the browser");
    sfu.send_to(b"rtp from the sfu", relayed).unwrap();
    let (peer, data) = client.receive_from().unwrap();
    assert_eq!((peer, &data[..]), (sfu_addr, &b"rtp from the sfu"[..]));
}
