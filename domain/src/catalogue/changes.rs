//! Catalogue changes as events: admins change a service's duration, fee, channel, required
//! documents or whether it is offered, and every change is an event of the one stream
//! [`CATALOGUE_STREAM`]. The CSV (`catalogue/services.csv`) stays the seed with the facts and their
//! sources; the effective catalogue is the seed with these changes folded on top
//! ([`super::Catalogue::with_changes`]), so a restart rebuilds exactly what was decided.
//!
//! One stream for the whole catalogue keeps the history in one place (`GET
//! /api/v1/admin/catalogue/changes`) and gives every change a version a client can name
//! (`expected_version`); catalogue changes are rare, so the single stream is no bottleneck.
//!
//! The law wins over the admin: a service whose law requires personal appearance
//! ([`PersonalAppearance::Yes`], e.g. fingerprints for an ID card under § 9 PAuswG) can never be
//! set to video or to fully online elsewhere. The command carries the seed row so the aggregate
//! can check that legal fact without reading the CSV itself.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::channel::Channel;
use super::service::{MinMax, PersonalAppearance, RequiredDocument, Service};
use crate::actor::Actor;
use crate::aggregate::Aggregate;
use crate::codec::{EventCodec, EventSchema};
use crate::ids::ServiceKey;
use crate::money::Cents;

/// The name of the catalogue's event stream.
pub const CATALOGUE_STREAM: &str = "catalogue";

/// The shortest and longest appointment an admin may set, in minutes.
pub const DURATION_MINUTES: std::ops::RangeInclusive<u32> = 5..=240;
/// The highest fee an admin may set: 100,000 EUR in cents, far above any real fee.
pub const MAX_FEE_CENTS: i64 = 10_000_000;
const MAX_DOCUMENTS: usize = 30;
const MAX_DOCUMENT_KEY_CHARS: usize = 64;
const MAX_TEXT_CHARS: usize = 200;
const MAX_REASON_CHARS: usize = 500;
const MAX_URL_CHARS: usize = 300;

/// A partial change of one service: only the fields that are `Some` change. In an event only the
/// fields that really changed are present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChange {
    /// The appointment length in minutes (replaces a range from the seed by one value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
    /// The fee in cents (replaces a range or an unknown fee by one value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_cents: Option<Cents>,
    /// The channel, replacing the triage rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The complete list of required documents (replaces the previous list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_documents: Option<Vec<RequiredDocument>>,
    /// Whether the service is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl ServiceChange {
    fn is_empty(&self) -> bool {
        *self == ServiceChange::default()
    }

    /// Folds `later` on top of this change.
    fn merge(&mut self, later: &ServiceChange) {
        if let Some(value) = later.duration_minutes {
            self.duration_minutes = Some(value);
        }
        if let Some(value) = later.fee_cents {
            self.fee_cents = Some(value);
        }
        if let Some(value) = &later.channel {
            self.channel = Some(value.clone());
        }
        if let Some(value) = &later.required_documents {
            self.required_documents = Some(value.clone());
        }
        if let Some(value) = later.active {
            self.active = Some(value);
        }
    }

    /// `service` with this change applied.
    fn apply_to(&self, service: &Service) -> Service {
        let mut service = service.clone();
        if let Some(minutes) = self.duration_minutes {
            service.duration_minutes = Some(MinMax::exactly(minutes));
        }
        if let Some(fee) = self.fee_cents {
            service.fee = Some(MinMax::exactly(fee));
        }
        if let Some(channel) = &self.channel {
            service.channel_override = Some(channel.clone());
        }
        if let Some(documents) = &self.required_documents {
            service.required_documents = documents.clone();
        }
        if let Some(active) = self.active {
            service.active = active;
        }
        service
    }
}

/// A request to change the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueCommand {
    /// Changes one service of the seed. `seed` is the service's row from the CSV.
    ChangeService {
        seed: Box<Service>,
        change: ServiceChange,
        actor: Actor,
        at: DateTime<Utc>,
    },
}

/// An event of the catalogue stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CatalogueEvent {
    ServiceChanged {
        service: ServiceKey,
        change: ServiceChange,
        actor: Actor,
        at: DateTime<Utc>,
    },
}

/// A broken rule of a catalogue change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("the duration must be 5 to 240 minutes")]
    InvalidDuration,
    #[error("the fee must be 0 to 10000000 cents")]
    InvalidFee,
    #[error(
        "the law requires personal appearance for this service ({reason}); it cannot be offered \
         by video or online"
    )]
    PersonalAppearanceRequired { reason: String },
    #[error("invalid channel: {0}")]
    InvalidChannel(String),
    #[error("invalid required documents: {0}")]
    InvalidDocuments(String),
    #[error("nothing changes")]
    Unchanged,
}

/// The admins' changes per service, folded from the catalogue stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueChanges {
    changes: BTreeMap<ServiceKey, ServiceChange>,
}

impl CatalogueChanges {
    /// `seed` with every change of its service applied.
    pub fn effective(&self, seed: &Service) -> Service {
        match self.changes.get(&seed.key) {
            Some(change) => change.apply_to(seed),
            None => seed.clone(),
        }
    }

    /// The services that were changed, with the sum of their changes.
    pub fn changed(&self) -> &BTreeMap<ServiceKey, ServiceChange> {
        &self.changes
    }
}

impl Aggregate for CatalogueChanges {
    type Command = CatalogueCommand;
    type Event = CatalogueEvent;
    type Error = ChangeError;

    fn handle(&self, command: CatalogueCommand) -> Result<Vec<CatalogueEvent>, ChangeError> {
        let CatalogueCommand::ChangeService {
            seed,
            change,
            actor,
            at,
        } = command;
        let change = validate(&seed, change)?;
        let current = self.effective(&seed);
        let change = only_differences(&current, change);
        if change.is_empty() {
            return Err(ChangeError::Unchanged);
        }
        Ok(vec![CatalogueEvent::ServiceChanged {
            service: seed.key.clone(),
            change,
            actor,
            at,
        }])
    }

    fn apply(&mut self, event: &CatalogueEvent) {
        let CatalogueEvent::ServiceChanged {
            service, change, ..
        } = event;
        self.changes
            .entry(service.clone())
            .or_default()
            .merge(change);
    }
}

/// Checks every field of `change` and returns it normalised (trimmed texts).
fn validate(seed: &Service, mut change: ServiceChange) -> Result<ServiceChange, ChangeError> {
    if let Some(minutes) = change.duration_minutes {
        if !DURATION_MINUTES.contains(&minutes) {
            return Err(ChangeError::InvalidDuration);
        }
    }
    if let Some(Cents(cents)) = change.fee_cents {
        if !(0..=MAX_FEE_CENTS).contains(&cents) {
            return Err(ChangeError::InvalidFee);
        }
    }
    if let Some(channel) = change.channel.take() {
        change.channel = Some(validate_channel(seed, channel)?);
    }
    if let Some(documents) = change.required_documents.take() {
        change.required_documents = Some(validate_documents(documents)?);
    }
    Ok(change)
}

fn validate_channel(seed: &Service, channel: Channel) -> Result<Channel, ChangeError> {
    let remote = !matches!(channel, Channel::InPerson { .. });
    if remote && seed.personal_appearance == PersonalAppearance::Yes {
        return Err(ChangeError::PersonalAppearanceRequired {
            reason: seed.feasibility_reason.clone(),
        });
    }
    Ok(match channel {
        Channel::Video => Channel::Video,
        Channel::InPerson { reason } => Channel::InPerson {
            reason: text("reason", &reason, MAX_REASON_CHARS)
                .map_err(ChangeError::InvalidChannel)?,
        },
        Channel::OnlineElsewhere {
            portal,
            url,
            reason,
        } => Channel::OnlineElsewhere {
            portal: text("portal", &portal, MAX_TEXT_CHARS).map_err(ChangeError::InvalidChannel)?,
            url: url
                .map(|url| validate_url(&url))
                .transpose()
                .map_err(ChangeError::InvalidChannel)?,
            reason: text("reason", &reason, MAX_REASON_CHARS)
                .map_err(ChangeError::InvalidChannel)?,
        },
    })
}

/// An `https://` address without spaces or control characters.
fn validate_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let ok = url.len() > "https://".len()
        && url.len() <= MAX_URL_CHARS
        && url.starts_with("https://")
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(url.to_owned())
    } else {
        Err(format!(
            "url must be an https:// address of at most {MAX_URL_CHARS} characters"
        ))
    }
}

fn validate_documents(
    documents: Vec<RequiredDocument>,
) -> Result<Vec<RequiredDocument>, ChangeError> {
    if documents.len() > MAX_DOCUMENTS {
        return Err(ChangeError::InvalidDocuments(format!(
            "at most {MAX_DOCUMENTS} documents"
        )));
    }
    let mut checked: Vec<RequiredDocument> = Vec::with_capacity(documents.len());
    for document in documents {
        let key = document.key.trim().to_owned();
        let key_ok = !key.is_empty()
            && key.len() <= MAX_DOCUMENT_KEY_CHARS
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(ChangeError::InvalidDocuments(format!(
                "key must be 1 to {MAX_DOCUMENT_KEY_CHARS} characters of a-z, 0-9 and _"
            )));
        }
        if checked.iter().any(|d| d.key == key) {
            return Err(ChangeError::InvalidDocuments(format!(
                "key {key} appears twice"
            )));
        }
        let de = text("de", &document.de, MAX_TEXT_CHARS).map_err(ChangeError::InvalidDocuments)?;
        let en = text("en", &document.en, MAX_TEXT_CHARS).map_err(ChangeError::InvalidDocuments)?;
        checked.push(RequiredDocument { key, de, en });
    }
    Ok(checked)
}

/// A trimmed text of 1 to `max` characters without control characters.
fn text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(format!(
            "{field} must be 1 to {max} characters without control characters"
        ));
    }
    Ok(value.to_owned())
}

/// `change` without the fields that already have the requested value in `current`.
fn only_differences(current: &Service, change: ServiceChange) -> ServiceChange {
    ServiceChange {
        duration_minutes: change
            .duration_minutes
            .filter(|m| current.duration_minutes != Some(MinMax::exactly(*m))),
        fee_cents: change
            .fee_cents
            .filter(|c| current.fee != Some(MinMax::exactly(*c))),
        channel: change
            .channel
            .filter(|c| current.channel_override.as_ref() != Some(c)),
        required_documents: change
            .required_documents
            .filter(|d| current.required_documents != *d),
        active: change.active.filter(|a| current.active != *a),
    }
}

/// Every catalogue event type and its current version. Catalogue data is about services, not
/// people, so nothing is sealed.
pub const CATALOGUE_EVENT_SCHEMAS: &[EventSchema] = &[EventSchema {
    event_type: "ServiceChanged",
    current_version: 1,
    personal_fields: &[],
}];

const CODEC: EventCodec = EventCodec {
    schemas: CATALOGUE_EVENT_SCHEMAS,
    upcasters: &[],
};

crate::codec::impl_domain_event_without_personal_data!(CatalogueEvent, CODEC);

#[cfg(test)]
mod tests;
