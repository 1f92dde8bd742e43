//! Booking: free slots, book, reschedule, cancel and check in, the steps that span an office,
//! a schedule day and a case.
//!
//! Order of writes and why: a booking takes the seat in the schedule stream first (the
//! consistency boundary, see [`schedules`]), then reserves one of the e-mail address's open
//! bookings ([`open_bookings`]), then opens the case with its appointment and the
//! capability link's hash in one atomic append. If the case append fails, the seat is given back.
//! A crash between the two appends leaves a held seat without a case (it shows in the schedule as
//! a booking whose case stream does not exist); a reconciler for that is future work.
//! Cancelling records the citizen's decision in the case first and then frees the seat.
//!
//! The waitlist ([`waitlist`], served by [`waitlist_follower`]) gives a seat that frees up on a
//! full day to the first citizen in line.
//!
//! Fair access: a proof of work per booking ([`pow`]), rate limits per client address and per
//! e-mail address, and a cap on open bookings per e-mail address ([`open_bookings`]).

pub mod open_bookings;
pub mod pow;
pub mod reconcile;
pub mod schedules;
pub mod waitlist;
pub mod waitlist_follower;

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use domain::case::{Appointment, Case, CaseChannel, CaseCommand, CaseError, Contact, LinkChannel};
use domain::catalogue::Service;
use domain::office::{DaySetup, Office};
use domain::schedule::{ScheduleCommand, ScheduleError, ScheduleId};
use domain::{Actor, CaseId, CitizenId, OfficeId};
use store::repository::{CommandError, Repository};
use store::{EventStore, StreamId};
use uuid::Uuid;

use crate::capability::CapabilityToken;
use crate::local_time::{to_local, to_utc};
use crate::rate_limit::RateLimiter;
use crate::settings::Settings;
use crate::ApiError;

use self::open_bookings::OpenBookings;
use self::pow::ProofOfWork;
use self::schedules::Schedules;

/// The rules of fair access and the booking window (`[booking]` in the settings file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BookingPolicy {
    /// Leading zero bits the proof of work needs (`BUERGERAMT_BOOKING_POW_BITS`, default 16).
    pub pow_bits: u8,
    /// How far ahead an appointment must start (`BUERGERAMT_BOOKING_LEAD_MINUTES`, default 30).
    pub lead_minutes: u32,
    /// How many days ahead can be booked (`BUERGERAMT_BOOKING_HORIZON_DAYS`, default 60).
    pub horizon_days: u32,
    /// Bookings per client address per hour (`BUERGERAMT_BOOKINGS_PER_CLIENT_HOUR`, default 20).
    pub per_client_per_hour: u32,
    /// Bookings per e-mail address per day (`BUERGERAMT_BOOKINGS_PER_EMAIL_DAY`, default 5).
    pub per_email_per_day: u32,
    /// Open bookings one e-mail address may hold (`BUERGERAMT_OPEN_BOOKINGS_PER_EMAIL`, default 3).
    pub max_open_per_email: u32,
    /// Minutes after an appointment's start before a citizen who never checked in is closed as
    /// a no-show (`BUERGERAMT_BOOKING_NO_SHOW_GRACE_MINUTES`, default 15).
    pub no_show_grace_minutes: u32,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        Self {
            pow_bits: 16,
            lead_minutes: 30,
            horizon_days: 60,
            per_client_per_hour: 20,
            per_email_per_day: 5,
            max_open_per_email: 3,
            no_show_grace_minutes: 15,
        }
    }
}

impl From<&Settings> for BookingPolicy {
    fn from(settings: &Settings) -> Self {
        settings.booking
    }
}

/// A booking as the citizen asked for it, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub service: Service,
    pub office: OfficeId,
    /// Office wall-clock time.
    pub start: NaiveDateTime,
    pub contact: Contact,
}

/// A recorded booking.
#[derive(Debug, Clone)]
pub struct Booked {
    pub case_id: CaseId,
    pub token: CapabilityToken,
    pub appointment: Appointment,
}

/// Booking for one process: the schedule days, the proof-of-work issuer and the limits.
#[derive(Debug)]
pub struct BookingService {
    repo: Repository,
    pub schedules: Schedules,
    pub pow: ProofOfWork,
    pub policy: BookingPolicy,
    per_client: RateLimiter,
    per_email: RateLimiter,
    open_bookings: OpenBookings,
}

/// The planned minutes of a service (the upper end of its range; 15 when the catalogue does not
/// know).
pub fn duration_of(service: &Service) -> u32 {
    service.duration_minutes.map(|d| d.max).unwrap_or(15).max(1)
}

/// A short reference for the phone and letters (`A1B2-C3D4`), from the random end of the case id.
pub fn reference(case_id: CaseId) -> String {
    let hex = case_id.as_uuid().simple().to_string().to_uppercase();
    format!("{}-{}", &hex[24..28], &hex[28..32])
}

impl BookingService {
    pub fn new(
        events: std::sync::Arc<dyn EventStore>,
        key: crate::backend::DerivedKey,
        policy: BookingPolicy,
    ) -> Self {
        Self {
            repo: Repository::new(events.clone()),
            schedules: Schedules::new(events.clone()),
            pow: ProofOfWork::new(key.for_purpose("booking/proof-of-work"), policy.pow_bits),
            per_client: RateLimiter::new(policy.per_client_per_hour, StdDuration::from_secs(3600)),
            per_email: RateLimiter::new(policy.per_email_per_day, StdDuration::from_secs(86_400)),
            open_bookings: OpenBookings::new(
                events,
                key.for_purpose("booking/open-bookings"),
                policy.max_open_per_email,
            ),
            policy,
        }
    }

    pub fn repository(&self) -> &Repository {
        &self.repo
    }

    /// The office, if registered.
    pub async fn office(&self, office: &OfficeId) -> Result<Option<Office>, ApiError> {
        let stream = StreamId::new(office.stream_name())?;
        let loaded = self
            .repo
            .load::<Office>(&stream)
            .await
            .map_err(rule_error)?;
        Ok(loaded.state.profile().is_some().then_some(loaded.state))
    }

    /// Checks that `start` lies in the booking window and the office opens that day.
    fn bookable_day(
        &self,
        office: &Office,
        start: NaiveDateTime,
        now: DateTime<Utc>,
    ) -> Result<DaySetup, ApiError> {
        let earliest = now + Duration::minutes(i64::from(self.policy.lead_minutes));
        if to_utc(start) < earliest {
            return Err(ApiError::RuleViolated(format!(
                "appointments must start at least {} minutes from now",
                self.policy.lead_minutes
            )));
        }
        let last_day = to_local(now).date() + Duration::days(i64::from(self.policy.horizon_days));
        if start.date() > last_day {
            return Err(ApiError::RuleViolated(format!(
                "appointments can be booked up to {} days ahead",
                self.policy.horizon_days
            )));
        }
        office.day_setup(start.date()).ok_or_else(|| {
            ApiError::RuleViolated(format!("the office is closed on {}", start.date()))
        })
    }

    /// Counts one booking attempt against the client's and the e-mail address's limits.
    pub fn check_rate(&self, client: &str, email: &str) -> Result<(), ApiError> {
        self.per_client
            .check(client)
            .map_err(|r| ApiError::TooManyRequests {
                retry_after_secs: r.seconds(),
            })?;
        self.per_email
            .check(&normalized_email(email))
            .map_err(|r| ApiError::TooManyRequests {
                retry_after_secs: r.seconds(),
            })
    }

    /// Books a video appointment and opens its case.
    pub async fn book(&self, request: NewBooking, now: DateTime<Utc>) -> Result<Booked, ApiError> {
        let service = &request.service;
        if !service.video_allowed() {
            return Err(ApiError::NotBookable(not_bookable_reason(service)));
        }
        let office = self
            .office(&request.office)
            .await?
            .ok_or_else(|| ApiError::RuleViolated("the office does not exist".into()))?;
        let setup = self.bookable_day(&office, request.start, now)?;
        let case_id = CaseId(Uuid::now_v7());
        let duration = duration_of(service);
        let schedule = ScheduleId::new(request.office.clone(), request.start.date());
        self.schedules
            .execute(
                &schedule,
                Some(&setup),
                ScheduleCommand::BookSlot {
                    case_id,
                    service: service.key.clone(),
                    start: request.start,
                    duration_minutes: duration,
                    at: now,
                },
                now,
            )
            .await
            .map_err(schedule_error)?;
        if let Err(error) = self
            .open_bookings
            .reserve(&request.contact.email, case_id, now)
            .await
        {
            self.release(&schedule, case_id, now).await;
            return Err(error);
        }
        let appointment = Appointment {
            starts_at: to_utc(request.start),
            local_start: request.start,
            duration_minutes: duration,
        };
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
            CaseCommand::BookAppointment {
                appointment,
                actor: Actor::Citizen,
                at: now,
            },
            CaseCommand::IssueAccessLink {
                token_sha256: token.hash(),
                via: LinkChannel::Booking,
                at: now,
            },
        ];
        let stream = StreamId::new(case_id.stream_name())?;
        if let Err(error) = self.repo.execute_all::<Case>(&stream, commands).await {
            self.release(&schedule, case_id, now).await;
            return Err(rule_error(error));
        }
        Ok(Booked {
            case_id,
            token,
            appointment,
        })
    }

    /// Gives a case's seat back; failures are logged (the case already records the decision).
    async fn release(&self, schedule: &ScheduleId, case_id: CaseId, now: DateTime<Utc>) {
        let result = self
            .schedules
            .execute(
                schedule,
                None,
                ScheduleCommand::ReleaseSlot { case_id, at: now },
                now,
            )
            .await;
        if let Err(error) = result {
            tracing::error!(%error, schedule = %schedule, %case_id, "a seat could not be released");
        }
    }

    /// Moves the appointment of a case (before check-in) to `start`, on the same day or another.
    pub async fn reschedule(
        &self,
        case_id: CaseId,
        start: NaiveDateTime,
        now: DateTime<Utc>,
    ) -> Result<Appointment, ApiError> {
        let stream = StreamId::new(case_id.stream_name())?;
        let case = self
            .repo
            .load::<Case>(&stream)
            .await
            .map_err(rule_error)?
            .state;
        let (Some(facts), Some(previous)) = (case.facts(), case.appointment().copied()) else {
            return Err(ApiError::RuleViolated(CaseError::NoAppointment.to_string()));
        };
        if case.ever_checked_in() {
            return Err(ApiError::RuleViolated(
                CaseError::AlreadyCheckedIn.to_string(),
            ));
        }
        let office = self
            .office(&facts.office)
            .await?
            .ok_or_else(|| ApiError::RuleViolated("the office does not exist".into()))?;
        let setup = self.bookable_day(&office, start, now)?;
        let duration = previous.duration_minutes;
        let old_day = ScheduleId::new(facts.office.clone(), previous.local_date());
        let new_day = ScheduleId::new(facts.office.clone(), start.date());
        let same_day = old_day == new_day;
        let seat = if same_day {
            ScheduleCommand::MoveSlot {
                case_id,
                start,
                duration_minutes: duration,
                at: now,
            }
        } else {
            ScheduleCommand::BookSlot {
                case_id,
                service: facts.service.clone(),
                start,
                duration_minutes: duration,
                at: now,
            }
        };
        self.schedules
            .execute(&new_day, Some(&setup), seat, now)
            .await
            .map_err(schedule_error)?;
        let appointment = Appointment {
            starts_at: to_utc(start),
            local_start: start,
            duration_minutes: duration,
        };
        let moved = self
            .repo
            .execute::<Case>(
                &stream,
                CaseCommand::RescheduleAppointment {
                    appointment,
                    actor: Actor::Citizen,
                    at: now,
                },
            )
            .await;
        if let Err(error) = moved {
            // Undo the seat change so the old appointment keeps its seat.
            let undo = if same_day {
                ScheduleCommand::MoveSlot {
                    case_id,
                    start: previous.local_start,
                    duration_minutes: duration,
                    at: now,
                }
            } else {
                ScheduleCommand::ReleaseSlot { case_id, at: now }
            };
            if let Err(undo_error) = self.schedules.execute(&new_day, None, undo, now).await {
                tracing::error!(error = %undo_error, %case_id, "a seat change could not be undone");
            }
            return Err(rule_error(error));
        }
        if !same_day {
            self.release(&old_day, case_id, now).await;
        }
        Ok(appointment)
    }

    /// Cancels the appointment of a case (before check-in) and frees its seat; a case on a
    /// waitlist leaves the line instead.
    pub async fn cancel(
        &self,
        case_id: CaseId,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let stream = StreamId::new(case_id.stream_name())?;
        let status = self
            .repo
            .load::<Case>(&stream)
            .await
            .map_err(rule_error)?
            .state
            .status();
        if status == domain::case::CaseStatus::Waitlisted {
            match self.leave_waitlist(case_id, actor, now).await {
                Ok(()) => return Ok(()),
                // A seat was found meanwhile: cancel that appointment instead.
                Err(CommandError::Rejected(CaseError::NotWaitlisted)) => {}
                Err(error) => return Err(rule_error(error)),
            }
        }
        let executed = self
            .repo
            // A concurrent append (the notifier recording a mail) must not turn a cancellation
            // into a 409: the case decides again on the fresh state.
            .execute_with_retry::<Case>(
                &stream,
                CaseCommand::CancelAppointment { actor, at: now },
                3,
            )
            .await
            .map_err(rule_error)?;
        for event in &executed.events {
            if let domain::case::CaseEvent::AppointmentCancelled {
                office,
                appointment,
                ..
            } = event
            {
                let day = ScheduleId::new(office.clone(), appointment.local_date());
                self.release(&day, case_id, now).await;
            }
        }
        Ok(())
    }

    /// The citizen enters the waiting room.
    pub async fn check_in(&self, case_id: CaseId, now: DateTime<Utc>) -> Result<(), ApiError> {
        let stream = StreamId::new(case_id.stream_name())?;
        self.repo
            .execute_with_retry::<Case>(&stream, CaseCommand::CheckIn { at: now }, 3)
            .await
            .map_err(rule_error)?;
        Ok(())
    }

    /// The free starts of `service` at `office` on `date`, within the booking window.
    pub async fn free_slots(
        &self,
        office: &Office,
        service: &Service,
        date: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Vec<(NaiveDateTime, u32)>, ApiError> {
        let Some(id) = office
            .profile()
            .map(|p| ScheduleId::new(p.id.clone(), date))
        else {
            return Ok(Vec::new());
        };
        // A closed date (or a weekday the office no longer opens) has no free slots, even if
        // its schedule day was opened before the change; booking refuses it the same way.
        let Some(setup) = office.day_setup(date) else {
            return Ok(Vec::new());
        };
        let schedule = self
            .schedules
            .current(&id, Some(&setup), now)
            .await
            .map_err(schedule_error)?;
        let earliest = now + Duration::minutes(i64::from(self.policy.lead_minutes));
        let last_day = to_local(now).date() + Duration::days(i64::from(self.policy.horizon_days));
        if date > last_day {
            return Ok(Vec::new());
        }
        Ok(schedule
            .free_slots(duration_of(service))
            .into_iter()
            .filter(|(start, _)| to_utc(*start) >= earliest)
            .collect())
    }
}

/// The e-mail address as a key: trimmed and lower-cased.
pub fn normalized_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Why a service cannot be booked by video, for the citizen.
pub fn not_bookable_reason(service: &Service) -> String {
    match service.channel() {
        domain::catalogue::Channel::InPerson { reason } => format!(
            "{} needs a visit to an office in person: {reason}. Book an appointment at the counter instead.",
            service.name_en
        ),
        _ => format!("{} cannot be done by video", service.name_en),
    }
}

/// Maps a refused schedule command: a full slot is `slot-taken`, other rules `rule-violated`.
pub fn schedule_error(error: CommandError<ScheduleError>) -> ApiError {
    match error {
        CommandError::Rejected(ScheduleError::Full { .. }) => {
            ApiError::SlotTaken("this time is no longer free; pick another".into())
        }
        CommandError::Rejected(ScheduleError::DayNotOpened) => {
            ApiError::RuleViolated("the office takes no bookings on this day".into())
        }
        other => rule_error(other),
    }
}

/// Maps a refused command of any aggregate: the rule's text as `rule-violated` (422).
pub fn rule_error<E: std::error::Error + Send + Sync + 'static>(
    error: CommandError<E>,
) -> ApiError {
    match error {
        CommandError::Rejected(rule) => ApiError::RuleViolated(rule.to_string()),
        CommandError::Store(store) => store.into(),
        decode @ CommandError::Decode { .. } => ApiError::Internal(decode.into()),
    }
}

#[cfg(test)]
mod tests;
