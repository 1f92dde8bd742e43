//! The office endpoints: who may call them, what they refuse, and what their changes do to free
//! slots and booked days.

use axum::http::{Method, StatusCode};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Utc};
use domain::office::DayOfWeek;
use domain::schedule::{ScheduleCommand, ScheduleError, ScheduleId};
use domain::{CaseId, OfficeId, ServiceKey};
use serde_json::{json, Value};
use store::repository::{CommandError, Repository};
use store::StreamId;

use super::harness::{test_app, Kind, TestApp, Who};
use super::{admin_with_office, assert_problem, every_day, new_office, NORD, SERVICE};
use crate::auth::tests::on_both_backends;
use crate::local_time::to_local;

/// A day a week ahead in office time: inside the booking window, past the lead time.
fn next_week() -> NaiveDate {
    to_local(Utc::now()).date() + Duration::days(7)
}

fn weekday_key(date: NaiveDate) -> &'static str {
    match DayOfWeek::from(date.weekday()) {
        DayOfWeek::Mon => "mon",
        DayOfWeek::Tue => "tue",
        DayOfWeek::Wed => "wed",
        DayOfWeek::Thu => "thu",
        DayOfWeek::Fri => "fri",
        DayOfWeek::Sat => "sat",
        DayOfWeek::Sun => "sun",
    }
}

/// The free starts (`HH:MM`) and seats left of the test service at `office` on `date`.
async fn slots(t: &TestApp, office: &str, date: NaiveDate) -> Vec<(String, u64)> {
    let answer = t
        .call(
            Method::GET,
            &format!("/api/v1/offices/{office}/slots?service={SERVICE}&date={date}"),
            &Who::Nobody,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| {
            let start = slot["start"].as_str().unwrap();
            (
                start[11..16].to_owned(),
                slot["seats_left"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Books a seat at 08:00 on `date` straight into the schedule, as a booking would.
async fn book_at_eight(t: &TestApp, office: &str, date: NaiveDate) {
    let id = OfficeId::parse(office).unwrap();
    let setup = t
        .state
        .booking
        .office(&id)
        .await
        .unwrap()
        .unwrap()
        .day_setup(date)
        .unwrap();
    let now = Utc::now();
    t.state
        .booking
        .schedules
        .execute(
            &ScheduleId::new(id, date),
            Some(&setup),
            ScheduleCommand::BookSlot {
                case_id: CaseId(uuid::Uuid::now_v7()),
                service: ServiceKey::parse(SERVICE).unwrap(),
                start: date.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap()),
                duration_minutes: 10,
                at: now,
            },
            now,
        )
        .await
        .unwrap();
}

async fn every_admin_endpoint_lets_only_admins_in(kind: Kind) {
    let t = test_app(kind).await;
    let who = vec![
        ("anonymous", Who::Nobody, 401),
        ("citizen", Who::Bearer(t.case_a.1.expose().to_owned()), 403),
        ("clerk", t.login("clerk.x").await, 403),
        ("auditor", t.login("auditor").await, 403),
        ("planner", t.login("planner").await, 403),
    ];
    let admin = t.login("admin").await;
    let office = format!("/api/v1/admin/offices/{NORD}");
    let date = next_week();
    // `(method, path, body, the admin's status)`, in an order in which each admin call succeeds.
    let routes: Vec<(Method, String, Option<Value>, u16)> = vec![
        (
            Method::POST,
            "/api/v1/admin/offices".into(),
            Some(new_office(NORD)),
            201,
        ),
        (Method::GET, office.clone(), None, 200),
        (
            Method::PUT,
            format!("{office}/profile"),
            Some(json!({"name": "Nord", "address": "Kirschallee 1"})),
            200,
        ),
        (
            Method::PUT,
            format!("{office}/opening-hours"),
            Some(json!({"hours": every_day("09:00", "12:00")})),
            200,
        ),
        (
            Method::PUT,
            format!("{office}/seats"),
            Some(json!({"seats": 2})),
            200,
        ),
        (
            Method::POST,
            format!("{office}/closed-days"),
            Some(json!({"date": date.to_string(), "reason": "Training"})),
            200,
        ),
        (
            Method::DELETE,
            format!("{office}/closed-days/{date}"),
            None,
            200,
        ),
        (
            Method::PATCH,
            "/api/v1/admin/services/meldebescheinigung".into(),
            Some(json!({"duration_minutes": 20})),
            200,
        ),
        (
            Method::GET,
            "/api/v1/admin/catalogue/changes".into(),
            None,
            200,
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, admin_status) in &routes {
        for (name, caller, expected) in &who {
            let answer = t.call(method.clone(), path, caller, body.clone()).await;
            if answer.status.as_u16() != *expected {
                wrong.push(format!("{method} {path} as {name}: {}", answer.status));
            }
        }
        let answer = t.call(method.clone(), path, &admin, body.clone()).await;
        if answer.status.as_u16() != *admin_status {
            wrong.push(format!(
                "{method} {path} as admin: {} {:?}",
                answer.status, answer.body
            ));
        }
    }
    assert_eq!(wrong, Vec::<String>::new());
    // Non-admins were refused before anything was recorded: one change per admin call only.
    let answer = t.call(Method::GET, &office, &admin, None).await;
    assert_eq!(answer.body["version"], 6, "{:?}", answer.body);
    assert_eq!(answer.body["name"], "Nord");
    assert_eq!(answer.body["seats"], 2);
    assert_eq!(answer.body["closed_days"], json!([]));
}

async fn hostile_office_requests_get_4xx_problems_and_record_nothing(kind: Kind) {
    let t = test_app(kind).await;
    let admin = admin_with_office(&t, NORD).await;
    let office = format!("/api/v1/admin/offices/{NORD}");
    let cases: Vec<(Method, String, Option<Value>, u16, &str)> = vec![
        (
            Method::POST,
            "/api/v1/admin/offices".into(),
            Some(new_office(NORD)),
            409,
            "conflict",
        ),
        (
            Method::POST,
            "/api/v1/admin/offices".into(),
            Some(
                json!({"id": "Bad Id", "name": "n", "address": "a", "hours": {}, "slot_minutes": 10, "seats": 1}),
            ),
            422,
            "invalid-body",
        ),
        (
            Method::POST,
            "/api/v1/admin/offices".into(),
            Some(json!({"id": "x"})),
            422,
            "invalid-body",
        ),
        (
            Method::POST,
            "/api/v1/admin/offices".into(),
            Some(
                json!({"id": "ok-id", "name": "n", "address": "a", "hours": {}, "slot_minutes": 10, "seats": 0}),
            ),
            422,
            "rule-violated",
        ),
        (
            Method::POST,
            "/api/v1/admin/offices".into(),
            Some(
                json!({"id": "ok-id", "name": "n", "address": "a", "hours": {}, "slot_minutes": 10, "seats": 1, "extra": true}),
            ),
            422,
            "invalid-body",
        ),
        (
            Method::GET,
            "/api/v1/admin/offices/nowhere".into(),
            None,
            404,
            "not-found",
        ),
        (
            Method::GET,
            "/api/v1/admin/offices/B%C3%BCro".into(),
            None,
            400,
            "bad-request",
        ),
        (
            Method::PUT,
            "/api/v1/admin/offices/nowhere/seats".into(),
            Some(json!({"seats": 2})),
            404,
            "not-found",
        ),
        (
            Method::PUT,
            format!("{office}/seats"),
            Some(json!({"seats": -1})),
            422,
            "invalid-body",
        ),
        (
            Method::PUT,
            format!("{office}/seats"),
            Some(json!({"seats": "2"})),
            422,
            "invalid-body",
        ),
        (
            Method::PUT,
            format!("{office}/seats"),
            Some(json!({"seats": 501})),
            422,
            "rule-violated",
        ),
        (
            Method::PUT,
            format!("{office}/seats"),
            Some(json!({"seats": 2, "expected_version": 99})),
            409,
            "conflict",
        ),
        (
            Method::PUT,
            format!("{office}/profile"),
            Some(json!({"name": "", "address": "a"})),
            422,
            "rule-violated",
        ),
        (
            Method::PUT,
            format!("{office}/profile"),
            Some(json!({"name": "n".repeat(10_000), "address": "a"})),
            422,
            "rule-violated",
        ),
        (
            Method::PUT,
            format!("{office}/opening-hours"),
            Some(json!({"hours": {"mon": [["8:00", "12:00"]]}})),
            422,
            "invalid-body",
        ),
        (
            Method::PUT,
            format!("{office}/opening-hours"),
            Some(json!({"hours": {"monday": [["08:00", "12:00"]]}})),
            422,
            "invalid-body",
        ),
        (
            Method::PUT,
            format!("{office}/opening-hours"),
            Some(json!({"hours": {"mon": [["08:00"]]}})),
            422,
            "invalid-body",
        ),
        (
            Method::PUT,
            format!("{office}/opening-hours"),
            Some(json!({"hours": {"mon": [["12:00", "08:00"]]}})),
            422,
            "rule-violated",
        ),
        (
            Method::PUT,
            format!("{office}/opening-hours"),
            Some(json!({"hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}})),
            422,
            "rule-violated",
        ),
        (
            Method::PUT,
            format!("{office}/opening-hours"),
            Some(json!({"hours": {}, "slot_minutes": 4})),
            422,
            "rule-violated",
        ),
        (
            Method::POST,
            format!("{office}/closed-days"),
            Some(json!({"date": "2026-02-30"})),
            422,
            "invalid-body",
        ),
        (
            Method::POST,
            format!("{office}/closed-days"),
            Some(json!({"date": "tomorrow"})),
            422,
            "invalid-body",
        ),
        (
            Method::POST,
            format!("{office}/closed-days"),
            Some(json!({"date": "2026-12-24", "reason": "x\u{0}"})),
            422,
            "rule-violated",
        ),
        (
            Method::DELETE,
            format!("{office}/closed-days/2026-12-24"),
            None,
            422,
            "rule-violated",
        ),
        (
            Method::DELETE,
            format!("{office}/closed-days/24.12.2026"),
            None,
            400,
            "bad-request",
        ),
        (
            Method::DELETE,
            format!("{office}/closed-days/2026-12-24?expected_version=x"),
            None,
            400,
            "malformed-query",
        ),
    ];
    for (method, path, body, status, slug) in cases {
        let answer = t.call(method.clone(), &path, &admin, body).await;
        assert_problem(&answer, status, slug, &format!("{method} {path}"));
    }
    // Bodies that are not JSON at all.
    for (content_type, body, status, slug) in [
        ("application/json", "{\"seats\": ", 400, "malformed-body"),
        ("application/json", "\u{0}\u{1}", 400, "malformed-body"),
        // A cookie-borne change in a form-compatible content type is refused as cross-site.
        ("text/plain", "{\"seats\": 2}", 403, "csrf-rejected"),
    ] {
        let request = axum::http::Request::builder()
            .method(Method::PUT)
            .uri(format!("{office}/seats"))
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .header("content-type", content_type)
            .header("sec-fetch-site", "same-origin")
            .header(
                "cookie",
                match &admin {
                    Who::Cookie(c) => c.clone(),
                    _ => unreachable!(),
                },
            )
            .body(axum::body::Body::from(body))
            .unwrap();
        let answer = t.send(request).await;
        assert_problem(&answer, status, slug, &format!("{content_type} {body:?}"));
    }
    let answer = t.call(Method::GET, &office, &admin, None).await;
    assert_eq!(
        answer.body["version"], 1,
        "nothing but the registration was recorded"
    );
    assert!(
        t.state
            .backend
            .events
            .stream_version(&store::StreamId::new("office-ok-id").unwrap())
            .await
            .unwrap()
            == 0
    );
}

async fn hours_seats_and_closing_days_show_in_the_free_slots(kind: Kind) {
    let t = test_app(kind).await;
    let admin = admin_with_office(&t, NORD).await;
    let office = format!("/api/v1/admin/offices/{NORD}");
    let date = next_week();
    let before = slots(&t, NORD, date).await;
    assert_eq!(before.first(), Some(&("08:00".to_owned(), 1)));
    assert_eq!(before.len(), 24, "08:00 to 11:50 on a 10-minute grid");

    let day = weekday_key(date);
    let answer = t
        .call(
            Method::PUT,
            &format!("{office}/opening-hours"),
            &admin,
            Some(json!({"hours": {day: [["13:00", "14:00"]]}, "slot_minutes": 15, "expected_version": 1})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["hours"], json!({day: [["13:00", "14:00"]]}));
    assert_eq!(answer.body["version"], 2);
    let after: Vec<String> = slots(&t, NORD, date)
        .await
        .into_iter()
        .map(|s| s.0)
        .collect();
    assert_eq!(after, ["13:00", "13:15", "13:30", "13:45"]);
    assert!(
        slots(&t, NORD, date + Duration::days(1)).await.is_empty(),
        "other days closed now"
    );

    let answer = t
        .call(
            Method::PUT,
            &format!("{office}/seats"),
            &admin,
            Some(json!({"seats": 3})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(slots(&t, NORD, date).await[0], ("13:00".to_owned(), 3));
    // Setting the same seats again records nothing and answers the office as it is.
    let again = t
        .call(
            Method::PUT,
            &format!("{office}/seats"),
            &admin,
            Some(json!({"seats": 3})),
        )
        .await;
    assert_eq!(
        (again.status, &again.body["version"]),
        (StatusCode::OK, &json!(3))
    );

    let answer = t
        .call(
            Method::POST,
            &format!("{office}/closed-days"),
            &admin,
            Some(json!({"date": date.to_string(), "reason": "  Staff training "})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(
        answer.body["closed_days"],
        json!([{"date": date.to_string(), "reason": "Staff training"}])
    );
    assert!(
        slots(&t, NORD, date).await.is_empty(),
        "a closed day has no slots"
    );
    let twice = t
        .call(
            Method::POST,
            &format!("{office}/closed-days"),
            &admin,
            Some(json!({"date": date.to_string()})),
        )
        .await;
    assert_problem(&twice, 422, "rule-violated", "closing twice");

    let answer = t
        .call(
            Method::DELETE,
            &format!("{office}/closed-days/{date}?expected_version=4"),
            &admin,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(slots(&t, NORD, date).await.len(), 4);
}

async fn a_day_with_bookings_keeps_its_hours_and_cannot_be_closed(kind: Kind) {
    let t = test_app(kind).await;
    let admin = admin_with_office(&t, NORD).await;
    let office = format!("/api/v1/admin/offices/{NORD}");
    let date = next_week();
    book_at_eight(&t, NORD, date).await;
    let answer = t
        .call(
            Method::POST,
            &format!("{office}/closed-days"),
            &admin,
            Some(json!({"date": date.to_string()})),
        )
        .await;
    assert_problem(&answer, 422, "rule-violated", "closing a booked day");
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("1 appointment"),
        "{:?}",
        answer.body
    );
    let answer = t.call(Method::GET, &office, &admin, None).await;
    assert_eq!(answer.body["closed_days"], json!([]));

    // New hours apply to days nobody has booked yet; the booked day keeps the hours it was
    // opened with, so the booking keeps its seat and time.
    let answer = t
        .call(
            Method::PUT,
            &format!("{office}/opening-hours"),
            &admin,
            Some(json!({"hours": every_day("13:00", "14:00")})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let booked_day = slots(&t, NORD, date).await;
    assert_eq!(booked_day.first().map(|s| s.0.as_str()), Some("08:10"));
    let next_day = slots(&t, NORD, date + Duration::days(1)).await;
    assert_eq!(next_day.first().map(|s| s.0.as_str()), Some("13:00"));
    // Another day without bookings can still be closed.
    let answer = t
        .call(
            Method::POST,
            &format!("{office}/closed-days"),
            &admin,
            Some(json!({"date": (date + Duration::days(1)).to_string()})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
}

async fn a_registered_office_opens_its_days_for_booking_at_once(kind: Kind) {
    let t = test_app(kind).await;
    admin_with_office(&t, NORD).await;
    // Booking reads the office stream (not the office list read model), so slots show at once.
    assert!(!slots(&t, NORD, next_week()).await.is_empty());
}

/// The interleaving a count-then-close admin loses: a booking has read the office (open that
/// day), the admin closes the day, then the booking reaches the schedule with what it read.
async fn a_booking_that_read_the_office_before_the_day_closed_is_refused_by_the_schedule(
    kind: Kind,
) {
    let t = test_app(kind).await;
    let admin = admin_with_office(&t, NORD).await;
    let office = OfficeId::parse(NORD).unwrap();
    let date = next_week();
    let book = |date: NaiveDate, setup: domain::office::DaySetup| {
        let state = t.state.clone();
        let office = office.clone();
        async move {
            let now = Utc::now();
            state
                .booking
                .schedules
                .execute(
                    &ScheduleId::new(office, date),
                    Some(&setup),
                    ScheduleCommand::BookSlot {
                        case_id: CaseId(uuid::Uuid::now_v7()),
                        service: ServiceKey::parse(SERVICE).unwrap(),
                        start: date.and_time(NaiveTime::from_hms_opt(8, 0, 0).unwrap()),
                        duration_minutes: 10,
                        at: now,
                    },
                    now,
                )
                .await
        }
    };
    let office_now = || async { t.state.booking.office(&office).await.unwrap().unwrap() };
    let booked_on = |date: NaiveDate| {
        let state = t.state.clone();
        let office = office.clone();
        async move {
            state
                .booking
                .schedules
                .current(&ScheduleId::new(office, date), None, Utc::now())
                .await
                .map(|s| s.bookings().len())
                .unwrap_or(0)
        }
    };

    let setup = office_now().await.day_setup(date).unwrap();
    let answer = t
        .call(
            Method::POST,
            &format!("/api/v1/admin/offices/{NORD}/closed-days"),
            &admin,
            Some(json!({"date": date.to_string()})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let late = book(date, setup.clone()).await;
    assert!(
        matches!(late, Err(CommandError::Rejected(ScheduleError::DayClosed))),
        "{late:?}"
    );
    assert_eq!(
        booked_on(date).await,
        0,
        "nothing is booked on the closed day"
    );

    // Reopened, the day takes bookings again.
    let answer = t
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/offices/{NORD}/closed-days/{date}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert!(book(date, setup).await.is_ok());

    // Negative control: the same interleaving against a close that counts the bookings and
    // then closes only the office books a day the office has closed, and the check sees it.
    let other = date + Duration::days(1);
    let setup = office_now().await.day_setup(other).unwrap();
    assert_eq!(booked_on(other).await, 0);
    Repository::new(t.state.backend.events.clone())
        .execute::<domain::office::Office>(
            &StreamId::new(office.stream_name()).unwrap(),
            domain::office::OfficeCommand::CloseDay {
                date: other,
                reason: None,
                actor: domain::Actor::System,
                at: Utc::now(),
            },
        )
        .await
        .unwrap();
    assert!(
        book(other, setup).await.is_ok(),
        "the naive close loses the race"
    );
    let violated = office_now().await.day_setup(other).is_none() && booked_on(other).await > 0;
    assert!(violated, "the check finds a booking on a closed day");
}

on_both_backends!(
    a_booking_that_read_the_office_before_the_day_closed_is_refused_by_the_schedule,
    every_admin_endpoint_lets_only_admins_in,
    hostile_office_requests_get_4xx_problems_and_record_nothing,
    hours_seats_and_closing_days_show_in_the_free_slots,
    a_day_with_bookings_keeps_its_hours_and_cannot_be_closed,
    a_registered_office_opens_its_days_for_booking_at_once,
);
