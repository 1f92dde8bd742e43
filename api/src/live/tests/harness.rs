//! A real server on port 0 over a fresh store, with staff accounts, booked cases for today and
//! a small Server-Sent Events reader.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use domain::case::{Appointment, CaseChannel, CaseCommand, Contact, Language, LinkChannel};
use domain::{Actor, Case, CaseId, CitizenId, OfficeId};
use serde_json::{json, Value};
use store::repository::Repository;
use store::vault::MasterKey;
use store::StreamId;

use crate::auth::accounts::{create_account, NewAccount};
use crate::capability::CapabilityToken;
use crate::live::Live;
use crate::local_time::to_local;
use crate::{AppState, Backend, HttpLimits};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub const OFFICE_X: &str = "potsdam-mitte";
pub const OFFICE_Y: &str = "potsdam-babelsberg";
pub const PASSWORD: &str = "a long test password";
/// How long a test waits for something that should happen at once before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// `(username, role, office)`.
pub const STAFF: [(&str, &str, Option<&str>); 4] = [
    ("admin", "admin", None),
    ("clerk.x", "clerk", Some(OFFICE_X)),
    ("clerk.y", "clerk", Some(OFFICE_Y)),
    ("auditor", "auditor", None),
];

pub async fn backend(kind: Kind) -> (Backend, Box<dyn Any + Send + Sync>) {
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let store =
                store::sqlite::SqliteStore::open(&dir.path().join("t.db"), MasterKey::generate())
                    .await
                    .unwrap();
            let backend = Backend::from_store(
                Arc::new(store),
                "sqlite",
                crate::backend::DerivedKey([7; 32]),
            );
            (backend, Box::new(dir))
        }
        Kind::Postgres => {
            let db = store::testing::fresh_pg_database().await;
            let store = Arc::new(db.pg_store(MasterKey::generate(), 16).await);
            let backend =
                Backend::from_store(store, "postgres", crate::backend::DerivedKey([7; 32]));
            (backend, Box::new(db))
        }
    }
}

/// A state over a fresh store with the staff accounts.
pub async fn state(kind: Kind, live: Live) -> (AppState, Box<dyn Any + Send + Sync>) {
    let (backend, guard) = backend(kind).await;
    let catalogue = Arc::new(domain::catalogue::Catalogue::default_catalogue().unwrap());
    let state = AppState::new(backend, catalogue, HttpLimits::default()).with_live(live);
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
    (state, guard)
}

/// The office-local day of an appointment starting now: today.
pub fn today() -> chrono::NaiveDate {
    to_local(now_minute()).date()
}

/// Now, to the minute.
pub fn now_minute() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap()
}

/// A case at `office` booked for `starts_at`, with a capability link.
pub async fn booked_case(
    state: &AppState,
    office: &str,
    starts_at: DateTime<Utc>,
) -> (CaseId, CapabilityToken) {
    let case_id = CaseId(uuid::Uuid::new_v4());
    let booked_at = starts_at - chrono::Duration::days(1);
    let token = CapabilityToken::generate(case_id);
    let commands = vec![
        CaseCommand::Open {
            case_id,
            citizen_id: CitizenId(uuid::Uuid::new_v4()),
            service: Box::new(state.catalogue.seed().services()[0].clone()),
            office: OfficeId::parse(office).unwrap(),
            channel: CaseChannel::Video,
            contact: Contact {
                name: "Erika Mustermann".into(),
                email: "erika@example.org".into(),
                phone: None,
                language: Language::De,
            },
            actor: Actor::Citizen,
            at: booked_at,
        },
        CaseCommand::BookAppointment {
            appointment: Appointment {
                starts_at,
                local_start: to_local(starts_at),
                duration_minutes: 15,
            },
            actor: Actor::Citizen,
            at: booked_at,
        },
        CaseCommand::IssueAccessLink {
            token_sha256: token.hash(),
            via: LinkChannel::Booking,
            at: booked_at,
        },
    ];
    Repository::new(state.backend.events.clone())
        .execute_all::<Case>(&StreamId::new(case_id.stream_name()).unwrap(), commands)
        .await
        .unwrap();
    (case_id, token)
}

/// A running server.
pub struct App {
    pub url: String,
    pub state: AppState,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _guard: Box<dyn Any + Send + Sync>,
}

pub async fn spawn(kind: Kind, live: Live) -> App {
    spawn_configured(kind, live, |state| state).await
}

/// [`spawn`] with the state changed by `configure` first.
pub async fn spawn_configured(
    kind: Kind,
    live: Live,
    configure: impl FnOnce(AppState) -> AppState,
) -> App {
    let (state, guard) = state(kind, live).await;
    let state = configure(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sfu = media::sfu::SfuHandle::start(media::sfu::SfuConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        public_addr: None,
    })
    .await
    .unwrap();
    let state = state.with_public_url(url.clone()).with_sfu(sfu);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    App {
        url,
        state,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .unwrap(),
        stop: Some(stop),
        server: Some(server),
        _guard: guard,
    }
}

/// Who sends a request.
#[derive(Debug, Clone)]
pub enum Who {
    Nobody,
    Cookie(String),
    Bearer(String),
}

impl App {
    /// Logs in and returns the session cookie.
    pub async fn login(&self, username: &str) -> Who {
        let response = self
            .client
            .post(format!("{}/api/v1/session", self.url))
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{username}");
        let cookie = response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap()
            .to_owned();
        Who::Cookie(cookie)
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        who: &Who,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.url));
        if method != reqwest::Method::GET {
            request = request.header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
        }
        match who {
            Who::Nobody => request,
            Who::Cookie(cookie) => request
                .header(reqwest::header::COOKIE, cookie)
                .header("sec-fetch-site", "same-origin"),
            Who::Bearer(token) => request.bearer_auth(token),
        }
    }

    pub async fn get(&self, path: &str, who: &Who) -> (u16, Value) {
        let response = self
            .request(reqwest::Method::GET, path, who)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, who: &Who, body: Value) -> (u16, Value) {
        let response = self
            .request(reqwest::Method::POST, path, who)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Opens an event stream; panics unless it answers 200 `text/event-stream`.
    pub async fn stream(&self, path: &str, who: &Who) -> SseReader {
        let response = self
            .request(reqwest::Method::GET, path, who)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        SseReader {
            response,
            buffer: String::new(),
        }
    }

    /// The dashboard as the API serves it now.
    pub async fn dashboard(&self, office: &str, who: &Who) -> Value {
        let (status, body) = self
            .get(
                &format!("/api/v1/offices/{office}/dashboard/{}", today()),
                who,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Waits until `check` holds for the dashboard of `office` (the read model follows the
    /// store a moment later).
    pub async fn dashboard_until(
        &self,
        office: &str,
        who: &Who,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let body = self.dashboard(office, who).await;
            if check(&body) {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "dashboard never got there: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Begins graceful shutdown and waits for the server to return.
    pub async fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::time::timeout(PATIENCE, server)
                .await
                .expect("the server finishes after shutdown")
                .unwrap()
                .unwrap();
        }
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

/// Reads events off a `text/event-stream` response; comments are skipped.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    /// The next event, or `None` when the stream ended; fails after [`PATIENCE`].
    pub async fn next(&mut self) -> Option<SseEvent> {
        tokio::time::timeout(PATIENCE, self.next_unbounded())
            .await
            .expect("an event within the patience")
    }

    async fn next_unbounded(&mut self) -> Option<SseEvent> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some(SseEvent {
                    event,
                    id,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}
