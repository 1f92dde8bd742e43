//! The seat reconciler over a real app on both stores: a seat taken for a case that never
//! followed (a crash between the schedule append and the case append) and a seat left behind by a
//! cancellation whose release failed are both given back once older than the grace period, while
//! a rightful booking keeps its seat. The before-and-after control: while the orphan holds it, the
//! time cannot be booked (409); after the pass it can.

use std::time::Duration as StdDuration;

use axum::Router;
use chrono::Utc;
use domain::case::CaseCommand;
use domain::schedule::{ScheduleCommand, ScheduleId};
use domain::{Actor, Case, CaseId, OfficeId, ServiceKey};
use store::StreamId;

use super::*;
use crate::auth::{Clock, ManualClock};
use crate::booking::reconcile::{Orphan, SeatReconciler, GRACE};

const OFFICE: &str = "reconcile";

async fn orphaned_seats_are_released_after_the_grace_and_rightful_ones_kept(store: Store) {
    let app = spawn_app(store, open_policy(), Router::new()).await;
    register_office(&app, OFFICE, hm(8, 0), hm(18, 0), 1).await;
    let date = day_in(2);
    let office = OfficeId::parse(OFFICE).unwrap();
    let schedule = ScheduleId::new(office.clone(), date);

    // A rightful booking, and one that is cancelled below with its release lost.
    let (status, kept) = app
        .book(OFFICE, SERVICE, &at(date, 9, 0), "kept@example.org")
        .await;
    assert_eq!(status, 201, "{kept}");
    let (status, cancelled) = app
        .book(OFFICE, SERVICE, &at(date, 11, 0), "gone@example.org")
        .await;
    assert_eq!(status, 201, "{cancelled}");
    let cancelled_id: CaseId = serde_json::from_value(cancelled["case_id"].clone()).unwrap();
    app.state
        .booking
        .repository()
        .execute::<Case>(
            &StreamId::new(cancelled_id.stream_name()).unwrap(),
            CaseCommand::CancelAppointment {
                actor: Actor::Citizen,
                at: Utc::now(),
            },
        )
        .await
        .unwrap();

    // A crash after the seat was taken and before the case was written.
    let never = CaseId(uuid::Uuid::now_v7());
    app.state
        .booking
        .schedules
        .execute(
            &schedule,
            None,
            ScheduleCommand::BookSlot {
                case_id: never,
                service: ServiceKey::parse(SERVICE).unwrap(),
                start: date.and_time(hm(10, 0)),
                duration_minutes: 10,
                at: Utc::now(),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let (status, taken) = app
        .book(OFFICE, SERVICE, &at(date, 10, 0), "late@example.org")
        .await;
    assert_eq!(
        (status, slug(&taken)),
        (409, "slot-taken"),
        "the orphan holds 10:00"
    );

    // The reconciler sees offices through the read model.
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(30);
    while !projections::offices::list(app.state.backend.read_models.as_ref())
        .await
        .unwrap()
        .iter()
        .any(|o| o.id == OFFICE)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the office never reached the read model"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }

    let clock = Arc::new(ManualClock::new(Utc::now()));
    let reconciler = SeatReconciler::new(
        app.state.booking.clone(),
        app.state.backend.read_models.clone(),
        clock.clone(),
        GRACE,
    );
    // Within the grace a seat may belong to a case being written right now: untouched.
    assert_eq!(reconciler.orphans(clock.now()).await.unwrap(), vec![]);
    assert_eq!(reconciler.tick().await.unwrap(), 0);

    clock.advance(GRACE + chrono::Duration::seconds(1));
    let mut orphans = reconciler.orphans(clock.now()).await.unwrap();
    orphans.sort_by_key(|o| o.case_id);
    let mut expected = vec![
        Orphan {
            schedule: schedule.clone(),
            case_id: never,
        },
        Orphan {
            schedule: schedule.clone(),
            case_id: cancelled_id,
        },
    ];
    expected.sort_by_key(|o| o.case_id);
    assert_eq!(
        orphans, expected,
        "exactly the two orphans, never the rightful seat"
    );
    assert_eq!(reconciler.tick().await.unwrap(), 2);
    assert_eq!(
        reconciler.tick().await.unwrap(),
        0,
        "a second pass finds nothing"
    );

    let free = app.slots(OFFICE, date).await;
    assert!(
        free.contains(&at(date, 10, 0)),
        "10:00 is free again: {free:?}"
    );
    assert!(
        free.contains(&at(date, 11, 0)),
        "11:00 is free again: {free:?}"
    );
    assert!(
        !free.contains(&at(date, 9, 0)),
        "the rightful booking keeps 9:00"
    );
    let (status, late) = app
        .book(OFFICE, SERVICE, &at(date, 10, 0), "late@example.org")
        .await;
    assert_eq!(status, 201, "the released time can be booked: {late}");
}

#[tokio::test]
async fn orphaned_seats_are_released_after_the_grace_and_rightful_ones_kept_on_sqlite() {
    orphaned_seats_are_released_after_the_grace_and_rightful_ones_kept(Store::Sqlite).await;
}

#[tokio::test]
async fn orphaned_seats_are_released_after_the_grace_and_rightful_ones_kept_on_postgres() {
    orphaned_seats_are_released_after_the_grace_and_rightful_ones_kept(Store::Postgres).await;
}
