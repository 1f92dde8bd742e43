//! The API's one error type, mapped to HTTP once, as RFC 9457 `application/problem+json`.
//! 5xx bodies are opaque; their cause is logged (without personal data).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> Self {
        match error {
            e @ store::StoreError::Conflict { .. } => ApiError::Conflict(e.to_string()),
            e @ store::StoreError::EventIdReused(_) => ApiError::Conflict(e.to_string()),
            store::StoreError::InvalidInput(reason) => ApiError::BadRequest(reason),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<projections::ProjectionError> for ApiError {
    fn from(error: projections::ProjectionError) -> Self {
        ApiError::Internal(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title, detail) = match &self {
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found", None),
            ApiError::BadRequest(reason) => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                "The request is not valid",
                Some(reason.clone()),
            ),
            ApiError::Conflict(reason) => (
                StatusCode::CONFLICT,
                "conflict",
                "The resource changed meanwhile",
                Some(reason.clone()),
            ),
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    None,
                )
            }
        };
        let mut body = json!({
            "type": format!("https://buergeramt.example/problems/{kind}"),
            "title": title,
            "status": status.as_u16(),
        });
        if let Some(detail) = detail {
            body["detail"] = json!(detail);
        }
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}
