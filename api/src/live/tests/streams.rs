//! The dashboard stream and the citizen's stream, over real HTTP and as followers of the feed.

use std::collections::BTreeMap;
use std::time::Duration;

use domain::OfficeId;
use futures::StreamExt;
use projections::case_summary::CaseSummary;
use serde_json::{json, Value};

use super::harness::{booked_case, now_minute, spawn, today, Kind, Who, OFFICE_X, PATIENCE};
use super::on_both_backends;
use crate::live::dashboard::{self, DashboardMessage, OnLag};
use crate::live::Live;

/// A follower's picture of one office day: case id → summary.
type Model = BTreeMap<String, CaseSummary>;

/// Applies one `case` change as a client must: newer versions win, a case whose partition is
/// no longer this day leaves it.
fn apply(model: &mut Model, partition: &str, case: CaseSummary) {
    if case.partition() != partition {
        model.remove(&case.case_id);
        return;
    }
    let newer = model
        .get(&case.case_id)
        .is_none_or(|known| known.version <= case.version);
    if newer {
        model.insert(case.case_id.clone(), case);
    }
}

fn from_snapshot(cases: Vec<CaseSummary>) -> Model {
    cases.into_iter().map(|c| (c.case_id.clone(), c)).collect()
}

fn cases_of(dashboard: &Value) -> Model {
    from_snapshot(serde_json::from_value(dashboard["cases"].clone()).unwrap())
}

on_both_backends!(
    an_arrival_shows_up_on_an_open_dashboard_stream_with_its_position_as_id,
    two_hundred_concurrent_check_ins_reach_the_final_state_of_every_resyncing_follower_and_a_skipping_follower_is_caught,
);

async fn an_arrival_shows_up_on_an_open_dashboard_stream_with_its_position_as_id(kind: Kind) {
    let app = spawn(kind, Live::default()).await;
    let clerk = app.login("clerk.x").await;
    let (case_id, token) = booked_case(&app.state, OFFICE_X, now_minute()).await;
    app.dashboard_until(OFFICE_X, &clerk, |d| d["counts"]["booked"] == 1)
        .await;
    let path = format!("/api/v1/offices/{OFFICE_X}/dashboard/{}/stream", today());
    let mut stream = app.stream(&path, &clerk).await;
    let snapshot = stream.next().await.unwrap();
    assert_eq!(snapshot.event, "snapshot");
    assert_eq!(snapshot.data["office"], OFFICE_X);
    assert_eq!(snapshot.data["date"], today().to_string());
    assert_eq!(snapshot.data["counts"]["booked"], 1);
    assert_eq!(snapshot.data["cases"][0]["status"], "booked");

    let (status, body) = app
        .post(
            "/api/v1/my-case/check-in",
            &Who::Bearer(token.expose().to_owned()),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let arrival = stream.next().await.unwrap();
    assert_eq!(arrival.event, "case");
    assert_eq!(arrival.data["case_id"], case_id.to_string());
    assert_eq!(arrival.data["status"], "waiting");
    assert!(arrival.data["waiting_since"].is_string());
    let position: u64 = arrival.id.expect("an id").parse().unwrap();
    assert!(position > 0);
}

async fn two_hundred_concurrent_check_ins_reach_the_final_state_of_every_resyncing_follower_and_a_skipping_follower_is_caught(
    kind: Kind,
) {
    const CASES: usize = 200;
    // A feed of 8 changes: 200 arrivals overflow it, so followers that are not read meanwhile
    // must take the lag path.
    let app = spawn(kind, Live::with_capacity(8)).await;
    let clerk = app.login("clerk.x").await;
    let starts_at = now_minute();
    let mut tokens = Vec::new();
    for _ in 0..CASES {
        tokens.push(booked_case(&app.state, OFFICE_X, starts_at).await.1);
    }
    app.dashboard_until(OFFICE_X, &clerk, |d| d["counts"]["booked"] == CASES)
        .await;
    let office = OfficeId::parse(OFFICE_X).unwrap();
    let partition = format!("{OFFICE_X}/{}", today());
    // Two followers of the feed, subscribed now and not read while the check-ins run.
    let mut resyncing = Box::pin(dashboard::follow(
        app.state.clone(),
        office.clone(),
        today(),
        OnLag::Resync,
        None,
    ));
    let mut skipping = Box::pin(dashboard::follow(
        app.state.clone(),
        office,
        today(),
        OnLag::Skip,
        None,
    ));
    // Each takes its snapshot (the 200 booked cases) before the check-ins begin.
    let (
        Some(DashboardMessage::Snapshot(resync_start)),
        Some(DashboardMessage::Snapshot(skip_start)),
    ) = (resyncing.next().await, skipping.next().await)
    else {
        panic!("a follower starts with a snapshot");
    };
    assert_eq!(resync_start.counts.booked as usize, CASES);
    // And a browser-like client on the HTTP stream.
    let path = format!("/api/v1/offices/{OFFICE_X}/dashboard/{}/stream", today());
    let mut http = app.stream(&path, &clerk).await;
    let mut http_model = Model::new();

    let check_ins = tokens.iter().map(|token| {
        let who = Who::Bearer(token.expose().to_owned());
        let app = &app;
        async move { app.post("/api/v1/my-case/check-in", &who, json!({})).await }
    });
    let answers = futures::future::join_all(check_ins).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let final_state = cases_of(
        &app.dashboard_until(OFFICE_X, &clerk, |d| d["counts"]["waiting"] == CASES)
            .await,
    );
    assert_eq!(final_state.len(), CASES);

    // The HTTP client reads until it has the final state (or the patience runs out).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while http_model != final_state {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the HTTP stream never reached the final state"
        );
        let Some(event) = http.next().await else {
            panic!("the HTTP stream ended");
        };
        match event.event.as_str() {
            "snapshot" => {
                http_model =
                    from_snapshot(serde_json::from_value(event.data["cases"].clone()).unwrap())
            }
            "case" => apply(
                &mut http_model,
                &partition,
                serde_json::from_value(event.data).unwrap(),
            ),
            other => panic!("unexpected event {other}"),
        }
    }

    // Each follower is drained until it goes quiet; then its picture is compared.
    async fn drain(
        follower: &mut (impl futures::Stream<Item = DashboardMessage> + Unpin),
        start: Model,
        partition: &str,
        final_state: &Model,
    ) -> Model {
        let mut model = start;
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(2), follower.next()).await
        {
            match message {
                DashboardMessage::Snapshot(d) => model = from_snapshot(d.cases),
                DashboardMessage::Case { case, .. } => apply(&mut model, partition, case),
            }
            if model == *final_state {
                break;
            }
        }
        model
    }
    let resynced = drain(
        &mut resyncing,
        from_snapshot(resync_start.cases),
        &partition,
        &final_state,
    )
    .await;
    assert_eq!(
        resynced, final_state,
        "the resyncing follower missed changes"
    );
    let skipped = drain(
        &mut skipping,
        from_snapshot(skip_start.cases),
        &partition,
        &final_state,
    )
    .await;
    let waiting = skipped
        .values()
        .filter(|c| c.status == projections::case_summary::Status::Waiting)
        .count();
    assert!(
        skipped != final_state && waiting < CASES,
        "negative control: a follower that skips on lag must miss arrivals (saw {waiting})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_citizen_stream_moves_the_position_up_when_someone_ahead_is_admitted() {
    let app = spawn(Kind::Sqlite, Live::default()).await;
    let clerk = app.login("clerk.x").await;
    let starts_at = now_minute();
    let (first, first_token) = booked_case(&app.state, OFFICE_X, starts_at).await;
    let (_, second_token) = booked_case(&app.state, OFFICE_X, starts_at).await;
    for token in [&first_token, &second_token] {
        let who = Who::Bearer(token.expose().to_owned());
        let (status, body) = app.post("/api/v1/my-case/check-in", &who, json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    app.dashboard_until(OFFICE_X, &clerk, |d| d["counts"]["waiting"] == 2)
        .await;
    let second = Who::Bearer(second_token.expose().to_owned());
    let mut stream = app.stream("/api/v1/my-case/stream", &second).await;
    let at_once = stream.next().await.unwrap();
    assert_eq!(at_once.event, "my-case");
    let (_, plain) = app.get("/api/v1/my-case", &second).await;
    assert_eq!(at_once.data["case_id"], plain["case_id"]);
    assert_eq!(at_once.data["status"], "waiting");
    assert_eq!(at_once.data["waiting"]["position"], 2);

    let (status, body) = app
        .post(&format!("/api/v1/cases/{first}/admit"), &clerk, json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let moved = loop {
        let event = stream.next().await.unwrap();
        if event.data["waiting"]["position"] == 1 {
            break event;
        }
    };
    assert_eq!(moved.data["status"], "waiting");
    // The stream is the citizen's own: another citizen's token opens another case.
    let (status, _) = app
        .get("/api/v1/my-case/stream", &Who::Bearer("not-a-token".into()))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_ends_open_dashboard_and_citizen_streams() {
    let mut app = spawn(Kind::Sqlite, Live::default()).await;
    let clerk = app.login("clerk.x").await;
    let (_, token) = booked_case(&app.state, OFFICE_X, now_minute()).await;
    app.dashboard_until(OFFICE_X, &clerk, |d| d["counts"]["booked"] == 1)
        .await;
    let path = format!("/api/v1/offices/{OFFICE_X}/dashboard/{}/stream", today());
    let mut dashboard = app.stream(&path, &clerk).await;
    assert_eq!(dashboard.next().await.unwrap().event, "snapshot");
    let mut citizen = app
        .stream(
            "/api/v1/my-case/stream",
            &Who::Bearer(token.expose().to_owned()),
        )
        .await;
    assert_eq!(citizen.next().await.unwrap().event, "my-case");
    // `shut_down` fails the test unless the server returns, which it does only once every
    // connection is done.
    app.shut_down().await;
    assert_eq!(dashboard.next().await, None);
    assert_eq!(citizen.next().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_an_open_dashboard_stream() {
    let live = Live::default().with_session_recheck(Duration::from_millis(50));
    let app = spawn(Kind::Sqlite, live).await;
    let clerk = app.login("clerk.x").await;
    let other = app.login("clerk.x").await;
    let path = format!("/api/v1/offices/{OFFICE_X}/dashboard/{}/stream", today());
    let mut signed_out = app.stream(&path, &clerk).await;
    let mut still_in = app.stream(&path, &other).await;
    assert_eq!(signed_out.next().await.unwrap().event, "snapshot");
    assert_eq!(still_in.next().await.unwrap().event, "snapshot");
    let response = app
        .request(reqwest::Method::DELETE, "/api/v1/session", &clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        signed_out.next().await,
        None,
        "the stream ends with its session"
    );
    // The other session's stream stays open: a new arrival still reaches it.
    let (_, token) = booked_case(&app.state, OFFICE_X, now_minute()).await;
    let booked = still_in.next().await.unwrap();
    assert_eq!(booked.event, "case");
    assert_eq!(booked.data["case_id"], token.case_id().to_string());
}
