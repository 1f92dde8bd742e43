//! Tests of authentication and authorisation through the real router, on SQLite and PostgreSQL:
//! sessions (login, logout, expiry with a set clock, revocation), login limits, CSRF, the
//! authorisation table (exhaustively, with a negative control) and every route per principal,
//! and a log canary.

pub(crate) mod harness;
mod matrix;
mod sessions;

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
