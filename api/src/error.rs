//! The API's one error type, mapped to HTTP once, as RFC 9457 `application/problem+json` with a
//! `type` from the catalogue in [`crate::problems`]. Axum's own rejections (path, query, JSON
//! body) convert into it, so no answer of this service is a plain-text error.
//! 5xx bodies are opaque; their cause is logged (without personal data).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::problems::{Problem, ProblemType, PROBLEM_JSON};

/// The longest `detail` sent back; rejections can quote the input, which may be long.
const MAX_DETAIL_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    /// A parameter that is not a valid value; the text names the parameter and why.
    #[error("{0}")]
    InvalidParameter(String),
    #[error("malformed path: {0}")]
    MalformedPath(String),
    #[error("malformed query: {0}")]
    MalformedQuery(String),
    #[error("malformed body: {0}")]
    MalformedBody(String),
    #[error("invalid body: {0}")]
    InvalidBody(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("no endpoint has this path")]
    UnknownRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("conflict: {0}")]
    Conflict(String),
    /// The slot was taken by someone else.
    #[error("slot taken: {0}")]
    SlotTaken(String),
    /// The waitlist was asked for a day that still has free slots.
    #[error("slots available: {0}")]
    SlotsAvailable(String),
    /// A business rule refused the request; the text is the rule.
    #[error("{0}")]
    RuleViolated(String),
    /// The service cannot be booked by video; the text says why and what to do instead.
    #[error("{0}")]
    NotBookable(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The capability link is malformed, unknown or no longer valid.
    #[error("invalid access link")]
    InvalidAccessLink,
    #[error("proof of work: {0}")]
    ProofOfWork(String),
    #[error("open booking limit {0}")]
    OpenBookingLimit(u32),
    #[error("the request took longer than {seconds} s")]
    Timeout { seconds: u64 },
    /// The readiness check failed; the reason is logged, never sent.
    #[error("not ready: {0}")]
    NotReady(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// A state-changing request without an `Idempotency-Key` header.
    #[error("the Idempotency-Key header is missing")]
    IdempotencyKeyMissing,
    /// An `Idempotency-Key` that is not 1 to 255 visible ASCII characters (or is sent twice).
    #[error("the Idempotency-Key header is not valid")]
    IdempotencyKeyInvalid,
    /// The key was used before with another request (method, path, content type or body).
    #[error("the Idempotency-Key was used with another request")]
    IdempotencyKeyReused,
    /// The first request with this key is still running.
    #[error("a request with this Idempotency-Key is still running")]
    IdempotencyKeyInUse,
    /// No (live) session and no valid capability token.
    #[error("authentication is required")]
    Unauthenticated,
    /// The caller may not do this; why is never sent.
    #[error("forbidden")]
    Forbidden,
    /// Unknown user, wrong password or disabled account: one answer for all.
    #[error("login failed")]
    LoginFailed,
    /// A cookie-borne state change without same-origin proof.
    #[error("cross-site request refused")]
    CsrfRejected,
}

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> Self {
        match error {
            e @ store::StoreError::Conflict { .. } => ApiError::Conflict(e.to_string()),
            e @ store::StoreError::EventIdReused(_) => ApiError::Conflict(e.to_string()),
            store::StoreError::InvalidInput(reason) => ApiError::InvalidParameter(reason),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<projections::ProjectionError> for ApiError {
    fn from(error: projections::ProjectionError) -> Self {
        ApiError::Internal(error.into())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        match rejection {
            // A route whose handler wants parameters its path does not have: our bug.
            PathRejection::MissingPathParams(e) => ApiError::Internal(anyhow::anyhow!("{e}")),
            other => ApiError::MalformedPath(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::MalformedQuery(rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonSyntaxError(e) => ApiError::MalformedBody(e.body_text()),
            JsonRejection::JsonDataError(e) => ApiError::InvalidBody(e.body_text()),
            JsonRejection::MissingJsonContentType(e) => {
                ApiError::UnsupportedMediaType(e.body_text())
            }
            // The body limit shows up as a failure to buffer the body, with status 413.
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge { limit: 0 }
            }
            other => ApiError::MalformedBody(other.body_text()),
        }
    }
}

fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_DETAIL_CHARS {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(MAX_DETAIL_CHARS).collect();
        clipped.push('…');
        clipped
    }
}

impl ApiError {
    /// The problem type and, for 4xx, the detail of this error. The one place where an error
    /// meets HTTP.
    fn problem(&self) -> (ProblemType, Option<String>) {
        match self {
            ApiError::NotFound => (ProblemType::NotFound, None),
            ApiError::InvalidParameter(reason) => (ProblemType::BadRequest, Some(clip(reason))),
            ApiError::MalformedPath(reason) => (ProblemType::MalformedPath, Some(clip(reason))),
            ApiError::MalformedQuery(reason) => (ProblemType::MalformedQuery, Some(clip(reason))),
            ApiError::MalformedBody(reason) => (ProblemType::MalformedBody, Some(clip(reason))),
            ApiError::InvalidBody(reason) => (ProblemType::InvalidBody, Some(clip(reason))),
            ApiError::UnsupportedMediaType(reason) => {
                (ProblemType::UnsupportedMediaType, Some(clip(reason)))
            }
            ApiError::UnknownRoute => (ProblemType::UnknownRoute, None),
            ApiError::MethodNotAllowed => (ProblemType::MethodNotAllowed, None),
            ApiError::PayloadTooLarge { limit } => (
                ProblemType::PayloadTooLarge,
                (*limit > 0).then(|| format!("the limit is {limit} bytes")),
            ),
            ApiError::Conflict(reason) => (ProblemType::Conflict, Some(clip(reason))),
            ApiError::SlotTaken(reason) => (ProblemType::SlotTaken, Some(clip(reason))),
            ApiError::SlotsAvailable(reason) => (ProblemType::SlotsAvailable, Some(clip(reason))),
            ApiError::RuleViolated(reason) => (ProblemType::RuleViolated, Some(clip(reason))),
            ApiError::NotBookable(reason) => (ProblemType::NotBookable, Some(clip(reason))),
            ApiError::TooManyRequests { retry_after_secs } => (
                ProblemType::TooManyRequests,
                Some(format!("try again in {retry_after_secs} s")),
            ),
            ApiError::InvalidAccessLink => (ProblemType::InvalidAccessLink, None),
            ApiError::ProofOfWork(reason) => (ProblemType::ProofOfWork, Some(clip(reason))),
            ApiError::OpenBookingLimit(limit) => (
                ProblemType::OpenBookingLimit,
                Some(format!(
                    "this e-mail address already holds {limit} open bookings; cancel one first"
                )),
            ),
            ApiError::Timeout { seconds } => {
                tracing::warn!(seconds, "request abandoned after the timeout");
                (ProblemType::Timeout, None)
            }
            ApiError::NotReady(reason) => {
                tracing::warn!(%reason, "not ready");
                (ProblemType::NotReady, None)
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                (ProblemType::Internal, None)
            }
            ApiError::IdempotencyKeyMissing => (ProblemType::IdempotencyKeyMissing, None),
            ApiError::IdempotencyKeyInvalid => (
                ProblemType::IdempotencyKeyInvalid,
                Some("the key must be 1 to 255 visible ASCII characters, sent once".into()),
            ),
            ApiError::IdempotencyKeyReused => (ProblemType::IdempotencyKeyReused, None),
            ApiError::IdempotencyKeyInUse => (ProblemType::IdempotencyKeyInUse, None),
            ApiError::Unauthenticated => (ProblemType::Unauthenticated, None),
            ApiError::Forbidden => (ProblemType::Forbidden, None),
            ApiError::LoginFailed => (ProblemType::LoginFailed, None),
            ApiError::CsrfRejected => (ProblemType::CsrfRejected, None),
        }
    }
}

impl ApiError {
    /// The RFC 9457 body of this error (also sent inside the call's WebSocket `error` message).
    pub fn to_problem(&self) -> Problem {
        let (kind, detail) = self.problem();
        let status = kind.status();
        // 5xx bodies are opaque whatever the variant carries.
        let detail = detail.filter(|_| !status.is_server_error());
        Problem {
            kind: kind.uri(),
            title: kind.title().to_owned(),
            status: status.as_u16(),
            detail,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.to_problem();
        let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
        let mut response = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        let headers = response.headers_mut();
        match self {
            ApiError::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, retry_after_secs.into());
            }
            ApiError::InvalidAccessLink => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(error: ApiError) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn a_client_error_carries_its_detail_and_a_catalogue_type() {
        let (status, body) = body_of(ApiError::InvalidParameter("office: bad".into())).await;
        assert_eq!(status, 400);
        assert_eq!(body["type"], ProblemType::BadRequest.uri());
        assert_eq!(body["status"], 400);
        assert_eq!(body["detail"], "office: bad");
    }

    #[tokio::test]
    async fn a_server_error_body_is_opaque() {
        let cause = anyhow::anyhow!("connection to 10.0.0.7 refused for user secret-user");
        let (status, body) = body_of(ApiError::Internal(cause)).await;
        assert_eq!(status, 500);
        assert_eq!(body["type"], ProblemType::Internal.uri());
        assert!(body.get("detail").is_none());
        assert!(!body.to_string().contains("secret-user"));
        let (status, body) = body_of(ApiError::NotReady("runner case_summary failed".into())).await;
        assert_eq!(status, 503);
        assert!(!body.to_string().contains("case_summary"));
    }

    #[tokio::test]
    async fn long_details_are_clipped() {
        let (_, body) = body_of(ApiError::MalformedPath("x".repeat(10_000))).await;
        assert!(body["detail"].as_str().unwrap().chars().count() <= MAX_DETAIL_CHARS + 1);
    }
}
