//! Identifiers. Every id is its own type so that a case id can never be passed where a citizen id
//! is expected, and every textual key is validated once at the edge ("parse, don't validate").
//!
//! The domain never generates ids itself: generating one needs randomness or the clock, and this
//! crate is pure. Callers create them (e.g. `CaseId(Uuid::now_v7())`) and pass them in on commands.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Declares a newtype over [`Uuid`] with the conversions every id needs.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdError::NotAUuid {
                    kind: stringify!($name),
                    value: s.to_owned(),
                })
            }
        }
    };
}

uuid_id!(
    /// One citizen request for one service; also names the case's event stream.
    CaseId
);
uuid_id!(
    /// A citizen. It is also the subject whose data key seals the citizen's personal data.
    CitizenId
);
uuid_id!(
    /// A clerk of an office.
    ClerkId
);
uuid_id!(
    /// An interpreter joining a video session.
    InterpreterId
);
uuid_id!(
    /// One video session; also names the session's event stream.
    VideoSessionId
);
uuid_id!(
    /// A document uploaded to a case or issued as its result.
    DocumentId
);
uuid_id!(
    /// One payment attempt at the payment provider.
    PaymentId
);

impl CaseId {
    /// The name of this case's event stream: `case-{uuid}`.
    pub fn stream_name(&self) -> String {
        format!("case-{}", self.0)
    }
}

impl VideoSessionId {
    /// The name of this session's event stream: `video-{uuid}`.
    pub fn stream_name(&self) -> String {
        format!("video-{}", self.0)
    }
}

/// Why a text could not become an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} must be a UUID, got {value:?}")]
    NotAUuid { kind: &'static str, value: String },
    #[error("{kind} must have 1 to 64 characters, got {len}")]
    Length { kind: &'static str, len: usize },
    #[error("{kind} may contain only a-z, 0-9, '_' and '-', got {value:?}")]
    Characters { kind: &'static str, value: String },
}

/// Checks the shared rule for textual keys: 1 to 64 characters of `a-z`, `0-9`, `_` and `-`.
/// The rule keeps keys safe inside stream names, URLs and file names without escaping.
fn validate_key(kind: &'static str, value: &str) -> Result<(), IdError> {
    if value.is_empty() || value.len() > 64 {
        return Err(IdError::Length {
            kind,
            len: value.chars().count(),
        });
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    if !value.chars().all(allowed) {
        return Err(IdError::Characters {
            kind,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Declares a validated string key.
macro_rules! string_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and validates a key.
            pub fn parse(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                validate_key(stringify!($name), &value)?;
                Ok(Self(value))
            }

            /// The key as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl From<$name> for String {
            fn from(key: $name) -> Self {
                key.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_key!(
    /// An office (Bürgerbüro) of the city, e.g. `potsdam-mitte`.
    OfficeId
);
string_key!(
    /// A service of the catalogue, e.g. `wohnsitz_anmeldung`.
    ServiceKey
);
string_key!(
    /// A kind of document a clerk can ask for, e.g. `wohnungsgeberbestaetigung`.
    DocumentType
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_stream_is_named_after_its_uuid() {
        let id = CaseId(Uuid::nil());
        assert_eq!(
            id.stream_name(),
            "case-00000000-0000-0000-0000-000000000000"
        );
    }

    #[test]
    fn a_video_stream_is_named_after_its_uuid() {
        let id = VideoSessionId(Uuid::nil());
        assert_eq!(
            id.stream_name(),
            "video-00000000-0000-0000-0000-000000000000"
        );
    }

    #[test]
    fn a_key_accepts_lowercase_letters_digits_underscore_and_dash() {
        assert!(ServiceKey::parse("wohnsitz_anmeldung").is_ok());
        assert!(OfficeId::parse("potsdam-mitte-2").is_ok());
    }

    #[test]
    fn a_key_rejects_uppercase_spaces_and_umlauts() {
        assert!(matches!(
            ServiceKey::parse("Wohnsitz"),
            Err(IdError::Characters { .. })
        ));
        assert!(ServiceKey::parse("a b").is_err());
        assert!(OfficeId::parse("bürgerbüro").is_err());
    }

    #[test]
    fn a_key_must_have_one_to_sixty_four_characters() {
        assert!(matches!(OfficeId::parse(""), Err(IdError::Length { .. })));
        assert!(OfficeId::parse("a".repeat(64)).is_ok());
        assert!(OfficeId::parse("a".repeat(65)).is_err());
    }

    #[test]
    fn a_key_is_validated_when_deserialised() {
        let parsed: Result<ServiceKey, _> = serde_json::from_str("\"NOT VALID\"");
        assert!(parsed.is_err());
        let parsed: ServiceKey = serde_json::from_str("\"meldebescheinigung\"").unwrap();
        assert_eq!(parsed.as_str(), "meldebescheinigung");
    }

    #[test]
    fn a_uuid_id_parses_from_text() {
        let id: CaseId = "00000000-0000-0000-0000-000000000001".parse().unwrap();
        assert_eq!(id.to_string(), "00000000-0000-0000-0000-000000000001");
        assert!("nope".parse::<CaseId>().is_err());
    }
}
