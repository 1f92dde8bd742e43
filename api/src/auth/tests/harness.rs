//! A router over a fresh store with a set clock, demo-like accounts and two citizen cases.

use std::any::Any;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{TimeZone, Utc};
use domain::case::{CaseCommand, LinkChannel};
use domain::{Actor, Case, CaseId, OfficeId};
use serde_json::{json, Value};
use store::repository::{encode, Repository};
use store::vault::MasterKey;
use store::{ExpectedVersion, StreamId};
use tower::ServiceExt;

use crate::auth::accounts::{create_account, NewAccount};
use crate::auth::{AuthState, ManualClock};
use crate::capability::CapabilityToken;
use crate::{AppState, Backend, HttpLimits};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub const OFFICE_X: &str = "potsdam-mitte";
pub const OFFICE_Y: &str = "potsdam-babelsberg";
pub const PASSWORD: &str = "a long test password";
/// The public URL of the test app (also the origin same-site requests send).
pub const ORIGIN: &str = "http://127.0.0.1:8080";

/// The staff accounts every test app has: `(username, role, office)`.
pub const STAFF: [(&str, &str, Option<&str>); 5] = [
    ("admin", "admin", None),
    ("clerk.x", "clerk", Some(OFFICE_X)),
    ("clerk.y", "clerk", Some(OFFICE_Y)),
    ("auditor", "auditor", None),
    ("planner", "planner", None),
];

/// Who sends a request.
#[derive(Debug, Clone)]
pub enum Who {
    Nobody,
    /// A session cookie (`name=value`); state changes add `Sec-Fetch-Site: same-origin`.
    Cookie(String),
    /// A capability token.
    Bearer(String),
}

pub struct TestApp {
    pub app: Router,
    /// The state behind `app` (its store, booking and catalogue).
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    /// Capability tokens for case A (office X) and case B (office Y).
    pub case_a: (CaseId, CapabilityToken),
    pub case_b: (CaseId, CapabilityToken),
    _guard: Box<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestApp")
    }
}

async fn backend(kind: Kind) -> (Backend, Box<dyn Any + Send + Sync>) {
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let store =
                store::sqlite::SqliteStore::open(&dir.path().join("t.db"), MasterKey::generate())
                    .await
                    .unwrap();
            let store = Arc::new(store);
            let backend = Backend::from_store(store, "sqlite", crate::backend::DerivedKey([7; 32]));
            (backend, Box::new(dir))
        }
        Kind::Postgres => {
            let db = store::testing::fresh_pg_database().await;
            let store = Arc::new(db.pg_store(MasterKey::generate(), 8).await);
            let backend =
                Backend::from_store(store, "postgres", crate::backend::DerivedKey([7; 32]));
            (backend, Box::new(db))
        }
    }
}

/// A case at `office` whose citizen holds the returned capability token.
async fn citizen_case(state: &AppState, n: u64, office: &str) -> (CaseId, CapabilityToken) {
    let service = &state.catalogue.seed().services()[0];
    let office = OfficeId::parse(office).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let (case_id, events) = domain::fixtures::case_history(n, service, &office, start).unwrap();
    let stream = StreamId::new(case_id.stream_name()).unwrap();
    state
        .backend
        .events
        .append(
            &stream,
            ExpectedVersion::NoStream,
            events.iter().map(encode).collect(),
        )
        .await
        .unwrap();
    let token = CapabilityToken::generate(case_id);
    Repository::new(state.backend.events.clone())
        .execute::<Case>(
            &stream,
            CaseCommand::IssueAccessLink {
                token_sha256: token.hash(),
                via: LinkChannel::Booking,
                at: start,
            },
        )
        .await
        .unwrap();
    (case_id, token)
}

pub async fn test_app(kind: Kind) -> TestApp {
    let (backend, guard) = backend(kind).await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap(),
    ));
    let catalogue = Arc::new(domain::catalogue::Catalogue::default_catalogue().unwrap());
    let state = AppState::new(backend, catalogue, HttpLimits::default())
        .with_public_url(ORIGIN)
        .with_auth(AuthState::new(
            store::sessions::SessionPolicy::DEFAULT,
            clock.clone(),
        ));
    for (username, role, office) in STAFF {
        let request = NewAccount {
            username: username.into(),
            display_name: format!("Test {username}"),
            role: role.into(),
            office: office.map(str::to_owned),
            password: PASSWORD.into(),
        };
        create_account(&state, request, Actor::System)
            .await
            .unwrap();
    }
    let case_a = citizen_case(&state, 1, OFFICE_X).await;
    let case_b = citizen_case(&state, 2, OFFICE_Y).await;
    TestApp {
        app: crate::router(state.clone()),
        state,
        clock,
        case_a,
        case_b,
        _guard: guard,
    }
}

/// A parsed answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The problem `type` slug, if a problem.
    pub fn slug(&self) -> Option<&str> {
        self.body["type"]
            .as_str()
            .and_then(|t| t.strip_prefix(crate::problems::TYPE_BASE))
    }

    /// The `name=value` of the session cookie this answer sets.
    pub fn cookie(&self) -> Option<String> {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .filter(|pair| !pair.ends_with('='))
            .map(str::to_owned)
    }
}

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        use crate::auth::Clock;
        self.clock.now()
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A request as this site's own pages send it.
    pub async fn call(&self, method: Method, uri: &str, who: &Who, body: Option<Value>) -> Answer {
        let mut builder = Request::builder().method(method.clone()).uri(uri);
        if method != Method::GET {
            builder = builder.header("idempotency-key", uuid::Uuid::new_v4().to_string());
        }
        match who {
            Who::Nobody => {}
            Who::Cookie(cookie) => {
                builder = builder
                    .header(header::COOKIE, cookie)
                    .header("sec-fetch-site", "same-origin");
            }
            Who::Bearer(token) => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
            }
        }
        let body = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).unwrap()).await
    }

    pub async fn login_answer(&self, username: &str, password: &str) -> Answer {
        let body = json!({ "username": username, "password": password });
        self.call(Method::POST, "/api/v1/session", &Who::Nobody, Some(body))
            .await
    }

    /// Logs in and returns the session cookie; panics if refused.
    pub async fn login(&self, username: &str) -> Who {
        let answer = self.login_answer(username, PASSWORD).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{username}: {:?}",
            answer.body
        );
        Who::Cookie(answer.cookie().expect("a session cookie"))
    }
}
