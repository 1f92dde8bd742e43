//! `offices`: one row per registered office (name, address, weekly hours, grid, seats, closing
//! days), for the office list of the booking page and the admin pages. The office stream stays
//! the authority: booking decisions load it, never this row.

use chrono::NaiveDate;
use domain::office::{OfficeEvent, WeeklyHours};
use serde::{Deserialize, Serialize};
use store::read_model::Row;
use store::{ReadModelStore, RecordedEvent};

use crate::{Change, Projection, ProjectionError};

pub const NAME: &str = "offices";

/// One office as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfficeView {
    pub id: String,
    pub name: String,
    pub address: String,
    pub hours: WeeklyHours,
    pub slot_minutes: u32,
    pub seats: u32,
    pub closed_days: Vec<NaiveDate>,
    /// The office stream's version this row reflects.
    pub version: u64,
}

/// The offices projection.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfficesProjection;

impl Projection for OfficesProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn key(&self, event: &RecordedEvent) -> Option<String> {
        event
            .stream_id
            .as_str()
            .strip_prefix("office-")
            .map(str::to_owned)
    }

    fn apply(
        &self,
        current: Option<&Row>,
        event: &RecordedEvent,
    ) -> Result<Change, ProjectionError> {
        let decoded: OfficeEvent =
            store::repository::decode(event).map_err(|e| ProjectionError::Decode {
                position: event.cursor.position,
                event_type: event.event_type.clone(),
                reason: e.to_string(),
            })?;
        let current = current.map(parse).transpose()?;
        let next = match (current, decoded) {
            (
                _,
                OfficeEvent::OfficeRegistered {
                    office,
                    name,
                    address,
                    hours,
                    slot_minutes,
                    seats,
                    ..
                },
            ) => OfficeView {
                id: office.as_str().to_owned(),
                name,
                address,
                hours,
                slot_minutes,
                seats,
                closed_days: Vec::new(),
                version: 0,
            },
            (None, _) => return Ok(Change::Unchanged),
            (Some(mut view), event) => {
                match event {
                    OfficeEvent::OfficeRegistered { .. } => {}
                    OfficeEvent::ProfileChanged { name, address, .. } => {
                        view.name = name;
                        view.address = address;
                    }
                    OfficeEvent::OpeningHoursSet {
                        hours,
                        slot_minutes,
                        ..
                    } => {
                        view.hours = hours;
                        view.slot_minutes = slot_minutes;
                    }
                    OfficeEvent::SeatsSet { seats, .. } => view.seats = seats,
                    OfficeEvent::DayClosed { date, .. } => {
                        if let Err(i) = view.closed_days.binary_search(&date) {
                            view.closed_days.insert(i, date);
                        }
                    }
                    OfficeEvent::DayReopened { date, .. } => {
                        view.closed_days.retain(|d| *d != date);
                    }
                }
                view
            }
        };
        let next = OfficeView {
            version: event.stream_version,
            ..next
        };
        let doc = serde_json::to_value(&next).map_err(|e| ProjectionError::MalformedRow {
            key: next.id.clone(),
            reason: e.to_string(),
        })?;
        Ok(Change::Upsert {
            partition: None,
            doc,
        })
    }
}

/// Every office, ordered by id.
pub async fn list(models: &dyn ReadModelStore) -> Result<Vec<OfficeView>, ProjectionError> {
    models
        .rows(NAME, None)
        .await?
        .into_iter()
        .map(|row| parse(&row))
        .collect()
}

fn parse(row: &Row) -> Result<OfficeView, ProjectionError> {
    serde_json::from_value(row.doc.clone()).map_err(|e| ProjectionError::MalformedRow {
        key: row.key.clone(),
        reason: e.to_string(),
    })
}
