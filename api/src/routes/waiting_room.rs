//! A clerk's waiting-room actions on one case: `POST /api/v1/cases/{case_id}/admit`, `/hold` and
//! `/send-back`. The case decides whether the action is allowed (422 `rule-violated` otherwise);
//! `expected_version` makes the action conditional on the version the clerk saw (409 if the
//! case moved on). Only clerks of the case's office (`ManageWaitingRoom`).

use axum::extract::State;
use axum::Json;
use domain::case::CaseCommand;
use domain::ClerkId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Operation, Principal};
use crate::clerk_case::{parse_case_id, ClerkCase};
use crate::extract::{self, Path};
use crate::problems::Problem;
use crate::{ApiError, AppState};

/// The optional condition of an action.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitingRoomAction {
    /// The case version the clerk saw (`version` of the dashboard row); a different current
    /// version is 409 `conflict`. Without it the action applies to the current state.
    pub expected_version: Option<u64>,
}

/// The case after the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaitingRoomReply {
    pub case_id: String,
    /// `admitted`, `held` or `sent_back`.
    pub status: String,
    /// The case stream's version after the action.
    pub version: u64,
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Admit,
    Hold,
    SendBack,
}

impl Action {
    fn command(self, clerk: ClerkId, at: chrono::DateTime<chrono::Utc>) -> CaseCommand {
        match self {
            Action::Admit => CaseCommand::Admit { clerk, at },
            Action::Hold => CaseCommand::Hold { clerk, at },
            Action::SendBack => CaseCommand::SendBack { clerk, at },
        }
    }

    fn status(self) -> &'static str {
        match self {
            Action::Admit => "admitted",
            Action::Hold => "held",
            Action::SendBack => "sent_back",
        }
    }
}

async fn act(
    state: &AppState,
    case_id: &str,
    principal: Result<Principal, ApiError>,
    request: WaitingRoomAction,
    action: Action,
) -> Result<Json<WaitingRoomReply>, ApiError> {
    let case_id = parse_case_id(case_id)?;
    let principal = principal?;
    let target = ClerkCase::load(state, case_id, &principal, Operation::ManageWaitingRoom).await?;
    let command = action.command(target.clerk, state.auth.clock.now());
    let version = target
        .execute(state, request.expected_version, command)
        .await?;
    tracing::info!(%case_id, action = action.status(), "waiting-room action");
    Ok(Json(WaitingRoomReply {
        case_id: case_id.to_string(),
        status: action.status().to_owned(),
        version,
    }))
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{case_id}/admit",
    tag = "waiting-room",
    params(("case_id" = String, Path, description = "The case id (UUID)")),
    request_body = WaitingRoomAction,
    responses(
        (status = 200, description = "Admitted", body = WaitingRoomReply),
        (status = 400, description = "`bad-request`: not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not a clerk of the case's office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: the case is no longer at `expected_version`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`: the citizen is not waiting", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn admit(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    principal: Result<Principal, ApiError>,
    extract::Json(request): extract::Json<WaitingRoomAction>,
) -> Result<Json<WaitingRoomReply>, ApiError> {
    act(&state, &case_id, principal, request, Action::Admit).await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{case_id}/hold",
    tag = "waiting-room",
    params(("case_id" = String, Path, description = "The case id (UUID)")),
    request_body = WaitingRoomAction,
    responses(
        (status = 200, description = "Asked to keep waiting", body = WaitingRoomReply),
        (status = 400, description = "`bad-request`: not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not a clerk of the case's office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: the case is no longer at `expected_version`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`: not waiting, or already on hold", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn hold(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    principal: Result<Principal, ApiError>,
    extract::Json(request): extract::Json<WaitingRoomAction>,
) -> Result<Json<WaitingRoomReply>, ApiError> {
    act(&state, &case_id, principal, request, Action::Hold).await
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{case_id}/send-back",
    tag = "waiting-room",
    params(("case_id" = String, Path, description = "The case id (UUID)")),
    request_body = WaitingRoomAction,
    responses(
        (status = 200, description = "Sent out of the waiting room; the appointment stays", body = WaitingRoomReply),
        (status = 400, description = "`bad-request`: not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not a clerk of the case's office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: the case is no longer at `expected_version`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`: the citizen is not waiting", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn send_back(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    principal: Result<Principal, ApiError>,
    extract::Json(request): extract::Json<WaitingRoomAction>,
) -> Result<Json<WaitingRoomReply>, ApiError> {
    act(&state, &case_id, principal, request, Action::SendBack).await
}
