//! The catalogue of RFC 9457 problem types: every `type` URI this API ever answers with, in one
//! place. A type is a contract with clients: its slug, status and meaning never change; a new
//! meaning gets a new entry. [`crate::ApiError`] picks one of these for every error it maps.

use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// The prefix of every problem type URI.
pub const TYPE_BASE: &str = "https://buergeramt.example/problems/";

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One kind of problem. The documentation of each variant is what its `type` URI means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemType {
    /// 400: a parameter is well-formed HTTP but not a valid value (an office id with characters
    /// outside `a-z 0-9 - _`, a date that is not `YYYY-MM-DD`). `detail` names the parameter.
    BadRequest,
    /// 400: the path parameters cannot be decoded (invalid percent-encoding, not UTF-8, wrong
    /// number of segments).
    MalformedPath,
    /// 400: the query string cannot be decoded into the parameters the endpoint takes.
    MalformedQuery,
    /// 400: the request body is not syntactically valid JSON.
    MalformedBody,
    /// 422: the request body is valid JSON but not of the shape the endpoint takes.
    InvalidBody,
    /// 415: the endpoint takes a body of another media type (JSON endpoints need
    /// `Content-Type: application/json`).
    UnsupportedMediaType,
    /// 404: the addressed resource does not exist (the endpoint does).
    NotFound,
    /// 404: no endpoint has this path. The OpenAPI document lists every endpoint.
    UnknownRoute,
    /// 405: the endpoint exists but not for this method; the `Allow` header lists the methods.
    MethodNotAllowed,
    /// 413: the request body is larger than the limit (`BUERGERAMT_MAX_BODY_BYTES`).
    PayloadTooLarge,
    /// 409: the resource changed since it was read (a concurrent change); read it again.
    Conflict,
    /// 409: the chosen time was taken by someone else meanwhile; pick another free slot.
    SlotTaken,
    /// 409: the waitlist is only for full days, and this day still has a free slot for the
    /// service; book one of the free slots instead.
    SlotsAvailable,
    /// 422: a business rule refused the request (e.g. an appointment in the past, a check-in on
    /// the wrong day); `detail` states the rule.
    RuleViolated,
    /// 422: the service cannot be booked by video because the law requires a personal visit
    /// (ID card, passport); `detail` gives the legal reason and the in-person route.
    NotBookable,
    /// 429: too many requests from this client or for this e-mail address; `Retry-After` says
    /// when to try again.
    TooManyRequests,
    /// 401: the capability link (`Authorization: Bearer …`) is malformed, unknown or revoked.
    InvalidAccessLink,
    /// 400: the booking's proof of work is missing, wrong, expired or already used; fetch a new
    /// challenge from `GET /api/v1/bookings/challenge`.
    ProofOfWork,
    /// 422: the e-mail address already holds the maximum number of open bookings.
    OpenBookingLimit,
    /// 503: the request took longer than the limit (`BUERGERAMT_REQUEST_TIMEOUT_SECS`) and was
    /// abandoned; an idempotent request may be retried.
    Timeout,
    /// 503: the service is not ready (its store does not answer, or a read model stopped).
    NotReady,
    /// 500: an unexpected error; the cause is logged, never sent.
    Internal,
    /// 400: a state-changing request (POST, PUT, PATCH, DELETE under `/api/`) has no
    /// `Idempotency-Key` header. Send a fresh random key (a UUID) per intended change.
    IdempotencyKeyMissing,
    /// 400: the `Idempotency-Key` is not 1 to 255 visible ASCII characters, or is sent twice.
    IdempotencyKeyInvalid,
    /// 422: the `Idempotency-Key` was used before with another request (method, path, content
    /// type or body). Use a new key for a new change.
    IdempotencyKeyReused,
    /// 409: the first request with this `Idempotency-Key` is still running; retry after
    /// `Retry-After` seconds to get its reply.
    IdempotencyKeyInUse,
    /// 401: the request needs a logged-in staff member or a citizen's capability link, and
    /// carries neither (or an expired or revoked one).
    Unauthenticated,
    /// 403: the caller is known but may not do this (wrong role, another office, another case).
    Forbidden,
    /// 401: the username or the password is wrong, or the account is disabled. One answer for
    /// all three, so it does not tell which usernames exist.
    LoginFailed,
    /// 403: a state change carried the session cookie but not the proof that it comes from this
    /// site's own pages (`Content-Type: application/json` and a same-origin `Origin` or
    /// `Sec-Fetch-Site`).
    CsrfRejected,
}

impl ProblemType {
    /// Every problem type, for documentation and tests.
    pub const ALL: [ProblemType; 30] = [
        ProblemType::BadRequest,
        ProblemType::MalformedPath,
        ProblemType::MalformedQuery,
        ProblemType::MalformedBody,
        ProblemType::InvalidBody,
        ProblemType::UnsupportedMediaType,
        ProblemType::NotFound,
        ProblemType::UnknownRoute,
        ProblemType::MethodNotAllowed,
        ProblemType::PayloadTooLarge,
        ProblemType::Conflict,
        ProblemType::SlotTaken,
        ProblemType::SlotsAvailable,
        ProblemType::RuleViolated,
        ProblemType::NotBookable,
        ProblemType::TooManyRequests,
        ProblemType::InvalidAccessLink,
        ProblemType::ProofOfWork,
        ProblemType::OpenBookingLimit,
        ProblemType::Timeout,
        ProblemType::NotReady,
        ProblemType::Internal,
        ProblemType::IdempotencyKeyMissing,
        ProblemType::IdempotencyKeyInvalid,
        ProblemType::IdempotencyKeyReused,
        ProblemType::IdempotencyKeyInUse,
        ProblemType::Unauthenticated,
        ProblemType::Forbidden,
        ProblemType::LoginFailed,
        ProblemType::CsrfRejected,
    ];

    /// The last segment of the type URI.
    pub const fn slug(self) -> &'static str {
        match self {
            ProblemType::BadRequest => "bad-request",
            ProblemType::MalformedPath => "malformed-path",
            ProblemType::MalformedQuery => "malformed-query",
            ProblemType::MalformedBody => "malformed-body",
            ProblemType::InvalidBody => "invalid-body",
            ProblemType::UnsupportedMediaType => "unsupported-media-type",
            ProblemType::NotFound => "not-found",
            ProblemType::UnknownRoute => "unknown-route",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::PayloadTooLarge => "payload-too-large",
            ProblemType::Conflict => "conflict",
            ProblemType::SlotTaken => "slot-taken",
            ProblemType::SlotsAvailable => "slots-available",
            ProblemType::RuleViolated => "rule-violated",
            ProblemType::NotBookable => "not-bookable-by-video",
            ProblemType::TooManyRequests => "too-many-requests",
            ProblemType::InvalidAccessLink => "invalid-access-link",
            ProblemType::ProofOfWork => "proof-of-work",
            ProblemType::OpenBookingLimit => "open-booking-limit",
            ProblemType::Timeout => "timeout",
            ProblemType::NotReady => "not-ready",
            ProblemType::Internal => "internal",
            ProblemType::IdempotencyKeyMissing => "idempotency-key-missing",
            ProblemType::IdempotencyKeyInvalid => "idempotency-key-invalid",
            ProblemType::IdempotencyKeyReused => "idempotency-key-reused",
            ProblemType::IdempotencyKeyInUse => "idempotency-key-in-use",
            ProblemType::Unauthenticated => "unauthenticated",
            ProblemType::Forbidden => "forbidden",
            ProblemType::LoginFailed => "login-failed",
            ProblemType::CsrfRejected => "csrf-rejected",
        }
    }

    pub const fn status(self) -> StatusCode {
        match self {
            ProblemType::BadRequest
            | ProblemType::MalformedPath
            | ProblemType::MalformedQuery
            | ProblemType::MalformedBody => StatusCode::BAD_REQUEST,
            ProblemType::InvalidBody => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemType::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemType::NotFound | ProblemType::UnknownRoute => StatusCode::NOT_FOUND,
            ProblemType::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemType::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::Conflict | ProblemType::SlotTaken | ProblemType::SlotsAvailable => {
                StatusCode::CONFLICT
            }
            ProblemType::RuleViolated
            | ProblemType::NotBookable
            | ProblemType::OpenBookingLimit => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemType::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemType::InvalidAccessLink => StatusCode::UNAUTHORIZED,
            ProblemType::ProofOfWork => StatusCode::BAD_REQUEST,
            ProblemType::Timeout | ProblemType::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            ProblemType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemType::IdempotencyKeyMissing | ProblemType::IdempotencyKeyInvalid => {
                StatusCode::BAD_REQUEST
            }
            ProblemType::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemType::IdempotencyKeyInUse => StatusCode::CONFLICT,
            ProblemType::Unauthenticated | ProblemType::LoginFailed => StatusCode::UNAUTHORIZED,
            ProblemType::Forbidden | ProblemType::CsrfRejected => StatusCode::FORBIDDEN,
        }
    }

    /// A short, fixed summary (RFC 9457 `title`): the same for every occurrence.
    pub const fn title(self) -> &'static str {
        match self {
            ProblemType::BadRequest => "A parameter is not valid",
            ProblemType::MalformedPath => "The path cannot be decoded",
            ProblemType::MalformedQuery => "The query string cannot be decoded",
            ProblemType::MalformedBody => "The body is not valid JSON",
            ProblemType::InvalidBody => "The body does not have the expected shape",
            ProblemType::UnsupportedMediaType => "The body's media type is not supported",
            ProblemType::NotFound => "Not found",
            ProblemType::UnknownRoute => "No endpoint has this path",
            ProblemType::MethodNotAllowed => "The endpoint does not support this method",
            ProblemType::PayloadTooLarge => "The body is too large",
            ProblemType::Conflict => "The resource changed meanwhile",
            ProblemType::SlotTaken => "The slot is no longer free",
            ProblemType::SlotsAvailable => "The day still has free slots; book one",
            ProblemType::RuleViolated => "A rule does not allow this",
            ProblemType::NotBookable => "This service needs a visit in person",
            ProblemType::TooManyRequests => "Too many requests",
            ProblemType::InvalidAccessLink => "The access link is not valid",
            ProblemType::ProofOfWork => "The proof of work is not valid",
            ProblemType::OpenBookingLimit => "Too many open bookings",
            ProblemType::Timeout => "The request took too long",
            ProblemType::NotReady => "The service is not ready",
            ProblemType::Internal => "Internal error",
            ProblemType::IdempotencyKeyMissing => "The Idempotency-Key header is missing",
            ProblemType::IdempotencyKeyInvalid => "The Idempotency-Key header is not valid",
            ProblemType::IdempotencyKeyReused => "The Idempotency-Key was used for another request",
            ProblemType::IdempotencyKeyInUse => "A request with this Idempotency-Key is running",
            ProblemType::Unauthenticated => "Authentication is required",
            ProblemType::Forbidden => "Not allowed",
            ProblemType::LoginFailed => "Wrong username or password",
            ProblemType::CsrfRejected => "The request does not come from this site",
        }
    }

    /// The full `type` URI.
    pub fn uri(self) -> String {
        format!("{TYPE_BASE}{}", self.slug())
    }
}

/// An RFC 9457 problem body, as documented in the OpenAPI document. Bodies are built by
/// [`crate::ApiError`]; this type describes them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI from the problem catalogue, e.g. `https://buergeramt.example/problems/not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A fixed summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence (never on 5xx answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_problem_type_has_its_own_slug_and_an_error_status() {
        let slugs: HashSet<_> = ProblemType::ALL.iter().map(|p| p.slug()).collect();
        assert_eq!(slugs.len(), ProblemType::ALL.len());
        for p in ProblemType::ALL {
            assert!(p.status().is_client_error() || p.status().is_server_error());
            assert!(p.uri().starts_with(TYPE_BASE));
        }
    }
}
