//! Time counted inside opening hours, in the office's time zone: the clock of the promise
//! "every question answered within 15 minutes during opening hours".

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpeningHours {
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

impl OpeningHours {
    /// Parses `HH:MM-HH:MM`.
    pub fn parse(text: &str) -> Option<Self> {
        let (opens, closes) = text.split_once('-')?;
        let opens = NaiveTime::parse_from_str(opens.trim(), "%H:%M").ok()?;
        let closes = NaiveTime::parse_from_str(closes.trim(), "%H:%M").ok()?;
        (opens < closes).then_some(Self { opens, closes })
    }

    /// How long of `from..to` falls inside opening hours.
    pub fn open_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let mut total = Duration::zero();
        let mut day = from.with_timezone(&tz).date_naive();
        let last = to.with_timezone(&tz).date_naive();
        while day <= last {
            let at = |time: NaiveTime| {
                tz.from_local_datetime(&day.and_time(time))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            };
            if let (Some(opens), Some(closes)) = (at(self.opens), at(self.closes)) {
                let start = opens.max(from);
                let end = closes.min(to);
                if end > start {
                    total += end - start;
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Paris;

    use super::*;

    fn paris(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(2030, 3, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn only_opening_hours_count() {
        let hours = OpeningHours::parse("09:00-20:00").unwrap();
        // 19:50 to 09:10 next day: ten minutes before closing, ten after opening.
        assert_eq!(
            hours.open_time_between(paris(5, 19, 50), paris(6, 9, 10), Paris),
            Duration::minutes(20)
        );
        assert_eq!(
            hours.open_time_between(paris(5, 21, 0), paris(6, 8, 0), Paris),
            Duration::zero()
        );
        assert_eq!(
            hours.open_time_between(paris(5, 10, 0), paris(5, 10, 15), Paris),
            Duration::minutes(15)
        );
    }

    #[test]
    fn bad_hours_are_refused() {
        assert!(OpeningHours::parse("20:00-09:00").is_none());
        assert!(OpeningHours::parse("nine to five").is_none());
    }
}
