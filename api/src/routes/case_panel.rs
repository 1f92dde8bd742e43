//! The clerk's case panel beside the call: `GET /api/v1/cases/{case_id}` (the case as the clerk
//! needs it: service, appointment, identity check, documents, fee, notes, the running call),
//! `POST …/identity` (records how the identity was checked, during a call), `POST …/notes` and
//! `POST …/call/invites` (a one-time link for an interpreter). Clerks of the case's office only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use domain::case::{CaseCommand, CaseEvent, IdentityMethod};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Operation, Principal};
use crate::call::invites::{self, CALL_PAGE};
use crate::clerk_case::{parse_case_id, ClerkCase};
use crate::extract::{self, Path};
use crate::problems::Problem;
use crate::{ApiError, AppState};

/// The longest note, in characters.
const MAX_NOTE_CHARS: usize = 4000;

/// The case as the clerk's panel shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CasePanel {
    pub case_id: String,
    /// `booked`, `waiting`, `on_hold`, `admitted`, `in_call`, `closed`, …
    pub status: String,
    /// The case stream's version.
    pub version: u64,
    pub service: ServiceRef,
    pub appointment: Option<PanelAppointment>,
    pub identity: Option<PanelIdentity>,
    pub documents: Vec<PanelDocument>,
    pub fee: Option<PanelFee>,
    pub notes: Vec<PanelNote>,
    /// The running call, if any.
    pub call: Option<PanelCall>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceRef {
    pub id: String,
    pub name_de: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelAppointment {
    pub starts_at: DateTime<Utc>,
    /// Local wall-clock time at the office, `YYYY-MM-DDTHH:MM:SS`.
    pub local_start: String,
    pub duration_minutes: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelIdentity {
    pub method: IdentityMethod,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelDocument {
    pub document_id: String,
    pub document_type: String,
    /// `uploaded`, `accepted` or `rejected`.
    pub status: String,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelFee {
    pub amount_cents: i64,
    /// `assessed`, `payment_started`, `paid`, `waived`, `refunded`.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelNote {
    /// Empty once the citizen's data was erased.
    pub text: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PanelCall {
    pub session_id: String,
}

/// Loads the case for a clerk of its office allowed `operation`.
async fn case_for_clerk(
    state: &AppState,
    case_id: &str,
    principal: Result<Principal, ApiError>,
    operation: Operation,
) -> Result<ClerkCase, ApiError> {
    let case_id = parse_case_id(case_id)?;
    ClerkCase::load(state, case_id, &principal?, operation).await
}

fn snake(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Object(map)) => map
            .get("status")
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/cases/{case_id}",
    tag = "case",
    params(("case_id" = String, Path, description = "The case id (UUID)")),
    responses(
        (status = 200, description = "The case for the clerk's panel", body = CasePanel),
        (status = 400, description = "`bad-request`: not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not a clerk of the case's office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such case", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_case(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    principal: Result<Principal, ApiError>,
) -> Result<Json<CasePanel>, ApiError> {
    let ClerkCase {
        case_id,
        case,
        version,
        stream,
        ..
    } = case_for_clerk(&state, &case_id, principal, Operation::ViewCase).await?;
    // Notes and the identity check's time are in the events, not in the aggregate's state.
    let recorded = state.backend.events.read_stream(&stream, 0).await?;
    let mut notes = Vec::new();
    let mut identity = None;
    for event in &recorded {
        match store::repository::decode::<CaseEvent>(event) {
            Ok(CaseEvent::NoteAdded { text, at, .. }) => notes.push(PanelNote {
                text: text.into_present().unwrap_or_default(),
                at,
            }),
            Ok(CaseEvent::IdentityChecked { method, at, .. }) => {
                identity = Some(PanelIdentity { method, at })
            }
            Ok(_) => {}
            Err(error) => return Err(ApiError::Internal(error.into())),
        }
    }
    let catalogue = state.catalogue.current().await?;
    let service_key = case.service().cloned().ok_or(ApiError::NotFound)?;
    let service = catalogue.get(&service_key);
    Ok(Json(CasePanel {
        case_id: case_id.to_string(),
        status: snake(&case.status()),
        version,
        service: ServiceRef {
            id: service_key.to_string(),
            name_de: service.map(|s| s.name_de.clone()).unwrap_or_default(),
            name_en: service.map(|s| s.name_en.clone()).unwrap_or_default(),
        },
        appointment: case.appointment().map(|a| PanelAppointment {
            starts_at: a.starts_at,
            local_start: a.local_start.format("%Y-%m-%dT%H:%M:%S").to_string(),
            duration_minutes: a.duration_minutes,
        }),
        identity,
        documents: case
            .documents()
            .iter()
            .map(|(id, d)| PanelDocument {
                document_id: id.to_string(),
                document_type: d.document_type.to_string(),
                status: snake(&d.status),
                size_bytes: d.size_bytes,
            })
            .collect(),
        fee: case.fee().map(|fee| PanelFee {
            amount_cents: fee.amount.0,
            status: snake(&fee.status),
        }),
        notes,
        call: case.current_call().map(|session| PanelCall {
            session_id: session.to_string(),
        }),
    }))
}

/// How the identity was checked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityCheck {
    pub method: IdentityMethod,
}

/// The case's version after a change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseChanged {
    pub case_id: String,
    pub version: u64,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{case_id}/identity",
    tag = "case",
    params(("case_id" = String, Path, description = "The case id (UUID)")),
    request_body = IdentityCheck,
    responses(
        (status = 200, description = "Recorded", body = CaseChanged),
        (status = 400, description = "`bad-request`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not a clerk of the case's office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such case", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`: no call is running, or already checked", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn check_identity(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    principal: Result<Principal, ApiError>,
    extract::Json(request): extract::Json<IdentityCheck>,
) -> Result<Json<CaseChanged>, ApiError> {
    let target = case_for_clerk(&state, &case_id, principal, Operation::HandleCase).await?;
    let command = CaseCommand::CheckIdentity {
        clerk: target.clerk,
        method: request.method,
        at: state.auth.clock.now(),
    };
    let version = target.execute(&state, None, command).await?;
    Ok(Json(CaseChanged {
        case_id: target.case_id.to_string(),
        version,
    }))
}

/// A note on the case (kept encrypted with the citizen's key).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{case_id}/notes",
    tag = "case",
    params(("case_id" = String, Path, description = "The case id (UUID)")),
    request_body = NewNote,
    responses(
        (status = 201, description = "Added", body = CaseChanged),
        (status = 400, description = "`bad-request`: empty or longer than 4000 characters", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not a clerk of the case's office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such case", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_note(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    principal: Result<Principal, ApiError>,
    extract::Json(request): extract::Json<NewNote>,
) -> Result<(StatusCode, Json<CaseChanged>), ApiError> {
    let text = request.text.trim().to_owned();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::InvalidParameter(
            "text: 1 to 4000 characters".into(),
        ));
    }
    let target = case_for_clerk(&state, &case_id, principal, Operation::HandleCase).await?;
    let command = CaseCommand::AddNote {
        clerk: target.clerk,
        text,
        at: state.auth.clock.now(),
    };
    let version = target.execute(&state, None, command).await?;
    Ok((
        StatusCode::CREATED,
        Json(CaseChanged {
            case_id: target.case_id.to_string(),
            version,
        }),
    ))
}

/// An invitation into the call; the link is shown once and never stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallInviteReply {
    /// The token (also in `url`'s fragment).
    pub invite: String,
    /// The link for the invited person: the call page with the token in the fragment.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

#[utoipa::path(
    post,
    path = "/api/v1/cases/{case_id}/call/invites",
    tag = "call",
    params(("case_id" = String, Path, description = "The case id (UUID)")),
    responses(
        (status = 201, description = "Invited; the link is shown only now", body = CallInviteReply),
        (status = 400, description = "`bad-request`: not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: not a clerk of the case's office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such case", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`rule-violated`: the citizen is not admitted, or five invites are open", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn invite(
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    principal: Result<Principal, ApiError>,
) -> Result<(StatusCode, Json<CallInviteReply>), ApiError> {
    let target = case_for_clerk(&state, &case_id, principal, Operation::HandleCase).await?;
    let invite = invites::issue(&state, target.case_id, target.clerk).await?;
    let token = invite.token.expose().to_owned();
    Ok((
        StatusCode::CREATED,
        Json(CallInviteReply {
            url: format!("{}{CALL_PAGE}#invite={token}", state.public_url),
            invite: token,
            expires_at: invite.expires_at,
        }),
    ))
}
