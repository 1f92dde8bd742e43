//! `/api/v1/admin/offices`: register an office, change its profile, opening hours, seats and
//! closing days, and read it with its stream version.
//!
//! What a change affects: a schedule day is opened from the office when its first booking arrives
//! (see `domain::office`). Hours, grid and seats therefore apply to every day nobody has booked
//! yet; a day that already has a booking keeps the hours and seats it was opened with, so no
//! existing appointment moves or loses its seat. Closing a date is refused (422 `rule-violated`,
//! naming the number of appointments) while that date has booked appointments: they must be
//! cancelled or moved first, a booking is never dropped silently. A closed date shows no free
//! slots and takes no bookings, even if its schedule day was opened before.
//!
//! Closing goes through the day's schedule first (`ScheduleCommand::CloseDay`, under the same
//! per-day lock and expected version as booking), then the office. The schedule refuses to close
//! while a seat is booked and refuses every booking once closed, so a booking racing a close
//! either lands first (and the close is refused) or is refused: never a booking on a closed day.
//! Reopening opens the schedule first, then the office; a failure between the two leaves the
//! day refused by one of them, never bookable while the other thinks it closed.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use domain::office::{Office, OfficeCommand, OfficeError};
use domain::schedule::{ScheduleCommand, ScheduleError, ScheduleId};
use domain::OfficeId;
use serde::{Deserialize, Serialize};
use store::repository::{CommandError, Repository};
use store::StreamId;
use utoipa::{IntoParams, ToSchema};

use super::hours::{self, HoursJson};
use super::{actor_of, body};
use crate::auth::{require, Operation, Principal};
use crate::extract::{Json, Path, Query};
use crate::problems::Problem;
use crate::routes::queue::parse_day;
use crate::{ApiError, AppState};

/// An office as admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminOfficeView {
    #[schema(example = "potsdam-mitte")]
    pub id: String,
    pub name: String,
    pub address: String,
    /// Weekly hours: `{"mon": [["08:00","12:00"], ["13:00","16:00"]], ...}`; a missing day is
    /// closed.
    #[schema(value_type = Object)]
    pub hours: HoursJson,
    /// The booking grid in minutes.
    pub slot_minutes: u32,
    /// Clerks serving video appointments at the same time.
    pub seats: u32,
    pub closed_days: Vec<ClosedDayView>,
    /// The office stream's version; send it back as `expected_version`.
    pub version: u64,
}

/// One closing date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClosedDayView {
    #[schema(value_type = String, example = "2026-12-24")]
    pub date: NaiveDate,
    pub reason: Option<String>,
}

/// A new office.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOffice {
    /// Lower-case letters, digits and `-`.
    #[schema(example = "potsdam-nord")]
    pub id: String,
    pub name: String,
    pub address: String,
    /// Weekly hours, `HH:MM` pairs per weekday; a missing day is closed.
    #[schema(value_type = Object, example = json!({"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "thu": [["10:00", "18:00"]]}))]
    pub hours: HoursJson,
    /// 5 to 240.
    pub slot_minutes: u32,
    /// 1 to 500.
    pub seats: u32,
}

/// A new name and address.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    pub name: String,
    pub address: String,
    pub expected_version: Option<u64>,
}

/// New weekly hours; the grid stays unless `slot_minutes` is given.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursChange {
    /// Weekly hours, `HH:MM` pairs per weekday; a missing day is closed.
    #[schema(value_type = Object, example = json!({"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "thu": [["10:00", "18:00"]]}))]
    pub hours: HoursJson,
    pub slot_minutes: Option<u32>,
    pub expected_version: Option<u64>,
}

/// A new number of seats.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatsChange {
    pub seats: u32,
    pub expected_version: Option<u64>,
}

/// A date to close.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseDay {
    #[schema(example = "2026-12-24")]
    pub date: String,
    pub reason: Option<String>,
    pub expected_version: Option<u64>,
}

/// The version a `DELETE` was based on.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// The office stream version the admin last saw.
    pub expected_version: Option<u64>,
}

fn office_id(text: &str) -> Result<OfficeId, ApiError> {
    OfficeId::parse(text).map_err(|e| ApiError::InvalidParameter(format!("office: {e}")))
}

fn stream_of(office: &OfficeId) -> Result<StreamId, ApiError> {
    Ok(StreamId::new(office.stream_name())?)
}

fn view(office: &Office, version: u64) -> Option<AdminOfficeView> {
    let profile = office.profile()?;
    Some(AdminOfficeView {
        id: profile.id.as_str().to_owned(),
        name: profile.name.clone(),
        address: profile.address.clone(),
        hours: hours::render(office.hours()),
        slot_minutes: office.slot_minutes(),
        seats: office.seats(),
        closed_days: office
            .closed_days()
            .iter()
            .map(|date| ClosedDayView {
                date: *date,
                reason: office.closing_reason(*date).map(str::to_owned),
            })
            .collect(),
        version,
    })
}

fn office_error(error: CommandError<OfficeError>) -> ApiError {
    match error {
        CommandError::Rejected(OfficeError::NotRegistered) => ApiError::NotFound,
        CommandError::Rejected(e @ OfficeError::AlreadyRegistered) => {
            ApiError::Conflict(e.to_string())
        }
        CommandError::Rejected(rule) => ApiError::RuleViolated(rule.to_string()),
        CommandError::Store(e) => e.into(),
        decode @ CommandError::Decode { .. } => ApiError::Internal(decode.into()),
    }
}

async fn load(state: &AppState, office: &OfficeId) -> Result<(Office, u64), ApiError> {
    let loaded = Repository::new(state.backend.events.clone())
        .load::<Office>(&stream_of(office)?)
        .await
        .map_err(office_error)?;
    if loaded.state.profile().is_none() {
        return Err(ApiError::NotFound);
    }
    Ok((loaded.state, loaded.version))
}

/// Refuses a stale `expected` version before a change that writes another stream first (the
/// schedule of a closed or reopened day), so a 409 leaves nothing half done.
fn check_version(expected: Option<u64>, version: u64) -> Result<(), ApiError> {
    match expected {
        Some(expected) if expected != version => Err(ApiError::Conflict(format!(
            "the office is at version {version}, not {expected}"
        ))),
        _ => Ok(()),
    }
}

/// Runs `command` on an existing office at `expected` (or the current version) and returns the
/// office as it stands afterwards. A command that changes nothing returns the current office.
async fn change(
    state: &AppState,
    office: &OfficeId,
    expected: Option<u64>,
    command: OfficeCommand,
) -> Result<Json<AdminOfficeView>, ApiError> {
    let (_, version) = load(state, office).await?;
    let expected = expected.unwrap_or(version);
    let repository = Repository::new(state.backend.events.clone());
    let result = repository
        .execute_at::<Office>(&stream_of(office)?, expected, command)
        .await;
    let (office_state, version) = match result {
        Ok(executed) => (executed.state, executed.outcome.stream_version),
        Err(CommandError::Rejected(OfficeError::Unchanged)) => load(state, office).await?,
        Err(error) => return Err(office_error(error)),
    };
    view(&office_state, version)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/offices",
    tag = "admin",
    request_body = NewOffice,
    responses(
        (status = 201, description = "The office is registered; its days can be booked from now on", body = AdminOfficeView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: an office with this id exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body` or `rule-violated`: a field breaks a rule (name, address, hours, grid 5 to 240, seats 1 to 500)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    principal: Principal,
    request: Result<Json<NewOffice>, ApiError>,
) -> Result<(StatusCode, Json<AdminOfficeView>), ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let request = body(request)?;
    let office =
        OfficeId::parse(&request.id).map_err(|e| ApiError::InvalidBody(format!("id: {e}")))?;
    let command = OfficeCommand::Register {
        office: office.clone(),
        name: request.name,
        address: request.address,
        hours: hours::parse(request.hours)?,
        slot_minutes: request.slot_minutes,
        seats: request.seats,
        actor: actor_of(&principal),
        at: Utc::now(),
    };
    let executed = Repository::new(state.backend.events.clone())
        .execute_at::<Office>(&stream_of(&office)?, 0, command)
        .await
        .map_err(|error| match error {
            // The stream exists: the office was registered meanwhile or before.
            CommandError::Store(store::StoreError::Conflict { .. }) => {
                ApiError::Conflict(OfficeError::AlreadyRegistered.to_string())
            }
            other => office_error(other),
        })?;
    tracing::info!(office = %office, "office registered");
    let view = view(&executed.state, executed.outcome.stream_version)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a registered office has no profile")))?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/offices/{office}",
    tag = "admin",
    params(("office" = String, Path, description = "The office id", example = "potsdam-mitte")),
    responses(
        (status = 200, description = "The office with its hours, seats, closing days and stream version", body = AdminOfficeView),
        (status = 400, description = "`bad-request`: not an office id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_office(
    State(state): State<AppState>,
    principal: Principal,
    Path(office): Path<String>,
) -> Result<Json<AdminOfficeView>, ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let office = office_id(&office)?;
    let (office, version) = load(&state, &office).await?;
    view(&office, version).map(Json).ok_or(ApiError::NotFound)
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/offices/{office}/profile",
    tag = "admin",
    params(("office" = String, Path, description = "The office id", example = "potsdam-mitte")),
    request_body = ProfileChange,
    responses(
        (status = 200, description = "The office after the change", body = AdminOfficeView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: `expected_version` is not the current version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body` or `rule-violated` (name 1 to 120, address 1 to 200 characters)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_profile(
    State(state): State<AppState>,
    principal: Principal,
    Path(office): Path<String>,
    request: Result<Json<ProfileChange>, ApiError>,
) -> Result<Json<AdminOfficeView>, ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let office = office_id(&office)?;
    let request = body(request)?;
    let command = OfficeCommand::ChangeProfile {
        name: request.name,
        address: request.address,
        actor: actor_of(&principal),
        at: Utc::now(),
    };
    change(&state, &office, request.expected_version, command).await
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/offices/{office}/opening-hours",
    tag = "admin",
    params(("office" = String, Path, description = "The office id", example = "potsdam-mitte")),
    request_body = HoursChange,
    responses(
        (status = 200, description = "The office after the change; days nobody has booked yet open with the new hours", body = AdminOfficeView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: `expected_version` is not the current version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body` (times are HH:MM, days mon to sun) or `rule-violated` (overlapping or inverted intervals, grid 5 to 240)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_opening_hours(
    State(state): State<AppState>,
    principal: Principal,
    Path(office): Path<String>,
    request: Result<Json<HoursChange>, ApiError>,
) -> Result<Json<AdminOfficeView>, ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let office = office_id(&office)?;
    let request = body(request)?;
    let weekly = hours::parse(request.hours)?;
    let slot_minutes = match request.slot_minutes {
        Some(minutes) => minutes,
        None => load(&state, &office).await?.0.slot_minutes(),
    };
    let command = OfficeCommand::SetOpeningHours {
        hours: weekly,
        slot_minutes,
        actor: actor_of(&principal),
        at: Utc::now(),
    };
    change(&state, &office, request.expected_version, command).await
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/offices/{office}/seats",
    tag = "admin",
    params(("office" = String, Path, description = "The office id", example = "potsdam-mitte")),
    request_body = SeatsChange,
    responses(
        (status = 200, description = "The office after the change; days nobody has booked yet open with the new seats", body = AdminOfficeView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: `expected_version` is not the current version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body` or `rule-violated` (seats 1 to 500)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_seats(
    State(state): State<AppState>,
    principal: Principal,
    Path(office): Path<String>,
    request: Result<Json<SeatsChange>, ApiError>,
) -> Result<Json<AdminOfficeView>, ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let office = office_id(&office)?;
    let request = body(request)?;
    let command = OfficeCommand::SetSeats {
        seats: request.seats,
        actor: actor_of(&principal),
        at: Utc::now(),
    };
    change(&state, &office, request.expected_version, command).await
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/offices/{office}/closed-days",
    tag = "admin",
    params(("office" = String, Path, description = "The office id", example = "potsdam-mitte")),
    request_body = CloseDay,
    responses(
        (status = 200, description = "The office after the change; the date shows no free slots and takes no bookings", body = AdminOfficeView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: `expected_version` is not the current version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body` (date is YYYY-MM-DD) or `rule-violated`: already closed, a bad reason, or booked appointments that day (the detail gives their number; cancel or move them first)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn close_day(
    State(state): State<AppState>,
    principal: Principal,
    Path(office): Path<String>,
    request: Result<Json<CloseDay>, ApiError>,
) -> Result<Json<AdminOfficeView>, ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let office = office_id(&office)?;
    let request = body(request)?;
    let date = parse_day(&request.date)
        .ok_or_else(|| ApiError::InvalidBody("date: expected YYYY-MM-DD".into()))?;
    let (office_state, version) = load(&state, &office).await?;
    check_version(request.expected_version, version)?;
    let now = Utc::now();
    // The day's schedule decides first, under the same lock and expected version as booking:
    // it refuses to close while a seat is booked, and refuses every booking once closed. So a
    // booking racing this request either lands first (and the close is refused) or is refused.
    let closed = state
        .booking
        .schedules
        .execute(
            &ScheduleId::new(office.clone(), date),
            office_state.day_setup(date).as_ref(),
            ScheduleCommand::CloseDay {
                actor: actor_of(&principal),
                at: now,
            },
            now,
        )
        .await;
    match closed {
        // Closed by an earlier attempt whose office change did not land, or a day the weekly
        // hours never open: nothing can be booked on it either way.
        Ok(_)
        | Err(CommandError::Rejected(ScheduleError::DayClosed | ScheduleError::DayNotOpened)) => {}
        Err(CommandError::Rejected(ScheduleError::DayHasBookings { booked })) => {
            return Err(ApiError::RuleViolated(format!(
                "{booked} appointment(s) are booked at this office on {date}; cancel or move \
                 them before closing the day"
            )))
        }
        Err(error) => return Err(crate::booking::schedule_error(error)),
    }
    let command = OfficeCommand::CloseDay {
        date,
        reason: request.reason,
        actor: actor_of(&principal),
        at: now,
    };
    change(&state, &office, request.expected_version, command).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/offices/{office}/closed-days/{date}",
    tag = "admin",
    params(
        ("office" = String, Path, description = "The office id", example = "potsdam-mitte"),
        ("date" = String, Path, description = "The closed date, YYYY-MM-DD", example = "2026-12-24"),
        VersionQuery,
    ),
    responses(
        (status = 200, description = "The office after the change; the date opens with the weekly hours again", body = AdminOfficeView),
        (status = 400, description = "`bad-request`: not an office id or not a date", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: `expected_version` is not the current version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`: the date is not closed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reopen_day(
    State(state): State<AppState>,
    principal: Principal,
    Path((office, date)): Path<(String, String)>,
    Query(query): Query<VersionQuery>,
) -> Result<Json<AdminOfficeView>, ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let office = office_id(&office)?;
    let date = parse_day(&date)
        .ok_or_else(|| ApiError::InvalidParameter("date: expected YYYY-MM-DD".into()))?;
    let (_, version) = load(&state, &office).await?;
    check_version(query.expected_version, version)?;
    let now = Utc::now();
    // The schedule opens first: should the office change fail, the office still refuses the
    // day, so the two never disagree in the direction that books a closed day.
    let reopened = state
        .booking
        .schedules
        .execute(
            &ScheduleId::new(office.clone(), date),
            None,
            ScheduleCommand::ReopenDay {
                actor: actor_of(&principal),
                at: now,
            },
            now,
        )
        .await;
    match reopened {
        Ok(_)
        | Err(CommandError::Rejected(ScheduleError::NotClosed | ScheduleError::DayNotOpened)) => {}
        Err(error) => return Err(crate::booking::schedule_error(error)),
    }
    let command = OfficeCommand::ReopenDay {
        date,
        actor: actor_of(&principal),
        at: now,
    };
    change(&state, &office, query.expected_version, command).await
}
