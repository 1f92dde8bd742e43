//! The layers every request passes, outermost first: request id and access log, the body-size
//! limit, the request timeout. They answer in problem+json like every handler.
//!
//! The access log names the *matched route template* (`/api/v1/offices/{office}/queue/{date}`),
//! never the raw path or the query string, which may carry ids; it holds no personal data.

use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tracing::Instrument;

use crate::ApiError;

/// The request-id header, read from the client if it is sane and always set on the answer.
pub const REQUEST_ID: &str = "x-request-id";

/// Limits of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a request may take before it is abandoned with 503 `timeout`.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl From<&crate::settings::Settings> for HttpLimits {
    fn from(settings: &crate::settings::Settings) -> Self {
        Self {
            max_body_bytes: settings.max_body_bytes,
            request_timeout: Duration::from_secs(settings.request_timeout_secs),
        }
    }
}

/// Wraps every route (and the fallbacks) of `router` in the layers.
pub fn layered<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    limits: HttpLimits,
) -> Router<S> {
    router
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(limits, timeout))
        .layer(middleware::from_fn_with_state(limits, limit_body))
        .layer(middleware::from_fn(observe))
}

/// A client's request id is kept if it is 1 to 64 characters of `A-Z a-z 0-9 . _ -`; anything
/// else is replaced, so logs never carry what a client smuggles into the header.
fn request_id(request: &Request) -> HeaderValue {
    let sane = |v: &&HeaderValue| {
        let bytes = v.as_bytes();
        (1..=64).contains(&bytes.len())
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    match request.headers().get(REQUEST_ID).filter(sane) {
        Some(value) => value.clone(),
        None => HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .expect("a UUID is a valid header value"),
    }
}

/// Sets the request id and writes one access-log line per request.
async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or_default(),
        method = %method,
        route = %route,
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    response.headers_mut().insert(REQUEST_ID, id);
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        tracing::info!(target: "buergeramt::access", status, latency_ms, "request");
    });
    response
}

/// Answers 413 before reading a body whose declared length is over the limit, whatever the
/// route: a handler that takes no body must not be a way to make the server read megabytes.
/// Bodies without a declared length are cut off by `DefaultBodyLimit` in the extractors.
async fn limit_body(State(limits): State<HttpLimits>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > limits.max_body_bytes as u64 => ApiError::PayloadTooLarge {
            limit: limits.max_body_bytes,
        }
        .into_response(),
        _ => next.run(request).await,
    }
}

/// Abandons a request that takes longer than the limit.
async fn timeout(State(limits): State<HttpLimits>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout {
            seconds: limits.request_timeout.as_secs(),
        }
        .into_response(),
    }
}
