//! The session store's contract, run against both backends: create, touch (sliding idle limit),
//! the absolute limit, revoking one session or all of an account, purging the dead ones; and on
//! PostgreSQL, that the application role can do all of it.

use std::any::Any;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::account::{Role, Username};
use domain::{ClerkId, OfficeId};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::Executor;
use store::postgres::PgStore;
use store::sessions::{SessionPolicy, SessionRecord, SessionStore, TokenHash};
use store::sqlite::SqliteStore;
use store::testing::fresh_pg_database;
use store::vault::MasterKey;
use store::StoreError;
use uuid::Uuid;

/// A fresh store and whatever keeps it alive.
struct Harness {
    sessions: Arc<dyn SessionStore>,
    #[allow(
        dead_code,
        reason = "held only so that its Drop cleans up after the test"
    )]
    guard: Box<dyn Any + Send + Sync>,
}

async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.db"), MasterKey::generate())
        .await
        .unwrap();
    Harness {
        sessions: Arc::new(store),
        guard: Box::new(dir),
    }
}

async fn postgres() -> Harness {
    let db = fresh_pg_database().await;
    let store = db.pg_store(MasterKey::generate(), 4).await;
    Harness {
        sessions: Arc::new(store),
        guard: Box::new(db),
    }
}

/// One `#[tokio::test]` per backend for each contract test.
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::sqlite().await).await;
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::postgres().await).await;
                }
            )+
        }
    };
}

on_both_backends!(
    a_created_session_is_found_by_its_token_hash_and_an_unknown_hash_finds_nothing,
    touching_slides_the_idle_limit_but_writes_at_most_once_a_minute,
    a_session_idle_for_thirty_minutes_is_dead_and_deleted,
    a_busy_session_still_dies_at_the_absolute_limit,
    revoking_one_session_leaves_the_others,
    revoking_an_account_ends_all_its_sessions_and_no_other_accounts,
    purging_deletes_exactly_the_dead_sessions,
    a_token_hash_is_stored_only_once,
);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0).unwrap()
}

fn session(account: ClerkId, at: DateTime<Utc>) -> SessionRecord {
    SessionRecord {
        token_hash: TokenHash(*Uuid::new_v4().as_bytes().repeat(2).first_chunk().unwrap()),
        account_id: account,
        username: Username::parse("clerk.mitte").unwrap(),
        role: Role::Clerk,
        office: Some(OfficeId::parse("potsdam-mitte").unwrap()),
        created_at: at,
        last_seen_at: at,
    }
}

fn account() -> ClerkId {
    ClerkId(Uuid::new_v4())
}

const POLICY: SessionPolicy = SessionPolicy::DEFAULT;

async fn a_created_session_is_found_by_its_token_hash_and_an_unknown_hash_finds_nothing(
    h: Harness,
) {
    let s = session(account(), t0());
    h.sessions.create_session(&s).await.unwrap();
    let found = h
        .sessions
        .touch_session(&s.token_hash, t0(), &POLICY)
        .await
        .unwrap();
    assert_eq!(found, Some(s.clone()));
    let unknown = h
        .sessions
        .touch_session(&TokenHash([0; 32]), t0(), &POLICY)
        .await
        .unwrap();
    assert_eq!(unknown, None);
}

async fn touching_slides_the_idle_limit_but_writes_at_most_once_a_minute(h: Harness) {
    let s = session(account(), t0());
    h.sessions.create_session(&s).await.unwrap();
    let soon = t0() + Duration::seconds(30);
    let touched = h.sessions.touch_session(&s.token_hash, soon, &POLICY).await;
    assert_eq!(
        touched.unwrap().unwrap().last_seen_at,
        t0(),
        "not yet a minute"
    );
    // Used every 20 minutes, the session outlives the 30-minute idle limit.
    for minutes in [20, 40, 60, 80] {
        let at = t0() + Duration::minutes(minutes);
        let touched = h
            .sessions
            .touch_session(&s.token_hash, at, &POLICY)
            .await
            .unwrap();
        assert_eq!(touched.map(|s| s.last_seen_at), Some(at), "{minutes}");
    }
}

async fn a_session_idle_for_thirty_minutes_is_dead_and_deleted(h: Harness) {
    let s = session(account(), t0());
    h.sessions.create_session(&s).await.unwrap();
    let late = t0() + Duration::minutes(30);
    assert_eq!(
        h.sessions
            .touch_session(&s.token_hash, late, &POLICY)
            .await
            .unwrap(),
        None
    );
    // Deleted, not just refused: even a clock that goes back finds nothing.
    assert_eq!(
        h.sessions
            .touch_session(&s.token_hash, t0(), &POLICY)
            .await
            .unwrap(),
        None
    );
    assert!(!h.sessions.revoke_session(&s.token_hash).await.unwrap());
}

async fn a_busy_session_still_dies_at_the_absolute_limit(h: Harness) {
    let s = session(account(), t0());
    h.sessions.create_session(&s).await.unwrap();
    let mut at = t0();
    while at + Duration::minutes(25) < t0() + Duration::hours(12) {
        at += Duration::minutes(25);
        let alive = h
            .sessions
            .touch_session(&s.token_hash, at, &POLICY)
            .await
            .unwrap();
        assert!(alive.is_some(), "alive at {at}");
    }
    let end = t0() + Duration::hours(12);
    assert_eq!(
        h.sessions
            .touch_session(&s.token_hash, end, &POLICY)
            .await
            .unwrap(),
        None
    );
}

async fn revoking_one_session_leaves_the_others(h: Harness) {
    let who = account();
    let (a, b) = (session(who, t0()), session(who, t0()));
    h.sessions.create_session(&a).await.unwrap();
    h.sessions.create_session(&b).await.unwrap();
    assert!(h.sessions.revoke_session(&a.token_hash).await.unwrap());
    let touch = |hash| h.sessions.touch_session(hash, t0(), &POLICY);
    assert_eq!(touch(&a.token_hash).await.unwrap(), None);
    assert!(touch(&b.token_hash).await.unwrap().is_some());
}

async fn revoking_an_account_ends_all_its_sessions_and_no_other_accounts(h: Harness) {
    let (who, other) = (account(), account());
    let mine = [session(who, t0()), session(who, t0()), session(who, t0())];
    let theirs = session(other, t0());
    for s in mine.iter().chain([&theirs]) {
        h.sessions.create_session(s).await.unwrap();
    }
    assert_eq!(h.sessions.revoke_account_sessions(who).await.unwrap(), 3);
    for s in &mine {
        let found = h.sessions.touch_session(&s.token_hash, t0(), &POLICY);
        assert_eq!(found.await.unwrap(), None);
    }
    let found = h.sessions.touch_session(&theirs.token_hash, t0(), &POLICY);
    assert!(found.await.unwrap().is_some());
}

async fn purging_deletes_exactly_the_dead_sessions(h: Harness) {
    let now = t0() + Duration::hours(13);
    let idle = session(account(), now - Duration::minutes(31));
    let too_old = SessionRecord {
        last_seen_at: now - Duration::minutes(1),
        ..session(account(), now - Duration::hours(12))
    };
    let alive = session(account(), now - Duration::minutes(29));
    for s in [&idle, &too_old, &alive] {
        h.sessions.create_session(s).await.unwrap();
    }
    assert_eq!(
        h.sessions
            .purge_expired_sessions(now, &POLICY)
            .await
            .unwrap(),
        2
    );
    assert!(!h.sessions.revoke_session(&idle.token_hash).await.unwrap());
    assert!(!h
        .sessions
        .revoke_session(&too_old.token_hash)
        .await
        .unwrap());
    assert!(h.sessions.revoke_session(&alive.token_hash).await.unwrap());
}

async fn a_token_hash_is_stored_only_once(h: Harness) {
    let s = session(account(), t0());
    h.sessions.create_session(&s).await.unwrap();
    let again = h.sessions.create_session(&s).await;
    assert!(
        matches!(again, Err(StoreError::InvalidInput(_))),
        "{again:?}"
    );
}

#[tokio::test]
async fn the_postgres_application_role_can_create_touch_and_revoke_sessions() {
    let db = fresh_pg_database().await;
    // Migrate as the owner, then work through a pool whose connections act as the app role.
    drop(db.pg_store(MasterKey::generate(), 1).await);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("SET ROLE buergeramt_app").await?;
                Ok(())
            })
        })
        .connect_with(PgConnectOptions::from_str(&db.url).unwrap())
        .await
        .unwrap();
    let app = PgStore::from_pool(pool, MasterKey::generate());
    let who = account();
    let s = session(who, t0());
    app.create_session(&s).await.unwrap();
    let later = t0() + Duration::minutes(5);
    let touched = app.touch_session(&s.token_hash, later, &POLICY).await;
    assert_eq!(touched.unwrap().unwrap().last_seen_at, later);
    assert_eq!(app.revoke_account_sessions(who).await.unwrap(), 1);
    let purged = app.purge_expired_sessions(later, &POLICY).await.unwrap();
    assert_eq!(purged, 0);
    // The negative control: the role still cannot change events.
    let refused = sqlx::query("DELETE FROM events").execute(app.pool()).await;
    assert!(refused.is_err());
}
