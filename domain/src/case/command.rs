//! What may be asked of a case. Every command carries the moment it happens (`at`).
//!
//! Clerk-only actions take a `clerk: ClerkId` instead of an [`Actor`], so that the type system, not a
//! runtime check, rules out a citizen admitting themselves. Actions several parties may take (a
//! citizen or a clerk cancelling, a payment provider confirming a payment) take an [`Actor`].

use chrono::{DateTime, Utc};

use super::types::{
    AccessTokenHash, Appointment, CaseChannel, Contact, IdentityMethod, LinkChannel,
    NotificationChannel, NotificationKind, Outcome, WaiverReason,
};
use crate::actor::Actor;
use crate::catalogue::Service;
use crate::ids::{
    CaseId, CitizenId, ClerkId, DocumentId, DocumentType, InterpreterId, OfficeId, PaymentId,
    VideoSessionId,
};
use crate::money::Cents;

/// A request to change a case.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseCommand {
    /// Opens a case. The service is the catalogue entry, so the case can check whether the law
    /// allows the requested channel.
    Open {
        case_id: CaseId,
        citizen_id: CitizenId,
        service: Box<Service>,
        office: OfficeId,
        channel: CaseChannel,
        contact: Contact,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Books the first appointment (the schedule stream must have granted the slot).
    BookAppointment {
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Moves a booked appointment before check-in.
    RescheduleAppointment {
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Cancels a booked appointment before check-in; the case stays open and can book again.
    CancelAppointment { actor: Actor, at: DateTime<Utc> },
    /// The chosen day is full: the case waits for a seat on `date` (no appointment yet).
    JoinWaitlist {
        date: chrono::NaiveDate,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// The citizen leaves the waitlist.
    LeaveWaitlist { actor: Actor, at: DateTime<Utc> },
    /// Records that a reminder went out for the booked appointment.
    SendReminder { at: DateTime<Utc> },
    /// Hands the citizen a capability link to this case; only the token's hash is recorded.
    /// Several links may be valid at once (the booking page's and the e-mail's).
    IssueAccessLink {
        token_sha256: AccessTokenHash,
        via: LinkChannel,
        at: DateTime<Utc>,
    },
    /// Records that a message about the event at stream version `about_version` went out.
    RecordNotification {
        kind: NotificationKind,
        channel: NotificationChannel,
        about_version: u64,
        at: DateTime<Utc>,
    },
    /// The citizen enters the virtual waiting room.
    CheckIn { at: DateTime<Utc> },
    /// A clerk lets the waiting citizen in.
    Admit { clerk: ClerkId, at: DateTime<Utc> },
    /// A clerk asks the waiting citizen to keep waiting.
    Hold { clerk: ClerkId, at: DateTime<Utc> },
    /// A clerk sends the waiting citizen out of the waiting room (e.g. too early); the appointment
    /// stays and the citizen may check in again.
    SendBack { clerk: ClerkId, at: DateTime<Utc> },
    /// A clerk calls the admitted citizen by video.
    StartCall {
        clerk: ClerkId,
        session_id: VideoSessionId,
        at: DateTime<Utc>,
    },
    /// The running call ends (hung up or dropped); another call may follow.
    EndCall { actor: Actor, at: DateTime<Utc> },
    /// A clerk invites a third party (an interpreter) into the case's calls with a one-time link
    /// (only its hash is given). Allowed while the citizen is admitted or in a call.
    InviteToCall {
        clerk: ClerkId,
        interpreter: InterpreterId,
        token_sha256: AccessTokenHash,
        expires_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// A clerk records how the citizen's identity was checked; only during a call.
    CheckIdentity {
        clerk: ClerkId,
        method: IdentityMethod,
        at: DateTime<Utc>,
    },
    /// A clerk asks for documents of the given types.
    RequestDocuments {
        clerk: ClerkId,
        document_types: Vec<DocumentType>,
        at: DateTime<Utc>,
    },
    /// A document of a requested type arrives.
    UploadDocument {
        document_id: DocumentId,
        document_type: DocumentType,
        /// Personal: file names often contain the citizen's name.
        file_name: String,
        content_type: String,
        size_bytes: u64,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// A clerk accepts an uploaded document.
    AcceptDocument {
        clerk: ClerkId,
        document_id: DocumentId,
        at: DateTime<Utc>,
    },
    /// A clerk rejects an uploaded document; the type stays requested and may be uploaded again.
    RejectDocument {
        clerk: ClerkId,
        document_id: DocumentId,
        /// Personal: written about the citizen's document.
        reason: String,
        at: DateTime<Utc>,
    },
    /// A clerk sets the fee. Zero is a valid fee and counts as settled.
    AssessFee {
        clerk: ClerkId,
        amount: Cents,
        at: DateTime<Utc>,
    },
    /// Online payment of the assessed fee begins at the payment provider.
    StartPayment {
        payment_id: PaymentId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// The payment provider (or a clerk at the counter) confirms the payment.
    PayFee {
        payment_id: PaymentId,
        amount: Cents,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// A clerk waives an unpaid fee.
    WaiveFee {
        clerk: ClerkId,
        reason: WaiverReason,
        at: DateTime<Utc>,
    },
    /// A clerk refunds a paid fee in full.
    RefundFee { clerk: ClerkId, at: DateTime<Utc> },
    /// A clerk issues the result document.
    IssueResult {
        clerk: ClerkId,
        document_id: DocumentId,
        at: DateTime<Utc>,
    },
    /// A clerk writes a note on the case.
    AddNote {
        clerk: ClerkId,
        /// Personal: free text about a person.
        text: String,
        at: DateTime<Utc>,
    },
    /// Ends the case with an outcome.
    Close {
        outcome: Outcome,
        actor: Actor,
        at: DateTime<Utc>,
    },
}
