//! The media layer's one error type.

/// Why a media operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The SFU could not bind or read its socket.
    #[error("the SFU's socket failed: {0}")]
    Socket(#[from] std::io::Error),
    /// The SFU's loop has stopped (shutdown, or it died).
    #[error("the SFU is not running")]
    Stopped,
    /// The peer is not (or no longer) known to the SFU.
    #[error("unknown peer")]
    UnknownPeer,
    /// An SDP offer, answer or candidate the SFU cannot use; the text is safe to show the client.
    #[error("invalid session description: {0}")]
    InvalidSdp(String),
    /// The peer sent an answer while no offer of the SFU was pending, or an offer in the middle of
    /// a negotiation.
    #[error("negotiation out of order: {0}")]
    Negotiation(String),
    /// TURN credentials could not be minted (a configuration fault).
    #[error(transparent)]
    Turn(#[from] crate::turn::TurnError),
}
