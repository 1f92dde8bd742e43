//! A small SMTP server (RFC 5321) for tests: it accepts every message and keeps it in memory.
//!
//! It speaks what a client such as lettre needs: `EHLO`/`HELO`, `MAIL FROM`, `RCPT TO`, `DATA`
//! (with dot-unstuffing), `RSET`, `NOOP` and `QUIT`, and it advertises `8BITMIME` and `SMTPUTF8`.
//! There is no TLS and no authentication: it only ever listens on 127.0.0.1.
//!
//! A test can stop the sink ([`SmtpSink::stop`]: the port is closed and open connections are
//! dropped) and start a new one on the same address ([`SmtpSink::start_on`]) to play an SMTP
//! server that is down for a while.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// The largest message the sink accepts, in bytes; larger ones are answered with 552.
const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// The longest command line the sink accepts, in bytes (RFC 5321 allows 512).
const MAX_LINE_BYTES: usize = 4096;

/// One message as it arrived: the envelope and the raw RFC 5322 bytes (dot-unstuffed, with the
/// final `.` line removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The reverse path of `MAIL FROM`, without angle brackets.
    pub mail_from: String,
    /// The forward paths of every `RCPT TO`, without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The message: header and body exactly as sent, lines ending in CRLF.
    pub data: Vec<u8>,
}

/// [`SmtpSink::wait_for`] gave up before enough messages arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitTimeout {
    pub wanted: usize,
    pub arrived: usize,
}

impl std::fmt::Display for WaitTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "waited for {} messages, {} arrived",
            self.wanted, self.arrived
        )
    }
}

impl std::error::Error for WaitTimeout {}

#[derive(Debug, Default)]
struct Shared {
    messages: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
}

impl Shared {
    fn push(&self, mail: ReceivedMail) {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(mail);
        self.arrived.notify_waiters();
    }

    fn snapshot(&self) -> Vec<ReceivedMail> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// A running SMTP receiver on loopback. Dropping it stops it.
#[derive(Debug)]
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// Starts a sink on 127.0.0.1 on a free port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a sink on `addr` (e.g. the address of a sink that was stopped). Messages of the
    /// earlier sink are not carried over.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept(listener, shared.clone(), stopped));
        Ok(Self {
            addr,
            shared,
            stop,
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:<port>`, the form `BUERGERAMT_SMTP_URL` takes.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.snapshot()
    }

    /// Waits until at least `n` messages have arrived, at most `timeout`; returns all of them.
    pub async fn wait_for(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<ReceivedMail>, WaitTimeout> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let messages = self.shared.snapshot();
            if messages.len() >= n {
                return Ok(messages);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return Err(WaitTimeout {
                    wanted: n,
                    arrived: self.shared.snapshot().len(),
                });
            }
        }
    }

    /// Closes the port and drops every open connection; a message in the middle of `DATA` is
    /// lost, as with a server that goes down. Returns the messages received.
    pub async fn stop(mut self) -> Vec<ReceivedMail> {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.shared.snapshot()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(session(stream, shared.clone()));
                }
            }
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Where a session stands in the SMTP dialogue.
#[derive(Debug, Default)]
struct Transaction {
    greeted: bool,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

impl Transaction {
    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    // A broken connection ends the session; the client sees it as a failed send.
    let _ = converse(stream, &shared).await;
}

async fn converse(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 testkit ESMTP ready\r\n").await?;
    let mut tx = Transaction::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read_line(&mut reader, &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, rest) = match text.split_once(' ') {
            Some((verb, rest)) => (verb.to_ascii_uppercase(), rest.trim()),
            None => (text.to_ascii_uppercase(), ""),
        };
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                tx = Transaction {
                    greeted: true,
                    ..Transaction::default()
                };
                b"250-testkit\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
            }
            "HELO" => {
                tx = Transaction {
                    greeted: true,
                    ..Transaction::default()
                };
                b"250 testkit\r\n"
            }
            "MAIL" if !tx.greeted => b"503 5.5.1 say EHLO first\r\n",
            "MAIL" => match path_after(rest, "FROM:") {
                Some(path) if tx.mail_from.is_none() => {
                    tx.mail_from = Some(path);
                    b"250 2.1.0 ok\r\n"
                }
                Some(_) => b"503 5.5.1 nested MAIL command\r\n",
                None => b"501 5.5.4 syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" if tx.mail_from.is_none() => b"503 5.5.1 need MAIL first\r\n",
            "RCPT" => match path_after(rest, "TO:") {
                Some(path) if !path.is_empty() => {
                    tx.rcpt_to.push(path);
                    b"250 2.1.5 ok\r\n"
                }
                _ => b"501 5.5.4 syntax: RCPT TO:<address>\r\n",
            },
            "DATA" if tx.rcpt_to.is_empty() => b"503 5.5.1 need RCPT first\r\n",
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                match read_data(&mut reader).await? {
                    Some(data) => {
                        shared.push(ReceivedMail {
                            mail_from: tx.mail_from.take().unwrap_or_default(),
                            rcpt_to: std::mem::take(&mut tx.rcpt_to),
                            data,
                        });
                        b"250 2.0.0 queued\r\n"
                    }
                    None => {
                        tx.reset();
                        b"552 5.3.4 message too big\r\n"
                    }
                }
            }
            "RSET" => {
                tx.reset();
                b"250 2.0.0 ok\r\n"
            }
            "NOOP" => b"250 2.0.0 ok\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The address in `FROM:<a@b> PARAMS` or `TO:<a@b>`, without brackets; `None` if malformed.
fn path_after(rest: &str, keyword: &str) -> Option<String> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let path = rest[keyword.len()..].trim_start();
    let inner = path.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

/// Reads one line including its line end, at most [`MAX_LINE_BYTES`]; 0 at end of stream.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let read = reader.read_until(b'\n', line).await?;
    if line.len() > MAX_LINE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "command line too long",
        ));
    }
    Ok(read)
}

/// Reads the message after `DATA` up to the line holding a single dot, removing the extra dot
/// of every line that starts with one (RFC 5321 §4.5.2). `None` if it is too large (the rest is
/// read and thrown away, so the dialogue can go on).
async fn read_data(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut too_big = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed during DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(if too_big { None } else { Some(data) });
        }
        let unstuffed = if line.first() == Some(&b'.') {
            &line[1..]
        } else {
            &line[..]
        };
        if data.len() + unstuffed.len() > MAX_MESSAGE_BYTES {
            too_big = true;
            data.clear();
        } else if !too_big {
            data.extend_from_slice(unstuffed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// A minimal client: sends each command and returns each reply's first line.
    async fn dialogue(addr: SocketAddr, commands: &[&str]) -> Vec<String> {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let mut replies = vec![read_reply(&mut reader).await];
        for command in commands {
            write.write_all(command.as_bytes()).await.unwrap();
            replies.push(read_reply(&mut reader).await);
        }
        replies
    }

    /// Reads one (possibly multi-line) reply and returns its code and last line.
    async fn read_reply(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim_end().to_owned();
            }
        }
    }

    #[tokio::test]
    async fn a_message_is_stored_with_its_envelope_and_dots_unstuffed() {
        let sink = SmtpSink::start().await.unwrap();
        let replies = dialogue(
            sink.addr(),
            &[
                "EHLO client\r\n",
                "MAIL FROM:<from@example.org> BODY=8BITMIME\r\n",
                "RCPT TO:<a@example.org>\r\n",
                "RCPT TO:<b@example.org>\r\n",
                "DATA\r\n",
                "Subject: x\r\n\r\n..leading dot\r\nplain\r\n.\r\n",
                "QUIT\r\n",
            ],
        )
        .await;
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(
            codes,
            ["220", "250", "250", "250", "250", "354", "250", "221"]
        );
        let messages = sink.wait_for(1, Duration::from_secs(10)).await.unwrap();
        assert_eq!(
            messages,
            vec![ReceivedMail {
                mail_from: "from@example.org".into(),
                rcpt_to: vec!["a@example.org".into(), "b@example.org".into()],
                data: b"Subject: x\r\n\r\n.leading dot\r\nplain\r\n".to_vec(),
            }]
        );
    }

    #[tokio::test]
    async fn commands_out_of_order_are_refused_and_rset_starts_over() {
        let sink = SmtpSink::start().await.unwrap();
        let replies = dialogue(
            sink.addr(),
            &[
                "MAIL FROM:<a@b>\r\n",
                "HELO client\r\n",
                "RCPT TO:<a@b>\r\n",
                "DATA\r\n",
                "MAIL FROM:<a@b>\r\n",
                "RSET\r\n",
                "RCPT TO:<a@b>\r\n",
                "NOOP\r\n",
                "VRFY x\r\n",
                "MAIL FROM:a@b\r\n",
            ],
        )
        .await;
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(
            codes,
            ["220", "503", "250", "503", "503", "250", "250", "503", "250", "502", "501"]
        );
        assert!(sink.messages().is_empty());
    }

    #[tokio::test]
    async fn waiting_for_more_messages_than_arrive_times_out() {
        let sink = SmtpSink::start().await.unwrap();
        let err = sink
            .wait_for(1, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            WaitTimeout {
                wanted: 1,
                arrived: 0
            }
        );
    }

    #[tokio::test]
    async fn a_stopped_sink_refuses_connections_and_a_new_one_can_take_its_address() {
        let sink = SmtpSink::start().await.unwrap();
        let addr = sink.addr();
        assert!(sink.stop().await.is_empty());
        assert!(TcpStream::connect(addr).await.is_err());
        let again = SmtpSink::start_on(addr).await.unwrap();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut greeting = [0u8; 3];
        stream.read_exact(&mut greeting).await.unwrap();
        assert_eq!(&greeting, b"220");
        drop(again);
    }
}
