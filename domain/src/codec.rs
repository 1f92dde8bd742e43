//! How events become stored bytes and back.
//!
//! Stored events are a contract: once written, their shape never changes (see [`crate::upcast`]
//! for how old shapes are read). The encoding is deliberately plain so that other tools can read it:
//!
//! - the event type is the variant name, e.g. `CaseOpened`;
//! - the payload is a JSON object of the variant's non-personal fields, keys sorted, so the same
//!   event always gives the same bytes (the store hashes these bytes into its chain);
//! - personal fields (names, contact data, free text, file names) are moved into a separate JSON
//!   object, returned together with the id of the citizen whose key will seal it. The payload never
//!   contains them, so deleting the citizen's key erases them for good while the rest of the event
//!   stays readable.
//!
//! Each event enum describes its types with an [`EventSchema`] table and implements
//! [`DomainEvent`] with the shared [`EventCodec`].

use serde::de::DeserializeOwned;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::upcast::{self, Upcaster};

/// An event ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEvent {
    /// The variant name, e.g. `CaseOpened`.
    pub event_type: String,
    /// The schema version the payload was written with.
    pub schema_version: u32,
    /// Canonical JSON bytes of the non-personal fields.
    pub payload: Vec<u8>,
    /// The citizen id whose key seals the personal part, and the JSON bytes of the personal fields.
    /// `None` for event types without personal fields.
    pub personal: Option<(Uuid, Vec<u8>)>,
}

/// The personal part of a stored event, as the store hands it to the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalInput<'a> {
    /// The stored event has no personal part.
    None,
    /// The decrypted JSON bytes of the personal fields.
    Present(&'a [u8]),
    /// The citizen's key was deleted; personal fields decode as [`crate::Pii::Erased`].
    Erased,
}

/// An event type that can be stored.
pub trait DomainEvent: Sized + Clone + std::fmt::Debug + Send + Sync + 'static {
    /// Splits the event into its stored form.
    fn encode(&self) -> EncodedEvent;

    /// Reads a stored event, upcasting old schema versions first.
    fn decode(
        event_type: &str,
        schema_version: u32,
        payload: &[u8],
        personal: PersonalInput<'_>,
    ) -> Result<Self, DecodeError>;
}

/// Why a stored event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {0:?}")]
    UnknownEventType(String),
    #[error("{event_type} has no schema version {version} (current is {current})")]
    UnsupportedVersion {
        event_type: String,
        version: u32,
        current: u32,
    },
    #[error("malformed {event_type} payload: {reason}")]
    Malformed { event_type: String, reason: String },
    #[error("{event_type} carries personal data but none was supplied")]
    PersonalDataMissing { event_type: String },
    #[error("cannot upcast {event_type} from version {from_version}: {reason}")]
    Upcast {
        event_type: String,
        from_version: u32,
        reason: String,
    },
}

/// The stored schema of one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSchema {
    /// The variant name.
    pub event_type: &'static str,
    /// The version new events are written with.
    pub current_version: u32,
    /// The fields that hold personal data and go into the sealed part.
    pub personal_fields: &'static [&'static str],
}

/// The event type written when an event cannot be serialised at all. Serialising the plain derived
/// types of this crate cannot fail, so this never happens in practice; if it ever did, the stored
/// event would fail loudly on decode instead of being silently wrong.
pub const UNENCODABLE_EVENT_TYPE: &str = "Unencodable";

/// The key under which serde's internal tagging puts the variant name.
const TAG: &str = "type";

/// Encodes and decodes the events of one enum, given its schema table and upcasters.
///
/// The enum must serialise internally tagged with `#[serde(tag = "type")]`, and every personal field
/// must be a [`crate::Pii`] with `#[serde(default, skip_serializing_if = "Pii::is_erased")]`.
#[derive(Debug, Clone, Copy)]
pub struct EventCodec {
    /// One entry per event type.
    pub schemas: &'static [EventSchema],
    /// Upgrades from old schema versions.
    pub upcasters: &'static [Upcaster],
}

impl EventCodec {
    /// Looks up the schema of an event type.
    pub fn schema(&self, event_type: &str) -> Option<&'static EventSchema> {
        self.schemas.iter().find(|s| s.event_type == event_type)
    }

    /// Encodes an event. `subject` is the citizen whose key seals the personal fields; an event
    /// with personal fields but no subject has its personal fields dropped rather than stored in
    /// the clear.
    pub fn encode<E: Serialize>(&self, event: &E, subject: Option<Uuid>) -> EncodedEvent {
        let mut object = match serde_json::to_value(event) {
            Ok(Value::Object(object)) => object,
            Ok(other) => return unencodable(&format!("not a JSON object: {other}")),
            Err(error) => return unencodable(&error.to_string()),
        };
        let event_type = match object.remove(TAG) {
            Some(Value::String(name)) => name,
            _ => return unencodable("the event has no type tag"),
        };
        let Some(schema) = self.schema(&event_type) else {
            return unencodable(&format!("{event_type} has no schema entry"));
        };
        let mut personal = Map::new();
        for field in schema.personal_fields {
            if let Some(value) = object.remove(*field) {
                personal.insert((*field).to_owned(), value);
            }
        }
        let personal = match (schema.personal_fields.is_empty(), subject) {
            (false, Some(subject)) => Some((subject, canonical_bytes(&Value::Object(personal)))),
            _ => None,
        };
        EncodedEvent {
            event_type,
            schema_version: schema.current_version,
            payload: canonical_bytes(&Value::Object(object)),
            personal,
        }
    }

    /// Decodes a stored event: merges the personal part back in, upcasts to the current version
    /// and deserialises.
    pub fn decode<E: DeserializeOwned>(
        &self,
        event_type: &str,
        schema_version: u32,
        payload: &[u8],
        personal: PersonalInput<'_>,
    ) -> Result<E, DecodeError> {
        let schema = self
            .schema(event_type)
            .ok_or_else(|| DecodeError::UnknownEventType(event_type.to_owned()))?;
        if schema_version == 0 || schema_version > schema.current_version {
            return Err(DecodeError::UnsupportedVersion {
                event_type: event_type.to_owned(),
                version: schema_version,
                current: schema.current_version,
            });
        }
        let mut object = parse_object(event_type, payload)?;
        if !schema.personal_fields.is_empty() {
            match personal {
                PersonalInput::Present(bytes) => {
                    let mut sealed = parse_object(event_type, bytes)?;
                    for field in schema.personal_fields {
                        if let Some(value) = sealed.remove(*field) {
                            object.insert((*field).to_owned(), value);
                        }
                    }
                }
                PersonalInput::Erased => {
                    // Missing personal fields deserialise as `Pii::Erased`.
                }
                PersonalInput::None => {
                    return Err(DecodeError::PersonalDataMissing {
                        event_type: event_type.to_owned(),
                    })
                }
            }
        }
        let upcasted = upcast::upcast(
            self.upcasters,
            event_type,
            schema_version,
            schema.current_version,
            Value::Object(object),
        )?;
        let mut object = match upcasted {
            Value::Object(object) => object,
            _ => {
                return Err(DecodeError::Malformed {
                    event_type: event_type.to_owned(),
                    reason: "an upcaster returned something other than an object".into(),
                })
            }
        };
        object.insert(TAG.to_owned(), Value::String(event_type.to_owned()));
        serde_json::from_value(Value::Object(object)).map_err(|error| DecodeError::Malformed {
            event_type: event_type.to_owned(),
            reason: error.to_string(),
        })
    }
}

/// Parses bytes that must hold a JSON object.
fn parse_object(event_type: &str, bytes: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(DecodeError::Malformed {
            event_type: event_type.to_owned(),
            reason: "expected a JSON object".into(),
        }),
        Err(error) => Err(DecodeError::Malformed {
            event_type: event_type.to_owned(),
            reason: error.to_string(),
        }),
    }
}

/// The stand-in for an event that could not be serialised (see [`UNENCODABLE_EVENT_TYPE`]).
fn unencodable(reason: &str) -> EncodedEvent {
    let mut object = Map::new();
    object.insert("reason".into(), Value::String(reason.to_owned()));
    EncodedEvent {
        event_type: UNENCODABLE_EVENT_TYPE.to_owned(),
        schema_version: 0,
        payload: canonical_bytes(&Value::Object(object)),
        personal: None,
    }
}

/// Serialises a JSON value with object keys sorted at every level and no whitespace.
///
/// `serde_json::Map` is already sorted unless some crate in the build enables serde_json's
/// `preserve_order` feature; sorting here keeps the stored bytes (and thus the hash chain) stable
/// regardless of feature unification.
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    // Writing a `Value` into a `Vec` cannot fail: there is no I/O and every key is a string.
    serde_json::to_vec(&Sorted(value)).unwrap_or_default()
}

/// A view of a JSON value that serialises object keys in sorted order.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(object) => {
                let mut entries: Vec<(&String, &Value)> = object.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, &Sorted(value))?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// Implements [`DomainEvent`] for an event enum without personal data through a `const`
/// [`EventCodec`]: `encode` seals nothing, `decode` upcasts and deserialises.
macro_rules! impl_domain_event_without_personal_data {
    ($event:ty, $codec:expr) => {
        impl $crate::codec::DomainEvent for $event {
            fn encode(&self) -> $crate::codec::EncodedEvent {
                $codec.encode(self, None)
            }

            fn decode(
                event_type: &str,
                schema_version: u32,
                payload: &[u8],
                personal: $crate::codec::PersonalInput<'_>,
            ) -> Result<Self, $crate::codec::DecodeError> {
                $codec.decode(event_type, schema_version, payload, personal)
            }
        }
    };
}
pub(crate) use impl_domain_event_without_personal_data;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_bytes_sort_keys_at_every_level() {
        let value = serde_json::json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": null}});
        assert_eq!(
            String::from_utf8(canonical_bytes(&value)).unwrap(),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }
}
