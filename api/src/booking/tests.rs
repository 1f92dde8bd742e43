//! Booking through real HTTP on port 0, on both stores: the citizen's whole path (slots, book,
//! open the case with the link, reschedule, cancel, check in), triage, proof of work, limits,
//! capability isolation, and the race checker: 10,000 concurrent attempts on 100 one-seat slots
//! give exactly 100 bookings, with a naive booker as its negative control.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use domain::office::{DayOfWeek, Office, OfficeCommand, WeeklyHours};
use domain::schedule::{OpeningInterval, Schedule, ScheduleCommand, ScheduleId};
use domain::{Actor, Aggregate, CaseId, OfficeId, ServiceKey};
use serde_json::{json, Value};
use store::repository::{encode, Repository};
use store::{ExpectedVersion, StreamId};
use tokio::sync::Semaphore;

use super::BookingPolicy;
use crate::local_time::to_local;
use crate::settings::{Secret, Settings};
use crate::{AppState, Backend, HttpLimits};

const MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// A 10-minute video service (deregistration).
const SERVICE: &str = "wohnsitz_abmeldung";

/// A running app on one store.
struct App {
    url: String,
    state: AppState,
    client: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
    _db: Option<store::testing::TestDatabase>,
}

#[derive(Clone, Copy)]
enum Store {
    Sqlite,
    Postgres,
}

fn open_policy() -> BookingPolicy {
    BookingPolicy {
        pow_bits: 4,
        per_client_per_hour: 1_000_000,
        per_email_per_day: 1_000_000,
        ..BookingPolicy::default()
    }
}

async fn spawn_app(store: Store, policy: BookingPolicy, extra: Router<AppState>) -> App {
    let dir = tempfile::tempdir().unwrap();
    let db = match store {
        Store::Sqlite => None,
        Store::Postgres => Some(store::testing::fresh_pg_database().await),
    };
    let settings = Settings {
        data_dir: dir.path().to_owned(),
        master_key: Some(Secret::new(MASTER_KEY)),
        database_url: db.as_ref().map(|d| Secret::new(d.url.clone())),
        pg_max_connections: 16,
        ..Settings::default()
    };
    let backend = Backend::open(&settings).await.unwrap();
    let catalogue = Arc::new(domain::catalogue::Catalogue::default_catalogue().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(backend, catalogue, HttpLimits::default())
        .with_booking_policy(policy)
        .with_public_url(url.clone());
    let app = crate::router(state.clone()).merge(extra.with_state(state.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(crate::serve_app(listener, state.clone(), app, async move {
        let _ = stopped.await;
    }));
    App {
        url,
        state,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .build()
            .unwrap(),
        _stop: stop,
        _dir: dir,
        _db: db,
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Registers an office open every day from `open` to `close` with a 10-minute grid.
async fn register_office(app: &App, id: &str, open: NaiveTime, close: NaiveTime, seats: u32) {
    register_office_in(&app.state.backend.events, id, open, close, seats).await;
}

/// [`register_office`] on a store without an app.
async fn register_office_in(
    events: &Arc<dyn store::EventStore>,
    id: &str,
    open: NaiveTime,
    close: NaiveTime,
    seats: u32,
) {
    let mut hours = WeeklyHours::default();
    for day in [
        DayOfWeek::Mon,
        DayOfWeek::Tue,
        DayOfWeek::Wed,
        DayOfWeek::Thu,
        DayOfWeek::Fri,
        DayOfWeek::Sat,
        DayOfWeek::Sun,
    ] {
        hours
            .days
            .insert(day, vec![OpeningInterval::new(open, close)]);
    }
    let office = OfficeId::parse(id).unwrap();
    Repository::new(events.clone())
        .execute::<Office>(
            &StreamId::new(office.stream_name()).unwrap(),
            OfficeCommand::Register {
                office: office.clone(),
                name: format!("Bürgerservice {id}"),
                address: "Friedrich-Ebert-Straße 79/81, 14469 Potsdam".into(),
                hours,
                slot_minutes: 10,
                seats,
                actor: Actor::System,
                at: Utc::now(),
            },
        )
        .await
        .unwrap();
}

/// The office-local day `days` from today.
fn day_in(days: i64) -> NaiveDate {
    to_local(Utc::now()).date() + Duration::days(days)
}

fn at(date: NaiveDate, h: u32, m: u32) -> String {
    date.and_time(hm(h, m)).format("%Y-%m-%dT%H:%M").to_string()
}

impl App {
    async fn proof(&self) -> Value {
        let challenge: Value = self
            .client
            .get(format!("{}/api/v1/bookings/challenge", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let text = challenge["challenge"].as_str().unwrap().to_owned();
        let bits = challenge["bits"].as_u64().unwrap() as u8;
        json!({"challenge": text, "nonce": super::pow::solve(&text, bits)})
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.url))
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.client.get(format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn book(&self, office: &str, service: &str, start: &str, email: &str) -> (u16, Value) {
        let body = json!({
            "service": service,
            "office": office,
            "start": start,
            "contact": {"name": "Erika Mustermann", "email": email, "language": "de"},
            "proof": self.proof().await,
        });
        self.post("/api/v1/bookings", None, &body).await
    }

    async fn slots(&self, office: &str, date: NaiveDate) -> Vec<String> {
        let (status, body) = self
            .get(
                &format!("/api/v1/offices/{office}/slots?service={SERVICE}&date={date}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["start"].as_str().unwrap()[..16].to_owned())
            .collect()
    }
}

fn slug(body: &Value) -> &str {
    body["type"]
        .as_str()
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or("")
}

async fn a_citizen_books_opens_the_case_reschedules_and_cancels(store: Store) {
    let app = spawn_app(store, open_policy(), Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(12, 0), 1).await;
    let date = day_in(2);
    let free = app.slots("potsdam-mitte", date).await;
    assert_eq!(free.len(), 24, "4 hours of 10-minute slots");
    let (status, booked) = app
        .book(
            "potsdam-mitte",
            SERVICE,
            &at(date, 9, 0),
            "erika@example.org",
        )
        .await;
    assert_eq!(status, 201, "{booked}");
    let token = booked["access_token"].as_str().unwrap().to_owned();
    assert!(booked["appointment_link"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/mein-termin.html#token=", app.url)));
    assert!(!app
        .slots("potsdam-mitte", date)
        .await
        .contains(&at(date, 9, 0)));

    let (status, mine) = app.get("/api/v1/my-case", Some(&token)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["status"], "booked");
    assert_eq!(mine["office_name"], "Bürgerservice potsdam-mitte");
    assert_eq!(mine["can_cancel"], true);
    assert!(
        !mine.to_string().contains("Erika"),
        "no contact data in the view"
    );

    // Same day, then another day: the old seat is free again each time.
    let (status, moved) = app
        .post(
            "/api/v1/my-case/reschedule",
            Some(&token),
            &json!({"start": at(date, 10, 0)}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let free = app.slots("potsdam-mitte", date).await;
    assert!(free.contains(&at(date, 9, 0)) && !free.contains(&at(date, 10, 0)));
    let next = day_in(3);
    let (status, moved) = app
        .post(
            "/api/v1/my-case/reschedule",
            Some(&token),
            &json!({"start": at(next, 11, 0)}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        moved["appointment"]["start"],
        format!("{}:00", at(next, 11, 0))
    );
    assert!(app
        .slots("potsdam-mitte", date)
        .await
        .contains(&at(date, 10, 0)));
    assert!(!app
        .slots("potsdam-mitte", next)
        .await
        .contains(&at(next, 11, 0)));

    // A taken slot cannot be moved into.
    let (status, other) = app
        .book("potsdam-mitte", SERVICE, &at(date, 8, 0), "max@example.org")
        .await;
    assert_eq!(status, 201, "{other}");
    let (status, refused) = app
        .post(
            "/api/v1/my-case/reschedule",
            Some(&token),
            &json!({"start": at(date, 8, 0)}),
        )
        .await;
    assert_eq!((status, slug(&refused)), (409, "slot-taken"));

    let (status, cancelled) = app
        .post("/api/v1/my-case/cancel", Some(&token), &json!({}))
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "open");
    assert!(app
        .slots("potsdam-mitte", next)
        .await
        .contains(&at(next, 11, 0)));
    let (status, again) = app
        .post("/api/v1/my-case/cancel", Some(&token), &json!({}))
        .await;
    assert_eq!((status, slug(&again)), (422, "rule-violated"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_books_opens_the_case_reschedules_and_cancels_on_sqlite() {
    a_citizen_books_opens_the_case_reschedules_and_cancels(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_books_opens_the_case_reschedules_and_cancels_on_postgres() {
    a_citizen_books_opens_the_case_reschedules_and_cancels(Store::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capability_link_opens_its_own_case_and_nothing_else() {
    let app = spawn_app(Store::Sqlite, open_policy(), Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(12, 0), 2).await;
    let date = day_in(2);
    let (_, a) = app
        .book("potsdam-mitte", SERVICE, &at(date, 9, 0), "a@example.org")
        .await;
    let (_, b) = app
        .book("potsdam-mitte", SERVICE, &at(date, 9, 0), "b@example.org")
        .await;
    let token_a = a["access_token"].as_str().unwrap();
    let (status, mine) = app.get("/api/v1/my-case", Some(token_a)).await;
    assert_eq!(
        (status, mine["case_id"].as_str()),
        (200, a["case_id"].as_str())
    );
    // A's secret with B's case id: the hash does not match B's links.
    let b_id = CaseId(uuid::Uuid::parse_str(b["case_id"].as_str().unwrap()).unwrap());
    let forged = format!(
        "{}.{}",
        b_id.as_uuid().simple(),
        token_a.split_once('.').unwrap().1
    );
    let wrong_secret = format!("{}.{}", token_a.split_once('.').unwrap().0, "A".repeat(43));
    for bad in [forged.as_str(), wrong_secret.as_str(), "garbage", ""] {
        for (path, post) in [
            ("/api/v1/my-case", false),
            ("/api/v1/my-case/cancel", true),
            ("/api/v1/my-case/check-in", true),
        ] {
            let (status, body) = if post {
                app.post(path, Some(bad), &json!({})).await
            } else {
                app.get(path, Some(bad)).await
            };
            assert_eq!(
                (status, slug(&body)),
                (401, "invalid-access-link"),
                "{path} {bad}"
            );
        }
    }
    let (status, _) = app.get("/api/v1/my-case", None).await;
    assert_eq!(status, 401);
    // B's booking is untouched by all of that.
    let (status, b_view) = app
        .get("/api/v1/my-case", Some(b["access_token"].as_str().unwrap()))
        .await;
    assert_eq!((status, b_view["status"].as_str()), (200, Some("booked")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_needs_a_personal_visit_is_refused_with_its_legal_reason() {
    let app = spawn_app(Store::Sqlite, open_policy(), Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(12, 0), 1).await;
    let (status, service) = app
        .get("/api/v1/services/personalausweis_antrag", None)
        .await;
    assert_eq!(status, 200, "{service}");
    assert_eq!(service["channel"], "in_person");
    assert_eq!(service["video_bookable"], false);
    assert!(
        service["reason"].as_str().unwrap().contains("PAuswG"),
        "{service}"
    );
    let date = day_in(2);
    let (status, refused) = app
        .book(
            "potsdam-mitte",
            "personalausweis_antrag",
            &at(date, 9, 0),
            "a@example.org",
        )
        .await;
    assert_eq!((status, slug(&refused)), (422, "not-bookable-by-video"));
    assert!(refused["detail"].as_str().unwrap().contains("in person"));
    let (status, _) = app
        .get(
            &format!(
                "/api/v1/offices/potsdam-mitte/slots?service=personalausweis_antrag&date={date}"
            ),
            None,
        )
        .await;
    assert_eq!(status, 422);
    let (status, all) = app.get("/api/v1/services", None).await;
    assert_eq!(status, 200);
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["channel"] == "online_elsewhere"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_needs_a_fresh_solved_challenge() {
    let policy = BookingPolicy {
        pow_bits: 12,
        ..open_policy()
    };
    let app = spawn_app(Store::Sqlite, policy, Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(12, 0), 3).await;
    let date = day_in(2);
    let body = |proof: Value| {
        json!({
            "service": SERVICE, "office": "potsdam-mitte", "start": at(date, 9, 0),
            "contact": {"name": "Erika", "email": "e@example.org", "language": "en"},
            "proof": proof,
        })
    };
    let proof = app.proof().await;
    let challenge = proof["challenge"].as_str().unwrap().to_owned();
    let unsolved = (0u64..)
        .map(|n| n.to_string())
        .find(|n| !super::pow::solves(&challenge, n, 12))
        .unwrap();
    let (status, refused) = app
        .post(
            "/api/v1/bookings",
            None,
            &body(json!({"challenge": challenge, "nonce": unsolved})),
        )
        .await;
    assert_eq!((status, slug(&refused)), (400, "proof-of-work"));
    let (status, refused) = app
        .post(
            "/api/v1/bookings",
            None,
            &body(json!({"challenge": "forged", "nonce": "1"})),
        )
        .await;
    assert_eq!((status, slug(&refused)), (400, "proof-of-work"));
    let (status, missing) = app
        .post("/api/v1/bookings", None, &json!({"service": SERVICE}))
        .await;
    assert_eq!((status, slug(&missing)), (422, "invalid-body"));
    let (status, booked) = app
        .post("/api/v1/bookings", None, &body(proof.clone()))
        .await;
    assert_eq!(status, 201, "{booked}");
    let (status, reused) = app.post("/api/v1/bookings", None, &body(proof)).await;
    assert_eq!((status, slug(&reused)), (400, "proof-of-work"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_are_limited_per_client_and_per_email_and_open_bookings_are_capped() {
    let per_client = BookingPolicy {
        per_client_per_hour: 2,
        ..open_policy()
    };
    let app = spawn_app(Store::Sqlite, per_client, Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(12, 0), 5).await;
    let date = day_in(2);
    for n in 0..2 {
        let (status, body) = app
            .book(
                "potsdam-mitte",
                SERVICE,
                &at(date, 9, 0),
                &format!("{n}@example.org"),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let response = app
        .client
        .post(format!("{}/api/v1/bookings", app.url))
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({
            "service": SERVICE, "office": "potsdam-mitte", "start": at(date, 9, 0),
            "contact": {"name": "E", "email": "x@example.org", "language": "de"},
            "proof": app.proof().await,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);

    let capped = BookingPolicy {
        max_open_per_email: 2,
        ..open_policy()
    };
    let app = spawn_app(Store::Sqlite, capped, Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(12, 0), 5).await;
    let mut tokens = Vec::new();
    for h in [8, 9] {
        // The cap counts the address however it is written.
        let email = if h == 8 {
            "Erika@Example.org"
        } else {
            " erika@example.org"
        };
        let (status, body) = app
            .book("potsdam-mitte", SERVICE, &at(date, h, 0), email)
            .await;
        assert_eq!(status, 201, "{body}");
        tokens.push(body["access_token"].as_str().unwrap().to_owned());
    }
    let (status, refused) = app
        .book(
            "potsdam-mitte",
            SERVICE,
            &at(date, 10, 0),
            "erika@example.org",
        )
        .await;
    assert_eq!((status, slug(&refused)), (422, "open-booking-limit"));
    assert!(
        app.slots("potsdam-mitte", date)
            .await
            .contains(&at(date, 10, 0)),
        "a refused booking gives its seat back"
    );
    let (status, _) = app
        .post("/api/v1/my-case/cancel", Some(&tokens[0]), &json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .book(
            "potsdam-mitte",
            SERVICE,
            &at(date, 10, 0),
            "erika@example.org",
        )
        .await;
    assert_eq!(
        status, 201,
        "after a cancellation the address may book again: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_booking_input_gets_a_problem_and_never_a_server_error() {
    let app = spawn_app(Store::Sqlite, open_policy(), Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(12, 0), 1).await;
    let date = day_in(2);
    let proof = app.proof().await;
    let base = json!({
        "service": SERVICE, "office": "potsdam-mitte", "start": at(date, 9, 0),
        "contact": {"name": "Erika", "email": "e@example.org", "language": "de"},
        "proof": proof,
    });
    let mut cases: Vec<(Value, u16)> = Vec::new();
    let with = |path: &[&str], value: Value| {
        let mut body = base.clone();
        let mut target = &mut body;
        for key in &path[..path.len() - 1] {
            target = &mut target[*key];
        }
        target[path[path.len() - 1]] = value;
        body
    };
    cases.push((with(&["service"], json!("no_such_service")), 400));
    cases.push((with(&["service"], json!("../etc")), 400));
    cases.push((with(&["office"], json!("Potsdam Mitte")), 400));
    cases.push((with(&["office"], json!("nowhere")), 422));
    cases.push((with(&["start"], json!("2026-13-01T09:00")), 400));
    cases.push((with(&["start"], json!(at(date, 9, 5))), 422));
    cases.push((with(&["start"], json!(at(date, 13, 0))), 422));
    cases.push((with(&["start"], json!(at(day_in(-1), 9, 0))), 422));
    cases.push((with(&["start"], json!(at(day_in(400), 9, 0))), 422));
    cases.push((with(&["contact", "email"], json!("no-at-sign")), 422));
    cases.push((
        with(&["contact", "email"], json!("a@b.org\r\nBcc: x@y.org")),
        422,
    ));
    cases.push((with(&["contact", "name"], json!("")), 422));
    cases.push((with(&["contact", "language"], json!("fr")), 422));
    cases.push((with(&["contact", "extra"], json!(1)), 422));
    cases.push((with(&["start"], json!(12)), 422));
    for (body, expected) in cases {
        let proofed = {
            let mut b = body.clone();
            b["proof"] = app.proof().await;
            b
        };
        let (status, problem) = app.post("/api/v1/bookings", None, &proofed).await;
        assert_eq!(status, expected, "{body} → {problem}");
        assert!(problem["type"].is_string(), "{problem}");
    }
    let response = app
        .client
        .post(format!("{}/api/v1/bookings", app.url))
        .header("Idempotency-Key", "k1")
        .header("content-type", "application/json")
        .body("{\"service\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        app.slots("potsdam-mitte", date)
            .await
            .contains(&at(date, 9, 0)),
        "nothing was booked"
    );
}

/// What the checker saw.
#[derive(Debug, Default)]
struct RaceOutcome {
    statuses: BTreeMap<u16, usize>,
    booked_cases: Vec<CaseId>,
}

/// Sends `attempts` concurrent bookings spread evenly over the `starts`, to `path`.
async fn race(
    app: &Arc<App>,
    path: &str,
    office: &str,
    starts: &[String],
    attempts: usize,
) -> RaceOutcome {
    let limit = Arc::new(Semaphore::new(400));
    let mut tasks = Vec::with_capacity(attempts);
    for i in 0..attempts {
        let app = app.clone();
        let limit = limit.clone();
        let path = path.to_owned();
        let body = json!({
            "service": SERVICE, "office": office, "start": starts[i % starts.len()],
            "contact": {"name": "Max", "email": format!("racer{i}@example.org"), "language": "de"},
        });
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let mut body = body;
            body["proof"] = app.proof().await;
            app.post(&path, None, &body).await
        }));
    }
    let mut outcome = RaceOutcome::default();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        *outcome.statuses.entry(status).or_default() += 1;
        if status == 201 {
            let id = uuid::Uuid::parse_str(body["case_id"].as_str().unwrap()).unwrap();
            outcome.booked_cases.push(CaseId(id));
        }
    }
    outcome
}

/// The seats actually held per start in the stored schedule, and the cases holding them.
async fn stored_bookings(
    app: &App,
    office: &str,
    date: NaiveDate,
) -> HashMap<NaiveDateTime, Vec<CaseId>> {
    let id = ScheduleId::new(OfficeId::parse(office).unwrap(), date);
    let loaded = Repository::new(app.state.backend.events.clone())
        .load::<Schedule>(&StreamId::new(id.stream_name()).unwrap())
        .await
        .unwrap();
    let mut by_start: HashMap<NaiveDateTime, Vec<CaseId>> = HashMap::new();
    for (case_id, booking) in loaded.state.bookings() {
        by_start.entry(booking.start).or_default().push(*case_id);
    }
    by_start
}

/// A deliberately broken booker for the negative control: it decides on the state it read, then
/// appends at whatever version the stream has by then, retrying the write (not the decision) on a
/// conflict: check-then-act.
async fn naive_book(
    State(state): State<AppState>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let office = OfficeId::parse(body["office"].as_str().unwrap_or_default()).unwrap();
    let start =
        crate::routes::bookings::parse_local_start(body["start"].as_str().unwrap_or_default())
            .unwrap();
    let id = ScheduleId::new(office, start.date());
    let stream = StreamId::new(id.stream_name()).unwrap();
    let repo = Repository::new(state.backend.events.clone());
    let loaded = repo.load::<Schedule>(&stream).await.unwrap();
    let case_id = CaseId(uuid::Uuid::now_v7());
    let decided = loaded.state.handle(ScheduleCommand::BookSlot {
        case_id,
        service: ServiceKey::parse(SERVICE).unwrap(),
        start,
        duration_minutes: 10,
        at: Utc::now(),
    });
    let Ok(events) = decided else {
        return (StatusCode::CONFLICT, Json(json!({})));
    };
    // The mistake: on a conflict it retries the write, not the decision.
    for _ in 0..1_000 {
        tokio::task::yield_now().await;
        let version = state.backend.events.stream_version(&stream).await.unwrap();
        let appended = state
            .backend
            .events
            .append(
                &stream,
                ExpectedVersion::Exact(version),
                events.iter().map(encode).collect(),
            )
            .await;
        if appended.is_ok() {
            return (
                StatusCode::CREATED,
                Json(json!({"case_id": case_id.to_string()})),
            );
        }
    }
    (StatusCode::CONFLICT, Json(json!({})))
}

async fn ten_thousand_concurrent_bookings_fill_one_hundred_one_seat_slots_exactly(store: Store) {
    let extra = Router::new().route("/test/naive-book", post(naive_book));
    let app = Arc::new(spawn_app(store, open_policy(), extra).await);
    // 06:00 to 22:40 with a 10-minute grid and one seat: exactly 100 slots.
    register_office(&app, "race", hm(6, 0), hm(22, 40), 1).await;
    let date = day_in(2);
    let starts = app.slots("race", date).await;
    assert_eq!(starts.len(), 100);

    let outcome = race(&app, "/api/v1/bookings", "race", &starts, 10_000).await;
    assert_eq!(
        outcome.statuses.get(&201),
        Some(&100),
        "{:?}",
        outcome.statuses
    );
    assert!(
        outcome.statuses.keys().all(|s| *s == 201 || *s == 409),
        "only bookings and slot-taken: {:?}",
        outcome.statuses
    );
    let stored = stored_bookings(&app, "race", date).await;
    assert_eq!(stored.len(), 100, "every slot is held");
    assert!(
        stored.values().all(|cases| cases.len() == 1),
        "no slot holds two bookings"
    );
    let mut held: Vec<CaseId> = stored.into_values().flatten().collect();
    let mut answered = outcome.booked_cases.clone();
    held.sort();
    answered.sort();
    assert_eq!(
        held, answered,
        "the 201 answers are exactly the stored bookings"
    );
    assert!(app.slots("race", date).await.is_empty());

    // Negative control: the same checker catches a booker that skips the version check.
    register_office(&app, "naive", hm(6, 0), hm(22, 40), 1).await;
    let naive_starts = app.slots("naive", date).await;
    let naive_day = ScheduleId::new(OfficeId::parse("naive").unwrap(), date);
    Repository::new(app.state.backend.events.clone())
        .execute::<Schedule>(
            &StreamId::new(naive_day.stream_name()).unwrap(),
            ScheduleCommand::OpenDay {
                schedule: naive_day.clone(),
                intervals: vec![OpeningInterval::new(hm(6, 0), hm(22, 40))],
                slot_minutes: 10,
                seats: 1,
                actor: Actor::System,
                at: Utc::now(),
            },
        )
        .await
        .unwrap();
    let naive = race(&app, "/test/naive-book", "naive", &naive_starts, 2_000).await;
    let stored = stored_bookings(&app, "naive", date).await;
    let double = naive.statuses.get(&201).copied().unwrap_or(0);
    assert!(
        double > 100,
        "the checker must see the naive booker over-book: {:?}",
        naive.statuses
    );
    assert!(
        stored.values().any(|cases| cases.len() > 1),
        "and the store shows slots holding two bookings"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_concurrent_bookings_fill_one_hundred_one_seat_slots_exactly_on_sqlite() {
    ten_thousand_concurrent_bookings_fill_one_hundred_one_seat_slots_exactly(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_concurrent_bookings_fill_one_hundred_one_seat_slots_exactly_on_postgres() {
    ten_thousand_concurrent_bookings_fill_one_hundred_one_seat_slots_exactly(Store::Postgres).await;
}

mod reconcile;
mod waitlist;
