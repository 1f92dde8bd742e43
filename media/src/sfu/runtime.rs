//! The loop: one UDP socket, the commands of the handles, and the peers' timers.
//!
//! Each turn reads at most [`READ_BATCH`] datagrams before it drives every peer again, so timers
//! and other peers' output are never starved by a busy socket; a source over its budget
//! ([`super::budget`]) is dropped before demultiplexing.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use socket2::{Domain, Protocol, Socket, Type};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::budget::{SourceBudget, PER_SOURCE};
use super::command::Command;
use super::sfu_state::Sfu;

/// Datagrams read per turn before the peers are driven again.
const READ_BATCH: usize = 256;
/// Larger than any datagram WebRTC sends (MTU-sized).
const DATAGRAM_BUFFER: usize = 2048;
/// The socket's receive buffer: bursts (and floods) queue here instead of being lost while the
/// loop is busy. The kernel caps it at `net.core.rmem_max`.
const RECEIVE_BUFFER: usize = 4 * 1024 * 1024;

/// Binds the SFU's UDP socket (non-blocking, with a large receive buffer).
pub(super) fn bind(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Best effort: a smaller buffer still works, it only absorbs less.
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

/// Starts the loop on its own thread with a single-threaded runtime.
pub(super) fn spawn(
    socket: std::net::UdpSocket,
    announced: SocketAddr,
    commands: mpsc::UnboundedReceiver<Command>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("sfu".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                match UdpSocket::from_std(socket) {
                    Ok(socket) => run(socket, announced, commands).await,
                    Err(e) => tracing::error!(error = %e, "the SFU's socket cannot be registered"),
                }
            })
        })?;
    Ok(())
}

pub(super) async fn run(
    socket: UdpSocket,
    announced: SocketAddr,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut sfu = Sfu::new(announced);
    let mut budget = SourceBudget::new(Instant::now(), PER_SOURCE);
    let mut buf = vec![0u8; DATAGRAM_BUFFER];
    tracing::info!("SFU loop started");
    loop {
        let now = Instant::now();
        sfu.handle_timeouts(now);
        let wake = sfu.drive(now, &mut |datagram| {
            // UDP semantics: a full send buffer drops the datagram; retransmission is the
            // protocols' business.
            let _ = socket.try_send_to(&datagram.contents, datagram.destination);
        });
        tokio::select! {
            biased;
            command = commands.recv() => match command {
                Some(command) => sfu.command(command, Instant::now()),
                None => break,
            },
            readable = socket.readable() => {
                if let Err(e) = readable {
                    tracing::error!(error = %e, "the SFU's socket failed");
                    break;
                }
                for _ in 0..READ_BATCH {
                    match socket.try_recv_from(&mut buf) {
                        Ok((len, source)) => {
                            let now = Instant::now();
                            if budget.admit(source, now) {
                                let datagram = &buf[..len];
                                // Demultiplexing parses foreign bytes (`Rtc::accepts`) before any
                                // peer owns them: a panic there loses this datagram only.
                                let received = catch_unwind(AssertUnwindSafe(|| {
                                    sfu.receive(now, source, datagram)
                                }));
                                if received.is_err() {
                                    tracing::error!("demultiplexing a datagram panicked");
                                }
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        // ICMP errors of earlier sends surface here (connection refused); the
                        // socket itself is fine.
                        Err(_) => continue,
                    }
                }
            }
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {}
        }
    }
    sfu.close_all();
    tracing::info!(dropped = budget.dropped(), "SFU loop stopped");
}
