//! A small TURN client (RFC 8656 / RFC 5766 over RFC 5389 STUN) for tests: Allocate with
//! long-term credentials (401 → realm and nonce → MESSAGE-INTEGRITY), Refresh,
//! CreatePermission, Send and Data indications, over UDP or TCP. Blocking sockets with a read
//! timeout, so a test fails instead of hanging when a server stays silent.
//!
//! It is written from the RFCs on purpose: coturn is someone else's implementation, so a
//! credential minted by us and accepted by coturn through this client checks our minting against
//! theirs, not against a library that might share our mistakes.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;

const MAGIC_COOKIE: u32 = 0x2112_A442;
/// How long one request waits for its answer before it is sent again (UDP) or given up.
const READ_TIMEOUT: Duration = Duration::from_millis(500);
/// How often a UDP request is sent before the client gives up.
const UDP_ATTEMPTS: u32 = 6;

/// STUN methods used here.
pub mod method {
    pub const BINDING: u16 = 0x001;
    pub const ALLOCATE: u16 = 0x003;
    pub const REFRESH: u16 = 0x004;
    pub const SEND: u16 = 0x006;
    pub const DATA: u16 = 0x007;
    pub const CREATE_PERMISSION: u16 = 0x008;
}

mod attr {
    pub const USERNAME: u16 = 0x0006;
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    pub const ERROR_CODE: u16 = 0x0009;
    pub const LIFETIME: u16 = 0x000D;
    pub const XOR_PEER_ADDRESS: u16 = 0x0012;
    pub const DATA: u16 = 0x0013;
    pub const REALM: u16 = 0x0014;
    pub const NONCE: u16 = 0x0015;
    pub const XOR_RELAYED_ADDRESS: u16 = 0x0016;
    pub const REQUESTED_TRANSPORT: u16 = 0x0019;
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    pub const FINGERPRINT: u16 = 0x8028;
}

/// The class bits of a message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Request,
    Indication,
    Success,
    Error,
}

impl Class {
    fn bits(self) -> u16 {
        match self {
            Class::Request => 0x0000,
            Class::Indication => 0x0010,
            Class::Success => 0x0100,
            Class::Error => 0x0110,
        }
    }
}

fn message_type(method: u16, class: Class) -> u16 {
    // The method's bits are split around the two class bits (RFC 5389 section 6).
    (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | class.bits()
}

fn split_type(kind: u16) -> (u16, Class) {
    let method = (kind & 0x000F) | ((kind >> 1) & 0x0070) | ((kind >> 2) & 0x0F80);
    let class = match kind & 0x0110 {
        0x0000 => Class::Request,
        0x0010 => Class::Indication,
        0x0100 => Class::Success,
        _ => Class::Error,
    };
    (method, class)
}

/// One STUN message: its method, class, transaction id and attributes in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub method: u16,
    pub class: Class,
    pub transaction: [u8; 12],
    pub attributes: Vec<(u16, Vec<u8>)>,
}

impl Message {
    fn new(method: u16, class: Class) -> Self {
        Self {
            method,
            class,
            transaction: rand::random(),
            attributes: Vec::new(),
        }
    }

    fn with(mut self, kind: u16, value: impl Into<Vec<u8>>) -> Self {
        self.attributes.push((kind, value.into()));
        self
    }

    /// The first attribute of `kind`.
    pub fn attribute(&self, kind: u16) -> Option<&[u8]> {
        self.attributes
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v.as_slice())
    }

    /// The STUN error code (e.g. 401, 403, 438) of an error response.
    pub fn error_code(&self) -> Option<u16> {
        let value = self.attribute(attr::ERROR_CODE)?;
        if value.len() < 4 {
            return None;
        }
        Some(u16::from(value[2] & 0x07) * 100 + u16::from(value[3]))
    }

    /// The reason phrase of an error response.
    pub fn error_reason(&self) -> String {
        self.attribute(attr::ERROR_CODE)
            .filter(|v| v.len() > 4)
            .map(|v| String::from_utf8_lossy(&v[4..]).into_owned())
            .unwrap_or_default()
    }

    /// Encodes the message; with `key`, MESSAGE-INTEGRITY is added, then always FINGERPRINT.
    fn encode(&self, key: Option<&[u8]>) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&message_type(self.method, self.class).to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        out.extend_from_slice(&self.transaction);
        for (kind, value) in &self.attributes {
            push_attribute(&mut out, *kind, value);
        }
        seal(out, key)
    }

    /// Decodes one message; `None` if it is not STUN.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < 20 || bytes[0] & 0xC0 != 0 {
            return None;
        }
        let kind = u16::from_be_bytes([bytes[0], bytes[1]]);
        let length = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        if u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) != MAGIC_COOKIE
            || bytes.len() < 20 + length
        {
            return None;
        }
        let (method, class) = split_type(kind);
        let mut transaction = [0; 12];
        transaction.copy_from_slice(&bytes[8..20]);
        let mut attributes = Vec::new();
        let mut rest = &bytes[20..20 + length];
        while rest.len() >= 4 {
            let kind = u16::from_be_bytes([rest[0], rest[1]]);
            let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            if rest.len() < 4 + len {
                return None;
            }
            attributes.push((kind, rest[4..4 + len].to_vec()));
            let padded = (4 + len + 3) & !3;
            rest = &rest[padded.min(rest.len())..];
        }
        Some(Self {
            method,
            class,
            transaction,
            attributes,
        })
    }
}

/// Appends MESSAGE-INTEGRITY (with `key`) and FINGERPRINT to an encoded header and attributes,
/// setting the header's length as each one needs (RFC 5389 15.4 and 15.5).
fn seal(mut out: Vec<u8>, key: Option<&[u8]>) -> Vec<u8> {
    if let Some(key) = key {
        set_length(&mut out, 24);
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key");
        mac.update(&out);
        let tag = mac.finalize().into_bytes();
        push_attribute(&mut out, attr::MESSAGE_INTEGRITY, &tag);
    }
    set_length(&mut out, 8);
    let crc = crc32(&out) ^ 0x5354_554E;
    push_attribute(&mut out, attr::FINGERPRINT, &crc.to_be_bytes());
    set_length(&mut out, 0);
    out
}

fn push_attribute(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    let len = u16::try_from(value.len()).expect("a STUN attribute is shorter than 64 KiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

/// Sets the header's length to the attributes so far plus `extra` bytes still to come.
fn set_length(out: &mut [u8], extra: usize) {
    let len = u16::try_from(out.len() - 20 + extra).expect("a STUN message is shorter than 64 KiB");
    out[2..4].copy_from_slice(&len.to_be_bytes());
}

/// CRC-32 (IEEE 802.3), as FINGERPRINT needs.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// XOR-MAPPED-ADDRESS style encoding of an address (IPv4 and IPv6).
fn xor_address(addr: SocketAddr, transaction: &[u8; 12]) -> Vec<u8> {
    let port = addr.port() ^ (MAGIC_COOKIE >> 16) as u16;
    let mut out = vec![0];
    match addr.ip() {
        IpAddr::V4(ip) => {
            out.push(0x01);
            out.extend_from_slice(&port.to_be_bytes());
            out.extend_from_slice(&(u32::from(ip) ^ MAGIC_COOKIE).to_be_bytes());
        }
        IpAddr::V6(ip) => {
            out.push(0x02);
            out.extend_from_slice(&port.to_be_bytes());
            let mut mask = MAGIC_COOKIE.to_be_bytes().to_vec();
            mask.extend_from_slice(transaction);
            out.extend(ip.octets().iter().zip(mask).map(|(a, b)| a ^ b));
        }
    }
    out
}

fn parse_xor_address(value: &[u8], transaction: &[u8; 12]) -> Option<SocketAddr> {
    if value.len() < 8 {
        return None;
    }
    let port = u16::from_be_bytes([value[2], value[3]]) ^ (MAGIC_COOKIE >> 16) as u16;
    match value[1] {
        0x01 => {
            let ip = u32::from_be_bytes([value[4], value[5], value[6], value[7]]) ^ MAGIC_COOKIE;
            Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
        }
        0x02 if value.len() >= 20 => {
            let mut mask = MAGIC_COOKIE.to_be_bytes().to_vec();
            mask.extend_from_slice(transaction);
            let mut octets = [0u8; 16];
            for (i, octet) in octets.iter_mut().enumerate() {
                *octet = value[4 + i] ^ mask[i];
            }
            Some(SocketAddr::new(IpAddr::from(octets), port))
        }
        _ => None,
    }
}

/// How the client reaches the TURN server (the relay towards peers is UDP either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

#[derive(Debug)]
enum Connection {
    Udp(UdpSocket),
    Tcp(TcpStream),
}

/// What went wrong with a TURN request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnFailure {
    /// The server answered with an error response (e.g. 401 Unauthorized, 403 Forbidden).
    Refused { code: u16, reason: String },
    /// No answer in time, or the connection failed.
    Io(String),
    /// An answer that is not what the request asks for.
    Protocol(String),
}

impl TurnFailure {
    /// The error code of a refusal.
    pub fn code(&self) -> Option<u16> {
        match self {
            TurnFailure::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl std::fmt::Display for TurnFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TurnFailure::Refused { code, reason } => write!(f, "refused with {code} {reason}"),
            TurnFailure::Io(e) => write!(f, "i/o: {e}"),
            TurnFailure::Protocol(e) => write!(f, "protocol: {e}"),
        }
    }
}

impl std::error::Error for TurnFailure {}

fn io(e: std::io::Error) -> TurnFailure {
    TurnFailure::Io(e.to_string())
}

/// One TURN client session (one 5-tuple towards the server).
#[derive(Debug)]
pub struct TurnClient {
    connection: Connection,
    username: String,
    password: String,
    realm: Option<Vec<u8>>,
    nonce: Option<Vec<u8>>,
    /// Indications that arrived while the client waited for a response.
    pending: Vec<Message>,
}

/// A granted allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    /// The address peers see and send to.
    pub relayed: SocketAddr,
    /// The client's address as the server saw it.
    pub mapped: Option<SocketAddr>,
    /// Seconds the allocation lives without a refresh.
    pub lifetime: Option<u32>,
}

impl TurnClient {
    /// Connects to `server` over `transport`, with the credential to use.
    pub fn connect(
        server: SocketAddr,
        transport: Transport,
        username: &str,
        password: &str,
    ) -> Result<Self, TurnFailure> {
        let connection = match transport {
            Transport::Udp => {
                let socket = UdpSocket::bind("127.0.0.1:0").map_err(io)?;
                socket.connect(server).map_err(io)?;
                socket.set_read_timeout(Some(READ_TIMEOUT)).map_err(io)?;
                Connection::Udp(socket)
            }
            Transport::Tcp => {
                let stream =
                    TcpStream::connect_timeout(&server, Duration::from_secs(3)).map_err(io)?;
                stream
                    .set_read_timeout(Some(READ_TIMEOUT * UDP_ATTEMPTS))
                    .map_err(io)?;
                stream.set_nodelay(true).map_err(io)?;
                Connection::Tcp(stream)
            }
        };
        Ok(Self {
            connection,
            username: username.to_owned(),
            password: password.to_owned(),
            realm: None,
            nonce: None,
            pending: Vec::new(),
        })
    }

    /// Sends an unauthenticated Binding request and returns the reflexive address.
    pub fn binding(&mut self) -> Result<Option<SocketAddr>, TurnFailure> {
        let request = Message::new(method::BINDING, Class::Request);
        let response = self.transact(&request, None)?;
        Ok(response
            .attribute(attr::XOR_MAPPED_ADDRESS)
            .and_then(|v| parse_xor_address(v, &response.transaction)))
    }

    /// Allocates a UDP relay: first without credentials (the server answers 401 with its realm
    /// and nonce), then with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY.
    pub fn allocate(&mut self) -> Result<Allocation, TurnFailure> {
        // REQUESTED-TRANSPORT: protocol 17 (UDP) and three reserved bytes.
        let transport = [17u8, 0, 0, 0];
        let first = Message::new(method::ALLOCATE, Class::Request)
            .with(attr::REQUESTED_TRANSPORT, transport);
        let challenge = self.transact(&first, None)?;
        match (challenge.class, challenge.error_code()) {
            (Class::Error, Some(401)) => self.learn_realm_and_nonce(&challenge)?,
            (Class::Error, code) => return Err(refusal(&challenge, code)),
            _ => {
                return Err(TurnFailure::Protocol(
                    "an unauthenticated Allocate was granted".into(),
                ))
            }
        }
        let response = self.authenticated(method::ALLOCATE, |m| {
            m.with(attr::REQUESTED_TRANSPORT, transport)
        })?;
        let relayed = response
            .attribute(attr::XOR_RELAYED_ADDRESS)
            .and_then(|v| parse_xor_address(v, &response.transaction))
            .ok_or_else(|| TurnFailure::Protocol("no XOR-RELAYED-ADDRESS".into()))?;
        Ok(Allocation {
            relayed,
            mapped: response
                .attribute(attr::XOR_MAPPED_ADDRESS)
                .and_then(|v| parse_xor_address(v, &response.transaction)),
            lifetime: lifetime(&response),
        })
    }

    /// Refreshes the allocation for `seconds` (0 deletes it); returns the granted lifetime.
    pub fn refresh(&mut self, seconds: u32) -> Result<Option<u32>, TurnFailure> {
        let response = self.authenticated(method::REFRESH, |m| {
            m.with(attr::LIFETIME, seconds.to_be_bytes())
        })?;
        Ok(lifetime(&response))
    }

    /// Asks for a permission towards `peer` (its port does not matter to TURN).
    pub fn create_permission(&mut self, peer: IpAddr) -> Result<(), TurnFailure> {
        self.authenticated(method::CREATE_PERMISSION, |m| {
            let value = xor_address(SocketAddr::new(peer, 9), &m.transaction);
            m.with(attr::XOR_PEER_ADDRESS, value)
        })
        .map(|_| ())
    }

    /// Sends `data` to `peer` through the relay (a Send indication; nothing is answered).
    pub fn send_to(&mut self, peer: SocketAddr, data: &[u8]) -> Result<(), TurnFailure> {
        let indication = Message::new(method::SEND, Class::Indication);
        let value = xor_address(peer, &indication.transaction);
        let indication = indication
            .with(attr::XOR_PEER_ADDRESS, value)
            .with(attr::DATA, data);
        self.write(&indication.encode(None))
    }

    /// Waits for a Data indication; returns the peer and the data.
    pub fn receive_from(&mut self) -> Result<(SocketAddr, Vec<u8>), TurnFailure> {
        for _ in 0..UDP_ATTEMPTS {
            let message = match self.pending.pop() {
                Some(message) => message,
                None => match self.read() {
                    Ok(message) => message,
                    Err(TurnFailure::Io(_)) => continue,
                    Err(other) => return Err(other),
                },
            };
            if message.method == method::DATA && message.class == Class::Indication {
                let peer = message
                    .attribute(attr::XOR_PEER_ADDRESS)
                    .and_then(|v| parse_xor_address(v, &message.transaction))
                    .ok_or_else(|| TurnFailure::Protocol("Data without peer".into()))?;
                let data = message.attribute(attr::DATA).unwrap_or_default().to_vec();
                return Ok((peer, data));
            }
        }
        Err(TurnFailure::Io("no Data indication arrived".into()))
    }

    /// Sends an authenticated request of `method`; on 438 (stale nonce) once more with the new
    /// nonce. A refusal becomes [`TurnFailure::Refused`].
    fn authenticated(
        &mut self,
        method: u16,
        build: impl Fn(Message) -> Message,
    ) -> Result<Message, TurnFailure> {
        for _ in 0..2 {
            let (realm, nonce) = match (&self.realm, &self.nonce) {
                (Some(realm), Some(nonce)) => (realm.clone(), nonce.clone()),
                _ => return Err(TurnFailure::Protocol("no realm and nonce yet".into())),
            };
            let message = build(
                Message::new(method, Class::Request)
                    .with(attr::USERNAME, self.username.as_bytes())
                    .with(attr::REALM, realm.clone())
                    .with(attr::NONCE, nonce),
            );
            let key = long_term_key(&self.username, &realm, &self.password);
            let response = self.transact(&message, Some(&key))?;
            match (response.class, response.error_code()) {
                (Class::Success, _) => return Ok(response),
                (Class::Error, Some(438)) => self.learn_realm_and_nonce(&response)?,
                (_, code) => return Err(refusal(&response, code)),
            }
        }
        Err(TurnFailure::Protocol("the nonce went stale twice".into()))
    }

    fn learn_realm_and_nonce(&mut self, response: &Message) -> Result<(), TurnFailure> {
        self.realm = response.attribute(attr::REALM).map(<[u8]>::to_vec);
        self.nonce = response.attribute(attr::NONCE).map(<[u8]>::to_vec);
        if self.realm.is_none() || self.nonce.is_none() {
            return Err(TurnFailure::Protocol("401 without realm or nonce".into()));
        }
        Ok(())
    }

    /// Sends `request` and returns the response with its transaction id; over UDP the request
    /// is sent again when no answer arrives in time.
    fn transact(&mut self, request: &Message, key: Option<&[u8]>) -> Result<Message, TurnFailure> {
        let bytes = request.encode(key);
        let attempts = match self.connection {
            Connection::Udp(_) => UDP_ATTEMPTS,
            Connection::Tcp(_) => 1,
        };
        for _ in 0..attempts {
            self.write(&bytes)?;
            loop {
                match self.read() {
                    Ok(message) if message.transaction == request.transaction => {
                        return Ok(message)
                    }
                    Ok(other) => self.pending.push(other),
                    Err(TurnFailure::Io(_)) => break,
                    Err(other) => return Err(other),
                }
            }
        }
        Err(TurnFailure::Io(format!(
            "no answer to method {:#05x} after {attempts} attempt(s)",
            request.method
        )))
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), TurnFailure> {
        match &mut self.connection {
            Connection::Udp(socket) => socket.send(bytes).map(|_| ()).map_err(io),
            Connection::Tcp(stream) => stream.write_all(bytes).map_err(io),
        }
    }

    fn read(&mut self) -> Result<Message, TurnFailure> {
        let mut buffer = vec![0u8; 2048];
        let bytes = match &mut self.connection {
            Connection::Udp(socket) => {
                let n = socket.recv(&mut buffer).map_err(io)?;
                buffer.truncate(n);
                buffer
            }
            Connection::Tcp(stream) => {
                let mut header = [0u8; 20];
                stream.read_exact(&mut header).map_err(io)?;
                let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
                let mut message = header.to_vec();
                message.resize(20 + length, 0);
                stream.read_exact(&mut message[20..]).map_err(io)?;
                message
            }
        };
        Message::decode(&bytes).ok_or_else(|| TurnFailure::Protocol("not a STUN message".into()))
    }
}

fn lifetime(response: &Message) -> Option<u32> {
    response
        .attribute(attr::LIFETIME)
        .filter(|v| v.len() == 4)
        .map(|v| u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
}

fn refusal(response: &Message, code: Option<u16>) -> TurnFailure {
    match code {
        Some(code) => TurnFailure::Refused {
            code,
            reason: response.error_reason(),
        },
        None => TurnFailure::Protocol(format!(
            "unexpected {:?} for method {:#05x}",
            response.class, response.method
        )),
    }
}

/// The long-term credential key: MD5(username ":" realm ":" password) (RFC 5389 15.4).
fn long_term_key(username: &str, realm: &[u8], password: &str) -> Vec<u8> {
    let mut md5 = Md5::new();
    md5.update(username.as_bytes());
    md5.update(b":");
    md5.update(realm);
    md5.update(b":");
    md5.update(password.as_bytes());
    md5.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_types_split_the_method_around_the_class_bits() {
        // RFC 5389: Binding request 0x0001, success 0x0101, error 0x0111; RFC 5766: Allocate
        // request 0x0003, Data indication 0x0017, CreatePermission error 0x0118.
        assert_eq!(message_type(method::BINDING, Class::Request), 0x0001);
        assert_eq!(message_type(method::BINDING, Class::Success), 0x0101);
        assert_eq!(message_type(method::BINDING, Class::Error), 0x0111);
        assert_eq!(message_type(method::ALLOCATE, Class::Request), 0x0003);
        assert_eq!(message_type(method::DATA, Class::Indication), 0x0017);
        assert_eq!(
            message_type(method::CREATE_PERMISSION, Class::Error),
            0x0118
        );
        assert_eq!(
            split_type(0x0118),
            (method::CREATE_PERMISSION, Class::Error)
        );
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32 check value of "123456789" is 0xCBF43926.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn the_rfc_5769_sample_request_gets_the_same_integrity_and_fingerprint() {
        // RFC 5769 2.1: the sample request, short-term password "VOkJxbRl1RmTxUk/WvJxBt". Its
        // first 76 bytes are the header and the attributes before MESSAGE-INTEGRITY.
        let expected: Vec<u8> = [
            "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74",
            "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020",
            "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf",
        ]
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
        .collect();
        assert_eq!(expected.len(), 108);
        let sealed = seal(expected[..76].to_vec(), Some(b"VOkJxbRl1RmTxUk/WvJxBt"));
        assert_eq!(sealed, expected);
        let decoded = Message::decode(&expected).unwrap();
        assert_eq!(decoded.attribute(attr::USERNAME), Some(&b"evtj:h6vY"[..]));
        assert_eq!(
            (decoded.method, decoded.class),
            (method::BINDING, Class::Request)
        );
    }

    #[test]
    fn xor_addresses_round_trip() {
        let transaction = [7u8; 12];
        for addr in ["127.0.0.1:49152", "[2001:db8::1]:3478"] {
            let addr: SocketAddr = addr.parse().unwrap();
            let encoded = xor_address(addr, &transaction);
            assert_eq!(parse_xor_address(&encoded, &transaction), Some(addr));
        }
    }
}
