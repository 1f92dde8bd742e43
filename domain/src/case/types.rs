//! Value types of a case: contact data, channel, appointment, identity method, outcome.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// The language a citizen wants to be addressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    De,
    En,
}

/// How to reach the citizen. All of it is personal data and is stored sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub language: Language,
}

/// How the case is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseChannel {
    /// In a video call with the virtual office.
    Video,
    /// At the counter of an office.
    InPerson,
}

/// A booked appointment.
///
/// The start is kept twice on purpose: `starts_at` is the instant (UTC) for reminders and ordering,
/// `local_start` is the office's wall-clock time, which is what the schedule books and what the
/// citizen sees. Their difference is the office's UTC offset on that day, which lets the case decide
/// which local day a check-in falls on without a time-zone database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Appointment {
    pub starts_at: DateTime<Utc>,
    pub local_start: NaiveDateTime,
    pub duration_minutes: u32,
}

/// The largest UTC offset in use anywhere (UTC+14), as a sanity bound.
const MAX_OFFSET_HOURS: i64 = 14;

impl Appointment {
    /// The office's UTC offset on the appointment day.
    pub fn utc_offset(&self) -> Duration {
        self.local_start - self.starts_at.naive_utc()
    }

    /// True when `local_start` and `starts_at` can describe the same moment.
    pub fn offset_is_plausible(&self) -> bool {
        self.utc_offset().num_minutes().abs() <= MAX_OFFSET_HOURS * 60
    }

    /// The office's local calendar day of the appointment.
    pub fn local_date(&self) -> NaiveDate {
        self.local_start.date()
    }

    /// The office's local calendar day of any instant, using the appointment day's offset.
    pub fn local_date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        (at.naive_utc() + self.utc_offset()).date()
    }

    /// When the appointment ends.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + Duration::minutes(i64::from(self.duration_minutes))
    }
}

/// The SHA-256 of a capability token (64 lowercase hex digits). The token itself is never stored:
/// whoever holds it may open this one case without an account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccessTokenHash(String);

impl AccessTokenHash {
    /// Accepts exactly 64 lowercase hex digits.
    pub fn parse(value: impl Into<String>) -> Result<Self, &'static str> {
        let value = value.into();
        if value.len() == 64
            && value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            Ok(Self(value))
        } else {
            Err("an access token hash is 64 lowercase hex digits")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccessTokenHash {
    type Error = &'static str;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<AccessTokenHash> for String {
    fn from(value: AccessTokenHash) -> Self {
        value.0
    }
}

/// Where an access link was handed to the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkChannel {
    /// Shown on the confirmation page right after booking.
    Booking,
    /// Sent in an e-mail.
    Email,
}

/// Which message went to the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The booking confirmation with the calendar file, the join link and the cancel link.
    BookingConfirmed,
    /// The appointment was moved.
    AppointmentRescheduled,
    /// The appointment was cancelled.
    AppointmentCancelled,
}

/// How a message reached the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationChannel {
    Email,
}

/// How the clerk established the citizen's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMethod {
    /// The ID card was held to the camera and compared.
    IdCardOnCamera,
    /// A passport was held to the camera and compared.
    PassportOnCamera,
    /// An electronic residence permit was held to the camera and compared.
    ResidencePermitOnCamera,
    /// The online ID function (eID) of the ID card or residence permit was used.
    EidOnline,
    /// The clerk knows the citizen personally.
    PersonallyKnown,
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The service was delivered and its result issued.
    Completed,
    /// The citizen has to come to an office after all.
    ReferredInPerson,
    /// The citizen did not come to the appointment.
    NoShow,
    /// The request was withdrawn or abandoned.
    Cancelled,
}

/// Why a clerk waived a fee. An enum rather than free text so that the reason is statistics, not
/// personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverReason {
    /// The citizen receives social benefits that exempt them.
    SocialHardship,
    /// The fee schedule exempts the purpose (e.g. use for a public body).
    ExemptPurpose,
    /// The office caused the need for the service.
    OfficeError,
    /// Any other reason recorded in the back-office system.
    Other,
}
