//! The notifier: follows the global event stream from its own checkpoint (consumer
//! [`CONSUMER`]) and answers every `AppointmentBooked`, `AppointmentRescheduled` and
//! `AppointmentCancelled` with a mail.
//!
//! For the event at stream version `v` it loads the case and skips if a mail about `v` is
//! already recorded, the case is closed, the appointment has started, a later change has
//! superseded the booking, or the contact is erased. Otherwise it records a new capability
//! link (for a booking or reschedule), sends, and records `NotificationSent { about_version: v }`.
//!
//! The checkpoint moves past an event only once its mail is sent (or skipped), in a
//! transaction of its own. If the mail server is unavailable the notifier retries the same event
//! with growing delays and never moves past it, so nothing is lost while SMTP is down. A server
//! that refuses a message for good (5xx, an invalid address) cannot be helped by retrying: that
//! message is skipped with a warning and not recorded as sent.

use domain::case::{CaseCommand, CaseError, CaseEvent, NotificationChannel, NotificationKind};
use domain::{Case, DomainEvent, PersonalInput, Pii};
use store::repository::CommandError;
use store::{Cursor, Personal, RecordedEvent, StreamId};
use tokio::sync::watch;

use super::{sleep_or_stop, MessageFacts, MessageKind, Notifier, NotifyError, SendError};
use crate::capability::CapabilityToken;

/// The consumer's checkpoint name.
pub const CONSUMER: &str = "notifier";

/// Events read per step.
const BATCH: usize = 200;

/// What became of one appointment event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    AlreadySent,
    CaseClosed,
    AppointmentStarted,
    /// A later change of the appointment has its own mail.
    Superseded,
    ContactErased,
    /// The server or the address refused the message for good.
    Refused,
}

/// How far one step got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// This many events were read and the checkpoint moved past all of them.
    Read(usize),
    /// `stop` turned true while a mail was being retried; the checkpoint stays before it.
    Stopped,
}

/// The notifier's consumer state.
#[derive(Debug)]
pub struct Outbox {
    notifier: Notifier,
    checkpoint: Option<Cursor>,
}

impl Outbox {
    pub(super) fn new(notifier: Notifier) -> Self {
        Self {
            notifier,
            checkpoint: None,
        }
    }

    /// Catches up, then follows new events until `stop` turns true.
    pub async fn run_until(mut self, mut stop: watch::Receiver<bool>) -> Result<(), NotifyError> {
        let signal = self.notifier.repository().events().commit_signal();
        let poll = self.notifier.config().poll;
        let mut backoff = poll;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let notified = signal.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.step(&mut stop).await {
                Ok(Progress::Stopped) => return Ok(()),
                Ok(Progress::Read(0)) => {
                    backoff = poll;
                    tokio::select! {
                        _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
                        _ = &mut notified => {}
                        _ = tokio::time::sleep(poll) => {}
                    }
                }
                Ok(Progress::Read(_)) => backoff = poll,
                Err(error) if error.is_fatal() => return Err(error),
                Err(error) => {
                    tracing::warn!(%error, consumer = CONSUMER, "notifier step failed; retrying");
                    if sleep_or_stop(backoff, &mut stop).await {
                        return Ok(());
                    }
                    backoff = (backoff * 2).min(self.notifier.config().max_backoff);
                }
            }
        }
    }

    /// Reads one batch after the checkpoint and notifies every appointment event in it.
    pub async fn step(
        &mut self,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Progress, NotifyError> {
        let from = match self.checkpoint {
            Some(cursor) => cursor,
            None => {
                let cursor = self.notifier.models().checkpoint(CONSUMER).await?;
                self.checkpoint = Some(cursor);
                cursor
            }
        };
        let events = self.notifier.repository().events().clone();
        let batch = events.read_all(from, BATCH).await?;
        let Some(last) = batch.last().map(|e| e.cursor) else {
            return Ok(Progress::Read(0));
        };
        for event in &batch {
            if !is_appointment_event(event) {
                continue;
            }
            match self.deliver_with_retry(event, stop).await? {
                Some(outcome) => {
                    tracing::info!(
                        stream = %event.stream_id,
                        version = event.stream_version,
                        outcome = ?outcome,
                        "appointment notification"
                    );
                    self.commit(event.cursor).await?;
                }
                None => return Ok(Progress::Stopped),
            }
        }
        self.commit(last).await?;
        Ok(Progress::Read(batch.len()))
    }

    /// Moves the checkpoint to `to`. A conflict means another notifier moved it: the stored
    /// checkpoint is read again on the next step.
    async fn commit(&mut self, to: Cursor) -> Result<(), NotifyError> {
        let from = self.checkpoint.unwrap_or(Cursor::START);
        if from == to {
            return Ok(());
        }
        match self
            .notifier
            .models()
            .commit_projection(CONSUMER, from, to, Vec::new())
            .await
        {
            Ok(()) => {
                self.checkpoint = Some(to);
                Ok(())
            }
            Err(error) => {
                self.checkpoint = None;
                Err(error.into())
            }
        }
    }

    /// Delivers the mail about `event`, retrying transient failures with growing delays.
    /// `None` if `stop` turned true first.
    async fn deliver_with_retry(
        &self,
        event: &RecordedEvent,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Option<Outcome>, NotifyError> {
        let mut token = None;
        let mut backoff = self.notifier.config().poll;
        loop {
            match self.deliver(event, &mut token).await {
                Ok(outcome) => return Ok(Some(outcome)),
                Err(error) if error.is_fatal() => return Err(error),
                Err(error) => {
                    self.notifier.note_failure();
                    tracing::warn!(
                        %error,
                        stream = %event.stream_id,
                        version = event.stream_version,
                        retry_in_ms = backoff.as_millis() as u64,
                        "appointment notification not sent; will retry"
                    );
                    if sleep_or_stop(backoff, stop).await {
                        return Ok(None);
                    }
                    backoff = (backoff * 2).min(self.notifier.config().max_backoff);
                }
            }
        }
    }

    /// One attempt for `event`.
    async fn deliver(
        &self,
        event: &RecordedEvent,
        token: &mut Option<CapabilityToken>,
    ) -> Result<Outcome, NotifyError> {
        let version = event.stream_version;
        let (kind, message_kind, appointment) = match decode(event)? {
            CaseEvent::AppointmentBooked { appointment, .. } => (
                NotificationKind::BookingConfirmed,
                MessageKind::Confirmation,
                appointment,
            ),
            CaseEvent::AppointmentRescheduled {
                previous,
                appointment,
                ..
            } => (
                NotificationKind::AppointmentRescheduled,
                MessageKind::Rescheduled { previous },
                appointment,
            ),
            CaseEvent::AppointmentCancelled { appointment, .. } => (
                NotificationKind::AppointmentCancelled,
                MessageKind::Cancelled,
                appointment,
            ),
            _ => return Ok(Outcome::Superseded),
        };
        let stream = &event.stream_id;
        let case = self.notifier.load_case(stream).await?;
        let now = self.notifier.now();
        if case.was_notified(kind, version) {
            return Ok(Outcome::AlreadySent);
        }
        if case.is_closed() {
            return Ok(Outcome::CaseClosed);
        }
        if now >= appointment.starts_at {
            return Ok(Outcome::AppointmentStarted);
        }
        if kind != NotificationKind::AppointmentCancelled
            && case.appointment() != Some(&appointment)
        {
            return Ok(Outcome::Superseded);
        }
        let (Some(facts), Some(Pii::Present(contact))) = (case.facts(), case.contact()) else {
            return Ok(Outcome::ContactErased);
        };
        let links = match kind {
            NotificationKind::AppointmentCancelled => None,
            _ => Some(self.notifier.links(stream, &case, token).await?),
        };
        let message = MessageFacts {
            kind: message_kind,
            case_id: facts.case_id,
            version,
            language: contact.language,
            name: contact.name.clone(),
            email: contact.email.clone(),
            service: facts.service.clone(),
            office: facts.office.clone(),
            office_name: self.notifier.office_name(&facts.office).await?,
            channel: facts.channel,
            appointment,
            links,
            booking_url: self.notifier.booking_url(),
            now,
        };
        match self.notifier.send(contact, &message).await {
            Ok(()) => {}
            Err(SendError::Permanent(reason)) => {
                tracing::warn!(%stream, version, %reason, "appointment notification refused; not retried");
                return Ok(Outcome::Refused);
            }
            Err(error) => return Err(error.into()),
        }
        record(&self.notifier, stream, kind, version).await?;
        Ok(Outcome::Sent)
    }
}

/// Records that the mail about `version` went out. Another notifier having recorded it, or the
/// case having closed meanwhile, is no failure: the mail went out either way.
async fn record(
    notifier: &Notifier,
    stream: &StreamId,
    kind: NotificationKind,
    version: u64,
) -> Result<(), NotifyError> {
    let recorded = notifier
        .repository()
        .execute_with_retry::<Case>(
            stream,
            CaseCommand::RecordNotification {
                kind,
                channel: NotificationChannel::Email,
                about_version: version,
                at: notifier.now(),
            },
            5,
        )
        .await;
    match recorded {
        Ok(_)
        | Err(CommandError::Rejected(CaseError::AlreadyNotified))
        | Err(CommandError::Rejected(CaseError::CaseClosed)) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// True for the case events that get a mail; decided on the stored type, without decoding.
fn is_appointment_event(event: &RecordedEvent) -> bool {
    event.stream_id.as_str().starts_with("case-")
        && matches!(
            event.event_type.as_str(),
            "AppointmentBooked" | "AppointmentRescheduled" | "AppointmentCancelled"
        )
}

fn decode(event: &RecordedEvent) -> Result<CaseEvent, NotifyError> {
    let personal = match &event.personal {
        Personal::None => PersonalInput::None,
        Personal::Present { plaintext, .. } => PersonalInput::Present(plaintext),
        Personal::Erased { .. } => PersonalInput::Erased,
    };
    CaseEvent::decode(
        &event.event_type,
        event.schema_version,
        &event.payload,
        personal,
    )
    .map_err(|e| NotifyError::Decode {
        stream: event.stream_id.to_string(),
        position: event.cursor.position,
        reason: e.to_string(),
    })
}
