//! Secret rotation against a real coturn: credentials of either configured secret work, an
//! unknown one is refused, and secrets changed at run time (`turnadmin`) take effect without a
//! restart while a running allocation keeps relaying. Also what a credential's expiry means
//! for a call in progress.

#[path = "turn_support/mod.rs"]
mod support;

use std::time::Duration;

use chrono::Utc;
use media::turn::{TurnCredential, TurnSecret};
use support::{allocate, minting, peer_socket, round_trip, start, NEW, OLD, SFU, UNKNOWN};
use testkit::coturn::Coturn;
use testkit::stun::Transport;

#[test]
fn credentials_minted_with_either_configured_secret_work_and_an_unknown_secret_is_refused() {
    // coturn holds both secrets during a rotation (two static-auth-secret lines).
    let coturn = start(&[NEW, OLD]);
    let before = minting(&coturn, &[OLD, NEW]); // the new secret added as second
    let after = minting(&coturn, &[NEW, OLD]); // then made first
    let stranger = minting(&coturn, &[UNKNOWN]);
    for transport in [Transport::Udp, Transport::Tcp] {
        for (what, servers) in [("old first", &before), ("new first", &after)] {
            let credential = servers.credential("peer-3", Utc::now()).unwrap();
            allocate(&coturn, transport, &credential)
                .unwrap_or_else(|e| panic!("{what} over {transport:?}: {e}"));
        }
        let credential = stranger.credential("peer-3", Utc::now()).unwrap();
        let refused = allocate(&coturn, transport, &credential)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(refused.code(), Some(401), "{transport:?}: {refused}");
    }
}

#[test]
fn after_the_old_secret_is_removed_only_credentials_of_the_new_one_work() {
    // The last step of a rotation: coturn knows only the new secret.
    let coturn = start(&[NEW]);
    let old_minting = minting(&coturn, &[OLD, NEW]);
    let new_minting = minting(&coturn, &[NEW, OLD]);
    let old = old_minting.credential("peer-4", Utc::now()).unwrap();
    let new = new_minting.credential("peer-4", Utc::now()).unwrap();
    let refused = allocate(&coturn, Transport::Udp, &old)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused.code(), Some(401), "{refused}");
    allocate(&coturn, Transport::Udp, &new).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn secrets_rotated_at_run_time_take_effect_at_once_and_a_running_call_keeps_its_relay() {
    // coturn with no static secret: the secrets live in its SQLite user database, where the
    // operator adds and removes them with turnadmin while coturn runs.
    let coturn = Coturn::builder().start().unwrap_or_else(|e| panic!("{e}"));
    coturn.add_secret_at_run_time(OLD).unwrap();
    let sfu = peer_socket(SFU);

    // A call in progress, relayed with a credential of the old secret.
    let before = minting(&coturn, &[OLD]);
    let credential = before.credential("peer-in-call", Utc::now()).unwrap();
    let (mut in_call, relayed) = allocate(&coturn, Transport::Udp, &credential)
        .unwrap_or_else(|e| panic!("{e}\n{}", coturn.log()));
    round_trip(&mut in_call, relayed, &sfu);

    // Step 1: coturn learns the new secret; the service mints with it from step 2 on.
    let refused = allocate(
        &coturn,
        Transport::Udp,
        &minting(&coturn, &[NEW, OLD])
            .credential("peer-new", Utc::now())
            .unwrap(),
    )
    .map(|_| ())
    .unwrap_err();
    assert_eq!(refused.code(), Some(401), "not yet known: {refused}");
    coturn.add_secret_at_run_time(NEW).unwrap();
    let after = minting(&coturn, &[NEW, OLD]);
    let fresh = after.credential("peer-new", Utc::now()).unwrap();
    allocate(&coturn, Transport::Udp, &fresh).unwrap_or_else(|e| panic!("{e}"));
    let old_but_valid = before.credential("peer-late", Utc::now()).unwrap();
    allocate(&coturn, Transport::Tcp, &old_but_valid).unwrap_or_else(|e| panic!("{e}"));

    // Step 3 (once the last credential of the old secret has expired): remove it.
    coturn.remove_secret_at_run_time(OLD).unwrap();
    let refused = allocate(&coturn, Transport::Udp, &old_but_valid)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused.code(), Some(401), "old secret removed: {refused}");
    allocate(&coturn, Transport::Tcp, &fresh).unwrap_or_else(|e| panic!("{e}"));

    // The call that began under the old secret still refreshes and relays.
    assert_eq!(in_call.refresh(600).unwrap(), Some(600));
    round_trip(&mut in_call, relayed, &sfu);
}

#[test]
fn static_secrets_are_read_only_at_start_so_changing_them_needs_a_restart() {
    // Why run-time rotation uses turnadmin: a SIGHUP does not make coturn reread its config
    // file's static-auth-secret lines. (If a later coturn does, this test fails and the
    // rotation notes in deploy/coturn/README.md can be simplified.)
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("turnserver.conf");
    std::fs::write(&config, format!("static-auth-secret={OLD}\n")).unwrap();
    let coturn = Coturn::builder()
        .config_file(&config)
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let old = minting(&coturn, &[OLD])
        .credential("p", Utc::now())
        .unwrap();
    allocate(&coturn, Transport::Udp, &old).unwrap_or_else(|e| panic!("{e}"));

    std::fs::write(
        &config,
        format!("static-auth-secret={OLD}\nstatic-auth-secret={NEW}\n"),
    )
    .unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &coturn.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let new = minting(&coturn, &[NEW])
        .credential("p", Utc::now())
        .unwrap();
    // Whatever coturn does with the signal, it has done it once it answers a request after it.
    let _ = allocate(&coturn, Transport::Udp, &old);
    let refused = allocate(&coturn, Transport::Udp, &new)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused.code(), Some(401), "{refused}");

    // The control: the same file read at start accepts the new secret.
    let restarted = Coturn::builder()
        .config_file(&config)
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let new = minting(&restarted, &[NEW])
        .credential("p", Utc::now())
        .unwrap();
    allocate(&restarted, Transport::Udp, &new).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_allocation_outlives_its_credentials_expiry_but_no_new_one_can_be_opened_with_it() {
    // The lifetime bounds when a credential can open relays, not how long a call lasts: coturn
    // checks the expiry when an allocation is created and keeps the session's key afterwards.
    let coturn = start(&[NEW]);
    let secret = TurnSecret::new(NEW, 1).unwrap();
    let expires_at = Utc::now() + chrono::Duration::seconds(2);
    let credential = TurnCredential::mint(&secret, "peer-long-call", expires_at).unwrap();
    let (mut client, relayed) =
        allocate(&coturn, Transport::Udp, &credential).unwrap_or_else(|e| panic!("{e}"));
    let sfu = peer_socket(SFU);
    round_trip(&mut client, relayed, &sfu);

    // Wait until the credential's expiry second has passed (coturn compares whole seconds).
    while Utc::now().timestamp() <= credential.expires_at.timestamp() {
        std::thread::sleep(Duration::from_millis(100));
    }
    let refused = allocate(&coturn, Transport::Udp, &credential)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused.code(), Some(401), "{refused}");
    assert_eq!(client.refresh(600).unwrap(), Some(600));
    round_trip(&mut client, relayed, &sfu);
}
