//! The waitlist: joining a full day over HTTP (and being refused while slots are free), the
//! first in line getting a cancelled seat with a confirmation mail at a real SMTP sink, leaving,
//! the follower resuming from its checkpoint after a restart, hostile input, and the checker
//! for two processes serving one line at once with its negative control.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::Router;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use domain::case::{CaseEvent, Contact, Language};
use domain::schedule::ScheduleEvent;
use domain::waitlist::WaitlistEvent;
use domain::{CaseId, OfficeId, ServiceKey};
use serde_json::{json, Value};
use store::repository::decode;
use store::StreamId;

use super::*;
use crate::booking::waitlist::{NewWaitlistEntry, SeatGuard};
use crate::booking::waitlist_follower::{WaitlistFollower, CONSUMER};
use crate::booking::{BookingService, NewBooking};

/// How long a test waits for the background follower before it fails.
const PATIENCE: StdDuration = StdDuration::from_secs(30);

impl App {
    async fn join(&self, office: &str, date: NaiveDate, email: &str) -> (u16, Value) {
        let body = json!({
            "service": SERVICE,
            "office": office,
            "date": date.to_string(),
            "contact": {"name": "Erika Mustermann", "email": email, "language": "de"},
            "proof": self.proof().await,
        });
        self.post("/api/v1/waitlist", None, &body).await
    }

    /// Polls the case until `done` holds for its view, at most [`PATIENCE`].
    async fn my_case_until(&self, token: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let (status, mine) = self.get("/api/v1/my-case", Some(token)).await;
            assert_eq!(status, 200, "{mine}");
            if done(&mine) {
                return mine;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the case never got there: {mine}"
            );
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
    }
}

async fn spawn_app_with_mail(store: Store, sink_url: &str) -> App {
    let app = spawn_app(store, open_policy(), Router::new()).await;
    // A second server over the same store, this one with the notifier: the first keeps
    // serving HTTP, and its follower and this one's are two followers of one store.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notifier = crate::notify::Notifier::new(
        &app.state.backend,
        Arc::new(crate::notify::SmtpMailer::from_url(sink_url).unwrap()),
        app.state.catalogue.seed().clone(),
        &app.url,
        crate::notify::NotifyConfig {
            from: crate::settings::DEFAULT_MAIL_FROM.parse().unwrap(),
            reminder_window: chrono::Duration::hours(1),
            poll: StdDuration::from_millis(20),
            max_backoff: StdDuration::from_millis(200),
        },
        crate::notify::system_clock(),
    );
    let state = app.state.clone().with_notifier(notifier);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(crate::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    std::mem::forget(stop);
    app
}

async fn a_cancelled_seat_goes_to_the_first_in_line(store: Store) {
    let sink = testkit::SmtpSink::start().await.unwrap();
    let app = spawn_app_with_mail(store, &sink.url()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(8, 20), 1).await;
    let date = day_in(2);

    // While slots are free the line is closed, with a problem that says so.
    let (status, refused) = app.join("potsdam-mitte", date, "c@example.org").await;
    assert_eq!(
        (status, slug(&refused)),
        (409, "slots-available"),
        "{refused}"
    );

    let (status, a) = app
        .book("potsdam-mitte", SERVICE, &at(date, 8, 0), "a@example.org")
        .await;
    assert_eq!(status, 201, "{a}");
    let (status, b) = app
        .book("potsdam-mitte", SERVICE, &at(date, 8, 10), "b@example.org")
        .await;
    assert_eq!(status, 201, "{b}");
    assert!(app.slots("potsdam-mitte", date).await.is_empty());

    let (status, c) = app.join("potsdam-mitte", date, "c@example.org").await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["position"], 1);
    assert!(c["appointment_link"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/mein-termin.html#token=", app.url)));
    let (status, d) = app.join("potsdam-mitte", date, "d@example.org").await;
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["position"], 2);
    let c_token = c["access_token"].as_str().unwrap().to_owned();
    let d_token = d["access_token"].as_str().unwrap().to_owned();

    let (_, mine) = app.get("/api/v1/my-case", Some(&d_token)).await;
    assert_eq!(mine["status"], "waitlisted", "{mine}");
    assert_eq!(mine["waitlist"]["position"], 2);
    assert_eq!(mine["waitlist"]["date"], date.to_string());
    assert_eq!(mine["appointment"], Value::Null);
    assert_eq!(mine["can_cancel"], true);

    // A cancels: the seat at 8:00 goes to C, and D moves up.
    let a_token = a["access_token"].as_str().unwrap();
    let (status, _) = app
        .post("/api/v1/my-case/cancel", Some(a_token), &json!({}))
        .await;
    assert_eq!(status, 200);
    let mine = app
        .my_case_until(&c_token, |m| m["status"] == "booked")
        .await;
    assert_eq!(
        mine["appointment"]["start"],
        format!("{}:00", at(date, 8, 0))
    );
    assert_eq!(mine["waitlist"], Value::Null);
    let (_, mine) = app.get("/api/v1/my-case", Some(&d_token)).await;
    assert_eq!(mine["status"], "waitlisted", "{mine}");
    assert_eq!(mine["waitlist"]["position"], 1);
    assert!(app.slots("potsdam-mitte", date).await.is_empty());

    // C's confirmation arrives at the real SMTP sink, with the calendar file.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mail = loop {
        let found = sink
            .messages()
            .into_iter()
            .find(|m| m.rcpt_to.iter().any(|r| r == "c@example.org"));
        if let Some(mail) = found {
            break mail;
        }
        assert!(tokio::time::Instant::now() < deadline, "no mail for C");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    };
    let text = String::from_utf8_lossy(&mail.data);
    assert!(text.contains("text/calendar"), "{text}");

    // D leaves the line; a later free seat stays free.
    let (status, left) = app
        .post("/api/v1/my-case/cancel", Some(&d_token), &json!({}))
        .await;
    assert_eq!(status, 200, "{left}");
    assert_eq!(left["status"], "open");
    assert_eq!(left["waitlist"], Value::Null);
    let (status, again) = app
        .post("/api/v1/my-case/cancel", Some(&d_token), &json!({}))
        .await;
    assert_eq!((status, slug(&again)), (422, "rule-violated"));
    let b_token = b["access_token"].as_str().unwrap();
    let (status, _) = app
        .post("/api/v1/my-case/cancel", Some(b_token), &json!({}))
        .await;
    assert_eq!(status, 200);
    let line = app
        .state
        .booking
        .waitlist(&OfficeId::parse("potsdam-mitte").unwrap(), date)
        .await
        .unwrap();
    assert!(line.pending().is_empty());
    assert_eq!(line.served().len(), 1);
    assert_eq!(
        app.slots("potsdam-mitte", date).await,
        vec![at(date, 8, 10)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_seat_goes_to_the_first_in_line_on_sqlite() {
    a_cancelled_seat_goes_to_the_first_in_line(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_seat_goes_to_the_first_in_line_on_postgres() {
    a_cancelled_seat_goes_to_the_first_in_line(Store::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_waitlist_input_gets_a_problem_and_never_a_server_error() {
    let app = spawn_app(Store::Sqlite, open_policy(), Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(8, 10), 1).await;
    let date = day_in(2);
    let proof = app.proof().await;
    let good = json!({
        "service": SERVICE,
        "office": "potsdam-mitte",
        "date": date.to_string(),
        "contact": {"name": "Erika", "email": "e@example.org", "language": "de"},
        "proof": proof,
    });
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let long = "x".repeat(5_000);
    let cases = [
        with("date", json!("2026-02-30")),
        with("date", json!("+2026-11-24")),
        with("date", json!(long)),
        with("date", json!(7)),
        with("date", json!(day_in(-1).to_string())),
        with("date", json!(day_in(400).to_string())),
        with("service", json!("../../etc/passwd")),
        with("service", json!("personalausweis_beantragen")),
        with("office", json!("no-such-office")),
        with("office", json!("A B")),
        with("start", json!(at(date, 8, 0))),
        with("proof", json!({"challenge": "x", "nonce": "y"})),
        with(
            "contact",
            json!({"name": "E", "email": long, "language": "de"}),
        ),
        with(
            "contact",
            json!({"name": "E", "email": "e@example.org", "language": "xx"}),
        ),
        json!([]),
        json!(null),
    ];
    for body in cases {
        let (status, problem) = app.post("/api/v1/waitlist", None, &body).await;
        assert!(
            (400..500).contains(&status) && !slug(&problem).is_empty(),
            "{status} {problem} for {body}"
        );
    }
    for path in [
        "/api/v1/offices/potsdam-mitte/waitlist/2026-13-01",
        "/api/v1/offices/A%20B/waitlist/2026-11-01",
        "/api/v1/offices/potsdam-mitte/waitlist/2026-11-25",
    ] {
        let (status, problem) = app.get(path, None).await;
        assert!(matches!(status, 400 | 401), "{status} {problem} for {path}");
    }
    let (status, problem) = app
        .get(
            &format!("/api/v1/offices/potsdam-mitte/waitlist/{date}"),
            None,
        )
        .await;
    assert_eq!((status, slug(&problem)), (401, "unauthenticated"));
}

/// Two booking services over one store: two processes, each with its own day locks and caches.
/// No server runs, so nothing but the twins serves the line.
struct Twin {
    a: BookingService,
    b: BookingService,
    backend: Backend,
    office: OfficeId,
    date: NaiveDate,
    _dir: tempfile::TempDir,
    _db: Option<store::testing::TestDatabase>,
}

/// An office with `slots` ten-minute one-seat slots on `date`, every one booked.
async fn full_day(store: Store, slots: u32) -> (Twin, Vec<CaseId>) {
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
    let close = hm(8, 0) + chrono::Duration::minutes(i64::from(slots) * 10);
    register_office_in(&backend.events, "potsdam-mitte", hm(8, 0), close, 1).await;
    let twin = Twin {
        a: BookingService::new(backend.events.clone(), backend.derived_key, open_policy()),
        b: BookingService::new(backend.events.clone(), backend.derived_key, open_policy()),
        office: OfficeId::parse("potsdam-mitte").unwrap(),
        date: day_in(2),
        backend,
        _dir: dir,
        _db: db,
    };
    let mut holders = Vec::new();
    for i in 0..slots {
        let booked = twin
            .a
            .book(
                NewBooking {
                    service: service(),
                    office: twin.office.clone(),
                    start: twin.date.and_time(hm(8, 0))
                        + chrono::Duration::minutes(i64::from(i) * 10),
                    contact: contact(&format!("holder{i}@example.org")),
                },
                Utc::now(),
            )
            .await
            .unwrap();
        holders.push(booked.case_id);
    }
    (twin, holders)
}

fn service() -> domain::catalogue::Service {
    domain::catalogue::Catalogue::default_catalogue()
        .unwrap()
        .get(&ServiceKey::parse(SERVICE).unwrap())
        .unwrap()
        .clone()
}

fn contact(email: &str) -> Contact {
    Contact {
        name: "Erika Mustermann".into(),
        email: email.into(),
        phone: None,
        language: Language::De,
    }
}

impl Twin {
    async fn join(&self, n: usize) -> Vec<CaseId> {
        let mut waiting = Vec::new();
        for i in 0..n {
            let joined = self
                .a
                .join_waitlist(
                    NewWaitlistEntry {
                        service: service(),
                        office: self.office.clone(),
                        date: self.date,
                        contact: contact(&format!("waiter{i}@example.org")),
                    },
                    Utc::now(),
                )
                .await
                .unwrap();
            assert_eq!(joined.position as usize, i + 1);
            waiting.push(joined.case_id);
        }
        waiting
    }

    async fn raw(&self, stream: String) -> Vec<store::RecordedEvent> {
        self.backend
            .events
            .read_stream(&StreamId::new(stream).unwrap(), 0)
            .await
            .unwrap()
    }

    /// The checker, over the stored events only: no case holds two seats, no slot holds more
    /// people than seats (one), every entry is served at most once and its case booked at most
    /// once, and the served entries are the first in line (all want the same service).
    async fn check(&self, waiting: &[CaseId]) -> Result<usize, String> {
        let id = domain::schedule::ScheduleId::new(self.office.clone(), self.date);
        let mut holds: Vec<(CaseId, NaiveDateTime, u32)> = Vec::new();
        for event in self.raw(id.stream_name()).await {
            match decode::<ScheduleEvent>(&event).unwrap() {
                ScheduleEvent::SlotBooked {
                    case_id,
                    start,
                    duration_minutes,
                    ..
                } => holds.push((case_id, start, duration_minutes)),
                ScheduleEvent::SlotReleased { case_id, .. } => {
                    if let Some(i) = holds.iter().position(|h| h.0 == case_id) {
                        holds.remove(i);
                    }
                }
                _ => {}
            }
        }
        let mut per_case: BTreeMap<CaseId, usize> = BTreeMap::new();
        let mut per_start: BTreeMap<NaiveDateTime, usize> = BTreeMap::new();
        for (case_id, start, _) in &holds {
            *per_case.entry(*case_id).or_default() += 1;
            *per_start.entry(*start).or_default() += 1;
        }
        if let Some((case_id, n)) = per_case.iter().find(|(_, n)| **n > 1) {
            return Err(format!("case {case_id} holds {n} seats"));
        }
        if let Some((start, n)) = per_start.iter().find(|(_, n)| **n > 1) {
            return Err(format!("{n} people hold the one seat at {start}"));
        }
        let mut served = Vec::new();
        for event in self
            .raw(domain::waitlist::stream_name(&self.office, self.date))
            .await
        {
            if let WaitlistEvent::EntryServed { case_id, .. } = decode(&event).unwrap() {
                if served.contains(&case_id) {
                    return Err(format!("entry {case_id} served twice"));
                }
                served.push(case_id);
            }
        }
        for case_id in waiting {
            let booked = self
                .raw(case_id.stream_name())
                .await
                .iter()
                .filter(|e| {
                    matches!(
                        decode::<CaseEvent>(e).unwrap(),
                        CaseEvent::AppointmentBooked { .. }
                    )
                })
                .count();
            let holds_seat = per_case.contains_key(case_id);
            if booked > 1 || (booked == 1) != holds_seat || holds_seat != served.contains(case_id) {
                return Err(format!(
                    "case {case_id}: {booked} bookings, seat {holds_seat}, served {}",
                    served.contains(case_id)
                ));
            }
        }
        if served[..] != waiting[..served.len()] {
            return Err(format!("served out of line: {served:?}"));
        }
        Ok(served.len())
    }
}

/// Both processes decide on the same line before either writes: the first writes, the second's
/// seat is refused by the schedule's version check and it decides again.
async fn two_processes_that_decided_together_give_one_seat_once(
    store: Store,
    guard: SeatGuard,
) -> Result<usize, String> {
    let (twin, holders) = full_day(store, 3).await;
    let waiting = twin.join(2).await;
    twin.a
        .cancel(holders[1], domain::Actor::Citizen, Utc::now())
        .await
        .unwrap();
    let office = twin.a.office(&twin.office).await.unwrap().unwrap();
    let now = Utc::now();
    let step_a = twin
        .a
        .decide_step(&office, &twin.office, twin.date, now)
        .await
        .unwrap();
    let step_b = twin
        .b
        .decide_step(&office, &twin.office, twin.date, now)
        .await
        .unwrap();
    assert_eq!(step_a, step_b, "both decided on the same line");
    assert!(
        matches!(step_a, crate::booking::waitlist::Step::Serve { case_id, .. } if case_id == waiting[0]),
        "{step_a:?}"
    );
    twin.a
        .take_step(&office, &twin.office, twin.date, step_a, guard, now)
        .await
        .unwrap();
    twin.b
        .take_step(&office, &twin.office, twin.date, step_b, guard, now)
        .await
        .unwrap();
    twin.check(&waiting).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_that_decided_together_give_one_seat_once_on_sqlite() {
    let served =
        two_processes_that_decided_together_give_one_seat_once(Store::Sqlite, SeatGuard::Checked)
            .await;
    assert_eq!(served, Ok(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_that_decided_together_give_one_seat_once_on_postgres() {
    let served =
        two_processes_that_decided_together_give_one_seat_once(Store::Postgres, SeatGuard::Checked)
            .await;
    assert_eq!(served, Ok(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checker_catches_a_server_that_skips_the_version_guard() {
    let verdict =
        two_processes_that_decided_together_give_one_seat_once(Store::Sqlite, SeatGuard::Unchecked)
            .await;
    let error = verdict.expect_err("the unguarded server must be caught");
    assert!(error.contains("seat"), "{error}");
}

/// Many seats free up while many wait, and two processes serve the line at the same time.
async fn two_processes_serving_at_once_give_each_freed_seat_to_one_person_in_order(store: Store) {
    let (twin, holders) = full_day(store, 6).await;
    let waiting = twin.join(8).await;
    for holder in &holders[..4] {
        twin.a
            .cancel(*holder, domain::Actor::Citizen, Utc::now())
            .await
            .unwrap();
    }
    let now = Utc::now();
    let (a, b) = tokio::join!(
        twin.a.serve_waitlist(&twin.office, twin.date, now),
        twin.b.serve_waitlist(&twin.office, twin.date, now),
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(twin.check(&waiting).await, Ok(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_serving_at_once_give_each_freed_seat_to_one_person_in_order_on_sqlite() {
    two_processes_serving_at_once_give_each_freed_seat_to_one_person_in_order(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_serving_at_once_give_each_freed_seat_to_one_person_in_order_on_postgres() {
    two_processes_serving_at_once_give_each_freed_seat_to_one_person_in_order(Store::Postgres)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follower_resumes_from_its_checkpoint_after_a_restart() {
    let (twin, holders) = full_day(Store::Postgres, 3).await;
    let waiting = twin.join(3).await;
    let booking = Arc::new(BookingService::new(
        twin.backend.events.clone(),
        twin.backend.derived_key,
        open_policy(),
    ));
    let follower = || {
        WaitlistFollower::new(
            booking.clone(),
            twin.backend.read_models.clone(),
            crate::notify::system_clock(),
            StdDuration::from_millis(20),
        )
    };
    let mut first = follower();
    while first.step().await.unwrap() > 0 {}
    let checkpoint = twin.backend.read_models.checkpoint(CONSUMER).await.unwrap();
    twin.a
        .cancel(holders[0], domain::Actor::Citizen, Utc::now())
        .await
        .unwrap();
    while first.step().await.unwrap() > 0 {}
    assert!(twin.backend.read_models.checkpoint(CONSUMER).await.unwrap() > checkpoint);
    drop(first);

    // Down: a seat frees up while no follower runs.
    twin.a
        .cancel(holders[2], domain::Actor::Citizen, Utc::now())
        .await
        .unwrap();
    let mut second = follower();
    while second.step().await.unwrap() > 0 {}
    assert_eq!(twin.check(&waiting).await, Ok(2));
    assert_eq!(second.step().await.unwrap(), 0, "nothing is read twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_in_line_counts_as_an_open_booking_of_the_address() {
    let policy = BookingPolicy {
        max_open_per_email: 1,
        ..open_policy()
    };
    let app = spawn_app(Store::Sqlite, policy, Router::new()).await;
    register_office(&app, "potsdam-mitte", hm(8, 0), hm(8, 10), 1).await;
    let date = day_in(2);
    let (status, _) = app
        .book("potsdam-mitte", SERVICE, &at(date, 8, 0), "a@example.org")
        .await;
    assert_eq!(status, 201);
    let (status, refused) = app.join("potsdam-mitte", date, "A@example.org ").await;
    assert_eq!(
        (status, slug(&refused)),
        (422, "open-booking-limit"),
        "{refused}"
    );
    let (status, joined) = app.join("potsdam-mitte", date, "c@example.org").await;
    assert_eq!(status, 201, "{joined}");
    let (status, refused) = app.join("potsdam-mitte", date, "c@example.org").await;
    assert_eq!(
        (status, slug(&refused)),
        (422, "open-booking-limit"),
        "{refused}"
    );
    // Having left the line, the address may wait again.
    let token = joined["access_token"].as_str().unwrap();
    let (status, _) = app
        .post("/api/v1/my-case/cancel", Some(token), &json!({}))
        .await;
    assert_eq!(status, 200);
    let (status, again) = app.join("potsdam-mitte", date, "c@example.org").await;
    assert_eq!(status, 201, "{again}");
}
