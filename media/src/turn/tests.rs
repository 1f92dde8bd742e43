use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;

const FIRST: &str = "0123456789abcdef0123456789abcdef";
const SECOND: &str = "second-secret-for-the-rotation-test";

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap()
}

fn servers(urls: &[&str], secrets: &[&str]) -> TurnServers {
    TurnServers::new(
        urls.iter().copied(),
        TurnSecrets::new(secrets.iter().copied()).unwrap(),
        DEFAULT_TTL,
    )
    .unwrap()
}

#[test]
fn a_minted_password_matches_an_hmac_sha1_computed_elsewhere() {
    // printf '1700000000:peer-42' \
    //   | openssl dgst -sha1 -hmac 0123456789abcdef0123456789abcdef -binary | base64
    // python3: base64.b64encode(hmac.new(b'0123…cdef', b'1700000000:peer-42', 'sha1').digest())
    let secret = TurnSecret::new(FIRST, 1).unwrap();
    let credential = TurnCredential::mint(&secret, "peer-42", at(1_700_000_000)).unwrap();
    assert_eq!(credential.username, "1700000000:peer-42");
    assert_eq!(credential.password, "QK991dQPQuya9K4z2cl42Vjv0+g=");
    assert_eq!(credential.expires_at, at(1_700_000_000));
}

#[test]
fn the_credential_expires_one_ttl_after_now_and_is_minted_with_the_first_secret() {
    // python3 -c "import hmac,hashlib,base64; print(base64.b64encode(hmac.new(
    //   b'second-secret-for-the-rotation-test',
    //   b'1700003600:4f1c2b9e-7d1a-4c3e-9a55-1b2f3e4d5c6a', hashlib.sha1).digest()).decode())"
    let servers = servers(&["turn:turn.example:3478"], &[SECOND, FIRST]);
    let now = at(1_700_000_000) + chrono::Duration::milliseconds(999);
    let credential = servers
        .credential("4f1c2b9e-7d1a-4c3e-9a55-1b2f3e4d5c6a", now)
        .unwrap();
    assert_eq!(
        credential.username,
        "1700003600:4f1c2b9e-7d1a-4c3e-9a55-1b2f3e4d5c6a"
    );
    assert_eq!(credential.password, "LIYtgfF0TqXxciebhodcfg8a9xE=");
    assert_eq!(credential.expires_at, at(1_700_003_600));
}

#[test]
fn rotating_the_order_of_the_secrets_changes_which_one_mints() {
    let old_first = servers(&["turn:t.example"], &[FIRST, SECOND]);
    let new_first = servers(&["turn:t.example"], &[SECOND, FIRST]);
    let now = at(1_700_000_000);
    let a = old_first.credential("peer-1", now).unwrap();
    let b = new_first.credential("peer-1", now).unwrap();
    assert_eq!(a.username, b.username);
    assert_ne!(a.password, b.password);
}

#[test]
fn ice_servers_carry_every_turn_url_with_one_credential_and_stun_urls_without() {
    let servers = servers(
        &[
            "turn:turn.example:3478?transport=udp",
            "turn:turn.example:3478?transport=tcp",
            "turns:turn.example:5349?transport=tcp",
            "stun:turn.example:3478",
        ],
        &[FIRST],
    );
    let ice = servers.ice_servers("peer-7", at(1_700_000_000)).unwrap();
    assert_eq!(ice.len(), 2);
    assert_eq!(
        ice[0].urls,
        [
            "turn:turn.example:3478?transport=udp",
            "turn:turn.example:3478?transport=tcp",
            "turns:turn.example:5349?transport=tcp",
        ]
    );
    assert_eq!(ice[0].username.as_deref(), Some("1700003600:peer-7"));
    let expected = TurnCredential::mint(
        &TurnSecret::new(FIRST, 1).unwrap(),
        "peer-7",
        at(1_700_003_600),
    )
    .unwrap();
    assert_eq!(ice[0].credential.as_deref(), Some(&*expected.password));
    assert_eq!(ice[1].urls, ["stun:turn.example:3478"]);
    assert_eq!(
        (ice[1].username.as_ref(), ice[1].credential.as_ref()),
        (None, None)
    );
    let json = serde_json::to_value(&ice[1]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"urls": ["stun:turn.example:3478"]})
    );
}

#[test]
fn participant_ids_must_be_opaque_and_cannot_contain_the_separator() {
    let servers = servers(&["turn:t.example"], &[FIRST]);
    let now = at(1_700_000_000);
    for bad in [
        "",
        "1700009999:admin",
        "anna@example.org",
        "Anna Schmidt",
        "ü",
        &"x".repeat(MAX_PARTICIPANT_CHARS + 1),
    ] {
        assert_eq!(
            servers.credential(bad, now),
            Err(TurnError::BadParticipant),
            "{bad:?}"
        );
    }
    let longest = "x".repeat(MAX_PARTICIPANT_CHARS);
    assert!(servers.credential(&longest, now).is_ok());
    assert!(servers.credential("a.b_c-D9", now).is_ok());
}

#[test]
fn secrets_must_be_long_printable_and_distinct() {
    assert_eq!(
        TurnSecrets::new(Vec::<String>::new()),
        Err(TurnError::NoSecret)
    );
    assert!(matches!(
        TurnSecrets::new([&FIRST[..31]]),
        Err(TurnError::BadSecret { position: 1, .. })
    ));
    for bad in [
        " with a space inside for sure .....",
        "with#a#hash#sign#and#then#some#more",
    ] {
        assert!(matches!(
            TurnSecrets::new([FIRST, bad]),
            Err(TurnError::BadSecret { position: 2, .. })
        ));
    }
    assert_eq!(
        TurnSecrets::new([FIRST, SECOND, FIRST]),
        Err(TurnError::DuplicateSecret { position: 3 })
    );
    let parsed = TurnSecrets::parse_list(&format!(" {SECOND} , {FIRST},")).unwrap();
    assert_eq!(parsed, TurnSecrets::new([SECOND, FIRST]).unwrap());
    assert_eq!(parsed.count(), 2);
}

#[test]
fn urls_must_be_turn_or_stun_urls_and_at_least_one_turn_url_is_needed() {
    let secrets = || TurnSecrets::new([FIRST]).unwrap();
    for bad in [
        "http://turn.example",
        "turn://turn.example:3478",
        "turn:user@turn.example",
        "turn:",
        "turn:turn.example?transport=sctp",
        "stun:turn.example?transport=udp",
        "turn:turn example",
    ] {
        assert!(
            matches!(
                TurnServers::new([bad], secrets(), DEFAULT_TTL),
                Err(TurnError::BadUrl { .. })
            ),
            "{bad}"
        );
    }
    assert_eq!(
        TurnServers::new(["stun:turn.example"], secrets(), DEFAULT_TTL).map(|_| ()),
        Err(TurnError::NoUrl)
    );
    let listed = TurnServers::from_list(
        "turn:a.example:3478?transport=udp, turns:a.example:5349?transport=tcp",
        secrets(),
        DEFAULT_TTL,
    )
    .unwrap();
    let ice = listed.ice_servers("p", at(1_700_000_000)).unwrap();
    assert_eq!(ice.len(), 1);
    assert_eq!(ice[0].urls.len(), 2);
}

#[test]
fn the_lifetime_must_be_between_a_second_and_a_day() {
    let secrets = || TurnSecrets::new([FIRST]).unwrap();
    for bad in [Duration::ZERO, MAX_TTL + Duration::from_secs(1)] {
        assert!(matches!(
            TurnServers::new(["turn:t.example"], secrets(), bad),
            Err(TurnError::BadTtl { .. })
        ));
    }
    let short = TurnServers::new(["turn:t.example"], secrets(), Duration::from_secs(1)).unwrap();
    let credential = short.credential("p", at(1_700_000_000)).unwrap();
    assert_eq!(credential.expires_at, at(1_700_000_001));
}

#[test]
fn debug_output_shows_no_secret_and_no_password() {
    let servers = servers(&["turn:t.example"], &[FIRST, SECOND]);
    let credential = servers.credential("peer-1", at(1_700_000_000)).unwrap();
    let printed = format!(
        "{servers:?} {credential:?} {:?} {:#?}",
        TurnSecret::new(FIRST, 1).unwrap(),
        servers
    );
    for hidden in [FIRST, SECOND, &credential.password] {
        assert!(!printed.contains(hidden), "{printed}");
    }
    assert!(printed.contains("1700003600:peer-1"), "{printed}");
    assert!(printed.contains("turn:t.example"), "{printed}");
}
