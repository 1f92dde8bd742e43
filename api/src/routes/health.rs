//! `GET /health`: the process is up and its store answers.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::{ApiError, AppState};

pub async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    // A cheap query that proves the store answers.
    let probe = store::StreamId::new("health-probe")?;
    state.backend.events.stream_version(&probe).await?;
    Ok(Json(json!({ "status": "ok", "store": state.backend.kind })))
}
