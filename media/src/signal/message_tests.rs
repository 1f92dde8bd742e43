use super::*;

#[test]
fn a_browser_offer_in_its_own_form_parses() {
    let message = ClientMessage::parse(
        r#"{"v":1,"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}"#,
    )
    .unwrap();
    assert!(matches!(message, ClientMessage::Offer { ref sdp, .. } if sdp.starts_with("v=0")));
}

#[test]
fn a_candidate_uses_the_browsers_camel_case_fields_and_null_ends_the_candidates() {
    let message = ClientMessage::parse(
        r#"{"v":1,"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}}"#,
    )
    .unwrap();
    let ClientMessage::Candidate {
        candidate: Some(candidate),
        ..
    } = message
    else {
        panic!("a candidate");
    };
    assert_eq!(candidate.sdp_mid.as_deref(), Some("0"));
    assert_eq!(candidate.sdp_m_line_index, Some(0));
    let end = ClientMessage::parse(r#"{"v":1,"type":"candidate","candidate":null}"#).unwrap();
    assert_eq!(
        end,
        ClientMessage::Candidate {
            v: 1,
            candidate: None
        }
    );
}

#[test]
fn unknown_types_unknown_fields_and_other_versions_are_refused() {
    assert!(matches!(
        ClientMessage::parse(r#"{"v":1,"type":"reboot"}"#),
        Err(ProtocolError::Malformed(_))
    ));
    assert!(matches!(
        ClientMessage::parse(r#"{"v":1,"type":"ping","admin":true}"#),
        Err(ProtocolError::Malformed(_))
    ));
    assert_eq!(
        ClientMessage::parse(r#"{"v":2,"type":"ping"}"#),
        Err(ProtocolError::Version(2))
    );
    assert!(matches!(
        ClientMessage::parse(r#"{"type":"ping"}"#),
        Err(ProtocolError::Malformed(_))
    ));
    assert!(matches!(
        ClientMessage::parse("not json"),
        Err(ProtocolError::Malformed(_))
    ));
}

#[test]
fn oversized_messages_sdps_and_chat_lines_are_refused() {
    let huge = format!(r#"{{"v":1,"type":"chat","text":"{}"}}"#, "a".repeat(70_000));
    assert_eq!(ClientMessage::parse(&huge), Err(ProtocolError::TooLarge));
    let long_chat = format!(r#"{{"v":1,"type":"chat","text":"{}"}}"#, "ä".repeat(2001));
    assert!(matches!(
        ClientMessage::parse(&long_chat),
        Err(ProtocolError::Invalid(_))
    ));
    let ok_chat = format!(r#"{{"v":1,"type":"chat","text":"{}"}}"#, "ä".repeat(2000));
    assert!(ClientMessage::parse(&ok_chat).is_ok());
    let big_sdp = format!(
        r#"{{"v":1,"type":"offer","sdp":"v=0{}"}}"#,
        "x".repeat(50_000)
    );
    assert!(matches!(
        ClientMessage::parse(&big_sdp),
        Err(ProtocolError::Invalid(_))
    ));
    assert!(matches!(
        ClientMessage::parse(r#"{"v":1,"type":"offer","sdp":"hello"}"#),
        Err(ProtocolError::Invalid(_))
    ));
}

#[test]
fn blank_chat_lines_and_control_characters_are_refused() {
    for text in [r#""   ""#, r#""a\u0007b""#] {
        let message = format!(r#"{{"v":1,"type":"chat","text":{text}}}"#);
        assert!(
            matches!(
                ClientMessage::parse(&message),
                Err(ProtocolError::Invalid(_))
            ),
            "{message}"
        );
    }
    assert!(ClientMessage::parse(r#"{"v":1,"type":"chat","text":"Zeile 1\nZeile 2"}"#).is_ok());
}

#[test]
fn a_join_takes_one_way_in() {
    assert!(ClientMessage::parse(r#"{"v":1,"type":"join","token":"t"}"#).is_ok());
    assert!(ClientMessage::parse(r#"{"v":1,"type":"join","case_id":"c"}"#).is_ok());
    assert!(matches!(
        ClientMessage::parse(r#"{"v":1,"type":"join","token":"t","invite":"i"}"#),
        Err(ProtocolError::Invalid(_))
    ));
    assert!(matches!(
        ClientMessage::parse(r#"{"v":1,"type":"join","token":""}"#),
        Err(ProtocolError::Invalid(_))
    ));
}

#[test]
fn server_messages_are_tagged_in_kebab_case_with_the_version() {
    let text = ServerMessage::Offer {
        v: 1,
        sdp: "v=0".into(),
        tracks: vec![],
    }
    .to_text();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["type"], "offer");
    assert_eq!(value["v"], 1);
    let restart = ServerMessage::Connection {
        v: 1,
        state: "connected".into(),
    }
    .to_text();
    assert!(restart.contains(r#""type":"connection""#));
}
