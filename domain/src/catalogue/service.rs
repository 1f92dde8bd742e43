//! The typed form of one catalogue row.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::channel::{self, Channel};
use crate::ids::ServiceKey;
use crate::money::Cents;

/// A closed range such as a duration of `15-20` minutes or a fee of `27.60-46` EUR. A single value
/// in the source has `min == max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MinMax<T> {
    pub min: T,
    pub max: T,
}

impl<T: PartialOrd + Copy> MinMax<T> {
    /// A range; `None` when `min > max`.
    pub fn new(min: T, max: T) -> Option<Self> {
        (min <= max).then_some(Self { min, max })
    }

    /// A range of one value.
    pub fn exactly(value: T) -> Self {
        Self {
            min: value,
            max: value,
        }
    }

    /// True when the range holds a single value.
    pub fn is_exact(&self) -> bool {
        self.min == self.max
    }
}

/// Whether the law requires the citizen to appear in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalAppearance {
    /// Required by law, e.g. because fingerprints are taken (§ 9 PAuswG).
    Yes,
    /// Not required.
    No,
    /// Required for part of the procedure only, e.g. handing over a card.
    Partly,
}

/// How far a service can be completed remotely: 5 = fully by video with uploads and online payment,
/// 1 = legally impossible remotely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Feasibility(u8);

impl Feasibility {
    /// The score, 1 to 5.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Feasibility {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        if (1..=5).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!("remote feasibility must be 1 to 5, got {value}"))
        }
    }
}

impl From<Feasibility> for u8 {
    fn from(value: Feasibility) -> Self {
        value.0
    }
}

/// A share in hundredths of a percent (basis points): `26.1 %` is `2610`. Integers keep the
/// planner's ranking exact; the source never has more than two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BasisPoints(pub u32);

impl BasisPoints {
    /// One hundred percent.
    pub const WHOLE: BasisPoints = BasisPoints(10_000);
}

impl fmt::Display for BasisPoints {
    /// Formats as a percentage with two decimals, e.g. `26.10 %`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02} %", self.0 / 100, self.0 % 100)
    }
}

/// One service of the catalogue. Empty source cells are `None` ("unknown"), never zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub key: ServiceKey,
    pub name_de: String,
    pub name_en: String,
    /// The 14-digit LeiKa/FIM key. Not unique: two services may share one.
    pub leika_key: Option<String>,
    /// Planned appointment minutes.
    pub duration_minutes: Option<MinMax<u32>>,
    /// The fee, a range where it depends on age or variant.
    pub fee: Option<MinMax<Cents>>,
    pub personal_appearance: PersonalAppearance,
    pub remote_feasibility: Feasibility,
    /// The legal basis or peer practice behind the feasibility score.
    pub feasibility_reason: String,
    /// Share of all counter visits, where a published figure exists.
    pub frequency_share: Option<BasisPoints>,
    pub frequency_source: Option<String>,
    pub estimate_notes: Option<String>,
    /// An admin's channel decision (see [`super::changes`]); `None` follows the triage rule.
    #[serde(default)]
    pub channel_override: Option<Channel>,
    /// What the citizen must bring or upload; set by admins, empty in the CSV seed.
    #[serde(default)]
    pub required_documents: Vec<RequiredDocument>,
    /// Inactive services are not offered (not listed, not bookable); existing cases keep them.
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

/// A document a service needs, named in German and English.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RequiredDocument {
    /// A stable identifier, `a-z`, `0-9` and `_`, e.g. `passport`.
    #[schema(example = "passport")]
    pub key: String,
    #[schema(example = "Reisepass oder Personalausweis")]
    pub de: String,
    #[schema(example = "Passport or identity card")]
    pub en: String,
}

impl Service {
    /// The channel the service is offered on; see [`Channel`] for the triage rule.
    pub fn channel(&self) -> Channel {
        match &self.channel_override {
            Some(chosen) => chosen.clone(),
            None => channel::triage(self),
        }
    }

    /// True when the law allows doing this service by video: no required personal appearance and a
    /// feasibility of at least 3. This also holds for services that are fully online elsewhere,
    /// since citizens without an online ID still need a way that does not involve travelling.
    ///
    /// An admin's channel decision replaces the feasibility score (never the law: a service that
    /// requires personal appearance cannot be set to video, see [`super::changes`]); an inactive
    /// service is not offered at all.
    pub fn video_allowed(&self) -> bool {
        if !self.active || self.personal_appearance == PersonalAppearance::Yes {
            return false;
        }
        match &self.channel_override {
            Some(Channel::InPerson { .. }) => false,
            Some(Channel::Video | Channel::OnlineElsewhere { .. }) => true,
            None => self.remote_feasibility.get() >= 3,
        }
    }
}
