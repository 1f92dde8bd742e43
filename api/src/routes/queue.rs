//! `GET /api/v1/offices/{office}/queue/{date}`: an office's cases of one day from the
//! `case_summary` read model, in appointment order. No personal data. Staff only: clerks of
//! that office, auditors, planners and admins (see [`crate::auth::authz`]).

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use domain::OfficeId;
use projections::case_summary::{self, CaseSummary};

use crate::auth::{require, Operation, Principal};
use crate::extract::Path;
use crate::problems::Problem;
use crate::{ApiError, AppState};

#[utoipa::path(
    get,
    path = "/api/v1/offices/{office}/queue/{date}",
    tag = "queue",
    params(
        ("office" = String, Path, description = "The office id: 1 to 64 of `a-z 0-9 - _`", example = "potsdam-mitte"),
        ("date" = chrono::NaiveDate, Path, description = "The office's local day, `YYYY-MM-DD`", example = "2026-11-24"),
    ),
    responses(
        (status = 200, description = "The office's cases of that day in appointment order; no personal data", body = Vec<CaseSummary>),
        (status = 400, description = "`bad-request` or `malformed-path`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no staff session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: a clerk of another office, or a citizen", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn queue_of_day(
    State(state): State<AppState>,
    Path((office, date)): Path<(String, String)>,
    principal: Result<Principal, ApiError>,
) -> Result<Json<Vec<CaseSummary>>, ApiError> {
    let office =
        OfficeId::parse(office).map_err(|e| ApiError::InvalidParameter(format!("office: {e}")))?;
    let day = parse_day(&date)
        .ok_or_else(|| ApiError::InvalidParameter("date: expected YYYY-MM-DD".into()))?;
    // Bad parameters are named before the caller is checked: a 400 tells nothing about access.
    require(&principal?, Operation::ViewOfficeQueue, Some(&office), None)?;
    let cases = case_summary::queue(state.backend.read_models.as_ref(), &office, day).await?;
    Ok(Json(cases))
}

/// A calendar day written exactly as `YYYY-MM-DD` (chrono alone also takes `26-11-24`,
/// `+2026-11-24` and `-0001-01-01`).
pub(crate) fn parse_day(text: &str) -> Option<NaiveDate> {
    let shape_ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shape_ok
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::parse_day;

    #[test]
    fn a_day_is_exactly_yyyy_mm_dd() {
        assert!(parse_day("2026-11-24").is_some());
        for bad in [
            "26-11-24",
            "+2026-11-24",
            "-0001-01-01",
            "2026-11-4",
            "2026-02-30",
            "2026-11-24 ",
            "２０２６-11-24",
        ] {
            assert!(parse_day(bad).is_none(), "{bad}");
        }
    }
}
