//! Crypto of the per-citizen key vault (crypto-shredding, GDPR Art. 17).
//!
//! Every citizen (subject) gets a random 256-bit data key on first use. Data keys are stored only
//! wrapped (XChaCha20-Poly1305) under the installation's master key, with the subject id as
//! associated data, in the backend's `subject_keys` table. Personal data is sealed with the data
//! key, a random 192-bit nonce and `subject ‖ event id` as associated data, so a sealed blob cannot
//! be moved to another event or citizen unnoticed. Erasure deletes the wrapped key; the sealed
//! blobs stay (the hash chain covers them) and can never be opened again.

use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::{StoreError, SubjectId};

const NONCE_LEN: usize = 24;

/// The installation's key-encryption key. Its `Debug` never prints the key.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hexadecimal characters.
    pub fn from_hex(hex_key: &str) -> Result<Self, StoreError> {
        let bytes = hex::decode(hex_key.trim())
            .map_err(|_| StoreError::InvalidInput("the master key is not hexadecimal".into()))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::InvalidInput("the master key must be 32 bytes".into()))?;
        Ok(Self(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }
}

/// One citizen's data key. Its `Debug` never prints the key.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl DataKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }
}

fn seal_with(cipher: &XChaCha20Poly1305, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
    let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

fn open_with(cipher: &XChaCha20Poly1305, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
    if sealed.len() < NONCE_LEN {
        return Err(StoreError::Corrupt(
            "sealed data is shorter than its nonce".into(),
        ));
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| StoreError::Corrupt("sealed data does not open with its key".into()))
}

/// Wraps a data key for storage.
pub fn wrap(master: &MasterKey, subject: SubjectId, key: &DataKey) -> Vec<u8> {
    seal_with(&master.cipher(), subject.0.as_bytes(), &key.0)
}

/// Unwraps a stored data key.
pub fn unwrap(
    master: &MasterKey,
    subject: SubjectId,
    wrapped: &[u8],
) -> Result<DataKey, StoreError> {
    let bytes = open_with(&master.cipher(), subject.0.as_bytes(), wrapped)?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a wrapped data key is not 32 bytes".into()))?;
    Ok(DataKey(bytes))
}

fn aad(subject: SubjectId, event_id: uuid::Uuid) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(subject.0.as_bytes());
    out[16..].copy_from_slice(event_id.as_bytes());
    out
}

/// Seals one event's personal data: `nonce ‖ ciphertext`.
pub fn seal(key: &DataKey, subject: SubjectId, event_id: uuid::Uuid, plaintext: &[u8]) -> Vec<u8> {
    seal_with(&key.cipher(), &aad(subject, event_id), plaintext)
}

/// Opens one event's sealed personal data.
pub fn open(
    key: &DataKey,
    subject: SubjectId,
    event_id: uuid::Uuid,
    sealed: &[u8],
) -> Result<Vec<u8>, StoreError> {
    open_with(&key.cipher(), &aad(subject, event_id), sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_for_its_own_event_and_subject() {
        let key = DataKey::generate();
        let subject = SubjectId(uuid::Uuid::new_v4());
        let event = uuid::Uuid::new_v4();
        let sealed = seal(&key, subject, event, b"Erika Mustermann");
        assert_eq!(
            open(&key, subject, event, &sealed).unwrap(),
            b"Erika Mustermann"
        );
        assert!(open(&key, subject, uuid::Uuid::new_v4(), &sealed).is_err());
        assert!(open(&key, SubjectId(uuid::Uuid::new_v4()), event, &sealed).is_err());
        assert!(open(&DataKey::generate(), subject, event, &sealed).is_err());
    }

    #[test]
    fn a_wrapped_key_unwraps_only_under_its_master_key_and_subject() {
        let master = MasterKey::generate();
        let subject = SubjectId(uuid::Uuid::new_v4());
        let key = DataKey::generate();
        let wrapped = wrap(&master, subject, &key);
        assert_eq!(unwrap(&master, subject, &wrapped).unwrap().0, key.0);
        assert!(unwrap(&MasterKey::generate(), subject, &wrapped).is_err());
        assert!(unwrap(&master, SubjectId(uuid::Uuid::new_v4()), &wrapped).is_err());
    }

    #[test]
    fn the_master_key_never_shows_in_debug_output() {
        let master = MasterKey::from_bytes([7u8; 32]);
        assert!(!format!("{master:?}").contains("07"));
    }
}
