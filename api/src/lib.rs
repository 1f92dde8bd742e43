//! The buergeramt service: HTTP API, projection runners and the command-line interface.
//!
//! `main.rs` is a shim over [`cli::run`]. Tests build the app with [`router`] and bind port 0
//! through [`serve`].

pub mod backend;
pub mod cli;
pub mod demo;
pub mod error;
pub mod local_time;
pub mod routes;
pub mod settings;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use backend::Backend;
pub use error::ApiError;

/// Shared state of the HTTP handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    pub backend: Backend,
    pub catalogue: Arc<domain::catalogue::Catalogue>,
}

/// The HTTP routes.
pub fn router(state: AppState) -> axum::Router {
    routes::router().with_state(state)
}

/// How often projection runners poll for events written by other processes.
pub const PROJECTION_POLL: Duration = Duration::from_millis(250);

/// Serves `state` on `listener` with every projection running live, until `shutdown` resolves.
/// In-flight requests finish before it returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut runners = Vec::new();
    for projection in projections::all() {
        let runner = projections::Runner::new(
            state.backend.events.clone(),
            state.backend.read_models.clone(),
            projection,
        );
        let mut stop = stop_rx.clone();
        runners.push(tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            };
            if let Err(error) = runner.run_until(PROJECTION_POLL, stopped).await {
                tracing::error!(%error, "projection runner stopped");
            }
        }));
    }
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    let _ = stop_tx.send(true);
    for runner in runners {
        let _ = runner.await;
    }
    Ok(())
}
