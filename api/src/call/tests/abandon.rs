//! A call everybody left is ended by the system after the grace; a participant who comes back
//! within the grace keeps it (the negative control: a watcher that ended every emptied call
//! would fail it).

use std::time::Duration;

use serde_json::json;

use super::harness::*;
use super::on_both_backends;
use crate::live::Live;

on_both_backends!(
    a_call_everybody_left_is_ended_by_the_system_after_the_grace,
    a_participant_back_within_the_grace_keeps_the_call,
);

const GRACE: Duration = Duration::from_secs(2);

async fn app_with_grace(kind: Kind) -> App {
    spawn_configured(kind, Live::default(), |mut state| {
        state.calls.abandon_grace = GRACE;
        state
    })
    .await
}

async fn open_call(app: &App, case_id: domain::CaseId, clerk: &Who) -> (Ws, String) {
    let mut desk = Ws::connect(app, clerk).await;
    desk.join(json!({"case_id": case_id.to_string()})).await;
    let session_id = desk.expect("admitted").await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (desk, session_id)
}

async fn a_call_everybody_left_is_ended_by_the_system_after_the_grace(kind: Kind) {
    let (app, case_id, token, clerk) =
        case_in_waiting_room_on(app_with_grace(kind).await, true).await;
    let (mut desk, session_id) = open_call(&app, case_id, &clerk).await;
    let mut citizen = Ws::connect(&app, &Who::Nobody).await;
    citizen.join(json!({"token": token.expose()})).await;
    citizen.expect("admitted").await;
    citizen.send(json!({"v": 1, "type": "leave"})).await;
    assert_eq!(citizen.closed().await, Ended::Close(1000));
    desk.send(json!({"v": 1, "type": "leave"})).await;
    assert_eq!(desk.closed().await, Ended::Close(1000));

    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let events = case_events(&app, case_id).await;
        if events.last().map(String::as_str) == Some("CallEnded") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never ended: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let session = session_events(&app, &session_id).await;
    assert!(matches!(
        session.last(),
        Some(domain::video_session::VideoSessionEvent::SessionEnded {
            actor: domain::Actor::System,
            ..
        })
    ));
}

async fn a_participant_back_within_the_grace_keeps_the_call(kind: Kind) {
    let (app, case_id, _token, clerk) =
        case_in_waiting_room_on(app_with_grace(kind).await, true).await;
    let (mut desk, session_id) = open_call(&app, case_id, &clerk).await;
    desk.send(json!({"v": 1, "type": "leave"})).await;
    assert_eq!(desk.closed().await, Ended::Close(1000));
    // Back at once (a reload): the same call, still running after twice the grace.
    let (_back, again) = open_call(&app, case_id, &clerk).await;
    assert_eq!(again, session_id);
    tokio::time::sleep(GRACE * 2).await;
    let events = case_events(&app, case_id).await;
    assert_eq!(
        events.last().map(String::as_str),
        Some("CallStarted"),
        "{events:?}"
    );
}
