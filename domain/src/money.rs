//! Money as integer cents, so that no fee is ever rounded by floating point arithmetic.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of euro cents. Negative values are representable so that differences can be
/// expressed, but aggregates reject negative fees.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    /// No money at all.
    pub const ZERO: Cents = Cents(0);

    /// The amount in cents.
    pub fn get(self) -> i64 {
        self.0
    }

    /// True for an amount below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Cents {
    /// Formats as euros with exactly two decimals, e.g. `27.60`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_display_as_euros_with_two_decimals() {
        assert_eq!(Cents(2760).to_string(), "27.60");
        assert_eq!(Cents(5).to_string(), "0.05");
        assert_eq!(Cents(-150).to_string(), "-1.50");
    }
}
