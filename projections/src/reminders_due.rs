//! `reminders_due`: one row per case with a booked appointment for which the citizen has not
//! checked in and which is neither cancelled nor closed, partitioned by the UTC day the
//! appointment starts. The reminder loop reads the partitions of the next few days instead of
//! every case; it decides by the clock which rows are due, because a projection is a pure
//! function of events and cannot know the time.
//!
//! A row of an appointment that has started stays until the case moves on (check-in, no-show
//! closing); the reminder loop ignores it because its start lies in the past. No personal data:
//! the loop loads the case for the contact.

use chrono::{DateTime, NaiveDate, Utc};
use domain::case::{Appointment, CaseEvent};
use domain::{DomainEvent, PersonalInput};
use serde::{Deserialize, Serialize};
use store::read_model::Row;
use store::{Personal, ReadModelStore, RecordedEvent};

use crate::{Change, Projection, ProjectionError};

pub const NAME: &str = "reminders_due";

/// One row: a booked appointment that may still need a reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderDue {
    pub case_id: String,
    pub appointment: Appointment,
    /// When this appointment was booked or moved here (a booking inside the reminder window
    /// needs no reminder: the confirmation has just gone out).
    pub booked_at: DateTime<Utc>,
    /// True once a reminder went out for exactly this appointment.
    pub reminded: bool,
    /// The case stream's version this row reflects.
    pub version: u64,
}

/// The partition of an appointment starting at `starts_at`: its UTC day, `YYYY-MM-DD`.
pub fn partition_of(starts_at: DateTime<Utc>) -> String {
    day_partition(starts_at.date_naive())
}

fn day_partition(day: NaiveDate) -> String {
    day.to_string()
}

/// The reminders projection.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemindersDueProjection;

impl Projection for RemindersDueProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn key(&self, event: &RecordedEvent) -> Option<String> {
        let key = event.stream_id.as_str().strip_prefix("case-")?;
        // Only these events change a row; every other case event is skipped without decoding.
        matches!(
            event.event_type.as_str(),
            "AppointmentBooked"
                | "AppointmentRescheduled"
                | "AppointmentCancelled"
                | "ReminderSent"
                | "CheckedIn"
                | "CaseClosed"
        )
        .then(|| key.to_owned())
    }

    fn apply(
        &self,
        current: Option<&Row>,
        event: &RecordedEvent,
    ) -> Result<Change, ProjectionError> {
        let decoded = decode(event)?;
        let current = current.map(parse).transpose()?;
        let next = match decoded {
            CaseEvent::AppointmentBooked {
                case_id,
                appointment,
                at,
                ..
            }
            | CaseEvent::AppointmentRescheduled {
                case_id,
                appointment,
                at,
                ..
            } => ReminderDue {
                case_id: case_id.to_string(),
                appointment,
                booked_at: at,
                reminded: false,
                version: event.stream_version,
            },
            CaseEvent::ReminderSent { appointment, .. } => match current {
                Some(mut row) => {
                    row.reminded |= row.appointment == appointment;
                    row.version = event.stream_version;
                    row
                }
                None => return Ok(Change::Unchanged),
            },
            CaseEvent::AppointmentCancelled { .. }
            | CaseEvent::CheckedIn { .. }
            | CaseEvent::CaseClosed { .. } => {
                return Ok(if current.is_some() {
                    Change::Delete
                } else {
                    Change::Unchanged
                })
            }
            _ => return Ok(Change::Unchanged),
        };
        let doc = serde_json::to_value(&next).map_err(|e| ProjectionError::MalformedRow {
            key: next.case_id.clone(),
            reason: e.to_string(),
        })?;
        Ok(Change::Upsert {
            partition: Some(partition_of(next.appointment.starts_at)),
            doc,
        })
    }
}

/// Decodes a stored case event; personal data is not needed and not kept.
fn decode(event: &RecordedEvent) -> Result<CaseEvent, ProjectionError> {
    let personal = match &event.personal {
        Personal::None => PersonalInput::None,
        Personal::Present { plaintext, .. } => PersonalInput::Present(plaintext),
        Personal::Erased { .. } => PersonalInput::Erased,
    };
    CaseEvent::decode(
        &event.event_type,
        event.schema_version,
        &event.payload,
        personal,
    )
    .map_err(|e| ProjectionError::Decode {
        position: event.cursor.position,
        event_type: event.event_type.clone(),
        reason: e.to_string(),
    })
}

fn parse(row: &Row) -> Result<ReminderDue, ProjectionError> {
    serde_json::from_value(row.doc.clone()).map_err(|e| ProjectionError::MalformedRow {
        key: row.key.clone(),
        reason: e.to_string(),
    })
}

/// The rows whose appointment starts in `(after, until]`, in start order. Reads only the
/// partitions of the UTC days in that window.
pub async fn starting_between(
    models: &dyn ReadModelStore,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<ReminderDue>, ProjectionError> {
    let mut due = Vec::new();
    let mut day = after.date_naive();
    while day <= until.date_naive() {
        for row in models.rows(NAME, Some(&day_partition(day))).await? {
            let row = parse(&row)?;
            let starts_at = row.appointment.starts_at;
            if starts_at > after && starts_at <= until {
                due.push(row);
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    due.sort_by(|a, b| {
        (a.appointment.starts_at, &a.case_id).cmp(&(b.appointment.starts_at, &b.case_id))
    });
    Ok(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::case::{CaseCommand, Outcome};
    use domain::catalogue::Catalogue;
    use domain::{Actor, Aggregate, Case, OfficeId};
    use store::repository::encode;
    use store::{Cursor, StreamId};

    /// Folds `commands` through the real aggregate and the projection; returns the last change.
    fn project(commands: Vec<CaseCommand>) -> Option<Row> {
        let catalogue = Catalogue::default_catalogue().unwrap();
        let service = catalogue.services()[0].clone();
        let start = DateTime::parse_from_rfc3339("2026-11-24T09:30:00Z")
            .unwrap()
            .to_utc();
        let (case_id, opened) = domain::fixtures::case_history(
            0,
            &service,
            &OfficeId::parse("potsdam-mitte").unwrap(),
            start,
        )
        .unwrap();
        // Stage 0 of the fixture: opened and booked.
        let mut case = Case::default();
        let mut events: Vec<CaseEvent> = opened;
        for event in &events {
            case.apply(event);
        }
        for command in commands {
            let decided = case.handle(command).unwrap();
            for event in &decided {
                case.apply(event);
            }
            events.extend(decided);
        }
        let stream = StreamId::new(case_id.stream_name()).unwrap();
        let mut row: Option<Row> = None;
        for (i, event) in events.iter().enumerate() {
            let new = encode(event);
            let recorded = RecordedEvent {
                cursor: Cursor {
                    tx_id: 0,
                    position: i as u64 + 1,
                },
                stream_id: stream.clone(),
                stream_version: i as u64 + 1,
                event_id: new.event_id,
                event_type: new.event_type,
                schema_version: new.schema_version,
                payload: new.payload,
                personal: match new.personal {
                    Some(p) => Personal::Present {
                        subject: p.subject,
                        plaintext: p.plaintext,
                    },
                    None => Personal::None,
                },
                recorded_at: event.at(),
                prev_hash: [0; 32],
                hash: [0; 32],
            };
            let projection = RemindersDueProjection;
            let Some(key) = projection.key(&recorded) else {
                continue;
            };
            row = match projection.apply(row.as_ref(), &recorded).unwrap() {
                Change::Upsert { partition, doc } => Some(Row {
                    key,
                    partition,
                    doc,
                }),
                Change::Delete => None,
                Change::Unchanged => row,
            };
        }
        row
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn a_booked_case_has_a_row_in_the_partition_of_its_utc_day() {
        let row = project(vec![]).expect("a row");
        assert_eq!(row.partition.as_deref(), Some("2026-11-24"));
        let due = parse(&row).unwrap();
        assert!(!due.reminded);
        assert_eq!(due.appointment.starts_at, at("2026-11-24T09:30:00Z"));
    }

    #[test]
    fn a_reminder_marks_the_row_and_a_reschedule_clears_the_mark() {
        let reminded = project(vec![CaseCommand::SendReminder {
            at: at("2026-11-23T10:00:00Z"),
        }])
        .unwrap();
        assert!(parse(&reminded).unwrap().reminded);
        let moved = project(vec![
            CaseCommand::SendReminder {
                at: at("2026-11-23T10:00:00Z"),
            },
            CaseCommand::RescheduleAppointment {
                appointment: domain::case::Appointment {
                    starts_at: at("2026-11-26T09:30:00Z"),
                    local_start: at("2026-11-26T10:30:00Z").naive_utc(),
                    duration_minutes: 15,
                },
                actor: Actor::Citizen,
                at: at("2026-11-23T11:00:00Z"),
            },
        ])
        .unwrap();
        let due = parse(&moved).unwrap();
        assert!(!due.reminded);
        assert_eq!(moved.partition.as_deref(), Some("2026-11-26"));
    }

    #[test]
    fn check_in_cancellation_and_closing_remove_the_row() {
        let checked_in = project(vec![CaseCommand::CheckIn {
            at: at("2026-11-24T09:25:00Z"),
        }]);
        assert_eq!(checked_in, None);
        let cancelled = project(vec![CaseCommand::CancelAppointment {
            actor: Actor::Citizen,
            at: at("2026-11-20T10:00:00Z"),
        }]);
        assert_eq!(cancelled, None);
        let closed = project(vec![CaseCommand::Close {
            outcome: Outcome::Cancelled,
            actor: Actor::Citizen,
            at: at("2026-11-20T10:00:00Z"),
        }]);
        assert_eq!(closed, None);
    }
}
