//! `GET /api/v1/my-case/stream`: the citizen's case as Server-Sent Events (`event: my-case`,
//! data = the `GET /api/v1/my-case` JSON), at once and whenever it changes. Pages read it with
//! `fetch` and a stream reader, because `EventSource` cannot send the `Authorization` header.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};

use crate::citizen::CitizenCase;
use crate::live;
use crate::problems::Problem;
use crate::routes::dashboard::KEEP_ALIVE;
use crate::{ApiError, AppState};

#[utoipa::path(
    get,
    path = "/api/v1/my-case/stream",
    tag = "citizen",
    security(("capability" = [])),
    responses(
        (status = 200, description = "Server-Sent Events: `my-case` (data: the same JSON as `GET /api/v1/my-case`) at once and on every change of the case or of its office day's queue; a comment every 15 s", body = String, content_type = "text/event-stream"),
        (status = 401, description = "`invalid-access-link`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn my_case_stream(
    State(state): State<AppState>,
    citizen: CitizenCase,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let events = live::my_case::follow(state, citizen).filter_map(|view| {
        std::future::ready(
            serde_json::to_string(&view)
                .ok()
                .map(|data| Ok(Event::default().event("my-case").data(data))),
        )
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}
