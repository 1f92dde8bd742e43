//! HTTP routes, one file per resource.

mod health;
mod queue;

use axum::routing::get;
use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health::health)).route(
        "/api/v1/offices/{office}/queue/{date}",
        get(queue::queue_of_day),
    )
}
