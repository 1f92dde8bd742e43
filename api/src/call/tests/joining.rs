//! Who may join, waiting and admission, chat, replacement, the end of the call and invites.

use serde_json::json;

use super::harness::*;
use super::on_both_backends;

on_both_backends!(
    the_clerk_opening_the_call_admits_the_waiting_citizen_and_records_the_call,
    only_the_cases_parties_may_join_and_every_refusal_closes_the_socket,
    chat_reaches_everybody_in_the_call_and_only_after_admission,
    a_second_connection_of_the_same_participant_replaces_the_first,
    the_clerk_ends_the_call_for_everybody_and_spends_the_invites,
);

async fn the_clerk_opening_the_call_admits_the_waiting_citizen_and_records_the_call(kind: Kind) {
    let (app, case_id, token, clerk) = case_in_waiting_room(kind, true).await;
    let mut citizen = Ws::connect(&app, &Who::Nobody).await;
    let welcome = citizen.join(json!({"token": token.expose()})).await;
    assert_eq!(welcome["role"], "citizen");
    assert_eq!(welcome["case_id"], case_id.to_string());
    assert_eq!(welcome["ice_transport_policy"], "all", "no TURN configured");
    assert_eq!(welcome["ice_servers"], serde_json::json!([]));
    let waiting = citizen.expect("waiting").await;
    assert_eq!(waiting["stage"], "admitted", "admitted, but no call yet");

    let mut desk = Ws::connect(&app, &clerk).await;
    let welcome = desk.join(json!({"case_id": case_id.to_string()})).await;
    assert_eq!(welcome["role"], "clerk");
    let opened = desk.expect("admitted").await;
    let session_id = opened["session_id"].as_str().unwrap().to_owned();

    let admitted = citizen.expect("admitted").await;
    assert_eq!(admitted["session_id"], session_id.as_str(), "the same call");
    let participants = citizen.expect("participants").await;
    assert!(participants["participants"].as_array().unwrap().len() <= 2);

    let events = case_events(&app, case_id).await;
    assert_eq!(events.last().map(String::as_str), Some("CallStarted"));
    let session = session_events(&app, &session_id).await;
    assert!(matches!(
        session.as_slice(),
        [domain::video_session::VideoSessionEvent::SessionOpened { .. }]
    ));
    // A clerk joining again (another tab, a reload) joins the same call.
    let mut again = Ws::connect(&app, &clerk).await;
    again.join(json!({"case_id": case_id.to_string()})).await;
    let reopened = again.expect("admitted").await;
    assert_eq!(reopened["session_id"], session_id.as_str());
    assert_eq!(
        case_events(&app, case_id)
            .await
            .iter()
            .filter(|e| *e == "CallStarted")
            .count(),
        1
    );
}

async fn only_the_cases_parties_may_join_and_every_refusal_closes_the_socket(kind: Kind) {
    let (app, case_id, token, _clerk) = case_in_waiting_room(kind, false).await;
    let case = case_id.to_string();

    // A forged token (right case, wrong secret) and a malformed one: 401.
    let forged = crate::capability::CapabilityToken::generate(case_id);
    for token in [forged.expose().to_owned(), "nonsense".to_owned()] {
        let mut ws = Ws::connect(&app, &Who::Nobody).await;
        ws.send(json!({"v": 1, "type": "join", "token": token}))
            .await;
        let error = ws.expect("error").await;
        assert_eq!(error["problem"]["status"], 401);
        assert_eq!(ws.closed().await, Ended::Close(4401));
    }
    // Nobody with a case id, a clerk of another office: 401 and 403.
    let mut ws = Ws::connect(&app, &Who::Nobody).await;
    ws.send(json!({"v": 1, "type": "join", "case_id": case}))
        .await;
    assert_eq!(ws.expect("error").await["problem"]["status"], 401);
    assert_eq!(ws.closed().await, Ended::Close(4401));
    let other_clerk = app.login("clerk.y").await;
    let mut ws = Ws::connect(&app, &other_clerk).await;
    ws.send(json!({"v": 1, "type": "join", "case_id": case}))
        .await;
    assert_eq!(ws.expect("error").await["problem"]["status"], 403);
    assert_eq!(ws.closed().await, Ended::Close(4403));
    // The right clerk, but the citizen is only checked in: the call cannot open (409).
    let clerk = app.login("clerk.x").await;
    let mut ws = Ws::connect(&app, &clerk).await;
    ws.join(json!({"case_id": case})).await;
    assert_eq!(ws.expect("error").await["problem"]["status"], 409);
    assert_eq!(ws.closed().await, Ended::Close(4409));
    // An unknown case: 404.
    let mut ws = Ws::connect(&app, &clerk).await;
    ws.send(json!({"v": 1, "type": "join", "case_id": uuid::Uuid::new_v4().to_string()}))
        .await;
    assert_eq!(ws.expect("error").await["problem"]["status"], 404);
    assert_eq!(ws.closed().await, Ended::Close(4404));
    // Anything but join first: 4400.
    let mut ws = Ws::connect(&app, &Who::Nobody).await;
    ws.send(json!({"v": 1, "type": "chat", "text": "hallo"}))
        .await;
    assert_eq!(ws.expect("error").await["problem"]["status"], 400);
    assert_eq!(ws.closed().await, Ended::Close(4400));
    // A cross-site page cannot even open the socket with the clerk's cookie.
    let refused = Ws::try_connect(&app, &clerk, Some("https://evil.example")).await;
    assert_eq!(refused.err(), Some(403));
    // The citizen with the real token is welcomed and waits.
    let mut ws = Ws::connect(&app, &Who::Nobody).await;
    ws.join(json!({"token": token.expose()})).await;
    assert_eq!(ws.expect("waiting").await["stage"], "checked_in");
    // Media before admission is refused, without closing.
    ws.send(json!({"v": 1, "type": "offer", "sdp": "v=0\r\n"}))
        .await;
    assert_eq!(ws.expect("error").await["problem"]["status"], 409);
    ws.send(json!({"v": 1, "type": "ping"})).await;
    ws.expect("pong").await;
}

async fn chat_reaches_everybody_in_the_call_and_only_after_admission(kind: Kind) {
    let (app, case_id, token, clerk) = case_in_waiting_room(kind, true).await;
    let mut citizen = Ws::connect(&app, &Who::Nobody).await;
    citizen.join(json!({"token": token.expose()})).await;
    citizen.expect("waiting").await;
    citizen
        .send(json!({"v": 1, "type": "chat", "text": "Ist jemand da?"}))
        .await;
    assert_eq!(citizen.expect("error").await["problem"]["status"], 409);

    let mut desk = Ws::connect(&app, &clerk).await;
    desk.join(json!({"case_id": case_id.to_string()})).await;
    desk.expect("admitted").await;
    citizen.expect("admitted").await;
    citizen
        .send(json!({"v": 1, "type": "chat", "text": "Guten Tag, ich höre Sie gut."}))
        .await;
    let line = desk.expect("chat").await;
    assert_eq!(line["text"], "Guten Tag, ich höre Sie gut.");
    assert_eq!(line["role"], "citizen");
    let own = citizen.expect("chat").await;
    assert_eq!(
        own["text"], line["text"],
        "the sender sees its own line too"
    );
    desk.send(json!({"v": 1, "type": "chat", "text": "Willkommen!"}))
        .await;
    assert_eq!(citizen.expect("chat").await["role"], "clerk");
    // What the participants switched on reaches the others.
    desk.send(
        json!({"v": 1, "type": "media-state", "audio": false, "video": true, "screen": true}),
    )
    .await;
    loop {
        let list = citizen.expect("participants").await;
        let clerk_entry = list["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["role"] == "clerk")
            .cloned();
        if let Some(entry) = clerk_entry {
            if entry["media"]["screen"] == true {
                assert_eq!(entry["media"]["audio"], false);
                break;
            }
        }
    }
}

async fn a_second_connection_of_the_same_participant_replaces_the_first(kind: Kind) {
    let (app, _case_id, token, _clerk) = case_in_waiting_room(kind, true).await;
    let mut first = Ws::connect(&app, &Who::Nobody).await;
    first.join(json!({"token": token.expose()})).await;
    first.expect("waiting").await;
    let mut second = Ws::connect(&app, &Who::Nobody).await;
    second.join(json!({"token": token.expose()})).await;
    assert_eq!(first.closed().await, Ended::Close(4000));
    second.send(json!({"v": 1, "type": "ping"})).await;
    second.expect("pong").await;
}

async fn the_clerk_ends_the_call_for_everybody_and_spends_the_invites(kind: Kind) {
    let (app, case_id, token, clerk) = case_in_waiting_room(kind, true).await;
    let mut desk = Ws::connect(&app, &clerk).await;
    desk.join(json!({"case_id": case_id.to_string()})).await;
    let session_id = desk.expect("admitted").await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut citizen = Ws::connect(&app, &Who::Nobody).await;
    citizen.join(json!({"token": token.expose()})).await;
    citizen.expect("admitted").await;

    let (status, invite) = app
        .post(
            &format!("/api/v1/cases/{case_id}/call/invites"),
            &clerk,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{invite}");
    assert!(invite["url"].as_str().unwrap().ends_with(&format!(
        "/anruf.html#invite={}",
        invite["invite"].as_str().unwrap()
    )));
    let mut interpreter = Ws::connect(&app, &Who::Nobody).await;
    let welcome = interpreter.join(json!({"invite": invite["invite"]})).await;
    assert_eq!(welcome["role"], "interpreter");
    assert_eq!(
        interpreter.expect("admitted").await["session_id"],
        session_id.as_str()
    );

    // Only the clerk may end the call.
    citizen.send(json!({"v": 1, "type": "end"})).await;
    assert_eq!(citizen.expect("error").await["problem"]["status"], 403);
    desk.send(json!({"v": 1, "type": "end"})).await;
    for ws in [&mut desk, &mut citizen, &mut interpreter] {
        assert_eq!(ws.expect("ended").await["reason"], "ended_by_clerk");
        assert_eq!(ws.closed().await, Ended::Close(1000));
    }
    let events = case_events(&app, case_id).await;
    assert!(
        events.ends_with(&["CallInviteIssued".into(), "CallEnded".into()]),
        "{events:?}"
    );
    let session = session_events(&app, &session_id).await;
    assert!(matches!(
        session.last(),
        Some(domain::video_session::VideoSessionEvent::SessionEnded { .. })
    ));
    // The invite is spent with the call.
    let mut late = Ws::connect(&app, &Who::Nobody).await;
    late.send(json!({"v": 1, "type": "join", "invite": invite["invite"]}))
        .await;
    assert_eq!(late.expect("error").await["problem"]["status"], 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_test_accepts_the_end_of_candidates_and_refuses_call_messages() {
    let (app, _case_id, token, _clerk) = case_in_waiting_room(Kind::Sqlite, false).await;
    let mut ws = Ws::connect(&app, &Who::Nobody).await;
    ws.join(json!({"token": token.expose(), "echo_test": true}))
        .await;
    assert!(ws.expect("admitted").await["session_id"]
        .as_str()
        .unwrap()
        .starts_with("echo-"));
    ws.send(json!({"v": 1, "type": "candidate", "candidate": null}))
        .await;
    ws.send(json!({"v": 1, "type": "ping"})).await;
    let reply = ws.next().await.unwrap();
    assert_eq!(
        reply["type"], "pong",
        "the end of candidates is no error: {reply}"
    );
    ws.send(json!({"v": 1, "type": "chat", "text": "hallo"}))
        .await;
    assert_eq!(ws.expect("error").await["problem"]["status"], 400);
    // An echo test is for the citizen only.
    let clerk = app.login("clerk.x").await;
    let mut desk = Ws::connect(&app, &clerk).await;
    desk.send(json!({"v": 1, "type": "join", "case_id": _case_id.to_string(), "echo_test": true}))
        .await;
    assert_eq!(desk.expect("error").await["problem"]["status"], 400);
}
