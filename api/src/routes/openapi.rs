//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the routes' own
//! attributes when first asked for.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use crate::problems::Problem;

/// The document's fixed parts; the paths come from [`super::api`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "buergeramt",
        description = "The virtual citizen office (virtuelles Bürgeramt). Every error answer is \
            RFC 9457 `application/problem+json` whose `type` is one of \
            `https://buergeramt.example/problems/{slug}` (see `api/src/problems.rs`). Every \
            answer carries `x-request-id`. Every POST, PUT, PATCH and DELETE needs an \
            `Idempotency-Key` header (a fresh UUID per intended change): a retry with the same \
            key and body gets the first reply with `Idempotent-Replayed: true`.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    components(schemas(Problem)),
    tags(
        (name = "operations", description = "Liveness and readiness"),
        (name = "queue", description = "The offices' queues, from the read model"),
        (name = "meta", description = "This document"),
        (name = "booking", description = "Services with their triage, offices, free slots and booking"),
        (name = "citizen", description = "The citizen's own case, opened by the capability link"),
        (name = "waiting-room", description = "The clerks' live dashboard of an office day and their waiting-room actions"),
        (name = "session", description = "Staff sign-in and sign-out"),
        (name = "accounts", description = "Staff accounts (admins only)"),
        (name = "call", description = "The video call: its signalling WebSocket and the clerk's invitations of third parties"),
        (name = "case", description = "The clerk's case panel beside the call: the case, the identity check and notes"),
        (name = "admin", description = "Offices, opening hours, seats, closing days and the service catalogue, changed as events (admins only)"),
    )
)]
pub struct ApiDoc;

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    super::openapi()
        .to_json()
        .expect("the OpenAPI document serialises")
});

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json"))
)]
pub async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}
