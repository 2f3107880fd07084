//! Input rules shared by every domain, applied where async-graphql reads the input.

use async_graphql::CustomValidator;
use chrono::{DateTime, Datelike, Utc};

/// A date a calendar can hold: year 1 to 9999 in UTC. RFC 3339 lets an offset push a
/// 9999-12-31 into year 10000, and year 0 exists in no calendar; SQLite compares stored dates
/// as text, which only orders four-digit years. Put on every `DateTime` input:
/// `#[graphql(validator(custom = "CalendarDate"))]`.
pub struct CalendarDate;

impl CustomValidator<DateTime<Utc>> for CalendarDate {
    fn check(
        &self,
        value: &DateTime<Utc>,
    ) -> Result<(), async_graphql::InputValueError<DateTime<Utc>>> {
        if (1..=9999).contains(&value.year()) {
            Ok(())
        } else {
            Err("the date must fall between the years 1 and 9999 (UTC)".into())
        }
    }
}
