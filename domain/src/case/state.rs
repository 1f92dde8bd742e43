//! The state of a case, folded from its events, and read accessors for the API.
//!
//! `apply` only records facts; it never checks rules (that is [`super::handle`]'s job) and cannot
//! fail. An event that does not fit the state (which `handle` never produces) is folded as well as
//! it can be rather than rejected, because a stored fact must always be replayable.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::event::CaseEvent;
use super::types::{
    AccessTokenHash, Appointment, CaseChannel, Contact, IdentityMethod, NotificationKind, Outcome,
    WaiverReason,
};
use crate::ids::{
    CaseId, CitizenId, DocumentId, DocumentType, InterpreterId, OfficeId, PaymentId, ServiceKey,
    VideoSessionId,
};
use crate::money::Cents;
use crate::pii::Pii;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// No event yet.
    #[default]
    New,
    /// Opened, no appointment booked.
    Open,
    /// Opened with no appointment; waiting in line for a seat of a full day to free up.
    Waitlisted,
    /// An appointment is booked and the citizen has not checked in (or was sent back).
    Booked,
    /// The citizen is in the waiting room.
    Waiting,
    /// The citizen is in the waiting room and was asked to keep waiting.
    OnHold,
    /// A clerk admitted the citizen; no call is running.
    Admitted,
    /// A video call is running.
    InCall,
    /// The case is closed; see [`Case::outcome`].
    Closed,
}

/// An open invitation of a third party into the case's calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInvite {
    pub interpreter: InterpreterId,
    pub token_sha256: AccessTokenHash,
    pub expires_at: DateTime<Utc>,
}

/// How many call invites may be open at once (an interpreter, a relative, a social worker…).
pub const MAX_OPEN_CALL_INVITES: usize = 5;

/// The facts fixed when the case was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseFacts {
    pub case_id: CaseId,
    pub citizen_id: CitizenId,
    pub service: ServiceKey,
    pub office: OfficeId,
    pub channel: CaseChannel,
    #[serde(skip)]
    pub contact: Pii<Contact>,
    pub opened_at: DateTime<Utc>,
}

/// Whether a requested document type is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Requested, no accepted document yet.
    Outstanding,
    /// A document of this type was accepted.
    Accepted,
}

/// Whether an uploaded document has been reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Uploaded,
    Accepted,
    Rejected,
}

/// An uploaded document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    pub document_type: DocumentType,
    pub content_type: String,
    pub size_bytes: u64,
    pub status: DocumentStatus,
    pub uploaded_at: DateTime<Utc>,
}

/// Where the fee stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FeeStatus {
    /// Assessed, nothing paid yet.
    Assessed,
    /// Online payment is under way.
    PaymentStarted {
        payment_id: PaymentId,
    },
    Paid {
        payment_id: PaymentId,
    },
    Waived {
        reason: WaiverReason,
    },
    Refunded {
        payment_id: PaymentId,
    },
}

/// The fee of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Fee {
    pub amount: Cents,
    pub status: FeeStatus,
}

impl Fee {
    /// Paid, waived, or zero: nothing stands between the citizen and the result.
    pub fn is_settled(&self) -> bool {
        match self.status {
            FeeStatus::Paid { .. } | FeeStatus::Waived { .. } => true,
            FeeStatus::Assessed | FeeStatus::PaymentStarted { .. } => self.amount == Cents::ZERO,
            FeeStatus::Refunded { .. } => false,
        }
    }

    /// Not yet paid, waived or refunded.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            FeeStatus::Assessed | FeeStatus::PaymentStarted { .. }
        )
    }
}

/// A case: one citizen request for one service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Case {
    pub(super) facts: Option<CaseFacts>,
    pub(super) status: CaseStatus,
    pub(super) appointment: Option<Appointment>,
    pub(super) reminders_sent: u32,
    pub(super) ever_checked_in: bool,
    pub(super) call: Option<VideoSessionId>,
    pub(super) identity: Option<IdentityMethod>,
    pub(super) requested: BTreeMap<DocumentType, RequestStatus>,
    pub(super) documents: BTreeMap<DocumentId, Document>,
    pub(super) fee: Option<Fee>,
    pub(super) result: Option<DocumentId>,
    pub(super) outcome: Option<Outcome>,
    pub(super) notes: u32,
    /// The open invitations into the case's calls; spent when a call ends or the case closes.
    pub(super) call_invites: Vec<CallInvite>,
    /// Hashes of the capability tokens that open this case.
    pub(super) access_links: Vec<AccessTokenHash>,
    /// Messages sent, as (kind, version of the event they were about).
    pub(super) notified: Vec<(NotificationKind, u64)>,
    /// The appointment the last reminder was about.
    pub(super) last_reminder: Option<Appointment>,
    /// The day whose waitlist the case is in, while it waits.
    pub(super) waitlisted_for: Option<chrono::NaiveDate>,
    /// The number of events folded so far (the stream version).
    pub(super) version: u64,
}

impl Case {
    /// Where the case stands.
    pub fn status(&self) -> CaseStatus {
        self.status
    }

    /// The facts fixed at opening; `None` before the case is opened.
    pub fn facts(&self) -> Option<&CaseFacts> {
        self.facts.as_ref()
    }

    pub fn id(&self) -> Option<CaseId> {
        self.facts.as_ref().map(|f| f.case_id)
    }

    pub fn citizen_id(&self) -> Option<CitizenId> {
        self.facts.as_ref().map(|f| f.citizen_id)
    }

    pub fn service(&self) -> Option<&ServiceKey> {
        self.facts.as_ref().map(|f| &f.service)
    }

    pub fn office(&self) -> Option<&OfficeId> {
        self.facts.as_ref().map(|f| &f.office)
    }

    pub fn channel(&self) -> Option<CaseChannel> {
        self.facts.as_ref().map(|f| f.channel)
    }

    /// The contact data, unless erased.
    pub fn contact(&self) -> Option<&Pii<Contact>> {
        self.facts.as_ref().map(|f| &f.contact)
    }

    /// The day whose waitlist the case waits in, while it waits.
    pub fn waitlisted_for(&self) -> Option<chrono::NaiveDate> {
        self.waitlisted_for
    }

    /// The booked appointment, if any.
    pub fn appointment(&self) -> Option<&Appointment> {
        self.appointment.as_ref()
    }

    pub fn reminders_sent(&self) -> u32 {
        self.reminders_sent
    }

    /// True once the citizen has entered the waiting room, even if sent back later.
    pub fn ever_checked_in(&self) -> bool {
        self.ever_checked_in
    }

    /// The running call's video session.
    pub fn current_call(&self) -> Option<VideoSessionId> {
        self.call
    }

    /// How the identity was checked, once it was.
    pub fn identity_checked(&self) -> Option<IdentityMethod> {
        self.identity
    }

    /// The requested document types and whether each is still outstanding.
    pub fn requested_documents(&self) -> &BTreeMap<DocumentType, RequestStatus> {
        &self.requested
    }

    /// The uploaded documents.
    pub fn documents(&self) -> &BTreeMap<DocumentId, Document> {
        &self.documents
    }

    pub fn fee(&self) -> Option<&Fee> {
        self.fee.as_ref()
    }

    /// The issued result document.
    pub fn result(&self) -> Option<DocumentId> {
        self.result
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    pub fn is_closed(&self) -> bool {
        self.status == CaseStatus::Closed
    }

    pub fn notes_added(&self) -> u32 {
        self.notes
    }

    /// The interpreter an unexpired, unspent call invite with this hash admits.
    pub fn call_invite(
        &self,
        token_sha256: &AccessTokenHash,
        now: DateTime<Utc>,
    ) -> Option<InterpreterId> {
        self.call_invites
            .iter()
            .find(|i| &i.token_sha256 == token_sha256 && now < i.expires_at)
            .map(|i| i.interpreter)
    }

    /// True if a capability token with this hash opens the case.
    pub fn has_access_link(&self, token_sha256: &AccessTokenHash) -> bool {
        self.access_links.contains(token_sha256)
    }

    /// True if a message of `kind` about the event at `about_version` was sent.
    pub fn was_notified(&self, kind: NotificationKind, about_version: u64) -> bool {
        self.notified.contains(&(kind, about_version))
    }

    /// True if a reminder went out for the currently booked appointment.
    pub fn reminded_for_current_appointment(&self) -> bool {
        self.appointment.is_some() && self.last_reminder == self.appointment
    }

    /// The number of events the case was folded from.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Folds one event into the state.
    pub(super) fn fold(&mut self, event: &CaseEvent) {
        self.version += 1;
        match event {
            CaseEvent::CaseOpened {
                case_id,
                citizen_id,
                service,
                office,
                channel,
                contact,
                at,
                ..
            } => {
                self.facts = Some(CaseFacts {
                    case_id: *case_id,
                    citizen_id: *citizen_id,
                    service: service.clone(),
                    office: office.clone(),
                    channel: *channel,
                    contact: contact.clone(),
                    opened_at: *at,
                });
                self.status = CaseStatus::Open;
            }
            CaseEvent::JoinedWaitlist { date, .. } => {
                self.waitlisted_for = Some(*date);
                self.status = CaseStatus::Waitlisted;
            }
            CaseEvent::LeftWaitlist { .. } => {
                self.waitlisted_for = None;
                self.status = CaseStatus::Open;
            }
            CaseEvent::AppointmentBooked { appointment, .. }
            | CaseEvent::AppointmentRescheduled { appointment, .. } => {
                self.waitlisted_for = None;
                self.appointment = Some(*appointment);
                self.status = CaseStatus::Booked;
            }
            CaseEvent::AppointmentCancelled { .. } => {
                self.appointment = None;
                self.status = CaseStatus::Open;
            }
            CaseEvent::ReminderSent { appointment, .. } => {
                self.reminders_sent = self.reminders_sent.saturating_add(1);
                self.last_reminder = Some(*appointment);
            }
            CaseEvent::AccessLinkIssued { token_sha256, .. } => {
                self.access_links.push(token_sha256.clone());
            }
            CaseEvent::NotificationSent {
                kind,
                about_version,
                ..
            } => self.notified.push((*kind, *about_version)),
            CaseEvent::CheckedIn { .. } => {
                self.ever_checked_in = true;
                self.status = CaseStatus::Waiting;
            }
            CaseEvent::Held { .. } => self.status = CaseStatus::OnHold,
            CaseEvent::Admitted { .. } => self.status = CaseStatus::Admitted,
            CaseEvent::SentBack { .. } => self.status = CaseStatus::Booked,
            CaseEvent::CallStarted { session_id, .. } => {
                self.call = Some(*session_id);
                self.status = CaseStatus::InCall;
            }
            CaseEvent::CallEnded { .. } => {
                self.call = None;
                self.call_invites.clear();
                self.status = CaseStatus::Admitted;
            }
            CaseEvent::CallInviteIssued {
                interpreter,
                token_sha256,
                expires_at,
                ..
            } => self.call_invites.push(CallInvite {
                interpreter: *interpreter,
                token_sha256: token_sha256.clone(),
                expires_at: *expires_at,
            }),
            CaseEvent::IdentityChecked { method, .. } => self.identity = Some(*method),
            CaseEvent::DocumentsRequested { document_types, .. } => {
                for document_type in document_types {
                    self.requested
                        .insert(document_type.clone(), RequestStatus::Outstanding);
                }
            }
            CaseEvent::DocumentUploaded {
                document_id,
                document_type,
                content_type,
                size_bytes,
                at,
                ..
            } => {
                self.documents.insert(
                    *document_id,
                    Document {
                        document_type: document_type.clone(),
                        content_type: content_type.clone(),
                        size_bytes: *size_bytes,
                        status: DocumentStatus::Uploaded,
                        uploaded_at: *at,
                    },
                );
            }
            CaseEvent::DocumentAccepted {
                document_id,
                document_type,
                ..
            } => {
                if let Some(document) = self.documents.get_mut(document_id) {
                    document.status = DocumentStatus::Accepted;
                }
                self.requested
                    .insert(document_type.clone(), RequestStatus::Accepted);
            }
            CaseEvent::DocumentRejected { document_id, .. } => {
                if let Some(document) = self.documents.get_mut(document_id) {
                    document.status = DocumentStatus::Rejected;
                }
            }
            CaseEvent::FeeAssessed { amount, .. } => {
                self.fee = Some(Fee {
                    amount: *amount,
                    status: FeeStatus::Assessed,
                });
            }
            CaseEvent::PaymentStarted {
                payment_id, amount, ..
            } => self.set_fee_status(
                *amount,
                FeeStatus::PaymentStarted {
                    payment_id: *payment_id,
                },
            ),
            CaseEvent::FeePaid {
                payment_id, amount, ..
            } => self.set_fee_status(
                *amount,
                FeeStatus::Paid {
                    payment_id: *payment_id,
                },
            ),
            CaseEvent::FeeWaived { amount, reason, .. } => {
                self.set_fee_status(*amount, FeeStatus::Waived { reason: *reason })
            }
            CaseEvent::FeeRefunded {
                payment_id, amount, ..
            } => self.set_fee_status(
                *amount,
                FeeStatus::Refunded {
                    payment_id: *payment_id,
                },
            ),
            CaseEvent::ResultIssued { document_id, .. } => self.result = Some(*document_id),
            CaseEvent::NoteAdded { .. } => self.notes = self.notes.saturating_add(1),
            CaseEvent::CaseClosed { outcome, .. } => {
                self.outcome = Some(*outcome);
                self.call = None;
                self.call_invites.clear();
                self.status = CaseStatus::Closed;
            }
        }
    }

    /// Records a fee transition. The event's amount is the fact, so it is taken as is.
    fn set_fee_status(&mut self, amount: Cents, status: FeeStatus) {
        self.fee = Some(Fee { amount, status });
    }
}
