//! The state of a video session and its rules.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::VideoSessionCommand;
use super::error::VideoSessionError;
use super::event::VideoSessionEvent;
use crate::ids::{CaseId, CitizenId, ClerkId, InterpreterId, VideoSessionId};

/// The role someone has in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    Citizen,
    Clerk,
    Interpreter,
}

/// Someone in a call, identified by role and id. Stored as `{"role": "clerk", "id": "…"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "id", rename_all = "snake_case")]
pub enum Participant {
    Citizen(CitizenId),
    Clerk(ClerkId),
    Interpreter(InterpreterId),
}

impl Participant {
    pub fn role(&self) -> ParticipantRole {
        match self {
            Participant::Citizen(_) => ParticipantRole::Citizen,
            Participant::Clerk(_) => ParticipantRole::Clerk,
            Participant::Interpreter(_) => ParticipantRole::Interpreter,
        }
    }
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoSessionStatus {
    #[default]
    NotOpened,
    Open,
    Ended,
}

/// One video call for one case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VideoSession {
    session_id: Option<VideoSessionId>,
    case_id: Option<CaseId>,
    opened_at: Option<DateTime<Utc>>,
    status: VideoSessionStatus,
    present: BTreeSet<Participant>,
}

impl VideoSession {
    pub fn status(&self) -> VideoSessionStatus {
        self.status
    }

    pub fn session_id(&self) -> Option<VideoSessionId> {
        self.session_id
    }

    pub fn case_id(&self) -> Option<CaseId> {
        self.case_id
    }

    pub fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.opened_at
    }

    /// Who is in the call now.
    pub fn participants(&self) -> &BTreeSet<Participant> {
        &self.present
    }

    /// Applies the rules to one command.
    pub(super) fn decide(
        &self,
        command: VideoSessionCommand,
    ) -> Result<Vec<VideoSessionEvent>, VideoSessionError> {
        if let VideoSessionCommand::Open {
            session_id,
            case_id,
            actor,
            at,
        } = command
        {
            return match self.status {
                VideoSessionStatus::NotOpened => Ok(vec![VideoSessionEvent::SessionOpened {
                    session_id,
                    case_id,
                    actor,
                    at,
                }]),
                VideoSessionStatus::Open => Err(VideoSessionError::AlreadyOpened),
                VideoSessionStatus::Ended => Err(VideoSessionError::Ended),
            };
        }
        let (session_id, case_id, opened_at) = match (self.status, self.opened()) {
            (VideoSessionStatus::Ended, _) => return Err(VideoSessionError::Ended),
            (_, Some(opened)) => opened,
            (_, None) => return Err(VideoSessionError::NotOpened),
        };
        let event = match command {
            VideoSessionCommand::Open { .. } => return Err(VideoSessionError::AlreadyOpened),
            VideoSessionCommand::Join { participant, at } => {
                if self.present.contains(&participant) {
                    return Err(VideoSessionError::AlreadyJoined(participant));
                }
                VideoSessionEvent::ParticipantJoined {
                    session_id,
                    case_id,
                    participant,
                    at,
                }
            }
            VideoSessionCommand::Leave { participant, at } => {
                if !self.present.contains(&participant) {
                    return Err(VideoSessionError::NotJoined(participant));
                }
                VideoSessionEvent::ParticipantLeft {
                    session_id,
                    case_id,
                    participant,
                    at,
                }
            }
            VideoSessionCommand::End { actor, at } => VideoSessionEvent::SessionEnded {
                session_id,
                case_id,
                opened_at,
                still_present: self.present.iter().copied().collect(),
                actor,
                at,
            },
        };
        Ok(vec![event])
    }

    fn opened(&self) -> Option<(VideoSessionId, CaseId, DateTime<Utc>)> {
        Some((self.session_id?, self.case_id?, self.opened_at?))
    }

    /// Folds one event into the state.
    pub(super) fn fold(&mut self, event: &VideoSessionEvent) {
        match event {
            VideoSessionEvent::SessionOpened {
                session_id,
                case_id,
                at,
                ..
            } => {
                self.session_id = Some(*session_id);
                self.case_id = Some(*case_id);
                self.opened_at = Some(*at);
                self.status = VideoSessionStatus::Open;
            }
            VideoSessionEvent::ParticipantJoined { participant, .. } => {
                self.present.insert(*participant);
            }
            VideoSessionEvent::ParticipantLeft { participant, .. } => {
                self.present.remove(participant);
            }
            VideoSessionEvent::SessionEnded { .. } => {
                self.present.clear();
                self.status = VideoSessionStatus::Ended;
            }
        }
    }
}
