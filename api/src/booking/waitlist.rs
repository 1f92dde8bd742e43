//! The waitlist: joining a full day, leaving, and serving the line when a seat frees up
//! (decisions in `docs/adr/0004-waitlist.md`).
//!
//! Joining follows booking's fair-access path (proof of work and rate limits in the route, the
//! open-booking cap here) and writes the line first, then the case: an entry whose case never
//! arrives is withdrawn by the next serving pass, so a crash between the two heals itself.
//!
//! Serving is a loop of small steps, each decided on freshly read state and then carried out:
//! the first entry in line that a free slot fits gets a seat through the same schedule path as a
//! booking (per-day lock, expected stream version, the schedule's rule that a case holds at most
//! one seat), then the appointment in its case (at the case version the decision saw), then
//! `EntryServed` in the line. Every write is guarded, so two processes serving the same day at
//! once cannot give one seat to two people or two seats to one person; a step that loses a race
//! is decided again. A step that finds the seat already held for the entry only finishes the
//! records, which is how a crash between the writes is completed on the next pass.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use domain::case::LinkChannel;
use domain::case::{Appointment, Case, CaseChannel, CaseCommand, CaseError, CaseStatus, Contact};
use domain::catalogue::Service;
use domain::office::Office;
use domain::schedule::{ScheduleCommand, ScheduleError, ScheduleId};
use domain::waitlist::{self, Waitlist, WaitlistCommand, WaitlistError};
use domain::{Actor, CaseId, CitizenId, OfficeId, ServiceKey};
use store::repository::CommandError;
use store::{StoreError, StreamId};
use uuid::Uuid;

use super::{duration_of, not_bookable_reason, rule_error, schedule_error, BookingService};
use crate::capability::CapabilityToken;
use crate::local_time::{to_local, to_utc};
use crate::ApiError;

/// An entry whose case does not exist yet is still being joined for this long.
const IN_FLIGHT: Duration = Duration::minutes(2);
/// How many steps one serving pass takes at most (each serves or withdraws one entry).
const MAX_STEPS: usize = 1_000;
/// How often a write is decided again after a concurrent change.
const MAX_ATTEMPTS: usize = 20;

/// A request to wait for a seat on a full day, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWaitlistEntry {
    pub service: Service,
    pub office: OfficeId,
    pub date: NaiveDate,
    pub contact: Contact,
}

/// A recorded place in line.
#[derive(Debug, Clone)]
pub struct Waitlisted {
    pub case_id: CaseId,
    pub token: CapabilityToken,
    /// 1 for the first in line.
    pub position: u32,
}

/// What one serving step does, decided on the current line, schedule and cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Give the entry the seat at `start` (or, if `seat_held`, finish recording the seat it
    /// already holds).
    Serve {
        case_id: CaseId,
        service: ServiceKey,
        start: NaiveDateTime,
        duration_minutes: u32,
        seat_held: bool,
    },
    /// The entry's case left the line or never arrived: take it out.
    Withdraw { case_id: CaseId },
    /// Nothing to do until something changes.
    Idle,
}

/// How a serving step takes its seat. Only tests build the unchecked kind, as the negative
/// control of the concurrency checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatGuard {
    /// Through [`super::schedules::Schedules::execute`]: decided on the fresh day and appended
    /// at the version it was decided on.
    Checked,
    /// Appends the step's `SlotBooked` as decided, at whatever version the day has by then.
    /// Wrong on purpose.
    #[cfg(test)]
    Unchecked,
}

fn stream(office: &OfficeId, date: NaiveDate) -> Result<StreamId, ApiError> {
    Ok(StreamId::new(waitlist::stream_name(office, date))?)
}

fn waitlist_error(error: CommandError<WaitlistError>) -> ApiError {
    rule_error(error)
}

impl BookingService {
    /// The line of `office` on `date`.
    pub async fn waitlist(&self, office: &OfficeId, date: NaiveDate) -> Result<Waitlist, ApiError> {
        Ok(self
            .repo
            .load::<Waitlist>(&stream(office, date)?)
            .await
            .map_err(waitlist_error)?
            .state)
    }

    /// Puts a citizen in line for a full day and opens their case.
    pub async fn join_waitlist(
        &self,
        request: NewWaitlistEntry,
        now: DateTime<Utc>,
    ) -> Result<Waitlisted, ApiError> {
        let service = &request.service;
        if !service.video_allowed() {
            return Err(ApiError::NotBookable(not_bookable_reason(service)));
        }
        let office = self
            .office(&request.office)
            .await?
            .ok_or_else(|| ApiError::RuleViolated("the office does not exist".into()))?;
        let date = request.date;
        let today = to_local(now).date();
        if date < today {
            return Err(ApiError::RuleViolated(format!("{date} has passed")));
        }
        if date > today + Duration::days(i64::from(self.policy.horizon_days)) {
            return Err(ApiError::RuleViolated(format!(
                "the waitlist is open up to {} days ahead",
                self.policy.horizon_days
            )));
        }
        if office.day_setup(date).is_none() {
            return Err(ApiError::RuleViolated(format!(
                "the office is closed on {date}"
            )));
        }
        let free = self.free_slots(&office, service, date, now).await?;
        if let Some((first, _)) = free.first() {
            return Err(ApiError::SlotsAvailable(format!(
                "{} slots are still free on {date} (the first at {}); book one instead",
                free.len(),
                first.format("%H:%M")
            )));
        }
        let case_id = CaseId(Uuid::now_v7());
        self.open_bookings
            .reserve(&request.contact.email, case_id, now)
            .await?;
        let line = stream(&request.office, date)?;
        self.repo
            .execute_with_retry::<Waitlist>(
                &line,
                WaitlistCommand::Join {
                    office: request.office.clone(),
                    date,
                    case_id,
                    service: service.key.clone(),
                    duration_minutes: duration_of(service),
                    at: now,
                },
                MAX_ATTEMPTS,
            )
            .await
            .map_err(waitlist_error)?;
        let token = CapabilityToken::generate(case_id);
        let commands = vec![
            CaseCommand::Open {
                case_id,
                citizen_id: CitizenId(Uuid::now_v7()),
                service: Box::new(service.clone()),
                office: request.office.clone(),
                channel: CaseChannel::Video,
                contact: request.contact,
                actor: Actor::Citizen,
                at: now,
            },
            CaseCommand::JoinWaitlist {
                date,
                actor: Actor::Citizen,
                at: now,
            },
            CaseCommand::IssueAccessLink {
                token_sha256: token.hash(),
                via: LinkChannel::Booking,
                at: now,
            },
        ];
        let case_stream = StreamId::new(case_id.stream_name())?;
        if let Err(error) = self.repo.execute_all::<Case>(&case_stream, commands).await {
            self.withdraw(&request.office, date, case_id, now).await;
            return Err(rule_error(error));
        }
        let position = self
            .waitlist(&request.office, date)
            .await?
            .position(case_id)
            .unwrap_or(1);
        Ok(Waitlisted {
            case_id,
            token,
            position,
        })
    }

    /// Takes a waiting case out of line: the case first (the citizen's decision), then the line.
    /// Fails with `NotWaitlisted` if a seat was booked for the case meanwhile.
    pub(super) async fn leave_waitlist(
        &self,
        case_id: CaseId,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<(), CommandError<CaseError>> {
        let case_stream = StreamId::new(case_id.stream_name())?;
        let executed = self
            .repo
            .execute::<Case>(&case_stream, CaseCommand::LeaveWaitlist { actor, at: now })
            .await?;
        for event in &executed.events {
            if let domain::case::CaseEvent::LeftWaitlist { office, date, .. } = event {
                self.withdraw(office, *date, case_id, now).await;
            }
        }
        Ok(())
    }

    /// Takes an entry out of line; failures are logged (the next serving pass withdraws an
    /// entry whose case is not waiting).
    async fn withdraw(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) {
        let result = match stream(office, date) {
            Ok(line) => self
                .repo
                .execute_with_retry::<Waitlist>(
                    &line,
                    WaitlistCommand::Withdraw { case_id, at: now },
                    MAX_ATTEMPTS,
                )
                .await
                .map(|_| ())
                .or_else(|e| match e {
                    CommandError::Rejected(WaitlistError::NotWaiting) => Ok(()),
                    other => Err(rule_error(other)),
                }),
            Err(error) => Err(error),
        };
        if let Err(error) = result {
            tracing::warn!(%error, %case_id, "a waitlist entry could not be withdrawn");
        }
    }

    /// Serves the line of `office` on `date` until no entry fits a free slot. Returns how many
    /// steps changed something.
    pub async fn serve_waitlist(
        &self,
        office: &OfficeId,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<usize, ApiError> {
        let Some(profile) = self.office(office).await? else {
            return Ok(0);
        };
        let mut changed = 0;
        for _ in 0..MAX_STEPS {
            let step = self.decide_step(&profile, office, date, now).await?;
            if step == Step::Idle {
                return Ok(changed);
            }
            self.take_step(&profile, office, date, step, SeatGuard::Checked, now)
                .await?;
            changed += 1;
        }
        Ok(changed)
    }

    /// Decides the next step for the line of `office` on `date`, reading everything fresh.
    pub async fn decide_step(
        &self,
        profile: &Office,
        office: &OfficeId,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Step, ApiError> {
        if date < to_local(now).date() {
            // The day has passed: its entries expire unserved.
            return Ok(Step::Idle);
        }
        let line = self.waitlist(office, date).await?;
        if line.pending().is_empty() {
            return Ok(Step::Idle);
        }
        let id = ScheduleId::new(office.clone(), date);
        let setup = profile.day_setup(date);
        let schedule = self
            .schedules
            .current(&id, setup.as_ref(), now)
            .await
            .map_err(schedule_error)?;
        let earliest = now + Duration::minutes(i64::from(self.policy.lead_minutes));
        for entry in line.pending() {
            if let Some(seat) = schedule.booking(entry.case_id) {
                return Ok(Step::Serve {
                    case_id: entry.case_id,
                    service: entry.service.clone(),
                    start: seat.start,
                    duration_minutes: seat.duration_minutes,
                    seat_held: true,
                });
            }
            let case_stream = StreamId::new(entry.case_id.stream_name())?;
            let case = self
                .repo
                .load::<Case>(&case_stream)
                .await
                .map_err(rule_error)?
                .state;
            match case.status() {
                CaseStatus::Waitlisted => {}
                // Still being joined: nobody behind it goes first. Its `JoinedWaitlist` wakes
                // the follower again.
                CaseStatus::New if now - entry.joined_at < IN_FLIGHT => return Ok(Step::Idle),
                _ => {
                    return Ok(Step::Withdraw {
                        case_id: entry.case_id,
                    })
                }
            }
            let fitting = schedule
                .free_slots(entry.duration_minutes)
                .into_iter()
                .find(|(start, _)| to_utc(*start) >= earliest);
            if let Some((start, _)) = fitting {
                return Ok(Step::Serve {
                    case_id: entry.case_id,
                    service: entry.service.clone(),
                    start,
                    duration_minutes: entry.duration_minutes,
                    seat_held: false,
                });
            }
            // No free slot fits this entry's service: the next entry may fit.
        }
        Ok(Step::Idle)
    }

    /// Carries out `step`. A step that lost a race does nothing; the next decision sees why.
    pub async fn take_step(
        &self,
        profile: &Office,
        office: &OfficeId,
        date: NaiveDate,
        step: Step,
        guard: SeatGuard,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let (case_id, service, start, duration_minutes, seat_held) = match step {
            Step::Idle => return Ok(()),
            Step::Withdraw { case_id } => {
                self.withdraw(office, date, case_id, now).await;
                return Ok(());
            }
            Step::Serve {
                case_id,
                service,
                start,
                duration_minutes,
                seat_held,
            } => (case_id, service, start, duration_minutes, seat_held),
        };
        let id = ScheduleId::new(office.clone(), date);
        if !seat_held {
            let command = ScheduleCommand::BookSlot {
                case_id,
                service: service.clone(),
                start,
                duration_minutes,
                at: now,
            };
            let taken = match guard {
                SeatGuard::Checked => self
                    .schedules
                    .execute(&id, profile.day_setup(date).as_ref(), command, now)
                    .await
                    .map(|_| ()),
                #[cfg(test)]
                SeatGuard::Unchecked => {
                    self.append_unchecked(&id, case_id, service, start, duration_minutes, now)
                        .await
                }
            };
            match taken {
                Ok(()) => {}
                Err(CommandError::Rejected(
                    ScheduleError::Full { .. } | ScheduleError::CaseAlreadyBooked(_),
                )) => return Ok(()),
                Err(error) => return Err(schedule_error(error)),
            }
        }
        let appointment = Appointment {
            starts_at: to_utc(start),
            local_start: start,
            duration_minutes,
        };
        if !self.record_appointment(case_id, appointment, now).await? {
            // The citizen left meanwhile: the seat goes back, the entry out of line.
            self.release(&id, case_id, now).await;
            self.withdraw(office, date, case_id, now).await;
            return Ok(());
        }
        let served = self
            .repo
            .execute_with_retry::<Waitlist>(
                &stream(office, date)?,
                WaitlistCommand::Serve {
                    case_id,
                    start,
                    at: now,
                },
                MAX_ATTEMPTS,
            )
            .await;
        match served {
            Ok(_) | Err(CommandError::Rejected(WaitlistError::NotWaiting)) => Ok(()),
            Err(error) => Err(waitlist_error(error)),
        }
    }

    /// Books `appointment` into the case if it is still waiting, at the version it was seen
    /// waiting. True if the case now has this appointment, false if it left the line.
    async fn record_appointment(
        &self,
        case_id: CaseId,
        appointment: Appointment,
        now: DateTime<Utc>,
    ) -> Result<bool, ApiError> {
        let case_stream = StreamId::new(case_id.stream_name())?;
        for _ in 0..MAX_ATTEMPTS {
            let loaded = self
                .repo
                .load::<Case>(&case_stream)
                .await
                .map_err(rule_error)?;
            if loaded.state.appointment() == Some(&appointment) {
                return Ok(true);
            }
            if loaded.state.status() != CaseStatus::Waitlisted {
                return Ok(false);
            }
            let booked = self
                .repo
                .execute_at::<Case>(
                    &case_stream,
                    loaded.version,
                    CaseCommand::BookAppointment {
                        appointment,
                        actor: Actor::System,
                        at: now,
                    },
                )
                .await;
            match booked {
                Ok(_) => return Ok(true),
                Err(CommandError::Store(StoreError::Conflict { .. })) => continue,
                Err(error) => return Err(rule_error(error)),
            }
        }
        Err(ApiError::Conflict(
            "the case kept changing while a seat was recorded".into(),
        ))
    }

    /// The negative control: the decided `SlotBooked`, appended without looking at the day again.
    #[cfg(test)]
    async fn append_unchecked(
        &self,
        id: &ScheduleId,
        case_id: CaseId,
        service: ServiceKey,
        start: NaiveDateTime,
        duration_minutes: u32,
        now: DateTime<Utc>,
    ) -> Result<(), CommandError<ScheduleError>> {
        let event = domain::schedule::ScheduleEvent::SlotBooked {
            office: id.office.clone(),
            date: id.date,
            case_id,
            service,
            start,
            duration_minutes,
            at: now,
        };
        // The version is read now, not the one the decision was based on: the guard is skipped.
        let stream = StreamId::new(id.stream_name())?;
        let head = self
            .repo
            .events()
            .read_stream(&stream, 0)
            .await?
            .last()
            .map_or(0, |e| e.stream_version);
        self.repo
            .events()
            .append(
                &stream,
                store::ExpectedVersion::Exact(head),
                vec![store::repository::encode(&event)],
            )
            .await?;
        Ok(())
    }
}
