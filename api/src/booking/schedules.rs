//! Access to schedule streams for booking: one in-process lock per schedule day and a cached
//! state that is caught up from the stream before every decision.
//!
//! The schedule aggregate is the consistency boundary: every append carries the version the
//! decision was based on, so two processes (or a bug here) can never double-book a seat; the loser
//! gets a conflict and decides again on the fresh state. The lock only keeps the requests of one
//! process from racing each other into conflicts: thousands of people reaching for the same
//! morning queue up instead of retrying in a storm. The cache saves re-reading the whole day's
//! stream for each of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use domain::office::DaySetup;
use domain::schedule::{Schedule, ScheduleCommand, ScheduleError, ScheduleEvent, ScheduleId};
use domain::{Actor, Aggregate};
use store::repository::{decode, encode, CommandError};
use store::{EventStore, ExpectedVersion, StoreError, StreamId};

/// How often a decision is retried after another process appended first.
const MAX_ATTEMPTS: usize = 20;

/// A schedule day as last read, with the stream version it was folded from.
#[derive(Debug, Default)]
struct Cached {
    state: Schedule,
    version: u64,
}

/// The schedule days of this process.
#[derive(Debug)]
pub struct Schedules {
    events: Arc<dyn EventStore>,
    days: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Cached>>>>,
}

impl Schedules {
    pub fn new(events: Arc<dyn EventStore>) -> Self {
        Self {
            events,
            days: Mutex::new(HashMap::new()),
        }
    }

    fn day(&self, stream: &str) -> Arc<tokio::sync::Mutex<Cached>> {
        let mut days = self.days.lock().unwrap_or_else(|p| p.into_inner());
        days.entry(stream.to_owned()).or_default().clone()
    }

    async fn catch_up(
        &self,
        stream: &StreamId,
        cached: &mut Cached,
    ) -> Result<(), CommandError<ScheduleError>> {
        for recorded in self.events.read_stream(stream, cached.version).await? {
            let event: ScheduleEvent =
                decode(&recorded).map_err(|source| CommandError::Decode {
                    stream: stream.to_string(),
                    position: recorded.cursor.position,
                    source,
                })?;
            cached.state.apply(&event);
            cached.version = recorded.stream_version;
        }
        Ok(())
    }

    /// The day as it stands now. A day nobody has booked yet is not opened in the store; with
    /// `setup` it is shown as it would open (all seats free).
    pub async fn current(
        &self,
        id: &ScheduleId,
        setup: Option<&DaySetup>,
        now: DateTime<Utc>,
    ) -> Result<Schedule, CommandError<ScheduleError>> {
        let stream = StreamId::new(id.stream_name())?;
        let day = self.day(stream.as_str());
        let mut cached = day.lock().await;
        self.catch_up(&stream, &mut cached).await?;
        let mut state = cached.state.clone();
        if state.day().is_none() {
            if let Some(setup) = setup {
                for event in state
                    .handle(open_day(id, setup, now))
                    .map_err(CommandError::Rejected)?
                {
                    state.apply(&event);
                }
            }
        }
        Ok(state)
    }

    /// Decides `command` on the current day, opening the day from `setup` first if nobody has
    /// booked it yet, and appends the events in one append. Returns the recorded events.
    pub async fn execute(
        &self,
        id: &ScheduleId,
        setup: Option<&DaySetup>,
        command: ScheduleCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<ScheduleEvent>, CommandError<ScheduleError>> {
        let stream = StreamId::new(id.stream_name())?;
        let day = self.day(stream.as_str());
        let mut cached = day.lock().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.catch_up(&stream, &mut cached).await?;
            let mut state = cached.state.clone();
            let mut events = Vec::new();
            if state.day().is_none() {
                let setup = setup.ok_or(CommandError::Rejected(ScheduleError::DayNotOpened))?;
                for event in state
                    .handle(open_day(id, setup, now))
                    .map_err(CommandError::Rejected)?
                {
                    state.apply(&event);
                    events.push(event);
                }
            }
            for event in state
                .handle(command.clone())
                .map_err(CommandError::Rejected)?
            {
                state.apply(&event);
                events.push(event);
            }
            let expected = match cached.version {
                0 => ExpectedVersion::NoStream,
                version => ExpectedVersion::Exact(version),
            };
            match self
                .events
                .append(&stream, expected, events.iter().map(encode).collect())
                .await
            {
                Ok(outcome) => {
                    cached.state = state;
                    cached.version = outcome.stream_version;
                    return Ok(events);
                }
                Err(StoreError::Conflict { .. }) if attempt < MAX_ATTEMPTS => continue,
                Err(error) => return Err(error.into()),
            }
        }
    }
}

fn open_day(id: &ScheduleId, setup: &DaySetup, now: DateTime<Utc>) -> ScheduleCommand {
    ScheduleCommand::OpenDay {
        schedule: id.clone(),
        intervals: setup.intervals.clone(),
        slot_minutes: setup.slot_minutes,
        seats: setup.seats,
        actor: Actor::System,
        at: now,
    }
}
