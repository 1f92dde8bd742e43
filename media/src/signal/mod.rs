//! The signalling protocol spoken over the call's WebSocket (`docs/signalling.md`).
//!
//! [`message`] holds the messages of protocol version 1 in both directions; [`limits`] the
//! per-peer budget that cuts off a flooding client.

pub mod limits;
pub mod message;

pub use message::{ClientMessage, ServerMessage, PROTOCOL_VERSION};
