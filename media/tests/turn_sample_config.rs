//! The shipped sample `deploy/coturn/turnserver.conf` in a real coturn. Only what cannot work
//! on a test machine is replaced (addresses, ports, certificate, files, the secrets and the
//! process user); every authentication, lock, quota and hardening line runs as shipped.

#[path = "turn_support/mod.rs"]
mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::Utc;
use support::{allocate, minting, NEW};
use testkit::coturn::Coturn;
use testkit::stun::{Transport, TurnClient};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../deploy/coturn/turnserver.conf"
);
/// The SFU address the sample names in `allowed-peer-ip`.
const SAMPLE_SFU: &str = "203.0.113.10";
/// Options the harness sets itself or that need this machine's files and addresses.
const REPLACED: &[&str] = &[
    "listening-ip",
    "relay-ip",
    "external-ip",
    "listening-port",
    "tls-listening-port",
    "min-port",
    "max-port",
    "cert",
    "pkey",
    "static-auth-secret",
    "userdb",
    "log-file",
    "pidfile",
    "proc-user",
    "proc-group",
];

fn option_name(line: &str) -> &str {
    line.split('=').next().unwrap_or_default().trim()
}

/// The sample without the replaced options (and without `drop`), written to `dir`.
fn sample_without(dir: &Path, drop: &[&str]) -> PathBuf {
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    let kept: Vec<&str> = sample
        .lines()
        .filter(|line| {
            let name = option_name(line);
            !REPLACED.contains(&name) && !drop.contains(&name)
        })
        .collect();
    let path = dir.join("turnserver.conf");
    std::fs::write(&path, kept.join("\n")).unwrap();
    path
}

/// coturn with the sample: no lock of the harness's own, loopback peers refused as in
/// production.
fn start_sample(config: &Path) -> Coturn {
    let coturn = Coturn::builder()
        .config_file(config)
        .secret(NEW)
        .unlocked()
        .loopback_peers(false)
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !coturn.log().contains("Bad configuration format"),
        "coturn does not understand a line of the sample:\n{}",
        coturn.log()
    );
    coturn
}

fn permission(client: &mut TurnClient, peer: &str) -> Option<u16> {
    let peer: IpAddr = peer.parse().unwrap();
    client.create_permission(peer).err().and_then(|e| e.code())
}

const OTHERS: &[&str] = &[
    "203.0.113.11",
    "8.8.8.8",
    "127.0.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
];

#[test]
fn the_sample_config_allocates_over_udp_and_tcp_and_relays_only_to_the_sfu_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let coturn = start_sample(&sample_without(dir.path(), &[]));
    let servers = minting(&coturn, &[NEW]);
    for transport in [Transport::Udp, Transport::Tcp] {
        let credential = servers.credential("peer-1", Utc::now()).unwrap();
        let (mut client, _) = allocate(&coturn, transport, &credential)
            .unwrap_or_else(|e| panic!("{transport:?}: {e}\n{}", coturn.log()));
        assert_eq!(permission(&mut client, SAMPLE_SFU), None, "{transport:?}");
        for other in OTHERS {
            assert_eq!(
                permission(&mut client, other),
                Some(403),
                "{other} over {transport:?}"
            );
        }
    }
}

#[test]
fn without_its_denied_peer_lines_the_sample_would_relay_anywhere_but_loopback() {
    // The negative control of the test above: the lock is the two denied-peer-ip lines (and
    // loopback stays refused by coturn's default).
    let dir = tempfile::tempdir().unwrap();
    let coturn = start_sample(&sample_without(dir.path(), &["denied-peer-ip"]));
    let credential = minting(&coturn, &[NEW])
        .credential("peer-2", Utc::now())
        .unwrap();
    let (mut client, _) = allocate(&coturn, Transport::Udp, &credential).unwrap();
    for other in ["203.0.113.11", "8.8.8.8", "10.0.0.1", "192.168.1.1"] {
        assert_eq!(permission(&mut client, other), None, "{other}");
    }
    assert_eq!(permission(&mut client, "127.0.0.1"), Some(403));
}

#[test]
fn the_sample_caps_the_allocations_of_one_credential_at_its_user_quota() {
    let dir = tempfile::tempdir().unwrap();
    let coturn = start_sample(&sample_without(dir.path(), &[]));
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    let quota: usize = sample
        .lines()
        .find(|l| option_name(l) == "user-quota")
        .and_then(|l| l.split('=').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .expect("the sample sets user-quota");
    let credential = minting(&coturn, &[NEW])
        .credential("peer-3", Utc::now())
        .unwrap();
    let mut held = Vec::new();
    for n in 0..quota {
        let allocation = allocate(&coturn, Transport::Udp, &credential)
            .unwrap_or_else(|e| panic!("allocation {}: {e}", n + 1));
        held.push(allocation);
    }
    let refused = allocate(&coturn, Transport::Udp, &credential)
        .map(|_| ())
        .unwrap_err();
    // 486 Allocation Quota Reached (RFC 8656).
    assert_eq!(refused.code(), Some(486), "{refused}");
    // Another participant is not affected by the first one's quota.
    let other = minting(&coturn, &[NEW])
        .credential("peer-4", Utc::now())
        .unwrap();
    allocate(&coturn, Transport::Udp, &other).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_line_coturn_does_not_understand_is_noticed() {
    // The control of the "Bad configuration format" check in `start_sample`: coturn ignores an
    // unknown line (such as the removed no-loopback-peers) and only logs it.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("turnserver.conf");
    std::fs::write(&config, "no-loopback-peers\n").unwrap();
    let coturn = Coturn::builder()
        .config_file(&config)
        .secret(NEW)
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(coturn
        .log()
        .contains("Bad configuration format: no-loopback-peers"));
}
