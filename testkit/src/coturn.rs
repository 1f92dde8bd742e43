//! A real coturn (`turnserver` from Debian's `coturn` package) for tests, as a child process on
//! loopback, killed when the handle drops.
//!
//! coturn cannot listen on port 0, so the harness picks a port that is free for both UDP and
//! TCP, gives every instance its own relay port range, and waits until the server answers a STUN
//! Binding request over UDP and over TCP before it hands the instance out. Each instance has its
//! own directory for the pid file, the log and the (unused) user database.
//!
//! By default an instance is configured like the production sample (`deploy/coturn/
//! turnserver.conf`): `use-auth-secret` with the given secrets, and relaying locked to one peer
//! address: every IPv4 and IPv6 peer is denied and only [`CoturnBuilder::allow_peer`] (by default
//! 127.0.0.1, standing in for the SFU) is allowed. Because that address is on loopback, the
//! instance also runs with `--allow-loopback-peers`, which production never does.

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use crate::stun::{Transport, TurnClient};

/// The binary Debian's `coturn` package installs.
pub const TURNSERVER: &str = "/usr/bin/turnserver";
/// Its administration tool (the same binary under another name).
pub const TURNADMIN: &str = "/usr/bin/turnadmin";
/// The realm of test instances.
pub const TEST_REALM: &str = "office.test";
/// How long an instance may take to answer its first Binding request.
const STARTUP_DEADLINE: Duration = Duration::from_secs(15);
/// Relay ports per instance.
const RELAY_PORTS: u16 = 32;

/// Counts instances in this process, so that each gets its own relay port range.
static INSTANCES: AtomicU16 = AtomicU16::new(0);

/// Why an instance could not be started.
#[derive(Debug)]
pub enum CoturnError {
    /// `/usr/bin/turnserver` is missing.
    NotInstalled,
    /// The process could not be started or did not come up; the text includes its log.
    Startup(String),
}

impl std::fmt::Display for CoturnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoturnError::NotInstalled => write!(
                f,
                "{TURNSERVER} is missing: run `make coturn` (or `apt-get install coturn` as root)"
            ),
            CoturnError::Startup(why) => write!(f, "coturn did not start: {why}"),
        }
    }
}

impl std::error::Error for CoturnError {}

/// The settings of one test instance.
#[derive(Debug, Clone)]
pub struct CoturnBuilder {
    secrets: Vec<String>,
    allowed_peers: Vec<String>,
    locked: bool,
    loopback_peers: bool,
    config_file: Option<PathBuf>,
    extra: Vec<String>,
}

impl Default for CoturnBuilder {
    fn default() -> Self {
        Self {
            secrets: Vec::new(),
            allowed_peers: vec!["127.0.0.1".to_owned()],
            locked: true,
            loopback_peers: true,
            config_file: None,
            extra: Vec::new(),
        }
    }
}

impl CoturnBuilder {
    /// Adds a `--static-auth-secret` (coturn accepts credentials minted with any of them).
    pub fn secret(mut self, secret: &str) -> Self {
        self.secrets.push(secret.to_owned());
        self
    }

    /// Replaces the allowed peer addresses (`--allowed-peer-ip`, an address or `a-b` range).
    pub fn allow_peers(mut self, peers: &[&str]) -> Self {
        self.allowed_peers = peers.iter().map(|p| (*p).to_owned()).collect();
        self
    }

    /// Drops the lock: no `--denied-peer-ip` and no `--allowed-peer-ip` (a negative control:
    /// every loopback peer can be reached then).
    pub fn unlocked(mut self) -> Self {
        self.locked = false;
        self
    }

    /// Whether `--allow-loopback-peers` is given (default yes: the "SFU" of a test is on
    /// loopback). Without it coturn refuses every loopback peer, as in production.
    pub fn loopback_peers(mut self, allowed: bool) -> Self {
        self.loopback_peers = allowed;
        self
    }

    /// Reads `path` as coturn's configuration file (`-c`) instead of none (`-n`). The harness's
    /// own options (listening address and port, relay range, files) are given on the command
    /// line, which coturn applies over the file.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// Adds raw `turnserver` arguments.
    pub fn arg(mut self, arg: &str) -> Self {
        self.extra.push(arg.to_owned());
        self
    }

    /// Starts the instance and waits until it answers over UDP and TCP. A port taken by someone
    /// else between choosing and binding it is retried with another port.
    pub fn start(self) -> Result<Coturn, CoturnError> {
        if !Path::new(TURNSERVER).exists() {
            return Err(CoturnError::NotInstalled);
        }
        let mut last = None;
        for _ in 0..3 {
            match self.try_start() {
                Ok(instance) => return Ok(instance),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or(CoturnError::Startup("no attempt".into())))
    }

    fn try_start(&self) -> Result<Coturn, CoturnError> {
        let port = free_udp_and_tcp_port().map_err(|e| CoturnError::Startup(e.to_string()))?;
        let relay = relay_range();
        let dir = tempfile::tempdir().map_err(|e| CoturnError::Startup(e.to_string()))?;
        let log = dir.path().join("turnserver.log");
        let mut args = match &self.config_file {
            Some(path) => vec!["-c".to_owned(), path.display().to_string()],
            None => vec!["-n".to_owned()],
        };
        args.extend([
            "--listening-ip=127.0.0.1".to_owned(),
            "--relay-ip=127.0.0.1".to_owned(),
            format!("--listening-port={port}"),
            format!("--min-port={}", relay.0),
            format!("--max-port={}", relay.1),
            "--use-auth-secret".to_owned(),
            format!("--realm={TEST_REALM}"),
            "--fingerprint".to_owned(),
            "--no-cli".to_owned(),
            "--no-tls".to_owned(),
            "--no-dtls".to_owned(),
            "--no-multicast-peers".to_owned(),
            format!("--pidfile={}", dir.path().join("turnserver.pid").display()),
            format!("--userdb={}", dir.path().join("turndb").display()),
            format!("--log-file={}", log.display()),
            "--simple-log".to_owned(),
            "--no-stdout-log".to_owned(),
        ]);
        if self.loopback_peers {
            args.push("--allow-loopback-peers".to_owned());
        }
        args.extend(
            self.secrets
                .iter()
                .map(|s| format!("--static-auth-secret={s}")),
        );
        if self.locked {
            args.push("--denied-peer-ip=0.0.0.0-255.255.255.255".to_owned());
            args.push("--denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".to_owned());
            args.extend(
                self.allowed_peers
                    .iter()
                    .map(|p| format!("--allowed-peer-ip={p}")),
            );
        }
        args.extend(self.extra.iter().cloned());
        let child = Command::new(TURNSERVER)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| CoturnError::Startup(format!("spawning {TURNSERVER}: {e}")))?;
        let mut instance = Coturn {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            relay_ports: relay,
            log,
            _dir: dir,
        };
        instance.wait_until_listening()?;
        Ok(instance)
    }
}

/// A running coturn; killed on drop.
#[derive(Debug)]
pub struct Coturn {
    child: Child,
    addr: SocketAddr,
    relay_ports: (u16, u16),
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Coturn {
    /// An instance with the given secrets, locked to relay only to 127.0.0.1.
    pub fn builder() -> CoturnBuilder {
        CoturnBuilder::default()
    }

    /// The address it listens on, for UDP and TCP alike.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its relay port range (inclusive).
    pub fn relay_ports(&self) -> (u16, u16) {
        self.relay_ports
    }

    /// `turn:` URLs for both transports, as a browser's `iceServers` takes them.
    pub fn turn_urls(&self) -> Vec<String> {
        vec![
            format!("turn:{}?transport=udp", self.addr),
            format!("turn:{}?transport=tcp", self.addr),
        ]
    }

    /// The SQLite user database of this instance (where `turnadmin -s` stores secrets that
    /// coturn reads at run time).
    pub fn userdb(&self) -> PathBuf {
        self._dir.path().join("turndb")
    }

    /// Adds a shared secret at run time, as an operator would: `turnadmin -s SECRET` on this
    /// instance's user database. coturn reads these secrets on every authentication, in
    /// addition to the `--static-auth-secret`s, so no restart is needed.
    pub fn add_secret_at_run_time(&self, secret: &str) -> Result<(), CoturnError> {
        self.turnadmin(&["-s", secret])
    }

    /// Removes a shared secret added at run time (`turnadmin -X SECRET`).
    pub fn remove_secret_at_run_time(&self, secret: &str) -> Result<(), CoturnError> {
        self.turnadmin(&["-X", secret])
    }

    fn turnadmin(&self, args: &[&str]) -> Result<(), CoturnError> {
        let output = Command::new(TURNADMIN)
            .args(args)
            .args(["-r", TEST_REALM, "-b"])
            .arg(self.userdb())
            .current_dir(self._dir.path())
            .output()
            .map_err(|e| CoturnError::Startup(format!("turnadmin: {e}")))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        // turnadmin (run as root) opens a log file of its own in /var/log and says where;
        // remove it so tests leave nothing behind.
        for line in stdout.lines().chain(stderr.lines()) {
            if let Some(path) = line.split("log file opened: ").nth(1) {
                let path = Path::new(path.trim());
                let ours = path.starts_with("/var/log")
                    && path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("turn_"));
                if ours {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        if output.status.success() {
            Ok(())
        } else {
            Err(CoturnError::Startup(format!(
                "turnadmin {} failed: {stderr}",
                args.first().unwrap_or(&"")
            )))
        }
    }

    /// The process id, e.g. to send it a signal.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server logged so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_until_listening(&mut self) -> Result<(), CoturnError> {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        let mut waiting_for = vec![Transport::Udp, Transport::Tcp];
        while !waiting_for.is_empty() {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(CoturnError::Startup(format!(
                    "turnserver exited with {status}; log:\n{}",
                    self.log()
                )));
            }
            if Instant::now() > deadline {
                return Err(CoturnError::Startup(format!(
                    "no answer over {waiting_for:?} on {} within {STARTUP_DEADLINE:?}; log:\n{}",
                    self.addr,
                    self.log()
                )));
            }
            waiting_for.retain(|transport| !answers_binding(self.addr, *transport));
            if !waiting_for.is_empty() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn answers_binding(addr: SocketAddr, transport: Transport) -> bool {
    if transport == Transport::Tcp
        && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err()
    {
        return false;
    }
    TurnClient::connect(addr, transport, "", "")
        .and_then(|mut client| client.binding())
        .is_ok()
}

/// A port on 127.0.0.1 that is free for TCP and UDP right now.
fn free_udp_and_tcp_port() -> std::io::Result<u16> {
    let mut last = None;
    for _ in 0..20 {
        let tcp = TcpListener::bind("127.0.0.1:0")?;
        let port = tcp.local_addr()?.port();
        match UdpSocket::bind(("127.0.0.1", port)) {
            Ok(_udp) => return Ok(port),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}

/// A relay range of its own for each instance: below Linux's ephemeral ports (32768+), spread
/// by process id so concurrent test binaries rarely meet (coturn skips a port it cannot bind).
fn relay_range() -> (u16, u16) {
    const FIRST: u16 = 20_000;
    const SLOTS: u16 = (32_768 - FIRST) / RELAY_PORTS;
    let instance = INSTANCES.fetch_add(1, Ordering::Relaxed);
    let salt = (std::process::id() % u32::from(SLOTS)) as u16;
    let slot = (salt + instance.wrapping_mul(7)) % SLOTS;
    let low = FIRST + slot * RELAY_PORTS;
    (low, low + RELAY_PORTS - 1)
}
