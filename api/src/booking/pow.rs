//! A self-hosted proof-of-work challenge on booking (no third-party captcha, no tracking).
//!
//! The server hands out a signed challenge; the browser searches a nonce such that
//! `SHA-256("<challenge>:<nonce>")` starts with `bits` zero bits (about `2^bits` hashes, a second
//! or two on a phone at the default 16) and sends both with the booking. Challenges are
//! stateless (HMAC-signed with the issue time), expire after ten minutes and are accepted once per
//! process. This makes mass booking by scripts expensive while costing a citizen nothing visible.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// How long a challenge may be used.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(10);
const NONCE_MAX_CHARS: usize = 64;
const RANDOM_BYTES: usize = 16;
const SIGNED_BYTES: usize = 1 + 8 + 1 + RANDOM_BYTES;
const CHALLENGE_BYTES: usize = SIGNED_BYTES + 32;

/// Why a proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the challenge is malformed or was not issued by this service")]
    Forged,
    #[error("the challenge has expired; fetch a new one")]
    Expired,
    #[error("the nonce does not solve the challenge")]
    Unsolved,
    #[error("the challenge has already been used")]
    Reused,
}

/// Issues and checks challenges.
#[derive(Debug)]
pub struct ProofOfWork {
    key: [u8; 32],
    bits: u8,
    /// Used challenges with their expiry, pruned as they expire.
    used: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl ProofOfWork {
    /// `bits` is capped at 32.
    pub fn new(key: [u8; 32], bits: u8) -> Self {
        Self {
            key,
            bits: bits.min(32),
            used: Mutex::new(HashMap::new()),
        }
    }

    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// A new challenge issued at `now`.
    pub fn issue(&self, now: DateTime<Utc>) -> String {
        let mut signed = [0u8; SIGNED_BYTES];
        signed[0] = 1;
        signed[1..9].copy_from_slice(&now.timestamp().to_be_bytes());
        signed[9] = self.bits;
        rand::rngs::OsRng.fill_bytes(&mut signed[10..]);
        let mut bytes = signed.to_vec();
        bytes.extend_from_slice(&self.mac(&signed));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn mac(&self, data: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Checks a solution and marks the challenge used.
    pub fn verify(
        &self,
        challenge: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ProofError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| ProofError::Forged)?;
        if bytes.len() != CHALLENGE_BYTES || bytes[0] != 1 {
            return Err(ProofError::Forged);
        }
        let (signed, tag) = bytes.split_at(SIGNED_BYTES);
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(signed);
        mac.verify_slice(tag).map_err(|_| ProofError::Forged)?;
        let mut seconds = [0u8; 8];
        seconds.copy_from_slice(&signed[1..9]);
        let issued =
            DateTime::from_timestamp(i64::from_be_bytes(seconds), 0).ok_or(ProofError::Forged)?;
        let expires = issued + CHALLENGE_LIFETIME;
        if now >= expires || issued > now + Duration::minutes(1) {
            return Err(ProofError::Expired);
        }
        let bits = signed[9];
        if nonce.is_empty()
            || nonce.len() > NONCE_MAX_CHARS
            || !nonce.bytes().all(|b| b.is_ascii_alphanumeric())
            || !solves(challenge, nonce, bits)
        {
            return Err(ProofError::Unsolved);
        }
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        used.retain(|_, expiry| *expiry > now);
        if used.insert(challenge.to_owned(), expires).is_some() {
            return Err(ProofError::Reused);
        }
        Ok(())
    }
}

/// True when `SHA-256("<challenge>:<nonce>")` starts with `bits` zero bits.
pub fn solves(challenge: &str, nonce: &str, bits: u8) -> bool {
    let digest = Sha256::new()
        .chain_update(challenge.as_bytes())
        .chain_update(b":")
        .chain_update(nonce.as_bytes())
        .finalize();
    leading_zero_bits(&digest) >= u32::from(bits)
}

fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut count = 0;
    for byte in bytes {
        if *byte == 0 {
            count += 8;
        } else {
            count += byte.leading_zeros();
            break;
        }
    }
    count
}

/// Finds a nonce by brute force (tests and load generators; browsers run the same loop).
pub fn solve(challenge: &str, bits: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|nonce| solves(challenge, nonce, bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000, 0).unwrap()
    }

    #[test]
    fn a_solved_challenge_is_accepted_once() {
        let pow = ProofOfWork::new([7; 32], 8);
        let challenge = pow.issue(now());
        let nonce = solve(&challenge, 8);
        assert_eq!(pow.verify(&challenge, &nonce, now()), Ok(()));
        assert_eq!(
            pow.verify(&challenge, &nonce, now()),
            Err(ProofError::Reused)
        );
    }

    #[test]
    fn a_wrong_nonce_is_refused() {
        let pow = ProofOfWork::new([7; 32], 12);
        let challenge = pow.issue(now());
        let wrong = (0u64..)
            .map(|n| n.to_string())
            .find(|nonce| !solves(&challenge, nonce, 12))
            .unwrap();
        assert_eq!(
            pow.verify(&challenge, &wrong, now()),
            Err(ProofError::Unsolved)
        );
        for bad in ["", "ä", &"1".repeat(65), "1 2"] {
            assert_eq!(
                pow.verify(&challenge, bad, now()),
                Err(ProofError::Unsolved)
            );
        }
    }

    #[test]
    fn an_expired_challenge_is_refused() {
        let pow = ProofOfWork::new([7; 32], 0);
        let challenge = pow.issue(now());
        assert_eq!(
            pow.verify(&challenge, "0", now() + CHALLENGE_LIFETIME),
            Err(ProofError::Expired)
        );
    }

    #[test]
    fn a_challenge_from_another_key_or_altered_is_forged() {
        let other = ProofOfWork::new([8; 32], 0).issue(now());
        let pow = ProofOfWork::new([7; 32], 0);
        assert_eq!(pow.verify(&other, "0", now()), Err(ProofError::Forged));
        let mine = pow.issue(now());
        let mut bytes = URL_SAFE_NO_PAD.decode(&mine).unwrap();
        bytes[9] = 0; // claims an easier difficulty
        bytes[12] ^= 1;
        let altered = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(pow.verify(&altered, "0", now()), Err(ProofError::Forged));
        for junk in ["", "!!", "AAAA"] {
            assert_eq!(pow.verify(junk, "0", now()), Err(ProofError::Forged));
        }
    }

    #[test]
    fn the_difficulty_is_counted_in_leading_zero_bits() {
        assert_eq!(leading_zero_bits(&[0, 0x0f, 0xff]), 12);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }
}
