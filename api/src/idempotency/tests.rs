//! The `Idempotency-Key` contract over real HTTP, on both backends: the real router and layers
//! with test routes mounted (there are no state-changing production routes yet), `serve_app` on
//! port 0, reqwest as the client.
//!
//! The central check, "100 concurrent POSTs with one key: one effect, identical replies", has a
//! negative control: the same checker against the same handler outside `/api/` (where the guard
//! does not run) must see more than one effect.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use store::{ExpectedVersion, NewEvent, StoreError, StreamId};
use tokio::sync::Notify;

use super::{scope_of, Idempotency, ANONYMOUS_SCOPE, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
use crate::settings::{Secret, Settings};
use crate::{ApiError, AppState, Backend, HttpLimits};

const MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// Where a test's store lives, so that a restarted app can open it again.
enum Place {
    Sqlite(tempfile::TempDir),
    Postgres(store::testing::TestDatabase),
}

impl Place {
    async fn new(postgres: bool) -> Self {
        if postgres {
            Place::Postgres(store::testing::fresh_pg_database().await)
        } else {
            Place::Sqlite(tempfile::tempdir().expect("a temporary directory"))
        }
    }

    fn settings(&self) -> Settings {
        match self {
            Place::Sqlite(dir) => Settings {
                data_dir: dir.path().to_owned(),
                master_key: Some(Secret::new(MASTER_KEY)),
                ..Settings::default()
            },
            Place::Postgres(db) => Settings {
                database_url: Some(Secret::new(db.url.clone())),
                master_key: Some(Secret::new(MASTER_KEY)),
                pg_max_connections: 24,
                ..Settings::default()
            },
        }
    }
}

/// What the test routes share with the test.
#[derive(Debug, Default)]
struct Hooks {
    /// Notified when the held route's handler has started.
    entered: Notify,
    /// The held route's handler finishes once this is notified.
    release: Notify,
    /// Calls of the failing route.
    failing_calls: AtomicUsize,
}

#[derive(Debug, serde::Deserialize)]
struct AppendBody {
    stream: String,
}

/// Appends one event to the body's stream (retrying on conflicts, so every call is exactly one
/// effect) and answers 201 with the new version.
async fn append_one(
    State(state): State<AppState>,
    crate::extract::Json(body): crate::extract::Json<AppendBody>,
) -> Result<Response, ApiError> {
    let stream = StreamId::new(body.stream)?;
    for _ in 0..1000 {
        let version = state.backend.events.stream_version(&stream).await?;
        let event = NewEvent {
            event_id: uuid::Uuid::new_v4(),
            event_type: "TestAppended".into(),
            schema_version: 1,
            payload: b"{}".to_vec(),
            personal: None,
        };
        match state
            .backend
            .events
            .append(&stream, ExpectedVersion::Exact(version), vec![event])
            .await
        {
            Ok(outcome) => {
                let location = format!("/api/v1/test/streams/{stream}/{}", outcome.stream_version);
                let body = axum::Json(serde_json::json!({ "version": outcome.stream_version }));
                return Ok(
                    (StatusCode::CREATED, [(header::LOCATION, location)], body).into_response()
                );
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Conflict("too many concurrent appends".into()))
}

fn test_routes(hooks: Arc<Hooks>) -> Router<AppState> {
    let held = {
        let hooks = hooks.clone();
        move || {
            let hooks = hooks.clone();
            async move {
                hooks.entered.notify_one();
                hooks.release.notified().await;
                "released"
            }
        }
    };
    let failing = {
        let hooks = hooks.clone();
        move || {
            let hooks = hooks.clone();
            async move {
                let call = hooks.failing_calls.fetch_add(1, Ordering::SeqCst) + 1;
                if call == 1 {
                    Err(ApiError::Internal(anyhow::anyhow!("the first call fails")))
                } else {
                    Ok((StatusCode::CREATED, format!("call {call}")))
                }
            }
        }
    };
    Router::new()
        .route("/api/v1/test/append", post(append_one))
        // The negative control: the same handler where the guard does not run.
        .route("/test/append", post(append_one))
        .route("/api/v1/test/held", post(held))
        .route("/api/v1/test/failing", post(failing))
        .route("/api/v1/test/read", get(|| async { "read" }))
}

struct TestApp {
    url: String,
    client: reqwest::Client,
    state: AppState,
    hooks: Arc<Hooks>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    async fn start(place: &Place, idempotency: Idempotency) -> Self {
        Self::start_with_limits(place, idempotency, HttpLimits::default()).await
    }

    async fn start_with_limits(
        place: &Place,
        idempotency: Idempotency,
        limits: HttpLimits,
    ) -> Self {
        let backend = Backend::open(&place.settings())
            .await
            .expect("the store opens");
        let catalogue = Arc::new(domain::catalogue::Catalogue::default_catalogue().unwrap());
        let state = AppState::new(backend, catalogue, limits).with_idempotency(idempotency);
        let hooks = Arc::new(Hooks::default());
        let routes = test_routes(hooks.clone()).merge(crate::routes::router());
        let app = crate::with_layers(routes, state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::serve_app(listener, state.clone(), app, async move {
            let _ = stop_rx.await;
        }));
        Self {
            url,
            client: reqwest::Client::new(),
            state,
            hooks,
            stop: Some(stop_tx),
            server: Some(server),
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    fn post(&self, path: &str, key: Option<&str>, body: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .post(format!("{}{path}", self.url))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_owned());
        if let Some(key) = key {
            request = request.header(IDEMPOTENCY_KEY, key);
        }
        request
    }

    async fn version(&self, stream: &str) -> u64 {
        self.state
            .backend
            .events
            .stream_version(&StreamId::new(stream).unwrap())
            .await
            .unwrap()
    }
}

/// One reply as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reply {
    status: u16,
    location: Option<String>,
    body: String,
    replayed: bool,
}

async fn reply_of(response: reqwest::Response) -> Reply {
    let header_text = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let location = header_text(header::LOCATION.as_str());
    let replayed = header_text(IDEMPOTENT_REPLAYED).as_deref() == Some("true");
    Reply {
        status: response.status().as_u16(),
        location,
        replayed,
        body: response.text().await.unwrap(),
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    reply_of(request.send().await.unwrap()).await
}

/// The `type` slug of a problem body.
fn slug(reply: &Reply) -> String {
    let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    body["type"]
        .as_str()
        .unwrap()
        .trim_start_matches(crate::problems::TYPE_BASE)
        .to_owned()
}

fn fresh_stream() -> String {
    format!("test-{}", uuid::Uuid::new_v4())
}

/// What `callers` concurrent POSTs of one body with one key did.
#[derive(Debug)]
struct OneKeyReport {
    /// Events appended to the stream.
    effects: u64,
    /// Distinct (status, location, body) among the replies.
    distinct_replies: usize,
    statuses: Vec<u16>,
}

impl OneKeyReport {
    fn is_sound(&self) -> bool {
        self.effects == 1 && self.distinct_replies == 1 && self.statuses.iter().all(|s| *s == 201)
    }
}

/// Sends `callers` identical POSTs with one key to `path` at once and counts effects and
/// distinct replies.
async fn one_key_from_many_callers(app: &TestApp, path: &str, callers: usize) -> OneKeyReport {
    let stream = fresh_stream();
    let body = serde_json::json!({ "stream": stream }).to_string();
    let key = uuid::Uuid::new_v4().to_string();
    let barrier = Arc::new(tokio::sync::Barrier::new(callers));
    let mut tasks = Vec::with_capacity(callers);
    for _ in 0..callers {
        let request = app.post(path, Some(&key), &body);
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            send(request).await
        }));
    }
    let mut replies = Vec::with_capacity(callers);
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let mut distinct: Vec<(u16, Option<String>, String)> = replies
        .iter()
        .map(|r| (r.status, r.location.clone(), r.body.clone()))
        .collect();
    distinct.sort();
    distinct.dedup();
    OneKeyReport {
        effects: app.version(&stream).await,
        distinct_replies: distinct.len(),
        statuses: replies.iter().map(|r| r.status).collect(),
    }
}

/// A generous wait, so that the 100 concurrent callers never give up on a slow machine.
fn patient() -> Idempotency {
    Idempotency::new(
        Duration::from_secs(30),
        Duration::from_secs(24 * 3600),
        Duration::from_secs(60),
    )
}

/// Defines `$name::on_sqlite` and `$name::on_postgres` running `$body(postgres: bool)`.
macro_rules! on_both_backends {
    ($($name:ident => $body:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn on_sqlite() {
                    super::$body(false).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn on_postgres() {
                    super::$body(true).await;
                }
            }
        )+
    };
}

on_both_backends! {
    a_hundred_concurrent_posts_with_one_key_have_one_effect_and_identical_replies => hundred_posts,
    the_checker_sees_many_effects_from_the_same_handler_without_the_guard => hundred_posts_unguarded,
    a_missing_or_malformed_key_is_a_400_and_runs_nothing => bad_keys,
    the_same_key_with_another_request_is_a_422 => reused_key,
    a_retry_while_the_first_request_runs_is_a_409_after_the_wait_bound => held_request,
    a_5xx_reply_is_not_stored_so_the_retry_runs_the_handler_again => failing_request,
    a_stored_reply_is_replayed_after_the_app_restarts_on_the_same_store => restart,
    reads_and_unknown_paths_need_no_key => reads_unaffected,
    two_credentials_with_the_same_key_do_not_see_each_others_replies => scopes,
    the_purge_deletes_records_older_than_the_retention => purge,
    a_request_that_timed_out_still_finishes_and_its_retry_gets_the_reply => timed_out,
}

async fn timed_out(postgres: bool) {
    let place = Place::new(postgres).await;
    let limits = HttpLimits {
        request_timeout: Duration::from_secs(1),
        ..HttpLimits::default()
    };
    let app = TestApp::start_with_limits(&place, patient(), limits).await;
    let key = uuid::Uuid::new_v4().to_string();
    let path = "/api/v1/test/held";
    // The handler is held until released, so the client gets the timeout first.
    let first = send(app.post(path, Some(&key), "{}")).await;
    assert_eq!((first.status, slug(&first).as_str()), (503, "timeout"));
    app.hooks.entered.notified().await;
    app.hooks.release.notify_one();
    // The change was not cancelled with the request: the retry gets its reply.
    let retry = send(app.post(path, Some(&key), "{}")).await;
    assert_eq!(
        (retry.status, retry.body.as_str(), retry.replayed),
        (200, "released", true)
    );
    app.stop().await;
}

async fn hundred_posts(postgres: bool) {
    let place = Place::new(postgres).await;
    let app = TestApp::start(&place, patient()).await;
    let report = one_key_from_many_callers(&app, "/api/v1/test/append", 100).await;
    assert!(report.is_sound(), "{report:?}");
    app.stop().await;
}

async fn hundred_posts_unguarded(postgres: bool) {
    let place = Place::new(postgres).await;
    let app = TestApp::start(&place, patient()).await;
    let report = one_key_from_many_callers(&app, "/test/append", 100).await;
    assert!(!report.is_sound(), "the checker must fail: {report:?}");
    assert_eq!(report.effects, 100, "{report:?}");
    app.stop().await;
}

async fn bad_keys(postgres: bool) {
    let place = Place::new(postgres).await;
    let app = TestApp::start(&place, patient()).await;
    let stream = fresh_stream();
    let body = serde_json::json!({ "stream": stream }).to_string();
    let path = "/api/v1/test/append";

    let missing = send(app.post(path, None, &body)).await;
    assert_eq!(
        (missing.status, slug(&missing).as_str()),
        (400, "idempotency-key-missing")
    );
    let too_long = "k".repeat(256);
    for key in ["", "a b", "tab\there", too_long.as_str()] {
        let reply = send(app.post(path, Some(key), &body)).await;
        assert_eq!(
            (reply.status, slug(&reply).as_str()),
            (400, "idempotency-key-invalid"),
            "{key:?}"
        );
    }
    let non_ascii = app.post(path, None, &body).header(
        IDEMPOTENCY_KEY,
        reqwest::header::HeaderValue::from_bytes(b"schl\xfcssel").unwrap(),
    );
    let reply = send(non_ascii).await;
    assert_eq!(
        (reply.status, slug(&reply).as_str()),
        (400, "idempotency-key-invalid")
    );
    let twice = app
        .post(path, Some("one"), &body)
        .header(IDEMPOTENCY_KEY, "two");
    let reply = send(twice).await;
    assert_eq!(
        (reply.status, slug(&reply).as_str()),
        (400, "idempotency-key-invalid")
    );
    assert_eq!(app.version(&stream).await, 0, "no refused request ran");

    // The negative control: the longest valid key of visible characters is accepted.
    let longest: String = (0..255)
        .map(|i| char::from(b'!' + (i % 94) as u8))
        .collect();
    let accepted = send(app.post(path, Some(&longest), &body)).await;
    assert_eq!(accepted.status, 201, "{accepted:?}");
    assert_eq!(app.version(&stream).await, 1);
    app.stop().await;
}

async fn reused_key(postgres: bool) {
    let place = Place::new(postgres).await;
    let app = TestApp::start(&place, patient()).await;
    let (stream, other) = (fresh_stream(), fresh_stream());
    let body = serde_json::json!({ "stream": stream }).to_string();
    let other_body = serde_json::json!({ "stream": other }).to_string();
    let key = uuid::Uuid::new_v4().to_string();
    let path = "/api/v1/test/append";

    let first = send(app.post(path, Some(&key), &body)).await;
    assert_eq!(first.status, 201);
    assert!(!first.replayed);
    for request in [
        app.post(path, Some(&key), &other_body),
        app.post(&format!("{path}?x=1"), Some(&key), &body),
        app.client
            .post(format!("{}{path}", app.url))
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(IDEMPOTENCY_KEY, &key)
            .body(body.clone()),
    ] {
        let reply = send(request).await;
        assert_eq!(
            (reply.status, slug(&reply).as_str()),
            (422, "idempotency-key-reused")
        );
    }
    assert_eq!(
        (app.version(&stream).await, app.version(&other).await),
        (1, 0)
    );
    // The original request still replays.
    let again = send(app.post(path, Some(&key), &body)).await;
    assert!(again.replayed);
    assert_eq!(
        (again.status, again.body, again.location),
        (201, first.body, first.location)
    );
    app.stop().await;
}

async fn held_request(postgres: bool) {
    let place = Place::new(postgres).await;
    let short = Idempotency::new(
        Duration::from_millis(300),
        Duration::from_secs(24 * 3600),
        Duration::from_secs(60),
    );
    let app = TestApp::start(&place, short).await;
    let key = uuid::Uuid::new_v4().to_string();
    let path = "/api/v1/test/held";
    let first = tokio::spawn(send(app.post(path, Some(&key), "{}")));
    app.hooks.entered.notified().await;

    let response = app.post(path, Some(&key), "{}").send().await.unwrap();
    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    let second = reply_of(response).await;
    assert_eq!(
        (second.status, slug(&second).as_str()),
        (409, "idempotency-key-in-use")
    );

    app.hooks.release.notify_one();
    let first = first.await.unwrap();
    assert_eq!(
        (first.status, first.body.as_str(), first.replayed),
        (200, "released", false)
    );
    let third = send(app.post(path, Some(&key), "{}")).await;
    assert_eq!(
        (third.status, third.body.as_str(), third.replayed),
        (200, "released", true)
    );
    app.stop().await;
}

async fn failing_request(postgres: bool) {
    let place = Place::new(postgres).await;
    let app = TestApp::start(&place, patient()).await;
    let key = uuid::Uuid::new_v4().to_string();
    let path = "/api/v1/test/failing";
    let first = send(app.post(path, Some(&key), "{}")).await;
    assert_eq!((first.status, slug(&first).as_str()), (500, "internal"));
    let second = send(app.post(path, Some(&key), "{}")).await;
    assert_eq!(
        (second.status, second.body.as_str(), second.replayed),
        (201, "call 2", false)
    );
    let third = send(app.post(path, Some(&key), "{}")).await;
    assert_eq!(
        (third.status, third.body.as_str(), third.replayed),
        (201, "call 2", true)
    );
    assert_eq!(app.hooks.failing_calls.load(Ordering::SeqCst), 2);
    app.stop().await;
}

async fn restart(postgres: bool) {
    let place = Place::new(postgres).await;
    let stream = fresh_stream();
    let body = serde_json::json!({ "stream": stream }).to_string();
    let key = uuid::Uuid::new_v4().to_string();
    let path = "/api/v1/test/append";

    let app = TestApp::start(&place, patient()).await;
    let first = send(app.post(path, Some(&key), &body)).await;
    assert_eq!(first.status, 201);
    app.stop().await;

    let app = TestApp::start(&place, patient()).await;
    let again = send(app.post(path, Some(&key), &body)).await;
    assert!(again.replayed, "{again:?}");
    assert_eq!(
        (again.status, again.body, again.location),
        (201, first.body, first.location)
    );
    assert_eq!(app.version(&stream).await, 1);
    app.stop().await;
}

async fn reads_unaffected(postgres: bool) {
    let place = Place::new(postgres).await;
    let app = TestApp::start(&place, patient()).await;
    let read = send(app.client.get(format!("{}/api/v1/test/read", app.url))).await;
    assert_eq!((read.status, read.body.as_str()), (200, "read"));
    let unknown = send(app.post("/api/v1/nothing", None, "{}")).await;
    assert_eq!(
        (unknown.status, slug(&unknown).as_str()),
        (404, "unknown-route")
    );
    let wrong_method = send(app.post("/api/v1/offices/mitte/queue/2026-11-24", None, "{}")).await;
    assert_eq!(
        (wrong_method.status, slug(&wrong_method).as_str()),
        (405, "method-not-allowed")
    );
    // The negative control: a POST to a guarded route without a key is refused.
    let guarded = send(app.post("/api/v1/test/failing", None, "{}")).await;
    assert_eq!(guarded.status, 400);
    app.stop().await;
}

async fn scopes(postgres: bool) {
    let place = Place::new(postgres).await;
    let app = TestApp::start(&place, patient()).await;
    let stream = fresh_stream();
    let body = serde_json::json!({ "stream": stream }).to_string();
    let key = uuid::Uuid::new_v4().to_string();
    let path = "/api/v1/test/append";
    let as_alice = || {
        app.post(path, Some(&key), &body)
            .header(header::AUTHORIZATION, "Bearer alice")
    };
    let as_bob = || {
        app.post(path, Some(&key), &body)
            .header(header::AUTHORIZATION, "Bearer bob")
    };
    let with_session = || {
        app.post(path, Some(&key), &body)
            .header(header::COOKIE, "lang=de; buergeramt-session=s3ss10n")
            // A cookie-borne change must prove it comes from this site (the CSRF guard).
            .header("sec-fetch-site", "same-origin")
    };

    let alice = send(as_alice()).await;
    let bob = send(as_bob()).await;
    let session = send(with_session()).await;
    let anonymous = send(app.post(path, Some(&key), &body)).await;
    for (reply, version) in [(&alice, 1), (&bob, 2), (&session, 3), (&anonymous, 4)] {
        assert_eq!(reply.status, 201);
        assert!(!reply.replayed, "{reply:?}");
        assert_eq!(reply.body, format!("{{\"version\":{version}}}"));
    }
    // Each credential replays its own reply (the negative control: the key is remembered).
    for (request, original) in [
        (as_alice(), &alice),
        (as_bob(), &bob),
        (with_session(), &session),
    ] {
        let again = send(request).await;
        assert!(again.replayed);
        assert_eq!(again.body, original.body);
    }
    assert_eq!(app.version(&stream).await, 4);
    app.stop().await;
}

async fn purge(postgres: bool) {
    let place = Place::new(postgres).await;
    let app = TestApp::start(&place, patient()).await;
    let store = app.state.backend.idempotency.clone();
    let now = chrono::Utc::now();
    let day = Duration::from_secs(24 * 3600);
    let minute = Duration::from_secs(60);
    let two_days_ago = now - chrono::Duration::hours(48);
    assert_eq!(
        store
            .begin("s", "old", [1; 32], two_days_ago, day)
            .await
            .unwrap(),
        store::Begin::Started
    );
    assert_eq!(
        store.begin("s", "new", [1; 32], now, day).await.unwrap(),
        store::Begin::Started
    );
    super::purge_until(store.clone(), day, minute, std::future::ready(())).await;
    assert_eq!(
        store.begin("s", "old", [1; 32], now, day).await.unwrap(),
        store::Begin::Started
    );
    assert_eq!(
        store.begin("s", "new", [1; 32], now, day).await.unwrap(),
        store::Begin::InFlight
    );
    app.stop().await;
}

#[test]
fn the_scope_is_a_digest_of_the_authorization_header_else_the_session_cookie_else_anonymous() {
    use axum::http::{HeaderMap, HeaderValue};
    let headers = |pairs: &[(header::HeaderName, &str)]| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    };
    let anonymous = scope_of(&headers(&[(header::COOKIE, "lang=de")]));
    assert_eq!(anonymous, ANONYMOUS_SCOPE);
    let bearer = scope_of(&headers(&[(header::AUTHORIZATION, "Bearer secret-token")]));
    assert_eq!(bearer.len(), 64);
    assert!(!bearer.contains("secret"));
    let host = scope_of(&headers(&[(
        header::COOKIE,
        "buergeramt-session=plain; __Host-buergeramt-session=hosted",
    )]));
    let hosted_only = scope_of(&headers(&[(
        header::COOKIE,
        "__Host-buergeramt-session=hosted",
    )]));
    assert_eq!(host, hosted_only, "the __Host- cookie is preferred");
    let plain = scope_of(&headers(&[(header::COOKIE, "buergeramt-session=plain")]));
    assert_ne!(plain, hosted_only);
    let split = scope_of(&headers(&[
        (header::COOKIE, "lang=de"),
        (header::COOKIE, "buergeramt-session=plain"),
    ]));
    assert_eq!(split, plain, "cookies in several headers are found");
    // The header wins over the cookie, and a token equal to a cookie value is another scope.
    let both = scope_of(&headers(&[
        (header::AUTHORIZATION, "plain"),
        (header::COOKIE, "buergeramt-session=plain"),
    ]));
    assert_eq!(
        both,
        scope_of(&headers(&[(header::AUTHORIZATION, "plain")]))
    );
    assert_ne!(both, plain);
}

#[test]
fn settings_give_the_wait_the_retention_and_a_stale_time_past_the_request_timeout() {
    let settings = Settings {
        idempotency_wait_ms: 250,
        idempotency_retention_hours: 2,
        request_timeout_secs: 45,
        ..Settings::default()
    };
    let idempotency = Idempotency::from(&settings);
    assert_eq!(idempotency.wait, Duration::from_millis(250));
    assert_eq!(idempotency.retention, Duration::from_secs(7200));
    assert_eq!(idempotency.stale_after, Duration::from_secs(90));
}

#[test]
fn route_authors_document_the_header_with_idempotency_key_header() {
    use utoipa::OpenApi;

    #[utoipa::path(
        post,
        path = "/api/v1/test/append",
        params(super::IdempotencyKeyHeader),
        responses((status = 201, description = "Appended"))
    )]
    #[allow(dead_code, reason = "only its documentation is used")]
    async fn documented_append() {}

    #[derive(OpenApi)]
    #[openapi(paths(documented_append))]
    struct Doc;

    let doc = serde_json::to_value(Doc::openapi()).unwrap();
    let params = &doc["paths"]["/api/v1/test/append"]["post"]["parameters"];
    assert_eq!(params[0]["name"], "Idempotency-Key", "{params}");
    assert_eq!(params[0]["in"], "header");
    assert_eq!(params[0]["required"], true);
    assert_eq!(params[0]["schema"]["maxLength"], 255);
}
