//! When a season's meetings fall: one a month, on the same nth weekday (every second Tuesday)
//! or the same day of the month, at the same local wall-clock time in the office's time zone —
//! an 18:00 meeting stays at 18:00 across a daylight-saving change.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{ApiError, ApiResult};

pub struct SeasonRule {
    pub first: DateTime<Utc>,
    pub meetings: u32,
    pub by_weekday: bool,
    pub skip_months: Vec<u32>,
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|first| first.pred_opt())
        .map_or(28, |last| last.day())
}

/// The day of `year`-`month` that matches the rule; a day the month lacks falls back to its last
/// (the 31st, or a fifth Tuesday).
fn day_in(year: i32, month: u32, first: NaiveDate, by_weekday: bool) -> Option<NaiveDate> {
    let last = days_in_month(year, month);
    let day = if by_weekday {
        let nth = (first.day() - 1) / 7; // 0 for the first such weekday of the month
        let month_start = NaiveDate::from_ymd_opt(year, month, 1)?;
        let offset = (7 + first.weekday().num_days_from_monday()
            - month_start.weekday().num_days_from_monday())
            % 7;
        let mut day = 1 + offset + 7 * nth;
        while day > last {
            day -= 7;
        }
        day
    } else {
        first.day().min(last)
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The instant a local wall-clock time names; a time skipped by a spring-forward change moves
/// one hour later, an ambiguous autumn time takes its first occurrence.
fn local_to_utc(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
}

/// The start of every meeting of the season.
pub fn meeting_starts(rule: &SeasonRule, tz: Tz) -> ApiResult<Vec<DateTime<Utc>>> {
    if !(1..=12).contains(&rule.meetings) {
        return Err(ApiError::bad_input("meetings", "must be between 1 and 12"));
    }
    if let Some(month) = rule.skip_months.iter().find(|m| !(1..=12).contains(*m)) {
        return Err(ApiError::bad_input(
            "skipMonths",
            format!("{month} is not a month (1..12)"),
        ));
    }
    let local = rule.first.with_timezone(&tz);
    if rule.skip_months.contains(&local.month()) {
        return Err(ApiError::bad_input(
            "skipMonths",
            "the first meeting falls in a skipped month",
        ));
    }
    if rule.skip_months.len() >= 12 {
        return Err(ApiError::bad_input("skipMonths", "every month is skipped"));
    }
    let first_day = local.date_naive();
    let time = local.time();
    let (mut year, mut month) = (local.year(), local.month());
    let mut starts = Vec::new();
    while starts.len() < usize::try_from(rule.meetings).unwrap_or(0) {
        if !rule.skip_months.contains(&month) {
            let start = day_in(year, month, first_day, rule.by_weekday)
                .and_then(|day| local_to_utc(tz, day.and_time(time)))
                .ok_or_else(|| ApiError::bad_input("firstMeetingAt", "cannot place a meeting"))?;
            starts.push(start);
        }
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    Ok(starts)
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;
    use chrono_tz::Europe::Paris;

    use super::*;

    fn paris(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn local(starts: &[DateTime<Utc>]) -> Vec<(u32, u32, u32)> {
        starts
            .iter()
            .map(|s| {
                let l = s.with_timezone(&Paris);
                (l.month(), l.day(), l.hour())
            })
            .collect()
    }

    #[test]
    fn every_second_tuesday_at_six_across_the_clock_change() {
        // 13 October 2026 is the second Tuesday; summer time ends on 25 October.
        let rule = SeasonRule {
            first: paris(2026, 10, 13, 18),
            meetings: 3,
            by_weekday: true,
            skip_months: vec![],
        };
        let starts = meeting_starts(&rule, Paris).unwrap();
        assert_eq!(local(&starts), [(10, 13, 18), (11, 10, 18), (12, 8, 18)]);
        assert_eq!(starts[0].hour(), 16, "UTC+2 in October");
        assert_eq!(starts[1].hour(), 17, "UTC+1 in November");
    }

    #[test]
    fn the_high_season_is_skipped_and_does_not_count() {
        // From March, skipping June to September: March, April, May, October.
        let rule = SeasonRule {
            first: paris(2027, 3, 9, 18),
            meetings: 4,
            by_weekday: true,
            skip_months: vec![6, 7, 8, 9],
        };
        let months: Vec<u32> = local(&meeting_starts(&rule, Paris).unwrap())
            .iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(months, [3, 4, 5, 10]);
    }

    #[test]
    fn missing_days_fall_back_to_the_month_end() {
        // The 31st of each month; a fifth Thursday (29 October 2026) too.
        let by_day = SeasonRule {
            first: paris(2027, 1, 31, 9),
            meetings: 3,
            by_weekday: false,
            skip_months: vec![],
        };
        assert_eq!(
            local(&meeting_starts(&by_day, Paris).unwrap()),
            [(1, 31, 9), (2, 28, 9), (3, 31, 9)]
        );
        let fifth = SeasonRule {
            first: paris(2026, 10, 29, 18),
            meetings: 2,
            by_weekday: true,
            skip_months: vec![],
        };
        assert_eq!(
            local(&meeting_starts(&fifth, Paris).unwrap()),
            [(10, 29, 18), (11, 26, 18)]
        );
    }

    #[test]
    fn bad_rules_name_their_field() {
        let rule = |meetings, skip: Vec<u32>| SeasonRule {
            first: paris(2026, 10, 13, 18),
            meetings,
            by_weekday: true,
            skip_months: skip,
        };
        for (rule, field) in [
            (rule(0, vec![]), "meetings"),
            (rule(13, vec![]), "meetings"),
            (rule(3, vec![10]), "skipMonths"),
            (rule(3, vec![0]), "skipMonths"),
        ] {
            match meeting_starts(&rule, Paris) {
                Err(ApiError::BadInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected a {field} error, got {other:?}"),
            }
        }
    }
}
