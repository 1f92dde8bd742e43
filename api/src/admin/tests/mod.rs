//! HTTP tests of the admin API through the real router on SQLite and PostgreSQL (the harness of
//! `auth::tests`: demo-like staff accounts, two citizen cases, a set clock for sessions):
//! the authorisation matrix, hostile bodies, office changes showing in free slots, closing days
//! with bookings, catalogue changes showing live and after a restart, and the optimistic
//! concurrency checker for catalogue changes with its negative control.

mod catalogue;
mod offices;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::auth::tests::harness;
use harness::{Answer, TestApp, Who};

/// A 10-minute video service (deregistration).
const SERVICE: &str = "wohnsitz_abmeldung";
/// An office the tests register.
const NORD: &str = "potsdam-nord";

/// Every weekday from 08:00 to 12:00.
fn every_day(open: &str, close: &str) -> Value {
    let mut hours = serde_json::Map::new();
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        hours.insert(day.into(), json!([[open, close]]));
    }
    Value::Object(hours)
}

fn new_office(id: &str) -> Value {
    json!({
        "id": id,
        "name": "Bürgerservice Potsdam Nord",
        "address": "Kirschallee 1, 14469 Potsdam",
        "hours": every_day("08:00", "12:00"),
        "slot_minutes": 10,
        "seats": 1,
    })
}

/// Registers `id` as the admin and returns the admin's session.
async fn admin_with_office(t: &TestApp, id: &str) -> Who {
    let admin = t.login("admin").await;
    let answer = t
        .call(
            Method::POST,
            "/api/v1/admin/offices",
            &admin,
            Some(new_office(id)),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    admin
}

/// Asserts a problem answer with this status and type.
#[track_caller]
fn assert_problem(answer: &Answer, status: u16, slug: &str, what: &str) {
    assert_eq!(
        (answer.status.as_u16(), answer.slug()),
        (status, Some(slug)),
        "{what}: {:?}",
        answer.body
    );
    assert_eq!(
        answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "{what}"
    );
}
