//! The clerk's case panel: what it shows, the identity check during a call, notes, invites,
//! and that nobody but a clerk of the case's office sees or changes any of it.

use serde_json::json;

use super::harness::*;
use super::on_both_backends;

on_both_backends!(
    the_panel_shows_the_case_and_records_identity_and_notes_during_the_call,
    only_clerks_of_the_office_see_or_change_the_panel,
    hostile_panel_input_gets_a_problem_and_never_a_server_error,
);

async fn the_panel_shows_the_case_and_records_identity_and_notes_during_the_call(kind: Kind) {
    let (app, case_id, _token, clerk) = case_in_waiting_room(kind, true).await;
    let path = format!("/api/v1/cases/{case_id}");
    let (status, panel) = app.get(&path, &clerk).await;
    assert_eq!(status, 200, "{panel}");
    assert_eq!(panel["status"], "admitted");
    assert!(!panel["service"]["name_de"].as_str().unwrap().is_empty());
    assert!(panel["appointment"]["starts_at"].is_string());
    assert!(panel["identity"].is_null());
    assert!(panel["call"].is_null());

    // Identity only during a call.
    let identity = json!({"method": "id_card_on_camera"});
    let (status, body) = app
        .post(&format!("{path}/identity"), &clerk, identity.clone())
        .await;
    assert_eq!(status, 422, "{body}");
    let mut desk = Ws::connect(&app, &clerk).await;
    desk.join(json!({"case_id": case_id.to_string()})).await;
    let session_id = desk.expect("admitted").await["session_id"].clone();
    let (status, body) = app
        .post(&format!("{path}/identity"), &clerk, identity.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app
        .post(&format!("{path}/identity"), &clerk, identity)
        .await;
    assert_eq!(status, 422, "checked once");
    let (status, body) = app
        .post(
            &format!("{path}/identity"),
            &clerk,
            json!({"method": "looked_honest"}),
        )
        .await;
    assert_eq!(status, 422, "an unknown method: {body}");

    let (status, body) = app
        .post(
            &format!("{path}/notes"),
            &clerk,
            json!({"text": "Meldebescheinigung gewünscht"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    for text in [json!(""), json!("x".repeat(4001))] {
        let (status, _) = app
            .post(&format!("{path}/notes"), &clerk, json!({"text": text}))
            .await;
        assert_eq!(status, 400);
    }

    let (_, panel) = app.get(&path, &clerk).await;
    assert_eq!(panel["status"], "in_call");
    assert_eq!(panel["call"]["session_id"], session_id);
    assert_eq!(panel["identity"]["method"], "id_card_on_camera");
    assert_eq!(panel["notes"][0]["text"], "Meldebescheinigung gewünscht");
}

async fn only_clerks_of_the_office_see_or_change_the_panel(kind: Kind) {
    let (app, case_id, token, _clerk) = case_in_waiting_room(kind, true).await;
    let path = format!("/api/v1/cases/{case_id}");
    let citizen = Who::Bearer(token.expose().to_owned());
    let other_clerk = app.login("clerk.y").await;
    let auditor = app.login("auditor").await;
    for (who, expected) in [
        (&Who::Nobody, 401),
        (&citizen, 403),
        (&other_clerk, 403),
        (&auditor, 403),
    ] {
        let (status, _) = app.get(&path, who).await;
        assert_eq!(status, expected, "{who:?} GET");
        let (status, _) = app
            .post(&format!("{path}/notes"), who, json!({"text": "x"}))
            .await;
        assert_eq!(status, expected, "{who:?} note");
        let (status, _) = app
            .post(&format!("{path}/call/invites"), who, json!({}))
            .await;
        assert_eq!(status, expected, "{who:?} invite");
    }
    let clerk = app.login("clerk.x").await;
    let (status, _) = app
        .get(&format!("/api/v1/cases/{}", uuid::Uuid::new_v4()), &clerk)
        .await;
    assert_eq!(status, 404);
    let (status, _) = app.get("/api/v1/cases/not-a-uuid", &clerk).await;
    assert_eq!(status, 400);
}

async fn hostile_panel_input_gets_a_problem_and_never_a_server_error(kind: Kind) {
    let (app, case_id, _token, clerk) = case_in_waiting_room(kind, true).await;
    let bodies = [
        "",
        "null",
        "[]",
        "{",
        r#"{"text": 5}"#,
        r#"{"text": "a", "extra": 1}"#,
        r#"{"method": null}"#,
        r#"{"method": "id_card_on_camera", "at": "yesterday"}"#,
        "\u{0}",
    ];
    for path in [
        format!("/api/v1/cases/{case_id}/notes"),
        format!("/api/v1/cases/{case_id}/identity"),
        "/api/v1/cases/%00/notes".to_owned(),
        format!("/api/v1/cases/{case_id}x/identity"),
    ] {
        for body in bodies {
            let response = app
                .request(reqwest::Method::POST, &path, &clerk)
                .header("content-type", "application/json")
                .body(body.to_owned())
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!((400..500).contains(&status), "{path} {body:?}: {status}");
            assert_eq!(content_type, "application/problem+json", "{path} {body:?}");
        }
    }
    // Nothing was recorded by any of it.
    let events = case_events(&app, case_id).await;
    assert!(
        !events
            .iter()
            .any(|e| e == "NoteAdded" || e == "IdentityChecked"),
        "{events:?}"
    );
}
