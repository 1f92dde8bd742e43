//! `GET /api/v1/bookings/challenge` (a proof-of-work challenge) and `POST /api/v1/bookings`
//! (book a video appointment; answers with the case reference and the capability link).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::case::{Contact, Language};
use domain::{OfficeId, ServiceKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::booking::{reference, NewBooking};
use crate::extract;
use crate::problems::Problem;
use crate::{ApiError, AppState};

/// A proof-of-work challenge.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Challenge {
    /// Send it back unchanged with the booking.
    pub challenge: String,
    /// Find a `nonce` (1 to 64 letters or digits) such that `SHA-256("<challenge>:<nonce>")`
    /// starts with this many zero bits.
    pub bits: u8,
    pub expires_at: DateTime<Utc>,
}

#[utoipa::path(
    get,
    path = "/api/v1/bookings/challenge",
    tag = "booking",
    responses((status = 200, description = "A challenge valid for ten minutes, for one booking", body = Challenge))
)]
pub async fn challenge(
    State(state): State<AppState>,
) -> ([(header::HeaderName, &'static str); 1], Json<Challenge>) {
    let now = Utc::now();
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(Challenge {
            challenge: state.booking.pow.issue(now),
            bits: state.booking.pow.bits(),
            expires_at: now + crate::booking::pow::CHALLENGE_LIFETIME,
        }),
    )
}

/// How to reach the citizen. Stored encrypted; never logged.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    #[schema(example = "Erika Mustermann")]
    pub name: String,
    #[schema(example = "erika.mustermann@example.org")]
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// `de` or `en`: the language of messages.
    #[schema(value_type = String, example = "de")]
    pub language: Language,
}

/// A solved challenge.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    pub challenge: String,
    pub nonce: String,
}

/// A booking request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    #[schema(example = "wohnsitz_anmeldung")]
    pub service: String,
    #[schema(example = "potsdam-mitte")]
    pub office: String,
    /// Office wall-clock time, `YYYY-MM-DDTHH:MM`, one of the free slots.
    #[schema(example = "2026-11-25T10:30")]
    pub start: String,
    pub contact: ContactInput,
    pub proof: Proof,
}

/// The booked appointment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentView {
    #[schema(value_type = String, example = "2026-11-25T10:30:00")]
    pub start: NaiveDateTime,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: u32,
}

impl From<&domain::case::Appointment> for AppointmentView {
    fn from(a: &domain::case::Appointment) -> Self {
        Self {
            start: a.local_start,
            starts_at: a.starts_at,
            duration_minutes: a.duration_minutes,
        }
    }
}

/// A recorded booking. `access_token` and the links are shown once: only their hash is stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingConfirmation {
    pub case_id: String,
    /// A short reference for phone calls and letters.
    pub reference: String,
    pub service: String,
    pub office: String,
    pub appointment: AppointmentView,
    /// Opens this case: `Authorization: Bearer <access_token>`.
    pub access_token: String,
    pub appointment_link: String,
    pub cancel_link: String,
}

/// The contact as given, trimmed; an empty phone number is none.
pub(crate) fn contact_of(input: ContactInput) -> Contact {
    Contact {
        name: input.name.trim().to_owned(),
        email: input.email.trim().to_owned(),
        phone: input
            .phone
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
        language: input.language,
    }
}

/// Parses `YYYY-MM-DDTHH:MM` (seconds `:00` allowed), nothing else.
pub fn parse_local_start(text: &str) -> Option<NaiveDateTime> {
    let trimmed = text
        .strip_suffix(":00")
        .filter(|t| t.len() == 16)
        .unwrap_or(text);
    let shape_ok = trimmed.len() == 16
        && trimmed.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 => b == b':',
            _ => b.is_ascii_digit(),
        });
    shape_ok
        .then(|| NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M").ok())
        .flatten()
}

#[utoipa::path(
    post,
    path = "/api/v1/bookings",
    tag = "booking",
    request_body = BookingRequest,
    responses(
        (status = 201, description = "Booked; the case is open and the appointment recorded", body = BookingConfirmation),
        (status = 400, description = "`bad-request`, `malformed-body` or `proof-of-work`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slot-taken`: someone else was faster", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body`, `rule-violated`, `not-bookable-by-video` or `open-booking-limit`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too-many-requests`; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn book(
    State(state): State<AppState>,
    extract::ClientAddr(client): extract::ClientAddr,
    extract::Json(request): extract::Json<BookingRequest>,
) -> Result<(StatusCode, HeaderMap, Json<BookingConfirmation>), ApiError> {
    let now = Utc::now();
    let key = ServiceKey::parse(request.service)
        .map_err(|e| ApiError::InvalidParameter(format!("service: {e}")))?;
    let service = state
        .catalogue
        .current()
        .await?
        .get(&key)
        .ok_or_else(|| ApiError::InvalidParameter("service: no such service".into()))?
        .clone();
    let office = OfficeId::parse(request.office)
        .map_err(|e| ApiError::InvalidParameter(format!("office: {e}")))?;
    let start = parse_local_start(&request.start)
        .ok_or_else(|| ApiError::InvalidParameter("start: expected YYYY-MM-DDTHH:MM".into()))?;
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
    let booked = state
        .booking
        .book(
            NewBooking {
                service: service.clone(),
                office: office.clone(),
                start,
                contact,
            },
            now,
        )
        .await?;
    let headers = created_case_headers();
    Ok((
        StatusCode::CREATED,
        headers,
        Json(BookingConfirmation {
            case_id: booked.case_id.to_string(),
            reference: reference(booked.case_id),
            service: key.as_str().to_owned(),
            office: office.as_str().to_owned(),
            appointment: AppointmentView::from(&booked.appointment),
            access_token: booked.token.expose().to_owned(),
            appointment_link: booked.token.appointment_link(&state.public_url),
            cancel_link: booked.token.cancel_link(&state.public_url),
        }),
    ))
}

/// The headers of a reply that opened a case for a citizen: where the case is read
/// (`Location: /api/v1/my-case`) and `no-store`, because the body carries the capability token.
pub(crate) fn created_case_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::LOCATION,
        header::HeaderValue::from_static("/api/v1/my-case"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    headers
}

#[cfg(test)]
mod tests {
    use super::parse_local_start;

    #[test]
    fn a_start_is_exactly_a_local_date_and_minute() {
        assert!(parse_local_start("2026-11-25T10:30").is_some());
        assert!(parse_local_start("2026-11-25T10:30:00").is_some());
        for bad in [
            "2026-11-25 10:30",
            "2026-11-25T10:30:15",
            "2026-11-25T1030",
            "+2026-11-25T10:30",
            "2026-11-25T25:00",
            "2026-11-25T10:30Z",
            "",
        ] {
            assert!(parse_local_start(bad).is_none(), "{bad}");
        }
    }
}
