//! `GET /api/v1/call/ws`: the video call's signalling WebSocket (protocol in
//! `docs/signalling.md`; the handler is [`crate::call::socket`]).

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::auth::Principal;
use crate::problems::Problem;
use crate::{ApiError, AppState};

#[utoipa::path(
    get,
    path = "/api/v1/call/ws",
    tag = "call",
    description = "Upgrades to the call's WebSocket. The first message is `join` (a citizen's token, an interpreter's invite, or a clerk's `case_id` with the session cookie); see docs/signalling.md for every message.",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "`bad-request`: not a WebSocket upgrade", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the `Origin` is not this server", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn call_ws(
    state: State<AppState>,
    headers: HeaderMap,
    principal: Result<Principal, ApiError>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::InvalidParameter(format!(
            "not a WebSocket upgrade: {}",
            rejection.body_text()
        ))
    })?;
    crate::call::socket::call_socket(state, headers, principal, upgrade).await
}
