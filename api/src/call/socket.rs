//! The call's WebSocket, `GET /api/v1/call/ws`: one connection per participant and call,
//! speaking the signalling protocol of `docs/signalling.md` (types in `media::signal`).
//!
//! Invariants:
//! - Nothing acts on a message before it parsed and validated; a connection over its message
//!   budget is closed (4429), one that keeps sending invalid messages too (4400). Each
//!   connection has its own budget, so a flooding client hurts nobody else.
//! - Media is refused until the participant is admitted into an open call.
//! - Only the joined participant's own case is ever touched; the join decides everything.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use domain::video_session::Participant;
use domain::VideoSessionId;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use media::sfu::{PeerEvent, PeerId, PeerLabel, PeerLink, RoomId};
use media::signal::limits::{Budget, RateLimiter};
use media::signal::message::{
    MediaState, ProtocolError, SdpType, SessionDescription, MAX_MESSAGE_BYTES,
};
use media::signal::{ClientMessage, ServerMessage, PROTOCOL_VERSION};
use tokio::sync::broadcast::error::RecvError;

use super::hub::{Member, RoomSignal};
use super::join::{self, Credential, Joiner};
use super::session;
use crate::auth::Principal;
use crate::{ApiError, AppState};

/// How long a new connection has to send its `join`.
const JOIN_DEADLINE: Duration = Duration::from_secs(10);
/// How long the device check's echo room lasts.
const ECHO_LIMIT: Duration = Duration::from_secs(60);
/// How long a closing connection waits for the client's close frame.
const CLOSE_DRAIN: Duration = Duration::from_secs(2);
/// Invalid messages a connection may send before it is closed.
const MAX_INVALID: u32 = 10;

/// Close codes (docs/signalling.md).
mod close {
    pub const NORMAL: u16 = 1000;
    pub const REPLACED: u16 = 4000;
    pub const PROTOCOL: u16 = 4400;
    pub const UNAUTHENTICATED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const NOT_FOUND: u16 = 4404;
    pub const NO_JOIN: u16 = 4408;
    pub const CONFLICT: u16 = 4409;
    pub const FLOOD: u16 = 4429;
    pub const TRY_AGAIN: u16 = 1013;
}

/// Upgrades to the call's WebSocket. A cross-site page cannot open it with the clerk's cookie:
/// an `Origin` other than this server's own is refused before the upgrade.
pub async fn call_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    principal: Result<Principal, ApiError>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::Forbidden);
    }
    let principal = principal.unwrap_or(Principal::Anonymous);
    Ok(upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move { run(state, principal, socket).await }))
}

/// True when there is no `Origin` (not a browser) or it names the `Host` the request went to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (
        origin.to_str(),
        headers.get(header::HOST).map(|h| h.to_str()),
    ) else {
        return false;
    };
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    authority == Some(host)
}

/// The writing half with the connection's budget.
struct Connection {
    sink: SplitSink<WebSocket, Message>,
    stream: SplitStream<WebSocket>,
    limiter: RateLimiter,
    invalid: u32,
}

/// What reading the next message gave.
enum Incoming {
    Message(ClientMessage),
    /// Refused; already answered with an `error` message. `true` when the connection must close.
    Refused(bool),
    Flood,
    Closed,
}

impl Connection {
    async fn send(&mut self, message: ServerMessage) -> bool {
        self.sink
            .send(Message::Text(message.to_text().into()))
            .await
            .is_ok()
    }

    async fn close(mut self, code: u16, reason: &str) {
        let _ = self
            .sink
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.to_owned().into(),
            })))
            .await;
        // The closing handshake: read (and drop) what the client still sends until its close
        // frame, for a bounded time. Closing a TCP socket with unread data makes the kernel
        // reset the connection, and the client would never read our close code.
        let drain = async {
            while let Some(Ok(frame)) = self.stream.next().await {
                if matches!(frame, Message::Close(_)) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(CLOSE_DRAIN, drain).await;
        let _ = self.sink.close().await;
    }

    async fn refuse(&mut self, error: &ApiError) {
        let problem = error.to_problem();
        let message = ServerMessage::Error {
            v: PROTOCOL_VERSION,
            problem: media::signal::message::Problem {
                kind: problem.kind,
                title: problem.title,
                status: problem.status,
                detail: problem.detail.unwrap_or_default(),
            },
        };
        self.send(message).await;
    }

    /// Reads until a text message arrives, the peer goes, or the budget is spent.
    async fn next(&mut self) -> Incoming {
        loop {
            let frame = match self.stream.next().await {
                Some(Ok(frame)) => frame,
                Some(Err(_)) | None => return Incoming::Closed,
            };
            let text = match frame {
                Message::Text(text) => text,
                Message::Binary(_) => {
                    if !self.limiter.allow(Instant::now()) {
                        return Incoming::Flood;
                    }
                    return self
                        .violation(ProtocolError::Invalid(
                            "binary frames are not part of the protocol".into(),
                        ))
                        .await;
                }
                Message::Close(_) => return Incoming::Closed,
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            if !self.limiter.allow(Instant::now()) {
                return Incoming::Flood;
            }
            return match ClientMessage::parse(text.as_str()) {
                Ok(message) => Incoming::Message(message),
                Err(error) => self.violation(error).await,
            };
        }
    }

    async fn violation(&mut self, error: ProtocolError) -> Incoming {
        self.invalid += 1;
        self.refuse(&ApiError::MalformedBody(error.to_string()))
            .await;
        Incoming::Refused(self.invalid >= MAX_INVALID)
    }
}

/// The close code for a refused join or action.
fn close_code(error: &ApiError) -> u16 {
    match error.to_problem().status {
        401 => close::UNAUTHENTICATED,
        403 => close::FORBIDDEN,
        404 => close::NOT_FOUND,
        409 | 422 => close::CONFLICT,
        400 => close::PROTOCOL,
        _ => close::TRY_AGAIN,
    }
}

async fn run(state: AppState, principal: Principal, socket: WebSocket) {
    let (sink, stream) = socket.split();
    let mut connection = Connection {
        sink,
        stream,
        limiter: RateLimiter::new(Budget::DEFAULT, Instant::now()),
        invalid: 0,
    };
    let (credential, echo) = match tokio::time::timeout(JOIN_DEADLINE, connection.next()).await {
        Err(_) => return connection.close(close::NO_JOIN, "no join in time").await,
        Ok(Incoming::Message(ClientMessage::Join {
            case_id,
            token,
            invite,
            echo_test,
            ..
        })) => {
            let credential = match (token, invite, case_id) {
                (Some(token), None, _) => Credential::Token(token),
                (None, Some(invite), _) if !echo_test => Credential::Invite(invite),
                (None, None, Some(case_id)) if !echo_test => Credential::Staff(case_id),
                _ => {
                    let error = ApiError::MalformedBody(
                        "join needs a token, an invite or (staff) a case_id; the echo test a token"
                            .into(),
                    );
                    connection.refuse(&error).await;
                    return connection.close(close::PROTOCOL, "bad join").await;
                }
            };
            (credential, echo_test)
        }
        Ok(Incoming::Message(_)) => {
            let error = ApiError::MalformedBody("the first message must be join".into());
            connection.refuse(&error).await;
            return connection.close(close::PROTOCOL, "join first").await;
        }
        Ok(Incoming::Flood) => return connection.close(close::FLOOD, "too many messages").await,
        Ok(Incoming::Refused(_)) => return connection.close(close::PROTOCOL, "join first").await,
        Ok(Incoming::Closed) => return,
    };
    let joiner = match join::authenticate(&state, &principal, credential).await {
        Ok(joiner) => joiner,
        Err(error) => {
            tracing::info!(status = error.to_problem().status, "call join refused");
            connection.refuse(&error).await;
            return connection.close(close_code(&error), "join refused").await;
        }
    };
    let peer_id = uuid::Uuid::new_v4().simple().to_string();
    let welcome = ServerMessage::Welcome {
        v: PROTOCOL_VERSION,
        peer_id: peer_id.clone(),
        role: joiner.role.to_owned(),
        case_id: joiner.case_id.to_string(),
        ice_servers: state.calls.ice_servers(&peer_id, state.auth.clock.now()),
        ice_transport_policy: state.calls.ice_transport_policy().to_owned(),
    };
    if !connection.send(welcome).await {
        return;
    }
    if echo {
        return run_echo(&state, connection, &joiner, peer_id).await;
    }
    run_call(&state, connection, joiner, peer_id).await;
}

/// One participant in a case's call, from the welcome to the close.
struct CallPeer {
    joiner: Joiner,
    peer_id: String,
    session: Option<VideoSessionId>,
    link: Option<PeerLink>,
    joined_recorded: bool,
}

/// How the loop ended.
enum Exit {
    /// Left, closed or ended: remove this participant.
    Gone(u16, &'static str),
    /// A newer connection of the participant took over.
    Replaced,
}

async fn run_call(state: &AppState, mut connection: Connection, joiner: Joiner, peer_id: String) {
    let hub = &state.calls.hub;
    let case_id = joiner.case_id;
    let mut signals = hub.enter(
        case_id,
        Member {
            peer_id: peer_id.clone(),
            participant: joiner.participant,
            role: joiner.role,
            name: joiner.name,
            admitted: false,
            connected: false,
            media: MediaState::default(),
        },
    );
    let mut peer = CallPeer {
        joiner,
        peer_id,
        session: None,
        link: None,
        joined_recorded: false,
    };
    let exit = match admit_or_wait(state, &mut connection, &mut peer).await {
        Ok(()) => call_loop(state, &mut connection, &mut peer, &mut signals).await,
        Err(error) => {
            connection.refuse(&error).await;
            Exit::Gone(close_code(&error), "refused")
        }
    };
    if let Some(link) = peer.link.take() {
        link.leave().await;
    }
    match exit {
        Exit::Replaced => connection.close(close::REPLACED, "replaced").await,
        Exit::Gone(code, reason) => {
            hub.leave(case_id, &peer.peer_id);
            if let (false, Some(session_id)) = (hub.has_room(case_id), peer.session) {
                super::abandon::watch(state, case_id, session_id);
            }
            let participant = peer.joiner.participant;
            if let (true, Some(session_id)) = (peer.joined_recorded, peer.session) {
                if !hub.is_present(case_id, &participant) {
                    if let Err(error) = session::record_left(state, session_id, participant).await {
                        tracing::warn!(%session_id, %error, "recording a participant's leaving failed");
                    }
                }
            }
            connection.close(code, reason).await;
        }
    }
}

/// The clerk opens the call; anyone else is admitted if it is open, else told to wait.
async fn admit_or_wait(
    state: &AppState,
    connection: &mut Connection,
    peer: &mut CallPeer,
) -> Result<(), ApiError> {
    let case_id = peer.joiner.case_id;
    let session_id = if let Participant::Clerk(clerk) = peer.joiner.participant {
        let session_id = session::open_for_clerk(state, case_id, clerk).await?;
        state
            .calls
            .hub
            .broadcast(case_id, RoomSignal::Opened { session_id });
        Some(session_id)
    } else {
        // Read the case again after entering the room: a call opened before the subscription
        // shows here, one opened after it arrives as `Opened`.
        let case = state
            .booking
            .repository()
            .load::<domain::Case>(&domain_stream(case_id)?)
            .await
            .map_err(crate::booking::rule_error)?
            .state;
        let stage = join::waiting_stage(&case)?;
        match case.current_call() {
            Some(session_id) => Some(session_id),
            None => {
                connection
                    .send(ServerMessage::Waiting {
                        v: PROTOCOL_VERSION,
                        stage: stage.to_owned(),
                    })
                    .await;
                None
            }
        }
    };
    if let Some(session_id) = session_id {
        admit(state, connection, peer, session_id).await;
    }
    Ok(())
}

fn domain_stream(case_id: domain::CaseId) -> Result<store::StreamId, ApiError> {
    Ok(store::StreamId::new(case_id.stream_name())?)
}

async fn admit(
    state: &AppState,
    connection: &mut Connection,
    peer: &mut CallPeer,
    session_id: VideoSessionId,
) {
    peer.session = Some(session_id);
    state
        .calls
        .hub
        .update(peer.joiner.case_id, &peer.peer_id, |m| m.admitted = true);
    connection
        .send(ServerMessage::Admitted {
            v: PROTOCOL_VERSION,
            session_id: session_id.to_string(),
        })
        .await;
}

async fn next_peer_event(link: &mut Option<PeerLink>) -> Option<PeerEvent> {
    match link {
        Some(link) => link.events.recv().await,
        None => std::future::pending().await,
    }
}

async fn call_loop(
    state: &AppState,
    connection: &mut Connection,
    peer: &mut CallPeer,
    signals: &mut tokio::sync::broadcast::Receiver<RoomSignal>,
) -> Exit {
    let hub = &state.calls.hub;
    let case_id = peer.joiner.case_id;
    loop {
        tokio::select! {
            incoming = connection.next() => match incoming {
                Incoming::Message(message) => {
                    if let Some(exit) = on_message(state, connection, peer, message).await {
                        return exit;
                    }
                }
                Incoming::Refused(true) => return Exit::Gone(close::PROTOCOL, "too many invalid messages"),
                Incoming::Refused(false) => {}
                Incoming::Flood => return Exit::Gone(close::FLOOD, "too many messages"),
                Incoming::Closed => return Exit::Gone(close::NORMAL, "closed"),
            },
            signal = signals.recv() => match signal {
                Ok(RoomSignal::Opened { session_id }) => {
                    if peer.session.is_none() {
                        admit(state, connection, peer, session_id).await;
                    }
                }
                Ok(RoomSignal::Participants(participants)) => {
                    connection.send(ServerMessage::Participants { v: PROTOCOL_VERSION, participants }).await;
                }
                Ok(RoomSignal::Chat(message)) => {
                    if peer.session.is_some() {
                        connection.send(message).await;
                    }
                }
                Ok(RoomSignal::Ended { reason }) => {
                    connection.send(ServerMessage::Ended { v: PROTOCOL_VERSION, reason }).await;
                    return Exit::Gone(close::NORMAL, "ended");
                }
                Ok(RoomSignal::Replaced { peer_id }) => {
                    if peer_id == peer.peer_id {
                        return Exit::Replaced;
                    }
                }
                Err(RecvError::Lagged(_)) => return Exit::Gone(close::TRY_AGAIN, "fell behind"),
                Err(RecvError::Closed) => return Exit::Gone(close::NORMAL, "closed"),
            },
            event = next_peer_event(&mut peer.link) => match event {
                Some(PeerEvent::Offer { description, tracks }) => {
                    connection.send(ServerMessage::Offer { v: PROTOCOL_VERSION, sdp: description.sdp, tracks }).await;
                }
                Some(PeerEvent::Connected) => {
                    if let (false, Some(session_id)) = (peer.joined_recorded, peer.session) {
                        match session::record_joined(state, session_id, peer.joiner.participant).await {
                            Ok(()) => peer.joined_recorded = true,
                            Err(error) => tracing::warn!(%session_id, %error, "recording a participant's joining failed"),
                        }
                    }
                    hub.update(case_id, &peer.peer_id, |m| m.connected = true);
                    connection.send(ServerMessage::Connection { v: PROTOCOL_VERSION, state: "connected".into() }).await;
                }
                Some(PeerEvent::Disconnected) => {
                    hub.update(case_id, &peer.peer_id, |m| m.connected = false);
                    connection.send(ServerMessage::Connection { v: PROTOCOL_VERSION, state: "disconnected".into() }).await;
                }
                Some(PeerEvent::Closed { .. }) | None => {
                    peer.link = None;
                    hub.update(case_id, &peer.peer_id, |m| m.connected = false);
                    connection.send(ServerMessage::Connection { v: PROTOCOL_VERSION, state: "closed".into() }).await;
                }
            },
        }
    }
}

/// Acts on one valid message; `Some` ends the connection.
async fn on_message(
    state: &AppState,
    connection: &mut Connection,
    peer: &mut CallPeer,
    message: ClientMessage,
) -> Option<Exit> {
    let case_id = peer.joiner.case_id;
    let result = match message {
        ClientMessage::Join { .. } => Err(ApiError::MalformedBody("already joined".into())),
        ClientMessage::Offer { sdp, .. } => offer(state, connection, peer, sdp).await,
        ClientMessage::Answer { sdp, .. } => match &peer.link {
            Some(link) => link
                .answer(SessionDescription {
                    kind: SdpType::Answer,
                    sdp,
                })
                .await
                .map_err(media_error),
            None => Err(ApiError::Conflict(
                "no offer is waiting for an answer".into(),
            )),
        },
        ClientMessage::Candidate { candidate, .. } => match (&peer.link, candidate) {
            (Some(link), Some(candidate)) => link.candidate(candidate).await.map_err(media_error),
            _ => Ok(()),
        },
        ClientMessage::IceRestart { .. } => match &peer.link {
            Some(link) => {
                // Fresh TURN credentials first: the old ones may have expired since the welcome.
                let ice_servers = state
                    .calls
                    .ice_servers(&peer.peer_id, state.auth.clock.now());
                connection
                    .send(ServerMessage::IceServers {
                        v: PROTOCOL_VERSION,
                        ice_servers,
                    })
                    .await;
                link.restart_ice().await.map_err(media_error)
            }
            None => Err(ApiError::Conflict(
                "media is not connected; send an offer".into(),
            )),
        },
        ClientMessage::Chat { text, .. } => {
            if peer.session.is_none() {
                Err(ApiError::Conflict("chat opens with the call".into()))
            } else {
                let line = ServerMessage::Chat {
                    v: PROTOCOL_VERSION,
                    from: peer.peer_id.clone(),
                    role: peer.joiner.role.to_owned(),
                    name: peer.joiner.name.to_owned(),
                    text,
                    at: state.auth.clock.now().to_rfc3339(),
                };
                state.calls.hub.broadcast(case_id, RoomSignal::Chat(line));
                Ok(())
            }
        }
        ClientMessage::MediaState {
            audio,
            video,
            screen,
            ..
        } => {
            state.calls.hub.update(case_id, &peer.peer_id, |m| {
                m.media = MediaState {
                    audio,
                    video,
                    screen,
                }
            });
            Ok(())
        }
        ClientMessage::Ping { .. } => {
            connection
                .send(ServerMessage::Pong {
                    v: PROTOCOL_VERSION,
                })
                .await;
            Ok(())
        }
        ClientMessage::Leave { .. } => return Some(Exit::Gone(close::NORMAL, "left")),
        ClientMessage::End { .. } => end(state, peer).await,
    };
    if let Err(error) = result {
        connection.refuse(&error).await;
    }
    None
}

async fn offer(
    state: &AppState,
    connection: &mut Connection,
    peer: &mut CallPeer,
    sdp: String,
) -> Result<(), ApiError> {
    let Some(session_id) = peer.session else {
        return Err(ApiError::Conflict(
            "not admitted yet: wait for the admitted message".into(),
        ));
    };
    let sfu = state.calls.sfu.as_ref().ok_or_else(media_unavailable)?;
    if let Some(old) = peer.link.take() {
        old.leave().await;
    }
    let (answer, link) = sfu
        .join(
            RoomId(session_id.to_string()),
            PeerId(peer.peer_id.clone()),
            PeerLabel {
                role: peer.joiner.role.to_owned(),
                name: peer.joiner.name.to_owned(),
            },
            SessionDescription {
                kind: SdpType::Offer,
                sdp,
            },
        )
        .await
        .map_err(media_error)?;
    peer.link = Some(link);
    connection
        .send(ServerMessage::Answer {
            v: PROTOCOL_VERSION,
            sdp: answer.sdp,
        })
        .await;
    Ok(())
}

async fn end(state: &AppState, peer: &CallPeer) -> Result<(), ApiError> {
    let Participant::Clerk(clerk) = peer.joiner.participant else {
        return Err(ApiError::Forbidden);
    };
    let Some(session_id) = peer.session else {
        return Err(ApiError::Conflict("no call is running".into()));
    };
    session::end(
        state,
        peer.joiner.case_id,
        session_id,
        domain::Actor::Clerk(clerk),
    )
    .await?;
    state.calls.hub.broadcast(
        peer.joiner.case_id,
        RoomSignal::Ended {
            reason: "ended_by_clerk".into(),
        },
    );
    Ok(())
}

/// The device check: the SFU sends the citizen's own media back for at most a minute.
async fn run_echo(state: &AppState, mut connection: Connection, joiner: &Joiner, peer_id: String) {
    let Some(sfu) = state.calls.sfu.clone() else {
        connection.refuse(&media_unavailable()).await;
        return connection.close(close::TRY_AGAIN, "no media").await;
    };
    connection
        .send(ServerMessage::Admitted {
            v: PROTOCOL_VERSION,
            session_id: format!("echo-{peer_id}"),
        })
        .await;
    let deadline = tokio::time::sleep(ECHO_LIMIT);
    tokio::pin!(deadline);
    let mut link: Option<PeerLink> = None;
    let (code, reason) = loop {
        tokio::select! {
            _ = &mut deadline => break (close::NORMAL, "echo test over"),
            incoming = connection.next() => match incoming {
                Incoming::Message(ClientMessage::Offer { sdp, .. }) if link.is_none() => {
                    let joined = sfu
                        .join_echo(
                            PeerId(peer_id.clone()),
                            PeerLabel { role: joiner.role.to_owned(), name: joiner.name.to_owned() },
                            SessionDescription { kind: SdpType::Offer, sdp },
                        )
                        .await;
                    match joined {
                        Ok((answer, joined_link)) => {
                            link = Some(joined_link);
                            connection.send(ServerMessage::Answer { v: PROTOCOL_VERSION, sdp: answer.sdp }).await;
                        }
                        Err(error) => connection.refuse(&media_error(error)).await,
                    }
                }
                Incoming::Message(ClientMessage::Answer { sdp, .. }) => {
                    if let Some(link) = &link {
                        if let Err(error) = link.answer(SessionDescription { kind: SdpType::Answer, sdp }).await {
                            connection.refuse(&media_error(error)).await;
                        }
                    }
                }
                Incoming::Message(ClientMessage::Candidate { candidate, .. }) => {
                    // `null` ends the candidates: nothing to do.
                    if let (Some(link), Some(candidate)) = (&link, candidate) {
                        if let Err(error) = link.candidate(candidate).await {
                            connection.refuse(&media_error(error)).await;
                        }
                    }
                }
                Incoming::Message(ClientMessage::Ping { .. }) => {
                    connection.send(ServerMessage::Pong { v: PROTOCOL_VERSION }).await;
                }
                Incoming::Message(ClientMessage::Leave { .. }) => break (close::NORMAL, "left"),
                Incoming::Message(_) => {
                    connection.refuse(&ApiError::MalformedBody("the echo test takes offer, answer, candidate, ping and leave".into())).await;
                }
                Incoming::Refused(true) => break (close::PROTOCOL, "too many invalid messages"),
                Incoming::Refused(false) => {}
                Incoming::Flood => break (close::FLOOD, "too many messages"),
                Incoming::Closed => break (close::NORMAL, "closed"),
            },
            event = next_peer_event(&mut link) => match event {
                Some(PeerEvent::Offer { description, tracks }) => {
                    connection.send(ServerMessage::Offer { v: PROTOCOL_VERSION, sdp: description.sdp, tracks }).await;
                }
                Some(PeerEvent::Connected) => {
                    connection.send(ServerMessage::Connection { v: PROTOCOL_VERSION, state: "connected".into() }).await;
                }
                Some(PeerEvent::Disconnected) => {
                    connection.send(ServerMessage::Connection { v: PROTOCOL_VERSION, state: "disconnected".into() }).await;
                }
                Some(PeerEvent::Closed { .. }) | None => break (close::NORMAL, "media closed"),
            },
        }
    };
    if let Some(link) = link {
        link.leave().await;
    }
    connection.close(code, reason).await;
}

fn media_error(error: media::MediaError) -> ApiError {
    match error {
        media::MediaError::InvalidSdp(why) => ApiError::MalformedBody(why),
        media::MediaError::Negotiation(why) => ApiError::Conflict(why),
        media::MediaError::UnknownPeer => {
            ApiError::Conflict("media is not connected; send an offer".into())
        }
        other => {
            tracing::warn!(error = %other, "the SFU refused");
            media_unavailable()
        }
    }
}

fn media_unavailable() -> ApiError {
    ApiError::NotReady("the media server is not running".into())
}
