//! The conformance suite of [`IdempotencyStore`]: claim, replay, mismatch, abandon, stale
//! takeover, purge, and the race that must have exactly one winner.
//!
//! A backend's test binary calls `idempotency_suite!(factory);` where `factory` is an
//! `async fn() -> IdempotencyHarness` that builds a fresh, empty store. The race checker comes
//! with a negative control: a store that does not respect in-flight records must be caught.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use store::idempotency::RequestHash;
use store::{Begin, IdempotencyStore, StoreError, StoredReply};
use tokio::sync::Barrier;
use uuid::Uuid;

/// A fresh, empty idempotency store of one backend.
pub struct IdempotencyHarness {
    pub store: Arc<dyn IdempotencyStore>,
    /// Whatever keeps the store alive and is cleaned up on drop.
    #[allow(
        dead_code,
        reason = "held only so that its Drop cleans up after the test"
    )]
    pub guard: Box<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for IdempotencyHarness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyHarness")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Expands to one `#[tokio::test]` per idempotency conformance test, each with a fresh harness
/// from `$factory` (an `async fn() -> IdempotencyHarness`).
#[macro_export]
macro_rules! idempotency_suite {
    ($factory:path) => {
        $crate::idempotency_suite!(@tests $factory;
            a_completed_request_is_replayed_with_its_status_headers_and_body,
            a_key_reused_for_another_request_is_a_mismatch_before_and_after_completion,
            the_same_key_in_another_scope_is_another_record,
            an_abandoned_request_can_be_started_again_but_a_completed_one_is_never_abandoned,
            a_stale_in_flight_record_is_taken_over_but_a_fresh_or_finished_one_is_not,
            purge_deletes_exactly_the_records_started_before_the_cutoff,
            sixty_four_concurrent_begins_with_one_key_give_exactly_one_start,
            the_begin_race_checker_catches_a_store_that_ignores_in_flight_records,
            invalid_names_and_replies_are_rejected_as_invalid_input,
        );
    };
    (@tests $factory:path; $($test:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $test() {
                let harness = $factory().await;
                $crate::conformance::idempotency::$test(harness).await;
            }
        )+
    };
}

/// Long enough that no record of a test goes stale unless the test says so.
const NEVER_STALE: Duration = Duration::from_secs(3600);

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 8, 0, 0)
        .single()
        .expect("a valid time")
        + chrono::Duration::minutes(minutes)
}

fn hash(n: u8) -> RequestHash {
    [n; 32]
}

fn key() -> String {
    Uuid::new_v4().to_string()
}

const SCOPE: &str = "scope-a";

fn reply(n: u8) -> StoredReply {
    StoredReply {
        status: 201,
        content_type: Some("application/json".into()),
        location: Some(format!("/api/v1/things/{n}")),
        body: format!("{{\"n\":{n}}}").into_bytes(),
    }
}

async fn begin(store: &dyn IdempotencyStore, key: &str, h: RequestHash, now: i64) -> Begin {
    store
        .begin(SCOPE, key, h, at(now), NEVER_STALE)
        .await
        .expect("begin on a healthy store succeeds")
}

pub async fn a_completed_request_is_replayed_with_its_status_headers_and_body(
    h: IdempotencyHarness,
) {
    let store = h.store.as_ref();
    let k = key();
    assert_eq!(begin(store, &k, hash(1), 0).await, Begin::Started);
    assert_eq!(begin(store, &k, hash(1), 0).await, Begin::InFlight);
    assert!(store.complete(SCOPE, &k, &reply(7)).await.unwrap());
    assert_eq!(begin(store, &k, hash(1), 1).await, Begin::Replay(reply(7)));
    // A second completion changes nothing: the first reply is the answer.
    assert!(!store.complete(SCOPE, &k, &reply(8)).await.unwrap());
    assert_eq!(begin(store, &k, hash(1), 2).await, Begin::Replay(reply(7)));

    // Absent headers, an empty body and arbitrary bytes come back exactly.
    let bare = StoredReply {
        status: 204,
        content_type: None,
        location: None,
        body: Vec::new(),
    };
    let binary = StoredReply {
        status: 422,
        content_type: Some("application/problem+json".into()),
        location: None,
        body: vec![0, 255, 10, 13, 0],
    };
    for stored in [bare, binary] {
        let k = key();
        assert_eq!(begin(store, &k, hash(2), 0).await, Begin::Started);
        assert!(store.complete(SCOPE, &k, &stored).await.unwrap());
        assert_eq!(begin(store, &k, hash(2), 0).await, Begin::Replay(stored));
    }
    // Completing a key nobody began stores nothing.
    let unknown = key();
    assert!(!store.complete(SCOPE, &unknown, &reply(1)).await.unwrap());
    assert_eq!(begin(store, &unknown, hash(1), 0).await, Begin::Started);
}

pub async fn a_key_reused_for_another_request_is_a_mismatch_before_and_after_completion(
    h: IdempotencyHarness,
) {
    let store = h.store.as_ref();
    let k = key();
    assert_eq!(begin(store, &k, hash(1), 0).await, Begin::Started);
    assert_eq!(begin(store, &k, hash(2), 0).await, Begin::Mismatch);
    assert!(store.complete(SCOPE, &k, &reply(1)).await.unwrap());
    assert_eq!(begin(store, &k, hash(2), 1).await, Begin::Mismatch);
    assert_eq!(begin(store, &k, hash(1), 1).await, Begin::Replay(reply(1)));
}

pub async fn the_same_key_in_another_scope_is_another_record(h: IdempotencyHarness) {
    let store = h.store.as_ref();
    let k = key();
    assert_eq!(begin(store, &k, hash(1), 0).await, Begin::Started);
    assert!(store.complete(SCOPE, &k, &reply(1)).await.unwrap());
    let other = store
        .begin("scope-b", &k, hash(2), at(0), NEVER_STALE)
        .await
        .unwrap();
    assert_eq!(other, Begin::Started);
    assert!(store.complete("scope-b", &k, &reply(2)).await.unwrap());
    assert_eq!(begin(store, &k, hash(1), 1).await, Begin::Replay(reply(1)));
    let replay = store
        .begin("scope-b", &k, hash(2), at(1), NEVER_STALE)
        .await
        .unwrap();
    assert_eq!(replay, Begin::Replay(reply(2)));
}

pub async fn an_abandoned_request_can_be_started_again_but_a_completed_one_is_never_abandoned(
    h: IdempotencyHarness,
) {
    let store = h.store.as_ref();
    let k = key();
    assert_eq!(begin(store, &k, hash(1), 0).await, Begin::Started);
    assert!(store.abandon(SCOPE, &k).await.unwrap());
    assert!(
        !store.abandon(SCOPE, &k).await.unwrap(),
        "nothing left to abandon"
    );
    // After an abandonment the key is free, even for another request.
    assert_eq!(begin(store, &k, hash(2), 1).await, Begin::Started);
    assert!(store.complete(SCOPE, &k, &reply(2)).await.unwrap());
    assert!(!store.abandon(SCOPE, &k).await.unwrap());
    assert_eq!(begin(store, &k, hash(2), 2).await, Begin::Replay(reply(2)));
}

pub async fn a_stale_in_flight_record_is_taken_over_but_a_fresh_or_finished_one_is_not(
    h: IdempotencyHarness,
) {
    let store = h.store.as_ref();
    let stale_after = Duration::from_secs(5 * 60);
    let claim = |k: String, h: RequestHash, minutes: i64| async move {
        store
            .begin(SCOPE, &k, h, at(minutes), stale_after)
            .await
            .expect("begin on a healthy store succeeds")
    };
    let k = key();
    assert_eq!(claim(k.clone(), hash(1), 0).await, Begin::Started);
    assert_eq!(claim(k.clone(), hash(1), 4).await, Begin::InFlight);
    // Another request never takes a key over, stale or not.
    assert_eq!(claim(k.clone(), hash(2), 10).await, Begin::Mismatch);
    assert_eq!(claim(k.clone(), hash(1), 10).await, Begin::Started);
    // The takeover restarted the clock: at minute 12 the record is fresh again.
    assert_eq!(claim(k.clone(), hash(1), 12).await, Begin::InFlight);
    assert!(store.complete(SCOPE, &k, &reply(3)).await.unwrap());
    // A finished record never goes stale.
    assert_eq!(
        claim(k.clone(), hash(1), 60 * 24).await,
        Begin::Replay(reply(3))
    );
}

pub async fn purge_deletes_exactly_the_records_started_before_the_cutoff(h: IdempotencyHarness) {
    let store = h.store.as_ref();
    let (old_done, old_running, young) = (key(), key(), key());
    assert_eq!(begin(store, &old_done, hash(1), 0).await, Begin::Started);
    assert!(store.complete(SCOPE, &old_done, &reply(1)).await.unwrap());
    assert_eq!(
        begin(store, &old_running, hash(1), 60).await,
        Begin::Started
    );
    assert_eq!(begin(store, &young, hash(1), 120).await, Begin::Started);
    assert!(store.complete(SCOPE, &young, &reply(2)).await.unwrap());

    assert_eq!(store.purge(at(90)).await.unwrap(), 2);
    assert_eq!(
        store.purge(at(90)).await.unwrap(),
        0,
        "a purge is idempotent"
    );
    assert_eq!(
        begin(store, &young, hash(1), 121).await,
        Begin::Replay(reply(2))
    );
    assert_eq!(begin(store, &old_done, hash(9), 121).await, Begin::Started);
    assert_eq!(
        begin(store, &old_running, hash(9), 121).await,
        Begin::Started
    );
}

/// What concurrent claims of one key achieved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BeginRaceReport {
    pub started: usize,
    pub in_flight: usize,
    /// Replays or mismatches (there must be none: nobody completed, nobody sent another request).
    pub unexpected: Vec<String>,
    pub errors: Vec<String>,
}

impl BeginRaceReport {
    pub fn is_sound(&self, callers: usize) -> bool {
        self.started == 1
            && self.in_flight == callers - 1
            && self.unexpected.is_empty()
            && self.errors.is_empty()
    }
}

/// `callers` tasks wait for each other, then all claim one key with one fingerprint.
pub async fn race_begins(store: Arc<dyn IdempotencyStore>, callers: usize) -> BeginRaceReport {
    let k = key();
    let barrier = Arc::new(Barrier::new(callers));
    let mut handles = Vec::with_capacity(callers);
    for _ in 0..callers {
        let (store, barrier, k) = (Arc::clone(&store), Arc::clone(&barrier), k.clone());
        handles.push(tokio::spawn(async move {
            barrier.wait().await;
            store
                .begin(SCOPE, &k, hash(1), Utc::now(), NEVER_STALE)
                .await
        }));
    }
    let mut report = BeginRaceReport::default();
    for handle in handles {
        match handle.await.expect("a claiming task does not panic") {
            Ok(Begin::Started) => report.started += 1,
            Ok(Begin::InFlight) => report.in_flight += 1,
            Ok(other) => report.unexpected.push(format!("{other:?}")),
            Err(error) => report.errors.push(error.to_string()),
        }
    }
    report
}

pub async fn sixty_four_concurrent_begins_with_one_key_give_exactly_one_start(
    h: IdempotencyHarness,
) {
    let report = race_begins(h.store.clone(), 64).await;
    assert!(report.is_sound(64), "{report:?}");
}

/// A deliberately broken store: it treats a request that is still running as not there, the way
/// a check-then-insert without a unique claim would.
#[derive(Debug)]
struct IgnoresInFlight(Arc<dyn IdempotencyStore>);

#[async_trait]
impl IdempotencyStore for IgnoresInFlight {
    async fn begin(
        &self,
        scope: &str,
        key: &str,
        request_hash: RequestHash,
        now: DateTime<Utc>,
        stale_after: Duration,
    ) -> Result<Begin, StoreError> {
        match self
            .0
            .begin(scope, key, request_hash, now, stale_after)
            .await?
        {
            Begin::InFlight => Ok(Begin::Started),
            other => Ok(other),
        }
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        reply: &StoredReply,
    ) -> Result<bool, StoreError> {
        self.0.complete(scope, key, reply).await
    }

    async fn abandon(&self, scope: &str, key: &str) -> Result<bool, StoreError> {
        self.0.abandon(scope, key).await
    }

    async fn purge(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        self.0.purge(older_than).await
    }
}

pub async fn the_begin_race_checker_catches_a_store_that_ignores_in_flight_records(
    h: IdempotencyHarness,
) {
    let broken: Arc<dyn IdempotencyStore> = Arc::new(IgnoresInFlight(h.store.clone()));
    let report = race_begins(broken, 64).await;
    assert!(!report.is_sound(64), "the checker must fail: {report:?}");
    assert!(report.started > 1, "{report:?}");
}

pub async fn invalid_names_and_replies_are_rejected_as_invalid_input(h: IdempotencyHarness) {
    let store = h.store.as_ref();
    for (scope, k) in [("", "k"), (SCOPE, ""), ("a\0b", "k"), (SCOPE, "k\0")] {
        let result = store.begin(scope, k, hash(1), at(0), NEVER_STALE).await;
        assert!(
            matches!(result, Err(StoreError::InvalidInput(_))),
            "{scope:?}/{k:?}: {result:?}"
        );
    }
    let k = key();
    assert_eq!(begin(store, &k, hash(1), 0).await, Begin::Started);
    for bad in [
        StoredReply {
            status: 42,
            ..reply(1)
        },
        StoredReply {
            content_type: Some("text/plain\0".into()),
            ..reply(1)
        },
    ] {
        let result = store.complete(SCOPE, &k, &bad).await;
        assert!(
            matches!(result, Err(StoreError::InvalidInput(_))),
            "{result:?}"
        );
    }
    // The record is still in flight and completes normally.
    assert!(store.complete(SCOPE, &k, &reply(1)).await.unwrap());
}
