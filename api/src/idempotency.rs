//! `Idempotency-Key` on every state-changing request under `/api/`: a client that saw a timeout
//! or a 5xx retries with the same key, and the change is applied at most once.
//!
//! The middleware runs on matched API routes only (unknown paths stay `unknown-route`, wrong
//! methods stay 405) for POST, PUT, PATCH and DELETE:
//! - the key is required (`idempotency-key-missing`) and is 1 to 255 visible ASCII characters
//!   (`idempotency-key-invalid`);
//! - the request's fingerprint is SHA-256 over method, path and query, content type and body;
//! - records are scoped by a SHA-256 digest of the caller's credential (the `Authorization`
//!   header, else the session cookie, else `anonymous`), so nobody can replay another's reply;
//! - the first request runs the handler; a reply below 500 other than 429 is a definitive
//!   answer and is stored, anything else is abandoned so that a retry runs again;
//! - a retry gets the stored status, content type, `Location` and body with
//!   `Idempotent-Replayed: true`; another body under the same key is `idempotency-key-reused`;
//! - while the first request runs, a retry waits (woken in-process by a [`Notify`], polling the
//!   store for other processes) up to [`Idempotency::wait`], then replays or answers
//!   `idempotency-key-in-use`. That is how 100 concurrent identical requests get one effect and
//!   100 identical replies.
//!
//! The handler runs in a task of its own, so a client that hangs up or a request timeout does not
//! cancel a change halfway: the reply is stored either way and the retry gets it. See
//! `docs/adr/0003-idempotency.md` for what a crash mid-request does.
//!
//! Route authors document the header with [`IdempotencyKeyHeader`]:
//! `#[utoipa::path(post, path = "…", params(IdempotencyKeyHeader), …)]`.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::{FutureExt, StreamExt};
use sha2::{Digest, Sha256};
use store::idempotency::RequestHash;
use store::{Begin, IdempotencyStore, StoredReply};
use tokio::sync::Notify;
use tracing::Instrument;

use crate::{ApiError, AppState};

/// The request header carrying the client's key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set to `true` on a reply that was replayed from the store.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// The session cookies whose value scopes a request without an `Authorization` header, in order
/// of preference.
pub const SESSION_COOKIES: [&str; 2] = ["__Host-buergeramt-session", "buergeramt-session"];
/// The scope of requests that carry no credential.
pub const ANONYMOUS_SCOPE: &str = "anonymous";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// The largest reply body that is stored; state-changing replies are small documents.
pub const MAX_STORED_REPLY_BYTES: usize = 1024 * 1024;
/// How often a waiting retry looks at the store (for requests running in another process).
const POLL: Duration = Duration::from_millis(100);

/// The `Idempotency-Key` header, for the OpenAPI document of every state-changing route:
/// `#[utoipa::path(post, …, params(IdempotencyKeyHeader))]`.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(
    dead_code,
    reason = "documentation only: the middleware reads the header"
)]
pub struct IdempotencyKeyHeader {
    /// A fresh random value (a UUID) per intended change, 1 to 255 visible ASCII characters. A
    /// retry of the same request with the same key gets the first reply (with
    /// `Idempotent-Replayed: true`) instead of applying the change again; the same key with
    /// another body is 422 `idempotency-key-reused`; while the first request still runs, 409
    /// `idempotency-key-in-use`. Keys are remembered for `BUERGERAMT_IDEMPOTENCY_RETENTION_HOURS`.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        example = "5f0c6a1e-8a4b-4d55-9a51-3f3c1e2b7d10"
    )]
    pub idempotency_key: String,
}

/// How the middleware behaves; part of [`AppState`]. Cheap to clone (the waiters are shared).
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// How long a retry waits for the first request with its key to finish before answering
    /// 409 `idempotency-key-in-use` (`BUERGERAMT_IDEMPOTENCY_WAIT_MS`).
    pub wait: Duration,
    /// How long records are kept (`BUERGERAMT_IDEMPOTENCY_RETENTION_HOURS`).
    pub retention: Duration,
    /// After how long an unfinished record is presumed abandoned by a process that died, and may
    /// be taken over by a retry: twice the request timeout, at least a minute.
    pub stale_after: Duration,
    waiters: Arc<Waiters>,
}

impl Default for Idempotency {
    fn default() -> Self {
        Self::new(
            Duration::from_millis(5000),
            Duration::from_secs(24 * 3600),
            Duration::from_secs(60),
        )
    }
}

impl Idempotency {
    pub fn new(wait: Duration, retention: Duration, stale_after: Duration) -> Self {
        Self {
            wait,
            retention,
            stale_after,
            waiters: Arc::default(),
        }
    }
}

impl From<&crate::settings::Settings> for Idempotency {
    fn from(settings: &crate::settings::Settings) -> Self {
        Self::new(
            Duration::from_millis(settings.idempotency_wait_ms),
            Duration::from_secs(settings.idempotency_retention_hours.saturating_mul(3600)),
            Duration::from_secs(settings.request_timeout_secs.saturating_mul(2).max(60)),
        )
    }
}

/// One record's identity: (scope, key).
type RecordId = (String, String);

/// In-process wake-ups for retries waiting on a running request.
#[derive(Debug, Default)]
struct Waiters(Mutex<HashMap<RecordId, Arc<Notify>>>);

impl Waiters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RecordId, Arc<Notify>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn subscribe(self: &Arc<Self>, id: &RecordId) -> Waiter {
        let notify = self.lock().entry(id.clone()).or_default().clone();
        Waiter {
            waiters: Arc::clone(self),
            id: id.clone(),
            notify,
        }
    }

    /// Wakes every retry waiting on `id` (the request finished or was abandoned).
    fn wake(&self, id: &RecordId) {
        if let Some(notify) = self.lock().remove(id) {
            notify.notify_waiters();
        }
    }
}

/// A retry's subscription; the map entry goes when its last subscriber does.
struct Waiter {
    waiters: Arc<Waiters>,
    id: RecordId,
    notify: Arc<Notify>,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut map = self.waiters.lock();
        let last = map
            .get(&self.id)
            .is_some_and(|n| Arc::ptr_eq(n, &self.notify) && Arc::strong_count(n) == 2);
        if last {
            map.remove(&self.id);
        }
    }
}

/// The methods of every documented path template, from the OpenAPI document.
static DOCUMENTED: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    crate::routes::openapi()
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods = serde_json::to_value(item)
                .ok()
                .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
                .unwrap_or_default();
            (path.clone(), methods)
        })
        .collect()
});

/// Whether the middleware guards this request: a state-changing method on a matched API route.
/// Requests the router answers with an error whatever the key are let through, so that they
/// keep their answer: the catch-all (`unknown-route`) and a method the route does not have
/// (405; a route layer also wraps that fallback, and the OpenAPI document, which the tests hold
/// equal to the routes, says which methods a path has).
fn guards(request: &Request) -> bool {
    let method = request.method();
    let changes_state = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let Some(matched) = request.extensions().get::<MatchedPath>() else {
        return false;
    };
    let matched = matched.as_str();
    let not_allowed = DOCUMENTED.get(matched).is_some_and(|methods| {
        !methods
            .iter()
            .any(|m| m.eq_ignore_ascii_case(method.as_str()))
    });
    changes_state
        && request.uri().path().starts_with("/api/")
        && !crate::routes::API_CATCH_ALL.contains(&matched)
        && !not_allowed
}

/// The client's key, checked.
fn key_of(headers: &HeaderMap) -> Result<String, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Err(ApiError::IdempotencyKeyMissing);
    };
    let bytes = value.as_bytes();
    let visible = bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    if values.next().is_some() || bytes.is_empty() || bytes.len() > MAX_KEY_LEN || !visible {
        return Err(ApiError::IdempotencyKeyInvalid);
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn digest_hex(kind: &str, value: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(kind.as_bytes());
    hasher.update([0]);
    hasher.update(value);
    hex::encode(hasher.finalize())
}

/// The value of the first session cookie found, in the order of [`SESSION_COOKIES`].
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let pairs: Vec<(String, String)> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    SESSION_COOKIES.iter().find_map(|wanted| {
        pairs
            .iter()
            .find(|(name, value)| name == wanted && !value.is_empty())
            .map(|(_, value)| value.clone())
    })
}

/// The scope of a request: a digest of its credential, never the credential itself.
pub fn scope_of(headers: &HeaderMap) -> String {
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        return digest_hex("authorization", authorization.as_bytes());
    }
    if let Some(session) = session_cookie(headers) {
        return digest_hex("session", session.as_bytes());
    }
    ANONYMOUS_SCOPE.to_owned()
}

/// SHA-256 over method, path and query, content type and body, each length-prefixed so that no
/// two different requests share an encoding.
fn fingerprint(
    method: &Method,
    path_and_query: &str,
    content_type: &[u8],
    body: &[u8],
) -> RequestHash {
    let mut hasher = Sha256::new();
    for part in [
        method.as_str().as_bytes(),
        path_and_query.as_bytes(),
        content_type,
        body,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Reads the whole body, at most `limit` bytes.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::MalformedBody("the body could not be read".into()))?;
        if buffer.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffer))
}

/// The middleware (see the module docs). Layered in [`crate::router`] as a route layer.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !guards(&request) {
        return next.run(request).await;
    }
    match guarded(state, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn guarded(state: AppState, request: Request, next: Next) -> Result<Response, Response> {
    let key = key_of(request.headers()).map_err(IntoResponse::into_response)?;
    let scope = scope_of(request.headers());
    let (parts, body) = request.into_parts();
    let body = read_body(body, state.limits.max_body_bytes)
        .await
        .map_err(IntoResponse::into_response)?;
    let content_type: Vec<u8> = parts
        .headers
        .get_all(header::CONTENT_TYPE)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect::<Vec<_>>()
        .join(&b"\n"[..]);
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_else(|| parts.uri.path());
    let hash = fingerprint(&parts.method, path_and_query, &content_type, &body);

    let store = state.backend.idempotency.clone();
    let config = state.idempotency.clone();
    let id: RecordId = (scope, key);
    let deadline = tokio::time::Instant::now() + config.wait;
    loop {
        // Subscribe before looking, so a completion between the look and the wait is not missed.
        let waiter = config.waiters.subscribe(&id);
        let notified = waiter.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let found = store
            .begin(&id.0, &id.1, hash, chrono::Utc::now(), config.stale_after)
            .await
            .map_err(|e| ApiError::from(e).into_response())?;
        match found {
            Begin::Started => {
                let request = Request::from_parts(parts, Body::from(body));
                return Ok(run_and_settle(store, config, id, request, next).await);
            }
            Begin::Replay(reply) => return Ok(replay(reply)),
            Begin::Mismatch => return Err(ApiError::IdempotencyKeyReused.into_response()),
            Begin::InFlight => {
                if tokio::time::Instant::now() >= deadline {
                    let mut response = ApiError::IdempotencyKeyInUse.into_response();
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                    return Err(response);
                }
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep(POLL) => {}
                    _ = tokio::time::sleep_until(deadline) => {}
                }
            }
        }
    }
}

/// Runs the handler in a task of its own (so that neither a client hanging up nor the request
/// timeout cancels a change halfway), then stores or abandons its reply and wakes the waiters.
async fn run_and_settle(
    store: Arc<dyn IdempotencyStore>,
    config: Idempotency,
    id: RecordId,
    request: Request,
    next: Next,
) -> Response {
    let work = async move {
        let response = match AssertUnwindSafe(next.run(request)).catch_unwind().await {
            Ok(response) => response,
            Err(_) => ApiError::Internal(anyhow::anyhow!("a handler panicked")).into_response(),
        };
        let response = settle(store.as_ref(), &id, response).await;
        config.waiters.wake(&id);
        response
    };
    // The task keeps the request's span, so the handler's log lines carry its request id.
    let task = tokio::spawn(work.instrument(tracing::Span::current()));
    match task.await {
        Ok(response) => response,
        Err(error) => {
            ApiError::Internal(anyhow::anyhow!("the request task failed: {error}")).into_response()
        }
    }
}

/// Stores a definitive reply, or abandons the record so that a retry runs the request again.
async fn settle(store: &dyn IdempotencyStore, id: &RecordId, response: Response) -> Response {
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        abandon(store, id).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_STORED_REPLY_BYTES).await else {
        // The change may have happened, but its reply cannot be kept: a retry runs it again.
        abandon(store, id).await;
        return ApiError::Internal(anyhow::anyhow!(
            "a reply body was unreadable or larger than {MAX_STORED_REPLY_BYTES} bytes"
        ))
        .into_response();
    };
    let text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let reply = StoredReply {
        status: status.as_u16(),
        content_type: text(header::CONTENT_TYPE),
        location: text(header::LOCATION),
        body: bytes.to_vec(),
    };
    match store.complete(&id.0, &id.1, &reply).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!("an idempotency record was gone before its reply was stored"),
        // The change happened; the record stays in flight (a retry waits, then gets 409) rather
        // than letting a retry apply it twice. It goes stale or is purged eventually.
        Err(error) => tracing::error!(%error, "storing an idempotent reply failed"),
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn abandon(store: &dyn IdempotencyStore, id: &RecordId) {
    if let Err(error) = store.abandon(&id.0, &id.1).await {
        // The record stays in flight until it goes stale; retries wait or get 409 meanwhile.
        tracing::error!(%error, "abandoning an idempotency record failed");
    }
}

/// The stored reply, marked as replayed.
fn replay(reply: StoredReply) -> Response {
    let Ok(status) = StatusCode::from_u16(reply.status) else {
        return ApiError::Internal(anyhow::anyhow!(
            "a stored status {} is invalid",
            reply.status
        ))
        .into_response();
    };
    let mut response = (status, reply.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, value) in [
        (header::CONTENT_TYPE, reply.content_type),
        (header::LOCATION, reply.location),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}

/// Deletes expired records every `every` until `stop` resolves (started by `serve`).
pub async fn purge_until(
    store: Arc<dyn IdempotencyStore>,
    retention: Duration,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let cutoff = chrono::Duration::from_std(retention)
            .ok()
            .and_then(|r| chrono::Utc::now().checked_sub_signed(r));
        if let Some(cutoff) = cutoff {
            match store.purge(cutoff).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "purged expired idempotency records"),
                Err(error) => tracing::warn!(%error, "purging idempotency records failed"),
            }
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests;
