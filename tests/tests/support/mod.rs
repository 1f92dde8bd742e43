//! Test harness: the real `buergeramt` binary, built once, started per test on port 0 with a
//! fresh store (a temporary SQLite file, or a fresh PostgreSQL database).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use store::testing::{fresh_pg_database, TestDatabase};

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Builds the binary once per test process (a no-op when it is up to date) and returns its path.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "api", "--bin", "buergeramt"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the buergeramt binary failed");
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root.join("target"));
        target.join("debug").join("buergeramt")
    })
}

/// A store for one test: its environment for the binary, and what keeps it alive.
#[derive(Debug)]
pub struct TestStore {
    pub backend: Backend,
    pub data_dir: tempfile::TempDir,
    pub database: Option<TestDatabase>,
}

impl TestStore {
    pub async fn new(backend: Backend) -> Self {
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_pg_database().await),
        };
        Self {
            backend,
            data_dir: tempfile::tempdir().expect("a temporary directory"),
            database,
        }
    }

    /// The environment the binary runs with.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "BUERGERAMT_DATA_DIR".to_string(),
                self.data_dir.path().display().to_string(),
            ),
            ("BUERGERAMT_LISTEN".to_string(), "127.0.0.1:0".to_string()),
            ("BUERGERAMT_PG_MAX_CONNECTIONS".to_string(), "4".to_string()),
            ("RUST_LOG".to_string(), "warn".to_string()),
            // The no-show job would close the demo's past appointments while a test runs, so
            // read models compared across restarts would differ by the time of day; these tests
            // are not about no-shows (see api/src/live/tests/no_show.rs), so the grace period
            // is ten years.
            (
                "BUERGERAMT_BOOKING_NO_SHOW_GRACE_MINUTES".to_string(),
                "5256000".to_string(),
            ),
            // Likewise the reminder loop: in the evening the demo's next day is within the
            // default 24 hours, and a reminder landing between two snapshots changes the rows.
            // The demo's appointments start on later days at 07:00 or after, never within 1 hour.
            ("BUERGERAMT_REMINDER_HOURS".to_string(), "1".to_string()),
        ];
        if let Some(db) = &self.database {
            env.push(("DATABASE_URL".to_string(), db.url.clone()));
        }
        env
    }

    /// Runs a CLI command to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(binary());
        command.args(args).env_remove("DATABASE_URL");
        for (k, v) in self.env() {
            command.env(k, v);
        }
        command.output().expect("the binary runs")
    }

    /// Starts `serve` (with extra args) and waits for the URL it prints.
    pub fn serve(&self, args: &[&str]) -> App {
        let mut command = Command::new(binary());
        command
            .arg("serve")
            .args(args)
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in self.env() {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("http://").nth(1) {
                    let url = format!("http://{}", rest.split_whitespace().next().unwrap_or(""));
                    let _ = tx.send((url.trim_end_matches('/').to_string(), lines.clone()));
                }
                lines.push(line);
            }
        });
        let (url, printed) = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the service prints its URL");
        App {
            url,
            printed,
            child,
            client: reqwest::Client::new(),
        }
    }
}

/// A running service.
#[derive(Debug)]
pub struct App {
    pub url: String,
    /// What the service printed before its URL (e.g. the demo report).
    pub printed: Vec<String>,
    child: Child,
    pub client: reqwest::Client,
}

impl App {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.url, path))
            .send()
            .await
            .expect("the request is answered")
    }

    /// Logs in (a JSON POST, as the pages do) and returns the session cookie's `name=value`.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self
            .client
            .post(format!("{}/api/v1/session", self.url))
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("the login is answered");
        assert_eq!(response.status(), 200, "logging in as {username}");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    /// A GET with a session cookie.
    pub async fn get_with(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.url, path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("the request is answered")
    }

    /// Stops the service with SIGTERM and waits for it to exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("the service exits")
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
