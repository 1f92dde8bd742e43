//! The JSON shape of weekly opening hours in the admin API:
//!
//! ```json
//! {"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "tue": [["08:00", "12:00"]], "sat": []}
//! ```
//!
//! Keys are `mon` … `sun`; a missing or empty day is closed. Each pair is a start (inclusive) and
//! an end (exclusive) in the office's local wall-clock time, `HH:MM`. The office aggregate checks
//! that the intervals of a day neither overlap nor end before they start.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use domain::office::{DayOfWeek, WeeklyHours};
use domain::schedule::OpeningInterval;

use crate::ApiError;

/// Opening hours as the admin API reads and writes them.
pub type HoursJson = BTreeMap<DayOfWeek, Vec<[String; 2]>>;

/// The most intervals one day may have.
const MAX_INTERVALS_PER_DAY: usize = 12;

/// Parses the API shape into the domain's hours; a malformed time is 422 `invalid-body`.
pub fn parse(hours: HoursJson) -> Result<WeeklyHours, ApiError> {
    let mut parsed = WeeklyHours::default();
    for (day, intervals) in hours {
        let name = day_name(day);
        if intervals.len() > MAX_INTERVALS_PER_DAY {
            return Err(ApiError::InvalidBody(format!(
                "hours.{name}: at most {MAX_INTERVALS_PER_DAY} intervals"
            )));
        }
        let mut list = Vec::with_capacity(intervals.len());
        for [start, end] in intervals {
            list.push(OpeningInterval::new(time(&start, name)?, time(&end, name)?));
        }
        parsed.days.insert(day, list);
    }
    Ok(parsed)
}

/// The domain's hours in the API shape.
pub fn render(hours: &WeeklyHours) -> HoursJson {
    hours
        .days
        .iter()
        .map(|(day, intervals)| {
            let pairs = intervals
                .iter()
                .map(|i| {
                    [
                        i.start.format("%H:%M").to_string(),
                        i.end.format("%H:%M").to_string(),
                    ]
                })
                .collect();
            (*day, pairs)
        })
        .collect()
}

/// `HH:MM`, exactly five characters.
fn time(text: &str, day: &str) -> Result<NaiveTime, ApiError> {
    let shape_ok = text.len() == 5
        && text.bytes().enumerate().all(|(i, b)| match i {
            2 => b == b':',
            _ => b.is_ascii_digit(),
        });
    shape_ok
        .then(|| NaiveTime::parse_from_str(text, "%H:%M").ok())
        .flatten()
        .ok_or_else(|| ApiError::InvalidBody(format!("hours.{day}: times are HH:MM")))
}

fn day_name(day: DayOfWeek) -> &'static str {
    match day {
        DayOfWeek::Mon => "mon",
        DayOfWeek::Tue => "tue",
        DayOfWeek::Wed => "wed",
        DayOfWeek::Thu => "thu",
        DayOfWeek::Fri => "fri",
        DayOfWeek::Sat => "sat",
        DayOfWeek::Sun => "sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_round_trip_between_the_api_shape_and_the_domain() {
        let json: HoursJson = serde_json::from_str(
            r#"{"mon":[["08:00","12:00"],["13:00","16:30"]],"fri":[["09:00","12:00"]]}"#,
        )
        .unwrap();
        let hours = parse(json.clone()).unwrap();
        assert_eq!(hours.days.len(), 2);
        assert_eq!(render(&hours), json);
    }

    #[test]
    fn malformed_times_and_unknown_days_are_refused() {
        for time in ["8:00", "24:00", "08:60", "08:00:00", "0800 ", "ab:cd", ""] {
            let json: HoursJson =
                serde_json::from_value(serde_json::json!({"mon": [[time, "12:00"]]})).unwrap();
            assert!(
                matches!(parse(json), Err(ApiError::InvalidBody(_))),
                "{time}"
            );
        }
        assert!(serde_json::from_str::<HoursJson>(r#"{"monday":[]}"#).is_err());
        assert!(serde_json::from_str::<HoursJson>(r#"{"mon":[["08:00"]]}"#).is_err());
    }
}
