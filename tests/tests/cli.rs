//! The real `buergeramt` binary, on the embedded store and on PostgreSQL: serve with demo data,
//! health, the queue read model, verify (intact and tampered), rebuild, erase, help and bad
//! settings.

mod support;

use std::time::Duration;

use support::{Backend, TestStore};

async fn queue_eventually(
    app: &support::App,
    day: &str,
    at_least: usize,
) -> Vec<serde_json::Value> {
    // The queue is for staff: the demo clerk of the office logs in (see `demo_accounts.rs`).
    let cookie = app.login("clerk.mitte", "demo-mitte-passwort").await;
    // The projection runs beside the server; give it a bounded time to catch up (PostgreSQL
    // readers may be held back by another test's transaction in the same cluster).
    let (mut previous, mut unchanged) = (None, 0);
    for _ in 0..600 {
        let response = app
            .get_with(
                &format!("/api/v1/offices/potsdam-mitte/queue/{day}"),
                &cookie,
            )
            .await;
        assert_eq!(response.status(), 200);
        let cases: Vec<serde_json::Value> = response.json().await.unwrap();
        // The queue is settled when it shows enough cases and has not changed for a second:
        // the notifier records each demo mail as an event shortly after start.
        if cases.len() >= at_least {
            if previous.as_ref() == Some(&cases) {
                unchanged += 1;
                if unchanged >= 10 {
                    return cases;
                }
            } else {
                unchanged = 0;
            }
            previous = Some(cases);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the queue never settled with {at_least} cases");
}

/// The day the demo seeded, read from its report line ("Seeded … for YYYY-MM-DD and …").
fn demo_day<'a>(mut lines: impl Iterator<Item = &'a str>) -> String {
    let report = lines
        .find(|l| l.starts_with("Seeded"))
        .expect("a demo report");
    report
        .split(" for ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

async fn serve_with_demo_shows_a_living_queue_and_answers_health(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.serve(&["--demo"]);
    let health: serde_json::Value = app.get("/health").await.json().await.unwrap();
    let kind = if backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(health, serde_json::json!({ "status": "ok", "store": kind }));
    let cases = queue_eventually(&app, &demo_day(app.printed.iter().map(String::as_str)), 14).await;
    let statuses: Vec<&str> = cases
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    for expected in ["closed", "in_call", "held", "waiting", "booked"] {
        assert!(
            statuses.contains(&expected),
            "{expected} missing in {statuses:?}"
        );
    }
    // No personal data in the read model.
    let body = serde_json::to_string(&cases).unwrap();
    assert!(!body.contains("Mustermann") && !body.contains("@example.org"));
    assert!(app.stop().success(), "SIGTERM stops the service cleanly");
}

#[tokio::test]
async fn serve_with_demo_shows_a_living_queue_and_answers_health_on_sqlite() {
    serve_with_demo_shows_a_living_queue_and_answers_health(Backend::Sqlite).await;
}

#[tokio::test]
async fn serve_with_demo_shows_a_living_queue_and_answers_health_on_postgres() {
    serve_with_demo_shows_a_living_queue_and_answers_health(Backend::Postgres).await;
}

#[tokio::test]
async fn a_second_start_with_demo_does_not_seed_twice() {
    let store = TestStore::new(Backend::Sqlite).await;
    let first = store.serve(&["--demo"]);
    assert!(first.printed.iter().any(|l| l.starts_with("Seeded")));
    first.stop();
    let second = store.serve(&["--demo"]);
    assert!(!second.printed.iter().any(|l| l.starts_with("Seeded")));
}

#[tokio::test]
async fn bad_input_to_the_queue_is_a_problem_json_400() {
    let store = TestStore::new(Backend::Sqlite).await;
    let app = store.serve(&[]);
    for path in [
        "/api/v1/offices/Potsdam!/queue/2026-11-24",
        "/api/v1/offices/potsdam-mitte/queue/2026-13-45",
        "/api/v1/offices/potsdam-mitte/queue/yesterday",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["type"].as_str().unwrap().ends_with("/bad-request"));
    }
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn verify_names_the_altered_event_after_tampering(backend: Backend) {
    let store = TestStore::new(backend).await;
    let seeded = store.run(&["demo"]);
    assert!(seeded.status.success(), "{seeded:?}");
    let intact = store.run(&["verify"]);
    assert!(intact.status.success(), "{}", stdout(&intact));
    assert!(stdout(&intact).contains("Every hash chain is intact"));

    // Tamper with one stored byte, as someone with direct database access could.
    let (stream, version, position) = match backend {
        Backend::Sqlite => {
            use sqlx::{Connection, Row};
            let path = store.data_dir.path().join("buergeramt.db");
            let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            let row = sqlx::query(
                "SELECT stream_id, stream_version, global_position FROM events \
                 WHERE event_type = 'CheckedIn' ORDER BY global_position LIMIT 1",
            )
            .fetch_one(&mut db)
            .await
            .unwrap();
            let (s, v, p): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
            let triggers: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'",
            )
            .fetch_all(&mut db)
            .await
            .unwrap();
            for t in triggers {
                sqlx::query(&format!("DROP TRIGGER {t}"))
                    .execute(&mut db)
                    .await
                    .unwrap();
            }
            sqlx::query("UPDATE events SET payload = replace(payload, X'31', X'32') WHERE global_position = ?")
                .bind(p)
                .execute(&mut db)
                .await
                .unwrap();
            (s, v, p)
        }
        Backend::Postgres => {
            use sqlx::{Connection, Row};
            let url = &store.database.as_ref().unwrap().url;
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            let row = sqlx::query(
                "SELECT stream_id, stream_version, global_position FROM events \
                 WHERE event_type = 'CheckedIn' ORDER BY global_position LIMIT 1",
            )
            .fetch_one(&mut db)
            .await
            .unwrap();
            let (s, v, p): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
            sqlx::query("SET session_replication_role = replica")
                .execute(&mut db)
                .await
                .unwrap();
            sqlx::query("UPDATE events SET payload = overlay(payload placing '9'::bytea from 10 for 1) WHERE global_position = $1")
                .bind(p)
                .execute(&mut db)
                .await
                .unwrap();
            (s, v, p)
        }
    };
    let tampered = store.run(&["verify"]);
    assert_eq!(tampered.status.code(), Some(1), "{}", stdout(&tampered));
    let text = stdout(&tampered);
    assert!(
        text.contains(&format!(
            "ALTERED: stream {stream} at version {version} (global position {position})"
        )),
        "{text}"
    );
    assert_eq!(text.matches("ALTERED").count(), 1, "{text}");
    // Checking another case only still passes.
    let other = store.run(&["verify", "--stream", "schedule-potsdam-mitte-2000-01-01"]);
    assert_eq!(
        other.status.code(),
        Some(2),
        "an unknown stream is named as such"
    );
}

#[tokio::test]
async fn verify_names_the_altered_event_after_tampering_on_sqlite() {
    verify_names_the_altered_event_after_tampering(Backend::Sqlite).await;
}

#[tokio::test]
async fn verify_names_the_altered_event_after_tampering_on_postgres() {
    verify_names_the_altered_event_after_tampering(Backend::Postgres).await;
}

async fn rebuild_and_erase_keep_the_store_consistent(backend: Backend) {
    let store = TestStore::new(backend).await;
    let seeded = store.run(&["demo"]);
    assert!(seeded.status.success());
    let day = demo_day(stdout(&seeded).lines());
    let app = store.serve(&[]);
    let live = queue_eventually(&app, &day, 14).await;
    app.stop();

    let rebuilt = store.run(&["rebuild", "case_summary"]);
    assert!(rebuilt.status.success(), "{}", stdout(&rebuilt));
    assert!(stdout(&rebuilt).contains("Rebuilt case_summary from"));
    let app = store.serve(&[]);
    let after = queue_eventually(&app, &day, 14).await;
    assert_eq!(live, after, "the rebuilt read model equals the live one");
    app.stop();

    let unknown = store.run(&["rebuild", "no_such_projection"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stdout(&unknown).contains("case_summary"),
        "it lists the known projections"
    );

    let unknown = store.run(&["erase-citizen", &uuid::Uuid::now_v7().to_string()]);
    assert!(unknown.status.success());
    assert!(stdout(&unknown).contains("the request is recorded"));

    // Erase a real demo citizen: their case still loads, with the contact erased, and every
    // chain still verifies.
    let events = open_store(&store).await;
    let opened = events
        .read_all(store::Cursor::START, 100_000)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event_type == "CaseOpened")
        .expect("a demo case");
    let store::Personal::Present { subject, .. } = opened.personal else {
        panic!("a demo case carries its citizen's contact")
    };
    let repo = store::repository::Repository::new(events.clone());
    let before = repo
        .load::<domain::case::Case>(&opened.stream_id)
        .await
        .unwrap()
        .state;
    assert!(before.contact().is_some_and(|c| c.as_present().is_some()));
    drop((events, repo));
    let erased = store.run(&["erase-citizen", &subject.0.to_string()]);
    assert!(
        stdout(&erased).contains("key is deleted"),
        "{}",
        stdout(&erased)
    );
    let events = open_store(&store).await;
    let repo = store::repository::Repository::new(events.clone());
    let after = repo
        .load::<domain::case::Case>(&opened.stream_id)
        .await
        .unwrap()
        .state;
    assert!(after.contact().is_some_and(|c| c.is_erased()));
    assert_eq!(after.service(), before.service(), "non-personal facts stay");
    assert_eq!(after.status(), before.status());
    let record = events
        .read_stream(
            &store::StreamId::new(format!("citizen-{}", subject.0)).unwrap(),
            0,
        )
        .await
        .unwrap();
    assert_eq!(record.len(), 1, "the erasure itself is an event");
    assert_eq!(record[0].event_type, "PersonalDataErased");
    assert_eq!(record[0].personal, store::Personal::None);
    drop((events, repo));
    let again = store.run(&["erase-citizen", &subject.0.to_string()]);
    assert!(again.status.success());
    assert!(
        stdout(&again).contains("already erased at"),
        "{}",
        stdout(&again)
    );
    let intact = store.run(&["verify"]);
    assert!(intact.status.success(), "{}", stdout(&intact));
}

/// Opens the test's store directly, with the master key the binary generated.
async fn open_store(store: &TestStore) -> std::sync::Arc<dyn store::EventStore> {
    let hex = std::fs::read_to_string(store.data_dir.path().join("master.key")).unwrap();
    let master = store::vault::MasterKey::from_hex(&hex).unwrap();
    match &store.database {
        None => std::sync::Arc::new(
            store::sqlite::SqliteStore::open(&store.data_dir.path().join("buergeramt.db"), master)
                .await
                .unwrap(),
        ),
        Some(db) => std::sync::Arc::new(db.pg_store(master, 2).await),
    }
}

#[tokio::test]
async fn rebuild_and_erase_keep_the_store_consistent_on_sqlite() {
    rebuild_and_erase_keep_the_store_consistent(Backend::Sqlite).await;
}

#[tokio::test]
async fn rebuild_and_erase_keep_the_store_consistent_on_postgres() {
    rebuild_and_erase_keep_the_store_consistent(Backend::Postgres).await;
}

#[tokio::test]
async fn help_explains_every_command_and_setting() {
    let store = TestStore::new(Backend::Sqlite).await;
    let out = store.run(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for word in [
        "serve",
        "migrate",
        "verify",
        "rebuild",
        "demo",
        "erase-citizen",
        "BUERGERAMT_DATA_DIR",
        "BUERGERAMT_LISTEN",
        "DATABASE_URL",
    ] {
        assert!(text.contains(word), "--help does not mention {word}");
    }
}

#[tokio::test]
async fn a_bad_setting_is_refused_with_a_message_that_names_it() {
    let store = TestStore::new(Backend::Sqlite).await;
    let out = std::process::Command::new(support::binary())
        .arg("migrate")
        .env("BUERGERAMT_DATA_DIR", store.data_dir.path())
        .env("BUERGERAMT_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("BUERGERAMT_LISTEN"));
}

#[tokio::test]
async fn migrate_creates_the_schema_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let store = TestStore::new(backend).await;
        let out = store.run(&["migrate"]);
        assert!(out.status.success(), "{out:?}");
        assert!(stdout(&out).contains("is migrated"));
        // Running it again is harmless.
        assert!(store.run(&["migrate"]).status.success());
    }
}

#[tokio::test]
async fn the_start_page_and_its_script_are_served_from_the_binary() {
    let store = TestStore::new(Backend::Sqlite).await;
    let app = store.serve(&[]);
    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"de\">") && html.contains("Virtuelles Bürgeramt"));
    assert!(
        html.contains("/termin.html"),
        "the start page leads to booking"
    );
    let script = app.get("/termin.js").await;
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(script.text().await.unwrap().contains("/api/v1/"));
}
