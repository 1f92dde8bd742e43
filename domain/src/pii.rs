//! Personal data (GDPR): a marker type that keeps it out of the stored payload.
//!
//! Events are immutable, yet a citizen may demand erasure (GDPR Art. 17). The store therefore seals
//! personal fields with a per-citizen key and can later delete that key ("crypto-shredding"). For
//! that to work the personal fields must never be written into the plain payload. Every such field
//! is a [`Pii`], and the codec moves it into the sealed part (see [`crate::codec`]). After the key is
//! deleted the event still decodes, with [`Pii::Erased`] in place of the data, so statistics about
//! services, offices, times and fees survive the erasure.
//!
//! Serde: a present value serialises as the bare value; an erased one is skipped (every `Pii` field
//! carries `#[serde(default, skip_serializing_if = "Pii::is_erased")]`), and a missing field
//! deserialises as [`Pii::Erased`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A personal value that may have been erased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Pii<T> {
    /// The data is available.
    Present(T),
    /// The data was erased; only the fact that there was some remains.
    #[default]
    Erased,
}

impl<T> Pii<T> {
    /// True when the data was erased.
    pub fn is_erased(&self) -> bool {
        matches!(self, Pii::Erased)
    }

    /// The data, if it is still there.
    pub fn as_present(&self) -> Option<&T> {
        match self {
            Pii::Present(value) => Some(value),
            Pii::Erased => None,
        }
    }

    /// Converts into an `Option`, losing the distinction only in name.
    pub fn into_present(self) -> Option<T> {
        match self {
            Pii::Present(value) => Some(value),
            Pii::Erased => None,
        }
    }

    /// Transforms the data if it is still there.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Pii<U> {
        match self {
            Pii::Present(value) => Pii::Present(f(value)),
            Pii::Erased => Pii::Erased,
        }
    }
}

impl<T> From<T> for Pii<T> {
    fn from(value: T) -> Self {
        Pii::Present(value)
    }
}

impl<T: Serialize> Serialize for Pii<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Pii::Present(value) => value.serialize(serializer),
            // Only reached when a `Pii` field lacks `skip_serializing_if`; `null` then reads back as
            // an error for non-optional data rather than as a wrong value.
            Pii::Erased => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Pii<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Pii::Present)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        id: u32,
        #[serde(default, skip_serializing_if = "Pii::is_erased")]
        name: Pii<String>,
    }

    #[test]
    fn a_present_value_serialises_as_the_bare_value() {
        let holder = Holder {
            id: 1,
            name: Pii::Present("Erika".into()),
        };
        assert_eq!(
            serde_json::to_string(&holder).unwrap(),
            r#"{"id":1,"name":"Erika"}"#
        );
    }

    #[test]
    fn an_erased_value_is_left_out_and_a_missing_one_reads_as_erased() {
        let holder = Holder {
            id: 1,
            name: Pii::Erased,
        };
        let json = serde_json::to_string(&holder).unwrap();
        assert_eq!(json, r#"{"id":1}"#);
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), holder);
    }
}
