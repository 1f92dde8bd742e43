//! What happened in a video session: times and participants only, never media.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::Participant;
use crate::actor::Actor;
use crate::ids::{CaseId, VideoSessionId};

/// An event of a video session stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum VideoSessionEvent {
    SessionOpened {
        session_id: VideoSessionId,
        case_id: CaseId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    ParticipantJoined {
        session_id: VideoSessionId,
        case_id: CaseId,
        participant: Participant,
        at: DateTime<Utc>,
    },
    ParticipantLeft {
        session_id: VideoSessionId,
        case_id: CaseId,
        participant: Participant,
        at: DateTime<Utc>,
    },
    /// Everybody still present leaves with the end; they are listed so that a projection can close
    /// their presence without replaying the stream.
    SessionEnded {
        session_id: VideoSessionId,
        case_id: CaseId,
        opened_at: DateTime<Utc>,
        still_present: Vec<Participant>,
        actor: Actor,
        at: DateTime<Utc>,
    },
}

impl VideoSessionEvent {
    /// The session the event belongs to.
    pub fn session_id(&self) -> VideoSessionId {
        match self {
            VideoSessionEvent::SessionOpened { session_id, .. }
            | VideoSessionEvent::ParticipantJoined { session_id, .. }
            | VideoSessionEvent::ParticipantLeft { session_id, .. }
            | VideoSessionEvent::SessionEnded { session_id, .. } => *session_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            VideoSessionEvent::SessionOpened { at, .. }
            | VideoSessionEvent::ParticipantJoined { at, .. }
            | VideoSessionEvent::ParticipantLeft { at, .. }
            | VideoSessionEvent::SessionEnded { at, .. } => *at,
        }
    }
}
