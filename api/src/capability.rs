//! Capability links: a long random token that opens one case for the citizen without an account.
//!
//! A token is `<case id, 32 hex digits>.<32 random bytes, base64url>`. Only its SHA-256 is stored
//! (as an `AccessLinkIssued` event of the case), so a copy of the database opens nothing. The case
//! id in the token lets the server find the one stream to check without an index; the random part
//! (256 bits) is what grants access. Links carry the token in the URL fragment (`#token=…`),
//! which browsers never send to the server, so it cannot end up in access logs or `Referer`
//! headers; the page sends it as `Authorization: Bearer <token>`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::case::AccessTokenHash;
use domain::CaseId;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The page a citizen's links open.
pub const APPOINTMENT_PAGE: &str = "/mein-termin.html";

/// A capability token in its textual form. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CapabilityToken {
    case_id: CaseId,
    text: String,
}

impl std::fmt::Debug for CapabilityToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapabilityToken")
            .field("case_id", &self.case_id)
            .finish_non_exhaustive()
    }
}

/// Why a presented token was not accepted (never which part was wrong, to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed capability token")]
pub struct MalformedToken;

const SECRET_BYTES: usize = 32;
const SECRET_CHARS: usize = 43; // base64url without padding of 32 bytes

impl CapabilityToken {
    /// A new random token for `case_id`.
    pub fn generate(case_id: CaseId) -> Self {
        let mut secret = [0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let text = format!(
            "{}.{}",
            case_id.as_uuid().simple(),
            URL_SAFE_NO_PAD.encode(secret)
        );
        Self { case_id, text }
    }

    /// Reads a token presented by a client; checks only its shape.
    pub fn parse(text: &str) -> Result<Self, MalformedToken> {
        let (id, secret) = text.split_once('.').ok_or(MalformedToken)?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(MalformedToken);
        }
        let case_id = CaseId(Uuid::try_parse(id).map_err(|_| MalformedToken)?);
        if secret.len() != SECRET_CHARS {
            return Err(MalformedToken);
        }
        let bytes = URL_SAFE_NO_PAD.decode(secret).map_err(|_| MalformedToken)?;
        if bytes.len() != SECRET_BYTES {
            return Err(MalformedToken);
        }
        Ok(Self {
            case_id,
            text: text.to_owned(),
        })
    }

    /// The case this token claims to open (to be checked against the case's stored hashes).
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }

    /// The hash recorded in the case.
    pub fn hash(&self) -> AccessTokenHash {
        let digest = Sha256::digest(self.text.as_bytes());
        AccessTokenHash::parse(hex::encode(digest))
            .expect("a SHA-256 in hex is 64 lowercase digits")
    }

    /// The token itself, for the one reply or message that hands it out.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The "my appointment" link under `public_url` (no trailing slash needed).
    pub fn appointment_link(&self, public_url: &str) -> String {
        format!(
            "{}{APPOINTMENT_PAGE}#token={}",
            public_url.trim_end_matches('/'),
            self.text
        )
    }

    /// The one-click cancel link: it opens the appointment page with a single "cancel" button
    /// (a GET never cancels, so link scanners in mail systems cannot cancel by visiting it).
    pub fn cancel_link(&self, public_url: &str) -> String {
        format!("{}&action=cancel", self.appointment_link(public_url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_back_to_its_case_and_hash() {
        let case_id = CaseId(Uuid::new_v4());
        let token = CapabilityToken::generate(case_id);
        let parsed = CapabilityToken::parse(token.expose()).unwrap();
        assert_eq!(parsed.case_id(), case_id);
        assert_eq!(parsed.hash(), token.hash());
        assert_ne!(
            CapabilityToken::generate(case_id).hash(),
            token.hash(),
            "two tokens for one case differ"
        );
    }

    #[test]
    fn a_malformed_token_is_refused() {
        let good = CapabilityToken::generate(CaseId(Uuid::new_v4()));
        let text = good.expose();
        let (id, secret) = text.split_once('.').unwrap();
        for bad in [
            String::new(),
            id.to_owned(),
            format!("{id}."),
            format!("{id}.{}", &secret[1..]),
            format!("{id}.{secret}A"),
            format!("{}.{secret}", &id[1..]),
            format!("{}x.{secret}", &id[1..]),
            format!("{id}.{}+", &secret[1..]),
            format!("{id}:{secret}"),
        ] {
            assert_eq!(CapabilityToken::parse(&bad), Err(MalformedToken), "{bad}");
        }
    }

    #[test]
    fn the_debug_form_never_shows_the_secret() {
        let token = CapabilityToken::generate(CaseId(Uuid::new_v4()));
        let secret = token.expose().split_once('.').unwrap().1.to_owned();
        assert!(!format!("{token:?}").contains(&secret));
    }

    #[test]
    fn links_carry_the_token_in_the_fragment() {
        let token = CapabilityToken::generate(CaseId(Uuid::new_v4()));
        let link = token.appointment_link("https://termine.potsdam.de/");
        assert_eq!(
            link,
            format!(
                "https://termine.potsdam.de/mein-termin.html#token={}",
                token.expose()
            )
        );
        assert!(token
            .cancel_link("https://termine.potsdam.de")
            .ends_with("&action=cancel"));
    }
}
