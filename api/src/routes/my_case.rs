//! The citizen's own case, opened by the capability link (`Authorization: Bearer <token>`):
//! `GET /api/v1/my-case`, and `POST /api/v1/my-case/{cancel,reschedule,check-in}`.
//! A token opens its own case and nothing else (see [`crate::citizen`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use domain::case::CaseStatus;
use domain::Actor;
use projections::case_summary::{self, Status};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::reference;
use crate::citizen::CitizenCase;
use crate::extract;
use crate::problems::Problem;
use crate::routes::bookings::{parse_local_start, AppointmentView};
use crate::{ApiError, AppState};

/// Where the citizen stands in the waiting room.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitingView {
    /// 1 for the next to be called.
    pub position: u32,
    /// When the call is expected to start, at the earliest the booked time.
    pub estimated_start: DateTime<Utc>,
    /// True when the clerk asked the citizen to keep waiting.
    pub on_hold: bool,
}

/// The citizen's place on a full day's waitlist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitlistPlace {
    /// The day waited for.
    #[schema(value_type = String, example = "2026-11-25")]
    pub date: chrono::NaiveDate,
    /// 1 for the first in line; `null` for a moment while a seat is being booked.
    pub position: Option<u32>,
}

/// The citizen's view of their case: no clerk notes, no internal ids beyond the case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MyCase {
    pub case_id: String,
    pub reference: String,
    pub service: String,
    pub service_name_de: String,
    pub service_name_en: String,
    pub office: String,
    pub office_name: Option<String>,
    /// `open`, `waitlisted`, `booked`, `waiting`, `on_hold`, `admitted`, `in_call` or `closed`.
    #[schema(value_type = String)]
    pub status: CaseStatus,
    pub appointment: Option<AppointmentView>,
    pub can_cancel: bool,
    pub can_reschedule: bool,
    pub can_check_in: bool,
    pub waiting: Option<WaitingView>,
    /// While `waitlisted`: the day and the place in line. Leave with `POST /my-case/cancel`.
    pub waitlist: Option<WaitlistPlace>,
}

/// The office-local day of the appointment equals the office-local day of `now`.
fn on_appointment_day(case: &domain::case::Case, now: DateTime<Utc>) -> bool {
    case.appointment()
        .is_some_and(|a| a.local_date_of(now) == a.local_date())
}

pub(crate) async fn view(state: &AppState, citizen: &CitizenCase) -> Result<MyCase, ApiError> {
    let case = &citizen.case;
    let facts = case
        .facts()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an opened case has no facts")))?;
    let catalogue = state.catalogue.current().await?;
    let service = catalogue.get(&facts.service);
    let office_name = state
        .booking
        .office(&facts.office)
        .await?
        .and_then(|o| o.profile().map(|p| p.name.clone()));
    let now = Utc::now();
    let status = case.status();
    let before_check_in = status == CaseStatus::Booked && !case.ever_checked_in();
    let starts_in_future = case.appointment().is_some_and(|a| a.starts_at > now);
    let waiting = match status {
        CaseStatus::Waiting | CaseStatus::OnHold => waiting_view(state, citizen, now).await?,
        _ => None,
    };
    let waitlist = match (case.waitlisted_for(), status) {
        (Some(date), CaseStatus::Waitlisted) => Some(WaitlistPlace {
            date,
            position: state
                .booking
                .waitlist(&facts.office, date)
                .await?
                .position(citizen.case_id),
        }),
        _ => None,
    };
    Ok(MyCase {
        case_id: citizen.case_id.to_string(),
        reference: reference(citizen.case_id),
        service: facts.service.as_str().to_owned(),
        service_name_de: service.map(|s| s.name_de.clone()).unwrap_or_default(),
        service_name_en: service.map(|s| s.name_en.clone()).unwrap_or_default(),
        office: facts.office.as_str().to_owned(),
        office_name,
        status,
        appointment: case.appointment().map(AppointmentView::from),
        can_cancel: (before_check_in && starts_in_future) || waitlist.is_some(),
        can_reschedule: before_check_in && starts_in_future,
        can_check_in: status == CaseStatus::Booked && on_appointment_day(case, now),
        waiting,
        waitlist,
    })
}

/// Position and estimate from the office's queue of the day (the `case_summary` read model):
/// everyone waiting with an earlier booked time, or the same time and an earlier check-in, is
/// ahead; each of them takes their booked minutes, shared among the day's seats.
async fn waiting_view(
    state: &AppState,
    citizen: &CitizenCase,
    now: DateTime<Utc>,
) -> Result<Option<WaitingView>, ApiError> {
    let Some(appointment) = citizen.case.appointment() else {
        return Ok(None);
    };
    let Some(office) = citizen.case.office() else {
        return Ok(None);
    };
    let queue = case_summary::queue(
        state.backend.read_models.as_ref(),
        office,
        appointment.local_date(),
    )
    .await?;
    let mut waiting: Vec<_> = queue
        .iter()
        .filter(|c| matches!(c.status, Status::Waiting | Status::Held))
        .collect();
    waiting.sort_by_key(|c| (c.appointment.map(|a| a.starts_at), c.checked_in_at));
    let me = citizen.case_id.to_string();
    let ahead: Vec<_> = waiting.iter().take_while(|c| c.case_id != me).collect();
    // The read model may lag the check-in by a moment: then the citizen is last.
    let position = u32::try_from(ahead.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let seats = state
        .booking
        .office(office)
        .await?
        .map_or(1, |o| o.seats().max(1));
    let minutes_ahead: i64 = ahead
        .iter()
        .filter_map(|c| c.appointment.map(|a| i64::from(a.duration_minutes)))
        .sum();
    let estimate = now + Duration::minutes(minutes_ahead / i64::from(seats));
    Ok(Some(WaitingView {
        position,
        estimated_start: estimate.max(appointment.starts_at),
        on_hold: citizen.case.status() == CaseStatus::OnHold,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/my-case",
    tag = "citizen",
    security(("capability" = [])),
    responses(
        (status = 200, description = "The case the capability link opens", body = MyCase),
        (status = 401, description = "`invalid-access-link`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_my_case(
    State(state): State<AppState>,
    citizen: CitizenCase,
) -> Result<Json<MyCase>, ApiError> {
    Ok(Json(view(&state, &citizen).await?))
}

/// Reload after a change, so the answer shows the new state.
async fn reloaded(state: &AppState, citizen: CitizenCase) -> Result<Json<MyCase>, ApiError> {
    let citizen = reload(state, citizen).await?;
    Ok(Json(view(state, &citizen).await?))
}

/// The citizen's case as it is stored now.
pub(crate) async fn reload(
    state: &AppState,
    citizen: CitizenCase,
) -> Result<CitizenCase, ApiError> {
    let stream = store::StreamId::new(citizen.case_id.stream_name())?;
    let loaded = state
        .booking
        .repository()
        .load::<domain::case::Case>(&stream)
        .await
        .map_err(crate::booking::rule_error)?;
    Ok(CitizenCase {
        case: loaded.state,
        version: loaded.version,
        ..citizen
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/my-case/cancel",
    tag = "citizen",
    security(("capability" = [])),
    responses(
        (status = 200, description = "Cancelled; the seat is free again (or, on a waitlist, left the line)", body = MyCase),
        (status = 401, description = "`invalid-access-link`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`: nothing booked, or already checked in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    citizen: CitizenCase,
) -> Result<Json<MyCase>, ApiError> {
    state
        .booking
        .cancel(citizen.case_id, Actor::Citizen, Utc::now())
        .await?;
    reloaded(&state, citizen).await
}

/// A new time for the appointment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// Office wall-clock time, `YYYY-MM-DDTHH:MM`.
    #[schema(example = "2026-11-26T09:15")]
    pub start: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/my-case/reschedule",
    tag = "citizen",
    security(("capability" = [])),
    request_body = RescheduleRequest,
    responses(
        (status = 200, description = "Moved; the old seat is free again", body = MyCase),
        (status = 401, description = "`invalid-access-link`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slot-taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reschedule(
    State(state): State<AppState>,
    citizen: CitizenCase,
    extract::Json(request): extract::Json<RescheduleRequest>,
) -> Result<Json<MyCase>, ApiError> {
    let start = parse_local_start(&request.start)
        .ok_or_else(|| ApiError::InvalidParameter("start: expected YYYY-MM-DDTHH:MM".into()))?;
    state
        .booking
        .reschedule(citizen.case_id, start, Utc::now())
        .await?;
    reloaded(&state, citizen).await
}

#[utoipa::path(
    post,
    path = "/api/v1/my-case/check-in",
    tag = "citizen",
    security(("capability" = [])),
    responses(
        (status = 200, description = "In the waiting room", body = MyCase),
        (status = 401, description = "`invalid-access-link`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`: not the appointment day, or already waiting", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn check_in(
    State(state): State<AppState>,
    citizen: CitizenCase,
) -> Result<(StatusCode, Json<MyCase>), ApiError> {
    state.booking.check_in(citizen.case_id, Utc::now()).await?;
    Ok((StatusCode::OK, reloaded(&state, citizen).await?))
}
