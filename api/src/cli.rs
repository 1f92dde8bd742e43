//! The `buergeramt` command line. Every subcommand reads the same settings (see `--help`).

use std::io::Write;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::settings::Settings;
use crate::{AppState, Backend};

const ENVIRONMENT_HELP: &str = "\
Settings (environment variables; a TOML file named by BUERGERAMT_CONFIG is read first):
  BUERGERAMT_DATA_DIR          where the embedded store and master key live   [default: ./data]
  BUERGERAMT_LISTEN            address the HTTP server binds                  [default: 127.0.0.1:8080]
  DATABASE_URL                 postgres://… to use PostgreSQL instead of the embedded SQLite store
  BUERGERAMT_MASTER_KEY        64 hex chars wrapping every citizen's data key [default: generated into DATA_DIR/master.key]
  BUERGERAMT_PG_MAX_CONNECTIONS  PostgreSQL pool size                        [default: 16]
  BUERGERAMT_MAX_BODY_BYTES    largest request body accepted, in bytes        [default: 65536]
  BUERGERAMT_REQUEST_TIMEOUT_SECS  seconds before a request is abandoned      [default: 30]
  BUERGERAMT_LOG_JSON          true for JSON log lines; RUST_LOG sets the level [default: info]
  BUERGERAMT_WEB_DIR           folder the pages are served from              [default: the repository's web/]
  BUERGERAMT_PUBLIC_URL        address used in links and for cookie security [default: http://<bound address>]
  BUERGERAMT_BOOKING_POW_BITS  proof-of-work difficulty per booking (0-32)   [default: 16]
  BUERGERAMT_BOOKING_LEAD_MINUTES  earliest booking, minutes from now        [default: 30]
  BUERGERAMT_BOOKING_HORIZON_DAYS  latest booking, days ahead                [default: 60]
  BUERGERAMT_BOOKINGS_PER_CLIENT_HOUR  bookings per client address per hour  [default: 20]
  BUERGERAMT_BOOKINGS_PER_EMAIL_DAY    bookings per e-mail address per day   [default: 5]
  BUERGERAMT_OPEN_BOOKINGS_PER_EMAIL   open bookings per e-mail address      [default: 3]
  BUERGERAMT_BOOKING_NO_SHOW_GRACE_MINUTES  minutes after the start before a no-show [default: 15]
  BUERGERAMT_IDEMPOTENCY_WAIT_MS  ms a retry waits for its key's first request [default: 5000]
  BUERGERAMT_IDEMPOTENCY_RETENTION_HOURS  hours an Idempotency-Key is remembered [default: 24]
  BUERGERAMT_SMTP_URL          smtp://host:port, smtp://host?tls=required or smtps://user:pass@host [default: mails go to DATA_DIR/outbox/]
  BUERGERAMT_MAIL_FROM         sender of every mail                           [default: Bürgeramt Potsdam <termine@buergeramt.invalid>]
  BUERGERAMT_REMINDER_HOURS    hours before an appointment the reminder goes out [default: 24]
  BUERGERAMT_NOTIFY_POLL_MS    how often the notifier looks for work, in ms  [default: 1000]
  BUERGERAMT_SESSION_IDLE_MINUTES   minutes a staff session may go unused     [default: 30]
  BUERGERAMT_SESSION_ABSOLUTE_HOURS hours a staff session lives at most        [default: 12]
  BUERGERAMT_NEW_PASSWORD      the password for `account create` (else read from stdin)";

/// buergeramt: a virtual citizen office (virtuelles Bürgeramt) on an event-sourced case engine.
#[derive(Debug, Parser)]
#[command(name = "buergeramt", version, after_help = ENVIRONMENT_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (the default). Prints the URL once it listens.
    Serve {
        /// Seed demo cases first if the store is empty, so there is something to look at.
        #[arg(long)]
        demo: bool,
    },
    /// Create or update the store's schema, then exit. `serve` does this too.
    Migrate,
    /// Walk the tamper-evident hash chains and name the first altered event of each broken stream.
    /// Exits with status 1 if anything does not match.
    Verify {
        /// Check only this case (its id).
        #[arg(long, conflicts_with = "stream")]
        case: Option<uuid::Uuid>,
        /// Check only this stream (its full name, e.g. schedule-mitte-2026-11-24).
        #[arg(long)]
        stream: Option<String>,
    },
    /// Delete a projection's read model and replay every event into it.
    Rebuild {
        /// The projection's name (e.g. case_summary).
        projection: String,
    },
    /// Seed realistic demo cases (offices, schedules, citizens in every stage of a case).
    Demo,
    /// Erase a citizen's personal data for good (GDPR Art. 17) by deleting their data key.
    /// Their events stay, read as erased, and every hash chain still verifies.
    EraseCitizen {
        /// The citizen's id.
        citizen: uuid::Uuid,
    },
    /// Manage staff accounts (bootstraps the first admin).
    Account {
        #[command(subcommand)]
        command: AccountCli,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCli {
    /// Create a staff account. The password comes from BUERGERAMT_NEW_PASSWORD or the first line
    /// of standard input (12 to 256 characters).
    Create {
        /// 3 to 64 of a-z 0-9 . _ - (upper case is lowered).
        #[arg(long)]
        username: String,
        /// clerk, auditor, planner or admin.
        #[arg(long)]
        role: String,
        /// The clerk's office (required for clerks, refused otherwise).
        #[arg(long)]
        office: Option<String>,
        /// The name shown in the interface [default: the username].
        #[arg(long)]
        display_name: Option<String>,
    },
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    let settings = Settings::load().context("reading settings")?;
    init_tracing(settings.log_json);
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => {
            let backend = Backend::open(&settings).await?;
            say(&format!("The {} store is migrated.", backend.kind))?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Verify { case, stream } => verify(settings, case, stream).await,
        Command::Rebuild { projection } => rebuild(settings, &projection).await,
        Command::Demo => {
            let state = offline_state(&settings).await?;
            let report = crate::demo::seed(&state.backend.events, chrono::Utc::now()).await?;
            say(&report.to_string())?;
            crate::demo_accounts::seed(&state).await?;
            say(&crate::demo_accounts::credentials())?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::EraseCitizen { citizen } => {
            let backend = Backend::open(&settings).await?;
            erase_citizen(&backend, citizen).await
        }
        Command::Account { command } => account(settings, command).await,
    }
}

/// The application state without a listener, for commands that act like the API does.
async fn offline_state(settings: &Settings) -> anyhow::Result<AppState> {
    let backend = Backend::open(settings).await?;
    Ok(AppState::new(
        backend,
        std::sync::Arc::new(domain::catalogue::Catalogue::default_catalogue()?),
        crate::HttpLimits::from(settings),
    ))
}

async fn account(
    settings: Settings,
    command: AccountCli,
) -> anyhow::Result<std::process::ExitCode> {
    let AccountCli::Create {
        username,
        role,
        office,
        display_name,
    } = command;
    let password = match std::env::var("BUERGERAMT_NEW_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let state = offline_state(&settings).await?;
    let request = crate::auth::accounts::NewAccount {
        display_name: display_name.unwrap_or_else(|| username.clone()),
        username,
        role,
        office,
        password,
    };
    match crate::auth::accounts::create_account(&state, request, domain::Actor::System).await {
        Ok(view) => {
            say(&format!(
                "Created the {} account {} ({}).",
                view.role, view.username, view.account_id
            ))?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(crate::ApiError::Internal(cause)) => Err(cause),
        Err(refused) => {
            say(&format!("Not created: {refused}"))?;
            Ok(std::process::ExitCode::from(2))
        }
    }
}

/// Deletes the citizen's data key, then records the erasure (who, when; no personal data) in the
/// citizen's stream. Run again after a failure, it completes whatever is missing.
async fn erase_citizen(
    backend: &Backend,
    citizen: uuid::Uuid,
) -> anyhow::Result<std::process::ExitCode> {
    use domain::citizen::{CitizenCommand, CitizenError, CitizenRecord};
    use store::repository::{CommandError, Repository};

    let existed = backend
        .events
        .erase_subject(store::SubjectId(citizen))
        .await?;
    let stream = store::StreamId::new(domain::citizen::stream_name(domain::CitizenId(citizen)))?;
    let recorded = Repository::new(backend.events.clone())
        .execute_with_retry::<CitizenRecord>(
            &stream,
            CitizenCommand::RecordErasure {
                citizen_id: domain::CitizenId(citizen),
                key_existed: existed,
                actor: domain::Actor::System,
                at: chrono::Utc::now(),
            },
            3,
        )
        .await;
    match recorded {
        Ok(_) if existed => {
            say("The citizen's data key is deleted; their personal data reads as erased.")?
        }
        Ok(_) => say("No data key was stored for this citizen; the request is recorded.")?,
        Err(CommandError::Rejected(CitizenError::AlreadyErased(at))) => say(&format!(
            "The citizen's personal data was already erased at {at}."
        ))?,
        Err(other) => return Err(other.into()),
    }
    Ok(std::process::ExitCode::SUCCESS)
}

fn say(line: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<std::process::ExitCode> {
    let backend = Backend::open(&settings).await?;
    let mut demo_citizen = None;
    if demo {
        let empty = backend
            .events
            .read_all(store::Cursor::START, 1)
            .await?
            .is_empty();
        if empty {
            let report = crate::demo::seed(&backend.events, chrono::Utc::now()).await?;
            say(&report.to_string())?;
            demo_citizen = Some(
                crate::demo_citizen::seed(
                    &backend.events,
                    &domain::catalogue::Catalogue::default_catalogue()?,
                    chrono::Utc::now(),
                )
                .await?,
            );
        }
    }
    if !settings.web_dir.join("index.html").is_file() {
        tracing::warn!(web_dir = %settings.web_dir.display(), "no index.html in the web folder; set BUERGERAMT_WEB_DIR");
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let address = listener.local_addr()?;
    let state = AppState::new(
        backend,
        std::sync::Arc::new(domain::catalogue::Catalogue::default_catalogue()?),
        crate::HttpLimits::from(&settings),
    )
    .with_web_dir(settings.web_dir.clone())
    .with_booking_policy(settings.booking)
    .with_idempotency(crate::idempotency::Idempotency::from(&settings))
    .with_public_url(
        settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}")),
    )
    .with_auth(crate::auth::AuthState::new(
        settings.session_policy(),
        std::sync::Arc::new(crate::auth::SystemClock),
    ));
    let sfu = media::sfu::SfuHandle::start(media::sfu::SfuConfig {
        bind: settings
            .sfu_bind
            .unwrap_or_else(|| std::net::SocketAddr::new(address.ip(), 0)),
        public_addr: settings.sfu_public_addr,
    })
    .await
    .context("starting the SFU (BUERGERAMT_SFU_BIND)")?;
    tracing::info!(media = %sfu.media_addr(), "SFU listening");
    let mut state = state.with_sfu(sfu);
    state.calls.turn = settings.turn()?.map(std::sync::Arc::new);
    state.calls.relay_only = settings.turn_relay_only;
    if demo {
        crate::demo_accounts::seed(&state).await?;
    }
    let notifier = crate::notify::Notifier::from_settings(
        &settings,
        &state.backend,
        state.catalogue.seed().clone(),
        &state.public_url,
    )?;
    let state = state.with_notifier(notifier);
    tracing::info!(%address, store = state.backend.kind, "listening");
    say(&format!(
        "buergeramt is running at http://{address}/  (store: {}; Ctrl-C stops it)",
        state.backend.kind
    ))?;
    if demo {
        say(&crate::demo_accounts::credentials())?;
    }
    if let Some(token) = &demo_citizen {
        say(&crate::demo_citizen::link_line(&state.public_url, token))?;
    }
    crate::serve(listener, state, shutdown_signal()).await?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

async fn verify(
    settings: Settings,
    case: Option<uuid::Uuid>,
    stream: Option<String>,
) -> anyhow::Result<std::process::ExitCode> {
    let backend = Backend::open(&settings).await?;
    let stream = match (case, stream) {
        (Some(case), _) => Some(store::StreamId::new(domain::CaseId(case).stream_name())?),
        (None, Some(name)) => Some(store::StreamId::new(name)?),
        (None, None) => None,
    };
    if let Some(stream) = &stream {
        if backend.events.stream_version(stream).await? == 0 {
            say(&format!("No stream named {stream} is stored."))?;
            return Ok(std::process::ExitCode::from(2));
        }
    }
    let report = backend.events.verify(stream.as_ref()).await?;
    say(&format!(
        "Checked {} events in {} streams.",
        report.events_checked, report.streams_checked
    ))?;
    if report.is_intact() {
        say("Every hash chain is intact.")?;
        return Ok(std::process::ExitCode::SUCCESS);
    }
    for broken in &report.broken {
        say(&format!(
            "ALTERED: stream {} at version {} (global position {}): {}",
            broken.stream_id, broken.stream_version, broken.global_position, broken.reason
        ))?;
    }
    Ok(std::process::ExitCode::from(1))
}

async fn rebuild(settings: Settings, name: &str) -> anyhow::Result<std::process::ExitCode> {
    let Some(projection) = projections::by_name(name) else {
        let known: Vec<_> = projections::all().iter().map(|p| p.name()).collect();
        say(&format!(
            "There is no projection named {name:?}. Known: {}",
            known.join(", ")
        ))?;
        return Ok(std::process::ExitCode::from(2));
    };
    let backend = Backend::open(&settings).await?;
    let started = std::time::Instant::now();
    let mut runner = projections::Runner::new(
        backend.events.clone(),
        backend.read_models.clone(),
        projection,
    );
    let events = runner.rebuild().await?;
    say(&format!(
        "Rebuilt {name} from {events} events in {:.1} s.",
        started.elapsed().as_secs_f64()
    ))?;
    Ok(std::process::ExitCode::SUCCESS)
}
