//! Opening a case, and the rules that hold for every command: nothing before opening, nothing after
//! closing.

use super::*;
use crate::testing::Given;

fn open_command(service: &str, channel: CaseChannel) -> CaseCommand {
    CaseCommand::Open {
        case_id: CASE,
        citizen_id: CITIZEN,
        service: catalogue_service(service),
        office: office(),
        channel,
        contact: contact(),
        actor: Actor::Citizen,
        at: t(7, 0),
    }
}

#[test]
fn a_case_opens_with_its_service_office_channel_and_contact() {
    let case = Given::<Case>::nothing()
        .when(open_command("wohnsitz_anmeldung", CaseChannel::Video))
        .then_expect(vec![opened()]);
    assert_eq!(case.status(), CaseStatus::Open);
    assert_eq!(case.citizen_id(), Some(CITIZEN));
    assert_eq!(case.contact(), Some(&Pii::Present(contact())));
}

#[test]
fn a_case_cannot_be_opened_twice() {
    given::<Case>([opened()])
        .when(open_command("wohnsitz_anmeldung", CaseChannel::Video))
        .then_error(|e| *e == CaseError::AlreadyOpened);
}

#[test]
fn a_service_that_requires_personal_appearance_cannot_be_opened_on_the_video_channel() {
    Given::<Case>::nothing()
        .when(open_command("personalausweis_antrag", CaseChannel::Video))
        .then_error(|e| {
            matches!(e, CaseError::VideoNotAllowed { service, reason }
                if service.as_str() == "personalausweis_antrag" && reason.contains("PAuswG"))
        });
}

#[test]
fn a_service_that_requires_personal_appearance_can_be_opened_in_person() {
    let result = Given::<Case>::nothing()
        .when(open_command(
            "personalausweis_antrag",
            CaseChannel::InPerson,
        ))
        .result();
    assert!(matches!(
        result.as_deref(),
        Ok([CaseEvent::CaseOpened {
            channel: CaseChannel::InPerson,
            ..
        }])
    ));
}

#[test]
fn a_service_that_is_online_elsewhere_can_still_be_opened_by_video_as_a_fallback() {
    let result = Given::<Case>::nothing()
        .when(open_command("fuehrungszeugnis", CaseChannel::Video))
        .result();
    assert!(result.is_ok());
}

#[test]
fn a_contact_without_a_valid_email_address_is_refused() {
    let command = CaseCommand::Open {
        case_id: CASE,
        citizen_id: CITIZEN,
        service: catalogue_service("wohnsitz_anmeldung"),
        office: office(),
        channel: CaseChannel::Video,
        contact: Contact {
            email: "not-an-address".into(),
            ..contact()
        },
        actor: Actor::Citizen,
        at: t(7, 0),
    };
    Given::<Case>::nothing()
        .when(command)
        .then_error(|e| matches!(e, CaseError::InvalidContact(_)));
}

#[test]
fn a_contact_that_could_inject_headers_or_is_oversized_is_refused() {
    let with = |name: &str, email: &str, phone: Option<&str>| Contact {
        name: name.into(),
        email: email.into(),
        phone: phone.map(str::to_owned),
        ..contact()
    };
    let bad = [
        with("Erika", "erika@example.org\r\nBcc: x@example.org", None),
        with("Erika", "erika@exa mple.org", None),
        with("Erika", "a@b@example.org", None),
        with("Erika", "erika@.org", None),
        with("Erika", &format!("{}@example.org", "e".repeat(250)), None),
        with("Erika\nMustermann", "erika@example.org", None),
        with(&"E".repeat(101), "erika@example.org", None),
        with("Erika", "erika@example.org", Some("12")),
        with("Erika", "erika@example.org", Some("0331 <script>")),
    ];
    for contact in bad {
        let command = CaseCommand::Open {
            case_id: CASE,
            citizen_id: CITIZEN,
            service: catalogue_service("wohnsitz_anmeldung"),
            office: office(),
            channel: CaseChannel::Video,
            contact: contact.clone(),
            actor: Actor::Citizen,
            at: t(7, 0),
        };
        Given::<Case>::nothing()
            .when(command)
            .then_error(|e| matches!(e, CaseError::InvalidContact(_)));
    }
    let good = with("Ayşe Yılmaz", "ayse@example.org", Some("+49 331 289-0"));
    Given::<Case>::nothing()
        .when(CaseCommand::Open {
            case_id: CASE,
            citizen_id: CITIZEN,
            service: catalogue_service("wohnsitz_anmeldung"),
            office: office(),
            channel: CaseChannel::Video,
            contact: good,
            actor: Actor::Citizen,
            at: t(7, 0),
        })
        .then_ok();
}

#[test]
fn no_command_is_accepted_before_the_case_is_opened() {
    Given::<Case>::nothing()
        .when(CaseCommand::BookAppointment {
            appointment: appointment(),
            actor: Actor::Citizen,
            at: t(7, 1),
        })
        .then_error(|e| *e == CaseError::NotOpened);
}

/// One command of every kind, each of which would be accepted by some open case.
fn every_command() -> Vec<CaseCommand> {
    vec![
        open_command("wohnsitz_anmeldung", CaseChannel::Video),
        CaseCommand::BookAppointment {
            appointment: later_appointment(),
            actor: Actor::Citizen,
            at: t(8, 0),
        },
        CaseCommand::RescheduleAppointment {
            appointment: later_appointment(),
            actor: Actor::Citizen,
            at: t(8, 0),
        },
        CaseCommand::CancelAppointment {
            actor: Actor::Citizen,
            at: t(8, 0),
        },
        CaseCommand::SendReminder { at: t(8, 0) },
        CaseCommand::CheckIn { at: t(8, 55) },
        CaseCommand::Admit {
            clerk: CLERK,
            at: t(9, 0),
        },
        CaseCommand::Hold {
            clerk: CLERK,
            at: t(9, 0),
        },
        CaseCommand::SendBack {
            clerk: CLERK,
            at: t(9, 0),
        },
        CaseCommand::StartCall {
            clerk: CLERK,
            session_id: SESSION,
            at: t(9, 0),
        },
        CaseCommand::EndCall {
            actor: clerk(),
            at: t(9, 0),
        },
        CaseCommand::CheckIdentity {
            clerk: CLERK,
            method: IdentityMethod::PersonallyKnown,
            at: t(9, 0),
        },
        CaseCommand::RequestDocuments {
            clerk: CLERK,
            document_types: vec![doc_type("anything")],
            at: t(9, 0),
        },
        CaseCommand::UploadDocument {
            document_id: DOC2,
            document_type: doc_type("wohnungsgeberbestaetigung"),
            file_name: "x.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 1,
            actor: Actor::Citizen,
            at: t(9, 0),
        },
        CaseCommand::AcceptDocument {
            clerk: CLERK,
            document_id: DOC,
            at: t(9, 0),
        },
        CaseCommand::RejectDocument {
            clerk: CLERK,
            document_id: DOC,
            reason: "unreadable".into(),
            at: t(9, 0),
        },
        CaseCommand::AssessFee {
            clerk: CLERK,
            amount: Cents(500),
            at: t(9, 0),
        },
        CaseCommand::StartPayment {
            payment_id: PAYMENT,
            actor: Actor::Citizen,
            at: t(9, 0),
        },
        CaseCommand::PayFee {
            payment_id: PAYMENT,
            amount: Cents(500),
            actor: Actor::System,
            at: t(9, 0),
        },
        CaseCommand::WaiveFee {
            clerk: CLERK,
            reason: WaiverReason::Other,
            at: t(9, 0),
        },
        CaseCommand::RefundFee {
            clerk: CLERK,
            at: t(9, 0),
        },
        CaseCommand::IssueResult {
            clerk: CLERK,
            document_id: RESULT_DOC,
            at: t(9, 0),
        },
        CaseCommand::AddNote {
            clerk: CLERK,
            text: "called back".into(),
            at: t(9, 0),
        },
        CaseCommand::Close {
            outcome: Outcome::Cancelled,
            actor: clerk(),
            at: t(9, 0),
        },
    ]
}

#[test]
fn every_command_on_a_closed_case_is_refused_because_the_case_is_closed() {
    let history = and(
        with_upload(),
        [fee_assessed(500), closed(Outcome::Cancelled)],
    );
    let commands = every_command();
    assert_eq!(commands.len(), 24, "one command per kind");
    for command in commands {
        given::<Case>(history.clone())
            .when(command)
            .then_error(|e| *e == CaseError::CaseClosed);
    }
}

#[test]
fn a_note_is_recorded_with_its_text_as_personal_data() {
    given::<Case>([opened()])
        .when(CaseCommand::AddNote {
            clerk: CLERK,
            text: format!("{CANARY} asked for an English summary"),
            at: t(9, 11),
        })
        .then_expect(vec![note_added()]);
}

#[test]
fn an_empty_note_is_refused() {
    given::<Case>([opened()])
        .when(CaseCommand::AddNote {
            clerk: CLERK,
            text: "  ".into(),
            at: t(9, 11),
        })
        .then_error(|e| *e == CaseError::EmptyNote);
}
