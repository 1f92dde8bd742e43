//! Tests of the live dashboard, the streams, the waiting-room actions and the no-show job
//! through the real server on port 0: the authorisation matrix, an arrival on an open stream,
//! 200 concurrent check-ins reaching a follower's final state (a follower that skips on lag is
//! the negative control), the citizen's position moving, shutdown ending open streams, and
//! no-shows closed exactly once by two jobs at once (a blind closer is the negative control).

mod actions;
pub(crate) mod harness;
mod no_show;
mod streams;

/// One `#[tokio::test]` per backend for each listed `async fn(Kind)`.
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::super::harness::Kind::Sqlite).await;
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::super::harness::Kind::Postgres).await;
                }
            )+
        }
    };
}
pub(crate) use on_both_backends;
