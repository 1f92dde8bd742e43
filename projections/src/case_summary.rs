//! `case_summary`: one row per case with its status, appointment, waiting times, documents and
//! fee state, partitioned by office and appointment day so that "today's queue of office X" is
//! one partition read. It holds no personal data: names stay sealed in the event store.

use chrono::{DateTime, NaiveDate, Utc};
use domain::case::{Appointment, CaseChannel, CaseEvent, IdentityMethod, Outcome};
use domain::{DomainEvent, OfficeId, PersonalInput};
use serde::{Deserialize, Serialize};
use store::read_model::Row;
use store::{Personal, ReadModelStore, RecordedEvent};

use crate::{Change, Projection, ProjectionError};

pub const NAME: &str = "case_summary";

/// Where a case stands, as the clerks' queue shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Opened,
    Booked,
    AppointmentCancelled,
    Waiting,
    Held,
    Admitted,
    SentBack,
    InCall,
    CallEnded,
    Closed,
}

/// The state of the case's fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeState {
    None,
    Assessed,
    PaymentStarted,
    Paid,
    Waived,
    Refunded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Documents {
    pub requested: Vec<String>,
    pub uploaded: u32,
    pub accepted: u32,
    pub rejected: u32,
}

/// One row of the read model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub case_id: String,
    pub service: String,
    pub office: String,
    pub channel: CaseChannel,
    pub status: Status,
    pub appointment: Option<Appointment>,
    pub reminded: bool,
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Since when the citizen waits in the waiting room (reset when sent back or called).
    pub waiting_since: Option<DateTime<Utc>>,
    pub admitted_at: Option<DateTime<Utc>>,
    pub call_started_at: Option<DateTime<Utc>>,
    pub call_ended_at: Option<DateTime<Utc>>,
    pub identity_checked: Option<IdentityMethod>,
    pub documents: Documents,
    pub fee_cents: Option<i64>,
    pub fee: FeeState,
    pub result_issued: bool,
    pub outcome: Option<Outcome>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The case stream's version this row reflects.
    pub version: u64,
}

impl CaseSummary {
    /// The partition of the row: `office/YYYY-MM-DD` of the appointment, or `office/unscheduled`.
    pub fn partition(&self) -> String {
        match &self.appointment {
            Some(a) => partition(&self.office, a.local_date()),
            None => format!("{}/unscheduled", self.office),
        }
    }
}

fn partition(office: &str, day: NaiveDate) -> String {
    format!("{office}/{day}")
}

/// The case summary projection.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseSummaryProjection;

/// Decodes a stored case event. Personal data is not needed here, so it is never decrypted into
/// the read model; erased events decode the same way.
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

impl Projection for CaseSummaryProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn key(&self, event: &RecordedEvent) -> Option<String> {
        event
            .stream_id
            .as_str()
            .strip_prefix("case-")
            .map(str::to_owned)
    }

    fn apply(
        &self,
        current: Option<&Row>,
        event: &RecordedEvent,
    ) -> Result<Change, ProjectionError> {
        let decoded = decode(event)?;
        let current = match current {
            Some(row) => Some(
                serde_json::from_value::<CaseSummary>(row.doc.clone()).map_err(|e| {
                    ProjectionError::MalformedRow {
                        key: row.key.clone(),
                        reason: e.to_string(),
                    }
                })?,
            ),
            None => None,
        };
        let Some(mut next) = evolve(current, &decoded) else {
            return Ok(Change::Unchanged);
        };
        next.version = event.stream_version;
        next.updated_at = decoded.at();
        let doc = serde_json::to_value(&next).map_err(|e| ProjectionError::MalformedRow {
            key: next.case_id.clone(),
            reason: e.to_string(),
        })?;
        Ok(Change::Upsert {
            partition: Some(next.partition()),
            doc,
        })
    }
}

/// The next row for `event`; `None` if the case was never opened (an event stream that does not
/// start with `CaseOpened` is ignored rather than invented).
fn evolve(current: Option<CaseSummary>, event: &CaseEvent) -> Option<CaseSummary> {
    use CaseEvent as E;
    if let E::CaseOpened {
        case_id,
        service,
        office,
        channel,
        at,
        ..
    } = event
    {
        return Some(CaseSummary {
            case_id: case_id.to_string(),
            service: service.as_str().to_owned(),
            office: office.as_str().to_owned(),
            channel: *channel,
            status: Status::Opened,
            appointment: None,
            reminded: false,
            checked_in_at: None,
            waiting_since: None,
            admitted_at: None,
            call_started_at: None,
            call_ended_at: None,
            identity_checked: None,
            documents: Documents::default(),
            fee_cents: None,
            fee: FeeState::None,
            result_issued: false,
            outcome: None,
            opened_at: *at,
            updated_at: *at,
            version: 0,
        });
    }
    let mut s = current?;
    match event {
        E::CaseOpened { .. } => {}
        E::AppointmentBooked { appointment, .. }
        | E::AppointmentRescheduled { appointment, .. } => {
            s.appointment = Some(*appointment);
            s.status = Status::Booked;
            s.reminded = false;
        }
        E::AppointmentCancelled { .. } => s.status = Status::AppointmentCancelled,
        E::ReminderSent { .. } => s.reminded = true,
        E::CheckedIn { at, .. } => {
            s.status = Status::Waiting;
            s.checked_in_at = Some(*at);
            s.waiting_since = Some(*at);
        }
        E::Admitted { at, .. } => {
            s.status = Status::Admitted;
            s.admitted_at = Some(*at);
        }
        E::Held { .. } => s.status = Status::Held,
        E::SentBack { .. } => {
            s.status = Status::SentBack;
            s.waiting_since = None;
        }
        E::CallStarted { at, .. } => {
            s.status = Status::InCall;
            s.call_started_at = Some(*at);
            s.waiting_since = None;
        }
        E::CallEnded { at, .. } => {
            s.status = Status::CallEnded;
            s.call_ended_at = Some(*at);
        }
        E::IdentityChecked { method, .. } => s.identity_checked = Some(*method),
        E::DocumentsRequested { document_types, .. } => {
            for t in document_types {
                let t = t.as_str().to_owned();
                if !s.documents.requested.contains(&t) {
                    s.documents.requested.push(t);
                }
            }
        }
        E::DocumentUploaded { .. } => s.documents.uploaded += 1,
        E::DocumentAccepted { .. } => s.documents.accepted += 1,
        E::DocumentRejected { .. } => s.documents.rejected += 1,
        E::FeeAssessed { amount, .. } => {
            s.fee_cents = Some(amount.0);
            s.fee = FeeState::Assessed;
        }
        E::PaymentStarted { .. } => s.fee = FeeState::PaymentStarted,
        E::FeePaid { .. } => s.fee = FeeState::Paid,
        E::FeeWaived { .. } => s.fee = FeeState::Waived,
        E::FeeRefunded { .. } => s.fee = FeeState::Refunded,
        E::ResultIssued { .. } => s.result_issued = true,
        // A waitlisted case stays `opened` here until a seat is booked for it.
        E::NoteAdded { .. }
        | E::AccessLinkIssued { .. }
        | E::CallInviteIssued { .. }
        | E::NotificationSent { .. }
        | E::JoinedWaitlist { .. }
        | E::LeftWaitlist { .. } => {}
        E::CaseClosed { outcome, .. } => {
            s.status = Status::Closed;
            s.outcome = Some(*outcome);
            s.waiting_since = None;
        }
    }
    Some(s)
}

/// One case's summary.
pub async fn get(
    models: &dyn ReadModelStore,
    case_id: &str,
) -> Result<Option<CaseSummary>, ProjectionError> {
    match models.row(NAME, case_id).await? {
        Some(row) => Ok(Some(parse(row)?)),
        None => Ok(None),
    }
}

/// An office's cases with an appointment on `day`, in appointment order.
pub async fn queue(
    models: &dyn ReadModelStore,
    office: &OfficeId,
    day: NaiveDate,
) -> Result<Vec<CaseSummary>, ProjectionError> {
    let rows = models
        .rows(NAME, Some(&partition(office.as_str(), day)))
        .await?;
    let mut cases = rows.into_iter().map(parse).collect::<Result<Vec<_>, _>>()?;
    cases.sort_by(|a, b| {
        let start = |c: &CaseSummary| c.appointment.map(|a| a.starts_at);
        start(a).cmp(&start(b)).then(a.case_id.cmp(&b.case_id))
    });
    Ok(cases)
}

fn parse(row: Row) -> Result<CaseSummary, ProjectionError> {
    serde_json::from_value(row.doc).map_err(|e| ProjectionError::MalformedRow {
        key: row.key,
        reason: e.to_string(),
    })
}
