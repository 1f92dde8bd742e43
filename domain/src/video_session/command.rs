//! What may be asked of a video session.

use chrono::{DateTime, Utc};

use super::state::Participant;
use crate::actor::Actor;
use crate::ids::{CaseId, VideoSessionId};

/// A request to change a video session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoSessionCommand {
    /// Opens the session for a case.
    Open {
        session_id: VideoSessionId,
        case_id: CaseId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// A participant enters the call.
    Join {
        participant: Participant,
        at: DateTime<Utc>,
    },
    /// A participant leaves the call (or the connection drops).
    Leave {
        participant: Participant,
        at: DateTime<Utc>,
    },
    /// Ends the session for everybody.
    End { actor: Actor, at: DateTime<Utc> },
}
