//! Every business rule of a case. `decide` reads the state and the command and either refuses or
//! returns the events to record; it never changes the state.
//!
//! Commands that would change nothing are refused with an error rather than answered with zero
//! events, so a caller always learns whether something happened. The natural exceptions, which do
//! record a new event each time, are reminders (several reminders for one appointment are normal)
//! and notes (every note is new text).

use chrono::{DateTime, Utc};

use super::command::CaseCommand;
use super::error::CaseError;
use super::event::CaseEvent;
use super::state::{
    Case, CaseFacts, CaseStatus, DocumentStatus, FeeStatus, RequestStatus, MAX_OPEN_CALL_INVITES,
};
use super::types::{Appointment, CaseChannel, Contact, Outcome};
use crate::actor::Actor;
use crate::catalogue::{Channel, Service};
use crate::ids::{CaseId, CitizenId, ClerkId, OfficeId};
use crate::money::Cents;
use crate::pii::Pii;

/// The longest appointment the case accepts, in minutes (a whole working day).
const MAX_APPOINTMENT_MINUTES: u32 = 8 * 60;
/// The longest name and e-mail address a contact may have (RFC 5321 caps addresses at 254).
const MAX_NAME_CHARS: usize = 100;
const MAX_EMAIL_BYTES: usize = 254;

impl Case {
    /// Applies the rules to one command.
    pub(super) fn decide(&self, command: CaseCommand) -> Result<Vec<CaseEvent>, CaseError> {
        if self.status == CaseStatus::Closed {
            return Err(CaseError::CaseClosed);
        }
        let command = match command {
            CaseCommand::Open {
                case_id,
                citizen_id,
                service,
                office,
                channel,
                contact,
                actor,
                at,
            } => {
                return self.open(
                    OpenCase {
                        case_id,
                        citizen_id,
                        office,
                        channel,
                        contact,
                    },
                    &service,
                    actor,
                    at,
                )
            }
            other => other,
        };
        let facts = self.facts.as_ref().ok_or(CaseError::NotOpened)?;
        let case_id = facts.case_id;
        let event = match command {
            CaseCommand::Open { .. } => return Err(CaseError::AlreadyOpened),
            CaseCommand::BookAppointment {
                appointment,
                actor,
                at,
            } => self.book(facts, appointment, actor, at)?,
            CaseCommand::RescheduleAppointment {
                appointment,
                actor,
                at,
            } => self.reschedule(facts, appointment, actor, at)?,
            CaseCommand::CancelAppointment { actor, at } => {
                let appointment = self.appointment_before_check_in()?;
                CaseEvent::AppointmentCancelled {
                    case_id,
                    service: facts.service.clone(),
                    office: facts.office.clone(),
                    appointment,
                    actor,
                    at,
                }
            }
            CaseCommand::JoinWaitlist { date, actor, at } => {
                if self.appointment.is_some() {
                    return Err(CaseError::AlreadyBooked);
                }
                if self.waitlisted_for.is_some() {
                    return Err(CaseError::AlreadyWaitlisted);
                }
                if date < at.date_naive() - chrono::Duration::days(1) {
                    return Err(CaseError::InvalidAppointment("the waitlist day has passed"));
                }
                CaseEvent::JoinedWaitlist {
                    case_id,
                    service: facts.service.clone(),
                    office: facts.office.clone(),
                    date,
                    actor,
                    at,
                }
            }
            CaseCommand::LeaveWaitlist { actor, at } => {
                let date = self.waitlisted_for.ok_or(CaseError::NotWaitlisted)?;
                CaseEvent::LeftWaitlist {
                    case_id,
                    office: facts.office.clone(),
                    date,
                    actor,
                    at,
                }
            }
            CaseCommand::SendReminder { at } => {
                let appointment = self.appointment_before_check_in()?;
                if at >= appointment.starts_at {
                    return Err(CaseError::AppointmentStarted);
                }
                CaseEvent::ReminderSent {
                    case_id,
                    appointment,
                    actor: Actor::System,
                    at,
                }
            }
            CaseCommand::IssueAccessLink {
                token_sha256,
                via,
                at,
            } => {
                if self.access_links.contains(&token_sha256) {
                    return Err(CaseError::AccessLinkExists);
                }
                CaseEvent::AccessLinkIssued {
                    case_id,
                    token_sha256,
                    via,
                    actor: Actor::System,
                    at,
                }
            }
            CaseCommand::RecordNotification {
                kind,
                channel,
                about_version,
                at,
            } => {
                if about_version == 0 || about_version > self.version {
                    return Err(CaseError::UnknownVersion(about_version));
                }
                if self.notified.contains(&(kind, about_version)) {
                    return Err(CaseError::AlreadyNotified);
                }
                CaseEvent::NotificationSent {
                    case_id,
                    kind,
                    channel,
                    about_version,
                    actor: Actor::System,
                    at,
                }
            }
            CaseCommand::CheckIn { at } => self.check_in(facts, at)?,
            CaseCommand::Admit { clerk, at } => {
                self.require_waiting()?;
                CaseEvent::Admitted {
                    case_id,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::Hold { clerk, at } => {
                self.require_waiting()?;
                if self.status == CaseStatus::OnHold {
                    return Err(CaseError::AlreadyOnHold);
                }
                CaseEvent::Held {
                    case_id,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::SendBack { clerk, at } => {
                self.require_waiting()?;
                CaseEvent::SentBack {
                    case_id,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::StartCall {
                clerk,
                session_id,
                at,
            } => {
                if self.status != CaseStatus::Admitted {
                    return Err(CaseError::NotAdmitted);
                }
                CaseEvent::CallStarted {
                    case_id,
                    session_id,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::EndCall { actor, at } => {
                let session_id = self.call.ok_or(CaseError::NoCall)?;
                CaseEvent::CallEnded {
                    case_id,
                    session_id,
                    actor,
                    at,
                }
            }
            CaseCommand::InviteToCall {
                clerk,
                interpreter,
                token_sha256,
                expires_at,
                at,
            } => {
                if !matches!(self.status, CaseStatus::Admitted | CaseStatus::InCall) {
                    return Err(CaseError::NotAdmitted);
                }
                if expires_at <= at {
                    return Err(CaseError::InviteExpired);
                }
                if self.call_invites.len() >= MAX_OPEN_CALL_INVITES {
                    return Err(CaseError::TooManyInvites);
                }
                if self
                    .call_invites
                    .iter()
                    .any(|i| i.token_sha256 == token_sha256)
                {
                    return Err(CaseError::AccessLinkExists);
                }
                CaseEvent::CallInviteIssued {
                    case_id,
                    interpreter,
                    token_sha256,
                    expires_at,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::CheckIdentity { clerk, method, at } => {
                if self.status != CaseStatus::InCall {
                    return Err(CaseError::NoCall);
                }
                if self.identity.is_some() {
                    return Err(CaseError::IdentityAlreadyChecked);
                }
                CaseEvent::IdentityChecked {
                    case_id,
                    method,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::RequestDocuments {
                clerk,
                document_types,
                at,
            } => self.request_documents(case_id, clerk, document_types, at)?,
            CaseCommand::UploadDocument {
                document_id,
                document_type,
                file_name,
                content_type,
                size_bytes,
                actor,
                at,
            } => {
                if self.documents.contains_key(&document_id) {
                    return Err(CaseError::DuplicateDocument(document_id));
                }
                match self.requested.get(&document_type) {
                    None => return Err(CaseError::DocumentNotRequested(document_type)),
                    Some(RequestStatus::Accepted) => {
                        return Err(CaseError::DocumentTypeAlreadyAccepted(document_type))
                    }
                    Some(RequestStatus::Outstanding) => {}
                }
                if size_bytes == 0 {
                    return Err(CaseError::EmptyDocument);
                }
                CaseEvent::DocumentUploaded {
                    case_id,
                    citizen_id: facts.citizen_id,
                    document_id,
                    document_type,
                    file_name: Pii::Present(file_name),
                    content_type,
                    size_bytes,
                    actor,
                    at,
                }
            }
            CaseCommand::AcceptDocument {
                clerk,
                document_id,
                at,
            } => {
                let document = self.undecided_document(document_id)?;
                CaseEvent::DocumentAccepted {
                    case_id,
                    document_id,
                    document_type: document.document_type.clone(),
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::RejectDocument {
                clerk,
                document_id,
                reason,
                at,
            } => {
                let document = self.undecided_document(document_id)?;
                if reason.trim().is_empty() {
                    return Err(CaseError::NoRejectionReason);
                }
                CaseEvent::DocumentRejected {
                    case_id,
                    citizen_id: facts.citizen_id,
                    document_id,
                    document_type: document.document_type.clone(),
                    reason: Pii::Present(reason),
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::AssessFee { clerk, amount, at } => {
                if amount.is_negative() {
                    return Err(CaseError::NegativeFee);
                }
                if let Some(fee) = &self.fee {
                    if !matches!(fee.status, FeeStatus::Refunded { .. }) {
                        return Err(CaseError::FeeAlreadyAssessed);
                    }
                }
                CaseEvent::FeeAssessed {
                    case_id,
                    amount,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::StartPayment {
                payment_id,
                actor,
                at,
            } => {
                let amount = self.open_fee()?;
                CaseEvent::PaymentStarted {
                    case_id,
                    payment_id,
                    amount,
                    actor,
                    at,
                }
            }
            CaseCommand::PayFee {
                payment_id,
                amount,
                actor,
                at,
            } => {
                let fee = self.fee.ok_or(CaseError::NoFee)?;
                match fee.status {
                    FeeStatus::Paid { .. } => return Err(CaseError::FeeAlreadyPaid),
                    FeeStatus::PaymentStarted {
                        payment_id: started,
                    } if started == payment_id => {}
                    FeeStatus::Waived { .. } | FeeStatus::Refunded { .. } => {
                        return Err(CaseError::FeeSettled)
                    }
                    FeeStatus::Assessed | FeeStatus::PaymentStarted { .. } => {
                        return Err(CaseError::UnknownPayment(payment_id))
                    }
                }
                if amount != fee.amount {
                    return Err(CaseError::AmountMismatch {
                        assessed: fee.amount,
                        paid: amount,
                    });
                }
                CaseEvent::FeePaid {
                    case_id,
                    payment_id,
                    amount,
                    actor,
                    at,
                }
            }
            CaseCommand::WaiveFee { clerk, reason, at } => {
                let amount = self.open_fee()?;
                CaseEvent::FeeWaived {
                    case_id,
                    amount,
                    reason,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::RefundFee { clerk, at } => {
                let fee = self.fee.ok_or(CaseError::NoFee)?;
                let FeeStatus::Paid { payment_id } = fee.status else {
                    return Err(CaseError::FeeNotPaid);
                };
                CaseEvent::FeeRefunded {
                    case_id,
                    payment_id,
                    amount: fee.amount,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::IssueResult {
                clerk,
                document_id,
                at,
            } => {
                if self.result.is_some() {
                    return Err(CaseError::ResultAlreadyIssued);
                }
                if self.identity.is_none() {
                    return Err(CaseError::IdentityNotChecked);
                }
                match self.fee {
                    Some(fee) if fee.is_settled() => {}
                    _ => return Err(CaseError::FeeNotSettled),
                }
                CaseEvent::ResultIssued {
                    case_id,
                    document_id,
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::AddNote { clerk, text, at } => {
                if text.trim().is_empty() {
                    return Err(CaseError::EmptyNote);
                }
                CaseEvent::NoteAdded {
                    case_id,
                    citizen_id: facts.citizen_id,
                    text: Pii::Present(text),
                    actor: Actor::Clerk(clerk),
                    at,
                }
            }
            CaseCommand::Close { outcome, actor, at } => self.close(facts, outcome, actor, at)?,
        };
        Ok(vec![event])
    }

    fn open(
        &self,
        open: OpenCase,
        service: &Service,
        actor: Actor,
        at: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, CaseError> {
        if self.facts.is_some() {
            return Err(CaseError::AlreadyOpened);
        }
        if open.channel == CaseChannel::Video && !service.video_allowed() {
            let reason = match service.channel() {
                Channel::InPerson { reason } => reason,
                _ => service.feasibility_reason.clone(),
            };
            return Err(CaseError::VideoNotAllowed {
                service: service.key.clone(),
                reason,
            });
        }
        validate_contact(&open.contact)?;
        Ok(vec![CaseEvent::CaseOpened {
            case_id: open.case_id,
            citizen_id: open.citizen_id,
            service: service.key.clone(),
            office: open.office,
            channel: open.channel,
            contact: Pii::Present(open.contact),
            actor,
            at,
        }])
    }

    fn book(
        &self,
        facts: &CaseFacts,
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    ) -> Result<CaseEvent, CaseError> {
        if self.appointment.is_some() {
            return Err(CaseError::AlreadyBooked);
        }
        validate_appointment(&appointment, at)?;
        Ok(CaseEvent::AppointmentBooked {
            case_id: facts.case_id,
            service: facts.service.clone(),
            office: facts.office.clone(),
            appointment,
            actor,
            at,
        })
    }

    fn reschedule(
        &self,
        facts: &CaseFacts,
        appointment: Appointment,
        actor: Actor,
        at: DateTime<Utc>,
    ) -> Result<CaseEvent, CaseError> {
        let previous = self.appointment_before_check_in()?;
        if previous == appointment {
            return Err(CaseError::SameAppointment);
        }
        validate_appointment(&appointment, at)?;
        Ok(CaseEvent::AppointmentRescheduled {
            case_id: facts.case_id,
            service: facts.service.clone(),
            office: facts.office.clone(),
            previous,
            appointment,
            actor,
            at,
        })
    }

    fn check_in(&self, facts: &CaseFacts, at: DateTime<Utc>) -> Result<CaseEvent, CaseError> {
        let appointment = match self.status {
            CaseStatus::Booked => self.appointment.ok_or(CaseError::NoAppointment)?,
            CaseStatus::Waiting
            | CaseStatus::OnHold
            | CaseStatus::Admitted
            | CaseStatus::InCall => return Err(CaseError::AlreadyCheckedIn),
            CaseStatus::New | CaseStatus::Open | CaseStatus::Waitlisted | CaseStatus::Closed => {
                return Err(CaseError::NoAppointment)
            }
        };
        let check_in_date = appointment.local_date_of(at);
        if check_in_date != appointment.local_date() {
            return Err(CaseError::CheckInOnWrongDay {
                appointment_date: appointment.local_date(),
                check_in_date,
            });
        }
        Ok(CaseEvent::CheckedIn {
            case_id: facts.case_id,
            service: facts.service.clone(),
            office: facts.office.clone(),
            appointment,
            actor: Actor::Citizen,
            at,
        })
    }

    fn request_documents(
        &self,
        case_id: CaseId,
        clerk: ClerkId,
        mut document_types: Vec<crate::ids::DocumentType>,
        at: DateTime<Utc>,
    ) -> Result<CaseEvent, CaseError> {
        document_types.sort();
        document_types.dedup();
        if document_types.is_empty() {
            return Err(CaseError::NoDocumentTypes);
        }
        // Asking again for an accepted type re-opens it (e.g. a newer version is needed); asking
        // only for types that are already outstanding would change nothing.
        let changes_something = document_types
            .iter()
            .any(|t| self.requested.get(t) != Some(&RequestStatus::Outstanding));
        if !changes_something {
            return Err(CaseError::DocumentsAlreadyRequested);
        }
        Ok(CaseEvent::DocumentsRequested {
            case_id,
            document_types,
            actor: Actor::Clerk(clerk),
            at,
        })
    }

    fn close(
        &self,
        facts: &CaseFacts,
        outcome: Outcome,
        actor: Actor,
        at: DateTime<Utc>,
    ) -> Result<CaseEvent, CaseError> {
        match outcome {
            Outcome::Completed => {
                if self.result.is_none() {
                    return Err(CaseError::ResultNotIssued);
                }
            }
            Outcome::NoShow => {
                if self.ever_checked_in {
                    return Err(CaseError::CitizenCheckedIn);
                }
                let appointment = self.appointment.ok_or(CaseError::NoAppointment)?;
                if at < appointment.starts_at {
                    return Err(CaseError::AppointmentNotDue);
                }
            }
            Outcome::ReferredInPerson | Outcome::Cancelled => {}
        }
        Ok(CaseEvent::CaseClosed {
            case_id: facts.case_id,
            service: facts.service.clone(),
            office: facts.office.clone(),
            outcome,
            actor,
            at,
        })
    }

    /// The booked appointment, as long as the citizen has not checked in.
    fn appointment_before_check_in(&self) -> Result<Appointment, CaseError> {
        match (self.status, self.appointment) {
            (CaseStatus::Booked, Some(appointment)) => Ok(appointment),
            (CaseStatus::Waiting | CaseStatus::OnHold | CaseStatus::Admitted, _)
            | (CaseStatus::InCall, _) => Err(CaseError::AlreadyCheckedIn),
            _ => Err(CaseError::NoAppointment),
        }
    }

    fn require_waiting(&self) -> Result<(), CaseError> {
        match self.status {
            CaseStatus::Waiting | CaseStatus::OnHold => Ok(()),
            _ => Err(CaseError::NotWaiting),
        }
    }

    fn undecided_document(
        &self,
        document_id: crate::ids::DocumentId,
    ) -> Result<&super::state::Document, CaseError> {
        let document = self
            .documents
            .get(&document_id)
            .ok_or(CaseError::UnknownDocument(document_id))?;
        if document.status != DocumentStatus::Uploaded {
            return Err(CaseError::DocumentAlreadyDecided(document_id));
        }
        Ok(document)
    }

    /// The amount of an assessed, unpaid, non-zero fee.
    fn open_fee(&self) -> Result<Cents, CaseError> {
        let fee = self.fee.ok_or(CaseError::NoFee)?;
        match fee.status {
            FeeStatus::Paid { .. } => Err(CaseError::FeeAlreadyPaid),
            FeeStatus::Waived { .. } | FeeStatus::Refunded { .. } => Err(CaseError::FeeSettled),
            FeeStatus::Assessed | FeeStatus::PaymentStarted { .. } => {
                if fee.amount == Cents::ZERO {
                    Err(CaseError::NothingToPay)
                } else {
                    Ok(fee.amount)
                }
            }
        }
    }
}

/// The parts of an `Open` command other than the service, grouped to keep signatures short.
struct OpenCase {
    case_id: CaseId,
    citizen_id: CitizenId,
    office: OfficeId,
    channel: CaseChannel,
    contact: Contact,
}

fn validate_contact(contact: &Contact) -> Result<(), CaseError> {
    let name = contact.name.trim();
    if name.is_empty() {
        return Err(CaseError::InvalidContact("the name is empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(CaseError::InvalidContact(
            "the name must be at most 100 characters without control characters",
        ));
    }
    let email = contact.email.trim();
    let well_formed = email.len() <= MAX_EMAIL_BYTES
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.matches('@').count() == 1;
    match email.split_once('@') {
        Some((local, domain))
            if well_formed
                && !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.') => {}
        _ => return Err(CaseError::InvalidContact("the e-mail address is not valid")),
    }
    if let Some(phone) = &contact.phone {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '/' | '(' | ')'));
        if !allowed || !(5..=20).contains(&digits) || phone.len() > 30 {
            return Err(CaseError::InvalidContact("the phone number is not valid"));
        }
    }
    Ok(())
}

fn validate_appointment(appointment: &Appointment, at: DateTime<Utc>) -> Result<(), CaseError> {
    if appointment.duration_minutes == 0 || appointment.duration_minutes > MAX_APPOINTMENT_MINUTES {
        return Err(CaseError::InvalidAppointment(
            "the duration must be 1 to 480 minutes",
        ));
    }
    if !appointment.offset_is_plausible() {
        return Err(CaseError::InvalidAppointment(
            "the local start and the UTC start are more than 14 hours apart",
        ));
    }
    if appointment.starts_at <= at {
        return Err(CaseError::AppointmentInPast {
            starts_at: appointment.starts_at,
        });
    }
    Ok(())
}
