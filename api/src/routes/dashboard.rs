//! The clerks' dashboard of one office day: `GET /api/v1/offices/{office}/dashboard/{date}` (the
//! day's cases with counts per state) and `GET …/dashboard/{date}/stream` (Server-Sent Events:
//! `snapshot`, then `case` per change, `id` = the change's global position, a fresh `snapshot`
//! after falling behind, a keep-alive comment every 15 s). Staff only, like the queue.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use chrono::NaiveDate;
use domain::OfficeId;
use futures::{Stream, StreamExt};

use crate::auth::{require, Operation, Principal};
use crate::extract::Path;
use crate::live::dashboard::{self, Dashboard, DashboardMessage, OnLag};
use crate::problems::Problem;
use crate::routes::queue::parse_day;
use crate::{ApiError, AppState};

/// How often an idle stream sends a comment, so proxies and browsers keep it open.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The office and day of the path, checked, and the caller allowed to see them.
fn office_day(
    office: String,
    date: &str,
    principal: Result<Principal, ApiError>,
) -> Result<(OfficeId, NaiveDate, Principal), ApiError> {
    let office =
        OfficeId::parse(office).map_err(|e| ApiError::InvalidParameter(format!("office: {e}")))?;
    let day = parse_day(date)
        .ok_or_else(|| ApiError::InvalidParameter("date: expected YYYY-MM-DD".into()))?;
    // Bad parameters are named before the caller is checked: a 400 tells nothing about access.
    let principal = principal?;
    require(&principal, Operation::ViewOfficeQueue, Some(&office), None)?;
    Ok((office, day, principal))
}

#[utoipa::path(
    get,
    path = "/api/v1/offices/{office}/dashboard/{date}",
    tag = "waiting-room",
    params(
        ("office" = String, Path, description = "The office id", example = "potsdam-mitte"),
        ("date" = chrono::NaiveDate, Path, description = "The office's local day, `YYYY-MM-DD`", example = "2026-11-24"),
    ),
    responses(
        (status = 200, description = "The day's cases in appointment order with counts per state; no personal data", body = Dashboard),
        (status = 400, description = "`bad-request` or `malformed-path`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no staff session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: a clerk of another office, or a citizen", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dashboard_of_day(
    State(state): State<AppState>,
    Path((office, date)): Path<(String, String)>,
    principal: Result<Principal, ApiError>,
) -> Result<Json<Dashboard>, ApiError> {
    let (office, day, _) = office_day(office, &date, principal)?;
    let dashboard = dashboard::snapshot(state.backend.read_models.as_ref(), &office, day).await?;
    Ok(Json(dashboard))
}

#[utoipa::path(
    get,
    path = "/api/v1/offices/{office}/dashboard/{date}/stream",
    tag = "waiting-room",
    params(
        ("office" = String, Path, description = "The office id", example = "potsdam-mitte"),
        ("date" = chrono::NaiveDate, Path, description = "The office's local day, `YYYY-MM-DD`", example = "2026-11-24"),
    ),
    responses(
        (status = 200, description = "Server-Sent Events: `snapshot` (data: the dashboard JSON), then `case` (data: one CaseSummary; `id`: its global position) for every change of that day; a case whose appointment is no longer on this day has left it; after falling behind, a fresh `snapshot`; a comment every 15 s", body = String, content_type = "text/event-stream"),
        (status = 400, description = "`bad-request` or `malformed-path`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no staff session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: a clerk of another office, or a citizen", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dashboard_stream(
    State(state): State<AppState>,
    Path((office, date)): Path<(String, String)>,
    principal: Result<Principal, ApiError>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (office, day, principal) = office_day(office, &date, principal)?;
    let session = match &principal {
        Principal::Staff { session, .. } => Some(session.token_hash),
        _ => None,
    };
    let events =
        dashboard::follow(state, office, day, OnLag::Resync, session).filter_map(|message| {
            std::future::ready(match message {
                DashboardMessage::Snapshot(dashboard) => serde_json::to_string(&dashboard)
                    .ok()
                    .map(|data| Ok(Event::default().event("snapshot").data(data))),
                DashboardMessage::Case { position, case } => {
                    serde_json::to_string(&case).ok().map(|data| {
                        Ok(Event::default()
                            .event("case")
                            .id(position.to_string())
                            .data(data))
                    })
                }
            })
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}
