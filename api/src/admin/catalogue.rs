//! `PATCH /api/v1/admin/services/{service}` (change a service of the catalogue) and
//! `GET /api/v1/admin/catalogue/changes` (the history of changes), over the stream `catalogue`
//! (see `domain::catalogue::changes`). The live catalogue (`AppState::catalogue`) folds every
//! new change before its next use, in this process and in any other one on the same store.

use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::catalogue::{
    CatalogueChanges, CatalogueCommand, CatalogueEvent, ChangeError, Channel, RequiredDocument,
    ServiceChange, CATALOGUE_STREAM,
};
use domain::{Cents, ServiceKey};
use serde::{Deserialize, Serialize};
use store::repository::{decode, CommandError, Repository};
use store::StreamId;
use utoipa::ToSchema;

use super::{actor_of, body};
use crate::auth::{require, Operation, Principal};
use crate::extract::{Json, Path};
use crate::problems::Problem;
use crate::routes::catalogue::ServiceView;
use crate::{ApiError, AppState};

/// A partial change of a service: only the fields present change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    /// Appointment minutes, 5 to 240.
    pub duration_minutes: Option<u32>,
    /// The fee in cents, 0 or more.
    pub fee_cents: Option<i64>,
    /// `{"kind":"video"}`, `{"kind":"in_person","reason":"…"}` or
    /// `{"kind":"online_elsewhere","portal":"…","url":"https://…","reason":"…"}` (`url`
    /// optional). A service whose law requires personal appearance can only be `in_person`.
    #[schema(value_type = Object)]
    pub channel: Option<Channel>,
    /// The complete list, replacing the previous one.
    pub required_documents: Option<Vec<RequiredDocument>>,
    /// False stops offering the service (not listed, not bookable); existing cases keep it.
    pub active: Option<bool>,
    /// The catalogue stream version the admin last saw (`GET /api/v1/admin/catalogue/changes`).
    pub expected_version: Option<u64>,
}

/// A service after a change, with the catalogue stream's version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminServiceView {
    /// Send it back as `expected_version`.
    pub version: u64,
    pub service: ServiceView,
}

/// One recorded change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeRecord {
    /// The catalogue stream version of this change.
    pub version: u64,
    pub service: String,
    /// Only the fields that changed, in the shape of the `PATCH` body.
    #[schema(value_type = Object)]
    pub change: ServiceChange,
    /// `{"kind":"clerk","clerk_id":"…"}` for an admin's account, `{"kind":"system"}` otherwise.
    #[schema(value_type = Object)]
    pub actor: domain::Actor,
    pub at: DateTime<Utc>,
}

/// The history of catalogue changes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogueHistory {
    /// The catalogue stream's version (0: the CSV seed as it is).
    pub version: u64,
    /// Oldest first.
    pub changes: Vec<ChangeRecord>,
}

fn change_error(error: CommandError<ChangeError>) -> ApiError {
    match error {
        CommandError::Rejected(rule) => ApiError::RuleViolated(rule.to_string()),
        CommandError::Store(e) => e.into(),
        decode @ CommandError::Decode { .. } => ApiError::Internal(decode.into()),
    }
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/services/{service}",
    tag = "admin",
    params(("service" = String, Path, description = "The service key", example = "meldebescheinigung")),
    request_body = ServicePatch,
    responses(
        (status = 200, description = "The service after the change (unchanged fields record nothing)", body = AdminServiceView),
        (status = 400, description = "`bad-request`: not a service key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such service", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: `expected_version` is not the catalogue's current version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body` or `rule-violated`: duration 5 to 240, fee 0 or more, a channel the law does not allow, bad documents", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_service(
    State(state): State<AppState>,
    principal: Principal,
    Path(service): Path<String>,
    request: Result<Json<ServicePatch>, ApiError>,
) -> Result<Json<AdminServiceView>, ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let key = ServiceKey::parse(service)
        .map_err(|e| ApiError::InvalidParameter(format!("service: {e}")))?;
    let request = body(request)?;
    let seed = state
        .catalogue
        .seed()
        .get(&key)
        .ok_or(ApiError::NotFound)?
        .clone();
    let command = CatalogueCommand::ChangeService {
        seed: Box::new(seed.clone()),
        change: ServiceChange {
            duration_minutes: request.duration_minutes,
            fee_cents: request.fee_cents.map(Cents),
            channel: request.channel,
            required_documents: request.required_documents,
            active: request.active,
        },
        actor: actor_of(&principal),
        at: Utc::now(),
    };
    let stream = StreamId::new(CATALOGUE_STREAM)?;
    let repository = Repository::new(state.backend.events.clone());
    let result = match request.expected_version {
        Some(expected) => {
            repository
                .execute_at::<CatalogueChanges>(&stream, expected, command)
                .await
        }
        // Without a version the change applies to whatever is current: it only names the fields
        // it sets, so re-deciding after a concurrent change is what the admin asked for.
        None => {
            repository
                .execute_with_retry::<CatalogueChanges>(&stream, command, 5)
                .await
        }
    };
    let (changes, version) = match result {
        Ok(executed) => {
            tracing::info!(service = %key, "catalogue service changed");
            (executed.state, executed.outcome.stream_version)
        }
        Err(CommandError::Rejected(ChangeError::Unchanged)) => {
            let loaded = repository
                .load::<CatalogueChanges>(&stream)
                .await
                .map_err(change_error)?;
            (loaded.state, loaded.version)
        }
        Err(error) => return Err(change_error(error)),
    };
    Ok(Json(AdminServiceView {
        version,
        service: ServiceView::from(&changes.effective(&seed)),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/catalogue/changes",
    tag = "admin",
    responses(
        (status = 200, description = "Every catalogue change, oldest first, with the stream version", body = CatalogueHistory),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<CatalogueHistory>, ApiError> {
    require(&principal, Operation::ManageOffices, None, None)?;
    let stream = StreamId::new(CATALOGUE_STREAM)?;
    let recorded = state.backend.events.read_stream(&stream, 0).await?;
    let mut changes = Vec::with_capacity(recorded.len());
    for event in &recorded {
        let decoded: CatalogueEvent = decode(event).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!(
                "catalogue event {} cannot be decoded: {e}",
                event.stream_version
            ))
        })?;
        let CatalogueEvent::ServiceChanged {
            service,
            change,
            actor,
            at,
        } = decoded;
        changes.push(ChangeRecord {
            version: event.stream_version,
            service: service.as_str().to_owned(),
            change,
            actor,
            at,
        });
    }
    Ok(Json(CatalogueHistory {
        version: recorded.last().map_or(0, |e| e.stream_version),
        changes,
    }))
}
