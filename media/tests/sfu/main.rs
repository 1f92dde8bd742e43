//! The SFU with real WebRTC stacks on loopback: webrtc-rs peers (an independent implementation)
//! send synthetic VP8 video and Opus audio through the str0m SFU.

#[path = "../support/mod.rs"]
mod support;

mod calls;
mod negotiation;
mod quality;
mod relay;
mod robustness;

use std::time::Duration;

/// Long enough for ICE, DTLS and one renegotiation on a loaded 2-core machine.
const CONNECT: Duration = Duration::from_secs(10);
/// "Media keeps flowing": every second brings at least 5 of the 30 frames sent. Lenient on
/// purpose (the machine is shared and loaded); a stopped sender gives 0 and fails it.
const FLOW_WINDOW: Duration = Duration::from_secs(1);
const FLOW_MIN_FRAMES: u64 = 5;
