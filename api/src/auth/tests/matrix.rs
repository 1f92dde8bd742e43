//! The authorisation table, exhaustively: every principal kind × every operation against a
//! matrix written out by hand (with a broken table as the negative control), and every route of
//! the API per principal over HTTP.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use domain::account::{Role, Username};
use domain::{CaseId, ClerkId, OfficeId};
use serde_json::json;
use store::sessions::{SessionRecord, TokenHash};
use uuid::Uuid;

use super::harness::{test_app, Kind, TestApp, Who, OFFICE_X, OFFICE_Y};
use super::on_both_backends;
use crate::auth::{permits, Operation, Principal};

const CASE_A: CaseId = CaseId(Uuid::from_u128(0xA));
const CASE_B: CaseId = CaseId(Uuid::from_u128(0xB));

/// The principal kinds, in the column order of [`EXPECTED`].
const KINDS: [&str; 8] = [
    "anonymous",
    "citizen of case A",
    "citizen of case B",
    "clerk of office X",
    "clerk of office Y",
    "auditor",
    "planner",
    "admin",
];

fn staff(role: Role, office: Option<&str>) -> Principal {
    let office = office.map(|o| OfficeId::parse(o).unwrap());
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap();
    let account_id = ClerkId(Uuid::new_v4());
    Principal::Staff {
        account_id,
        role,
        office: office.clone(),
        session: Arc::new(SessionRecord {
            token_hash: TokenHash([1; 32]),
            account_id,
            username: Username::parse("someone").unwrap(),
            role,
            office,
            created_at: at,
            last_seen_at: at,
        }),
    }
}

fn principals() -> [Principal; 8] {
    [
        Principal::Anonymous,
        Principal::Citizen { case_id: CASE_A },
        Principal::Citizen { case_id: CASE_B },
        staff(Role::Clerk, Some(OFFICE_X)),
        staff(Role::Clerk, Some(OFFICE_Y)),
        staff(Role::Auditor, None),
        staff(Role::Planner, None),
        staff(Role::Admin, None),
    ]
}

/// Who may do what to case A, which belongs to office X. Columns as in [`KINDS`].
const EXPECTED: [(Operation, [u8; 8]); 16] = [
    (Operation::ViewOfficeQueue, [0, 0, 0, 1, 0, 1, 1, 1]),
    (Operation::ManageWaitingRoom, [0, 0, 0, 1, 0, 0, 0, 0]),
    (Operation::HandleCase, [0, 0, 0, 1, 0, 0, 0, 0]),
    (Operation::ViewCase, [0, 0, 0, 1, 0, 0, 0, 0]),
    (Operation::ViewCaseHistory, [0, 0, 0, 0, 0, 1, 0, 0]),
    (Operation::ViewPlanningReports, [0, 0, 0, 0, 0, 0, 1, 1]),
    (Operation::ManageOffices, [0, 0, 0, 0, 0, 0, 0, 1]),
    (Operation::ManageAccounts, [0, 0, 0, 0, 0, 0, 0, 1]),
    (Operation::ManageOwnSession, [0, 0, 0, 1, 1, 1, 1, 1]),
    (Operation::ViewOwnCase, [0, 1, 0, 0, 0, 0, 0, 0]),
    (
        Operation::RescheduleOwnAppointment,
        [0, 1, 0, 0, 0, 0, 0, 0],
    ),
    (Operation::CancelOwnAppointment, [0, 1, 0, 0, 0, 0, 0, 0]),
    (Operation::CheckInOwnCase, [0, 1, 0, 0, 0, 0, 0, 0]),
    (Operation::UploadOwnDocument, [0, 1, 0, 0, 0, 0, 0, 0]),
    (Operation::PayOwnFee, [0, 1, 0, 0, 0, 0, 0, 0]),
    (Operation::JoinVideoCall, [0, 1, 0, 1, 0, 0, 0, 0]),
];

/// Operations that act on an office or a case and must be refused to everybody without one.
const TARGETED: [Operation; 12] = [
    Operation::ViewOfficeQueue,
    Operation::ManageWaitingRoom,
    Operation::HandleCase,
    Operation::ViewCase,
    Operation::ViewCaseHistory,
    Operation::ViewOwnCase,
    Operation::RescheduleOwnAppointment,
    Operation::CancelOwnAppointment,
    Operation::CheckInOwnCase,
    Operation::UploadOwnDocument,
    Operation::PayOwnFee,
    Operation::JoinVideoCall,
];

type Table = fn(&Principal, Operation, Option<&OfficeId>, Option<CaseId>) -> bool;

/// Every cell where `table` disagrees with the expected matrix (or grants a targeted
/// operation without a target).
fn mismatches(table: Table) -> Vec<String> {
    let office_x = OfficeId::parse(OFFICE_X).unwrap();
    let mut wrong = Vec::new();
    for (operation, row) in EXPECTED {
        for ((principal, kind), expected) in principals().iter().zip(KINDS).zip(row) {
            let got = table(principal, operation, Some(&office_x), Some(CASE_A));
            if got != (expected == 1) {
                wrong.push(format!("{kind} / {operation:?}: got {got}"));
            }
            if TARGETED.contains(&operation) && table(principal, operation, None, None) {
                wrong.push(format!("{kind} / {operation:?} without a target"));
            }
        }
    }
    wrong
}

#[test]
fn the_table_grants_exactly_the_expected_matrix_for_every_principal_kind_and_operation() {
    assert_eq!(
        EXPECTED.map(|(op, _)| op),
        Operation::ALL,
        "every operation has a row"
    );
    assert_eq!(mismatches(permits), Vec::<String>::new());
}

#[test]
fn the_matrix_check_catches_a_table_that_forgets_the_clerks_office() {
    fn office_blind(
        principal: &Principal,
        operation: Operation,
        office: Option<&OfficeId>,
        case: Option<CaseId>,
    ) -> bool {
        let as_own_office = match principal {
            Principal::Staff {
                role: Role::Clerk,
                office: Some(own),
                ..
            } => Some(own),
            _ => office,
        };
        permits(principal, operation, as_own_office, case)
    }
    let caught = mismatches(office_blind);
    assert!(
        caught
            .iter()
            .any(|m| m.starts_with("clerk of office Y / ViewOfficeQueue")),
        "{caught:?}"
    );
}

#[test]
fn the_matrix_check_catches_a_table_that_lets_any_citizen_act_on_any_case() {
    fn case_blind(
        principal: &Principal,
        operation: Operation,
        office: Option<&OfficeId>,
        case: Option<CaseId>,
    ) -> bool {
        match principal {
            Principal::Citizen { case_id } => {
                permits(principal, operation, office, case.map(|_| *case_id))
            }
            _ => permits(principal, operation, office, case),
        }
    }
    let caught = mismatches(case_blind);
    assert!(
        caught
            .iter()
            .any(|m| m.starts_with("citizen of case B / ViewOwnCase")),
        "{caught:?}"
    );
}

on_both_backends!(every_route_answers_each_principal_with_exactly_the_allowed_status);

/// The principals of a test app, in [`KINDS`] order.
async fn callers(t: &TestApp) -> Vec<Who> {
    vec![
        Who::Nobody,
        Who::Bearer(t.case_a.1.expose().to_owned()),
        Who::Bearer(t.case_b.1.expose().to_owned()),
        t.login("clerk.x").await,
        t.login("clerk.y").await,
        t.login("auditor").await,
        t.login("planner").await,
        t.login("admin").await,
    ]
}

async fn every_route_answers_each_principal_with_exactly_the_allowed_status(kind: Kind) {
    let t = test_app(kind).await;
    let who = callers(&t).await;
    let queue = |office: &str| format!("/api/v1/offices/{office}/queue/2026-11-24");
    let (x, y) = (queue(OFFICE_X), queue(OFFICE_Y));
    let waitlist = |office: &str| format!("/api/v1/offices/{office}/waitlist/2026-11-24");
    let dashboard = |office: &str| format!("/api/v1/offices/{office}/dashboard/2026-11-24");
    let (wx, wy) = (waitlist(OFFICE_X), waitlist(OFFICE_Y));
    let role_body = json!({"role": "auditor"});
    let password_body = json!({"new_password": "a brand new password"});
    // `(method, path, body, statuses in KINDS order)`. The role change keeps the auditor an
    // auditor (allowed, no change); the password row targets clerk.y, who may change their own.
    let routes: Vec<(Method, String, Option<serde_json::Value>, [u16; 8])> = vec![
        (Method::GET, "/health".into(), None, [200; 8]),
        (Method::GET, "/api/v1/openapi.json".into(), None, [200; 8]),
        // Public booking reads: anyone, with or without a login or a link.
        (Method::GET, "/api/v1/services".into(), None, [200; 8]),
        (Method::GET, "/api/v1/offices".into(), None, [200; 8]),
        (
            Method::GET,
            "/api/v1/bookings/challenge".into(),
            None,
            [200; 8],
        ),
        // The citizen's own case needs the capability link; a staff login is not one.
        (
            Method::GET,
            "/api/v1/my-case".into(),
            None,
            [401, 200, 200, 401, 401, 401, 401, 401],
        ),
        // The live dashboard: like the queue.
        (
            Method::GET,
            dashboard(OFFICE_X),
            None,
            [401, 403, 403, 200, 403, 200, 200, 200],
        ),
        (
            Method::GET,
            dashboard(OFFICE_Y),
            None,
            [401, 403, 403, 403, 200, 200, 200, 200],
        ),
        // The clerk's case panel beside the call: clerks of the case's office only.
        (
            Method::GET,
            format!("/api/v1/cases/{}", t.case_a.0),
            None,
            [401, 403, 403, 200, 403, 403, 403, 403],
        ),
        (
            Method::POST,
            format!("/api/v1/cases/{}/notes", t.case_a.0),
            Some(json!({"text": "Rückruf vereinbart"})),
            [401, 403, 403, 201, 403, 403, 403, 403],
        ),
        // Offices and the catalogue are administered by admins only. The test app registers
        // no office, so the admin learns it does not exist; everyone else is refused before
        // the lookup and learns nothing.
        (
            Method::GET,
            format!("/api/v1/admin/offices/{OFFICE_X}"),
            None,
            [401, 403, 403, 403, 403, 403, 403, 404],
        ),
        (
            Method::GET,
            "/api/v1/admin/catalogue/changes".into(),
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            Method::GET,
            x.clone(),
            None,
            [401, 403, 403, 200, 403, 200, 200, 200],
        ),
        (
            Method::GET,
            y.clone(),
            None,
            [401, 403, 403, 403, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            wx,
            None,
            [401, 403, 403, 200, 403, 200, 200, 200],
        ),
        (
            Method::GET,
            wy,
            None,
            [401, 403, 403, 403, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/session".into(),
            None,
            [401, 403, 403, 200, 200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/accounts".into(),
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            Method::POST,
            "/api/v1/accounts/auditor/role".into(),
            Some(role_body),
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            Method::POST,
            "/api/v1/accounts/clerk.y/password".into(),
            Some(password_body),
            [401, 403, 403, 403, 200, 403, 403, 200],
        ),
        (
            Method::POST,
            "/api/v1/accounts/planner/enable".into(),
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (
            Method::POST,
            "/api/v1/accounts/planner/disable".into(),
            None,
            [401, 403, 403, 403, 403, 403, 403, 200],
        ),
        (Method::DELETE, "/api/v1/session".into(), None, [204; 8]),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, expected) in &routes {
        for ((caller, kind), expected) in who.iter().zip(KINDS).zip(expected) {
            // Sessions revoked by an earlier row (the role change, the password changes) are
            // renewed so that each row tests the principal, not a stale cookie.
            let caller = if *method == Method::DELETE {
                caller.clone()
            } else {
                refreshed(&t, kind, caller).await
            };
            let mut body = body.clone();
            if path.ends_with("/password") && kind == "clerk of office Y" {
                body = Some(
                    json!({"new_password": "a brand new password", "current_password": super::harness::PASSWORD}),
                );
            }
            let answer = t.call(method.clone(), path, &caller, body).await;
            if answer.status.as_u16() != *expected {
                wrong.push(format!(
                    "{method} {path} as {kind}: {} {:?}",
                    answer.status,
                    answer.slug()
                ));
            }
            // Put the password back so the next login works.
            if path.ends_with("/password") && answer.status == StatusCode::OK {
                reset_password(&t).await;
            }
        }
    }
    assert_eq!(wrong, Vec::<String>::new());
    // A capability token for case A opens nothing of case B: a forged token naming case B with
    // case A's secret is not a citizen at all.
    let secret = t.case_a.1.expose().split_once('.').unwrap().1.to_owned();
    let forged = format!("{}.{secret}", t.case_b.0.as_uuid().simple());
    let answer = t
        .call(Method::GET, "/api/v1/session", &Who::Bearer(forged), None)
        .await;
    assert_eq!(
        (answer.status, answer.slug()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
}

/// A staff caller's cookie, renewed by a fresh login if it was revoked meanwhile.
async fn refreshed(t: &TestApp, kind: &str, caller: &Who) -> Who {
    let username = match kind {
        "clerk of office X" => "clerk.x",
        "clerk of office Y" => "clerk.y",
        "auditor" => "auditor",
        "planner" => "planner",
        "admin" => "admin",
        _ => return caller.clone(),
    };
    let alive = t.call(Method::GET, "/api/v1/session", caller, None).await;
    if alive.status == StatusCode::OK {
        caller.clone()
    } else {
        t.login(username).await
    }
}

/// Sets clerk.y's password back to the harness password (as admin).
async fn reset_password(t: &TestApp) {
    let admin = t.login("admin").await;
    let body = json!({"new_password": super::harness::PASSWORD});
    let answer = t
        .call(
            Method::POST,
            "/api/v1/accounts/clerk.y/password",
            &admin,
            Some(body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}
