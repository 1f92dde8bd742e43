//! What happened to a case. Events are facts in the past tense and carry everything a projection
//! needs, so that read models never have to call back into the aggregate.
//!
//! Personal fields are [`Pii`]: they are sealed per citizen on write and decode as
//! [`Pii::Erased`] once the citizen's key is deleted. Events with personal fields carry the
//! `citizen_id` that names the key.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::types::{
    AccessTokenHash, Appointment, CaseChannel, Contact, IdentityMethod, LinkChannel,
    NotificationChannel, NotificationKind, Outcome, WaiverReason,
};
use crate::actor::Actor;
use crate::ids::{
    CaseId, CitizenId, DocumentId, DocumentType, InterpreterId, OfficeId, PaymentId, ServiceKey,
    VideoSessionId,
};
use crate::money::Cents;
use crate::pii::Pii;

/// An event of a case stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CaseEvent {
    CaseOpened {
        case_id: CaseId,
        citizen_id: CitizenId,
        service: ServiceKey,
        office: OfficeId,
        channel: CaseChannel,
        #[serde(default, skip_serializing_if = "Pii::is_erased")]
        contact: Pii<Contact>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    AppointmentBooked {
        case_id: CaseId,
        service: ServiceKey,
        office: OfficeId,
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    },
    AppointmentRescheduled {
        case_id: CaseId,
        service: ServiceKey,
        office: OfficeId,
        previous: Appointment,
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    },
    AppointmentCancelled {
        case_id: CaseId,
        service: ServiceKey,
        office: OfficeId,
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// The day was full; the citizen waits in line for a seat of `date` to free up (see
    /// [`crate::waitlist`]). A seat found for them arrives as `AppointmentBooked`.
    JoinedWaitlist {
        case_id: CaseId,
        service: ServiceKey,
        office: OfficeId,
        date: NaiveDate,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// The citizen left the waitlist.
    LeftWaitlist {
        case_id: CaseId,
        office: OfficeId,
        date: NaiveDate,
        actor: Actor,
        at: DateTime<Utc>,
    },
    ReminderSent {
        case_id: CaseId,
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    },
    AccessLinkIssued {
        case_id: CaseId,
        token_sha256: AccessTokenHash,
        via: LinkChannel,
        actor: Actor,
        at: DateTime<Utc>,
    },
    NotificationSent {
        case_id: CaseId,
        kind: NotificationKind,
        channel: NotificationChannel,
        /// The stream version of the event the message is about, so a sender that restarts can
        /// tell which events are already notified.
        about_version: u64,
        actor: Actor,
        at: DateTime<Utc>,
    },
    CheckedIn {
        case_id: CaseId,
        service: ServiceKey,
        office: OfficeId,
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    },
    Admitted {
        case_id: CaseId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    Held {
        case_id: CaseId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    SentBack {
        case_id: CaseId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    CallStarted {
        case_id: CaseId,
        session_id: VideoSessionId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    CallEnded {
        case_id: CaseId,
        session_id: VideoSessionId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// A clerk invited a third party (an interpreter) into the case's calls with a one-time link;
    /// only the token's hash is stored. Spent when the call ends or at `expires_at`.
    CallInviteIssued {
        case_id: CaseId,
        interpreter: InterpreterId,
        token_sha256: AccessTokenHash,
        expires_at: DateTime<Utc>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    IdentityChecked {
        case_id: CaseId,
        method: IdentityMethod,
        actor: Actor,
        at: DateTime<Utc>,
    },
    DocumentsRequested {
        case_id: CaseId,
        document_types: Vec<DocumentType>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    DocumentUploaded {
        case_id: CaseId,
        citizen_id: CitizenId,
        document_id: DocumentId,
        document_type: DocumentType,
        #[serde(default, skip_serializing_if = "Pii::is_erased")]
        file_name: Pii<String>,
        content_type: String,
        size_bytes: u64,
        actor: Actor,
        at: DateTime<Utc>,
    },
    DocumentAccepted {
        case_id: CaseId,
        document_id: DocumentId,
        document_type: DocumentType,
        actor: Actor,
        at: DateTime<Utc>,
    },
    DocumentRejected {
        case_id: CaseId,
        citizen_id: CitizenId,
        document_id: DocumentId,
        document_type: DocumentType,
        #[serde(default, skip_serializing_if = "Pii::is_erased")]
        reason: Pii<String>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Schema version 2; version 1 stored the fee as a decimal euro string `fee_eur`.
    FeeAssessed {
        case_id: CaseId,
        amount: Cents,
        actor: Actor,
        at: DateTime<Utc>,
    },
    PaymentStarted {
        case_id: CaseId,
        payment_id: PaymentId,
        amount: Cents,
        actor: Actor,
        at: DateTime<Utc>,
    },
    FeePaid {
        case_id: CaseId,
        payment_id: PaymentId,
        amount: Cents,
        actor: Actor,
        at: DateTime<Utc>,
    },
    FeeWaived {
        case_id: CaseId,
        amount: Cents,
        reason: WaiverReason,
        actor: Actor,
        at: DateTime<Utc>,
    },
    FeeRefunded {
        case_id: CaseId,
        payment_id: PaymentId,
        amount: Cents,
        actor: Actor,
        at: DateTime<Utc>,
    },
    ResultIssued {
        case_id: CaseId,
        document_id: DocumentId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    NoteAdded {
        case_id: CaseId,
        citizen_id: CitizenId,
        #[serde(default, skip_serializing_if = "Pii::is_erased")]
        text: Pii<String>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    CaseClosed {
        case_id: CaseId,
        service: ServiceKey,
        office: OfficeId,
        outcome: Outcome,
        actor: Actor,
        at: DateTime<Utc>,
    },
}

impl CaseEvent {
    /// The case the event belongs to.
    pub fn case_id(&self) -> CaseId {
        use CaseEvent::*;
        match self {
            CaseOpened { case_id, .. }
            | AppointmentBooked { case_id, .. }
            | AppointmentRescheduled { case_id, .. }
            | AppointmentCancelled { case_id, .. }
            | JoinedWaitlist { case_id, .. }
            | LeftWaitlist { case_id, .. }
            | ReminderSent { case_id, .. }
            | AccessLinkIssued { case_id, .. }
            | NotificationSent { case_id, .. }
            | CheckedIn { case_id, .. }
            | Admitted { case_id, .. }
            | Held { case_id, .. }
            | SentBack { case_id, .. }
            | CallStarted { case_id, .. }
            | CallEnded { case_id, .. }
            | CallInviteIssued { case_id, .. }
            | IdentityChecked { case_id, .. }
            | DocumentsRequested { case_id, .. }
            | DocumentUploaded { case_id, .. }
            | DocumentAccepted { case_id, .. }
            | DocumentRejected { case_id, .. }
            | FeeAssessed { case_id, .. }
            | PaymentStarted { case_id, .. }
            | FeePaid { case_id, .. }
            | FeeWaived { case_id, .. }
            | FeeRefunded { case_id, .. }
            | ResultIssued { case_id, .. }
            | NoteAdded { case_id, .. }
            | CaseClosed { case_id, .. } => *case_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        use CaseEvent::*;
        match self {
            CaseOpened { at, .. }
            | AppointmentBooked { at, .. }
            | AppointmentRescheduled { at, .. }
            | AppointmentCancelled { at, .. }
            | JoinedWaitlist { at, .. }
            | LeftWaitlist { at, .. }
            | ReminderSent { at, .. }
            | AccessLinkIssued { at, .. }
            | NotificationSent { at, .. }
            | CheckedIn { at, .. }
            | Admitted { at, .. }
            | Held { at, .. }
            | SentBack { at, .. }
            | CallStarted { at, .. }
            | CallEnded { at, .. }
            | CallInviteIssued { at, .. }
            | IdentityChecked { at, .. }
            | DocumentsRequested { at, .. }
            | DocumentUploaded { at, .. }
            | DocumentAccepted { at, .. }
            | DocumentRejected { at, .. }
            | FeeAssessed { at, .. }
            | PaymentStarted { at, .. }
            | FeePaid { at, .. }
            | FeeWaived { at, .. }
            | FeeRefunded { at, .. }
            | ResultIssued { at, .. }
            | NoteAdded { at, .. }
            | CaseClosed { at, .. } => *at,
        }
    }

    /// Who caused it.
    pub fn actor(&self) -> Actor {
        use CaseEvent::*;
        match self {
            CaseOpened { actor, .. }
            | AppointmentBooked { actor, .. }
            | AppointmentRescheduled { actor, .. }
            | AppointmentCancelled { actor, .. }
            | JoinedWaitlist { actor, .. }
            | LeftWaitlist { actor, .. }
            | ReminderSent { actor, .. }
            | AccessLinkIssued { actor, .. }
            | NotificationSent { actor, .. }
            | CheckedIn { actor, .. }
            | Admitted { actor, .. }
            | Held { actor, .. }
            | SentBack { actor, .. }
            | CallStarted { actor, .. }
            | CallEnded { actor, .. }
            | CallInviteIssued { actor, .. }
            | IdentityChecked { actor, .. }
            | DocumentsRequested { actor, .. }
            | DocumentUploaded { actor, .. }
            | DocumentAccepted { actor, .. }
            | DocumentRejected { actor, .. }
            | FeeAssessed { actor, .. }
            | PaymentStarted { actor, .. }
            | FeePaid { actor, .. }
            | FeeWaived { actor, .. }
            | FeeRefunded { actor, .. }
            | ResultIssued { actor, .. }
            | NoteAdded { actor, .. }
            | CaseClosed { actor, .. } => *actor,
        }
    }

    /// The citizen whose key seals this event's personal fields, for events that have any.
    pub fn personal_subject(&self) -> Option<CitizenId> {
        match self {
            CaseEvent::CaseOpened { citizen_id, .. }
            | CaseEvent::DocumentUploaded { citizen_id, .. }
            | CaseEvent::DocumentRejected { citizen_id, .. }
            | CaseEvent::NoteAdded { citizen_id, .. } => Some(*citizen_id),
            _ => None,
        }
    }
}
