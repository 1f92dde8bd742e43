//! `GET /health`: the process is up and its store answers. `GET /ready`: besides, every
//! projection runner follows the store, so read models are current; load balancers route to the
//! instance only then.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problems::Problem;
use crate::readiness::RunnerState;
use crate::{ApiError, AppState};

/// The answer of `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// The store kind: `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub store: &'static str,
}

/// The answer of `GET /ready`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// The store kind: `sqlite` or `postgres`.
    pub store: &'static str,
    /// Every projection runner by name (all `running`).
    pub projections: BTreeMap<&'static str, RunnerState>,
}

async fn probe_store(state: &AppState) -> Result<(), ApiError> {
    // A cheap query that proves the store answers.
    let probe = store::StreamId::new("health-probe")?;
    state.backend.events.stream_version(&probe).await?;
    Ok(())
}

#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    responses(
        (status = 200, description = "The process is up and its store answers", body = Health),
        (status = 500, description = "The store does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    probe_store(&state).await?;
    Ok(Json(Health {
        status: "ok",
        store: state.backend.kind,
    }))
}

#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    responses(
        (status = 200, description = "The store answers and every projection runner follows it", body = Ready),
        (status = 503, description = "`not-ready`: the store does not answer or a projection runner stopped", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    if let Err(error) = probe_store(&state).await {
        return Err(ApiError::NotReady(format!(
            "the store does not answer: {error}"
        )));
    }
    let projections = state.runners.snapshot();
    let lagging: Vec<String> = projections
        .iter()
        .filter(|(_, state)| **state != RunnerState::Running)
        .map(|(name, state)| format!("{name} is {state:?}"))
        .collect();
    if !lagging.is_empty() {
        return Err(ApiError::NotReady(lagging.join(", ")));
    }
    Ok(Json(Ready {
        status: "ready",
        store: state.backend.kind,
        projections,
    }))
}
