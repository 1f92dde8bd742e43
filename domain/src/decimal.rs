//! Exact parsing of decimal text such as `27.60` or `26.1` into scaled integers.
//!
//! Fees and shares come from CSV files and old event payloads as decimal text. Going through `f64`
//! would turn `0.1` into `0.1000000000000000055…` and round fees by accident, so decimals are parsed
//! digit by digit into an integer with a fixed number of fractional digits.

/// Why a decimal text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("{0:?} is not a decimal number")]
    NotANumber(String),
    #[error("{text:?} has more than {scale} decimal places")]
    TooPrecise { text: String, scale: u32 },
    #[error("{0:?} is too large")]
    TooLarge(String),
}

/// Parses a non-negative decimal such as `12`, `12.5` or `12.50` into an integer scaled by
/// `10^scale` (with `scale = 2`, `"12.5"` becomes `1250`). A comma is accepted as the decimal
/// separator too, because German sources write `27,60`. Signs, exponents and thousands separators
/// are rejected.
pub fn parse_scaled(text: &str, scale: u32) -> Result<i64, DecimalError> {
    let trimmed = text.trim();
    let not_a_number = || DecimalError::NotANumber(text.to_owned());
    let (whole, fraction) = match trimmed.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, fraction),
        None => (trimmed, ""),
    };
    let digits_only = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return Err(not_a_number());
    }
    if trimmed.contains(['.', ',']) && fraction.is_empty() {
        return Err(not_a_number());
    }
    let fraction_len = u32::try_from(fraction.len()).map_err(|_| not_a_number())?;
    if fraction_len > scale {
        return Err(DecimalError::TooPrecise {
            text: text.to_owned(),
            scale,
        });
    }
    let too_large = || DecimalError::TooLarge(text.to_owned());
    let mut value: i64 = 0;
    for c in whole.chars().chain(fraction.chars()) {
        let digit = i64::from(c.to_digit(10).ok_or_else(not_a_number)?);
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or_else(too_large)?;
    }
    let padding = 10_i64
        .checked_pow(scale - fraction_len)
        .ok_or_else(too_large)?;
    value.checked_mul(padding).ok_or_else(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_scaled() {
        assert_eq!(parse_scaled("46", 2), Ok(4600));
        assert_eq!(parse_scaled("0", 2), Ok(0));
    }

    #[test]
    fn fractions_are_parsed_exactly() {
        assert_eq!(parse_scaled("27.60", 2), Ok(2760));
        assert_eq!(parse_scaled("8.2", 2), Ok(820));
        assert_eq!(parse_scaled("0.1", 2), Ok(10));
        assert_eq!(parse_scaled("26,1", 1), Ok(261));
    }

    #[test]
    fn more_decimal_places_than_the_scale_are_rejected() {
        assert!(matches!(
            parse_scaled("1.005", 2),
            Err(DecimalError::TooPrecise { .. })
        ));
    }

    #[test]
    fn signs_exponents_and_garbage_are_rejected() {
        for text in [
            "-1", "+1", "1e3", "", ".5", "5.", "1.2.3", "12 EUR", "1_000",
        ] {
            assert!(parse_scaled(text, 2).is_err(), "{text} must be rejected");
        }
    }

    #[test]
    fn overflow_is_an_error_not_a_wraparound() {
        assert!(matches!(
            parse_scaled("99999999999999999999", 2),
            Err(DecimalError::TooLarge(_))
        ));
    }
}
