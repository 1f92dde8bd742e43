//! The citizen's side of authentication: a capability link (see [`crate::capability`]) sent as
//! `Authorization: Bearer <token>` opens exactly the one case whose stream records the token's
//! hash. No account, no cookie: so no CSRF exposure either, because browsers never attach the
//! header on their own.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use domain::case::Case;
use domain::CaseId;
use store::StreamId;

use crate::booking::rule_error;
use crate::capability::CapabilityToken;
use crate::{ApiError, AppState};

/// The case the presented capability token opens, loaded.
#[derive(Debug, Clone)]
pub struct CitizenCase {
    pub case_id: CaseId,
    pub case: Case,
    pub version: u64,
}

/// The bearer token of a request, if it has the capability shape.
pub fn bearer_token(parts: &Parts) -> Option<CapabilityToken> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    CapabilityToken::parse(token.trim()).ok()
}

impl FromRequestParts<AppState> for CitizenCase {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or(ApiError::InvalidAccessLink)?;
        let case_id = token.case_id();
        let stream = StreamId::new(case_id.stream_name())?;
        let loaded = state
            .booking
            .repository()
            .load::<Case>(&stream)
            .await
            .map_err(rule_error)?;
        if !loaded.state.has_access_link(&token.hash()) {
            return Err(ApiError::InvalidAccessLink);
        }
        Ok(CitizenCase {
            case_id,
            case: loaded.state,
            version: loaded.version,
        })
    }
}
