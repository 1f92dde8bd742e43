//! A clerk's one-time invitation of a third party (an interpreter, a relative, a social worker)
//! into the case's call: a capability token whose hash the case records. It admits one
//! participant while the call it was made for runs, at most two hours, and is spent when the
//! call ends. The link carries the token in the fragment (`/anruf.html#invite=…`), so it never
//! reaches a server log.

use chrono::Duration;
use domain::case::CaseCommand;
use domain::{Case, CaseId, ClerkId, InterpreterId};
use store::StreamId;

use crate::booking::rule_error;
use crate::capability::CapabilityToken;
use crate::{ApiError, AppState};

/// How long an invitation stays valid at most.
pub const INVITE_LIFETIME: Duration = Duration::hours(2);

/// The call page.
pub const CALL_PAGE: &str = "/anruf.html";

/// A new invitation, with the only copy of its token.
#[derive(Debug, Clone)]
pub struct Invite {
    pub token: CapabilityToken,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Records a new invitation for the case (the clerk's office was checked by the caller).
pub async fn issue(state: &AppState, case_id: CaseId, clerk: ClerkId) -> Result<Invite, ApiError> {
    let token = CapabilityToken::generate(case_id);
    let now = state.auth.clock.now();
    let expires_at = now + INVITE_LIFETIME;
    let stream = StreamId::new(case_id.stream_name())?;
    state
        .booking
        .repository()
        .execute_with_retry::<Case>(
            &stream,
            CaseCommand::InviteToCall {
                clerk,
                interpreter: InterpreterId(uuid::Uuid::now_v7()),
                token_sha256: token.hash(),
                expires_at,
                at: now,
            },
            3,
        )
        .await
        .map_err(rule_error)?;
    Ok(Invite { token, expires_at })
}
