//! Reading old event shapes.
//!
//! A stored event is never rewritten. When an event's shape must change, its schema version is
//! bumped and an [`Upcaster`] is registered that turns the old JSON into the next version's JSON.
//! On read the chain runs from the stored version up to the current one, before deserialising, so
//! the aggregates and projections only ever see current events.

use serde_json::Value;

use crate::codec::DecodeError;

/// Turns the JSON of `event_type` at `from_version` into the JSON of `from_version + 1`.
///
/// The value it receives is the full object: the payload with the personal fields merged back in
/// (when they are still present).
#[derive(Debug, Clone, Copy)]
pub struct Upcaster {
    /// The event type this upcaster applies to.
    pub event_type: &'static str,
    /// The version it reads; it writes `from_version + 1`.
    pub from_version: u32,
    /// The transformation.
    pub upcast: fn(Value) -> Result<Value, DecodeError>,
}

/// Runs the upcaster chain for `event_type` from `from` up to `to`. A missing link is an error,
/// never a silent skip.
pub fn upcast(
    upcasters: &[Upcaster],
    event_type: &str,
    from: u32,
    to: u32,
    mut value: Value,
) -> Result<Value, DecodeError> {
    for version in from..to {
        let step = upcasters
            .iter()
            .find(|u| u.event_type == event_type && u.from_version == version)
            .ok_or_else(|| DecodeError::UnsupportedVersion {
                event_type: event_type.to_owned(),
                version: from,
                current: to,
            })?;
        value = (step.upcast)(value)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn add_b(mut value: Value) -> Result<Value, DecodeError> {
        if let Value::Object(object) = &mut value {
            object.insert("b".into(), json!(2));
        }
        Ok(value)
    }

    fn add_c(mut value: Value) -> Result<Value, DecodeError> {
        if let Value::Object(object) = &mut value {
            object.insert("c".into(), json!(3));
        }
        Ok(value)
    }

    const CHAIN: &[Upcaster] = &[
        Upcaster {
            event_type: "Thing",
            from_version: 2,
            upcast: add_c,
        },
        Upcaster {
            event_type: "Thing",
            from_version: 1,
            upcast: add_b,
        },
    ];

    #[test]
    fn the_chain_runs_every_step_in_version_order() {
        let value = upcast(CHAIN, "Thing", 1, 3, json!({"a": 1})).unwrap();
        assert_eq!(value, json!({"a": 1, "b": 2, "c": 3}));
    }

    #[test]
    fn a_current_event_passes_unchanged() {
        let value = upcast(CHAIN, "Thing", 3, 3, json!({"a": 1})).unwrap();
        assert_eq!(value, json!({"a": 1}));
    }

    #[test]
    fn a_missing_link_in_the_chain_is_an_error() {
        let result = upcast(CHAIN, "Other", 1, 2, json!({}));
        assert!(matches!(
            result,
            Err(DecodeError::UnsupportedVersion { .. })
        ));
    }
}
