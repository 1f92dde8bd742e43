//! No password, display name, username or session token reaches the logs, through the real
//! router on a socket. This runs in its own test binary with a *global* subscriber: a
//! per-thread subscriber in the shared unit-test process missed events whose callsites other
//! test threads had reached first (tracing caches callsite interest process-wide).

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    /// A request as this site's own pages send it.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .header("Sec-Fetch-Site", "same-origin");
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        let body = json!({"username": username, "password": password});
        self.send(reqwest::Method::POST, "/api/v1/session", None, Some(body))
            .await
    }
}

/// The `name=value` of the cookie an answer sets.
fn cookie_of(response: &reqwest::Response) -> String {
    let header = response.headers()["set-cookie"].to_str().unwrap();
    header.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn no_password_display_name_or_token_ever_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let settings = api::settings::Settings {
        data_dir: dir.path().to_owned(),
        ..api::settings::Settings::default()
    };
    let backend = api::Backend::open(&settings).await.unwrap();
    let catalogue = Arc::new(domain::catalogue::Catalogue::default_catalogue().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = api::AppState::new(backend, catalogue, api::HttpLimits::default())
        .with_public_url(url.clone());
    api::demo_accounts::seed(&state).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(api::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let client = Client {
        http: reqwest::Client::new(),
        url,
    };

    let canary_password = "canary-password-7f3a91c2";
    let canary_name = "Canary Name 7f3a91c2";
    let admin = client.login("admin", "demo-admin-passwort").await;
    assert_eq!(admin.status(), 200);
    let admin = cookie_of(&admin);
    let account = json!({
        "username": "canary.user", "display_name": canary_name, "role": "planner",
        "password": canary_password,
    });
    let created = client
        .send(
            reqwest::Method::POST,
            "/api/v1/accounts",
            Some(&admin),
            Some(account),
        )
        .await;
    assert_eq!(created.status(), 201);
    let canary = client.login("canary.user", canary_password).await;
    assert_eq!(canary.status(), 200);
    let token = cookie_of(&canary);
    let wrong = client.login("canary.user", "canary-wrong-7f3a91c2").await;
    assert_eq!(wrong.status(), 401);
    let me = client
        .send(reqwest::Method::GET, "/api/v1/session", Some(&token), None)
        .await;
    assert_eq!(me.status(), 200);
    let out = client
        .send(
            reqwest::Method::DELETE,
            "/api/v1/session",
            Some(&token),
            None,
        )
        .await;
    assert!(out.status().is_success(), "{}", out.status());
    // The negative control: the capture does see what is logged.
    tracing::info!(marker = "capture-marker-7f3a91c2", "test");
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("capture-marker-7f3a91c2"),
        "the capture works"
    );
    assert!(logs.contains("logged in"), "the flow was logged: {logs}");
    assert!(logs.contains("login failed"), "the flow was logged: {logs}");
    let secret = token.split_once('=').unwrap().1;
    for canary in [
        canary_password,
        canary_name,
        "canary.user",
        secret,
        "canary-wrong",
    ] {
        assert!(!logs.contains(canary), "{canary} is in the logs:\n{logs}");
    }
}
