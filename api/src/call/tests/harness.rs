//! A WebSocket client for the call's signalling and a case that is ready for a call.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::capability::CapabilityToken;
pub use crate::live::tests::harness::{
    booked_case, now_minute, spawn, spawn_configured, App, Kind, Who, OFFICE_X, PATIENCE,
};
use crate::live::Live;
use domain::CaseId;

/// One signalling connection.
pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Close(u16),
    Dropped,
}

impl Ws {
    /// Opens `/api/v1/call/ws` as `who`, with this server's own `Origin`.
    pub async fn connect(app: &App, who: &Who) -> Ws {
        Self::try_connect(app, who, Some(&app.url.clone()))
            .await
            .expect("the upgrade succeeds")
    }

    /// Opens the socket with any `Origin`; the HTTP status if the upgrade is refused.
    pub async fn try_connect(app: &App, who: &Who, origin: Option<&str>) -> Result<Ws, u16> {
        let url = format!("{}/api/v1/call/ws", app.url.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_str(origin).unwrap());
        }
        if let Who::Cookie(cookie) = who {
            request
                .headers_mut()
                .insert("cookie", HeaderValue::from_str(cookie).unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((stream, _)) => Ok(Ws { stream }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(other) => panic!("connecting: {other}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.stream
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(Message::Text(text.to_owned().into()))
            .await
            .unwrap();
    }

    /// Sends without caring whether the server still listens (a flood the server cuts off).
    pub async fn send_text_lossy(&mut self, text: &str) -> bool {
        self.stream
            .send(Message::Text(text.to_owned().into()))
            .await
            .is_ok()
    }

    /// The next message, or how the connection ended.
    pub async fn next(&mut self) -> Result<Value, Ended> {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.stream.next())
                .await
                .expect("a message within the patience");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(text.as_str()).unwrap())
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(frame.map_or(Ended::Dropped, |f| Ended::Close(f.code.into())))
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(Ended::Dropped),
            }
        }
    }

    /// Skips messages until one of `kind` arrives.
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            match self.next().await {
                Ok(message) if message["type"] == kind => return message,
                Ok(_) => continue,
                Err(ended) => panic!("the connection ended ({ended:?}) before a {kind} message"),
            }
        }
    }

    /// Reads until the connection ends and returns the close code.
    pub async fn closed(&mut self) -> Ended {
        loop {
            if let Err(ended) = self.next().await {
                return ended;
            }
        }
    }

    /// Sends `join` and returns the welcome.
    pub async fn join(&mut self, fields: Value) -> Value {
        let mut join = json!({"v": 1, "type": "join"});
        for (key, value) in fields.as_object().unwrap() {
            join[key] = value.clone();
        }
        self.send(join).await;
        self.expect("welcome").await
    }
}

/// A server with a case booked for now at office X, checked in and (if `admit`) admitted;
/// returns the app, the case, the citizen's token and the clerk's cookie.
pub async fn case_in_waiting_room(kind: Kind, admit: bool) -> (App, CaseId, CapabilityToken, Who) {
    case_in_waiting_room_on(spawn(kind, Live::default()).await, admit).await
}

/// [`case_in_waiting_room`] on a server of the caller's.
pub async fn case_in_waiting_room_on(app: App, admit: bool) -> (App, CaseId, CapabilityToken, Who) {
    let (case_id, token) = booked_case(&app.state, OFFICE_X, now_minute()).await;
    let citizen = Who::Bearer(token.expose().to_owned());
    let (status, body) = app
        .post("/api/v1/my-case/check-in", &citizen, json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let clerk = app.login("clerk.x").await;
    if admit {
        let (status, body) = app
            .post(&format!("/api/v1/cases/{case_id}/admit"), &clerk, json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    (app, case_id, token, clerk)
}

/// The case's stream as event types.
pub async fn case_events(app: &App, case_id: CaseId) -> Vec<String> {
    let stream = store::StreamId::new(case_id.stream_name()).unwrap();
    app.state
        .backend
        .events
        .read_stream(&stream, 0)
        .await
        .unwrap()
        .iter()
        .map(|e| e.event_type.clone())
        .collect()
}

/// The video session's stream as decoded events.
pub async fn session_events(
    app: &App,
    session_id: &str,
) -> Vec<domain::video_session::VideoSessionEvent> {
    let session: domain::VideoSessionId = session_id.parse().unwrap();
    let stream = store::StreamId::new(session.stream_name()).unwrap();
    app.state
        .backend
        .events
        .read_stream(&stream, 0)
        .await
        .unwrap()
        .iter()
        .map(|e| store::repository::decode(e).unwrap())
        .collect()
}
