//! The secrets shared with coturn (`static-auth-secret`). The first one mints; all of them are
//! what coturn accepts, which is what makes rotation possible without downtime.

use super::TurnError;

/// The shortest secret accepted, in bytes: `openssl rand -hex 32` gives 64.
pub const MIN_SECRET_BYTES: usize = 32;

/// One shared secret. Its `Debug` output never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnSecret(String);

impl TurnSecret {
    /// A secret of at least [`MIN_SECRET_BYTES`] printable ASCII characters without spaces, `#`,
    /// `"` or `'` (so it can stand unquoted on a `static-auth-secret=` line of coturn's config).
    pub fn new(value: impl Into<String>, position: usize) -> Result<Self, TurnError> {
        let value = value.into();
        if value.len() < MIN_SECRET_BYTES {
            return Err(TurnError::BadSecret {
                position,
                reason: "shorter than 32 bytes",
            });
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'#' | b'"' | b'\''))
        {
            return Err(TurnError::BadSecret {
                position,
                reason: "only printable ASCII without spaces, '#' and quotes",
            });
        }
        Ok(Self(value))
    }

    /// The secret's bytes, for the HMAC key.
    pub(super) fn key(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for TurnSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TurnSecret(<redacted>)")
    }
}

/// The configured secrets, never empty, without repeats. The first one mints.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnSecrets {
    minting: TurnSecret,
    /// The secrets coturn still (or already) accepts besides the minting one.
    others: Vec<TurnSecret>,
}

impl TurnSecrets {
    /// The secrets in order; the first mints. Positions in errors count from 1.
    pub fn new<I, S>(secrets: I) -> Result<Self, TurnError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut parsed: Vec<TurnSecret> = Vec::new();
        for (index, value) in secrets.into_iter().enumerate() {
            let secret = TurnSecret::new(value, index + 1)?;
            if parsed.contains(&secret) {
                return Err(TurnError::DuplicateSecret {
                    position: index + 1,
                });
            }
            parsed.push(secret);
        }
        let mut parsed = parsed.into_iter();
        let minting = parsed.next().ok_or(TurnError::NoSecret)?;
        Ok(Self {
            minting,
            others: parsed.collect(),
        })
    }

    /// Parses a comma-separated list (an environment variable such as
    /// `BUERGERAMT_TURN_SECRETS=new,old`); spaces around the commas are ignored.
    pub fn parse_list(list: &str) -> Result<Self, TurnError> {
        Self::new(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        )
    }

    /// The secret that mints new credentials.
    pub fn minting(&self) -> &TurnSecret {
        &self.minting
    }

    /// How many secrets are configured (at least one).
    pub fn count(&self) -> usize {
        1 + self.others.len()
    }
}

impl std::fmt::Debug for TurnSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TurnSecrets({} x <redacted>)", self.count())
    }
}
