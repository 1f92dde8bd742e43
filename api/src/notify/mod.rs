//! E-mail to citizens: booking confirmation, rescheduled, cancelled (each with a calendar file),
//! and a reminder before the appointment.
//!
//! Two background loops send them, both started by [`crate::serve`] beside the projection
//! runners and reported in `/ready`:
//! - the [`outbox::Outbox`] follows the global event stream from its own checkpoint (consumer
//!   `notifier`) and answers every booking, reschedule and cancellation with a mail;
//! - [`reminders::Reminders`] polls the `reminders_due` read model and reminds citizens whose
//!   appointment starts within the reminder window.
//!
//! Delivery is at least once: the mail goes out first and is recorded in the case afterwards
//! (`NotificationSent`, `ReminderSent`), and the case's record is what stops a second mail. A
//! crash between the two resends. Every mail with links carries a fresh capability token whose
//! hash is recorded in the case (`AccessLinkIssued`) before the mail leaves; the token itself is
//! never stored. Logs name cases and stream versions, never a name, an address or a token.
//!
//! The clock is injected ([`Clock`]) so that tests move time instead of sleeping.

pub mod ics;
pub mod messages;
pub mod outbox;
pub mod reminders;
pub mod transport;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use domain::case::{CaseCommand, CaseError, Contact, LinkChannel};
use domain::catalogue::Catalogue;
use domain::Case;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use store::repository::{CommandError, Repository};
use store::{ReadModelStore, StoreError, StreamId};
use tokio::sync::watch;

use crate::capability::CapabilityToken;
use crate::readiness::Runners;
use crate::settings::Settings;
use crate::Backend;

pub use messages::{Links, MessageFacts, MessageKind, Rendered, Sender};
pub use outbox::Outbox;
pub use reminders::Reminders;
pub use transport::{MailTransport, OutboxFolder, SendError, SmtpMailer};

/// The current time. Production uses [`system_clock`]; tests pass a clock they move.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// How the loops behave.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// The sender of every mail.
    pub from: Mailbox,
    /// How long before an appointment the reminder goes out.
    pub reminder_window: chrono::Duration,
    /// How often the loops look for work when idle, and the first retry delay after a failure.
    pub poll: Duration,
    /// The longest delay between retries.
    pub max_backoff: Duration,
}

impl NotifyConfig {
    /// The configuration the settings describe.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .mail_from
            .parse()
            .context("BUERGERAMT_MAIL_FROM is not an address like `Name <a@b.de>`")?;
        Ok(Self {
            from,
            reminder_window: chrono::Duration::hours(i64::from(settings.reminder_hours)),
            poll: Duration::from_millis(settings.notify_poll_ms),
            max_backoff: Duration::from_secs(60),
        })
    }
}

/// Why a notification step failed. Only [`NotifyError::Decode`] stops a loop; everything else
/// is retried with backoff.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event cannot be read back: retrying cannot help, so the loop stops and `/ready`
    /// reports it.
    #[error("stored event {position} of {stream} cannot be decoded: {reason}")]
    Decode {
        stream: String,
        position: u64,
        reason: String,
    },
    /// The case refused a command the notifier relies on.
    #[error("the case refused: {0}")]
    Rejected(CaseError),
}

impl NotifyError {
    /// True when retrying cannot help.
    pub fn is_fatal(&self) -> bool {
        matches!(self, NotifyError::Decode { .. })
    }
}

impl From<CommandError<CaseError>> for NotifyError {
    fn from(error: CommandError<CaseError>) -> Self {
        match error {
            CommandError::Rejected(e) => NotifyError::Rejected(e),
            CommandError::Store(e) => NotifyError::Store(e),
            CommandError::Decode {
                stream,
                position,
                source,
            } => NotifyError::Decode {
                stream,
                position,
                reason: source.to_string(),
            },
        }
    }
}

/// What the loops share: the store, the transport, the texts' inputs and the clock.
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    repository: Repository,
    models: Arc<dyn ReadModelStore>,
    transport: Arc<dyn MailTransport>,
    catalogue: Arc<Catalogue>,
    public_url: Arc<str>,
    config: NotifyConfig,
    clock: Clock,
    send_failures: AtomicU64,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("transport", &self.inner.transport.describe())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// The loops' names in `/ready`.
pub const NOTIFIER_LOOP: &str = outbox::CONSUMER;
pub const REMINDER_LOOP: &str = "reminders";

impl Notifier {
    pub fn new(
        backend: &Backend,
        transport: Arc<dyn MailTransport>,
        catalogue: Arc<Catalogue>,
        public_url: &str,
        config: NotifyConfig,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                repository: Repository::new(backend.events.clone()),
                models: backend.read_models.clone(),
                transport,
                catalogue,
                public_url: Arc::from(public_url.trim_end_matches('/')),
                config,
                clock,
                send_failures: AtomicU64::new(0),
            }),
        }
    }

    /// The notifier the settings describe: SMTP if `BUERGERAMT_SMTP_URL` is set, otherwise
    /// files in `<data_dir>/outbox/` (said once in the log).
    pub fn from_settings(
        settings: &Settings,
        backend: &Backend,
        catalogue: Arc<Catalogue>,
        public_url: &str,
    ) -> anyhow::Result<Self> {
        let config = NotifyConfig::from_settings(settings)?;
        let transport: Arc<dyn MailTransport> = match &settings.smtp_url {
            Some(url) => Arc::new(SmtpMailer::from_url(url.expose())?),
            None => {
                let dir = settings.data_dir.join("outbox");
                let folder = OutboxFolder::new(&dir)
                    .with_context(|| format!("creating the mail outbox {}", dir.display()))?;
                tracing::info!(
                    outbox = %dir.display(),
                    "BUERGERAMT_SMTP_URL is not set: mails are written as files into the outbox folder"
                );
                Arc::new(folder)
            }
        };
        tracing::info!(transport = %transport.describe(), "notifications go out");
        Ok(Self::new(
            backend,
            transport,
            catalogue,
            public_url,
            config,
            system_clock(),
        ))
    }

    /// The consumer that answers appointment events with mails.
    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.clone())
    }

    /// The reminder loop.
    pub fn reminders(&self) -> Reminders {
        Reminders::new(self.clone())
    }

    /// How many send attempts failed so far (for tests and diagnostics).
    pub fn send_failures(&self) -> u64 {
        self.inner.send_failures.load(Ordering::Relaxed)
    }

    /// Starts both loops; they end when `stop` turns true. Each is reported in `runners`.
    pub fn spawn(
        &self,
        runners: &Runners,
        stop: &watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let outbox = self.outbox();
        let guard = runners.start(NOTIFIER_LOOP);
        let stopped = stop.clone();
        let first = tokio::spawn(async move {
            let result = outbox.run_until(stopped).await;
            if let Err(error) = &result {
                tracing::error!(%error, "the notifier stopped");
            }
            guard.finish(result.is_ok());
        });
        let reminders = self.reminders();
        let guard = runners.start(REMINDER_LOOP);
        let stopped = stop.clone();
        let second = tokio::spawn(async move {
            let result = reminders.run_until(stopped).await;
            if let Err(error) = &result {
                tracing::error!(%error, "the reminder loop stopped");
            }
            guard.finish(result.is_ok());
        });
        vec![first, second]
    }

    fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    fn config(&self) -> &NotifyConfig {
        &self.inner.config
    }

    fn repository(&self) -> &Repository {
        &self.inner.repository
    }

    fn models(&self) -> &dyn ReadModelStore {
        self.inner.models.as_ref()
    }

    fn note_failure(&self) {
        self.inner.send_failures.fetch_add(1, Ordering::Relaxed);
    }

    async fn load_case(&self, stream: &StreamId) -> Result<Case, NotifyError> {
        Ok(self.repository().load::<Case>(stream).await?.state)
    }

    /// The office's display name from its aggregate; `None` when it has no profile (texts then
    /// fall back to the office id). A store error is a retryable failure like any other.
    async fn office_name(&self, office: &domain::OfficeId) -> Result<Option<String>, NotifyError> {
        let stream = StreamId::new(office.stream_name())?;
        let loaded = match self
            .repository()
            .load::<domain::office::Office>(&stream)
            .await
        {
            Ok(loaded) => loaded,
            Err(CommandError::Store(e)) => return Err(NotifyError::Store(e)),
            Err(CommandError::Decode {
                stream,
                position,
                source,
            }) => {
                return Err(NotifyError::Decode {
                    stream,
                    position,
                    reason: source.to_string(),
                })
            }
            // Loading never runs a command, so nothing can be refused.
            Err(CommandError::Rejected(_)) => return Ok(None),
        };
        Ok(loaded.state.profile().map(|p| p.name.clone()))
    }

    /// The join and cancel links of `token` (made on first use), after recording its hash in
    /// the case. A token made in an earlier attempt of the same mail is reused.
    async fn links(
        &self,
        stream: &StreamId,
        case: &Case,
        token: &mut Option<CapabilityToken>,
    ) -> Result<Links, NotifyError> {
        let case_id = case
            .id()
            .ok_or(NotifyError::Rejected(CaseError::NotOpened))?;
        let token = token.get_or_insert_with(|| CapabilityToken::generate(case_id));
        if !case.has_access_link(&token.hash()) {
            let issued = self
                .repository()
                .execute_with_retry::<Case>(
                    stream,
                    CaseCommand::IssueAccessLink {
                        token_sha256: token.hash(),
                        via: LinkChannel::Email,
                        at: self.now(),
                    },
                    5,
                )
                .await;
            match issued {
                Ok(_) | Err(CommandError::Rejected(CaseError::AccessLinkExists)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(Links {
            join: token.appointment_link(&self.inner.public_url),
            cancel: token.cancel_link(&self.inner.public_url),
        })
    }

    /// Renders `facts` and hands the mail to the transport.
    async fn send(&self, contact: &Contact, facts: &MessageFacts) -> Result<(), SendError> {
        let from = &self.config().from;
        let sender = Sender {
            name: from.name.clone().unwrap_or_else(|| "Bürgeramt".into()),
            email: from.email.to_string(),
        };
        let rendered = messages::render(facts, &self.inner.catalogue, &sender);
        let message = compose(from, contact, rendered, facts.now)?;
        self.inner.transport.send(message).await
    }

    fn booking_url(&self) -> String {
        format!("{}/", self.inner.public_url)
    }
}

/// Builds the MIME message: text and HTML as alternatives, the calendar file as an attachment.
/// The calendar is base64-encoded so that its CRLF line ends and folding arrive byte for byte.
pub fn compose(
    from: &Mailbox,
    contact: &Contact,
    rendered: Rendered,
    now: DateTime<Utc>,
) -> Result<Message, SendError> {
    let address = contact
        .email
        .parse()
        .map_err(|_| SendError::Permanent("the contact's address is not valid".into()))?;
    let to = Mailbox::new(Some(contact.name.clone()), address);
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(rendered.text))
        .singlepart(SinglePart::html(rendered.html));
    let body = match rendered.calendar {
        Some((method, ics)) => {
            let content_type = ContentType::parse(&format!(
                "text/calendar; charset=utf-8; method={}",
                method.as_str()
            ))
            .map_err(|_| SendError::Permanent("bad calendar content type".into()))?;
            let calendar = Body::new_with_encoding(
                ics.into_bytes(),
                lettre::message::header::ContentTransferEncoding::Base64,
            )
            .map_err(|_| SendError::Permanent("the calendar cannot be encoded".into()))?;
            MultiPart::mixed()
                .multipart(alternative)
                .singlepart(Attachment::new("termin.ics".into()).body(calendar, content_type))
        }
        None => alternative,
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject)
        .date(now.into())
        .message_id(None)
        .multipart(body)
        .map_err(|_| SendError::Permanent("the message cannot be built".into()))
}

/// Waits `delay` unless `stop` turns true first; returns true if stopped.
async fn sleep_or_stop(delay: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = stop.wait_for(|stopped| *stopped) => true,
        _ = tokio::time::sleep(delay) => false,
    }
}
