//! Media for the video call: WebRTC signalling, a small SFU on str0m and TURN credentials.
//!
//! This crate is the home of issue 5 (the video call). Until then it is an empty member of the
//! workspace so that the layering (`api → media → domain`) is in place from the start.
