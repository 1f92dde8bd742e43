//! The `iceServers` a participant's `RTCPeerConnection` gets: the configured TURN URLs with a
//! credential minted for that participant.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{TurnCredential, TurnError, TurnSecrets};
use crate::signal::message::IceServer;

/// How long a minted credential lets a participant open new allocations: one hour (the reasons
/// are in docs/adr/0005-turn.md).
pub const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);
/// The longest lifetime accepted: a leaked credential must not outlive a working day.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest URL accepted, in bytes.
const MAX_URL_BYTES: usize = 256;

/// The TURN (and optional STUN) URLs, the shared secrets and the credential lifetime.
/// `Debug` shows the URLs and the lifetime, never a secret.
#[derive(Debug, Clone)]
pub struct TurnServers {
    turn_urls: Vec<String>,
    stun_urls: Vec<String>,
    secrets: TurnSecrets,
    ttl: Duration,
}

impl TurnServers {
    /// `urls` as the browser takes them, e.g. `turn:turn.example:3478?transport=udp`,
    /// `turn:turn.example:3478?transport=tcp`, `turns:turn.example:5349?transport=tcp`; `stun:`
    /// URLs may be added and get no credential. At least one `turn:`/`turns:` URL is needed.
    pub fn new<I, S>(urls: I, secrets: TurnSecrets, ttl: Duration) -> Result<Self, TurnError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if ttl.is_zero() || ttl > MAX_TTL {
            return Err(TurnError::BadTtl {
                seconds: ttl.as_secs(),
            });
        }
        let mut turn_urls = Vec::new();
        let mut stun_urls = Vec::new();
        for url in urls {
            let url = url.into();
            match scheme(&url)? {
                Scheme::Turn => turn_urls.push(url),
                Scheme::Stun => stun_urls.push(url),
            }
        }
        if turn_urls.is_empty() {
            return Err(TurnError::NoUrl);
        }
        Ok(Self {
            turn_urls,
            stun_urls,
            secrets,
            ttl,
        })
    }

    /// Parses a comma-separated URL list (an environment variable such as
    /// `BUERGERAMT_TURN_URLS`); spaces around the commas are ignored.
    pub fn from_list(list: &str, secrets: TurnSecrets, ttl: Duration) -> Result<Self, TurnError> {
        Self::new(
            list.split(',').map(str::trim).filter(|s| !s.is_empty()),
            secrets,
            ttl,
        )
    }

    /// The credential lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A credential for `participant` (an opaque id), valid from `now` for the lifetime, minted
    /// with the first secret.
    pub fn credential(
        &self,
        participant: &str,
        now: DateTime<Utc>,
    ) -> Result<TurnCredential, TurnError> {
        let ttl = chrono::Duration::from_std(self.ttl).map_err(|_| TurnError::BadTtl {
            seconds: self.ttl.as_secs(),
        })?;
        let expires_at = now
            .checked_add_signed(ttl)
            .ok_or(TurnError::ExpiryOutOfRange)?;
        TurnCredential::mint(self.secrets.minting(), participant, expires_at)
    }

    /// The `iceServers` for `participant`: one entry with every TURN URL and a fresh credential,
    /// and one entry without credential for the STUN URLs, if any.
    pub fn ice_servers(
        &self,
        participant: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<IceServer>, TurnError> {
        let credential = self.credential(participant, now)?;
        let mut servers = vec![IceServer {
            urls: self.turn_urls.clone(),
            username: Some(credential.username),
            credential: Some(credential.password),
        }];
        if !self.stun_urls.is_empty() {
            servers.push(IceServer {
                urls: self.stun_urls.clone(),
                username: None,
                credential: None,
            });
        }
        Ok(servers)
    }
}

#[derive(Clone, Copy)]
enum Scheme {
    Turn,
    Stun,
}

/// Checks the form of an RFC 7065 / RFC 7064 URL: a scheme, a host, an optional port and for
/// TURN an optional `?transport=udp|tcp`.
fn scheme(url: &str) -> Result<Scheme, TurnError> {
    let bad = |reason| TurnError::BadUrl {
        url: url.chars().take(MAX_URL_BYTES).collect(),
        reason,
    };
    if url.len() > MAX_URL_BYTES {
        return Err(bad("longer than 256 bytes"));
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("only printable ASCII without spaces"));
    }
    let (scheme, rest) = url.split_once(':').ok_or_else(|| bad("no scheme"))?;
    let (address, query) = match rest.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (rest, None),
    };
    let kind = match scheme {
        "turn" | "turns" => Scheme::Turn,
        "stun" | "stuns" => Scheme::Stun,
        _ => return Err(bad("the scheme must be turn:, turns:, stun: or stuns:")),
    };
    if address.is_empty() || address.starts_with("//") || address.contains(['/', '@']) {
        return Err(bad(
            "expected host[:port] after the scheme, without // or user",
        ));
    }
    match (kind, query) {
        (_, None) => {}
        (Scheme::Turn, Some("transport=udp" | "transport=tcp")) => {}
        (Scheme::Turn, Some(_)) => return Err(bad("the only query is ?transport=udp or tcp")),
        (Scheme::Stun, Some(_)) => return Err(bad("a STUN URL has no query")),
    }
    Ok(kind)
}
