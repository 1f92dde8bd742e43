//! Where mail goes: an SMTP server (lettre over tokio, TLS by rustls) or, when none is
//! configured, files in an outbox folder so that a local `make run` loses nothing.
//!
//! Both sit behind [`MailTransport`], the one seam the notifier sends through; an SMS adapter
//! would be a second trait of the same shape beside it. Errors say only what kind of failure
//! happened and the SMTP reply code: a server's reply text may quote the recipient's address,
//! and logs hold no personal data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one SMTP conversation may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a message did not go out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: the server is unreachable, timed out, or answered 4xx.
    #[error("the mail server is unavailable ({0})")]
    Transient(String),
    /// Retrying the same message cannot help: the server refused it (5xx) or the message
    /// cannot be built.
    #[error("the message was refused ({0})")]
    Permanent(String),
}

/// Sends one finished message.
#[async_trait]
pub trait MailTransport: Send + Sync + std::fmt::Debug + 'static {
    /// Hands `message` over for delivery. Success means the server (or the outbox folder) has
    /// taken responsibility for it.
    async fn send(&self, message: Message) -> Result<(), SendError>;

    /// A short description for the start-up log line (never contains credentials).
    fn describe(&self) -> String;
}

/// Mail through an SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
}

impl SmtpMailer {
    /// Connects lazily to the server named by `url` (`smtp://`, `smtp://…?tls=required`,
    /// `smtps://user:pass@host`). The URL is not echoed in errors: it may hold a password.
    pub fn from_url(url: &str) -> Result<Self, SendError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| SendError::Permanent("BUERGERAMT_SMTP_URL cannot be used".into()))?;
        let host = url
            .split_once("://")
            .map(|(_, rest)| rest.rsplit_once('@').map_or(rest, |(_, host)| host))
            .unwrap_or_default()
            .split(['/', '?'])
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok(Self {
            transport: builder.timeout(Some(SMTP_TIMEOUT)).build(),
            host,
        })
    }
}

#[async_trait]
impl MailTransport for SmtpMailer {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) => Err(classify(&error)),
        }
    }

    fn describe(&self) -> String {
        format!("SMTP server {}", self.host)
    }
}

/// Sorts an SMTP error into transient or permanent, keeping only its kind and reply code.
fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    let code = error
        .status()
        .map(|code| format!("reply {code}"))
        .unwrap_or_default();
    if error.is_permanent() {
        SendError::Permanent(code)
    } else if error.is_transient() {
        SendError::Transient(code)
    } else if error.is_timeout() {
        SendError::Transient("timeout".into())
    } else if error.is_tls() {
        SendError::Transient("TLS failure".into())
    } else {
        SendError::Transient("connection failure".into())
    }
}

/// Mail written as `.eml` files into a folder (lettre's file transport).
#[derive(Debug, Clone)]
pub struct OutboxFolder {
    transport: AsyncFileTransport<Tokio1Executor>,
    dir: PathBuf,
}

impl OutboxFolder {
    /// Creates the folder if needed.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            transport: AsyncFileTransport::new(dir),
            dir: dir.to_owned(),
        })
    }
}

#[async_trait]
impl MailTransport for OutboxFolder {
    async fn send(&self, message: Message) -> Result<(), SendError> {
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|_| SendError::Transient("cannot write to the outbox folder".into()))
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }
}
