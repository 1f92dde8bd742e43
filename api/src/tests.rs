//! Tests of the HTTP foundation through the real router and `serve`: the OpenAPI document
//! matches the routes, axum's rejections and the layers answer in problem+json, `/ready`
//! follows the projection runners, and shutdown lets in-flight requests finish.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use tower::ServiceExt;

use crate::problems::{ProblemType, PROBLEM_JSON};
use crate::settings::{Secret, Settings};
use crate::{AppState, Backend, HttpLimits};

const MASTER_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

async fn state(dir: &tempfile::TempDir, limits: HttpLimits) -> AppState {
    let settings = Settings {
        data_dir: dir.path().to_owned(),
        master_key: Some(Secret::new(MASTER_KEY)),
        ..Settings::default()
    };
    let backend = Backend::open(&settings).await.unwrap();
    let catalogue = Arc::new(domain::catalogue::Catalogue::default_catalogue().unwrap());
    AppState::new(backend, catalogue, limits)
}

async fn call(app: &Router, method: Method, uri: &str, body: Body) -> axum::response::Response {
    app.clone()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(body)
                .unwrap(),
        )
        .await
        .unwrap()
}

/// The status and the problem `type` slug of a problem+json answer.
async fn problem(response: axum::response::Response) -> (StatusCode, String) {
    let status = response.status();
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        PROBLEM_JSON,
        "{status}"
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["status"], status.as_u16());
    let kind = body["type"].as_str().unwrap().to_owned();
    let slug = kind
        .strip_prefix(crate::problems::TYPE_BASE)
        .unwrap()
        .to_owned();
    assert!(ProblemType::ALL.iter().any(|p| p.slug() == slug), "{slug}");
    (status, slug)
}

/// The path templates the router serves, read from its `Debug` output (axum lists them there).
fn served_paths(router: &Router<AppState>) -> BTreeSet<String> {
    let shown = format!("{router:?}");
    let paths: BTreeSet<String> = shown
        .split('"')
        .filter(|s| s.starts_with('/') && !s.contains("__private__"))
        .map(str::to_owned)
        .collect();
    assert!(
        paths.contains("/health"),
        "the router's Debug output no longer lists its paths: {shown}"
    );
    paths
}

fn documented() -> Vec<(String, Vec<Method>)> {
    let doc = serde_json::to_value(crate::routes::openapi()).unwrap();
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = item
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|m| m.to_uppercase().parse::<Method>().ok())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

fn is_api_path(path: &str) -> bool {
    path == "/health" || path == "/ready" || path.starts_with("/api/")
}

#[test]
fn the_openapi_document_is_version_3_1_and_names_the_case_summary_schema() {
    let doc = serde_json::to_value(crate::routes::openapi()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "CaseSummary",
        "Status",
        "FeeState",
        "Appointment",
        "Problem",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
    let properties = schemas["CaseSummary"]["properties"].as_object().unwrap();
    assert!(properties.contains_key("waiting_since") && properties.contains_key("fee"));
}

#[test]
fn every_state_changing_operation_documents_the_idempotency_key_once_and_every_tag_is_declared() {
    let doc = serde_json::to_value(crate::routes::openapi()).unwrap();
    let declared: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let mut changes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for tag in operation["tags"].as_array().into_iter().flatten() {
                assert!(
                    declared.contains(tag.as_str().unwrap()),
                    "{path}: tag {tag}"
                );
            }
            if !["post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            changes += 1;
            let keys = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
                .count();
            assert_eq!(keys, 1, "{method} {path}");
        }
    }
    assert!(
        changes >= 10,
        "the check saw {changes} state-changing operations"
    );
}

#[test]
fn every_served_api_path_is_documented_and_every_documented_path_is_served() {
    let served: BTreeSet<String> = served_paths(&crate::routes::router())
        .into_iter()
        .filter(|p| is_api_path(p) && !p.contains("{*"))
        .collect();
    let documented: BTreeSet<String> = documented().into_iter().map(|(p, _)| p).collect();
    assert_eq!(served, documented);
}

#[tokio::test]
async fn every_documented_method_is_served_and_every_other_method_is_a_405_problem() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::router(state(&dir, HttpLimits::default()).await);
    for (path, methods) in documented() {
        let uri = path
            .replace("{office}", "potsdam-mitte")
            .replace("{date}", "2026-11-24");
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            let response = call(&app, method.clone(), &uri, Body::empty()).await;
            if methods.contains(&method) {
                assert!(
                    response.status() != StatusCode::METHOD_NOT_ALLOWED
                        && response.status() != StatusCode::NOT_FOUND,
                    "{method} {path}: {}",
                    response.status()
                );
            } else {
                assert!(response.headers().contains_key(header::ALLOW));
                assert_eq!(
                    problem(response).await,
                    (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed".into()),
                    "{method} {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::router(state(&dir, HttpLimits::default()).await);
    let response = call(&app, Method::GET, "/api/v1/openapi.json", Body::empty()).await;
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(doc["paths"]["/api/v1/offices/{office}/queue/{date}"]["get"].is_object());
}

#[tokio::test]
async fn unknown_api_paths_and_bad_parameters_are_problems_from_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::router(state(&dir, HttpLimits::default()).await);
    for (uri, expected) in [
        ("/api", (404, "unknown-route")),
        ("/api/v1/nothing", (404, "unknown-route")),
        (
            "/api/v1/offices/potsdam-mitte/queue",
            (404, "unknown-route"),
        ),
        (
            "/api/v1/offices/Mitte/queue/2026-11-24",
            (400, "bad-request"),
        ),
        (
            "/api/v1/offices/mitte/queue/2026-02-30",
            (400, "bad-request"),
        ),
        (
            "/api/v1/offices/%FF%FE/queue/2026-11-24",
            (400, "malformed-path"),
        ),
    ] {
        let (status, slug) = problem(call(&app, Method::GET, uri, Body::empty()).await).await;
        assert_eq!((status.as_u16(), slug.as_str()), expected, "{uri}");
    }
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Sample {
    name: String,
    count: u32,
}

/// A router with endpoints that take a JSON body and a query, behind the same layers, to check
/// that axum's rejections become problems (no production endpoint takes a body yet).
fn sample_router(limits: HttpLimits) -> Router {
    async fn take_json(crate::extract::Json(_): crate::extract::Json<Sample>) -> &'static str {
        "ok"
    }
    async fn take_query(crate::extract::Query(_): crate::extract::Query<Sample>) -> &'static str {
        "ok"
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        "late"
    }
    crate::http::layered(
        Router::new()
            .route("/json", post(take_json))
            .route("/query", get(take_query))
            .route("/slow", get(slow)),
        limits,
    )
}

fn json_request(body: impl Into<Body>, content_type: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(Method::POST).uri("/json");
    if let Some(ct) = content_type {
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    builder.body(body.into()).unwrap()
}

#[tokio::test]
async fn axum_rejections_of_bodies_and_queries_are_problems_from_the_catalogue() {
    let limits = HttpLimits {
        max_body_bytes: 1024,
        ..HttpLimits::default()
    };
    let app = sample_router(limits);
    let ok = app
        .clone()
        .oneshot(json_request(
            r#"{"name":"a","count":1}"#,
            Some("application/json"),
        ))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "the negative control must pass");
    let huge = format!(r#"{{"name":"{}","count":1}}"#, "a".repeat(4096));
    let chunked = Body::from_stream(futures::stream::iter([Ok::<_, std::io::Error>(
        huge.clone(),
    )]));
    for (request, expected) in [
        (
            json_request("{not json", Some("application/json")),
            (400, "malformed-body"),
        ),
        (
            json_request(r#"{"name":1}"#, Some("application/json")),
            (422, "invalid-body"),
        ),
        (
            json_request(r#"{"name":"a","count":1}"#, Some("text/plain")),
            (415, "unsupported-media-type"),
        ),
        (
            json_request(r#"{"name":"a","count":1}"#, None),
            (415, "unsupported-media-type"),
        ),
        // Declared too large: refused before the body is read.
        (
            json_request(huge.clone(), Some("application/json")),
            (413, "payload-too-large"),
        ),
        // Not declared (streamed): cut off while reading.
        (
            json_request(chunked, Some("application/json")),
            (413, "payload-too-large"),
        ),
    ] {
        let (status, slug) = problem(app.clone().oneshot(request).await.unwrap()).await;
        assert_eq!((status.as_u16(), slug.as_str()), expected);
    }
    for uri in [
        "/query?name=a&count=minus-one",
        "/query?count=1",
        "/query?%ZZ=%FF",
    ] {
        let (status, slug) = problem(call(&app, Method::GET, uri, Body::empty()).await).await;
        assert_eq!(
            (status.as_u16(), slug.as_str()),
            (400, "malformed-query"),
            "{uri}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_request_that_takes_too_long_is_abandoned_with_a_timeout_problem() {
    let app = sample_router(HttpLimits {
        request_timeout: Duration::from_secs(2),
        ..HttpLimits::default()
    });
    let (status, slug) = problem(call(&app, Method::GET, "/slow", Body::empty()).await).await;
    assert_eq!((status.as_u16(), slug.as_str()), (503, "timeout"));
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_sane_client_id_is_kept() {
    let app = sample_router(HttpLimits::default());
    let request = |id: &str| {
        Request::builder()
            .uri("/query?name=a&count=1")
            .header(crate::http::REQUEST_ID, id)
            .body(Body::empty())
            .unwrap()
    };
    let kept = app.clone().oneshot(request("abc-123.X_y")).await.unwrap();
    assert_eq!(kept.headers()[crate::http::REQUEST_ID], "abc-123.X_y");
    for hostile in ["", "a b", "<script>", &"x".repeat(65)] {
        let replaced = app.clone().oneshot(request(hostile)).await.unwrap();
        let id = replaced.headers()[crate::http::REQUEST_ID]
            .to_str()
            .unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{hostile:?} gave {id:?}");
    }
    let none = call(&app, Method::GET, "/nothing-here", Body::empty()).await;
    assert!(none.headers().contains_key(crate::http::REQUEST_ID));
}

/// Starts `serve_app` on port 0; returns the base URL, the shutdown trigger and the server task.
async fn start(
    state: AppState,
    app: Router,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve_app(listener, state, app, async move {
        let _ = stop_rx.await;
    }));
    (url, stop_tx, server)
}

async fn status_eventually(client: &reqwest::Client, url: &str, wanted: u16) {
    for _ in 0..200 {
        let status = client.get(url).send().await.unwrap().status().as_u16();
        if status == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} never answered {wanted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_200_while_the_runners_follow_and_503_once_one_stops_on_an_undecodable_event() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir, HttpLimits::default()).await;
    let events = state.backend.events.clone();
    let app = crate::router(state.clone());
    let client = reqwest::Client::new();

    // Before serve starts the runners, the service is not ready.
    let before = call(&app, Method::GET, "/ready", Body::empty()).await;
    assert_eq!(
        problem(before).await,
        (StatusCode::SERVICE_UNAVAILABLE, "not-ready".into())
    );

    let (url, stop, server) = start(state, app).await;
    status_eventually(&client, &format!("{url}/ready"), 200).await;
    let ready: serde_json::Value = client
        .get(format!("{url}/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["projections"]["case_summary"], "running");

    let stream = store::StreamId::new(format!("case-{}", uuid::Uuid::now_v7())).unwrap();
    events
        .append(
            &stream,
            store::ExpectedVersion::NoStream,
            vec![store::NewEvent {
                event_id: uuid::Uuid::now_v7(),
                event_type: "CaseTeleported".into(),
                schema_version: 1,
                payload: b"{}".to_vec(),
                personal: None,
            }],
        )
        .await
        .unwrap();
    status_eventually(&client, &format!("{url}/ready"), 503).await;
    let response = client.get(format!("{url}/ready")).send().await.unwrap();
    assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["type"], ProblemType::NotReady.uri());
    // Liveness is another question: the process and the store are fine.
    let health = client.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_when_shutdown_starts_still_gets_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir, HttpLimits::default()).await;
    let (entered_tx, entered_rx) = tokio::sync::oneshot::channel::<()>();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let entered = Arc::new(std::sync::Mutex::new(Some(entered_tx)));
    let release = Arc::new(tokio::sync::Mutex::new(Some(release_rx)));
    let app = crate::router(state.clone()).route(
        "/test/in-flight",
        get(move || {
            let entered = entered.clone();
            let release = release.clone();
            async move {
                if let Some(tx) = entered.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                if let Some(rx) = release.lock().await.take() {
                    let _ = rx.await;
                }
                "finished"
            }
        }),
    );
    let (url, stop, server) = start(state, app).await;
    let client = reqwest::Client::new();
    let request = tokio::spawn(async move {
        let response = client
            .get(format!("{url}/test/in-flight"))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    });
    entered_rx.await.unwrap();
    stop.send(()).unwrap();
    // The server is shutting down but must wait for the request it is serving.
    tokio::task::yield_now().await;
    assert!(
        !server.is_finished(),
        "serve returned with a request in flight"
    );
    release_tx.send(()).unwrap();
    assert_eq!(request.await.unwrap(), (200, "finished".to_owned()));
    server.await.unwrap().unwrap();
}
