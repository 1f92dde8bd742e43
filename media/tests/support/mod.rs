//! Test peers on webrtc-rs (an independent WebRTC stack): each sends a synthetic VP8 video track
//! and an Opus audio track, negotiates with the SFU through `SfuHandle`/`PeerLink` directly (no
//! WebSocket), answers the SFU's later offers, and counts what it receives per sender.
//!
//! Every video frame carries the sender's send time (nanoseconds since a process-wide epoch) in
//! its first bytes, so a receiver in the same process can measure the latency of each frame.

#![allow(dead_code)]

mod counts;
pub mod keyframes;
mod peer;
mod sender;
pub mod stun;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use media::sfu::{SfuConfig, SfuHandle};

use counts::Handler;
// The tests and the benchmark each use a part of these.
#[allow(unused_imports)]
pub use counts::{Received, Seen, TrackCount};
#[allow(unused_imports)]
pub use peer::{direct_pair, join_raw, TestPeer};

/// Video frames per second the test peers send.
pub const FPS: u64 = 30;
/// Bytes per synthetic video frame (a 640x360 delta frame is a few KB).
pub const FRAME_BYTES: usize = 4_000;

/// The simulcast layers of a simulcast test sender: rid and frame size.
pub const SIMULCAST_LAYERS: [(&str, usize); 2] = [("h", FRAME_BYTES), ("l", 800)];

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Tests of this binary run one at a time: two floods at once on a 2-core machine would measure
/// the machine, not the SFU. Hold the guard for the whole test.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

/// An SFU on loopback for one test.
pub async fn start_sfu() -> SfuHandle {
    let config = SfuConfig {
        bind: "127.0.0.1:0".parse().expect("a literal address"),
        public_addr: None,
    };
    SfuHandle::start(config).await.expect("the SFU starts")
}

/// Waits until `condition` holds, polling; false when `limit` passed first.
pub async fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether frames from `sender` keep arriving at `receiver` for `duration`: every `window`
/// must bring at least `min_frames` new ones. Returns the frames of each window (the checker's
/// evidence), or the first window that fell short.
pub async fn frames_keep_flowing(
    receiver: &TestPeer,
    sender: &str,
    duration: Duration,
    window: Duration,
    min_frames: u64,
) -> Result<Vec<u64>, String> {
    let mut per_window = Vec::new();
    let mut last = receiver.frames_from(sender);
    let windows = (duration.as_millis() / window.as_millis().max(1)).max(1);
    for i in 0..windows {
        tokio::time::sleep(window).await;
        let now = receiver.frames_from(sender);
        let got = now - last;
        last = now;
        per_window.push(got);
        if got < min_frames {
            return Err(format!(
                "window {i}: {got} frames from {sender} (wanted at least {min_frames}); so far {per_window:?}"
            ));
        }
    }
    Ok(per_window)
}
