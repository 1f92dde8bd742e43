//! Test support shared by the crates' tests. Dev-only: no production crate depends on it.
//!
//! [`SmtpSink`] is a real SMTP receiver on loopback, so that tests of the notifier send mail
//! over a real TCP connection with the real client (lettre) and read what arrived, instead of
//! trusting a mock of the transport. [`coturn::Coturn`] runs a real coturn on loopback and
//! [`stun::TurnClient`] is a small TURN client written from the RFCs to talk to it.

pub mod coturn;
mod smtp;
pub mod stun;

pub use smtp::{ReceivedMail, SmtpSink, WaitTimeout};
