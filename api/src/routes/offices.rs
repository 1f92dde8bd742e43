//! `GET /api/v1/offices` (the offices with their hours) and
//! `GET /api/v1/offices/{office}/slots?service=…&date=…` (free video appointment starts).

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::{OfficeId, ServiceKey};
use projections::offices::{self, OfficeView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::booking::duration_of;
use crate::extract::{Path, Query};
use crate::local_time::to_utc;
use crate::problems::Problem;
use crate::routes::queue::parse_day;
use crate::{ApiError, AppState};

#[utoipa::path(
    get,
    path = "/api/v1/offices",
    tag = "booking",
    responses((status = 200, description = "Every registered office, ordered by id", body = Vec<OfficeView>))
)]
pub async fn list_offices(
    State(state): State<AppState>,
) -> Result<Json<Vec<OfficeView>>, ApiError> {
    Ok(Json(
        offices::list(state.backend.read_models.as_ref()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// The service key.
    #[param(example = "wohnsitz_anmeldung")]
    pub service: String,
    /// The office's local day, `YYYY-MM-DD`.
    #[param(example = "2026-11-25")]
    pub date: String,
}

/// One free appointment start.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FreeSlot {
    /// Office wall-clock time.
    #[schema(value_type = String, example = "2026-11-25T10:30:00")]
    pub start: NaiveDateTime,
    pub starts_at: DateTime<Utc>,
    pub seats_left: u32,
}

/// The free starts of one service on one day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Slots {
    pub office: String,
    pub service: String,
    #[schema(value_type = String, example = "2026-11-25")]
    pub date: chrono::NaiveDate,
    pub duration_minutes: u32,
    pub slots: Vec<FreeSlot>,
}

#[utoipa::path(
    get,
    path = "/api/v1/offices/{office}/slots",
    tag = "booking",
    params(
        ("office" = String, Path, description = "The office id", example = "potsdam-mitte"),
        SlotQuery,
    ),
    responses(
        (status = 200, description = "Free starts within the booking window; empty when closed", body = Slots),
        (status = 400, description = "`bad-request` or `malformed-query`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such office or service", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`not-bookable-by-video`: the service needs a visit in person", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn free_slots(
    State(state): State<AppState>,
    Path(office): Path<String>,
    Query(query): Query<SlotQuery>,
) -> Result<Json<Slots>, ApiError> {
    let office_id =
        OfficeId::parse(office).map_err(|e| ApiError::InvalidParameter(format!("office: {e}")))?;
    let key = ServiceKey::parse(query.service)
        .map_err(|e| ApiError::InvalidParameter(format!("service: {e}")))?;
    let date = parse_day(&query.date)
        .ok_or_else(|| ApiError::InvalidParameter("date: expected YYYY-MM-DD".into()))?;
    let catalogue = state.catalogue.current().await?;
    let service = catalogue.get(&key).ok_or(ApiError::NotFound)?;
    if !service.video_allowed() {
        return Err(ApiError::NotBookable(crate::booking::not_bookable_reason(
            service,
        )));
    }
    let office = state
        .booking
        .office(&office_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let free = state
        .booking
        .free_slots(&office, service, date, Utc::now())
        .await?;
    Ok(Json(Slots {
        office: office_id.as_str().to_owned(),
        service: key.as_str().to_owned(),
        date,
        duration_minutes: duration_of(service),
        slots: free
            .into_iter()
            .map(|(start, seats_left)| FreeSlot {
                start,
                starts_at: to_utc(start),
                seats_left,
            })
            .collect(),
    }))
}
