//! The buergeramt service: HTTP API, projection runners and the command-line interface.
//!
//! `main.rs` is a shim over [`cli::run`]. Tests build the app with [`router`] and bind port 0
//! through [`serve`]. Every error answer is RFC 9457 problem+json with a `type` from
//! [`problems`]; the OpenAPI 3.1 document is generated from the routes ([`routes::openapi`]) and
//! served at `GET /api/v1/openapi.json`.

pub mod admin;
pub mod auth;
pub mod backend;
pub mod booking;
pub mod call;
pub mod capability;
pub mod catalogue_handle;
pub mod citizen;
pub mod clerk_case;
pub mod cli;
pub mod demo;
pub mod demo_accounts;
pub mod demo_citizen;
pub mod error;
pub mod extract;
pub mod http;
pub mod idempotency;
pub mod live;
pub mod local_time;
pub mod no_show;
pub mod notify;
pub mod problems;
pub mod rate_limit;
pub mod readiness;
pub mod routes;
pub mod settings;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use backend::Backend;
pub use error::ApiError;
pub use http::HttpLimits;
pub use readiness::Runners;

/// Shared state of the HTTP handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    pub backend: Backend,
    /// The live catalogue: the CSV seed with the admins' changes (see [`catalogue_handle`]).
    pub catalogue: catalogue_handle::CatalogueHandle,
    /// The projection runners' states, for `GET /ready`.
    pub runners: Runners,
    pub limits: HttpLimits,
    /// The folder the pages are served from (`BUERGERAMT_WEB_DIR`).
    pub web_dir: Arc<std::path::PathBuf>,
    /// The address citizens and clerks reach the service at, without a trailing slash
    /// (`BUERGERAMT_PUBLIC_URL`); links in messages start with it.
    pub public_url: Arc<str>,
    /// Booking: schedule days, proof of work, fair-access limits.
    pub booking: Arc<booking::BookingService>,
    /// How state-changing requests are made idempotent (see [`idempotency`]).
    pub idempotency: idempotency::Idempotency,
    /// The mail notifier; `serve` runs its loops beside the projection runners. `None` sends
    /// nothing (tests of other parts).
    pub notifier: Option<notify::Notifier>,
    /// Session limits, the clock and the login rate limits (see [`auth`]).
    pub auth: auth::AuthState,
    /// The change feed of the case summaries and the shutdown signal of open streams (see
    /// [`live`]).
    pub live: live::Live,
    /// Minutes after an appointment's start before a citizen who never checked in is closed as
    /// a no-show (see [`no_show`]).
    pub no_show_grace: chrono::Duration,
    /// The video call: rooms, the SFU, TURN (see [`call`]).
    pub calls: call::Calls,
}

impl AppState {
    pub fn new(
        backend: Backend,
        catalogue: Arc<domain::catalogue::Catalogue>,
        limits: HttpLimits,
    ) -> Self {
        Self {
            catalogue: catalogue_handle::CatalogueHandle::new(catalogue, backend.events.clone()),
            runners: Runners::for_all_projections(),
            limits,
            web_dir: Arc::new(settings::DEFAULT_WEB_DIR.into()),
            public_url: Arc::from("http://127.0.0.1:8080"),
            booking: Arc::new(booking::BookingService::new(
                backend.events.clone(),
                backend.derived_key,
                booking::BookingPolicy::default(),
            )),
            backend,
            idempotency: idempotency::Idempotency::default(),
            notifier: None,
            auth: auth::AuthState::default(),
            live: live::Live::default(),
            no_show_grace: chrono::Duration::minutes(i64::from(
                booking::BookingPolicy::default().no_show_grace_minutes,
            )),
            calls: call::Calls::default(),
        }
    }

    /// Uses another live-update hub (tests use a tiny feed to force followers to lag).
    pub fn with_live(mut self, live: live::Live) -> Self {
        self.live = live;
        self
    }

    /// Sets how long retries wait and records are kept (see [`idempotency::Idempotency`]).
    pub fn with_idempotency(mut self, idempotency: idempotency::Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }

    /// Replaces the booking rules (window, proof-of-work difficulty, limits).
    pub fn with_booking_policy(mut self, policy: booking::BookingPolicy) -> Self {
        self.no_show_grace = chrono::Duration::minutes(i64::from(policy.no_show_grace_minutes));
        self.booking = Arc::new(booking::BookingService::new(
            self.backend.events.clone(),
            self.backend.derived_key,
            policy,
        ));
        self
    }

    /// Sets the address used in links (see [`AppState::public_url`]).
    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    /// True when the service is reached over HTTPS, so cookies can be `Secure` and `__Host-`.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Sends mail through `notifier` while serving (see [`notify`]).
    pub fn with_notifier(mut self, notifier: notify::Notifier) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Uses other session limits or another clock (see [`auth::AuthState`]).
    pub fn with_auth(mut self, auth: auth::AuthState) -> Self {
        self.auth = auth;
        self
    }

    /// Uses a running SFU for the calls' media.
    pub fn with_sfu(mut self, sfu: media::sfu::SfuHandle) -> Self {
        self.calls.sfu = Some(sfu);
        self
    }

    /// Serves the pages from `dir` instead of the repository's `web/` folder.
    pub fn with_web_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.web_dir = Arc::new(dir);
        self
    }
}

/// The HTTP routes with their layers (request id, access log, body limit, timeout, and the
/// `Idempotency-Key` guard on state-changing API routes).
pub fn router(state: AppState) -> axum::Router {
    with_layers(routes::router(), state)
}

/// `routes` with the layers of [`router`]; tests pass routes of their own.
fn with_layers(routes: axum::Router<AppState>, state: AppState) -> axum::Router {
    let limits = state.limits;
    // CSRF runs first (outermost): a cross-site request is refused before its key is recorded.
    let routes = routes
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::csrf::guard,
        ));
    http::layered(routes, limits).with_state(state)
}

/// How often expired idempotency records are purged while serving.
pub const IDEMPOTENCY_PURGE_EVERY: Duration = Duration::from_secs(15 * 60);

/// How often projection runners poll for events written by other processes.
pub const PROJECTION_POLL: Duration = Duration::from_millis(250);

/// Serves `state` on `listener` with every projection running live, until `shutdown` resolves.
/// In-flight requests finish before it returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = router(state.clone());
    serve_app(listener, state, app, shutdown).await
}

/// [`serve`] with any router over the same state (tests add routes of their own).
async fn serve_app(
    listener: TcpListener,
    state: AppState,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut runners = Vec::new();
    for projection in projections::all() {
        let name = projection.name();
        let mut runner = projections::Runner::new(
            state.backend.events.clone(),
            state.backend.read_models.clone(),
            projection,
        );
        if name == projections::case_summary::NAME {
            let feed = state.live.feed.clone();
            runner = runner.with_on_commit(Arc::new(move |changed| feed.publish(changed)));
        }
        let guard = state.runners.start(name);
        let mut stop = stop_rx.clone();
        runners.push(tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            };
            let result = runner.run_until(PROJECTION_POLL, stopped).await;
            if let Err(error) = &result {
                tracing::error!(%error, projection = name, "projection runner stopped");
            }
            guard.finish(result.is_ok());
        }));
    }
    let mut stop = stop_rx.clone();
    runners.push(tokio::spawn(idempotency::purge_until(
        state.backend.idempotency.clone(),
        state.idempotency.retention,
        IDEMPOTENCY_PURGE_EVERY,
        async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        },
    )));
    if let Some(notifier) = &state.notifier {
        runners.extend(notifier.spawn(&state.runners, &stop_rx));
    }
    let follower = booking::waitlist_follower::WaitlistFollower::new(
        state.booking.clone(),
        state.backend.read_models.clone(),
        notify::system_clock(),
        PROJECTION_POLL,
    );
    let guard = state.runners.start(booking::waitlist_follower::CONSUMER);
    let stopped = stop_rx.clone();
    runners.push(tokio::spawn(async move {
        follower.run_until(stopped).await;
        guard.finish(true);
    }));
    runners.push(no_show::spawn(&state, &stop_rx));
    runners.push(booking::reconcile::spawn(&state, &stop_rx));
    // Open event streams end as soon as shutdown begins, or the server would wait for them.
    let live = state.live.clone();
    let shutdown = async move {
        shutdown.await;
        live.close();
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    let _ = stop_tx.send(true);
    for runner in runners {
        let _ = runner.await;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
