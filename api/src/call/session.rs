//! The call's records: opening a video session for a case, participants joining and leaving,
//! and the end. The case decides whether a call may start (`StartCall` needs an admitted
//! citizen); the video session records who was in it and when — never media.
//!
//! Order and crash safety: the case's `CallStarted` is appended first, at the version the clerk
//! loaded, so two clerks opening at once start one call (the loser re-reads and joins it). The
//! session stream is opened next; a crash in between leaves a case whose call has no session
//! stream yet, and the next join opens it ([`ensure_open`]). Ending appends the case's
//! `CallEnded` first, then the session's end; a session left open by a crash there is ended on
//! the next clerk join.

use domain::case::CaseCommand;
use domain::case::CaseStatus;
use domain::video_session::{
    Participant, VideoSession, VideoSessionCommand, VideoSessionError, VideoSessionStatus,
};
use domain::{Actor, Case, CaseId, ClerkId, VideoSessionId};
use store::repository::CommandError;
use store::{StoreError, StreamId};

use crate::booking::rule_error;
use crate::{ApiError, AppState};

/// Opens the case's call for a clerk, or returns the call that is already running.
pub async fn open_for_clerk(
    state: &AppState,
    case_id: CaseId,
    clerk: ClerkId,
) -> Result<VideoSessionId, ApiError> {
    let repository = state.booking.repository();
    let stream = StreamId::new(case_id.stream_name())?;
    for _attempt in 0..3 {
        let loaded = repository.load::<Case>(&stream).await.map_err(rule_error)?;
        let now = state.auth.clock.now();
        match (loaded.state.status(), loaded.state.current_call()) {
            (CaseStatus::InCall, Some(session_id)) => {
                if ensure_open(state, session_id, case_id, clerk).await? {
                    return Ok(session_id);
                }
                // The session ended but the case missed it (a crash between the two appends):
                // close the case's call, then start a new one on the next pass.
                match repository
                    .execute_at::<Case>(
                        &stream,
                        loaded.version,
                        CaseCommand::EndCall {
                            actor: Actor::System,
                            at: now,
                        },
                    )
                    .await
                {
                    Ok(_) | Err(CommandError::Store(StoreError::Conflict { .. })) => continue,
                    Err(other) => return Err(rule_error(other)),
                }
            }
            (CaseStatus::Admitted, _) => {
                let session_id = VideoSessionId(uuid::Uuid::now_v7());
                let started = repository
                    .execute_at::<Case>(
                        &stream,
                        loaded.version,
                        CaseCommand::StartCall {
                            clerk,
                            session_id,
                            at: now,
                        },
                    )
                    .await;
                match started {
                    Ok(_) => {
                        ensure_open(state, session_id, case_id, clerk).await?;
                        tracing::info!(%case_id, %session_id, "call opened");
                        return Ok(session_id);
                    }
                    Err(CommandError::Store(StoreError::Conflict { .. })) => continue,
                    Err(other) => return Err(rule_error(other)),
                }
            }
            (CaseStatus::Closed, _) => {
                return Err(ApiError::Conflict("the case is closed".into()));
            }
            _ => {
                return Err(ApiError::Conflict(
                    "the citizen has not been admitted from the waiting room".into(),
                ))
            }
        }
    }
    Err(ApiError::Conflict(
        "the case kept changing while the call was opened; try again".into(),
    ))
}

/// Opens the session stream if it is not open yet. False if it has already ended.
async fn ensure_open(
    state: &AppState,
    session_id: VideoSessionId,
    case_id: CaseId,
    clerk: ClerkId,
) -> Result<bool, ApiError> {
    let repository = state.booking.repository();
    let stream = StreamId::new(session_id.stream_name())?;
    let loaded = repository
        .load::<VideoSession>(&stream)
        .await
        .map_err(rule_error)?;
    match loaded.state.status() {
        VideoSessionStatus::Open => Ok(true),
        VideoSessionStatus::Ended => Ok(false),
        VideoSessionStatus::NotOpened => {
            let opened = repository
                .execute::<VideoSession>(
                    &stream,
                    VideoSessionCommand::Open {
                        session_id,
                        case_id,
                        actor: Actor::Clerk(clerk),
                        at: state.auth.clock.now(),
                    },
                )
                .await;
            match opened {
                Ok(_)
                | Err(CommandError::Rejected(VideoSessionError::AlreadyOpened))
                | Err(CommandError::Store(StoreError::Conflict { .. })) => Ok(true),
                Err(other) => Err(rule_error(other)),
            }
        }
    }
}

/// Records that a participant's media connected. Joining twice (a second tab, a reconnect) is
/// recorded once.
pub async fn record_joined(
    state: &AppState,
    session_id: VideoSessionId,
    participant: Participant,
) -> Result<(), ApiError> {
    let command = VideoSessionCommand::Join {
        participant,
        at: state.auth.clock.now(),
    };
    record(state, session_id, command).await
}

/// Records that a participant left (hung up, or their last connection closed).
pub async fn record_left(
    state: &AppState,
    session_id: VideoSessionId,
    participant: Participant,
) -> Result<(), ApiError> {
    let command = VideoSessionCommand::Leave {
        participant,
        at: state.auth.clock.now(),
    };
    record(state, session_id, command).await
}

async fn record(
    state: &AppState,
    session_id: VideoSessionId,
    command: VideoSessionCommand,
) -> Result<(), ApiError> {
    let stream = StreamId::new(session_id.stream_name())?;
    match state
        .booking
        .repository()
        .execute_with_retry::<VideoSession>(&stream, command, 5)
        .await
    {
        Ok(_)
        | Err(CommandError::Rejected(
            VideoSessionError::AlreadyJoined(_)
            | VideoSessionError::NotJoined(_)
            | VideoSessionError::Ended,
        )) => Ok(()),
        Err(other) => Err(rule_error(other)),
    }
}

/// Ends the case's running call: the case's `CallEnded`, then the session's end.
pub async fn end(
    state: &AppState,
    case_id: CaseId,
    session_id: VideoSessionId,
    actor: Actor,
) -> Result<(), ApiError> {
    let repository = state.booking.repository();
    let case_stream = StreamId::new(case_id.stream_name())?;
    let loaded = repository
        .load::<Case>(&case_stream)
        .await
        .map_err(rule_error)?;
    if loaded.state.current_call() == Some(session_id) {
        repository
            .execute_at::<Case>(
                &case_stream,
                loaded.version,
                CaseCommand::EndCall {
                    actor,
                    at: state.auth.clock.now(),
                },
            )
            .await
            .map_err(rule_error)?;
    }
    let session_stream = StreamId::new(session_id.stream_name())?;
    match repository
        .execute_with_retry::<VideoSession>(
            &session_stream,
            VideoSessionCommand::End {
                actor,
                at: state.auth.clock.now(),
            },
            5,
        )
        .await
    {
        Ok(_) | Err(CommandError::Rejected(VideoSessionError::Ended)) => {}
        Err(other) => return Err(rule_error(other)),
    }
    tracing::info!(%case_id, %session_id, "call ended");
    Ok(())
}
