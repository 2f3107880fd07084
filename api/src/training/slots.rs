//! Half-days: a session is split at 13:00 in the office's time zone, so a session from 9:00 to
//! 17:00 has a morning and an afternoon slot and a morning-only session has one. Each slot is a
//! line of signatures on its own sheet. Slots are computed from their session, never stored:
//! a slot's id is its session's id times two, plus one for the afternoon.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use entity::session;
use sea_orm::ConnectionTrait;

use crate::error::{ApiError, ApiResult};

/// Where the morning ends, in the office's time zone.
const AFTERNOON: NaiveTime = match NaiveTime::from_hms_opt(13, 0, 0) {
    Some(time) => time,
    None => panic!("13:00 is a time"),
};

/// How long before its start a slot's sign-in may open.
pub const SIGN_IN_OPENS_BEFORE: Duration = Duration::minutes(30);

/// One half-day of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub id: i64,
    pub session_id: i64,
    pub activity_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Slot {
    /// Whether its sign-in may be open at `now`: from 30 minutes before its start to its end.
    pub fn sign_in_window_holds(&self, now: DateTime<Utc>) -> bool {
        self.starts_at - SIGN_IN_OPENS_BEFORE <= now && now < self.ends_at
    }

    /// Its length in minutes.
    pub fn minutes(&self) -> i64 {
        (self.ends_at - self.starts_at).num_minutes()
    }
}

/// The half-days of `session` in `tz`, morning first.
pub fn of_session(session: &session::Model, tz: Tz) -> Vec<Slot> {
    let local_start = session.starts_at.with_timezone(&tz);
    let split = tz
        .from_local_datetime(&local_start.date_naive().and_time(AFTERNOON))
        .earliest()
        .map(|split| split.with_timezone(&Utc));
    let slot = |half: i64, starts_at, ends_at| Slot {
        id: session.id * 2 + half,
        session_id: session.id,
        activity_id: session.activity_id,
        starts_at,
        ends_at,
    };
    match split {
        Some(split) if session.starts_at < split && split < session.ends_at => vec![
            slot(0, session.starts_at, split),
            slot(1, split, session.ends_at),
        ],
        Some(split) if session.starts_at >= split => {
            vec![slot(1, session.starts_at, session.ends_at)]
        }
        _ => vec![slot(0, session.starts_at, session.ends_at)],
    }
}

/// The slot `id`, or NOT_FOUND.
pub async fn get(db: &impl ConnectionTrait, id: i64, tz: Tz) -> ApiResult<Slot> {
    let session = crate::db::get::<session::Entity>(db, id.div_euclid(2), "slot").await?;
    of_session(&session, tz)
        .into_iter()
        .find(|slot| slot.id == id)
        .ok_or(ApiError::NotFound("slot"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(starts: &str, ends: &str) -> session::Model {
        session::Model {
            id: 7,
            activity_id: 1,
            starts_at: starts.parse().unwrap(),
            ends_at: ends.parse().unwrap(),
        }
    }

    #[test]
    fn a_day_has_a_morning_and_an_afternoon_in_local_time() {
        // 9:00 to 17:00 in Paris in winter (UTC+1).
        let slots = of_session(
            &session("2026-12-07T08:00:00Z", "2026-12-07T16:00:00Z"),
            chrono_tz::Europe::Paris,
        );
        assert_eq!(slots.len(), 2);
        assert_eq!((slots[0].id, slots[1].id), (14, 15));
        assert_eq!(slots[0].ends_at.to_rfc3339(), "2026-12-07T12:00:00+00:00");
        assert_eq!(slots[1].starts_at, slots[0].ends_at);
    }

    #[test]
    fn a_half_day_is_one_slot() {
        let paris = chrono_tz::Europe::Paris;
        let morning = of_session(
            &session("2026-12-07T08:00:00Z", "2026-12-07T11:00:00Z"),
            paris,
        );
        assert_eq!(morning.iter().map(|s| s.id).collect::<Vec<_>>(), [14]);
        let afternoon = of_session(
            &session("2026-12-07T13:00:00Z", "2026-12-07T16:00:00Z"),
            paris,
        );
        assert_eq!(afternoon.iter().map(|s| s.id).collect::<Vec<_>>(), [15]);
        // The same session seen from UTC ends before 13:00 there: a morning.
        let utc = of_session(
            &session("2026-12-07T08:00:00Z", "2026-12-07T12:30:00Z"),
            chrono_tz::UTC,
        );
        assert_eq!(utc.len(), 1);
    }
}
