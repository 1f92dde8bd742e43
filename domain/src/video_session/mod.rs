//! A video session: one call for one case, with participants joining and leaving.
//!
//! Media never passes through here and nothing is recorded (§ 201 StGB); the events carry only who
//! was in the call and when, which is what the audit trail and the handling-time statistics need.
//! Participants are ids, never names, so these events hold no personal data of their own.

mod codec;
mod command;
mod error;
mod event;
mod state;

pub use codec::VIDEO_SESSION_EVENT_SCHEMAS;
pub use command::VideoSessionCommand;
pub use error::VideoSessionError;
pub use event::VideoSessionEvent;
pub use state::{Participant, ParticipantRole, VideoSession, VideoSessionStatus};

use crate::aggregate::Aggregate;

impl Aggregate for VideoSession {
    type Command = VideoSessionCommand;
    type Event = VideoSessionEvent;
    type Error = VideoSessionError;

    fn handle(
        &self,
        command: VideoSessionCommand,
    ) -> Result<Vec<VideoSessionEvent>, VideoSessionError> {
        self.decide(command)
    }

    fn apply(&mut self, event: &VideoSessionEvent) {
        self.fold(event);
    }
}

#[cfg(test)]
mod tests;
