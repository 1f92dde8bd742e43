//! `POST /api/v1/waitlist` (wait in line for a seat on a full day; answers with the case
//! reference, the place in line and the capability link) and
//! `GET /api/v1/offices/{office}/waitlist/{date}` (staff: how many wait, per service).
//! The line itself is served by [`crate::booking::waitlist_follower`].

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{NaiveDate, Utc};
use domain::{OfficeId, ServiceKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{require, Operation, Principal};
use crate::booking::reference;
use crate::booking::waitlist::NewWaitlistEntry;
use crate::extract::{self, Path};
use crate::problems::Problem;
use crate::routes::bookings::{contact_of, ContactInput, Proof};
use crate::routes::queue::parse_day;
use crate::{ApiError, AppState};

/// A request to wait for a seat on a full day: a booking request with a day instead of a time.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitlistRequest {
    #[schema(example = "wohnsitz_anmeldung")]
    pub service: String,
    #[schema(example = "potsdam-mitte")]
    pub office: String,
    /// The office's local day, `YYYY-MM-DD`; it must have no free slot for the service.
    #[schema(example = "2026-11-25")]
    pub date: String,
    pub contact: ContactInput,
    pub proof: Proof,
}

/// A recorded place in line. `access_token` and the link are shown once: only their hash is
/// stored. When a seat frees up it is booked into this case and confirmed by e-mail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitlistConfirmation {
    pub case_id: String,
    pub reference: String,
    pub service: String,
    pub office: String,
    #[schema(value_type = String, example = "2026-11-25")]
    pub date: NaiveDate,
    /// 1 for the first in line.
    pub position: u32,
    /// Opens this case: `Authorization: Bearer <access_token>`.
    pub access_token: String,
    pub appointment_link: String,
    /// Leaves the line.
    pub cancel_link: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/waitlist",
    tag = "booking",
    request_body = WaitlistRequest,
    responses(
        (status = 201, description = "In line; the case is open and waits for a seat", body = WaitlistConfirmation),
        (status = 400, description = "`bad-request`, `malformed-body` or `proof-of-work`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slots-available`: the day still has free slots; book one", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body`, `rule-violated`, `not-bookable-by-video` or `open-booking-limit`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too-many-requests`; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn join(
    State(state): State<AppState>,
    extract::ClientAddr(client): extract::ClientAddr,
    extract::Json(request): extract::Json<WaitlistRequest>,
) -> Result<(StatusCode, HeaderMap, Json<WaitlistConfirmation>), ApiError> {
    let now = Utc::now();
    let key = ServiceKey::parse(request.service)
        .map_err(|e| ApiError::InvalidParameter(format!("service: {e}")))?;
    let catalogue = state.catalogue.current().await?;
    let service = catalogue
        .get(&key)
        .ok_or_else(|| ApiError::InvalidParameter("service: no such service".into()))?
        .clone();
    let office = OfficeId::parse(request.office)
        .map_err(|e| ApiError::InvalidParameter(format!("office: {e}")))?;
    let date = parse_day(&request.date)
        .ok_or_else(|| ApiError::InvalidParameter("date: expected YYYY-MM-DD".into()))?;
    if !service.video_allowed() {
        return Err(ApiError::NotBookable(crate::booking::not_bookable_reason(
            &service,
        )));
    }
    state
        .booking
        .pow
        .verify(&request.proof.challenge, &request.proof.nonce, now)
        .map_err(|e| ApiError::ProofOfWork(e.to_string()))?;
    let contact = contact_of(request.contact);
    state.booking.check_rate(&client, &contact.email)?;
    let joined = state
        .booking
        .join_waitlist(
            NewWaitlistEntry {
                service,
                office: office.clone(),
                date,
                contact,
            },
            now,
        )
        .await?;
    let headers = crate::routes::bookings::created_case_headers();
    Ok((
        StatusCode::CREATED,
        headers,
        Json(WaitlistConfirmation {
            case_id: joined.case_id.to_string(),
            reference: reference(joined.case_id),
            service: key.as_str().to_owned(),
            office: office.as_str().to_owned(),
            date,
            position: joined.position,
            access_token: joined.token.expose().to_owned(),
            appointment_link: joined.token.appointment_link(&state.public_url),
            cancel_link: joined.token.cancel_link(&state.public_url),
        }),
    ))
}

/// How many wait in line for one office day; no personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitlistCounts {
    pub office: String,
    #[schema(value_type = String, example = "2026-11-25")]
    pub date: NaiveDate,
    /// Everyone still waiting.
    pub waiting: u32,
    /// Waiting per service key.
    pub by_service: BTreeMap<String, u32>,
    /// Given a seat from the line so far.
    pub served: u32,
}

#[utoipa::path(
    get,
    path = "/api/v1/offices/{office}/waitlist/{date}",
    tag = "queue",
    params(
        ("office" = String, Path, description = "The office id: 1 to 64 of `a-z 0-9 - _`", example = "potsdam-mitte"),
        ("date" = chrono::NaiveDate, Path, description = "The office's local day, `YYYY-MM-DD`", example = "2026-11-25"),
    ),
    responses(
        (status = 200, description = "How many wait in line, per service", body = WaitlistCounts),
        (status = 400, description = "`bad-request` or `malformed-path`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no staff session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: a clerk of another office, or a citizen", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn counts(
    State(state): State<AppState>,
    Path((office, date)): Path<(String, String)>,
    principal: Result<Principal, ApiError>,
) -> Result<Json<WaitlistCounts>, ApiError> {
    let office =
        OfficeId::parse(office).map_err(|e| ApiError::InvalidParameter(format!("office: {e}")))?;
    let date = parse_day(&date)
        .ok_or_else(|| ApiError::InvalidParameter("date: expected YYYY-MM-DD".into()))?;
    require(&principal?, Operation::ViewOfficeQueue, Some(&office), None)?;
    let line = state.booking.waitlist(&office, date).await?;
    let mut by_service = BTreeMap::new();
    for entry in line.pending() {
        *by_service
            .entry(entry.service.as_str().to_owned())
            .or_insert(0u32) += 1;
    }
    Ok(Json(WaitlistCounts {
        office: office.as_str().to_owned(),
        date,
        waiting: u32::try_from(line.pending().len()).unwrap_or(u32::MAX),
        by_service,
        served: u32::try_from(line.served().len()).unwrap_or(u32::MAX),
    }))
}
