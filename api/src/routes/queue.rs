//! `GET /api/v1/offices/{office}/queue/{date}`: an office's cases of one day from the
//! `case_summary` read model, in appointment order. No personal data.

use axum::extract::{Path, State};
use axum::Json;
use chrono::NaiveDate;
use domain::OfficeId;
use projections::case_summary::{self, CaseSummary};

use crate::{ApiError, AppState};

pub async fn queue_of_day(
    State(state): State<AppState>,
    Path((office, date)): Path<(String, String)>,
) -> Result<Json<Vec<CaseSummary>>, ApiError> {
    let office =
        OfficeId::parse(office).map_err(|e| ApiError::BadRequest(format!("office: {e}")))?;
    let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| ApiError::BadRequest("date: expected YYYY-MM-DD".into()))?;
    let cases = case_summary::queue(state.backend.read_models.as_ref(), &office, day).await?;
    Ok(Json(cases))
}
