//! Test support: a fresh PostgreSQL database per test.
//!
//! Always compiled (it is small and needs no extra dependency) so that the store's own
//! integration tests and the tests of other crates use the same helper without feature flags.
//! Production code has no reason to call it.
//!
//! The server is found through `BUERGERAMT_TEST_DATABASE_URL` (an admin URL, default
//! [`DEFAULT_ADMIN_URL`]). If it does not answer, the helper panics: a test suite that silently
//! skipped PostgreSQL would prove nothing about it.
//!
//! # Why dropping is deferred
//! `DROP DATABASE` holds a transaction id while it waits for a checkpoint: measured here up to
//! 6.6 s while other tests wrote. Readers of every database in the cluster read below the oldest
//! running transaction id (see `postgres.rs`), so each drop stalled the gap-free readers of every
//! other running test and made their "nothing arrives within 1 s" checks fail. A dropped
//! [`TestDatabase`] is therefore only queued; the queue is dropped as soon as no test database of
//! this process is alive (at the latest when the process's last test ends), and no new test
//! database is created while a queue is being dropped.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

use crate::postgres::PgStore;
use crate::vault::MasterKey;

/// The environment variable holding the admin URL of the test server.
pub const TEST_DATABASE_URL_ENV: &str = "BUERGERAMT_TEST_DATABASE_URL";

/// The admin URL used when [`TEST_DATABASE_URL_ENV`] is not set.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test. Dropping this value drops the database (`WITH (FORCE)`),
/// deferred until no other test database of this process is alive (see the module docs).
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL of the new database (the admin URL with the database name replaced).
    pub url: String,
    /// The database's name, `bt_<uuid>`.
    pub name: String,
    admin_url: String,
}

impl TestDatabase {
    /// A [`PgStore`] on this database with the given master key, migrated. Panics on failure.
    pub async fn pg_store(&self, master: MasterKey, max_connections: u32) -> PgStore {
        PgStore::connect(&self.url, master, max_connections)
            .await
            .unwrap_or_else(|e| panic!("connecting to test database {}: {e}", self.name))
    }
}

/// The admin URL of the test server.
pub fn admin_url() -> String {
    std::env::var(TEST_DATABASE_URL_ENV)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ADMIN_URL.to_string())
}

async fn connect_admin(admin_url: &str) -> PgConnection {
    let unreachable = |detail: String| -> ! {
        panic!(
            "PostgreSQL is not reachable at {admin_url} ({detail}); run `make pg-up` or set \
             {TEST_DATABASE_URL_ENV}"
        )
    };
    let options = PgConnectOptions::from_str(admin_url)
        .unwrap_or_else(|e| unreachable(format!("bad URL: {e}")));
    match tokio::time::timeout(
        Duration::from_secs(10),
        PgConnection::connect_with(&options),
    )
    .await
    {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => unreachable(e.to_string()),
        Err(_) => unreachable("no answer within 10 s".into()),
    }
}

/// Creates a uniquely named, empty database (no migrations run yet) on the test server.
///
/// Panics with a clear message if PostgreSQL is not reachable.
pub async fn fresh_pg_database() -> TestDatabase {
    fresh_pg_database_at(&admin_url()).await
}

/// The test databases of this process: how many are alive, which wait to be dropped.
#[derive(Debug, Default)]
struct Registry {
    live: usize,
    pending: Vec<(String, String)>,
    dropping: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    live: 0,
    pending: Vec::new(),
    dropping: false,
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Counts a database as alive until defused into a [`TestDatabase`] (or undone on a panic).
struct LiveGuard(bool);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        if !self.0 {
            release(None);
        }
    }
}

/// The names of dropped test databases of this process that still wait for their `DROP`.
pub fn pending_drops() -> Vec<String> {
    registry()
        .pending
        .iter()
        .map(|(_, name)| name.clone())
        .collect()
}

/// [`fresh_pg_database`] on the server of `admin_url`.
pub async fn fresh_pg_database_at(admin_url: &str) -> TestDatabase {
    let admin_url = admin_url.to_string();
    let name = format!("bt_{}", uuid::Uuid::new_v4().simple());
    // Wait while queued databases are being dropped: a test starting now would be stalled.
    loop {
        {
            let mut registry = registry();
            if !registry.dropping {
                registry.live += 1;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut live = LiveGuard(false);
    let mut conn = connect_admin(&admin_url).await;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match conn
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
        {
            Ok(_) => break,
            // "source database template1 is being accessed by other users": someone is
            // briefly connected to the template; try again.
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && attempt < 20 =>
            {
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => panic!("creating test database {name} at {admin_url}: {e}"),
        }
    }
    let _ = conn.close().await;
    live.0 = true;
    TestDatabase {
        url: with_database(&admin_url, &name),
        name,
        admin_url,
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        release(Some((self.admin_url.clone(), self.name.clone())));
    }
}

/// Ends the life of one test database (queued for dropping if `dropped` is given) and drops the
/// queue if no test database of this process is alive any more.
fn release(dropped: Option<(String, String)>) {
    let batch = {
        let mut registry = registry();
        registry.live -= 1;
        registry.pending.extend(dropped);
        if registry.live > 0 || registry.pending.is_empty() {
            return;
        }
        registry.dropping = true;
        std::mem::take(&mut registry.pending)
    };
    // A separate thread with its own runtime: this works inside and outside async tests
    // (blocking on the test's own runtime from `Drop` would panic or deadlock).
    let dropper = std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => return vec![format!("no runtime to drop test databases: {e}")],
        };
        runtime.block_on(async {
            futures::stream::iter(batch)
                .map(|(admin_url, name)| async move {
                    drop_database(&admin_url, &name)
                        .await
                        .err()
                        .map(|e| format!("could not drop test database {name}: {e}"))
                })
                .buffer_unordered(8)
                .filter_map(|e| async move { e })
                .collect::<Vec<String>>()
                .await
        })
    });
    let errors = dropper
        .join()
        .unwrap_or_else(|_| vec!["the thread dropping test databases panicked".into()]);
    registry().dropping = false;
    for error in errors {
        eprintln!("{error}");
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let options = PgConnectOptions::from_str(admin_url)?;
    let mut conn = PgConnection::connect_with(&options).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await?;
    let _ = conn.close().await;
    Ok(())
}

/// `url` with its database name replaced by `database` (query parameters are kept).
pub fn with_database(url: &str, database: &str) -> String {
    let authority_start = url.find("://").map(|i| i + 3).unwrap_or(0);
    let query_start = url[authority_start..]
        .find('?')
        .map(|i| authority_start + i)
        .unwrap_or(url.len());
    let path_start = url[authority_start..query_start]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(query_start);
    format!("{}/{}{}", &url[..path_start], database, &url[query_start..])
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_parameters_are_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "bt_1"),
            "postgres://postgres@127.0.0.1:5432/bt_1"
        );
        assert_eq!(
            with_database("postgres://u:p@host/db?sslmode=disable", "bt_1"),
            "postgres://u:p@host/bt_1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://host:5432", "bt_1"),
            "postgres://host:5432/bt_1"
        );
        assert_eq!(
            with_database("postgres://host?x=1", "bt_1"),
            "postgres://host/bt_1?x=1"
        );
    }
}
