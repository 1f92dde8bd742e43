//! The reminder loop: every poll it reads the `reminders_due` rows whose appointment starts
//! within the reminder window (default 24 h), sends a reminder for each case not yet
//! `reminded_for_current_appointment()`, and then records `SendReminder` in the case.
//!
//! The case is the judge, not the read model: each candidate case is loaded and checked (still
//! booked for exactly this appointment, not yet reminded, contact not erased) right before the
//! mail, so a lagging read model cannot cause a second reminder. An appointment booked when it
//! was already inside the window gets no reminder: the confirmation has just gone out.
//! Rescheduling makes a new appointment, which is reminded again.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use domain::case::{Appointment, CaseCommand, CaseError, CaseStatus};
use domain::{Case, Pii};
use projections::reminders_due::{self, ReminderDue};
use store::repository::CommandError;
use store::StreamId;
use tokio::sync::watch;

use super::{sleep_or_stop, MessageFacts, MessageKind, Notifier, NotifyError, SendError};

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tick {
    /// Reminders sent and recorded.
    pub sent: usize,
    /// Candidates that needed no reminder (already reminded, moved, erased, refused).
    pub skipped: usize,
}

/// The reminder loop.
#[derive(Debug)]
pub struct Reminders {
    notifier: Notifier,
    /// Appointments whose reminder the server refused for good, so they are not retried every
    /// poll by this process.
    refused: Mutex<HashSet<(String, Appointment)>>,
}

impl Reminders {
    pub(super) fn new(notifier: Notifier) -> Self {
        Self {
            notifier,
            refused: Mutex::new(HashSet::new()),
        }
    }

    /// Ticks every poll until `stop` turns true; after a failed tick waits longer.
    pub async fn run_until(self, mut stop: watch::Receiver<bool>) -> Result<(), NotifyError> {
        let poll = self.notifier.config().poll;
        let mut delay = poll;
        loop {
            match self.tick().await {
                Ok(tick) => {
                    if tick.sent > 0 {
                        tracing::info!(sent = tick.sent, "reminders sent");
                    }
                    delay = poll;
                }
                Err(error) if error.is_fatal() => return Err(error),
                Err(error) => {
                    self.notifier.note_failure();
                    tracing::warn!(%error, "reminder tick failed; retrying");
                    delay = (delay * 2).min(self.notifier.config().max_backoff);
                }
            }
            if sleep_or_stop(delay, &mut stop).await {
                return Ok(());
            }
        }
    }

    /// Sends every reminder due now. Stops at the first transient failure (the next tick
    /// tries again).
    pub async fn tick(&self) -> Result<Tick, NotifyError> {
        let now = self.notifier.now();
        let until = now + self.notifier.config().reminder_window;
        let due = reminders_due::starting_between(self.notifier.models(), now, until)
            .await
            .map_err(|e| match e {
                projections::ProjectionError::Store(e) => NotifyError::Store(e),
                other => NotifyError::Decode {
                    stream: reminders_due::NAME.into(),
                    position: 0,
                    reason: other.to_string(),
                },
            })?;
        let mut tick = Tick::default();
        for row in due.into_iter().filter(|row| !row.reminded) {
            if self.remind(&row, now).await? {
                tick.sent += 1;
            } else {
                tick.skipped += 1;
            }
        }
        Ok(tick)
    }

    /// Reminds the case of `row` if it still needs it; true if a reminder was sent.
    async fn remind(&self, row: &ReminderDue, now: DateTime<Utc>) -> Result<bool, NotifyError> {
        let key = (row.case_id.clone(), row.appointment);
        if self.lock_refused().contains(&key) {
            return Ok(false);
        }
        let stream = StreamId::new(format!("case-{}", row.case_id))?;
        let case = self.notifier.load_case(&stream).await?;
        let appointment = row.appointment;
        if case.status() != CaseStatus::Booked
            || case.appointment() != Some(&appointment)
            || case.reminded_for_current_appointment()
            || row.booked_at + self.notifier.config().reminder_window >= appointment.starts_at
        {
            return Ok(false);
        }
        let (Some(facts), Some(Pii::Present(contact))) = (case.facts(), case.contact()) else {
            return Ok(false);
        };
        let mut token = None;
        let links = self.notifier.links(&stream, &case, &mut token).await?;
        let message = MessageFacts {
            kind: MessageKind::Reminder,
            case_id: facts.case_id,
            version: case.version(),
            language: contact.language,
            name: contact.name.clone(),
            email: contact.email.clone(),
            service: facts.service.clone(),
            office: facts.office.clone(),
            office_name: self.notifier.office_name(&facts.office).await?,
            channel: facts.channel,
            appointment,
            links: Some(links),
            booking_url: self.notifier.booking_url(),
            now,
        };
        match self.notifier.send(contact, &message).await {
            Ok(()) => {}
            Err(SendError::Permanent(reason)) => {
                tracing::warn!(%stream, %reason, "reminder refused; not retried");
                self.lock_refused().insert(key);
                return Ok(false);
            }
            Err(error) => return Err(error.into()),
        }
        let recorded = self
            .notifier
            .repository()
            .execute_with_retry::<Case>(&stream, CaseCommand::SendReminder { at: now }, 5)
            .await;
        match recorded {
            Ok(_) => Ok(true),
            // The case moved on while the mail went out (checked in, cancelled, closed): the
            // reminder was sent, but there is no longer an appointment to record it for.
            Err(CommandError::Rejected(
                CaseError::AlreadyCheckedIn
                | CaseError::NoAppointment
                | CaseError::CaseClosed
                | CaseError::AppointmentStarted,
            )) => Ok(true),
            Err(error) => Err(error.into()),
        }
    }

    fn lock_refused(&self) -> std::sync::MutexGuard<'_, HashSet<(String, Appointment)>> {
        self.refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
