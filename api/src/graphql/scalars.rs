//! The one `DateTime` scalar of the API. Every date that crosses the schema, in or out, is a
//! [`Timestamp`]: async-graphql's own chrono scalar is switched off (its `chrono` feature), so
//! a date field cannot be written without these rules.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Datelike, Utc};

/// A point in time: an RFC 3339 string with its offset on the wire
/// (`2026-11-25T09:00:00+01:00`), UTC inside. Only dates a calendar can hold are accepted:
/// years 1 to 9999 in UTC. RFC 3339 lets an offset push 9999-12-31 into year 10000, year 0
/// exists in no calendar, and SQLite compares stored dates as text, which orders four-digit
/// years only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

/// An RFC 3339 date-time with offset, e.g. `2026-11-25T09:00:00+01:00`, between the years 1
/// and 9999 in UTC.
#[Scalar(name = "DateTime")]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        let instant: DateTime<Utc> = text.parse().map_err(|error| {
            InputValueError::custom(format!("`{text}` is not an RFC 3339 date-time: {error}"))
        })?;
        if !(1..=9999).contains(&instant.year()) {
            return Err(InputValueError::custom(
                "the date must fall between the years 1 and 9999 (UTC)",
            ));
        }
        Ok(Self(instant))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self(instant)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_calendar_years_pass() {
        let parse = |text: &str| Timestamp::parse(Value::String(text.into()));
        assert!(parse("2026-11-25T09:00:00+01:00").is_ok());
        assert!(parse("0001-01-01T00:00:00Z").is_ok());
        assert!(parse("9999-12-31T23:59:59Z").is_ok());
        assert!(parse("0000-06-01T09:00:00Z").is_err());
        assert!(
            parse("9999-12-31T20:00:00-05:00").is_err(),
            "year 10000 in UTC"
        );
        assert!(parse("tomorrow").is_err());
    }
}
