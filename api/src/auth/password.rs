//! Passwords: Argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), stored as PHC
//! strings, hashed and checked on the blocking pool so that a login never stalls the async
//! workers. A login for an unknown, disabled or erased account still checks the password against
//! a dummy hash, so the answer takes as long as for a real account and does not tell which
//! usernames exist.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use domain::account::PasswordHash;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in characters.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A password that meets the policy. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<secret>)")
    }
}

/// Why a new password is refused (the text never quotes it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
pub struct PasswordPolicyError;

impl NewPassword {
    pub fn parse(text: impl Into<String>) -> Result<Self, PasswordPolicyError> {
        let text = text.into();
        let chars = text.chars().count();
        if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            Ok(Self(text))
        } else {
            Err(PasswordPolicyError)
        }
    }
}

/// The OWASP Argon2id parameters: m = 19 MiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("the OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

/// A hash of a random password with the same parameters, checked when there is no real one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = SaltString::generate(&mut OsRng);
        hash_now(random.as_str()).unwrap_or_default()
    })
}

fn verify_now(password: &str, phc: &str) -> bool {
    match argon2::PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashes a new password (on the blocking pool).
pub async fn hash(password: NewPassword) -> anyhow::Result<PasswordHash> {
    let phc = tokio::task::spawn_blocking(move || hash_now(&password.0))
        .await
        .context("the hashing task")??;
    PasswordHash::parse(phc).context("argon2 produced a hash that is not a PHC string")
}

/// Checks `password` against `hash`; without a hash it checks against the dummy and answers
/// false, taking as long as a real check.
pub async fn verify(password: String, hash: Option<PasswordHash>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let too_long = password.chars().count() > MAX_PASSWORD_CHARS;
        let candidate = if too_long { "" } else { password.as_str() };
        match &hash {
            Some(hash) => verify_now(candidate, hash.expose()) && !too_long,
            None => {
                verify_now(candidate, dummy_hash());
                false
            }
        }
    })
    .await
    .context("the verifying task")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_is_argon2id_with_the_owasp_parameters_and_verifies_only_its_password() {
        let hash = hash(NewPassword::parse("correct horse battery").unwrap())
            .await
            .unwrap();
        assert!(
            hash.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash:?}"
        );
        let check = |p: &str| verify(p.to_owned(), Some(hash.clone()));
        assert!(check("correct horse battery").await.unwrap());
        assert!(!check("correct horse battery ").await.unwrap());
        assert!(!verify("anything at all".into(), None).await.unwrap());
    }

    #[test]
    fn a_password_has_twelve_to_two_hundred_fifty_six_characters() {
        assert!(NewPassword::parse("a".repeat(11)).is_err());
        assert!(NewPassword::parse("ä".repeat(12)).is_ok());
        assert!(NewPassword::parse("a".repeat(256)).is_ok());
        assert!(NewPassword::parse("a".repeat(257)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("hunter2hunter2").unwrap()),
            "NewPassword(<secret>)"
        );
    }
}
