//! The value types of staff accounts: usernames, roles, display names and password hashes.
//!
//! Each is parsed once at the edge ("parse, don't validate"). The password hash is an opaque PHC
//! string here: hashing needs a random salt and takes tens of milliseconds of CPU, so it happens
//! in the API, and the domain only records the result.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a value of an account could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountValueError {
    #[error("a username has 3 to 64 characters, got {0}")]
    UsernameLength(usize),
    #[error("a username may contain only a-z, 0-9, '.', '_' and '-'")]
    UsernameCharacters,
    #[error("unknown role {0:?}; expected clerk, auditor, planner or admin")]
    UnknownRole(String),
    #[error("a display name has 1 to 100 characters and no control characters")]
    DisplayName,
    #[error("a password hash must be a PHC string of at most 512 characters")]
    PasswordHash,
}

/// The login name of a staff account: 3 to 64 of `a-z 0-9 . _ -`. It names the account's stream,
/// `account-{username}`, so two accounts can never share one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// Parses a username exactly as stored (already lower-case).
    pub fn parse(value: impl Into<String>) -> Result<Self, AccountValueError> {
        let value = value.into();
        let len = value.chars().count();
        if !(3..=64).contains(&len) {
            return Err(AccountValueError::UsernameLength(len));
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
        if !value.chars().all(allowed) {
            return Err(AccountValueError::UsernameCharacters);
        }
        Ok(Self(value))
    }

    /// Parses what a person typed: surrounding blanks are dropped and letters lower-cased, so
    /// `E.Mustermann ` and `e.mustermann` are one account.
    pub fn normalize(typed: &str) -> Result<Self, AccountValueError> {
        Self::parse(typed.trim().to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name of the account's event stream.
    pub fn stream_name(&self) -> String {
        format!("account-{}", self.0)
    }
}

impl TryFrom<String> for Username {
    type Error = AccountValueError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Username> for String {
    fn from(name: Username) -> Self {
        name.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a staff member may do; the API's authorisation table maps each role to operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works the cases of one office.
    Clerk,
    /// Replays and verifies any case; changes nothing.
    Auditor,
    /// Reads statistics and plans which services go virtual.
    Planner,
    /// Manages accounts, offices and the catalogue.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Clerk, Role::Auditor, Role::Planner, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Auditor => "auditor",
            Role::Planner => "planner",
            Role::Admin => "admin",
        }
    }

    /// Clerks belong to exactly one office; everybody else to none.
    pub fn needs_office(self) -> bool {
        self == Role::Clerk
    }
}

impl FromStr for Role {
    type Err = AccountValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| AccountValueError::UnknownRole(s.chars().take(32).collect()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name shown for a staff member (personal data: sealed in the stored events).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(value: impl Into<String>) -> Result<Self, AccountValueError> {
        let value: String = value.into();
        let trimmed = value.trim();
        let len = trimmed.chars().count();
        if !(1..=100).contains(&len) || trimmed.chars().any(char::is_control) {
            return Err(AccountValueError::DisplayName);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DisplayName(<personal>)")
    }
}

/// A password hash as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Secret: `Debug` never
/// shows it, and the stored events seal it like personal data.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn parse(value: impl Into<String>) -> Result<Self, AccountValueError> {
        let value = value.into();
        let phc_shaped = value.starts_with('$')
            && value.len() <= 512
            && value.chars().all(|c| c.is_ascii_graphic());
        if !phc_shaped {
            return Err(AccountValueError::PasswordHash);
        }
        Ok(Self(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<secret>)")
    }
}

/// Declares the serde conversions of a parsed string type.
macro_rules! string_conversions {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = AccountValueError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

string_conversions!(DisplayName);
string_conversions!(PasswordHash);
