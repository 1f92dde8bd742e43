//! Given/when/then tests of the case rules, one per rule, plus codec round trips.
//!
//! The fixtures describe one citizen, Erika Mustermann, registering her residence by video at
//! Potsdam Mitte on Tuesday 24 November 2026 at 10:00 local time (09:00 UTC).

mod appointments;
mod call_and_identity;
mod closing;
mod codec;
mod documents;
mod fees;
mod links_and_notifications;
mod opening;
mod waiting_room;
mod waitlist;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::actor::Actor;
use crate::catalogue::{Catalogue, Service};
use crate::ids::{
    CaseId, CitizenId, ClerkId, DocumentId, DocumentType, OfficeId, PaymentId, ServiceKey,
    VideoSessionId,
};
use crate::money::Cents;
use crate::pii::Pii;
pub(crate) use crate::testing::given;

/// A name that must never appear in a stored payload.
pub(crate) const CANARY: &str = "Erika Mustermann";

pub(crate) const CASE: CaseId = CaseId(Uuid::from_u128(0xC05E));
pub(crate) const CITIZEN: CitizenId = CitizenId(Uuid::from_u128(0xC171));
pub(crate) const CLERK: ClerkId = ClerkId(Uuid::from_u128(0xC1E4));
pub(crate) const SESSION: VideoSessionId = VideoSessionId(Uuid::from_u128(0x5E55));
pub(crate) const DOC: DocumentId = DocumentId(Uuid::from_u128(0xD0C1));
pub(crate) const DOC2: DocumentId = DocumentId(Uuid::from_u128(0xD0C2));
pub(crate) const RESULT_DOC: DocumentId = DocumentId(Uuid::from_u128(0xD0C9));
pub(crate) const PAYMENT: PaymentId = PaymentId(Uuid::from_u128(0xBA1));

/// 24 November 2026 at `hour:minute` UTC.
pub(crate) fn t(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, hour, minute, 0).unwrap()
}

/// A local wall-clock time in Potsdam on `day` November 2026.
pub(crate) fn local(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, day)
        .unwrap()
        .and_hms_opt(hour, minute, 0)
        .unwrap()
}

pub(crate) fn clerk() -> Actor {
    Actor::Clerk(CLERK)
}

pub(crate) fn catalogue_service(key: &str) -> Box<Service> {
    let catalogue = Catalogue::default_catalogue().unwrap();
    Box::new(
        catalogue
            .get(&ServiceKey::parse(key).unwrap())
            .unwrap()
            .clone(),
    )
}

pub(crate) fn service_key() -> ServiceKey {
    ServiceKey::parse("wohnsitz_anmeldung").unwrap()
}

pub(crate) fn office() -> OfficeId {
    OfficeId::parse("potsdam-mitte").unwrap()
}

pub(crate) fn doc_type(name: &str) -> DocumentType {
    DocumentType::parse(name).unwrap()
}

pub(crate) fn contact() -> Contact {
    Contact {
        name: CANARY.into(),
        email: "erika@example.org".into(),
        phone: Some("+49 331 1234567".into()),
        language: Language::De,
    }
}

/// 10:00 local (UTC+1 in November) on 24 November, 15 minutes.
pub(crate) fn appointment() -> Appointment {
    Appointment {
        starts_at: t(9, 0),
        local_start: local(24, 10, 0),
        duration_minutes: 15,
    }
}

/// 11:30 local on 24 November.
pub(crate) fn later_appointment() -> Appointment {
    Appointment {
        starts_at: t(10, 30),
        local_start: local(24, 11, 30),
        duration_minutes: 15,
    }
}

pub(crate) fn opened() -> CaseEvent {
    CaseEvent::CaseOpened {
        case_id: CASE,
        citizen_id: CITIZEN,
        service: service_key(),
        office: office(),
        channel: CaseChannel::Video,
        contact: Pii::Present(contact()),
        actor: Actor::Citizen,
        at: t(7, 0),
    }
}

pub(crate) fn booked() -> CaseEvent {
    CaseEvent::AppointmentBooked {
        case_id: CASE,
        service: service_key(),
        office: office(),
        appointment: appointment(),
        actor: Actor::Citizen,
        at: t(7, 1),
    }
}

pub(crate) fn checked_in() -> CaseEvent {
    CaseEvent::CheckedIn {
        case_id: CASE,
        service: service_key(),
        office: office(),
        appointment: appointment(),
        actor: Actor::Citizen,
        at: t(8, 55),
    }
}

pub(crate) fn admitted() -> CaseEvent {
    CaseEvent::Admitted {
        case_id: CASE,
        actor: clerk(),
        at: t(9, 0),
    }
}

pub(crate) fn call_started() -> CaseEvent {
    CaseEvent::CallStarted {
        case_id: CASE,
        session_id: SESSION,
        actor: clerk(),
        at: t(9, 1),
    }
}

pub(crate) fn call_ended() -> CaseEvent {
    CaseEvent::CallEnded {
        case_id: CASE,
        session_id: SESSION,
        actor: clerk(),
        at: t(9, 14),
    }
}

pub(crate) fn identity_checked() -> CaseEvent {
    CaseEvent::IdentityChecked {
        case_id: CASE,
        method: IdentityMethod::IdCardOnCamera,
        actor: clerk(),
        at: t(9, 2),
    }
}

pub(crate) fn documents_requested(types: &[&str]) -> CaseEvent {
    CaseEvent::DocumentsRequested {
        case_id: CASE,
        document_types: types.iter().map(|name| doc_type(name)).collect(),
        actor: clerk(),
        at: t(9, 3),
    }
}

pub(crate) fn uploaded(document_id: DocumentId, document_type: &str) -> CaseEvent {
    CaseEvent::DocumentUploaded {
        case_id: CASE,
        citizen_id: CITIZEN,
        document_id,
        document_type: doc_type(document_type),
        file_name: Pii::Present(format!("{CANARY} Wohnungsgeberbestaetigung.pdf")),
        content_type: "application/pdf".into(),
        size_bytes: 120_000,
        actor: Actor::Citizen,
        at: t(9, 4),
    }
}

pub(crate) fn accepted(document_id: DocumentId, document_type: &str) -> CaseEvent {
    CaseEvent::DocumentAccepted {
        case_id: CASE,
        document_id,
        document_type: doc_type(document_type),
        actor: clerk(),
        at: t(9, 5),
    }
}

pub(crate) fn rejected(document_id: DocumentId, document_type: &str) -> CaseEvent {
    CaseEvent::DocumentRejected {
        case_id: CASE,
        citizen_id: CITIZEN,
        document_id,
        document_type: doc_type(document_type),
        reason: Pii::Present(format!("The landlord's form for {CANARY} is not signed")),
        actor: clerk(),
        at: t(9, 5),
    }
}

pub(crate) fn fee_assessed(cents: i64) -> CaseEvent {
    CaseEvent::FeeAssessed {
        case_id: CASE,
        amount: Cents(cents),
        actor: clerk(),
        at: t(9, 6),
    }
}

pub(crate) fn payment_started(cents: i64) -> CaseEvent {
    CaseEvent::PaymentStarted {
        case_id: CASE,
        payment_id: PAYMENT,
        amount: Cents(cents),
        actor: Actor::Citizen,
        at: t(9, 7),
    }
}

pub(crate) fn fee_paid(cents: i64) -> CaseEvent {
    CaseEvent::FeePaid {
        case_id: CASE,
        payment_id: PAYMENT,
        amount: Cents(cents),
        actor: Actor::System,
        at: t(9, 8),
    }
}

pub(crate) fn fee_waived(cents: i64) -> CaseEvent {
    CaseEvent::FeeWaived {
        case_id: CASE,
        amount: Cents(cents),
        reason: WaiverReason::SocialHardship,
        actor: clerk(),
        at: t(9, 8),
    }
}

pub(crate) fn fee_refunded(cents: i64) -> CaseEvent {
    CaseEvent::FeeRefunded {
        case_id: CASE,
        payment_id: PAYMENT,
        amount: Cents(cents),
        actor: clerk(),
        at: t(9, 9),
    }
}

pub(crate) fn result_issued() -> CaseEvent {
    CaseEvent::ResultIssued {
        case_id: CASE,
        document_id: RESULT_DOC,
        actor: clerk(),
        at: t(9, 10),
    }
}

pub(crate) fn closed(outcome: Outcome) -> CaseEvent {
    CaseEvent::CaseClosed {
        case_id: CASE,
        service: service_key(),
        office: office(),
        outcome,
        actor: clerk(),
        at: t(9, 15),
    }
}

pub(crate) fn note_added() -> CaseEvent {
    CaseEvent::NoteAdded {
        case_id: CASE,
        citizen_id: CITIZEN,
        text: Pii::Present(format!("{CANARY} asked for an English summary")),
        actor: clerk(),
        at: t(9, 11),
    }
}

/// A case in a running call.
pub(crate) fn in_call() -> Vec<CaseEvent> {
    vec![opened(), booked(), checked_in(), admitted(), call_started()]
}

/// A case in a running call with the identity checked.
pub(crate) fn identified() -> Vec<CaseEvent> {
    let mut events = in_call();
    events.push(identity_checked());
    events
}

/// A case whose wohnungsgeberbestaetigung was requested and uploaded as `DOC`.
pub(crate) fn with_upload() -> Vec<CaseEvent> {
    let mut events = identified();
    events.push(documents_requested(&["wohnungsgeberbestaetigung"]));
    events.push(uploaded(DOC, "wohnungsgeberbestaetigung"));
    events
}

/// `base` followed by `more`.
pub(crate) fn and(
    mut base: Vec<CaseEvent>,
    more: impl IntoIterator<Item = CaseEvent>,
) -> Vec<CaseEvent> {
    base.extend(more);
    base
}

#[test]
fn a_whole_video_case_runs_from_opening_to_completion() {
    let commands = vec![
        CaseCommand::Open {
            case_id: CASE,
            citizen_id: CITIZEN,
            service: catalogue_service("wohnsitz_anmeldung"),
            office: office(),
            channel: CaseChannel::Video,
            contact: contact(),
            actor: Actor::Citizen,
            at: t(7, 0),
        },
        CaseCommand::BookAppointment {
            appointment: appointment(),
            actor: Actor::Citizen,
            at: t(7, 1),
        },
        CaseCommand::SendReminder { at: t(8, 0) },
        CaseCommand::CheckIn { at: t(8, 55) },
        CaseCommand::Admit {
            clerk: CLERK,
            at: t(9, 0),
        },
        CaseCommand::StartCall {
            clerk: CLERK,
            session_id: SESSION,
            at: t(9, 1),
        },
        CaseCommand::CheckIdentity {
            clerk: CLERK,
            method: IdentityMethod::EidOnline,
            at: t(9, 2),
        },
        CaseCommand::RequestDocuments {
            clerk: CLERK,
            document_types: vec![doc_type("wohnungsgeberbestaetigung")],
            at: t(9, 3),
        },
        CaseCommand::UploadDocument {
            document_id: DOC,
            document_type: doc_type("wohnungsgeberbestaetigung"),
            file_name: "form.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 1000,
            actor: Actor::Citizen,
            at: t(9, 4),
        },
        CaseCommand::AcceptDocument {
            clerk: CLERK,
            document_id: DOC,
            at: t(9, 5),
        },
        CaseCommand::AssessFee {
            clerk: CLERK,
            amount: Cents(1250),
            at: t(9, 6),
        },
        CaseCommand::StartPayment {
            payment_id: PAYMENT,
            actor: Actor::Citizen,
            at: t(9, 7),
        },
        CaseCommand::PayFee {
            payment_id: PAYMENT,
            amount: Cents(1250),
            actor: Actor::System,
            at: t(9, 8),
        },
        CaseCommand::IssueResult {
            clerk: CLERK,
            document_id: RESULT_DOC,
            at: t(9, 10),
        },
        CaseCommand::EndCall {
            actor: clerk(),
            at: t(9, 12),
        },
        CaseCommand::Close {
            outcome: Outcome::Completed,
            actor: clerk(),
            at: t(9, 15),
        },
    ];
    let mut case = Case::default();
    for command in commands {
        let events = case
            .handle(command.clone())
            .unwrap_or_else(|e| panic!("{command:?} was refused: {e}"));
        assert_eq!(events.len(), 1);
        for event in &events {
            case.apply(event);
        }
    }
    assert_eq!(case.status(), CaseStatus::Closed);
    assert_eq!(case.outcome(), Some(Outcome::Completed));
    assert_eq!(case.identity_checked(), Some(IdentityMethod::EidOnline));
    assert_eq!(case.reminders_sent(), 1);
    assert_eq!(case.result(), Some(RESULT_DOC));
    assert!(case.fee().is_some_and(|fee| fee.is_settled()));
}
