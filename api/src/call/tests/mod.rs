//! The call's signalling through the real server on port 0 and a real WebSocket client: who
//! may join, waiting and admission, chat, the end of the call and its records, replacement of
//! an older connection, per-connection limits (a flooding client is cut off while another in
//! the same call carries on; a client within its budget is the negative control), and the
//! clerk's case panel. Media through the SFU is tested in `media/tests` and the browser tests.

mod abandon;
mod harness;
mod joining;
mod limits;
mod panel;

/// One `#[tokio::test]` per backend for each listed `async fn(Kind)`.
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(crate::live::tests::harness::Kind::Sqlite).await;
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(crate::live::tests::harness::Kind::Postgres).await;
                }
            )+
        }
    };
}
pub(crate) use on_both_backends;
