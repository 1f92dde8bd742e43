//! Short-lived TURN credentials for coturn's `use-auth-secret` mode.
//!
//! TODO(helper turn): implement minting (username `expiry:participant`, password
//! base64(HMAC-SHA1(secret, username))) and rotation (several secrets, mint with the first).
