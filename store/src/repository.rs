//! Runs commands against aggregates stored as event streams: load the stream, let the aggregate
//! decide (`handle`), append the decided events with the version the decision was based on.
//! A concurrent writer makes the append a [`StoreError::Conflict`]; the decision is then retried
//! on the fresh state (for commands that can be re-decided), never merged blindly.

use std::sync::Arc;

use domain::{Aggregate, DecodeError, DomainEvent, EncodedEvent, PersonalInput};

use crate::{
    AppendOutcome, EventStore, ExpectedVersion, NewEvent, Personal, PersonalData, RecordedEvent,
    StoreError, StreamId, SubjectId,
};

/// Why a command was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error + 'static> {
    /// The aggregate refused: a business rule says no.
    #[error(transparent)]
    Rejected(E),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event could not be read back into the domain.
    #[error("stored event {position} of {stream} cannot be decoded: {source}")]
    Decode {
        stream: String,
        position: u64,
        source: DecodeError,
    },
}

/// The state of an aggregate and the stream version it was folded from.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    pub state: A,
    pub version: u64,
}

/// What a carried-out command recorded.
#[derive(Debug, Clone)]
pub struct Executed<A: Aggregate> {
    pub state: A,
    pub events: Vec<A::Event>,
    pub outcome: AppendOutcome,
}

/// Decodes a stored event into a domain event.
pub fn decode<E: DomainEvent>(event: &RecordedEvent) -> Result<E, DecodeError> {
    let personal = match &event.personal {
        Personal::None => PersonalInput::None,
        Personal::Present { plaintext, .. } => PersonalInput::Present(plaintext),
        Personal::Erased { .. } => PersonalInput::Erased,
    };
    E::decode(
        &event.event_type,
        event.schema_version,
        &event.payload,
        personal,
    )
}

/// Encodes a domain event for the store under a fresh time-ordered event id.
pub fn encode<E: DomainEvent>(event: &E) -> NewEvent {
    let EncodedEvent {
        event_type,
        schema_version,
        payload,
        personal,
    } = event.encode();
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        event_type,
        schema_version,
        payload,
        personal: personal.map(|(subject, plaintext)| PersonalData {
            subject: SubjectId(subject),
            plaintext,
        }),
    }
}

/// Loads and changes aggregates through an [`EventStore`].
#[derive(Debug, Clone)]
pub struct Repository {
    events: Arc<dyn EventStore>,
}

impl Repository {
    pub fn new(events: Arc<dyn EventStore>) -> Self {
        Self { events }
    }

    pub fn events(&self) -> &Arc<dyn EventStore> {
        &self.events
    }

    /// Folds a stream into its aggregate. A missing stream is the default state at version 0.
    pub async fn load<A: Aggregate>(
        &self,
        stream: &StreamId,
    ) -> Result<Loaded<A>, CommandError<A::Error>> {
        let recorded = self.events.read_stream(stream, 0).await?;
        let mut state = A::default();
        let mut version = 0;
        for event in &recorded {
            let decoded: A::Event = decode(event).map_err(|source| CommandError::Decode {
                stream: stream.to_string(),
                position: event.cursor.position,
                source,
            })?;
            state.apply(&decoded);
            version = event.stream_version;
        }
        Ok(Loaded { state, version })
    }

    /// Runs `command` once against the current state. A concurrent change surfaces as
    /// `CommandError::Store(StoreError::Conflict { .. })`.
    pub async fn execute<A: Aggregate>(
        &self,
        stream: &StreamId,
        command: A::Command,
    ) -> Result<Executed<A>, CommandError<A::Error>> {
        let loaded = self.load::<A>(stream).await?;
        self.decide_and_append(stream, loaded, command).await
    }

    /// Runs `command` against the state at exactly `expected` (the version a client saw).
    pub async fn execute_at<A: Aggregate>(
        &self,
        stream: &StreamId,
        expected: u64,
        command: A::Command,
    ) -> Result<Executed<A>, CommandError<A::Error>> {
        let loaded = self.load::<A>(stream).await?;
        if loaded.version != expected {
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected,
                actual: loaded.version,
            }
            .into());
        }
        self.decide_and_append(stream, loaded, command).await
    }

    /// Runs `command`, re-deciding on the fresh state after a conflict, up to `attempts` times.
    /// Right for commands whose meaning does not depend on what the caller last saw (booking a
    /// seat: the aggregate re-checks capacity on the fresh state).
    pub async fn execute_with_retry<A: Aggregate>(
        &self,
        stream: &StreamId,
        command: A::Command,
        attempts: usize,
    ) -> Result<Executed<A>, CommandError<A::Error>>
    where
        A::Command: Clone,
    {
        let mut attempt = 1;
        loop {
            match self.execute::<A>(stream, command.clone()).await {
                Err(CommandError::Store(StoreError::Conflict { .. })) if attempt < attempts => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Decides `commands` in order on one state (each sees the events of the ones before) and
    /// appends all their events in one atomic append: all of them are recorded, or none.
    pub async fn execute_all<A: Aggregate>(
        &self,
        stream: &StreamId,
        commands: Vec<A::Command>,
    ) -> Result<Executed<A>, CommandError<A::Error>> {
        let Loaded { mut state, version } = self.load::<A>(stream).await?;
        let mut decided = Vec::new();
        for command in commands {
            let events = state.handle(command).map_err(CommandError::Rejected)?;
            for event in &events {
                state.apply(event);
            }
            decided.extend(events);
        }
        if decided.is_empty() {
            return Ok(Executed {
                state,
                events: decided,
                outcome: AppendOutcome {
                    stream_version: version,
                    already_stored: false,
                },
            });
        }
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        };
        let outcome = self
            .events
            .append(stream, expected, decided.iter().map(encode).collect())
            .await?;
        Ok(Executed {
            state,
            events: decided,
            outcome,
        })
    }

    async fn decide_and_append<A: Aggregate>(
        &self,
        stream: &StreamId,
        loaded: Loaded<A>,
        command: A::Command,
    ) -> Result<Executed<A>, CommandError<A::Error>> {
        let Loaded { mut state, version } = loaded;
        let events = state.handle(command).map_err(CommandError::Rejected)?;
        if events.is_empty() {
            return Ok(Executed {
                state,
                events,
                outcome: AppendOutcome {
                    stream_version: version,
                    already_stored: false,
                },
            });
        }
        let new_events = events.iter().map(encode).collect();
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        };
        let outcome = self.events.append(stream, expected, new_events).await?;
        for event in &events {
            state.apply(event);
        }
        Ok(Executed {
            state,
            events,
            outcome,
        })
    }
}
