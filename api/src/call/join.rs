//! Who may join a case's call, decided from the `join` message and the upgrade request's
//! session cookie: the citizen by their capability token, a clerk of the case's office by their
//! session (`JoinVideoCall`), a third party by an unspent invite of the case.

use domain::case::CaseStatus;
use domain::video_session::Participant;
use domain::{Case, CaseId};
use store::StreamId;

use crate::auth::{require, Operation, Principal};
use crate::booking::rule_error;
use crate::capability::CapabilityToken;
use crate::clerk_case::{parse_case_id, ClerkCase};
use crate::{ApiError, AppState};

/// Someone allowed into a case's call.
#[derive(Debug, Clone)]
pub struct Joiner {
    pub case_id: CaseId,
    pub participant: Participant,
    /// `citizen`, `clerk` or `interpreter`.
    pub role: &'static str,
    /// What the others see: a role label, never a personal name.
    pub name: &'static str,
    /// The case as it was when the join was checked.
    pub case: Case,
}

/// What a `join` message offers as its way in.
#[derive(Debug, Clone)]
pub enum Credential {
    Token(String),
    Invite(String),
    /// A staff session (the upgrade request's cookie) for this case.
    Staff(String),
}

/// Checks a join; the errors are the usual API errors (401, 403, 404, 409).
pub async fn authenticate(
    state: &AppState,
    principal: &Principal,
    credential: Credential,
) -> Result<Joiner, ApiError> {
    match credential {
        Credential::Token(text) => {
            let token = CapabilityToken::parse(&text).map_err(|_| ApiError::InvalidAccessLink)?;
            let case_id = token.case_id();
            let case = load(state, case_id).await?;
            if !case.has_access_link(&token.hash()) {
                return Err(ApiError::InvalidAccessLink);
            }
            let citizen = citizen_of(&case)?;
            require(
                &Principal::Citizen { case_id },
                Operation::JoinVideoCall,
                None,
                Some(case_id),
            )?;
            Ok(Joiner {
                case_id,
                participant: Participant::Citizen(citizen),
                role: "citizen",
                name: "Bürger/in",
                case,
            })
        }
        Credential::Invite(text) => {
            let token = CapabilityToken::parse(&text).map_err(|_| ApiError::InvalidAccessLink)?;
            let case_id = token.case_id();
            let case = load(state, case_id).await?;
            let interpreter = case
                .call_invite(&token.hash(), state.auth.clock.now())
                .ok_or(ApiError::InvalidAccessLink)?;
            Ok(Joiner {
                case_id,
                participant: Participant::Interpreter(interpreter),
                role: "interpreter",
                name: "Dolmetschung",
                case,
            })
        }
        Credential::Staff(case_text) => {
            let case_id = parse_case_id(&case_text)?;
            let target =
                ClerkCase::load(state, case_id, principal, Operation::JoinVideoCall).await?;
            Ok(Joiner {
                case_id,
                participant: Participant::Clerk(target.clerk),
                role: "clerk",
                name: "Sachbearbeitung",
                case: target.case,
            })
        }
    }
}

/// The waiting-room stage a participant who is not yet in the call is told.
pub fn waiting_stage(case: &Case) -> Result<&'static str, ApiError> {
    match case.status() {
        CaseStatus::Booked => Ok("not_checked_in"),
        CaseStatus::Waiting => Ok("checked_in"),
        CaseStatus::OnHold => Ok("on_hold"),
        CaseStatus::Admitted | CaseStatus::InCall => Ok("admitted"),
        CaseStatus::Closed => Err(ApiError::Conflict("the case is closed".into())),
        _ => Err(ApiError::Conflict("the case has no appointment".into())),
    }
}

async fn load(state: &AppState, case_id: CaseId) -> Result<Case, ApiError> {
    let stream = StreamId::new(case_id.stream_name())?;
    let loaded = state
        .booking
        .repository()
        .load::<Case>(&stream)
        .await
        .map_err(rule_error)?;
    if loaded.version == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(loaded.state)
}

fn citizen_of(case: &Case) -> Result<domain::CitizenId, ApiError> {
    case.facts()
        .map(|facts| facts.citizen_id)
        .ok_or(ApiError::NotFound)
}
