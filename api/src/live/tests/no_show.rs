//! The no-show job: the grace period, exactly one close per case when two jobs run at once
//! (a blind closer is the negative control), no close after a last-minute check-in, and the
//! dashboard's `no_show` count.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::case::{CaseCommand, CaseEvent, Outcome};
use domain::{Actor, Case, CaseId, OfficeId};
use store::repository::{decode, encode, Repository};
use store::{ExpectedVersion, StreamId};

use super::harness::{booked_case, state, Kind, OFFICE_X};
use super::on_both_backends;
use crate::auth::{Clock, ManualClock};
use crate::live::Live;
use crate::no_show::{Candidate, NoShowJob};
use crate::AppState;

const GRACE_MINUTES: i64 = 15;

/// Appointment time of every case here: a fixed morning, so the clock is the test's.
fn starts_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
}

async fn catch_up(state: &AppState) {
    for projection in projections::all() {
        projections::Runner::new(
            state.backend.events.clone(),
            state.backend.read_models.clone(),
            projection,
        )
        .catch_up()
        .await
        .unwrap();
    }
}

fn job(state: &AppState, clock: &Arc<ManualClock>) -> NoShowJob {
    NoShowJob::new(
        Repository::new(state.backend.events.clone()),
        state.backend.read_models.clone(),
        Duration::minutes(GRACE_MINUTES),
        clock.clone(),
    )
}

/// The checker: how many `CaseClosed` events each case stream holds.
async fn closes(state: &AppState, cases: &[CaseId]) -> Vec<usize> {
    let mut counts = Vec::new();
    for case in cases {
        let stream = StreamId::new(case.stream_name()).unwrap();
        let events = state.backend.events.read_stream(&stream, 0).await.unwrap();
        let closed = events
            .iter()
            .filter(|e| matches!(decode::<CaseEvent>(e), Ok(CaseEvent::CaseClosed { .. })))
            .count();
        counts.push(closed);
    }
    counts
}

on_both_backends!(
    two_no_show_jobs_at_once_close_each_due_case_exactly_once_and_a_blind_closer_is_caught,
    no_show_waits_for_the_grace_period_spares_arrivals_and_shows_in_the_dashboard_counts,
);

async fn two_no_show_jobs_at_once_close_each_due_case_exactly_once_and_a_blind_closer_is_caught(
    kind: Kind,
) {
    const CASES: usize = 20;
    let (state, _guard) = state(kind, Live::default()).await;
    let mut cases = Vec::new();
    for _ in 0..CASES {
        cases.push(booked_case(&state, OFFICE_X, starts_at()).await.0);
    }
    catch_up(&state).await;
    let clock = Arc::new(ManualClock::new(
        starts_at() + Duration::minutes(GRACE_MINUTES + 1),
    ));
    let (a, b) = (job(&state, &clock), job(&state, &clock));

    // The worst interleaving, forced: both jobs judge every case before either closes one.
    let first = &cases[..10];
    let now = clock.now();
    let judged_a = a.due(now).await.unwrap();
    let judged_b = b.due(now).await.unwrap();
    assert_eq!((judged_a.len(), judged_b.len()), (CASES, CASES));
    let only = |judged: &[Candidate], ids: &[CaseId]| -> Vec<Candidate> {
        judged
            .iter()
            .filter(|c| ids.iter().any(|id| c.stream.as_str() == id.stream_name()))
            .cloned()
            .collect()
    };
    let closed_a = a.close(&only(&judged_a, first), now).await.unwrap();
    let closed_b = b.close(&only(&judged_b, first), now).await.unwrap();
    assert_eq!((closed_a, closed_b), (10, 0));
    // And really at once, on the other half.
    let (ticked_a, ticked_b) = tokio::join!(a.tick(), b.tick());
    assert_eq!(ticked_a.unwrap() + ticked_b.unwrap(), 10);
    assert_eq!(closes(&state, &cases).await, vec![1; CASES]);
    assert_eq!(a.tick().await.unwrap(), 0, "nothing is left to close");

    // Negative control: a closer that appends `CaseClosed` at whatever version the stream has
    // now, without deciding on that state, closes twice when two run; the checker sees it.
    let mut blind = Vec::new();
    for _ in 0..3 {
        blind.push(booked_case(&state, OFFICE_X, starts_at()).await.0);
    }
    catch_up(&state).await;
    let judged = a.due(now).await.unwrap();
    assert_eq!(judged.len(), 3);
    for _closer in 0..2 {
        for candidate in &judged {
            let version = state
                .backend
                .events
                .read_stream(&candidate.stream, 0)
                .await
                .unwrap()
                .len() as u64;
            let event = CaseEvent::CaseClosed {
                case_id: candidate
                    .stream
                    .as_str()
                    .strip_prefix("case-")
                    .unwrap()
                    .parse()
                    .unwrap(),
                service: state.catalogue.seed().services()[0].key.clone(),
                office: OfficeId::parse(OFFICE_X).unwrap(),
                outcome: Outcome::NoShow,
                actor: Actor::System,
                at: now,
            };
            state
                .backend
                .events
                .append(
                    &candidate.stream,
                    ExpectedVersion::Exact(version),
                    vec![encode(&event)],
                )
                .await
                .unwrap();
        }
    }
    assert_eq!(
        closes(&state, &blind).await,
        vec![2; 3],
        "the checker must see doubles"
    );
    let _ = _guard;
}

async fn no_show_waits_for_the_grace_period_spares_arrivals_and_shows_in_the_dashboard_counts(
    kind: Kind,
) {
    let (state, _guard) = state(kind, Live::default()).await;
    let absent = booked_case(&state, OFFICE_X, starts_at()).await.0;
    let arrived = booked_case(&state, OFFICE_X, starts_at()).await.0;
    let last_minute = booked_case(&state, OFFICE_X, starts_at()).await.0;
    let later = booked_case(&state, OFFICE_X, starts_at() + Duration::hours(2))
        .await
        .0;
    let repository = Repository::new(state.backend.events.clone());
    let check_in = |case: CaseId, at: DateTime<Utc>| {
        let repository = repository.clone();
        async move {
            repository
                .execute::<Case>(
                    &StreamId::new(case.stream_name()).unwrap(),
                    CaseCommand::CheckIn { at },
                )
                .await
                .unwrap();
        }
    };
    check_in(arrived, starts_at() - Duration::minutes(5)).await;
    catch_up(&state).await;
    let clock = Arc::new(ManualClock::new(
        starts_at() + Duration::minutes(GRACE_MINUTES - 1),
    ));
    let job = job(&state, &clock);
    assert_eq!(
        job.tick().await.unwrap(),
        0,
        "still within the grace period"
    );

    clock.advance(Duration::minutes(1));
    let now = clock.now();
    let judged = job.due(now).await.unwrap();
    assert_eq!(judged.len(), 2, "{judged:?}");
    // The citizen checks in between the judgement and the close: the close must not happen.
    check_in(last_minute, now).await;
    assert_eq!(job.close(&judged, now).await.unwrap(), 1);
    assert_eq!(
        closes(&state, &[absent, arrived, last_minute, later]).await,
        vec![1, 0, 0, 0]
    );

    catch_up(&state).await;
    let office = OfficeId::parse(OFFICE_X).unwrap();
    let day = starts_at().date_naive();
    let dashboard =
        crate::live::dashboard::snapshot(state.backend.read_models.as_ref(), &office, day)
            .await
            .unwrap();
    let counts = dashboard.counts;
    assert_eq!(
        (counts.no_show, counts.waiting, counts.booked),
        (1, 2, 1),
        "{counts:?}"
    );
    let closed = dashboard
        .cases
        .iter()
        .find(|c| c.case_id == absent.to_string())
        .unwrap();
    assert_eq!(closed.outcome, Some(Outcome::NoShow));
}
