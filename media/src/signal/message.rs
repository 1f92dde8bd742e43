//! The JSON messages of the call's signalling, version 1. Every message is an object tagged by
//! `type`; a client message also carries `"v": 1`. Offers and answers use the browser's own
//! `RTCSessionDescriptionInit` form (`{type, sdp}`), candidates its `RTCIceCandidateInit`.
//!
//! Parsing is strict: unknown types, unknown fields, a wrong version and oversized values are
//! refused with a reason the client can show, before anything acts on the message.

use serde::{Deserialize, Serialize};

/// The protocol version this server speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest text message a client may send (an SDP offer with simulcast is about 10 KiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;
/// The longest session description, in bytes.
pub const MAX_SDP_BYTES: usize = 48 * 1024;
/// The longest candidate line, in bytes.
pub const MAX_CANDIDATE_BYTES: usize = 512;

/// Whether a description is an offer or an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    Offer,
    Answer,
}

/// The browser's `RTCSessionDescriptionInit`: `{"type": "offer", "sdp": "v=0…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionDescription {
    #[serde(rename = "type")]
    pub kind: SdpType,
    pub sdp: String,
}

/// The browser's `RTCIceCandidateInit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IceCandidate {
    pub candidate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp_m_line_index: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username_fragment: Option<String>,
}

/// Which media line carries whose track, so a page can label the video it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackInfo {
    pub mid: String,
    /// `audio` or `video`.
    pub kind: String,
    pub peer_id: String,
    pub role: String,
    pub name: String,
}

/// What a participant has switched on, shown to the others (a muted microphone, a shared screen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaState {
    pub audio: bool,
    pub video: bool,
    pub screen: bool,
}

/// A message from a browser.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClientMessage {
    /// The first message. Exactly one way in: a citizen's capability `token`, an interpreter's
    /// one-time `invite`, or (for a clerk, authenticated by the session cookie) the `case_id`.
    Join {
        v: u32,
        #[serde(default)]
        case_id: Option<String>,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        invite: Option<String>,
        /// The device check: no call, the SFU sends the participant's own media back (citizen
        /// token only; 60 seconds at most).
        #[serde(default)]
        echo_test: bool,
    },
    /// The browser's first offer, once admitted.
    Offer { v: u32, sdp: String },
    /// The browser's answer to an offer of the SFU.
    Answer { v: u32, sdp: String },
    /// A trickled ICE candidate; `null` marks the end of candidates.
    Candidate {
        v: u32,
        candidate: Option<IceCandidate>,
    },
    /// Asks for a new offer with fresh ICE credentials (the network changed).
    IceRestart { v: u32 },
    /// A chat line to everybody in the call. Not stored anywhere.
    Chat { v: u32, text: String },
    /// What this participant has switched on.
    MediaState {
        v: u32,
        audio: bool,
        video: bool,
        screen: bool,
    },
    /// Keeps the connection alive through proxies; answered with `pong`.
    Ping { v: u32 },
    /// This participant hangs up.
    Leave { v: u32 },
    /// The clerk ends the call for everybody.
    End { v: u32 },
}

/// One person in the call, as the others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParticipantInfo {
    pub peer_id: String,
    pub role: String,
    pub name: String,
    /// Whether their media is connected (false while waiting or reconnecting).
    pub connected: bool,
    pub media: MediaState,
}

/// A TURN or STUN server for `RTCPeerConnection`'s `iceServers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// A message to a browser.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerMessage {
    /// The join was accepted.
    Welcome {
        v: u32,
        peer_id: String,
        role: String,
        case_id: String,
        /// For `RTCPeerConnection`; TURN credentials are minted for this participant.
        ice_servers: Vec<IceServer>,
        /// `RTCPeerConnection`'s `iceTransportPolicy`: `all`, or `relay` when the office sends
        /// every call through its TURN server (strict networks, or no direct UDP to the SFU).
        ice_transport_policy: String,
    },
    /// Fresh `iceServers` (sent before the offer that answers an `ice-restart`): the page calls
    /// `setConfiguration` with them, because TURN credentials expire.
    IceServers {
        v: u32,
        ice_servers: Vec<IceServer>,
    },
    /// Not in the call yet: `stage` is the case's waiting-room state (`checked_in`, `on_hold`,
    /// `admitted` while the clerk has not opened the call) or `not_checked_in`.
    Waiting {
        v: u32,
        stage: String,
    },
    /// The call is open: send your offer now.
    Admitted {
        v: u32,
        session_id: String,
    },
    /// The SFU's answer to the browser's offer.
    Answer {
        v: u32,
        sdp: String,
    },
    /// An offer of the SFU (new tracks, ICE restart); reply with `answer`.
    Offer {
        v: u32,
        sdp: String,
        tracks: Vec<TrackInfo>,
    },
    /// Everybody in the room now.
    Participants {
        v: u32,
        participants: Vec<ParticipantInfo>,
    },
    /// A chat line.
    Chat {
        v: u32,
        from: String,
        role: String,
        name: String,
        text: String,
        at: String,
    },
    /// The media connection state of this peer at the SFU: `connected`, `disconnected`.
    Connection {
        v: u32,
        state: String,
    },
    Pong {
        v: u32,
    },
    /// The call has ended (by the clerk, or the case was closed); the page shows the end.
    Ended {
        v: u32,
        reason: String,
    },
    /// Something was refused; RFC 9457 fields. A fatal error is followed by closing the socket.
    Error {
        v: u32,
        problem: Problem,
    },
}

/// An RFC 9457 problem inside an `error` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

/// Why a client message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the message is larger than {MAX_MESSAGE_BYTES} bytes")]
    TooLarge,
    #[error("the message is not valid: {0}")]
    Malformed(String),
    #[error(
        "protocol version {0} is not supported; this server speaks version {PROTOCOL_VERSION}"
    )]
    Version(u32),
    #[error("{0}")]
    Invalid(String),
}

impl ClientMessage {
    /// Parses and validates one text frame.
    pub fn parse(text: &str) -> Result<ClientMessage, ProtocolError> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(ProtocolError::TooLarge);
        }
        let message: ClientMessage =
            serde_json::from_str(text).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
        if message.version() != PROTOCOL_VERSION {
            return Err(ProtocolError::Version(message.version()));
        }
        message.validate()?;
        Ok(message)
    }

    /// The protocol version the client claims.
    pub fn version(&self) -> u32 {
        match self {
            ClientMessage::Join { v, .. }
            | ClientMessage::Offer { v, .. }
            | ClientMessage::Answer { v, .. }
            | ClientMessage::Candidate { v, .. }
            | ClientMessage::IceRestart { v }
            | ClientMessage::Chat { v, .. }
            | ClientMessage::MediaState { v, .. }
            | ClientMessage::Ping { v }
            | ClientMessage::Leave { v }
            | ClientMessage::End { v } => *v,
        }
    }

    fn validate(&self) -> Result<(), ProtocolError> {
        let invalid = |why: &str| Err(ProtocolError::Invalid(why.to_owned()));
        match self {
            ClientMessage::Join {
                case_id,
                token,
                invite,
                ..
            } => {
                let ways = [token.is_some(), invite.is_some()]
                    .iter()
                    .filter(|w| **w)
                    .count();
                if ways > 1 {
                    return invalid("join with either a token or an invite, not both");
                }
                for value in [case_id, token, invite].into_iter().flatten() {
                    if value.is_empty() || value.len() > 200 {
                        return invalid("join values must be 1 to 200 characters");
                    }
                }
                Ok(())
            }
            ClientMessage::Offer { sdp, .. } | ClientMessage::Answer { sdp, .. } => {
                if sdp.is_empty() || sdp.len() > MAX_SDP_BYTES {
                    return invalid("the sdp must be 1 byte to 48 KiB");
                }
                if !sdp.starts_with("v=0") {
                    return invalid("the sdp must start with v=0");
                }
                Ok(())
            }
            ClientMessage::Candidate {
                candidate: Some(candidate),
                ..
            } => {
                if candidate.candidate.len() > MAX_CANDIDATE_BYTES {
                    return invalid("the candidate is longer than 512 bytes");
                }
                Ok(())
            }
            ClientMessage::Chat { text, .. } => {
                let chars = text.chars().count();
                if text.trim().is_empty() || chars > MAX_CHAT_CHARS {
                    return invalid("a chat line must be 1 to 2000 characters");
                }
                if text.chars().any(|c| c.is_control() && c != '\n') {
                    return invalid("a chat line must not contain control characters");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The message's name, for logs and rate limits (never its content).
    pub fn kind(&self) -> &'static str {
        match self {
            ClientMessage::Join { .. } => "join",
            ClientMessage::Offer { .. } => "offer",
            ClientMessage::Answer { .. } => "answer",
            ClientMessage::Candidate { .. } => "candidate",
            ClientMessage::IceRestart { .. } => "ice-restart",
            ClientMessage::Chat { .. } => "chat",
            ClientMessage::MediaState { .. } => "media-state",
            ClientMessage::Ping { .. } => "ping",
            ClientMessage::Leave { .. } => "leave",
            ClientMessage::End { .. } => "end",
        }
    }
}

impl ServerMessage {
    /// The JSON text of the message.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"error","v":1,"problem":{"type":"about:blank","title":"Internal error","status":500,"detail":"the message could not be written"}}"#.to_owned()
        })
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
