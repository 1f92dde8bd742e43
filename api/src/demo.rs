//! Demo data: two Potsdam offices with opening hours for a working week and citizens in every
//! stage of a case, so a newcomer sees a living system. Everything goes through the same
//! aggregates and rules as real requests.
//!
//! The scenario is a snapshot of the current day at 10:30 office time: the morning's cases are
//! done, some citizens wait, one is in a call, the afternoon is booked. Event times follow that
//! scenario clock (the domain never reads the clock), bookings were made days before.

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use domain::case::{
    Appointment, Case, CaseChannel, CaseCommand, Contact, IdentityMethod, Language, Outcome,
    WaiverReason,
};
use domain::catalogue::{
    Catalogue, CatalogueChanges, CatalogueCommand, RequiredDocument, Service, ServiceChange,
    CATALOGUE_STREAM,
};
use domain::office::{DayOfWeek, Office, OfficeCommand, WeeklyHours};
use domain::schedule::{OpeningInterval, Schedule, ScheduleCommand, ScheduleId};
use domain::{
    Actor, CaseId, Cents, CitizenId, ClerkId, DocumentId, DocumentType, OfficeId, PaymentId,
    ServiceKey, VideoSessionId,
};
use store::repository::Repository;
use store::{EventStore, StreamId};

use crate::local_time::to_utc;

/// What `seed` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub day: NaiveDate,
    pub offices: Vec<String>,
    pub cases: usize,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Seeded {} demo cases in {} for {} and the next four days.",
            self.cases,
            self.offices.join(" and "),
            self.day
        )
    }
}

const OFFICES: [(&str, u32); 2] = [("potsdam-mitte", 3), ("potsdam-babelsberg", 2)];
const SLOT_MINUTES: u32 = 15;
/// Names and addresses of the demo offices (fictitious data for a demo, not the city's directory).
const OFFICE_PROFILES: [(&str, &str); 2] = [
    (
        "Bürgerservice Potsdam Mitte (Demo)",
        "Friedrich-Ebert-Straße 79/81, 14469 Potsdam",
    ),
    (
        "Bürgerservice Babelsberg (Demo)",
        "14482 Potsdam-Babelsberg",
    ),
];

/// Fictitious citizens (no real person's data).
const CITIZENS: [(&str, &str, Language); 12] = [
    (
        "Erika Mustermann",
        "erika.mustermann@example.org",
        Language::De,
    ),
    ("Max Mustermann", "max.mustermann@example.org", Language::De),
    ("Ayşe Yılmaz", "ayse.yilmaz@example.org", Language::De),
    ("John Smith", "john.smith@example.org", Language::En),
    (
        "Olena Kovalenko",
        "olena.kovalenko@example.org",
        Language::En,
    ),
    ("Jan Nowak", "jan.nowak@example.org", Language::De),
    ("Sofia Rossi", "sofia.rossi@example.org", Language::En),
    ("Lukas Schulze", "lukas.schulze@example.org", Language::De),
    ("Mei Chen", "mei.chen@example.org", Language::En),
    ("Hannah Becker", "hannah.becker@example.org", Language::De),
    ("Ahmad Karimi", "ahmad.karimi@example.org", Language::En),
    ("Greta Wolff", "greta.wolff@example.org", Language::De),
];

/// How far a demo case gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Unscheduled,
    Booked,
    Reminded,
    Cancelled,
    NoShow,
    Waiting,
    Held,
    InCall,
    ReferredInPerson,
    CompletedPaid,
    CompletedWaived,
}

struct Seeder {
    repo: Repository,
    catalogue: Catalogue,
    services: Vec<ServiceKey>,
    clerk: ClerkId,
    day: NaiveDate,
    cases: usize,
}

/// Seeds the demo for the office day of `now`.
pub async fn seed(events: &Arc<dyn EventStore>, now: DateTime<Utc>) -> anyhow::Result<DemoReport> {
    let catalogue = Catalogue::default_catalogue().context("loading the service catalogue")?;
    let services = [
        "wohnsitz_anmeldung",
        "meldebescheinigung",
        "beglaubigung_kopien",
        "gewerbe_anmeldung",
        "bewohnerparkausweis",
        "lebensbescheinigung",
        "haushaltsbescheinigung",
        "wohnsitz_abmeldung",
    ]
    .into_iter()
    .filter_map(|k| ServiceKey::parse(k).ok())
    .filter(|k| catalogue.get(k).is_some_and(Service::video_allowed))
    .collect::<Vec<_>>();
    anyhow::ensure!(!services.is_empty(), "the catalogue has no video services");
    let day = crate::local_time::to_local(now).date();
    let mut seeder = Seeder {
        repo: Repository::new(events.clone()),
        catalogue,
        services,
        clerk: ClerkId(uuid::Uuid::now_v7()),
        day,
        cases: 0,
    };
    seeder.run().await?;
    Ok(DemoReport {
        day,
        offices: OFFICES.iter().map(|(o, _)| o.to_string()).collect(),
        cases: seeder.cases,
    })
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl Seeder {
    /// The scenario clock: `day` at `h:m` office time.
    fn at(&self, day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
        to_utc(day.and_time(hm(h, m)))
    }

    async fn run(&mut self) -> anyhow::Result<()> {
        let opened_at = self.at(self.day, 7, 0) - Duration::days(14);
        for ((office, seats), (name, address)) in OFFICES.into_iter().zip(OFFICE_PROFILES) {
            self.register_office(office, name, address, seats, opened_at - Duration::days(30))
                .await?;
        }
        self.required_documents(opened_at).await?;
        // Today (the scenario's snapshot, whatever weekday it is) and the next four working days:
        // the offices are closed on weekends, so no weekend day is opened for booking.
        let days = self.demo_days();
        for (office, seats) in OFFICES {
            for &date in &days {
                let schedule = ScheduleId::new(OfficeId::parse(office)?, date);
                self.schedule(
                    &schedule,
                    ScheduleCommand::OpenDay {
                        schedule: schedule.clone(),
                        intervals: vec![
                            OpeningInterval::new(hm(8, 0), hm(12, 0)),
                            OpeningInterval::new(hm(13, 0), hm(18, 0)),
                        ],
                        slot_minutes: SLOT_MINUTES,
                        seats,
                        actor: Actor::System,
                        at: opened_at,
                    },
                )
                .await?;
            }
        }
        use Stage::*;
        let today = [
            ((8, 0), CompletedPaid),
            ((8, 15), CompletedWaived),
            ((8, 30), NoShow),
            ((8, 45), ReferredInPerson),
            ((9, 0), Cancelled),
            ((10, 0), InCall),
            ((10, 15), Held),
            ((10, 30), Waiting),
            ((10, 30), Waiting),
            ((10, 45), Reminded),
            ((11, 0), Reminded),
            ((11, 30), Booked),
            ((13, 0), Booked),
            ((14, 15), Booked),
        ];
        for (i, ((h, m), stage)) in today.into_iter().enumerate() {
            self.case(0, i, Some((self.day, h, m)), stage).await?;
        }
        let babelsberg = [
            ((9, 0), CompletedPaid),
            ((10, 30), Waiting),
            ((11, 15), Booked),
        ];
        for (i, ((h, m), stage)) in babelsberg.into_iter().enumerate() {
            self.case(1, i + 3, Some((self.day, h, m)), stage).await?;
        }
        for (offset, &date) in days.iter().enumerate().skip(1) {
            for (i, (h, m)) in [(8, 30), (9, 45), (13, 15)].into_iter().enumerate() {
                let office = (offset + i) % 2;
                self.case(office, offset * 3 + i, Some((date, h, m)), Booked)
                    .await?;
            }
        }
        self.case(0, 7, None, Unscheduled).await?;
        Ok(())
    }

    /// An admin's catalogue changes as the demo office would set them: what to have ready for
    /// the two most common video services (an identity document; for registering a new address
    /// also the landlord's confirmation, § 19 BMG).
    async fn required_documents(&self, at: DateTime<Utc>) -> anyhow::Result<()> {
        let id_card = RequiredDocument {
            key: "identity_document".into(),
            de: "Personalausweis oder Reisepass".into(),
            en: "Identity card or passport".into(),
        };
        let landlord = RequiredDocument {
            key: "landlord_confirmation".into(),
            de: "Wohnungsgeberbestätigung".into(),
            en: "Landlord's confirmation of moving in".into(),
        };
        let stream = StreamId::new(CATALOGUE_STREAM)?;
        for (key, documents) in [
            ("wohnsitz_anmeldung", vec![id_card.clone(), landlord]),
            ("meldebescheinigung", vec![id_card]),
        ] {
            let Some(seed) = self.catalogue.get(&ServiceKey::parse(key)?) else {
                continue;
            };
            self.repo
                .execute::<CatalogueChanges>(
                    &stream,
                    CatalogueCommand::ChangeService {
                        seed: Box::new(seed.clone()),
                        change: ServiceChange {
                            required_documents: Some(documents),
                            ..ServiceChange::default()
                        },
                        actor: Actor::System,
                        at,
                    },
                )
                .await
                .with_context(|| format!("demo required documents of {key}"))?;
        }
        Ok(())
    }

    /// The scenario's day and the four working days after it.
    fn demo_days(&self) -> Vec<NaiveDate> {
        let mut days = vec![self.day];
        let mut date = self.day;
        while days.len() < 5 {
            date += Duration::days(1);
            if !matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
                days.push(date);
            }
        }
        days
    }

    /// Registers an office open Monday to Friday, 8–12 and 13–18, on a 15-minute grid.
    async fn register_office(
        &self,
        office: &str,
        name: &str,
        address: &str,
        seats: u32,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let id = OfficeId::parse(office)?;
        let mut hours = WeeklyHours::default();
        for day in [
            DayOfWeek::Mon,
            DayOfWeek::Tue,
            DayOfWeek::Wed,
            DayOfWeek::Thu,
            DayOfWeek::Fri,
        ] {
            hours.days.insert(
                day,
                vec![
                    OpeningInterval::new(hm(8, 0), hm(12, 0)),
                    OpeningInterval::new(hm(13, 0), hm(18, 0)),
                ],
            );
        }
        self.repo
            .execute::<Office>(
                &StreamId::new(id.stream_name())?,
                OfficeCommand::Register {
                    office: id,
                    name: name.into(),
                    address: address.into(),
                    hours,
                    slot_minutes: SLOT_MINUTES,
                    seats,
                    actor: Actor::System,
                    at,
                },
            )
            .await
            .with_context(|| format!("demo office {office}"))?;
        Ok(())
    }

    async fn schedule(&self, id: &ScheduleId, command: ScheduleCommand) -> anyhow::Result<()> {
        let stream = StreamId::new(id.stream_name())?;
        self.repo
            .execute::<Schedule>(&stream, command)
            .await
            .with_context(|| format!("demo schedule {id}"))?;
        Ok(())
    }

    async fn act(&self, stream: &StreamId, command: CaseCommand) -> anyhow::Result<()> {
        self.repo
            .execute::<Case>(stream, command)
            .await
            .with_context(|| format!("demo case {stream}"))?;
        Ok(())
    }

    /// One case of `CITIZENS[who]` at office `office`, with an appointment at `slot`.
    async fn case(
        &mut self,
        office: usize,
        who: usize,
        slot: Option<(NaiveDate, u32, u32)>,
        stage: Stage,
    ) -> anyhow::Result<()> {
        let (name, email, language) = CITIZENS[who % CITIZENS.len()];
        let service_key = self.services[self.cases % self.services.len()].clone();
        let service = self
            .catalogue
            .get(&service_key)
            .cloned()
            .context("a demo service is in the catalogue")?;
        let duration = service
            .duration_minutes
            .map(|d| d.max.div_ceil(SLOT_MINUTES) * SLOT_MINUTES)
            .unwrap_or(SLOT_MINUTES);
        let fee = service.fee.map(|f| f.min).unwrap_or(Cents(0));
        let office_id = OfficeId::parse(OFFICES[office].0)?;
        let case_id = CaseId(uuid::Uuid::now_v7());
        let stream = StreamId::new(case_id.stream_name())?;
        let clerk = self.clerk;
        let booked_day = slot.map(|(d, _, _)| d).unwrap_or(self.day);
        let booked_at = self.at(booked_day, 18, 40) - Duration::days(5);
        self.cases += 1;

        self.act(
            &stream,
            CaseCommand::Open {
                case_id,
                citizen_id: CitizenId(uuid::Uuid::now_v7()),
                service: Box::new(service),
                office: office_id.clone(),
                channel: CaseChannel::Video,
                contact: Contact {
                    name: name.into(),
                    email: email.into(),
                    phone: None,
                    language,
                },
                actor: Actor::Citizen,
                at: booked_at,
            },
        )
        .await?;
        let Some((date, h, m)) = slot else {
            return Ok(());
        };
        let local_start = date.and_time(hm(h, m));
        let schedule = ScheduleId::new(office_id, date);
        self.schedule(
            &schedule,
            ScheduleCommand::BookSlot {
                case_id,
                service: service_key,
                start: local_start,
                duration_minutes: duration,
                at: booked_at,
            },
        )
        .await?;
        let appointment = Appointment {
            starts_at: to_utc(local_start),
            local_start,
            duration_minutes: duration,
        };
        self.act(
            &stream,
            CaseCommand::BookAppointment {
                appointment,
                actor: Actor::Citizen,
                at: booked_at,
            },
        )
        .await?;
        if stage == Stage::Booked {
            return Ok(());
        }
        let start = appointment.starts_at;
        let minutes = |n: i64| start + Duration::minutes(n);
        self.act(
            &stream,
            CaseCommand::SendReminder {
                at: start - Duration::hours(24),
            },
        )
        .await?;
        match stage {
            Stage::Unscheduled | Stage::Booked | Stage::Reminded => return Ok(()),
            Stage::Cancelled => {
                let at = start - Duration::hours(20);
                self.act(
                    &stream,
                    CaseCommand::CancelAppointment {
                        actor: Actor::Citizen,
                        at,
                    },
                )
                .await?;
                self.schedule(&schedule, ScheduleCommand::ReleaseSlot { case_id, at })
                    .await?;
                return self
                    .act(
                        &stream,
                        CaseCommand::Close {
                            outcome: Outcome::Cancelled,
                            actor: Actor::Citizen,
                            at,
                        },
                    )
                    .await;
            }
            Stage::NoShow => {
                return self
                    .act(
                        &stream,
                        CaseCommand::Close {
                            outcome: Outcome::NoShow,
                            actor: Actor::System,
                            at: minutes(15),
                        },
                    )
                    .await;
            }
            _ => {}
        }
        let check_in = if stage == Stage::Waiting {
            minutes(-4)
        } else {
            minutes(-5)
        };
        self.act(&stream, CaseCommand::CheckIn { at: check_in })
            .await?;
        if stage == Stage::Waiting {
            return Ok(());
        }
        if stage == Stage::Held {
            return self
                .act(
                    &stream,
                    CaseCommand::Hold {
                        clerk,
                        at: minutes(1),
                    },
                )
                .await;
        }
        self.act(
            &stream,
            CaseCommand::Admit {
                clerk,
                at: minutes(0),
            },
        )
        .await?;
        let session_id = VideoSessionId(uuid::Uuid::now_v7());
        self.act(
            &stream,
            CaseCommand::StartCall {
                clerk,
                session_id,
                at: minutes(1),
            },
        )
        .await?;
        self.act(
            &stream,
            CaseCommand::CheckIdentity {
                clerk,
                method: IdentityMethod::IdCardOnCamera,
                at: minutes(2),
            },
        )
        .await?;
        if stage == Stage::InCall {
            return self
                .act(
                    &stream,
                    CaseCommand::RequestDocuments {
                        clerk,
                        document_types: vec![DocumentType::parse("wohnungsgeberbestaetigung")?],
                        at: minutes(3),
                    },
                )
                .await;
        }
        if stage == Stage::ReferredInPerson {
            self.act(
                &stream,
                CaseCommand::EndCall {
                    actor: Actor::Clerk(clerk),
                    at: minutes(6),
                },
            )
            .await?;
            return self
                .act(
                    &stream,
                    CaseCommand::Close {
                        outcome: Outcome::ReferredInPerson,
                        actor: Actor::Clerk(clerk),
                        at: minutes(6),
                    },
                )
                .await;
        }
        let document_type = DocumentType::parse("wohnungsgeberbestaetigung")?;
        let document_id = DocumentId(uuid::Uuid::now_v7());
        self.act(
            &stream,
            CaseCommand::RequestDocuments {
                clerk,
                document_types: vec![document_type.clone()],
                at: minutes(3),
            },
        )
        .await?;
        self.act(
            &stream,
            CaseCommand::UploadDocument {
                document_id,
                document_type,
                file_name: "wohnungsgeberbestaetigung.pdf".into(),
                content_type: "application/pdf".into(),
                size_bytes: 184_311,
                actor: Actor::Citizen,
                at: minutes(4),
            },
        )
        .await?;
        self.act(
            &stream,
            CaseCommand::AcceptDocument {
                clerk,
                document_id,
                at: minutes(5),
            },
        )
        .await?;
        self.act(
            &stream,
            CaseCommand::AssessFee {
                clerk,
                amount: fee,
                at: minutes(6),
            },
        )
        .await?;
        if fee.0 > 0 {
            if stage == Stage::CompletedWaived {
                self.act(
                    &stream,
                    CaseCommand::WaiveFee {
                        clerk,
                        reason: WaiverReason::SocialHardship,
                        at: minutes(7),
                    },
                )
                .await?;
            } else {
                let payment_id = PaymentId(uuid::Uuid::now_v7());
                self.act(
                    &stream,
                    CaseCommand::StartPayment {
                        payment_id,
                        actor: Actor::Citizen,
                        at: minutes(7),
                    },
                )
                .await?;
                self.act(
                    &stream,
                    CaseCommand::PayFee {
                        payment_id,
                        amount: fee,
                        actor: Actor::System,
                        at: minutes(8),
                    },
                )
                .await?;
            }
        }
        self.act(
            &stream,
            CaseCommand::IssueResult {
                clerk,
                document_id: DocumentId(uuid::Uuid::now_v7()),
                at: minutes(9),
            },
        )
        .await?;
        self.act(
            &stream,
            CaseCommand::EndCall {
                actor: Actor::Clerk(clerk),
                at: minutes(10),
            },
        )
        .await?;
        self.act(
            &stream,
            CaseCommand::Close {
                outcome: Outcome::Completed,
                actor: Actor::Clerk(clerk),
                at: minutes(10),
            },
        )
        .await
    }
}
