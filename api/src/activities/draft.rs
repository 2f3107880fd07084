//! An activity as staff describe it, checked field by field before anything is stored.

use chrono::{DateTime, Utc};
use entity::activity::{self, Audience, Kind};
use sea_orm::ActiveValue::Set;

use crate::{
    error::{ApiError, ApiResult},
    validation::{optional_paragraph, optional_text, required_text},
};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_LOCATION_CHARS: usize = 500;
pub const MAX_SESSIONS: usize = 100;
#[derive(Clone, Debug)]
pub struct SessionDraft {
    /// The session being edited, or `None` for a new one.
    pub id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Interested partners register first for at most two weeks.
pub const MAX_PRIORITY_HOURS: i32 = 336;

#[derive(Clone, Debug)]
pub struct ActivityDraft {
    pub kind: Kind,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub audience: Audience,
    pub capacity: i32,
    pub min_participants: Option<i32>,
    pub registration_deadline: Option<DateTime<Utc>>,
    pub price_cents: i32,
    pub trainer_name: Option<String>,
    pub co_organiser: Option<String>,
    pub min_attendance_percent: Option<i32>,
    /// The topic whose demand it answers.
    pub topic_id: Option<i64>,
    /// Partners interested in the topic register this many hours before anyone else.
    pub priority_hours: i32,
    pub sessions: Vec<SessionDraft>,
}

/// The audience an activity of `kind` gets when staff do not say.
pub fn default_audience(kind: Kind) -> Audience {
    match kind {
        Kind::ClubMeeting => Audience::TrainedPartners,
        Kind::Training | Kind::Workshop | Kind::Conference => Audience::AllPartners,
    }
}

impl ActivityDraft {
    /// A draft of `kind` with one session from `starts_at` to `ends_at`, every other field
    /// at its default (free, no minimum, the kind's audience).
    pub fn new(
        kind: Kind,
        title: String,
        capacity: i32,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Self {
        Self {
            kind,
            title,
            description: None,
            location: None,
            audience: default_audience(kind),
            capacity,
            min_participants: None,
            registration_deadline: None,
            price_cents: 0,
            trainer_name: None,
            co_organiser: None,
            min_attendance_percent: crate::certificates::default_min_attendance(kind),
            topic_id: None,
            priority_hours: 0,
            sessions: vec![SessionDraft {
                id: None,
                starts_at,
                ends_at,
            }],
        }
    }

    /// Writes the described fields into the activity's row (dates from the sessions).
    pub fn write_to(&self, row: &mut activity::ActiveModel) {
        row.kind = Set(self.kind);
        row.audience = Set(self.audience);
        row.title = Set(self.title.clone());
        row.description = Set(self.description.clone());
        row.location = Set(self.location.clone());
        row.capacity = Set(self.capacity);
        row.min_participants = Set(self.min_participants);
        row.registration_deadline = Set(self.registration_deadline);
        row.price_cents = Set(self.price_cents);
        row.trainer_name = Set(self.trainer_name.clone());
        row.co_organiser = Set(self.co_organiser.clone());
        row.min_attendance_percent = Set(self.min_attendance_percent);
        row.topic_id = Set(self.topic_id);
        row.priority_hours = Set(self.priority_hours);
        row.starts_at = Set(self.starts_at());
        row.ends_at = Set(self.ends_at());
    }

    /// Normalises text and checks every rule, naming the offending field.
    pub fn validated(mut self) -> ApiResult<Self> {
        self.title = required_text("title", self.title, MAX_TITLE_CHARS)?;
        self.description =
            optional_paragraph("description", self.description, MAX_DESCRIPTION_CHARS)?;
        self.location = optional_text("location", self.location, MAX_LOCATION_CHARS)?;
        self.trainer_name = optional_text("trainerName", self.trainer_name, MAX_TITLE_CHARS)?;
        self.co_organiser = optional_text("coOrganiser", self.co_organiser, MAX_TITLE_CHARS)?;

        if self.capacity < 1 {
            return Err(ApiError::bad_input("capacity", "must be at least 1"));
        }
        if let Some(min) = self.min_participants {
            if min < 1 {
                return Err(ApiError::bad_input("minParticipants", "must be at least 1"));
            }
            if min > self.capacity {
                return Err(ApiError::bad_input(
                    "minParticipants",
                    "must not exceed the capacity",
                ));
            }
        }
        if self.price_cents < 0 {
            return Err(ApiError::bad_input("priceCents", "must not be negative"));
        }
        if let Some(percent) = self.min_attendance_percent
            && !(0..=100).contains(&percent)
        {
            return Err(ApiError::bad_input(
                "minAttendancePercent",
                "must be between 0 and 100",
            ));
        }

        if !(0..=MAX_PRIORITY_HOURS).contains(&self.priority_hours) {
            return Err(ApiError::bad_input(
                "priorityHours",
                format!("0 to {MAX_PRIORITY_HOURS} hours"),
            ));
        }
        if self.priority_hours > 0 && self.topic_id.is_none() {
            return Err(ApiError::bad_input(
                "priorityHours",
                "priority goes to the partners interested in a topic: give topicId",
            ));
        }

        if self.sessions.is_empty() {
            return Err(ApiError::bad_input(
                "sessions",
                "at least one session is required",
            ));
        }
        if self.sessions.len() > MAX_SESSIONS {
            return Err(ApiError::bad_input(
                "sessions",
                format!("at most {MAX_SESSIONS} sessions"),
            ));
        }
        for (index, session) in self.sessions.iter().enumerate() {
            if session.ends_at <= session.starts_at {
                return Err(ApiError::bad_input(
                    format!("sessions[{index}].endsAt"),
                    "must be after the session starts",
                ));
            }
        }
        self.sessions.sort_by_key(|session| session.starts_at);
        for pair in self.sessions.windows(2) {
            if let [earlier, later] = pair
                && later.starts_at < earlier.ends_at
            {
                return Err(ApiError::bad_input("sessions", "sessions must not overlap"));
            }
        }
        if let Some(deadline) = self.registration_deadline
            && deadline > self.starts_at()
        {
            return Err(ApiError::bad_input(
                "registrationDeadline",
                "must be before the first session",
            ));
        }
        Ok(self)
    }

    /// The first session's start (sessions are sorted once validated).
    pub fn starts_at(&self) -> DateTime<Utc> {
        self.sessions
            .iter()
            .map(|session| session.starts_at)
            .min()
            .unwrap_or_default()
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.sessions
            .iter()
            .map(|session| session.ends_at)
            .max()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn draft() -> ActivityDraft {
        let start = Utc::now() + Duration::days(10);
        ActivityDraft {
            kind: Kind::Workshop,
            title: "Google Business Profile".into(),
            description: None,
            location: None,
            audience: Audience::AllPartners,
            capacity: 12,
            min_participants: Some(4),
            registration_deadline: Some(start - Duration::days(2)),
            price_cents: 4_000,
            trainer_name: None,
            co_organiser: None,
            min_attendance_percent: None,
            topic_id: None,
            priority_hours: 0,
            sessions: vec![SessionDraft {
                id: None,
                starts_at: start,
                ends_at: start + Duration::hours(3),
            }],
        }
    }

    fn field_of(draft: ActivityDraft) -> String {
        match draft.validated() {
            Err(ApiError::BadInput { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_sound_draft_passes() {
        assert!(draft().validated().is_ok());
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut d = draft();
        d.capacity = 0;
        assert_eq!(field_of(d), "capacity");

        let mut d = draft();
        d.min_participants = Some(13);
        assert_eq!(field_of(d), "minParticipants");

        let mut d = draft();
        d.price_cents = -1;
        assert_eq!(field_of(d), "priceCents");

        let mut d = draft();
        d.registration_deadline = Some(d.sessions[0].starts_at + Duration::minutes(1));
        assert_eq!(field_of(d), "registrationDeadline");

        let mut d = draft();
        d.sessions[0].ends_at = d.sessions[0].starts_at;
        assert_eq!(field_of(d), "sessions[0].endsAt");

        let mut d = draft();
        let first = d.sessions[0].clone();
        d.sessions.push(SessionDraft {
            id: None,
            starts_at: first.starts_at + Duration::hours(1),
            ends_at: first.ends_at + Duration::hours(1),
        });
        assert_eq!(field_of(d), "sessions");

        let mut d = draft();
        d.sessions.clear();
        assert_eq!(field_of(d), "sessions");

        let mut d = draft();
        d.title = " ".into();
        assert_eq!(field_of(d), "title");
    }

    #[test]
    fn back_to_back_sessions_do_not_overlap() {
        let mut d = draft();
        let first = d.sessions[0].clone();
        d.sessions.push(SessionDraft {
            id: None,
            starts_at: first.ends_at,
            ends_at: first.ends_at + Duration::hours(2),
        });
        assert!(d.validated().is_ok());
    }

    #[test]
    fn club_meetings_default_to_trained_partners() {
        assert_eq!(
            default_audience(Kind::ClubMeeting),
            Audience::TrainedPartners
        );
        assert_eq!(default_audience(Kind::Workshop), Audience::AllPartners);
        assert_eq!(
            crate::certificates::default_min_attendance(Kind::Training),
            Some(75)
        );
        assert_eq!(
            crate::certificates::default_min_attendance(Kind::Conference),
            None
        );
    }
}
