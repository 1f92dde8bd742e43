//! STUN binding requests with valid ICE credentials, as a peer that floods would send them: each
//! one passes the SFU's integrity check and costs it an HMAC and a response.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The attribute `a=<name>:` of the first media section that has it.
pub fn sdp_attribute(sdp: &str, name: &str) -> Option<String> {
    let prefix = format!("a={name}:");
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .map(str::to_owned)
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

fn attribute(message: &mut Vec<u8>, kind: u16, value: &[u8]) {
    message.extend_from_slice(&kind.to_be_bytes());
    message.extend_from_slice(&(value.len() as u16).to_be_bytes());
    message.extend_from_slice(value);
    while message.len() % 4 != 0 {
        message.push(0);
    }
}

fn set_length(message: &mut [u8], body: usize) {
    message[2..4].copy_from_slice(&(body as u16).to_be_bytes());
}

/// A binding request from the peer with ufrag `local_ufrag` to the SFU (`remote_ufrag`,
/// `remote_pwd`), with MESSAGE-INTEGRITY and FINGERPRINT.
pub fn binding_request(remote_ufrag: &str, local_ufrag: &str, remote_pwd: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(128);
    m.extend_from_slice(&0x0001u16.to_be_bytes());
    m.extend_from_slice(&0u16.to_be_bytes());
    m.extend_from_slice(&0x2112_A442u32.to_be_bytes());
    m.extend((0..12).map(|_| rand::random::<u8>()));
    attribute(
        &mut m,
        0x0006,
        format!("{remote_ufrag}:{local_ufrag}").as_bytes(),
    );
    attribute(&mut m, 0x0024, &0x6E00_1EFFu32.to_be_bytes());
    attribute(&mut m, 0x802A, &rand::random::<u64>().to_be_bytes());
    // MESSAGE-INTEGRITY over the message with the length counting the integrity attribute.
    let body = m.len() - 20 + 24;
    set_length(&mut m, body);
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(remote_pwd.as_bytes()) else {
        return m;
    };
    mac.update(&m);
    let integrity = mac.finalize().into_bytes();
    attribute(&mut m, 0x0008, &integrity);
    let body = m.len() - 20 + 8;
    set_length(&mut m, body);
    let fingerprint = crc32(&m) ^ 0x5354_554E;
    attribute(&mut m, 0x8028, &fingerprint.to_be_bytes());
    m
}
