//! Realistic case histories for tests and benchmarks of other crates (projections, store
//! benchmarks). Every history is decided by the real [`Case`] aggregate, command by command, so a
//! fixture can never contain a history the rules would refuse.

use chrono::{DateTime, Duration, Utc};

use crate::aggregate::Aggregate;
use crate::case::{
    Appointment, Case, CaseChannel, CaseCommand, CaseError, CaseEvent, Contact, IdentityMethod,
    Language, Outcome,
};
use crate::catalogue::Service;
use crate::ids::{
    CaseId, CitizenId, ClerkId, DocumentId, DocumentType, OfficeId, PaymentId, VideoSessionId,
};
use crate::{Actor, Cents};

/// How far a fixture case gets; `n % 4` of [`case_history`] picks one.
const STAGES: u64 = 4;

/// A case history for `service` at `office`, with an appointment at `starts_at`, decided by the
/// aggregate. `n` picks the stage (booked, waiting, in a call, completed with a paid fee) and
/// makes the ids unique. The citizen's contact is fictitious and contains `n`.
pub fn case_history(
    n: u64,
    service: &Service,
    office: &OfficeId,
    starts_at: DateTime<Utc>,
) -> Result<(CaseId, Vec<CaseEvent>), CaseError> {
    let case_id = CaseId(uuid::Uuid::from_u64_pair(0xCA5E, n));
    let clerk = ClerkId(uuid::Uuid::from_u64_pair(0xC1E4, n % 16));
    let minutes = |m: i64| starts_at + Duration::minutes(m);
    let fee = service.fee.map(|f| f.min).unwrap_or(Cents(0));
    let mut commands = vec![
        CaseCommand::Open {
            case_id,
            citizen_id: CitizenId(uuid::Uuid::from_u64_pair(0xC171, n)),
            service: Box::new(service.clone()),
            office: office.clone(),
            channel: CaseChannel::Video,
            contact: Contact {
                name: format!("Test Person {n}"),
                email: format!("person{n}@example.org"),
                phone: None,
                language: Language::De,
            },
            actor: Actor::Citizen,
            at: minutes(-7 * 24 * 60),
        },
        CaseCommand::BookAppointment {
            appointment: Appointment {
                starts_at,
                local_start: starts_at.naive_utc() + Duration::hours(1),
                duration_minutes: 15,
            },
            actor: Actor::Citizen,
            at: minutes(-7 * 24 * 60),
        },
    ];
    let stage = n % STAGES;
    if stage >= 1 {
        commands.push(CaseCommand::SendReminder {
            at: minutes(-24 * 60),
        });
        commands.push(CaseCommand::CheckIn { at: minutes(-3) });
    }
    if stage >= 2 {
        commands.push(CaseCommand::Admit {
            clerk,
            at: minutes(0),
        });
        commands.push(CaseCommand::StartCall {
            clerk,
            session_id: VideoSessionId(uuid::Uuid::from_u64_pair(0x5E55, n)),
            at: minutes(1),
        });
    }
    if stage >= 3 {
        let document_type =
            DocumentType::parse("nachweis").map_err(|_| CaseError::NoDocumentTypes)?;
        let document_id = DocumentId(uuid::Uuid::from_u64_pair(0xD0C, n));
        let payment_id = PaymentId(uuid::Uuid::from_u64_pair(0xFEE, n));
        commands.extend([
            CaseCommand::CheckIdentity {
                clerk,
                method: IdentityMethod::IdCardOnCamera,
                at: minutes(2),
            },
            CaseCommand::RequestDocuments {
                clerk,
                document_types: vec![document_type.clone()],
                at: minutes(3),
            },
            CaseCommand::UploadDocument {
                document_id,
                document_type,
                file_name: format!("nachweis-{n}.pdf"),
                content_type: "application/pdf".into(),
                size_bytes: 100_000 + n % 1000,
                actor: Actor::Citizen,
                at: minutes(4),
            },
            CaseCommand::AcceptDocument {
                clerk,
                document_id,
                at: minutes(5),
            },
            CaseCommand::AssessFee {
                clerk,
                amount: fee,
                at: minutes(6),
            },
        ]);
        if fee.0 > 0 {
            commands.push(CaseCommand::StartPayment {
                payment_id,
                actor: Actor::Citizen,
                at: minutes(7),
            });
            commands.push(CaseCommand::PayFee {
                payment_id,
                amount: fee,
                actor: Actor::System,
                at: minutes(8),
            });
        }
        commands.extend([
            CaseCommand::IssueResult {
                clerk,
                document_id: DocumentId(uuid::Uuid::from_u64_pair(0x4E5, n)),
                at: minutes(9),
            },
            CaseCommand::EndCall {
                actor: Actor::Clerk(clerk),
                at: minutes(10),
            },
            CaseCommand::Close {
                outcome: Outcome::Completed,
                actor: Actor::Clerk(clerk),
                at: minutes(10),
            },
        ]);
    }
    let mut case = Case::default();
    let mut events = Vec::new();
    for command in commands {
        for event in case.handle(command)? {
            case.apply(&event);
            events.push(event);
        }
    }
    Ok((case_id, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;
    use crate::ids::ServiceKey;

    #[test]
    fn every_stage_of_a_fixture_history_is_accepted_by_the_rules() {
        let catalogue = Catalogue::default_catalogue().unwrap();
        let service = catalogue
            .get(&ServiceKey::parse("meldebescheinigung").unwrap())
            .unwrap();
        let office = OfficeId::parse("potsdam-mitte").unwrap();
        let start = DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
            .unwrap()
            .to_utc();
        let lengths: Vec<usize> = (0..STAGES)
            .map(|n| case_history(n, service, &office, start).unwrap().1.len())
            .collect();
        assert!(lengths.windows(2).all(|w| w[0] < w[1]), "{lengths:?}");
        assert!(matches!(
            case_history(3, service, &office, start).unwrap().1.last(),
            Some(CaseEvent::CaseClosed {
                outcome: Outcome::Completed,
                ..
            })
        ));
    }
}
