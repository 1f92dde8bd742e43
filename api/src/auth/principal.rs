//! Who is asking, decided once per request from what the request carries:
//! `Authorization: Bearer <capability token>` makes a citizen of the one case whose stored link
//! hashes match; the session cookie makes a staff member while the session is alive; nothing
//! makes an anonymous caller. A presented but invalid bearer token is 401 at once rather than
//! anonymous, so a broken link says so instead of looking like a missing login.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use domain::account::Role;
use domain::{Case, CaseId, ClerkId, OfficeId};
use store::repository::Repository;
use store::sessions::SessionRecord;
use store::StreamId;

use super::session::session_cookie;
use crate::capability::CapabilityToken;
use crate::{ApiError, AppState};

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// A citizen holding a valid capability link for `case_id`.
    Citizen {
        case_id: CaseId,
    },
    /// A staff member with a live session; role and office as of login (changes revoke it).
    Staff {
        account_id: ClerkId,
        role: Role,
        office: Option<OfficeId>,
        session: Arc<SessionRecord>,
    },
}

impl Principal {
    /// The staff role, if a staff member.
    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::Staff { role, .. } => Some(*role),
            _ => None,
        }
    }

    /// The account id, if a staff member.
    pub fn account_id(&self) -> Option<ClerkId> {
        match self {
            Principal::Staff { account_id, .. } => Some(*account_id),
            _ => None,
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .and_then(|t| CapabilityToken::parse(t.trim()).ok())
                .ok_or(ApiError::Unauthenticated)?;
            return citizen(state, &token).await;
        }
        let Some(token) = session_cookie(&parts.headers, state) else {
            return Ok(Principal::Anonymous);
        };
        let now = state.auth.clock.now();
        let session = state
            .backend
            .sessions
            .touch_session(&token.hash(), now, &state.auth.policy)
            .await?;
        Ok(match session {
            Some(session) => Principal::Staff {
                account_id: session.account_id,
                role: session.role,
                office: session.office.clone(),
                session: Arc::new(session),
            },
            None => Principal::Anonymous,
        })
    }
}

/// The citizen of the token's case, if the case has a link with the token's hash.
async fn citizen(state: &AppState, token: &CapabilityToken) -> Result<Principal, ApiError> {
    let case_id = token.case_id();
    let stream = StreamId::new(case_id.stream_name())?;
    let loaded = Repository::new(state.backend.events.clone())
        .load::<Case>(&stream)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("loading a case for its link: {e}")))?;
    if loaded.state.has_access_link(&token.hash()) {
        Ok(Principal::Citizen { case_id })
    } else {
        Err(ApiError::Unauthenticated)
    }
}
