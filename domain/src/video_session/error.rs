//! Why a video session refuses a command.

use super::state::Participant;

/// A broken rule of a video session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VideoSessionError {
    #[error("the session has not been opened")]
    NotOpened,
    #[error("the session is already open")]
    AlreadyOpened,
    #[error("the session has ended")]
    Ended,
    #[error("{0:?} is already in the session")]
    AlreadyJoined(Participant),
    #[error("{0:?} is not in the session")]
    NotJoined(Participant),
}
