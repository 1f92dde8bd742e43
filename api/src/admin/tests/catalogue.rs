//! Catalogue changes: validation, live effect on the public catalogue and on slots, a second
//! app on the same store, a restart, the history, and the concurrency checker.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::harness::{test_app, Kind, TestApp, Who};
use super::{admin_with_office, assert_problem, Answer, NORD};
use crate::auth::tests::on_both_backends;
use crate::{AppState, HttpLimits};

const PATCH_URL: &str = "/api/v1/admin/services/meldebescheinigung";

async fn patch(t: &TestApp, admin: &Who, body: Value) -> Answer {
    t.call(Method::PATCH, PATCH_URL, admin, Some(body)).await
}

/// `GET path` on another app over the same store, as a second process (or a restarted one)
/// would serve it: its own catalogue handle, folded from the stream.
async fn get_on(app: &axum::Router, path: &str) -> Value {
    use tower::ServiceExt;
    let response = app
        .clone()
        .oneshot(
            axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn second_app(t: &TestApp) -> axum::Router {
    let seed = Arc::new(domain::catalogue::Catalogue::default_catalogue().unwrap());
    crate::router(AppState::new(
        t.state.backend.clone(),
        seed,
        HttpLimits::default(),
    ))
}

async fn hostile_service_changes_get_4xx_problems_and_record_nothing(kind: Kind) {
    let t = test_app(kind).await;
    let admin = t.login("admin").await;
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            PATCH_URL,
            json!({"duration_minutes": 4}),
            422,
            "rule-violated",
        ),
        (
            PATCH_URL,
            json!({"duration_minutes": 241}),
            422,
            "rule-violated",
        ),
        (
            PATCH_URL,
            json!({"duration_minutes": -5}),
            422,
            "invalid-body",
        ),
        (
            PATCH_URL,
            json!({"duration_minutes": 1e30}),
            422,
            "invalid-body",
        ),
        (PATCH_URL, json!({"fee_cents": -1}), 422, "rule-violated"),
        (
            PATCH_URL,
            json!({"fee_cents": "12.50"}),
            422,
            "invalid-body",
        ),
        (PATCH_URL, json!({"fee_cents": 1.5}), 422, "invalid-body"),
        (
            PATCH_URL,
            json!({"channel": {"kind": "teleport"}}),
            422,
            "invalid-body",
        ),
        (
            PATCH_URL,
            json!({"channel": {"kind": "in_person"}}),
            422,
            "invalid-body",
        ),
        (
            PATCH_URL,
            json!({"channel": {"kind": "in_person", "reason": " "}}),
            422,
            "rule-violated",
        ),
        (
            PATCH_URL,
            json!({"channel": {"kind": "online_elsewhere", "portal": "P", "reason": "r", "url": "javascript:alert(1)"}}),
            422,
            "rule-violated",
        ),
        (
            PATCH_URL,
            json!({"required_documents": [{"key": "Pass", "de": "d", "en": "e"}]}),
            422,
            "rule-violated",
        ),
        (
            PATCH_URL,
            json!({"required_documents": [{"key": "pass"}]}),
            422,
            "invalid-body",
        ),
        (
            PATCH_URL,
            json!({"required_documents": "passport"}),
            422,
            "invalid-body",
        ),
        (PATCH_URL, json!({"active": "no"}), 422, "invalid-body"),
        (
            PATCH_URL,
            json!({"name_de": "Umbenannt"}),
            422,
            "invalid-body",
        ),
        (
            PATCH_URL,
            json!({"duration_minutes": 20, "expected_version": 7}),
            409,
            "conflict",
        ),
        (PATCH_URL, json!([1, 2]), 422, "invalid-body"),
        (
            "/api/v1/admin/services/no_such_service",
            json!({"duration_minutes": 20}),
            404,
            "not-found",
        ),
        (
            "/api/v1/admin/services/B%C3%BCrger",
            json!({"duration_minutes": 20}),
            400,
            "bad-request",
        ),
        (
            "/api/v1/admin/services/personalausweis_antrag",
            json!({"channel": {"kind": "video"}}),
            422,
            "rule-violated",
        ),
    ];
    for (path, body, status, slug) in cases {
        let answer = t
            .call(Method::PATCH, path, &admin, Some(body.clone()))
            .await;
        assert_problem(&answer, status, slug, &format!("{path} {body}"));
    }
    let law = t
        .call(
            Method::PATCH,
            "/api/v1/admin/services/personalausweis_antrag",
            &admin,
            Some(json!({"channel": {"kind": "video"}})),
        )
        .await;
    let detail = law.body["detail"].as_str().unwrap();
    assert!(detail.contains("personal appearance"), "{detail}");
    let history = t
        .call(Method::GET, "/api/v1/admin/catalogue/changes", &admin, None)
        .await;
    assert_eq!(history.body, json!({"version": 0, "changes": []}));
}

async fn a_change_shows_at_once_in_this_and_another_app_and_after_a_restart(kind: Kind) {
    let t = test_app(kind).await;
    // Another process on the same store, started before the change.
    let other = second_app(&t);
    let service = "/api/v1/services/meldebescheinigung";
    assert_eq!(get_on(&other, service).await["appointment_minutes"], 10);
    assert_eq!(
        get_on(&other, service).await["required_documents"],
        json!([])
    );

    let admin = t.login("admin").await;
    let documents = json!([
        {"key": "id_card", "de": "Personalausweis oder Reisepass", "en": "ID card or passport"}
    ]);
    let answer = patch(
        &t,
        &admin,
        json!({"duration_minutes": 25, "fee_cents": 700, "required_documents": documents, "expected_version": 0}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["version"], 1);
    assert_eq!(answer.body["service"]["appointment_minutes"], 25);

    let here = t.call(Method::GET, service, &Who::Nobody, None).await.body;
    assert_eq!(here["appointment_minutes"], 25);
    assert_eq!(here["fee_cents"], json!({"min": 700, "max": 700}));
    assert_eq!(here["required_documents"], documents);
    let there = get_on(&other, service).await;
    assert_eq!(
        there, here,
        "the other app folds the change before answering"
    );
    let restarted = second_app(&t);
    assert_eq!(
        get_on(&restarted, service).await,
        here,
        "rebuilt from the events"
    );
    let listed = get_on(&restarted, "/api/v1/services").await;
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "meldebescheinigung")
        .unwrap()
        .clone();
    assert_eq!(row, here);

    // The slot length follows the new duration.
    let office = admin_with_office(&t, NORD).await;
    let _ = office;
    let date = crate::local_time::to_local(chrono::Utc::now()).date() + chrono::Duration::days(7);
    let slots = t
        .call(
            Method::GET,
            &format!("/api/v1/offices/{NORD}/slots?service=meldebescheinigung&date={date}"),
            &Who::Nobody,
            None,
        )
        .await;
    assert_eq!(slots.body["duration_minutes"], 25, "{:?}", slots.body);

    let history = t
        .call(Method::GET, "/api/v1/admin/catalogue/changes", &admin, None)
        .await;
    assert_eq!(history.body["version"], 1);
    let change = &history.body["changes"][0];
    assert_eq!(change["service"], "meldebescheinigung");
    assert_eq!(
        change["change"],
        json!({"duration_minutes": 25, "fee_cents": 700, "required_documents": documents})
    );
    assert_eq!(
        change["actor"]["kind"], "clerk",
        "the admin's account is recorded"
    );
}

async fn channel_and_active_changes_decide_what_citizens_can_book(kind: Kind) {
    let t = test_app(kind).await;
    let admin = admin_with_office(&t, NORD).await;
    let date = crate::local_time::to_local(chrono::Utc::now()).date() + chrono::Duration::days(7);
    let slots = format!("/api/v1/offices/{NORD}/slots?service=meldebescheinigung&date={date}");
    assert_eq!(
        t.call(Method::GET, &slots, &Who::Nobody, None).await.status,
        StatusCode::OK
    );

    let answer = patch(
        &t,
        &admin,
        json!({"channel": {"kind": "in_person", "reason": "The video pilot has ended"}}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let view = t
        .call(
            Method::GET,
            "/api/v1/services/meldebescheinigung",
            &Who::Nobody,
            None,
        )
        .await
        .body;
    assert_eq!(
        (&view["channel"], &view["video_bookable"], &view["reason"]),
        (
            &json!("in_person"),
            &json!(false),
            &json!("The video pilot has ended")
        )
    );
    assert_problem(
        &t.call(Method::GET, &slots, &Who::Nobody, None).await,
        422,
        "not-bookable-by-video",
        "in person now",
    );

    let answer = patch(
        &t,
        &admin,
        json!({"channel": {"kind": "video"}, "active": false}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let listed = t
        .call(Method::GET, "/api/v1/services", &Who::Nobody, None)
        .await
        .body;
    assert!(
        !listed
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["key"] == "meldebescheinigung"),
        "an inactive service is not listed"
    );
    let view = t
        .call(
            Method::GET,
            "/api/v1/services/meldebescheinigung",
            &Who::Nobody,
            None,
        )
        .await
        .body;
    assert_eq!(
        (&view["active"], &view["video_bookable"]),
        (&json!(false), &json!(false))
    );

    let answer = patch(&t, &admin, json!({"active": true})).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(
        t.call(Method::GET, &slots, &Who::Nobody, None).await.status,
        StatusCode::OK
    );
    // The same change again records nothing.
    let again = patch(&t, &admin, json!({"active": true})).await;
    assert_eq!(
        (again.status, &again.body["version"]),
        (StatusCode::OK, &json!(3))
    );
}

/// Sends `n` PATCHes at once, each setting another duration, and returns the statuses and how
/// many changes the history gained.
async fn race(t: &TestApp, admin: &Who, with_version: bool) -> (Vec<u16>, u64) {
    let history = || t.call(Method::GET, "/api/v1/admin/catalogue/changes", admin, None);
    let version = history().await.body["version"].as_u64().unwrap();
    let calls = (0..10u32).map(|i| {
        let mut body = json!({"duration_minutes": 30 + i});
        if with_version {
            body["expected_version"] = json!(version);
        }
        patch(t, admin, body)
    });
    let statuses: Vec<u16> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|a| a.status.as_u16())
        .collect();
    let after = history().await.body["version"].as_u64().unwrap();
    (statuses, after - version)
}

/// The checker: exactly one of the racing changes based on the same version was recorded, and
/// every other one was told so (409), none was lost silently.
fn exactly_one_wins(statuses: &[u16], recorded: u64) -> bool {
    let won = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    won == 1 && refused == statuses.len() - 1 && recorded == 1
}

async fn racing_changes_with_the_same_expected_version_let_exactly_one_win(kind: Kind) {
    let t = test_app(kind).await;
    let admin = t.login("admin").await;
    let (statuses, recorded) = race(&t, &admin, true).await;
    assert!(
        exactly_one_wins(&statuses, recorded),
        "{statuses:?}, {recorded} recorded"
    );
    // Negative control: without `expected_version` every change re-decides on the fresh state
    // and is recorded (last writer wins), and the checker must notice.
    let (statuses, recorded) = race(&t, &admin, false).await;
    assert!(
        !exactly_one_wins(&statuses, recorded),
        "{statuses:?}, {recorded} recorded"
    );
    assert!(recorded > 1, "{recorded} recorded");
}

on_both_backends!(
    hostile_service_changes_get_4xx_problems_and_record_nothing,
    a_change_shows_at_once_in_this_and_another_app_and_after_a_restart,
    channel_and_active_changes_decide_what_citizens_can_book,
    racing_changes_with_the_same_expected_version_let_exactly_one_win,
);
