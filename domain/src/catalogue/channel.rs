//! Triage: which channel a service is offered on.
//!
//! The rule, in order:
//! 1. **In person** when the law requires personal appearance (`personal_appearance_required = yes`)
//!    or the feasibility is 1 or 2. The law wins over everything else: an ID card cannot be applied
//!    for by video (§ 9 PAuswG, fingerprints), whatever portals exist.
//! 2. **Online elsewhere** when the service is listed in [`ONLINE_ELSEWHERE`]: a public portal lets
//!    the citizen complete the whole procedure online with the online ID function. The list is
//!    explicit rather than derived from the free-text reason, because a sentence such as "online in
//!    Berlin" does not mean Potsdam's citizens can use it; each entry names its legal basis and was
//!    taken from the catalogue row's own reason.
//! 3. **Video** otherwise.
//!
//! Residence registration (`wohnsitz_anmeldung`) is deliberately *not* online elsewhere although
//! Potsdam offers the eWA (BMG § 23a): eWA cannot be used for secondary residences, arrivals from
//! abroad or with an electronic residence permit (eAT), which excludes exactly the international
//! residents who make up about half of virtual-office users. It stays a video service.

use serde::{Deserialize, Serialize};

use super::service::{PersonalAppearance, Service};

/// The channel a service is offered on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    /// Can be done in a video call.
    Video,
    /// Needs a visit to the office; `reason` is the catalogue's legal reason.
    InPerson { reason: String },
    /// Can be done entirely online at another portal. A video call remains possible as a fallback
    /// for citizens without an online ID (see [`Service::video_allowed`]).
    OnlineElsewhere {
        /// The portal's name.
        portal: String,
        /// Where to find it, when one address serves every citizen of Potsdam.
        url: Option<String>,
        /// The legal basis that makes the online route complete.
        reason: String,
    },
}

/// A service that a public portal handles fully online.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlinePortal {
    pub service_key: &'static str,
    pub portal: &'static str,
    pub url: Option<&'static str>,
    pub reason: &'static str,
}

const BFJ: &str = "Bundesamt für Justiz: Online-Antrag";
const BFJ_URL: Option<&str> = Some("https://www.fuehrungszeugnis.bund.de");
const I_KFZ: &str = "i-Kfz (internet-based vehicle registration)";

/// The services that are fully online elsewhere, with their legal reason.
pub const ONLINE_ELSEWHERE: &[OnlinePortal] = &[
    OnlinePortal {
        service_key: "fuehrungszeugnis",
        portal: BFJ,
        url: BFJ_URL,
        reason: "BZRG § 30c: the application can be made online directly at the register \
                 authority, identified with the online ID function",
    },
    OnlinePortal {
        service_key: "gzr_auskunft",
        portal: BFJ,
        url: BFJ_URL,
        reason: "GewO § 150e: the application can be made online directly at the register \
                 authority, identified with the online ID function",
    },
    OnlinePortal {
        service_key: "kfz_umschreibung_adresse",
        portal: I_KFZ,
        // Every vehicle registration authority runs its own i-Kfz portal.
        url: None,
        reason: "Fahrzeug-Zulassungsverordnung (i-Kfz): the holder's address change is processed \
                 fully automatically online with the online ID function",
    },
    OnlinePortal {
        service_key: "kfz_abmeldung",
        portal: I_KFZ,
        url: None,
        reason: "Fahrzeug-Zulassungsverordnung (i-Kfz): deregistration online with the security \
                 codes on the registration certificate and plate seals, since 1 January 2015",
    },
    OnlinePortal {
        service_key: "ausweis_adressaenderung",
        portal: "Elektronische Wohnsitzanmeldung (eWA)",
        url: Some("https://wohnsitzanmeldung.gov.de"),
        reason:
            "BMG § 23a: electronic registration; the eWA service writes the new address to the \
                 ID card chip with the AusweisApp and the Bundesdruckerei mails the sticker \
                 (not available for the electronic residence permit)",
    },
];

/// Applies the triage rule described in the module documentation.
pub(super) fn triage(service: &Service) -> Channel {
    if service.personal_appearance == PersonalAppearance::Yes
        || service.remote_feasibility.get() <= 2
    {
        return Channel::InPerson {
            reason: service.feasibility_reason.clone(),
        };
    }
    if let Some(entry) = ONLINE_ELSEWHERE
        .iter()
        .find(|entry| entry.service_key == service.key.as_str())
    {
        return Channel::OnlineElsewhere {
            portal: entry.portal.to_owned(),
            url: entry.url.map(str::to_owned),
            reason: entry.reason.to_owned(),
        };
    }
    Channel::Video
}
