//! The demo citizen of `serve --demo`: one case at Potsdam-Mitte booked for *today* with a
//! capability link, printed next to the demo logins, so that checking in and the clerks' live
//! dashboard can be tried at any time of day (the booking API only offers slots in opening
//! hours, and check-in needs an appointment today). The appointment starts at the next quarter
//! hour (or the last one, late at night, so it stays today); it is booked on the case only, not
//! in the office's schedule, which is fine for a demo and nowhere else.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::case::{Appointment, CaseChannel, CaseCommand, Contact, Language, LinkChannel};
use domain::catalogue::Catalogue;
use domain::{Actor, Case, CaseId, CitizenId, OfficeId, ServiceKey};
use store::repository::Repository;
use store::{EventStore, StreamId};

use crate::capability::CapabilityToken;
use crate::local_time::to_local;

/// The office and service of the demo citizen's case.
pub const OFFICE: &str = "potsdam-mitte";
const SERVICE: &str = "meldebescheinigung";

/// When the demo appointment starts: the next quarter hour if that is still today (office
/// time), else the last one.
pub fn appointment_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let quarter = Duration::minutes(15);
    let earlier = now.duration_trunc(quarter).unwrap_or(now);
    let later = earlier + quarter;
    if to_local(later).date() == to_local(now).date() {
        later
    } else {
        earlier
    }
}

/// Opens and books the demo citizen's case; returns its capability token.
pub async fn seed(
    events: &Arc<dyn EventStore>,
    catalogue: &Catalogue,
    now: DateTime<Utc>,
) -> anyhow::Result<CapabilityToken> {
    let service = catalogue
        .get(&ServiceKey::parse(SERVICE)?)
        .ok_or_else(|| anyhow::anyhow!("the catalogue has no {SERVICE}"))?
        .clone();
    let case_id = CaseId(uuid::Uuid::now_v7());
    let starts_at = appointment_start(now);
    let token = CapabilityToken::generate(case_id);
    let commands = vec![
        CaseCommand::Open {
            case_id,
            citizen_id: CitizenId(uuid::Uuid::now_v7()),
            service: Box::new(service),
            office: OfficeId::parse(OFFICE)?,
            channel: CaseChannel::Video,
            contact: Contact {
                name: "Demo Bürgerin".into(),
                email: "demo.buergerin@example.invalid".into(),
                phone: None,
                language: Language::De,
            },
            actor: Actor::Citizen,
            at: now - Duration::days(1),
        },
        CaseCommand::BookAppointment {
            appointment: Appointment {
                starts_at,
                local_start: to_local(starts_at),
                duration_minutes: 15,
            },
            actor: Actor::Citizen,
            at: starts_at - Duration::hours(1),
        },
        CaseCommand::IssueAccessLink {
            token_sha256: token.hash(),
            via: LinkChannel::Booking,
            at: starts_at - Duration::hours(1),
        },
    ];
    Repository::new(events.clone())
        .execute_all::<Case>(&StreamId::new(case_id.stream_name())?, commands)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo citizen: {e}"))?;
    Ok(token)
}

/// The line `serve --demo` prints for the demo citizen.
pub fn link_line(public_url: &str, token: &CapabilityToken) -> String {
    format!(
        "Demo citizen (appointment today, may check in): {public_url}/mein-termin.html#token={}",
        token.expose()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_demo_appointment_is_the_next_quarter_hour_or_the_last_one_late_at_night() {
        let noon = Utc.with_ymd_and_hms(2026, 11, 24, 11, 7, 0).unwrap();
        assert_eq!(
            appointment_start(noon),
            Utc.with_ymd_and_hms(2026, 11, 24, 11, 15, 0).unwrap()
        );
        // 23:50 in Potsdam (22:50 UTC): the next quarter would be tomorrow there.
        let late = Utc.with_ymd_and_hms(2026, 11, 24, 22, 50, 0).unwrap();
        assert_eq!(
            appointment_start(late),
            Utc.with_ymd_and_hms(2026, 11, 24, 22, 45, 0).unwrap()
        );
    }
}
