//! One case as a clerk acts on it: the case id from the path, the caller's permission for the
//! case's office, the loaded case, and its commands. Shared by the waiting-room actions, the
//! case panel and the call's clerk join, so the rule "only a clerk of the case's office; only a
//! clerk learns that a case does not exist" lives in one place.

use domain::account::Role;
use domain::case::CaseCommand;
use domain::{Case, CaseId, ClerkId};
use store::StreamId;

use crate::auth::{require, Operation, Principal};
use crate::booking::rule_error;
use crate::{ApiError, AppState};

/// A case loaded for a clerk allowed `operation` on it.
#[derive(Debug, Clone)]
pub struct ClerkCase {
    pub case_id: CaseId,
    pub clerk: ClerkId,
    pub case: Case,
    /// The stream version the case was loaded at.
    pub version: u64,
    pub stream: StreamId,
}

/// A case id from a path: 400 unless it is a UUID.
pub fn parse_case_id(text: &str) -> Result<CaseId, ApiError> {
    text.parse()
        .map_err(|_| ApiError::InvalidParameter("case_id: expected a UUID".into()))
}

impl ClerkCase {
    /// Loads the case for `principal`: 401 anonymous, 403 anyone but a clerk of the case's
    /// office (before the case is even read, for non-staff), 404 an unknown case (to clerks).
    pub async fn load(
        state: &AppState,
        case_id: CaseId,
        principal: &Principal,
        operation: Operation,
    ) -> Result<ClerkCase, ApiError> {
        let Some(clerk) = principal.account_id() else {
            require(principal, operation, None, Some(case_id))?;
            return Err(ApiError::Forbidden);
        };
        let stream = StreamId::new(case_id.stream_name())?;
        let loaded = state
            .booking
            .repository()
            .load::<Case>(&stream)
            .await
            .map_err(rule_error)?;
        let Some(office) = loaded.state.office().cloned() else {
            // Only a clerk could act on a case, so only a clerk learns that there is none.
            return Err(if principal.role() == Some(Role::Clerk) {
                ApiError::NotFound
            } else {
                ApiError::Forbidden
            });
        };
        require(principal, operation, Some(&office), Some(case_id))?;
        Ok(ClerkCase {
            case_id,
            clerk,
            case: loaded.state,
            version: loaded.version,
            stream,
        })
    }

    /// Runs a command on the case: at exactly `expected` if given (409 if the case moved on),
    /// else on the current state, re-deciding after a concurrent append. Returns the new version.
    pub async fn execute(
        &self,
        state: &AppState,
        expected: Option<u64>,
        command: CaseCommand,
    ) -> Result<u64, ApiError> {
        let repository = state.booking.repository();
        let executed = match expected {
            Some(expected) => {
                repository
                    .execute_at::<Case>(&self.stream, expected, command)
                    .await
            }
            None => {
                repository
                    .execute_with_retry::<Case>(&self.stream, command, 3)
                    .await
            }
        }
        .map_err(rule_error)?;
        Ok(executed.outcome.stream_version)
    }
}
