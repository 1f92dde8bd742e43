//! HTTP routes, one file per resource.

mod health;
mod pages;
mod queue;

use axum::routing::get;
use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::index))
        .route("/queue.js", get(pages::queue_js))
        .route("/health", get(health::health))
        .route(
            "/api/v1/offices/{office}/queue/{date}",
            get(queue::queue_of_day),
        )
}
