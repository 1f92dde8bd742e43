//! The start page: today's queue per office, rendered in the browser from the REST API. The
//! files live in `web/` and are compiled into the binary, so it serves them from any directory.

use axum::http::header;
use axum::response::{Html, IntoResponse};

pub async fn index() -> Html<&'static str> {
    Html(include_str!("../../../web/index.html"))
}

pub async fn queue_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../web/queue.js"),
    )
}
