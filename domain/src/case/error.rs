//! Why a case refuses a command. Each variant is one broken rule, so the API can map it to a
//! precise problem response.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{DocumentId, DocumentType, PaymentId, ServiceKey};
use crate::money::Cents;

/// A broken business rule of a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("the case has not been opened")]
    NotOpened,
    #[error("the case is already open")]
    AlreadyOpened,
    #[error("the case is closed")]
    CaseClosed,
    #[error("service {service} cannot be done by video: {reason}")]
    VideoNotAllowed { service: ServiceKey, reason: String },
    #[error("invalid contact: {0}")]
    InvalidContact(&'static str),
    #[error("invalid appointment: {0}")]
    InvalidAppointment(&'static str),
    #[error("the appointment at {starts_at} is in the past")]
    AppointmentInPast { starts_at: DateTime<Utc> },
    #[error("an appointment is already booked; reschedule it instead")]
    AlreadyBooked,
    #[error("no appointment is booked")]
    NoAppointment,
    #[error("the new appointment is the same as the booked one")]
    SameAppointment,
    #[error("the appointment has already started")]
    AppointmentStarted,
    #[error("the citizen has already checked in")]
    AlreadyCheckedIn,
    #[error("the appointment is on {appointment_date}, not on {check_in_date}")]
    CheckInOnWrongDay {
        appointment_date: NaiveDate,
        check_in_date: NaiveDate,
    },
    #[error("the citizen is not in the waiting room")]
    NotWaiting,
    #[error("the citizen is already on hold")]
    AlreadyOnHold,
    #[error("the citizen has not been admitted from the waiting room")]
    NotAdmitted,
    #[error("the call invite has already expired")]
    InviteExpired,
    #[error("too many call invites are open; end the call to spend them")]
    TooManyInvites,
    #[error("no call is running")]
    NoCall,
    #[error("the identity has already been checked")]
    IdentityAlreadyChecked,
    #[error("a document request must name at least one type")]
    NoDocumentTypes,
    #[error("all these document types are already requested")]
    DocumentsAlreadyRequested,
    #[error("document type {0} has not been requested")]
    DocumentNotRequested(DocumentType),
    #[error("a document of type {0} has already been accepted")]
    DocumentTypeAlreadyAccepted(DocumentType),
    #[error("document {0} already exists")]
    DuplicateDocument(DocumentId),
    #[error("document {0} has not been uploaded")]
    UnknownDocument(DocumentId),
    #[error("document {0} has already been accepted or rejected")]
    DocumentAlreadyDecided(DocumentId),
    #[error("a rejection needs a reason")]
    NoRejectionReason,
    #[error("an empty document cannot be uploaded")]
    EmptyDocument,
    #[error("a fee cannot be negative")]
    NegativeFee,
    #[error("a fee has already been assessed")]
    FeeAlreadyAssessed,
    #[error("no fee has been assessed")]
    NoFee,
    #[error("the fee is zero; there is nothing to pay or waive")]
    NothingToPay,
    #[error("the fee has already been paid")]
    FeeAlreadyPaid,
    #[error("the fee has already been settled")]
    FeeSettled,
    #[error("payment {0} has not been started for this fee")]
    UnknownPayment(PaymentId),
    #[error("the assessed fee is {assessed} EUR but {paid} EUR were paid")]
    AmountMismatch { assessed: Cents, paid: Cents },
    #[error("the fee has not been paid")]
    FeeNotPaid,
    #[error("the identity has not been checked")]
    IdentityNotChecked,
    #[error("the fee is neither paid nor waived")]
    FeeNotSettled,
    #[error("the result has already been issued")]
    ResultAlreadyIssued,
    #[error("the result has not been issued")]
    ResultNotIssued,
    #[error("a note must not be empty")]
    EmptyNote,
    #[error("the citizen checked in, so this is not a no-show")]
    CitizenCheckedIn,
    #[error("the appointment has not started yet")]
    AppointmentNotDue,
    #[error("this access link has already been issued")]
    AccessLinkExists,
    #[error("the case has no event at version {0}")]
    UnknownVersion(u64),
    #[error("this message has already been sent")]
    AlreadyNotified,
    #[error("the case is already on a waitlist")]
    AlreadyWaitlisted,
    #[error("the case is not on a waitlist")]
    NotWaitlisted,
}
