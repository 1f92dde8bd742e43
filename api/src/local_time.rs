//! Office wall-clock time. Potsdam's offices keep Central European time: UTC+1, and UTC+2 from
//! the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC (EU rule, in force
//! since 1996). Schedules are kept in local wall-clock time; events carry UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("the first of a month exists");
    let mut day = next_month - Duration::days(1);
    while day.weekday() != Weekday::Sun {
        day -= Duration::days(1);
    }
    day
}

/// The office's UTC offset at the instant `at`.
pub fn offset_at(at: DateTime<Utc>) -> Duration {
    let year = at.year();
    let summer_start =
        Utc.from_utc_datetime(&last_sunday(year, 3).and_hms_opt(1, 0, 0).expect("01:00"));
    let summer_end =
        Utc.from_utc_datetime(&last_sunday(year, 10).and_hms_opt(1, 0, 0).expect("01:00"));
    if at >= summer_start && at < summer_end {
        Duration::hours(2)
    } else {
        Duration::hours(1)
    }
}

/// The office's wall-clock time at `at`.
pub fn to_local(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc() + offset_at(at)
}

/// The instant of a wall-clock time. In the repeated hour of October the earlier instant is
/// taken; a time in the skipped hour of March is read as winter time.
pub fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    let winter = Utc.from_utc_datetime(&(local - Duration::hours(1)));
    let summer = Utc.from_utc_datetime(&(local - Duration::hours(2)));
    if offset_at(summer) == Duration::hours(2) {
        summer
    } else {
        winter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn winter_time_is_one_hour_ahead_of_utc() {
        assert_eq!(
            to_utc(local("2026-11-24 10:00")).to_rfc3339(),
            "2026-11-24T09:00:00+00:00"
        );
    }

    #[test]
    fn summer_time_is_two_hours_ahead_of_utc() {
        assert_eq!(
            to_utc(local("2026-07-01 10:00")).to_rfc3339(),
            "2026-07-01T08:00:00+00:00"
        );
    }

    #[test]
    fn the_switch_days_follow_the_last_sundays_of_march_and_october() {
        assert_eq!(
            last_sunday(2026, 3),
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
        );
        assert_eq!(
            last_sunday(2026, 10),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
        assert_eq!(
            to_utc(local("2026-03-29 03:30")).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        assert_eq!(
            to_utc(local("2026-03-28 12:00")).to_rfc3339(),
            "2026-03-28T11:00:00+00:00"
        );
    }

    #[test]
    fn local_and_utc_round_trip() {
        let t = local("2026-10-24 23:59");
        assert_eq!(to_local(to_utc(t)), t);
    }
}
