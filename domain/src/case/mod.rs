//! The case (Vorgang): one citizen request for one service, from opening to closing.
//!
//! Lifecycle: opened → appointment booked (rescheduled, cancelled) → reminded → checked in to the
//! waiting room → admitted / held / sent back → called (video session started) → identity checked →
//! documents requested / uploaded / accepted / rejected → fee assessed → payment started → fee paid
//! (waived, refunded) → result issued → closed with an outcome. Documents and fees are not tied to
//! the call: a clerk may request documents or assess a fee before or after it.
//!
//! Decisions recorded here, so the API and the projections can rely on them:
//! - Uploads are accepted only for a document type the clerk has requested and not yet accepted.
//!   There is no "general" upload: every file in a case answers a request, which keeps the
//!   checklist per service meaningful and stops unsolicited files (and malware) from piling up.
//! - A rejected document leaves its type outstanding; the citizen uploads a new one.
//! - A citizen sent back from the waiting room keeps the appointment and may check in again the
//!   same day. A no-show is only possible if the citizen never checked in.
//! - A payment confirmation must name the payment that was started and carry exactly the assessed
//!   amount (Bruttoprinzip: the city receives the full fee).
//! - The case does not book schedule capacity itself: the API books the slot in the schedule
//!   stream first and then records the appointment here (and releases the slot when the
//!   appointment is cancelled, rescheduled or the case is closed).
//! - The check-in day is the office's local day, derived from the appointment's UTC offset (see
//!   [`Appointment`]).

mod codec;
mod command;
mod error;
mod event;
mod handle;
mod state;
mod types;

pub use codec::{CASE_EVENT_SCHEMAS, CASE_EVENT_UPCASTERS};
pub use command::CaseCommand;
pub use error::CaseError;
pub use event::CaseEvent;
pub use state::{
    CallInvite, Case, CaseFacts, CaseStatus, Document, DocumentStatus, Fee, FeeStatus,
    RequestStatus, MAX_OPEN_CALL_INVITES,
};
pub use types::{
    AccessTokenHash, Appointment, CaseChannel, Contact, IdentityMethod, Language, LinkChannel,
    NotificationChannel, NotificationKind, Outcome, WaiverReason,
};

use crate::aggregate::Aggregate;

impl Aggregate for Case {
    type Command = CaseCommand;
    type Event = CaseEvent;
    type Error = CaseError;

    fn handle(&self, command: CaseCommand) -> Result<Vec<CaseEvent>, CaseError> {
        self.decide(command)
    }

    fn apply(&mut self, event: &CaseEvent) {
        self.fold(event);
    }
}

#[cfg(test)]
mod tests;
