//! Who may read the dashboard and act in the waiting room, and what the actions answer.

use serde_json::json;

use super::harness::{booked_case, now_minute, spawn, today, Kind, Who, OFFICE_X, OFFICE_Y};
use super::on_both_backends;
use crate::live::Live;

on_both_backends!(
    the_dashboard_its_stream_and_the_waiting_room_actions_answer_each_caller_with_exactly_the_allowed_status,
    admit_hold_and_send_back_follow_the_case_rules_and_the_expected_version,
);

async fn the_dashboard_its_stream_and_the_waiting_room_actions_answer_each_caller_with_exactly_the_allowed_status(
    kind: Kind,
) {
    let app = spawn(kind, Live::default()).await;
    let (case_x, token_x) = booked_case(&app.state, OFFICE_X, now_minute()).await;
    let citizen = Who::Bearer(token_x.expose().to_owned());
    let callers = [
        ("anonymous", Who::Nobody),
        ("citizen of a case in X", citizen.clone()),
        ("clerk of Y", app.login("clerk.y").await),
        ("clerk of X", app.login("clerk.x").await),
        ("auditor", app.login("auditor").await),
        ("admin", app.login("admin").await),
    ];
    let day = today();
    let dashboard = format!("/api/v1/offices/{OFFICE_X}/dashboard/{day}");
    let stream = format!("{dashboard}/stream");
    let mut wrong = Vec::new();
    let reads: [(&str, [u16; 6]); 2] = [
        (&dashboard, [401, 403, 403, 200, 200, 200]),
        (&stream, [401, 403, 403, 200, 200, 200]),
    ];
    for (path, expected) in reads {
        for ((name, who), expected) in callers.iter().zip(expected) {
            let response = app
                .request(reqwest::Method::GET, path, who)
                .send()
                .await
                .unwrap();
            if response.status().as_u16() != expected {
                wrong.push(format!("GET {path} as {name}: {}", response.status()));
            }
        }
    }
    // Every action is refused before the case rules are asked, except for the clerk of X, who
    // gets the rule's answer (the citizen has not checked in).
    for action in ["admit", "hold", "send-back"] {
        let path = format!("/api/v1/cases/{case_x}/{action}");
        for ((name, who), expected) in callers.iter().zip([401, 403, 403, 422, 403, 403]) {
            let (status, body) = app.post(&path, who, json!({})).await;
            if status != expected {
                wrong.push(format!("POST {path} as {name}: {status} {body}"));
            }
        }
    }
    assert_eq!(wrong, Vec::<String>::new());
    // A malformed case id is 400 and an unknown one 404 (for a clerk).
    let clerk = &callers[3].1;
    let (status, _) = app.post("/api/v1/cases/nope/admit", clerk, json!({})).await;
    assert_eq!(status, 400);
    let unknown = uuid::Uuid::new_v4();
    let (status, body) = app
        .post(&format!("/api/v1/cases/{unknown}/admit"), clerk, json!({}))
        .await;
    assert_eq!(
        (
            status,
            body["type"]
                .as_str()
                .unwrap_or_default()
                .ends_with("/not-found")
        ),
        (404, true),
        "{body}"
    );
    // The other office's dashboard is the other clerk's.
    let (status, _) = app
        .get(
            &format!("/api/v1/offices/{OFFICE_Y}/dashboard/{day}"),
            clerk,
        )
        .await;
    assert_eq!(status, 403);
}

async fn admit_hold_and_send_back_follow_the_case_rules_and_the_expected_version(kind: Kind) {
    let app = spawn(kind, Live::default()).await;
    let clerk = app.login("clerk.x").await;
    let (case_id, token) = booked_case(&app.state, OFFICE_X, now_minute()).await;
    let citizen = Who::Bearer(token.expose().to_owned());
    let action = |name: &str| format!("/api/v1/cases/{case_id}/{name}");
    let slug = |body: &serde_json::Value| {
        body["type"]
            .as_str()
            .and_then(|t| t.rsplit('/').next())
            .unwrap_or_default()
            .to_owned()
    };

    let (status, body) = app.post(&action("admit"), &clerk, json!({})).await;
    assert_eq!(
        (status, slug(&body)),
        (422, "rule-violated".into()),
        "{body}"
    );
    let (status, _) = app
        .post("/api/v1/my-case/check-in", &citizen, json!({}))
        .await;
    assert_eq!(status, 200);
    let waiting = app
        .dashboard_until(OFFICE_X, &clerk, |d| d["counts"]["waiting"] == 1)
        .await;
    let version = waiting["cases"][0]["version"].as_u64().unwrap();

    // A stale version is a conflict, and changes nothing.
    let (status, body) = app
        .post(
            &action("hold"),
            &clerk,
            json!({"expected_version": version - 1}),
        )
        .await;
    assert_eq!((status, slug(&body)), (409, "conflict".into()), "{body}");
    let (status, body) = app
        .post(
            &action("hold"),
            &clerk,
            json!({"expected_version": version}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"case_id": case_id.to_string(), "status": "held", "version": version + 1})
    );
    let (status, body) = app.post(&action("hold"), &clerk, json!({})).await;
    assert_eq!(
        (status, slug(&body)),
        (422, "rule-violated".into()),
        "{body}"
    );
    // Unknown fields are refused rather than ignored.
    let (status, _) = app
        .post(&action("admit"), &clerk, json!({"expected_versoin": 3}))
        .await;
    assert_eq!(status, 422);
    let (status, body) = app.post(&action("send-back"), &clerk, json!({})).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("sent_back")),
        "{body}"
    );
    let (status, _) = app
        .post("/api/v1/my-case/check-in", &citizen, json!({}))
        .await;
    assert_eq!(status, 200, "a citizen sent back may check in again");
    let (status, body) = app.post(&action("admit"), &clerk, json!({})).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("admitted")),
        "{body}"
    );
    assert_eq!(body["version"], version + 4);
    let done = app
        .dashboard_until(OFFICE_X, &clerk, |d| d["counts"]["admitted"] == 1)
        .await;
    assert_eq!(done["cases"][0]["status"], "admitted");
}
